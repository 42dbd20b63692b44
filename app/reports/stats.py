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

What depends on the clock (an entry still waiting for review becomes "due" when it is 7 days old)
is not stored: those entries are counted live, from a small partial index (WAITING_INDEX).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from itertools import chain

from flask import current_app
from sqlalchemy import (
    Select,
    and_,
    case,
    delete,
    event,
    exists,
    extract,
    func,
    insert,
    inspect,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.db import db, utcnow
from app.core.enums import EntryStatus, PlanStatus, Role, UnitKind
from app.core.filters import LOCAL_TZ
from app.journal.models import Entry
from app.plans.models import Plan
from app.reports.models import (
    BuiltBranchYear,
    MemberMonthStats,
    StaleMemberMonth,
    UnitMonthStats,
    UnitYearStats,
)
from app.review.models import MonthReview
from app.units.models import Membership, Unit

REVIEW_DAYS = 7
WRITE_WINDOW_DAYS = 30
CHUNK = 500
PLAN_MONTH = -1  # a StaleMemberMonth of a plan: the branch's year figures only, no member-month
LOCK_KEY = 7_000_007  # pg_advisory_xact_lock: one refresh of the report figures at a time


# ---- what an answered entry is -----------------------------------------------------------------


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


# ---- marking member-months stale ---------------------------------------------------------------


def _keys(entry: Entry) -> set[tuple[int, int, int, int]]:
    days = [entry.deed_date, *inspect(entry).attrs.deed_date.history.deleted]
    return {(entry.unit_id, entry.user_id, d.year, d.month) for d in days if d is not None}


@event.listens_for(Session, "after_flush")
def _mark_stale(session: Session, _context) -> None:
    """Every member-month whose entries or month review this flush touched is stale (same
    transaction)."""
    keys: set[tuple[int, int, int, int]] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Entry) and obj.unit_id is not None and obj.user_id is not None:
            keys |= _keys(obj)
        elif isinstance(obj, MonthReview) and obj.unit_id is not None and obj.user_id is not None:
            keys.add((obj.unit_id, obj.user_id, obj.year, obj.month))
        elif isinstance(obj, Plan) and obj.unit_id is not None and obj.user_id is not None:
            # Approved plans are counted per branch and year (UnitYearStats).
            keys.add((obj.unit_id, obj.user_id, obj.year, PLAN_MONTH))
        elif isinstance(obj, Membership) and obj.unit_id is not None and obj.user_id is not None:
            # Joining, leaving or becoming an officer changes whose months count: every month of
            # that person in that unit (year and month 0: all of them).
            keys.add((obj.unit_id, obj.user_id, 0, 0))
    if any(isinstance(obj, Unit) for obj in chain(session.new, session.dirty, session.deleted)):
        # A unit added, moved or removed: the rows of the units above the branches add up other
        # children now. They are computed again (from the branches' rows) by the next report.
        above = select(Unit.id).where(Unit.kind.not_in([k for k in UnitKind if k.is_branch]))
        for model in (UnitYearStats, UnitMonthStats):
            session.connection().execute(delete(model).where(model.unit_id.in_(above)))
    if keys:
        session.connection().execute(
            insert(StaleMemberMonth.__table__),
            [{"unit_id": u, "user_id": p, "year": y, "month": m} for u, p, y, m in sorted(keys)],
        )


# ---- recomputing ---------------------------------------------------------------------------------


