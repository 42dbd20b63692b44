"""The units' rows of the report figures (UnitMonthStats, UnitYearStats): a branch's from its
member-month rows, its entries still waiting for review, memberships and plans; a unit above the
branches' as the sum of its children's. app.reports.stats decides when they are computed again."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import Select, case, delete, extract, func, insert, select, tuple_

from app.core.db import db
from app.core.enums import PlanStatus, Role
from app.core.filters import LOCAL_TZ
from app.journal.models import Entry
from app.plans.models import Plan
from app.reports.definitions import REVIEW_DAYS, WRITE_WINDOW_DAYS, chunks, next_midnight, waiting_condition
from app.reports.models import MemberMonthStats, UnitMonthStats, UnitYearStats
from app.units.models import Membership, Unit

MONTH_COLUMNS = (
    "entries",
    "answered_in_time",
    "answered_late",
    "exemplary",
    "writers",
    "signed",
    "commended",
    "waiting_due",
)
YEAR_SUMMED = (
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


def fresh_rows(unit_ids: Select | list[int], years: list[int], now: datetime) -> set[tuple[int, int]]:
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


def refresh_rows(
    units: dict[int, tuple], subtree: Select, years: list[int], now: datetime, touched: set[tuple[int, int]]
) -> None:
    """The rows of every branch-year `touched` are dropped with the rows of every unit above that
    branch (a membership's change, year 0, touches all the years); then the rows of the subtree
    (`units`: id → (parent, path, kind)) that are missing or past their time are computed again:
    the branches, then the units above them, the deepest first, from their children's rows."""
    _drop_rows(
        {(ancestor, year) for b, year in touched if b in units for ancestor in _ids_in_path(units[b][1])}
    )
    fresh = fresh_rows(subtree, years, now)
    branch_ids = [i for i, (_p, _path, kind) in units.items() if kind.is_branch]
    for year in years:
        due = [b for b in branch_ids if (b, year) not in fresh]
        for chunk in chunks(due):
            _rollup(chunk, year, now)
        above = [i for i, (_p, _path, kind) in units.items() if not kind.is_branch and (i, year) not in fresh]
        for depth in sorted({units[i][1].count("/") for i in above}, reverse=True):
            level = [i for i in above if units[i][1].count("/") == depth]
            for chunk in chunks(level):
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
        for chunk in chunks(whole):
            db.session.execute(delete(model).where(model.unit_id.in_(chunk)))
        for chunk in chunks(some):
            db.session.execute(delete(model).where(tuple_(model.unit_id, model.year).in_(chunk)))


def _delete_rows(unit_ids: list[int], year: int) -> None:
    for model in (UnitYearStats, UnitMonthStats):
        db.session.execute(delete(model).where(model.unit_id.in_(unit_ids), model.year == year))


# ---- the units above the branches -----------------------------------------------------------------


def _add_up(unit_ids: list[int], year: int, now: datetime) -> None:
    """The rows of units above the branches (`unit_ids`, all at one depth) for `year`: the sums of
    their children's rows, computed already (two grouped queries). A unit without children gets
    zeros, valid until the day ends."""
    Y, M = UnitYearStats, UnitMonthStats
    _delete_rows(unit_ids, year)
    years = {
        u: {
            "unit_id": u,
            "year": year,
            **dict.fromkeys(YEAR_SUMMED, 0),
            "computed_on": now.astimezone(LOCAL_TZ).date(),
            "computed_at": now,
            "valid_until": next_midnight(now),
        }
        for u in unit_ids
    }
    for parent_id, *values, computed_on, valid_until in db.session.execute(
        select(
            Unit.parent_id,
            *[func.sum(getattr(Y, name)) for name in YEAR_SUMMED],
            func.min(Y.computed_on),
            func.min(Y.valid_until),
        )
        .join(Unit, Unit.id == Y.unit_id)
        .where(Unit.parent_id.in_(unit_ids), Y.year == year)
        .group_by(Unit.parent_id)
    ):
        row = years[parent_id]
        row.update(zip(YEAR_SUMMED, (int(v or 0) for v in values), strict=True))
        if isinstance(computed_on, str):  # SQLite: min() of a date column comes back as text
            computed_on = date.fromisoformat(computed_on)
        row["computed_on"], row["valid_until"] = computed_on, min(valid_until, row["valid_until"])
    months = [
        {
            "unit_id": parent_id,
            "year": year,
            "month": month,
            **dict(zip(MONTH_COLUMNS, map(int, values), strict=True)),
        }
        for parent_id, month, *values in db.session.execute(
            select(Unit.parent_id, M.month, *[func.sum(getattr(M, name)) for name in MONTH_COLUMNS])
            .join(Unit, Unit.id == M.unit_id)
            .where(Unit.parent_id.in_(unit_ids), M.year == year)
            .group_by(Unit.parent_id, M.month)
        )
    ]
    db.session.execute(insert(Y.__table__), list(years.values()))
    if months:
        db.session.execute(insert(M.__table__), months)


# ---- the branches ---------------------------------------------------------------------------------


class _Months(dict):
    """The UnitMonthStats rows of some branches for a year, by (branch, month), made on first use."""

    def __init__(self, year: int) -> None:
        super().__init__()
        self.year = year

    def __missing__(self, key: tuple[int, int]) -> dict:
        unit_id, month = key
        row = {"unit_id": unit_id, "year": self.year, "month": month, **dict.fromkeys(MONTH_COLUMNS, 0)}
        self[key] = row
        return row


def _rollup(branch_ids: list[int], year: int, now: datetime) -> None:
    """Compute the UnitMonthStats and UnitYearStats of `branch_ids` for `year` as of `now`
    (their old rows deleted): six grouped queries over these branches' member-month rows, their
    waiting entries (a partial index), memberships and plans, whatever the number of branches."""
    _delete_rows(branch_ids, year)
    today = now.astimezone(LOCAL_TZ).date()
    members = _members(branch_ids)
    months = _Months(year)
    _count_months(branch_ids, months)
    valid_until = _count_waiting(branch_ids, year, now, members, months)
    approved = _approved(branch_ids, year, members)
    commended = _commended(branch_ids, year)
    wrote = _wrote_recently(branch_ids, today)
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


def _members(branch_ids: list[int]) -> dict[int, set[int]]:
    """The current members (every role but officer) of each branch."""
    members: dict[int, set[int]] = defaultdict(set)
    for unit_id, user_id in db.session.execute(
        select(Membership.unit_id, Membership.user_id).where(
            Membership.unit_id.in_(branch_ids), Membership.role != Role.OFFICER
        )
    ):
        members[unit_id].add(user_id)
    return members


def _count_months(branch_ids: list[int], months: _Months) -> None:
    """Each branch's months: its member-month rows added up."""
    M = MemberMonthStats
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
        .where(M.unit_id.in_(branch_ids), M.year == months.year)
        .group_by(M.unit_id, M.month)
    ):
        months[(unit_id, int(month))].update(
            entries=int(entries or 0),
            answered_in_time=int(in_time or 0),
            answered_late=int(late or 0),
            exemplary=int(exemplary or 0),
            writers=int(writers or 0),
            signed=int(signed or 0),
            commended=int(commended or 0),
        )


