"""The branch dashboard's coverage counts (CoverageCount), kept current.

Coverage asks, for every member and every commitment of their working plan, how many diary entries
served it in each month of the year. Counting that from a year of a branch's entries and their
links to commitments took 10–15 ms on every view of the dashboard; the counts are kept instead:

- an ORM listener (after_flush) appends a StaleCoverage row for every member-year in a branch whose
  entries (the deed date's old year too), entry links or plans (their commitments) a flush inserted,
  changed or deleted, in the same transaction as the change: every write of the app goes through
  the ORM (app.journal, app.plans, app.review services, the demo);
- before the dashboard reads the counts of a branch and year, refresh() claims that branch's stale
  rows (DELETE … RETURNING), counts those member-years again in one grouped query, and builds the
  branch-year from scratch the first time (BuiltCoverage): a database filled by bulk inserts that
  bypass the ORM (`flask seed-bench`) is counted on first use, and `flask reports-rebuild` forgets
  every count after a direct change to the database;
- on PostgreSQL a refresh takes a transaction-level advisory lock, so two never interleave.

The stale rows, the claiming, the lock and the built marks are app.core.summary_cache's, the same as
the report figures' (app.reports.stats); this module says what is counted and what makes it stale.

The counts are by whole months; the dashboard reads the months up to its "as of" day, which is the
end of a month or today (entries are never dated after today: app.journal checks the deed date).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Integer, delete, func, insert, inspect, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from app.core.db import db
from app.core.enums import EntryStatus
from app.core.summary_cache import SummaryCache
from app.dashboard.models import ALL_ENTRIES, BuiltCoverage, CoverageCount, StaleCoverage
from app.journal.models import Entry, entry_commitments
from app.plans.models import Commitment, Plan

CHUNK = 500
CACHE = SummaryCache(
    stale=StaleCoverage,
    keys=("unit_id", "user_id", "year"),
    built=BuiltCoverage,
    lock_key=7_000_011,  # pg_advisory_xact_lock: one refresh of the coverage counts at a time
    label="Coverage counts",
)


# ---- marking member-years stale -------------------------------------------------------------------


def _entry_keys(entry: Entry) -> set[tuple[int, int, int]]:
    state = inspect(entry)
    days = [entry.deed_date, *state.attrs.deed_date.history.deleted]
    units = [entry.unit_id, *state.attrs.unit_id.history.deleted]
    users = [entry.user_id, *state.attrs.user_id.history.deleted]
    return {
        (u, p, d.year)
        for d in days
        if d is not None
        for u in units
        if u is not None
        for p in users
        if p is not None
    }


@CACHE.marks
def _stale_keys(session: Session, objects: list) -> set[tuple[int, int, int]]:
    """Every member-year whose counts this flush may have changed: its entries (the deed date's old
    year too), its plans, and the plans whose commitments were added, changed or removed."""
    keys: set[tuple[int, int, int]] = set()
    plan_ids: set[int] = set()
    for obj in objects:
        if isinstance(obj, Entry):
            keys |= _entry_keys(obj)
        elif isinstance(obj, Plan) and obj.unit_id is not None and obj.user_id is not None:
            keys.add((obj.unit_id, obj.user_id, obj.year))
        elif isinstance(obj, Commitment) and obj.plan_id is not None:
            plan_ids.add(obj.plan_id)
    if plan_ids:  # a commitment added, changed or removed: its plan's member-year
        keys |= set(
            session.connection()
            .execute(select(Plan.unit_id, Plan.user_id, Plan.year).where(Plan.id.in_(sorted(plan_ids))))
            .all()
        )
    return keys


# ---- counting -------------------------------------------------------------------------------------


class month_of(FunctionElement):
    """The month (1–12, an integer) of a date column.

    PostgreSQL: EXTRACT, cast (it gives a numeric: a Decimal object per row otherwise). SQLite
    stores dates as 'YYYY-MM-DD' text, and reading the two digits is cheaper than strftime(),
    which parses the whole date: a year of a branch's entries is grouped by it."""

    type = Integer()
    inherit_cache = True


@compiles(month_of)
def _month_of(element: month_of, compiler, **kw) -> str:
    return f"CAST(EXTRACT(MONTH FROM {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(month_of, "sqlite")
def _month_of_sqlite(element: month_of, compiler, **kw) -> str:
    return f"CAST(substr({compiler.process(element.clauses, **kw)}, 6, 2) AS INTEGER)"