def _stats_select(*conditions) -> Select:
    """(unit, member, year, month, entries, answered in time, answered late, commended, last deed)
    of the diary entries matching `conditions`, one grouped query."""
    answered = answered_at()
    sent = Entry.submitted_at.is_not(None)
    in_time = and_(sent, answered.is_not(None), within_days(answered, Entry.submitted_at, REVIEW_DAYS))
    # Reviewed or sent back, but not within 7 days (or when is not known): answered late.
    late = and_(
        sent,
        Entry.status.in_((EntryStatus.REVIEWED, EntryStatus.REVISION)),
        or_(answered.is_(None), ~within_days(answered, Entry.submitted_at, REVIEW_DAYS)),
    )
    year, month = extract("year", Entry.deed_date), extract("month", Entry.deed_date)
    return (
        select(
            Entry.unit_id,
            Entry.user_id,
            year,
            month,
            func.count(),
            func.sum(case((in_time, 1), else_=0)),
            func.sum(case((late, 1), else_=0)),
            func.sum(case((Entry.is_exemplary.is_(True), 1), else_=0)),
            func.max(Entry.deed_date),
        )
        .where(
            Entry.status.in_(EntryStatus.in_diary()),
            # Only the months of the branch's current members (not officers) are kept.
            exists().where(
                Membership.user_id == Entry.user_id,
                Membership.unit_id == Entry.unit_id,
                Membership.role != Role.OFFICER,
            ),
            *conditions,
        )
        .group_by(Entry.unit_id, Entry.user_id, year, month)
    )


def _row(values, now: datetime) -> dict:
    unit_id, user_id, year, month, entries, in_time, late, exemplary, last = values
    if isinstance(last, str):  # SQLite hands back max() of a date column as text
        last = date.fromisoformat(last)
    return {
        "unit_id": unit_id,
        "user_id": user_id,
        "year": int(year),
        "month": int(month),
        "entries": int(entries),
        "answered_in_time": int(in_time or 0),
        "answered_late": int(late or 0),
        "exemplary": int(exemplary or 0),
        "last_deed": last,
        "computed_at": now,
    }


def _signed(*conditions) -> set[tuple[int, int, int, int]]:
    """(unit, member, year, month) of the signed-off months matching `conditions`."""
    return {
        (u, p, y, m)
        for u, p, y, m in db.session.execute(
            select(MonthReview.unit_id, MonthReview.user_id, MonthReview.year, MonthReview.month).where(
                MonthReview.signed_at.is_not(None), *conditions
            )
        )
    }


def _mark_signed(rows: list[dict], signed: set[tuple[int, int, int, int]]) -> list[dict]:
    for row in rows:
        row["signed"] = (row["unit_id"], row["user_id"], row["year"], row["month"]) in signed
    return rows


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _lock() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))


def _built(branches: Select, years: list[int]) -> set[tuple[int, int]]:
    return set(
        db.session.execute(
            select(BuiltBranchYear.unit_id, BuiltBranchYear.year).where(
                BuiltBranchYear.unit_id.in_(branches), BuiltBranchYear.year.in_(years)
            )
        ).all()
    )


def _fresh_rows(unit_ids: Select | list[int], years: list[int], now: datetime) -> set[tuple[int, int]]:
    """(unit, year) among `unit_ids` whose UnitYearStats (and months) still hold at `now`."""
    return set(
        db.session.execute(
            select(UnitYearStats.unit_id, UnitYearStats.year).where(
                UnitYearStats.unit_id.in_(unit_ids),
                UnitYearStats.year.in_(years),
                UnitYearStats.valid_until > now,
            )
        ).all()
    )


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
    stale = db.session.scalar(
        select(StaleMemberMonth.id).where(StaleMemberMonth.unit_id.in_(subtree)).limit(1)
    )
    if stale is None and len(_fresh_rows([unit.id], years, now)) == len(years):
        return
    try:
        if commit:
            _refresh(unit, subtree, years, now)
            db.session.commit()
        else:
            with db.session.begin_nested():
                _refresh(unit, subtree, years, now)
    except IntegrityError as exc:  # another refresh (SQLite) wrote the same rows first: theirs stand
        if commit:
            db.session.rollback()
        current_app.logger.warning("Report figures refreshed elsewhere at the same time: %s", exc.orig)


