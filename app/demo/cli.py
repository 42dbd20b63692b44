"""flask seed-demo: the demo organisation that `make run` starts with."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.core.db import db


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has units.")
def seed_demo_command(if_empty: bool) -> None:
    """Create the demo organisation (never in production)."""
    from app.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, has_data, seed_demo

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
        seed_demo()
        db.session.commit()
        click.echo("Đã tạo tổ chức mẫu: Đoàn Khối các Cơ quan tỉnh Sóc Trăng.")
    click.echo(f"Tài khoản mẫu (mật khẩu {DEMO_PASSWORD}):")
    for username, role in DEMO_ACCOUNTS:
        click.echo(f"  {username:<9} {role}")
