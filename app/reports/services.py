"""Reports for upper units: a dashboard over a unit's subtree, commendations, and diary reads.

The dashboard's figures are app.reports.figures' (the period they cover: app.reports.period),
the commendations app.reports.commendations'; their names are importable from here, where the
routes, the exports and the annual report find them. Left here: the units a person reports on,
and who read whose diary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import after_this_request
from sqlalchemy import select

from app.auth.models import User
from app.core import permissions
from app.core.db import db
from app.core.enums import Role
from app.core.filters import vn_date
from app.core.text import fold
from app.journal.models import Entry
from app.reports.commendations import (  # noqa: F401  (the names callers import from here)
    COMMENDATION_LIMIT,
    EXPORT_LIMIT,
    Commendation,
    Commendations,
    CommendedMember,
    GoldenBook,
    commendations,
    scope_choices,
    unit_in_subtree,
)
from app.reports.figures import (  # noqa: F401
    BRANCH_KINDS,
    Figures,
    MonthRow,
    RatingCount,
    RatingLevel,
    Report,
    UnitRow,
    build_report,
    rating_distribution,
    subtree_branch_ids,
)
from app.reports.models import DiaryRead
from app.reports.period import PERIOD_CHOICES, ROMAN, Period, parse_period, report_years  # noqa: F401
from app.units.models import Unit

# ---- the units a person may report on ----------------------------------------------------------


def report_units(user: User) -> list[Unit]:
    """The units whose reports the user opens from the navigation: the units they are an officer
    of, the branches they lead, and for an administrator the top units; by name."""
    if user.is_admin:
        found = list(db.session.scalars(select(Unit).where(Unit.parent_id.is_(None))))
    else:
        found = [
            m.unit
            for m in user.memberships
            if m.role is Role.OFFICER or (m.role.manages_branch and m.unit.kind.is_branch)
        ]
        # An officer of a unit and of one under it: the upper one covers both.
        found = [u for u in found if not any(o.id != u.id and u.is_within(o) for o in found)]
    return sorted({u.id: u for u in found}.values(), key=lambda u: (u.depth, fold(u.name)))


# ---- diary reads ------------------------------------------------------------------------------

READ_LABELS = {
    "month": "sổ nhật ký tháng",
    "timeline": "dòng thời gian sổ nhật ký",
    "year": "sổ nhật ký cả năm",
    "search": "kết quả tìm kiếm trong sổ nhật ký",
    "entry": "bài nhật ký",
    "evidence": "minh chứng của bài nhật ký",
    "plan": "kế hoạch",
    "review": "sổ nhật ký tháng",
}


def read_is_logged(reader: User, owner: User, unit: Unit) -> bool:
    """Whether `reader` opening `owner`'s diary in the branch `unit` is written down.

    Officers of the units above and administrators: yes, every time (issue 7). The member: no.
    The branch's own secretary and deputies: no — reading the diaries of their branch is their
    monthly review, the reason the diary is kept; it is expected, happens on every review, and
    what they do with it (comments, revision requests, sign-off) is already in the audit log.
    Logging it too would fill the member's page with the expected and hide the unusual reads the
    page is there to show.
    """
    if not getattr(reader, "is_authenticated", False) or reader.id == owner.id:
        return False
    role = permissions.role_in(reader, unit)
    return role is None or not role.manages_branch


def reader_capacity(reader: User, unit: Unit) -> str:
    """ "Cán bộ Đoàn Khối các Cơ quan tỉnh Sóc Trăng", "Quản trị hệ thống": why the reader could
    read, as the member is shown it (the nearest unit above the branch the reader is an officer of)."""
    officer_units = [
        m.unit for m in reader.memberships if m.role is Role.OFFICER and unit.path.startswith(m.unit.path)
    ]
    if officer_units:
        nearest = max(officer_units, key=lambda u: len(u.path))
        return f"Cán bộ {nearest.name}"
    if reader.is_admin:
        return "Quản trị hệ thống"
    return ""


def log_diary_read(
    owner: User,
    unit: Unit,
    what: str,
    *,
    object_id: int | None = None,
    year: int | None = None,
    month: int | None = None,
    reader: User | None = None,
) -> None:
    """Write down that the current user opened a page of `owner`'s diary in the branch `unit`
    (when read_is_logged says so). Called once by each view that shows a diary; the row is
    written and committed after the page was produced, and only if it was (status 200)."""
    from flask_login import current_user

    reader = reader or current_user
    if not read_is_logged(reader, owner, unit):
        return
    row = DiaryRead(
        reader_id=reader.id,
        owner_id=owner.id,
        unit_id=unit.id,
        what=what if what in READ_LABELS else "month",
        object_id=object_id,
        year=year,
        month=month,
        reader_capacity=reader_capacity(reader, unit)[:255],
    )

    @after_this_request
    def _write(response):
        if response.status_code == 200:
            db.session.add(row)
            db.session.commit()
        return response


@dataclass
class ReadItem:
    """One or more reads in a row of the same page by the same reader, as the member sees them."""

    reader_name: str
    capacity: str
    unit_name: str
    what: str
    first_at: datetime
    last_at: datetime
    times: int = 1


def describe_read(row: DiaryRead, deed_date: date | None = None) -> str:
    """What was read, to follow "đã xem": "sổ nhật ký tháng 5/2026", "bài nhật ký ngày 08/05/2026",
    "kế hoạch năm 2026", … (`deed_date`: the entry's, for an entry or its evidence)."""
    label = READ_LABELS.get(row.what, row.what)
    if row.what in ("month", "review") and row.year and row.month:
        return f"{label} {row.month}/{row.year}" + (" (màn hình nhận xét)" if row.what == "review" else "")
    if row.what in ("year", "plan") and row.year:
        return f"{label} năm {row.year}"
    if row.what in ("entry", "evidence") and deed_date is not None:
        return f"{label} ngày {vn_date(deed_date)}"
    return label


def _entry_dates(rows: list[DiaryRead]) -> dict[int, date]:
    ids = {r.object_id for r in rows if r.what in ("entry", "evidence") and r.object_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(Entry.id, Entry.deed_date).where(Entry.id.in_(ids))).all())


READ_PAGE = 50


def reads_of(
    owner: User, before_id: int | None = None, size: int = READ_PAGE
) -> tuple[list[ReadItem], int | None]:
    """Who read the owner's diary, newest first: `size` reads older than the read `before_id`.
    Consecutive reads of the same page by the same person are shown once, with how many times.
    Returns the items and the id to continue from (None at the end). Three queries."""
    stmt = (
        select(DiaryRead)
        .where(DiaryRead.owner_id == owner.id)
        .order_by(DiaryRead.read_at.desc(), DiaryRead.id.desc())
    )
    if before_id:
        stmt = stmt.where(DiaryRead.id < before_id)
    rows = list(db.session.scalars(stmt.limit(size + 1)))
    more = rows[size - 1].id if len(rows) > size else None
    rows = rows[:size]
    days = _entry_dates(rows)
    items: list[ReadItem] = []
    last_key = None
    for r in rows:
        what = describe_read(r, days.get(r.object_id))
        key = (r.reader_id, r.unit_id, what)
        if key == last_key:
            items[-1].times += 1
            items[-1].first_at = r.read_at
            continue
        items.append(ReadItem(r.reader.full_name, r.reader_capacity, r.unit.name, what, r.read_at, r.read_at))
        last_key = key
    return items, more
