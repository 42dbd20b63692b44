"""flask import-members: the administrators' import, with the same per-row report as the web page;
flask create-admin: an administrator account (the first one on a production server)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.core.db import db
from app.core.numbers import format_number
from app.members import importing
from app.units.models import Unit


@click.command("import-members")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--unit", "unit_code", required=True, help="Mã đơn vị nhận danh sách (đơn vị gốc của tệp).")
@click.option("--dry-run", is_flag=True, help="Chỉ kiểm tra và in báo cáo, không ghi gì.")
def import_members_command(file: str, unit_code: str, dry_run: bool) -> None:
    """Import members from .xlsx or .csv into a unit (and the units under it)."""
    unit = db.session.scalar(select(Unit).where(func.upper(Unit.code) == unit_code.strip().upper()))
    if unit is None:
        raise click.ClickException(f"Không có đơn vị mã “{unit_code}”.")
    path = Path(file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"Không đọc được tệp {path.name}: {exc.strerror}.") from None
    try:
        kind = importing.detect_kind(path.name, data)
        table = importing.read_table(data, kind)
    except importing.ImportFileError as exc:
        raise click.ClickException(str(exc)) from None

    actor = importing.system_actor()
    report = importing.check_rows(actor, unit, table)
    click.echo(f"Nhập vào {unit.name} ({unit.code}) từ {path.name}, dòng tiêu đề: {report.header_line}.")
    for line in report.problem_lines():
        click.echo(line)
    click.echo(report.summary())
    if dry_run:
        click.echo("Chạy thử (--dry-run): không ghi gì vào cơ sở dữ liệu.")
        return
    if not report.good:
        click.echo("Không có dòng hợp lệ nào để nhập.")
        return
    try:
        users = importing.import_rows(actor, report)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise click.ClickException(
            "Dữ liệu vừa thay đổi trong lúc nhập nên chưa nhập ai; hãy chạy lại."
        ) from None
    click.echo(
        f"Đã nhập {format_number(len(users))} người. Lời mời kích hoạt chưa được gửi: hãy gửi ở trang cá nhân của từng người."
    )


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
