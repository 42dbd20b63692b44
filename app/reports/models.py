"""Tables of the reports (issue 7): the member-month figures the dashboards add up. (Who read
whose diary is app.audit's DiaryRead.)"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, false
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import db, utcnow

# ---- the figures of the reports, kept up to date (app/reports/stats.py) ---------------------------


class MemberMonthStats(db.Model):
    """A member's month in a branch, counted once: diary entries, how their review went, how many
    were commended, the last deed. The reports add these up instead of reading a year of entries
    (a Đoàn Khối of 3,000 members writes about a million a year).

    Rows are recomputed from the entries whenever an entry of that member-month changes (a row in
    `report_stale`, written in the same transaction as the change) and built for a whole branch
    and year the first time a report needs them (`report_built`).
    """

    __tablename__ = "report_member_months"
    # Kept in key order on SQLite (a branch's year is read as one run of rows).
    __table_args__ = {"sqlite_with_rowid": False}

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    # Diary entries (submitted, sent back for revision, reviewed; never drafts) by deed date.
    entries: Mapped[int] = mapped_column(default=0)
    # Of them, answered (reviewed, or sent back) within 7 days of their latest sending, or later.
    answered_in_time: Mapped[int] = mapped_column(default=0)
    answered_late: Mapped[int] = mapped_column(default=0)
    exemplary: Mapped[int] = mapped_column(default=0)
    last_deed: Mapped[date | None]
    # The month is signed off (a signed MonthReview; changes to month reviews mark it stale too).
    signed: Mapped[bool] = mapped_column(default=False, server_default=false())
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaleMemberMonth(db.Model):
    """A member-month whose entries (or month review) changed since its MemberMonthStats row was
    computed. Appended by an ORM listener on every flush that touches an entry or a month review; the next report of a unit
    above recomputes those member-months and deletes these rows. Duplicates are harmless.
    """

    __tablename__ = "report_stale"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(index=True)
    user_id: Mapped[int]
    year: Mapped[int]
    month: Mapped[int]


class BuiltBranchYear(db.Model):
    """The MemberMonthStats of a branch for a year were built from its entries (after which the
    listener keeps them current). A branch-year without this row is built by the next report."""

    __tablename__ = "report_built"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    built_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnitMonthStats(db.Model):
    """A unit's month over its whole subtree: for a branch, its MemberMonthStats rows added up with
    its entries still waiting for review; for a unit above, its children's rows added up. A
    dashboard reads one row per child unit and month instead of one per member.

    Kept with the unit's year (UnitYearStats) by app.reports.stats: a branch's rows, and those of
    every unit above it, are dropped whenever a member-month of the branch is recomputed, a
    membership or a plan of the branch changes, or the year row's `valid_until` has passed, and
    are computed again, branches first, by the next report.
    """

    __tablename__ = "report_unit_months"
    __table_args__ = {"sqlite_with_rowid": False}

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    entries: Mapped[int] = mapped_column(default=0)
    answered_in_time: Mapped[int] = mapped_column(default=0)
    answered_late: Mapped[int] = mapped_column(default=0)
    exemplary: Mapped[int] = mapped_column(default=0)
    # Members who wrote in the month; of them, those whose month is signed off; those commended.
    writers: Mapped[int] = mapped_column(default=0)
    signed: Mapped[int] = mapped_column(default=0)
    commended: Mapped[int] = mapped_column(default=0)
    # Entries of the month still waiting for review and sent 7 days or more before `computed_at`
    # of the year row (they are due: counted as not reviewed in time).
    waiting_due: Mapped[int] = mapped_column(default=0)


class UnitYearStats(db.Model):
    """A unit's year over its subtree: what cannot be added up from its months (members, distinct
    people), and until when the figures hold.

    `valid_until` is the first moment one of them changes by the clock alone: a waiting entry
    turns 7 days old, or the day ends (the 30-day writing window moves). For a unit above the
    branches it is the earliest of its children's. Past it, the rows are computed again.
    """

    __tablename__ = "report_unit_years"
    __table_args__ = {"sqlite_with_rowid": False}

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # Branches in the subtree (1 for a branch).
    branches: Mapped[int] = mapped_column(default=0)
    # Current members (every role but officer), and of them those with an approved plan this year.
    members: Mapped[int] = mapped_column(default=0)
    approved_plans: Mapped[int] = mapped_column(default=0)
    # Members commended (an exemplary entry) in the year and in each quarter.
    commended_year: Mapped[int] = mapped_column(default=0)
    commended_q1: Mapped[int] = mapped_column(default=0)
    commended_q2: Mapped[int] = mapped_column(default=0)
    commended_q3: Mapped[int] = mapped_column(default=0)
    commended_q4: Mapped[int] = mapped_column(default=0)
    # Members with an entry dated in the 30 days up to `computed_on` (the day, in Vietnam).
    wrote_recently: Mapped[int] = mapped_column(default=0)
    computed_on: Mapped[date]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    valid_until: Mapped[datetime]


def _waiting_index() -> Index:
    """Entries waiting for review, by branch and deed date, with when they were sent: whether a
    waiting entry is already 7 days old changes by the hour, so it is counted live, and this small
    partial index (a few weeks of entries) makes that an index-only scan."""
    from sqlalchemy import text

    from app.journal.models import Entry

    where = text("status = 'submitted'")
    return Index(
        "ix_entries_waiting_review",
        Entry.unit_id,
        Entry.deed_date,
        Entry.submitted_at,
        Entry.user_id,
        sqlite_where=where,
        postgresql_where=where,
    )


WAITING_INDEX = _waiting_index()


def _exemplary_index() -> Index:
    """Commended entries (a fraction of a percent) by branch and deed date: the commendation pages
    list them across a subtree without reading the year's entries."""
    from sqlalchemy import text

    from app.journal.models import Entry

    where = text("is_exemplary = true")
    return Index(
        "ix_entries_exemplary", Entry.unit_id, Entry.deed_date, sqlite_where=where, postgresql_where=where
    )


EXEMPLARY_INDEX = _exemplary_index()
