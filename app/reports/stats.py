"""The member-month figures behind the reports (report_member_months), kept current.

A Đoàn Khối of 3,000 members writes about a million entries a year; adding them up on every
view of a dashboard takes seconds. So each member's month in a branch is counted once
(MemberMonthStats: entries, how many were answered within 7 days or later, commended, the last
deed, whether the month is signed off), and the reports GROUP BY those rows (≈ 12 per member a year) instead.

Keeping them current:
- an ORM listener (after_flush) appends a StaleMemberMonth row for every member-month whose
  entries (the deed date's old month too) or month review a flush inserted, changed or deleted, in the same
  transaction as the change: every write of the app goes through the ORM (app.journal,
  app.review services, the demo);
- before a report reads the figures of a subtree, refresh() claims the stale rows of that subtree
  (DELETE … RETURNING), recomputes those member-months from the entries in one grouped query, and
  builds from scratch the branch-years never built (BuiltBranchYear): a database filled by bulk
  inserts that bypass the ORM (`flask seed-bench`, benchmarks) is counted on first use, and
  `flask reports-rebuild` rebuilds everything after a direct change to the database;
- on PostgreSQL refreshes take a transaction-level advisory lock, so two of them never interleave
  (a refresh claims, then recomputes from data at least as new as what it claimed); on SQLite the
  single writer does the same, and a refresh that collides with another gives way to it.

The stale rows, the claiming, the lock and the built marks are app.core.summary_cache's, the same
as the branch dashboard's coverage counts (app.dashboard.coverage). What is counted lives beside this
module: app.reports.definitions (an answered entry, waiting, commended), member_months (a member's
month from the entries), unit_rows (the units' rows from the member-months).

What depends on the clock (an entry still waiting for review becomes "due" when it is 7 days old)
is not stored: those entries are counted live, from a small partial index (WAITING_INDEX).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, delete, inspect, select
from sqlalchemy.orm import Session

from app.core.db import db, utcnow
from app.core.enums import UnitKind
from app.core.summary_cache import SummaryCache
from app.journal.models import Entry
from app.plans.models import Plan
from app.reports import member_months, unit_rows
from app.reports.definitions import PLAN_MONTH, chunks
from app.reports.models import (
    BuiltBranchYear,
    MemberMonthStats,
    StaleMemberMonth,
    UnitMonthStats,
    UnitYearStats,
)
from app.review.models import MonthReview
from app.units.models import Membership, Unit

CACHE = SummaryCache(
    stale=StaleMemberMonth,
    keys=("unit_id", "user_id", "year", "month"),
    built=BuiltBranchYear,
    lock_key=7_000_007,  # pg_advisory_xact_lock: one refresh of the report figures at a time
    label="Report figures",
)


# ---- marking member-months stale ---------------------------------------------------------------


def _entry_keys(entry: Entry) -> set[tuple[int, int, int, int]]:
    days = [entry.deed_date, *inspect(entry).attrs.deed_date.history.deleted]
    return {(entry.unit_id, entry.user_id, d.year, d.month) for d in days if d is not None}


def _object_keys(obj) -> set[tuple[int, int, int, int]]:
    """The member-months (unit, member, year, month) a flushed object's change touches."""
    if getattr(obj, "unit_id", None) is None or getattr(obj, "user_id", None) is None:
        return set()
    if isinstance(obj, Entry):
        return _entry_keys(obj)
    if isinstance(obj, MonthReview):
        return {(obj.unit_id, obj.user_id, obj.year, obj.month)}
    if isinstance(obj, Plan):
        # Approved plans are counted per branch and year (UnitYearStats).
        return {(obj.unit_id, obj.user_id, obj.year, PLAN_MONTH)}
    if isinstance(obj, Membership):
        # Joining, leaving or becoming an officer changes whose months count: every month of
        # that person in that unit (year and month 0: all of them).
        return {(obj.unit_id, obj.user_id, 0, 0)}
    return set()