def _refresh(unit: Unit, subtree: Select, years: list[int], now: datetime) -> None:
    units = {
        i: (parent_id, path, kind)
        for i, parent_id, path, kind in db.session.execute(
            select(Unit.id, Unit.parent_id, Unit.path, Unit.kind).where(Unit.id.in_(subtree))
        )
    }
    branch_ids = [i for i, (_p, _path, kind) in units.items() if kind.is_branch]
    branches = select(Unit.id).where(
        Unit.id.in_(subtree), Unit.kind.in_([k for k in UnitKind if k.is_branch])
    )
    _lock()
    claimed = db.session.execute(
        delete(StaleMemberMonth)
        .where(StaleMemberMonth.unit_id.in_(subtree))
        .returning(
            StaleMemberMonth.unit_id, StaleMemberMonth.user_id, StaleMemberMonth.year, StaleMemberMonth.month
        )
    ).all()
    built = _built(branches, years)  # again, under the lock
    missing: dict[int, list[int]] = defaultdict(list)
    for y in years:
        for b in branch_ids:
            if (b, y) not in built:
                missing[y].append(b)
    rows: list[dict] = []
    for year, ids in missing.items():
        for chunk in _chunks(ids):
            db.session.execute(
                delete(MemberMonthStats).where(
                    MemberMonthStats.unit_id.in_(chunk), MemberMonthStats.year == year
                )
            )
            computed = [
                _row(r, now)
                for r in db.session.execute(
                    _stats_select(
                        Entry.unit_id.in_(chunk),
                        Entry.deed_date >= date(year, 1, 1),
                        Entry.deed_date <= date(year, 12, 31),
                    )
                )
            ]
            rows += _mark_signed(computed, _signed(MonthReview.unit_id.in_(chunk), MonthReview.year == year))
            db.session.execute(
                insert(BuiltBranchYear.__table__),
                [{"unit_id": b, "year": year, "built_at": now} for b in chunk],
            )
    rebuilt = {(b, y) for y, ids in missing.items() for b in ids}
    keys = sorted({tuple(k) for k in claimed if (k[0], k[2]) not in rebuilt and k[3] != PLAN_MONTH})
    if keys:
        rows += _recompute(keys, now)
    # A member-month may come both from a branch-year built and from a member recomputed whole:
    # the same count from the same entries, kept once.
    rows = list({(r["unit_id"], r["user_id"], r["year"], r["month"]): r for r in rows}.values())
    for batch in _chunks(rows, 2000):
        db.session.execute(insert(MemberMonthStats.__table__), batch)
    if len(rows) > 10_000 and db.session.get_bind().dialect.name == "postgresql":
        # A big first build: fresh planner statistics now, as autovacuum would do later.
        db.session.execute(text("ANALYZE report_member_months"))

    # The unit rows: those of every branch-year touched above are dropped with the rows of every
    # unit above that branch (a membership's change, year 0, touches all the years); then the rows
    # of the subtree that are missing or past their time are computed again: the branches, then
    # the units above them, the deepest first, from their children's rows.
    touched = rebuilt | {(k[0], k[2]) for k in claimed}  # all in the subtree (claimed by it)
    _drop_rows(
        {(ancestor, year) for b, year in touched if b in units for ancestor in _ids_in_path(units[b][1])}
    )
    fresh = _fresh_rows(subtree, years, now)
    for year in years:
        due = [b for b in branch_ids if (b, year) not in fresh]
        for chunk in _chunks(due):
            _rollup(chunk, year, now)
        above = [i for i, (_p, _path, kind) in units.items() if not kind.is_branch and (i, year) not in fresh]
        for depth in sorted({units[i][1].count("/") for i in above}, reverse=True):
            level = [i for i in above if units[i][1].count("/") == depth]
            for chunk in _chunks(level):
                _add_up(chunk, year, now)


def _ids_in_path(path: str) -> list[int]:
    """The unit and every unit above it, from its materialised path ("/1/4/9/")."""
    return [int(part) for part in path.strip("/").split("/") if part]