def _counts_select(unit_id: int, year: int, users: list[int] | None = None):
    """(unit, year, member, lineage, month, entries) of the branch's diary entries of `year` (of
    `users` only, when given): per commitment lineage of the year's plans, and ALL_ENTRIES."""
    conditions = [
        Entry.unit_id == unit_id,
        Entry.status.in_(EntryStatus.in_diary()),
        Entry.deed_date >= date(year, 1, 1),
        Entry.deed_date <= date(year, 12, 31),
    ]
    if users is not None:
        conditions.append(Entry.user_id.in_(users))
    month = month_of(Entry.deed_date)
    # Only the links to the branch's commitments of the year are read (a range of the index per
    # commitment), then matched to the entries.
    links = (
        select(
            entry_commitments.c.entry_id,
            func.coalesce(Commitment.lineage_id, Commitment.id).label("lineage"),
        )
        .join(Commitment, Commitment.id == entry_commitments.c.commitment_id)
        .join(Plan, Plan.id == Commitment.plan_id)
        .where(Plan.unit_id == unit_id, Plan.year == year)
        .subquery()
    )
    per_lineage = (
        select(
            literal(unit_id),
            literal(year),
            Entry.user_id,
            links.c.lineage,
            month,
            func.count(func.distinct(Entry.id)),
        )
        .select_from(Entry)
        .join(links, links.c.entry_id == Entry.id)
        .where(*conditions)
        .group_by(Entry.user_id, links.c.lineage, month)
    )
    every = (
        select(literal(unit_id), literal(year), Entry.user_id, literal(ALL_ENTRIES), month, func.count())
        .where(*conditions)
        .group_by(Entry.user_id, month)
    )
    return union_all(per_lineage, every)


def _write(unit_id: int, year: int, users: list[int] | None = None) -> None:
    C = CoverageCount
    where = [C.unit_id == unit_id, C.year == year]
    if users is not None:
        where.append(C.user_id.in_(users))
    db.session.execute(delete(C).where(*where))
    rows = [
        {"unit_id": u, "year": y, "user_id": p, "lineage_id": lineage, "month": int(m), "entries": int(n)}
        for u, y, p, lineage, m, n in db.session.execute(_counts_select(unit_id, year, users))
    ]
    if rows:
        db.session.execute(insert(C.__table__), rows)


def refresh(unit_id: int, year: int) -> None:
    """Bring the counts of the branch `unit_id` for `year` up to date and commit them; one small
    query when nothing changed."""
    is_stale, is_built = db.session.execute(
        select(CACHE.first_stale(StaleCoverage.unit_id == unit_id), CACHE.is_built(unit_id, year))
    ).one()
    if is_stale is None and is_built is not None:
        return
    CACHE.refresh(lambda: _refresh(unit_id, year))


def _refresh(unit_id: int, year: int) -> None:
    claimed = CACHE.claim(StaleCoverage.unit_id == unit_id, returning=("user_id", "year"))
    built = {y for _u, y in CACHE.built_parts([unit_id], {year, *(y for _u, y in claimed)})}
    if year not in built:
        _write(unit_id, year)
        CACHE.mark_built([(unit_id, year)])
        built.add(year)
        claimed = [(u, y) for u, y in claimed if y != year]
    by_year: dict[int, set[int]] = {}
    for user_id, claimed_year in claimed:
        if claimed_year in built:  # a year never built is counted whole when it is first read
            by_year.setdefault(claimed_year, set()).add(user_id)
    for claimed_year, users in sorted(by_year.items()):
        ordered = sorted(users)
        for start in range(0, len(ordered), CHUNK):
            _write(unit_id, claimed_year, ordered[start : start + CHUNK])


def counts(unit_id: int, year: int, last_month: int) -> Iterable[tuple[int, int, int, int]]:
    """(member, lineage, month, entries) of the branch's year up to `last_month` (refresh first)."""
    C = CoverageCount
    return db.session.execute(
        select(C.user_id, C.lineage_id, C.month, C.entries).where(
            C.unit_id == unit_id, C.year == year, C.month <= last_month
        )
    ).all()


def forget_all() -> None:
    """Drop every count (`flask reports-rebuild`): each branch-year is counted again on first use."""
    db.session.execute(delete(CoverageCount))
    CACHE.forget()
