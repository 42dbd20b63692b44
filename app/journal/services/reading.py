"""Reading the diary: a month, the timeline, search, the year's counts, streak and heatmap."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload, selectinload

from app.auth.models import User
from app.core.db import db
from app.core.enums import EntryStatus
from app.core.filters import today_local
from app.core.text import fold
from app.journal.models import Entry
from app.plans.models import Commitment
from app.units.models import Unit

# ---- reading ------------------------------------------------------------------------------------


def diary_entries(owner: User, unit: Unit) -> Select[tuple[Entry]]:
    """The member's entries in the branch, newest deed first.

    Every entry's author is `owner`, already loaded: entry.user comes from the session, not from
    a join repeated on every row (which also reloaded the owner's memberships: one more query)."""
    return (
        select(Entry)
        .where(Entry.user_id == owner.id, Entry.unit_id == unit.id)
        # The commitments are shown by their label: without their standards (and the standards'
        # units) joined onto every one of them.
        .options(lazyload(Entry.user), selectinload(Entry.commitments).lazyload(Commitment.standard))
        .order_by(Entry.deed_date.desc(), Entry.id.desc())
    )


def month_entries(owner: User, unit: Unit, year: int, month: int) -> list[Entry]:
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    return list(
        db.session.scalars(
            diary_entries(owner, unit).where(Entry.deed_date >= first, Entry.deed_date <= last)
        )
    )


def search(owner: User, unit: Unit, query: str, limit: int = 50) -> list[Entry]:
    """Entries whose text contains every word of `query`, ignoring case and diacritics (đ too)."""
    words = [w for w in fold(query).split() if w][:8]
    if not words:
        return []
    stmt = diary_entries(owner, unit)
    for word in words:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Entry.search_text.like(f"%{escaped}%", escape="\\"))
    return list(db.session.scalars(stmt.limit(limit)))


def timeline_page(owner: User, unit: Unit, before: tuple[date, int] | None, size: int = 20):
    """A page of the timeline, newest first, continuing below `before` (keyset pagination)."""
    stmt = diary_entries(owner, unit)
    if before is not None:
        day, entry_id = before
        stmt = stmt.where((Entry.deed_date < day) | ((Entry.deed_date == day) & (Entry.id < entry_id)))
    rows = list(db.session.scalars(stmt.limit(size + 1)))
    more = len(rows) > size
    return rows[:size], more


def day_counts(owner: User, unit: Unit, year: int, submitted_only: bool = False) -> dict[date, int]:
    """Entries per day of the year, in one grouped query."""
    stmt = (
        select(Entry.deed_date, func.count())
        .where(
            Entry.user_id == owner.id,
            Entry.unit_id == unit.id,
            Entry.deed_date >= date(year, 1, 1),
            Entry.deed_date <= date(year, 12, 31),
        )
        .group_by(Entry.deed_date)
    )
    if submitted_only:
        stmt = stmt.where(Entry.status.in_(EntryStatus.in_diary()))
    return {day: count for day, count in db.session.execute(stmt).all()}


def week_streak(days: set[date], today: date | None = None) -> int:
    """Consecutive weeks (Monday to Sunday) with at least one entry, up to this week.

    The current week does not break the streak before it is over.
    """
    today = today or today_local()
    weeks = {d - timedelta(days=d.weekday()) for d in days}
    monday = today - timedelta(days=today.weekday())
    if monday not in weeks:
        monday -= timedelta(days=7)
    streak = 0
    while monday in weeks:
        streak += 1
        monday -= timedelta(days=7)
    return streak


@dataclass
class HeatCell:
    day: date
    count: int
    level: int  # 0–4


def heatmap(counts: dict[date, int], year: int) -> list[list[HeatCell | None]]:
    """Weeks (columns) × weekdays (rows) of the year, each day with its level 0–4."""
    start = date(year, 1, 1)
    end = date(year, 12, 31)
    first_monday = start - timedelta(days=start.weekday())
    weeks: list[list[HeatCell | None]] = []
    day = first_monday
    while day <= end:
        week: list[HeatCell | None] = []
        for _ in range(7):
            if start <= day <= end:
                count = counts.get(day, 0)
                level = 0 if count == 0 else 1 if count == 1 else 2 if count == 2 else 3 if count <= 4 else 4
                week.append(HeatCell(day, count, level))
            else:
                week.append(None)
            day += timedelta(days=1)
        weeks.append(week)
    return weeks