@CACHE.marks
def _stale_keys(session: Session, objects: list) -> set[tuple[int, int, int, int]]:
    """Every member-month whose entries or month review this flush touched (same transaction)."""
    if any(isinstance(obj, Unit) for obj in objects):
        # A unit added, moved or removed: the rows of the units above the branches add up other
        # children now. They are computed again (from the branches' rows) by the next report.
        above = select(Unit.id).where(Unit.kind.not_in([k for k in UnitKind if k.is_branch]))
        for model in (UnitYearStats, UnitMonthStats):
            session.connection().execute(delete(model).where(model.unit_id.in_(above)))
    keys: set[tuple[int, int, int, int]] = set()
    for obj in objects:
        keys |= _object_keys(obj)
    return keys


# ---- refreshing ----------------------------------------------------------------------------------


def refresh(unit: Unit, years: Iterable[int], *, commit: bool = True) -> None:
    """Bring the figures of `unit`'s subtree up to date for `years`. Two small queries when nothing
    changed (no stale member-month in the subtree, and the unit's own rows still hold: a unit's
    rows are dropped with any row below it, and hold no longer than any of them). Otherwise the
    stale member-months and the branch-years never built are recomputed, then the rows
    (UnitMonthStats, UnitYearStats) of every branch that changed or whose time has passed, then
    those of the units above them, the deepest first; and all of it committed — or, with
    commit=False (inside someone else's transaction, such as a document being made), written in a
    savepoint that the caller's commit keeps."""
    years = sorted(set(years))
    now = utcnow()
    subtree = select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))
    stale = db.session.scalar(select(CACHE.first_stale(StaleMemberMonth.unit_id.in_(subtree))))
    if stale is None and len(unit_rows.fresh_rows([unit.id], years, now)) == len(years):
        return
    CACHE.refresh(lambda: _refresh(subtree, years, now), commit=commit)


def _refresh(subtree: Select, years: list[int], now: datetime) -> None:
    units = {
        i: (parent_id, path, kind)
        for i, parent_id, path, kind in db.session.execute(
            select(Unit.id, Unit.parent_id, Unit.path, Unit.kind).where(Unit.id.in_(subtree))
        )
    }
    branches = select(Unit.id).where(
        Unit.id.in_(subtree), Unit.kind.in_([k for k in UnitKind if k.is_branch])
    )
    claimed = CACHE.claim(StaleMemberMonth.unit_id.in_(subtree))
    rebuilt, rows = _build_missing(units, branches, years, now)
    keys = sorted({tuple(k) for k in claimed if (k[0], k[2]) not in rebuilt and k[3] != PLAN_MONTH})
    if keys:
        rows += member_months.recompute(keys, now)
    member_months.write(rows)
    touched = rebuilt | {(k[0], k[2]) for k in claimed}  # all in the subtree (claimed by it)
    unit_rows.refresh_rows(units, subtree, years, now, touched)


def _build_missing(
    units: dict[int, tuple], branches: Select, years: list[int], now: datetime
) -> tuple[set[tuple[int, int]], list[dict]]:
    """Count whole the branch-years of the subtree never built (read again under the lock): the
    (branch, year) pairs built, and their member-month rows."""
    built = CACHE.built_parts(branches, years)
    branch_ids = [i for i, (_p, _path, kind) in units.items() if kind.is_branch]
    rebuilt: set[tuple[int, int]] = set()
    rows: list[dict] = []
    for year in years:
        missing = [b for b in branch_ids if (b, year) not in built]
        for chunk in chunks(missing):
            rows += member_months.count_branches(chunk, year, now)
            CACHE.mark_built([(b, year) for b in chunk], built_at=now)
        rebuilt |= {(b, year) for b in missing}
    return rebuilt, rows


def rebuild_all() -> int:
    """Forget every figure and build them again from the entries (`flask reports-rebuild`); the
    next report of each unit rebuilds its branches. Returns how many member-months were dropped."""
    dropped = db.session.execute(delete(MemberMonthStats)).rowcount
    db.session.execute(delete(UnitMonthStats))
    db.session.execute(delete(UnitYearStats))
    CACHE.forget()
    db.session.commit()
    return dropped or 0
