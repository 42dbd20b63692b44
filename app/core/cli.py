"""flask commands: seed-demo, create-admin and the features' own commands."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.core.db import db


def register(app: Flask) -> None:
    from app.backup.cli import backup_command, restore_command
    from app.export.cli import export_book_command
    from app.jobs.cli import export_unit_command, worker_command
    from app.members.cli import import_members_command
    from app.notifications.cli import send_reminders_command
    from app.reports.cli import reports_rebuild_command
    from app.synthetic.cli import seed_bench_command

    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(import_members_command)
    app.cli.add_command(send_reminders_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(seed_bench_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(export_unit_command)
    app.cli.add_command(export_book_command)
    app.cli.add_command(reports_rebuild_command)
    app.cli.add_command(check_integrity_command)


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has units.")
def seed_demo_command(if_empty: bool) -> None:
    """Create the demo organisation (never in production)."""
    from app.synthetic.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, has_data, seed_demo

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


@click.command("create-admin")
@with_appcontext
@click.argument("username")
@click.option("--email", default=None)
@click.option("--name", "full_name", default="Quản trị hệ thống")
@click.password_option()
def create_admin_command(username: str, email: str | None, full_name: str, password: str) -> None:
    """Create an administrator account (the first account on a production server)."""
    from app.auth.models import User
    from app.auth.services import set_password
    from app.members.services import MemberError, check_email_free, check_username, normalize_email

    try:
        username = check_username(username)
        email = normalize_email(email)
        check_email_free(email)
    except MemberError as exc:
        raise click.ClickException(str(exc)) from None
    if len(password) < 8:
        raise click.ClickException("Mật khẩu cần ít nhất 8 ký tự.")
    user = User(username=username, email=email, is_admin=True)
    user.set_name(full_name)
    set_password(user, password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Đã tạo quản trị viên {username}.")


@click.command("check-integrity")
@with_appcontext
def check_integrity_command() -> None:
    """List data that violates a lock (written before locks were enforced); changes nothing."""
    from app.core.integrity import find_problems

    problems = find_problems()
    db.session.rollback()  # read only: nothing to keep
    if not problems:
        click.echo(
            "Không thấy dữ liệu nào vi phạm khóa (tháng đã ký, năm đã khóa sổ, kết quả đã công nhận, khung đang dùng)."
        )
        return
    click.echo(f"Có {len(problems)} trường hợp dữ liệu được ghi sau khi đã khóa (lệnh này không sửa gì):")
    for problem in problems:
        click.echo(problem.line())
    raise SystemExit(1)