def _drop_rows(pairs: set[tuple[int, int]]) -> None:
    """Forget the rows of (unit, year) pairs; year 0: every year of that unit."""
    whole = {u for u, y in pairs if y == 0}
    some = sorted({(u, y) for u, y in pairs if y != 0 and u not in whole})
    whole = sorted(whole)
    for model in (UnitYearStats, UnitMonthStats):
        for chunk in _chunks(whole):
            db.session.execute(delete(model).where(model.unit_id.in_(chunk)))
        for chunk in _chunks(some):
            db.session.execute(delete(model).where(tuple_(model.unit_id, model.year).in_(chunk)))


def _add_up(unit_ids: list[int], year: int, now: datetime) -> None:
    """The rows of units above the branches (`unit_ids`, all at one depth) for `year`: the sums of
    their children's rows, computed already (two grouped queries). A unit without children gets
    zeros, valid until the day ends."""
    Y, M = UnitYearStats, UnitMonthStats
    for model in (Y, M):
        db.session.execute(delete(model).where(model.unit_id.in_(unit_ids), model.year == year))
    summed = (
        "branches",
        "members",
        "approved_plans",
        "commended_year",
        "commended_q1",
        "commended_q2",
        "commended_q3",
        "commended_q4",
        "wrote_recently",
    )
    years = {
        u: {
            "unit_id": u,
            "year": year,
            **dict.fromkeys(summed, 0),
            "computed_on": now.astimezone(LOCAL_TZ).date(),
            "computed_at": now,
            "valid_until": _next_midnight(now),
        }
        for u in unit_ids
    }
    for parent_id, *values, computed_on, valid_until in db.session.execute(
        select(
            Unit.parent_id,
            *[func.sum(getattr(Y, name)) for name in summed],
            func.min(Y.computed_on),
            func.min(Y.valid_until),
        )
        .join(Unit, Unit.id == Y.unit_id)
        .where(Unit.parent_id.in_(unit_ids), Y.year == year)
        .group_by(Unit.parent_id)
    ):
        row = years[parent_id]
        row.update(zip(summed, (int(v or 0) for v in values), strict=True))
        if isinstance(computed_on, str):  # SQLite: min() of a date column comes back as text
            computed_on = date.fromisoformat(computed_on)
        row["computed_on"], row["valid_until"] = computed_on, min(valid_until, row["valid_until"])
    month_columns = (
        "entries",
        "answered_in_time",
        "answered_late",
        "exemplary",
        "writers",
        "signed",
        "commended",
        "waiting_due",
    )
    months = [
        {
            "unit_id": parent_id,
            "year": year,
            "month": month,
            **dict(zip(month_columns, map(int, values), strict=True)),
        }
        for parent_id, month, *values in db.session.execute(
            select(Unit.parent_id, M.month, *[func.sum(getattr(M, name)) for name in month_columns])
            .join(Unit, Unit.id == M.unit_id)
            .where(Unit.parent_id.in_(unit_ids), M.year == year)
            .group_by(Unit.parent_id, M.month)
        )
    ]
    db.session.execute(insert(Y.__table__), list(years.values()))
    if months:
        db.session.execute(insert(M.__table__), months)


def _next_midnight(now: datetime) -> datetime:
    """The end of `now`'s day in Vietnam, in UTC: the 30-day writing window moves then."""
    day = now.astimezone(LOCAL_TZ).date() + timedelta(days=1)
    return datetime.combine(day, time(0), LOCAL_TZ).astimezone(now.tzinfo)


