"""What the report figures count, in SQL: an answered entry, within 7 days, waiting, commended; and
the windows of days the figures use. Shared by the figures kept current (app.reports.stats,
member_months, unit_rows) and the reports that read them (app.reports.figures, commendations)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import case, func, literal_column, text

from app.core.db import db
from app.core.enums import EntryStatus
from app.core.filters import LOCAL_TZ
from app.journal.models import Entry

REVIEW_DAYS = 7
WRITE_WINDOW_DAYS = 30
CHUNK = 500
PLAN_MONTH = -1  # a StaleMemberMonth of a plan: the branch's year figures only, no member-month


def answered_at():
    """When the entry's latest sending was answered: marked reviewed, or sent back for revision."""
    return case(
        (Entry.status == EntryStatus.REVIEWED, Entry.reviewed_at),
        (Entry.status == EntryStatus.REVISION, Entry.revision_requested_at),
        else_=None,
    )


def within_days(later, earlier, days: int):
    """`later` is at most `days` days after `earlier` (timestamps), on SQLite and PostgreSQL."""
    if db.session.get_bind().dialect.name == "sqlite":
        return func.julianday(later) - func.julianday(earlier) <= days
    return later <= earlier + literal_column(f"interval '{int(days)} days'")


def waiting_condition():
    """Entries waiting for review, written as the partial index's own condition (a literal, so the
    planners of both databases use the index with any parameters)."""
    return text("entries.status = 'submitted'")


def exemplary_condition():
    """Commended entries, written as the partial index's own condition (see waiting_condition)."""
    return text("entries.is_exemplary = true")


def chunks(items: list, size: int = CHUNK):
    """`items` in slices of `size` (an IN list of a bounded length)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def next_midnight(now: datetime) -> datetime:
    """The end of `now`'s day in Vietnam, in UTC: the 30-day writing window moves then."""
    day = now.astimezone(LOCAL_TZ).date() + timedelta(days=1)
    return datetime.combine(day, time(0), LOCAL_TZ).astimezone(now.tzinfo)
