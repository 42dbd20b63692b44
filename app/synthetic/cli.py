"""flask seed-demo and flask seed-bench: the synthetic organisation's presets, in an empty database.

`seed-demo` builds the `demo` preset (`make run`), `seed-bench --size` the benchmark's (`make bench`).
"""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has units.")
def seed_demo_command(if_empty: bool) -> None:
    """Create the demo organisation (never in production)."""
    from app.synthetic.build import build, has_data
    from app.synthetic.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD

    if not current_app.config["SEED_DEMO_ALLOWED"]:
        raise click.ClickException("Không tạo dữ liệu mẫu trên máy chủ chính thức (APP_ENV=production).")
    if has_data():
        if if_empty:
            click.echo("Dữ liệu đã có sẵn, không tạo lại dữ liệu mẫu.")
        else:
            raise click.ClickException(
                "Cơ sở dữ liệu đã có đơn vị; chỉ tạo dữ liệu mẫu trên cơ sở dữ liệu trống."
            )
    else:
        build("demo")
        click.echo("Đã tạo tổ chức mẫu: Đoàn Khối các Cơ quan tỉnh Sóc Trăng.")
    click.echo(f"Tài khoản mẫu (mật khẩu {DEMO_PASSWORD}):")
    for username, role in DEMO_ACCOUNTS:
        click.echo(f"  {username:<9} {role}")


@click.command("seed-bench")
@with_appcontext
@click.option(
    "--size",
    type=click.Choice(["small", "quick", "province"]),
    default="small",
    show_default=True,
    help="small: 1 chi đoàn 30 người; quick: 10 chi đoàn; province: ≈100 chi đoàn, ≈3.000 người, ≈1 triệu bài.",
)
@click.option(
    "--seed",
    type=int,
    default=9,
    show_default=True,
    help="Hạt giống ngẫu nhiên (cùng hạt giống, cùng dữ liệu).",
)
def seed_bench_command(size: str, seed: int) -> None:
    """Create a realistic synthetic organisation for benchmarks (never in production)."""
    from app.core.db import db
    from app.core.filters import vn_number
    from app.synthetic.build import build, has_data
    from app.synthetic.presets import PASSWORD

    if not current_app.config["SEED_DEMO_ALLOWED"]:
        raise click.ClickException(
            "Không tạo dữ liệu đo hiệu năng trên máy chủ chính thức (APP_ENV=production)."
        )
    if has_data():
        raise click.ClickException(
            "Cơ sở dữ liệu đã có đơn vị; chỉ tạo dữ liệu đo hiệu năng trên cơ sở dữ liệu trống."
        )
    started = time.perf_counter()
    org = build(size, seed, progress=lambda message: click.echo(f"  … {message}"))
    db.session.remove()
    elapsed = time.perf_counter() - started
    counts = org.counts
    click.echo(
        f"Đã tạo tổ chức “{size}” trong {vn_number(elapsed, 1)} giây: {vn_number(len(org.branch_ids))} chi đoàn, "
        f"{vn_number(len(org.cell_ids))} chi bộ, {vn_number(counts.get('users', 0))} tài khoản, "
        f"{vn_number(counts.get('entries', 0))} bài nhật ký, {vn_number(counts.get('month_reviews', 0))} "
        f"tháng có nhận xét, {vn_number(counts.get('notifications', 0))} thông báo, "
        f"{vn_number(counts.get('ratings', 0))} kết quả xếp loại năm {org.today.year - 1}."
    )
    click.echo(f"Tài khoản (mật khẩu {PASSWORD}):")
    for username, role in org.accounts.items():
        click.echo(f"  {username:<14} {role}")