def _count_waiting(
    branch_ids: list[int], year: int, now: datetime, members: dict[int, set[int]], months: _Months
) -> dict[int, datetime]:
    """Entries still waiting for review: those sent 7 days ago or more are due (added to their
    months); the first of the others to turn 7 days old ends the validity of the branch's figures
    (returned, per branch: the day's end at the latest)."""
    cutoff = now - timedelta(days=REVIEW_DAYS)
    valid_until = {b: next_midnight(now) for b in branch_ids}
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
            months[(unit_id, int(month))]["waiting_due"] += int(due)
        if next_sent is not None:
            valid_until[unit_id] = min(
                valid_until[unit_id], _aware(next_sent, now) + timedelta(days=REVIEW_DAYS)
            )
    return valid_until


def _aware(value: datetime | str, now: datetime) -> datetime:
    """A timestamp SQLite hands back from min() over a CASE (text, without a zone) as `now`'s kind."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=now.tzinfo) if value.tzinfo is None else value


def _approved(branch_ids: list[int], year: int, members: dict[int, set[int]]) -> dict[int, set[int]]:
    """The members of each branch with an approved plan for `year`."""
    approved: dict[int, set[int]] = defaultdict(set)
    for unit_id, user_id in db.session.execute(
        select(Plan.unit_id, Plan.user_id)
        .where(Plan.unit_id.in_(branch_ids), Plan.year == year, Plan.status == PlanStatus.APPROVED)
        .distinct()
    ):
        if user_id in members[unit_id]:
            approved[unit_id].add(user_id)
    return approved


def _commended(branch_ids: list[int], year: int) -> dict[tuple[int, int], set[int]]:
    """The members commended, by (branch, quarter; 0 = the year)."""
    M = MemberMonthStats
    commended: dict[tuple[int, int], set[int]] = defaultdict(set)
    for unit_id, user_id, month in db.session.execute(
        select(M.unit_id, M.user_id, M.month).where(
            M.unit_id.in_(branch_ids), M.year == year, M.exemplary > 0
        )
    ):
        commended[(unit_id, 0)].add(user_id)
        commended[(unit_id, (int(month) + 2) // 3)].add(user_id)
    return commended


def _wrote_recently(branch_ids: list[int], today: date) -> dict[int, set[int]]:
    """Members with an entry dated in the 30 days up to today: their last deed of a month of the
    window lies in it (deeds are never in the future)."""
    M = MemberMonthStats
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
    return wrote
