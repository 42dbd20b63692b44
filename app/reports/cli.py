"""flask reports-rebuild: count the report figures again from the entries."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext


@click.command("reports-rebuild")
@with_appcontext
@click.option(
    "--year", "years", type=int, multiple=True, help="Năm cần tính ngay (mặc định: năm nay và năm trước)."
)
def reports_rebuild_command(years: tuple[int, ...]) -> None:
    """Rebuild the member-month figures of the reports from the entries (after changing the
    database directly, or importing in bulk), and count the given years at once."""
    from sqlalchemy import select

    from app.core.db import db
    from app.core.filters import today_local, vn_number
    from app.dashboard import coverage
    from app.reports import stats
    from app.reports.models import MemberMonthStats
    from app.units.models import Unit

    started = time.perf_counter()
    dropped = stats.rebuild_all()
    coverage.forget_all()  # the branch dashboards count their years again on first use
    this_year = today_local().year
    years = years or (this_year - 1, this_year)
    for root in db.session.scalars(select(Unit).where(Unit.parent_id.is_(None))).all():
        stats.refresh(root, years)
    count = db.session.scalar(select(db.func.count()).select_from(MemberMonthStats))
    click.echo(
        f"Đã tính lại số liệu báo cáo trong {vn_number(time.perf_counter() - started, 1)} giây: "
        f"{vn_number(count)} tháng của thành viên (năm {', '.join(map(str, years))}); "
        f"{vn_number(dropped)} dòng cũ đã bỏ."
    )
