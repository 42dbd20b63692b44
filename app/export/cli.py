"""`flask export-book USERNAME YEAR OUTPUT.pdf`: a member's book, the same file the app makes."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.core.db import db


@click.command("export-book")
@with_appcontext
@click.argument("username")
@click.argument("year", type=int)
@click.argument("output", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option(
    "--unit", "unit_code", default=None, help="Mã chi đoàn/chi bộ, khi người này ghi sổ ở nhiều nơi."
)
def export_book_command(username: str, year: int, output: Path, unit_code: str | None) -> None:
    """Write the member's book for YEAR as a PDF (numbered and registered like a download from the app)."""
    from app.auth.models import User
    from app.core import permissions
    from app.core.filters import vn_number
    from app.export import services

    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"Không có tài khoản {username}.")
    diaries = permissions.diary_memberships(user)
    if unit_code:
        diaries = [m for m in diaries if m.unit.code == unit_code.strip().upper()]
    if not diaries:
        where = f" ở đơn vị {unit_code}" if unit_code else ""
        raise click.ClickException(f"{user.full_name} không ghi sổ nhật ký{where}.")
    if len(diaries) > 1:
        codes = ", ".join(m.unit.code for m in diaries)
        raise click.ClickException(f"{user.full_name} ghi sổ ở nhiều nơi ({codes}): chọn một bằng --unit.")
    try:
        result = services.export_member_book(None, user, diaries[0].unit, year, source="cli")
    except services.ExportError as exc:
        raise click.ClickException(str(exc)) from None
    output.write_bytes(result.pdf)
    db.session.commit()
    click.echo(
        f"Đã ghi {output} ({result.page_count} trang, {vn_number(len(result.pdf))} byte), "
        f"số văn bản {result.document.number}."
    )