def _rollup(branch_ids: list[int], year: int, now: datetime) -> None:
    """Compute the UnitMonthStats and UnitYearStats of `branch_ids` for `year` as of `now`
    (their old rows deleted): six grouped queries over these branches' member-month rows, their
    waiting entries (a partial index), memberships and plans, whatever the number of branches."""
    M = MemberMonthStats
    for model in (UnitYearStats, UnitMonthStats):
        db.session.execute(delete(model).where(model.unit_id.in_(branch_ids), model.year == year))
    today = now.astimezone(LOCAL_TZ).date()
    members: dict[int, set[int]] = defaultdict(set)
    for unit_id, user_id in db.session.execute(
        select(Membership.unit_id, Membership.user_id).where(
            Membership.unit_id.in_(branch_ids), Membership.role != Role.OFFICER
        )
    ):
        members[unit_id].add(user_id)

    months: dict[tuple[int, int], dict] = {}

    def month_row(unit_id: int, month: int) -> dict:
        key = (unit_id, month)
        if key not in months:
            months[key] = {
                "unit_id": unit_id,
                "year": year,
                "month": month,
                "entries": 0,
                "answered_in_time": 0,
                "answered_late": 0,
                "exemplary": 0,
                "writers": 0,
                "signed": 0,
                "commended": 0,
                "waiting_due": 0,
            }
        return months[key]

    for unit_id, month, entries, in_time, late, exemplary, writers, signed, commended in db.session.execute(
        select(
            M.unit_id,
            M.month,
            func.sum(M.entries),
            func.sum(M.answered_in_time),
            func.sum(M.answered_late),
            func.sum(M.exemplary),
            func.count(),
            func.sum(case((M.signed.is_(True), 1), else_=0)),
            func.sum(case((M.exemplary > 0, 1), else_=0)),
        )
        .where(M.unit_id.in_(branch_ids), M.year == year)
        .group_by(M.unit_id, M.month)
    ):
        row = month_row(unit_id, int(month))
        row.update(
            entries=int(entries or 0),
            answered_in_time=int(in_time or 0),
            answered_late=int(late or 0),
            exemplary=int(exemplary or 0),
            writers=int(writers or 0),
            signed=int(signed or 0),
            commended=int(commended or 0),
        )

    # Entries still waiting for review: those sent 7 days ago or more are due; the first of the
    # others to turn 7 days old ends the validity of the branch's figures.
    cutoff = now - timedelta(days=REVIEW_DAYS)
    valid_until = {b: _next_midnight(now) for b in branch_ids}
    deed_month = extract("month", Entry.deed_date)
    for unit_id, user_id, month, due, next_sent in db.session.execute(
        select(
            Entry.unit_id,
            Entry.user_id,
            deed_month,
            func.sum(case((Entry.submitted_at <= cutoff, 1), else_=0)),
            func.min(case((Entry.submitted_at > cutoff, Entry.submitted_at))),
        )
        .where(
            waiting_condition(),
            Entry.unit_id.in_(branch_ids),
            Entry.deed_date >= date(year, 1, 1),
            Entry.deed_date <= date(year, 12, 31),
        )
        .group_by(Entry.unit_id, Entry.user_id, deed_month)
    ):
        if user_id not in members[unit_id]:
            continue
        if due:
            month_row(unit_id, int(month))["waiting_due"] += int(due)
        if next_sent is not None:
            if isinstance(next_sent, str):  # SQLite: min() over a CASE comes back as text
                next_sent = datetime.fromisoformat(next_sent)
            if next_sent.tzinfo is None:
                next_sent = next_sent.replace(tzinfo=now.tzinfo)
            valid_until[unit_id] = min(valid_until[unit_id], next_sent + timedelta(days=REVIEW_DAYS))

    approved: dict[int, set[int]] = defaultdict(set)
    for unit_id, user_id in db.session.execute(
        select(Plan.unit_id, Plan.user_id)
        .where(Plan.unit_id.in_(branch_ids), Plan.year == year, Plan.status == PlanStatus.APPROVED)
        .distinct()
    ):
        if user_id in members[unit_id]:
            approved[unit_id].add(user_id)

    commended: dict[tuple[int, int], set[int]] = defaultdict(set)  # (branch, quarter 0 = year)
    for unit_id, user_id, month in db.session.execute(
        select(M.unit_id, M.user_id, M.month).where(
            M.unit_id.in_(branch_ids), M.year == year, M.exemplary > 0
        )
    ):
        commended[(unit_id, 0)].add(user_id)
        commended[(unit_id, (int(month) + 2) // 3)].add(user_id)

    # Members with an entry dated in the 30 days up to today: their last deed of a month of the
    # window lies in it (deeds are never in the future).
    start = today - timedelta(days=WRITE_WINDOW_DAYS - 1)
    ym = M.year * 12 + M.month - 1
    wrote: dict[int, set[int]] = defaultdict(set)
    for unit_id, user_id in db.session.execute(
        select(M.unit_id, M.user_id).where(
            M.unit_id.in_(branch_ids),
            ym.between(start.year * 12 + start.month - 1, today.year * 12 + today.month - 1),
            M.last_deed >= start,
            M.last_deed <= today,
        )
    ):
        wrote[unit_id].add(user_id)

    db.session.execute(
        insert(UnitYearStats.__table__),
        [
            {
                "unit_id": b,
                "year": year,
                "branches": 1,
                "members": len(members[b]),
                "approved_plans": len(approved[b]),
                "commended_year": len(commended[(b, 0)]),
                "commended_q1": len(commended[(b, 1)]),
                "commended_q2": len(commended[(b, 2)]),
                "commended_q3": len(commended[(b, 3)]),
                "commended_q4": len(commended[(b, 4)]),
                "wrote_recently": len(wrote[b]),
                "computed_on": today,
                "computed_at": now,
                "valid_until": valid_until[b],
            }
            for b in branch_ids
        ],
    )
    if months:
        db.session.execute(insert(UnitMonthStats.__table__), list(months.values()))


def _recompute(keys: list[tuple[int, int, int, int]], now: datetime) -> list[dict]:
    """The rows of the member-months `keys` (unit, member, year, month; year 0: every month of that
    member in that unit), their old rows deleted: one grouped query per month concerned (and per
    500 members) over those members' entries."""
    whole = sorted({(k[0], k[1]) for k in keys if k[2] == 0})
    months = sorted({k for k in keys if k[2] != 0 and (k[0], k[1]) not in set(whole)})
    wanted = set(months)
    rows: list[dict] = []
    signed: set[tuple[int, int, int, int]] = set()
    M = MemberMonthStats
    for chunk in _chunks(whole):
        db.session.execute(delete(M).where(tuple_(M.unit_id, M.user_id).in_(chunk)))
        signed |= _signed(tuple_(MonthReview.unit_id, MonthReview.user_id).in_(chunk))
        rows += [
            _row(r, now)
            for r in db.session.execute(_stats_select(tuple_(Entry.unit_id, Entry.user_id).in_(chunk)))
        ]
    for chunk in _chunks(months):
        db.session.execute(delete(M).where(tuple_(M.unit_id, M.user_id, M.year, M.month).in_(chunk)))
        signed |= _signed(
            tuple_(MonthReview.unit_id, MonthReview.user_id, MonthReview.year, MonthReview.month).in_(chunk)
        )
    by_month: dict[tuple[int, int], set[int]] = defaultdict(set)
    for _unit, user, year, month in months:
        by_month[(year, month)].add(user)
    for (year, month), users in sorted(by_month.items()):
        first = date(year, month, 1)
        end = date(year + month // 12, month % 12 + 1, 1)
        for chunk in _chunks(sorted(users)):
            for r in db.session.execute(
                _stats_select(Entry.user_id.in_(chunk), Entry.deed_date >= first, Entry.deed_date < end)
            ):
                row = _row(r, now)
                if (row["unit_id"], row["user_id"], row["year"], row["month"]) in wanted:
                    rows.append(row)
    return _mark_signed(rows, signed)


def rebuild_all() -> int:
    """Forget every figure and build them again from the entries (`flask reports-rebuild`); the
    next report of each unit rebuilds its branches. Returns how many member-months were dropped."""
    dropped = db.session.execute(delete(MemberMonthStats)).rowcount
    db.session.execute(delete(UnitMonthStats))
    db.session.execute(delete(UnitYearStats))
    db.session.execute(delete(BuiltBranchYear))
    db.session.execute(delete(StaleMemberMonth))
    db.session.commit()
    return dropped or 0
