"""The dashboard of a unit over its subtree: its figures per child unit, in total and by month.

Every figure comes from a handful of grouped queries over the whole subtree (GROUP BY branch, or
GROUP BY month), never from a query per member or per unit: `units.path` is a materialised path,
so the subtree is one indexed prefix query, and the branches under it are a subquery every other
query is filtered by. What the entries say is read from the member-month figures
(report_member_months, kept current by app.reports.stats), not from a year of entries. Rolling
branches up into the child units of the chosen unit is done in Python over one row per branch.
The caller checks the viewer may see the unit (permissions.can_view_reports); everything under a
unit an officer may see is theirs to count.

Definitions (the page's "Cách tính" says the same in Vietnamese):
- members: the (person, branch) memberships of every role but officer in the branches of the
  subtree, as they are now (the branch dashboard counts the same way); every other figure counts
  current members only;
- the period is a year, a quarter or a month; figures are taken as of its last day, or today
  while it runs ("as_of");
- entries count diary entries only (submitted, sent back for revision, reviewed; never drafts),
  by the day of the deed;
- wrote in the last 30 days: members with an entry dated in the 30 days up to as_of;
- reviewed within 7 days: of the period's entries due for review (answered — marked reviewed or
  sent back for revision — or still waiting 7 days after being sent), the share answered within
  7 days of their latest sending;
- months signed off: member-months of the period, over before the current month, with entries,
  and of those the ones with a signed MonthReview;
- commendations: exemplary entries (biểu dương, the sổ vàng) dated in the period, and the members
  who wrote them;
- by month: the same, and the members (of a branch) who wrote in the month;
- the rating distribution comes from app.grading through rating_distribution().
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Select, and_, case, exists, extract, func, or_, select

from app.core.db import db, utcnow
from app.core.enums import Role, UnitKind
from app.core.filters import today_local
from app.core.text import fold
from app.journal.models import Entry
from app.reports import stats
from app.reports.definitions import REVIEW_DAYS, WRITE_WINDOW_DAYS, waiting_condition
from app.reports.models import MemberMonthStats, UnitMonthStats, UnitYearStats
from app.reports.period import Period
from app.units.models import Membership, Unit

BRANCH_KINDS = [k for k in UnitKind if k.is_branch]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Figures:
    """The figures of one unit (or branch, or the whole subtree) for the period."""

    members: int = 0
    approved_plans: int = 0
    wrote_recently: int = 0
    entries: int = 0
    review_due: int = 0
    reviewed_in_time: int = 0
    month_slots: int = 0
    months_signed: int = 0
    exemplary: int = 0
    commended_members: int = 0
    ratings: dict[str, int] = field(default_factory=dict)

    SUMMED = (
        "members",
        "approved_plans",
        "wrote_recently",
        "entries",
        "review_due",
        "reviewed_in_time",
        "month_slots",
        "months_signed",
        "exemplary",
        "commended_members",
    )

    def add(self, other: Figures) -> None:
        mine, theirs = self.__dict__, other.__dict__
        for name in self.SUMMED:
            mine[name] += theirs[name]
        for level, count in other.ratings.items():
            self.ratings[level] = self.ratings.get(level, 0) + count

    @property
    def plan_share(self) -> float | None:
        return _share(self.approved_plans, self.members)

    @property
    def wrote_share(self) -> float | None:
        return _share(self.wrote_recently, self.members)

    @property
    def entries_per_member(self) -> float | None:
        return _share(self.entries, self.members)

    @property
    def reviewed_share(self) -> float | None:
        return _share(self.reviewed_in_time, self.review_due)

    @property
    def signed_share(self) -> float | None:
        return _share(self.months_signed, self.month_slots)

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())


@dataclass
class UnitRow:
    """A child unit of the report's unit, with the figures of everything under it."""

    id: int
    name: str
    kind: UnitKind
    branches: int = 0
    figures: Figures = field(default_factory=Figures)

    @property
    def is_branch(self) -> bool:
        return self.kind.is_branch


@dataclass
class MonthRow:
    """One month of the report's year, over the whole subtree."""

    month: int
    members: int = 0
    entries: int = 0
    writers: int = 0
    review_due: int = 0
    reviewed_in_time: int = 0
    month_slots: int = 0
    months_signed: int = 0
    exemplary: int = 0

    @property
    def writer_share(self) -> float | None:
        return _share(self.writers, self.members)

    @property
    def reviewed_share(self) -> float | None:
        return _share(self.reviewed_in_time, self.review_due)

    @property
    def signed_share(self) -> float | None:
        return _share(self.months_signed, self.month_slots)


@dataclass
class RatingCount:
    """Members of a branch rated at a level for the year (what app.grading provides).

    `level` identifies the level, `rank` orders the levels (0 = best), `label` is what users see
    ("Hoàn thành xuất sắc nhiệm vụ").
    """

    unit_id: int
    level: str
    rank: int
    label: str
    count: int


@dataclass
class RatingLevel:
    level: str
    rank: int
    label: str
    count: int = 0
    total: int = 0

    @property
    def share(self) -> float | None:
        return _share(self.count, self.total)


@dataclass
class Report:
    unit: Unit
    period: Period
    as_of: date
    total: Figures
    rows: list[UnitRow]
    months: list[MonthRow]
    ratings: list[RatingLevel]
    branches: int


def rating_distribution(unit_ids_subquery: Select, year: int) -> list[RatingCount]:
    """Members rated at each level for `year`, per branch, in the branches `unit_ids_subquery`
    selects (a SELECT of unit ids): one grouped query, rows (unit_id, level, rank, label, count).

    Ratified results only (app.grading): a level is one of the four tiers every framework maps
    its levels to, so Youth Union and Party results add up.
    """
    from app.core.enums import RoundStatus, Tier
    from app.grading.models import FrameworkLevel, GradingRound, Rating

    rows = db.session.execute(
        select(GradingRound.unit_id, FrameworkLevel.tier, func.count(Rating.id))
        .select_from(Rating)
        .join(GradingRound, GradingRound.id == Rating.round_id)
        .join(FrameworkLevel, FrameworkLevel.id == Rating.final_level_id)
        .where(
            GradingRound.year == year,
            GradingRound.status == RoundStatus.RATIFIED,
            GradingRound.unit_id.in_(unit_ids_subquery),
        )
        .group_by(GradingRound.unit_id, FrameworkLevel.tier)
        .order_by(GradingRound.unit_id, FrameworkLevel.tier)
    ).all()
    return [
        RatingCount(unit_id, Tier(tier).name.lower(), tier - 1, Tier(tier).label, count)
        for unit_id, tier, count in rows
    ]


def subtree_branch_ids(unit: Unit) -> Select:
    """The ids of the branches (chi đoàn, chi bộ) in the unit's subtree, the unit included."""
    return select(Unit.id).where(
        Unit.path.startswith(unit.path, autoescape=True), Unit.kind.in_(BRANCH_KINDS)
    )


def _member_of_branch(user_id, unit_id):
    """The row's person is a member (not an officer) of the row's branch now."""
    return exists().where(
        Membership.user_id == user_id, Membership.unit_id == unit_id, Membership.role != Role.OFFICER
    )


def _month_number(year: int, month: int) -> int:
    return year * 12 + month - 1


@dataclass(frozen=True)
class _Window:
    """The moments a report counts for: the period's months up to as_of, the 30 days up to it,
    the end of its year so far, and now (for entries waiting for review)."""

    period: Period
    first_month: int
    last_month: int
    as_of: date
    window_start: date
    year_end: date
    now: datetime


def build_report(
    unit: Unit, period: Period, today: date | None = None, now: datetime | None = None, *, commit: bool = True
) -> Report:
    """The dashboard of `unit` for `period`: figures per child unit, the total, the months of the
    year and the rating distribution.

    About ten queries whatever the size of the subtree: the units, the member-month figures brought
    up to date (app.reports.stats.refresh; two small queries when nothing changed), then grouped
    queries over memberships, plans, member-month figures, entries waiting for review, month
    sign-offs and ratings. `commit=False`: the refreshed figures are left to the caller's commit.
    """
    real_today, real_now = today_local(), utcnow()
    today = today or real_today
    now = now or real_now
    # The branch rows (app.reports.stats) hold what moves with the clock as of now; a report asked
    # for another moment (a document dated earlier, a test) counts those figures live.
    clock_is_now = today == real_today and abs(now - real_now) <= timedelta(minutes=1)
    as_of = min(period.end, today)
    year_end = min(date(period.year, 12, 31), today)
    window_start = as_of - timedelta(days=WRITE_WINDOW_DAYS - 1)
    branches = subtree_branch_ids(unit)

    # The rows: the unit's children, or the unit itself when it is a branch.
    if unit.kind.is_branch:
        children = [(unit.id, unit.name, unit.kind)]
    else:
        children = db.session.execute(
            select(Unit.id, Unit.name, Unit.kind).where(Unit.parent_id == unit.id)
        ).all()
    rows = {i: UnitRow(i, name, kind) for i, name, kind in children}
    stats.refresh(unit, {period.year, window_start.year}, commit=commit)  # 2 queries when current
    outside = Figures()  # branches in no row (none: every unit of the subtree is under a child)
    of_branch = _RowOfBranch(unit, rows, outside)

    months = {m: MonthRow(m) for m in range(1, year_end.month + 1)}
    w = _Window(
        period, period.months[0], min(period.months[-1], as_of.month), as_of, window_start, year_end, now
    )
    # With the clock at now, the months up to as_of hold every entry of the period.
    recent_is_today = clock_is_now and as_of == today
    _read_rows(unit, rows, months, w, today, clock_is_now=clock_is_now, recent_is_today=recent_is_today)
    if not clock_is_now:
        _live_distinct(branches, w, of_branch, commended=True)
        _live_waiting(branches, w, of_branch, months)
    elif not recent_is_today:  # a period that is over: its last 30 days, from the member-months
        _live_distinct(branches, w, of_branch, commended=False)

    levels = _count_ratings(branches, period.year, of_branch)
    total = Figures()
    total.add(outside)
    for row in rows.values():
        total.add(row.figures)
    for row in months.values():
        row.members = total.members
    return Report(
        unit=unit,
        period=period,
        as_of=as_of,
        total=total,
        rows=sorted(rows.values(), key=lambda r: (r.id != unit.id, _folded_name(r.name), r.id)),
        months=list(months.values()),
        ratings=sorted(levels.values(), key=lambda level: level.rank),
        branches=sum(r.branches for r in rows.values()),
    )


class _RowOfBranch:
    """The row a branch's figures go to, for what is counted per branch (ratings, and the figures
    of another moment): the subtree's units are read the first time it is asked."""

    def __init__(self, unit: Unit, rows: dict[int, UnitRow], outside: Figures) -> None:
        self.unit, self.rows, self.outside = unit, rows, outside
        self.child_of: dict[int, int] = {}

    def __call__(self, branch_id: int) -> Figures:
        if not self.child_of:
            self.child_of.update(_child_of(self.unit, _subtree_units(self.unit)))
        row = self.rows.get(self.child_of.get(branch_id, -1))
        return row.figures if row is not None else self.outside


def _read_rows(
    unit: Unit,
    rows: dict[int, UnitRow],
    months: dict[int, MonthRow],
    w: _Window,
    today: date,
    *,
    clock_is_now: bool,
    recent_is_today: bool,
) -> None:
    """Each child's months (one row per month over its subtree), added up over the period's months,
    with its year; and the months of the year, the unit's own rows: two queries."""
    period = w.period
    B = UnitMonthStats
    # Months that are over (before this month) are the ones expected to be signed off.
    signed_until = min(w.year_end, date(today.year, today.month, 1) - timedelta(days=1))
    signable = B.month <= (signed_until.month if signed_until.year == period.year else 0)
    due = B.answered_in_time + B.answered_late + (B.waiting_due if clock_is_now else 0)
    columns = (
        B.entries,
        B.answered_in_time,
        due,
        B.exemplary,
        case((signable, B.writers), else_=0),
        case((signable, B.signed), else_=0),
    )
    of_year = (B.year == period.year, B.month <= w.year_end.month)
    in_period = (
        select(B.unit_id, *map(func.sum, columns), func.sum(B.commended))
        .where(B.unit_id.in_(list(rows)), *of_year, B.month.between(w.first_month, w.last_month))
        .group_by(B.unit_id)
        .subquery()
    )
    commended_column = (
        getattr(UnitYearStats, f"commended_q{period.number}")
        if period.kind == "quarter"
        else UnitYearStats.commended_year
    )
    # One row per child: its year (branches, members, approved plans, distinct people) and period.
    Y = UnitYearStats
    for unit_id, n_branches, members, approved, commended, wrote, *summed in db.session.execute(
        select(
            Y.unit_id,
            Y.branches,
            Y.members,
            Y.approved_plans,
            commended_column,
            Y.wrote_recently,
            *list(in_period.c)[1:],
        )
        .outerjoin(in_period, in_period.c.unit_id == Y.unit_id)
        .where(Y.unit_id.in_(list(rows)), Y.year == period.year)
    ):
        rows[unit_id].branches = n_branches
        f = rows[unit_id].figures
        f.members, f.approved_plans = members, approved
        if clock_is_now and period.kind != "month":
            f.commended_members = commended
        if recent_is_today:
            f.wrote_recently = wrote
        if summed[0] is not None:  # entries in the period
            _take_period(f, summed, month_commended=clock_is_now and period.kind == "month")
    for month, entries, in_time, review_due, exemplary, slots, signed, writers in db.session.execute(
        select(B.month, *columns, B.writers).where(B.unit_id == unit.id, *of_year)
    ):
        if (row := months.get(month)) is not None:
            row.entries, row.reviewed_in_time, row.review_due = entries, in_time, int(review_due)
            row.exemplary, row.month_slots, row.months_signed = exemplary, int(slots), int(signed)
            row.writers = writers


def _take_period(f: Figures, summed: list, *, month_commended: bool) -> None:
    """A child's sums over the period's months into its figures."""
    entries, in_time, review_due, exemplary, slots, signed, commended = map(int, summed)
    f.entries, f.reviewed_in_time, f.review_due = entries, in_time, review_due
    f.exemplary, f.month_slots, f.months_signed = exemplary, slots, signed
    if month_commended:
        f.commended_members = commended


def _count_ratings(branches: Select, year: int, of_branch) -> dict[str, RatingLevel]:
    """The rating distribution of the year, per row (of_branch) and over the subtree."""
    levels: dict[str, RatingLevel] = {}
    for rc in rating_distribution(branches, year):
        ratings = of_branch(rc.unit_id).ratings
        ratings[rc.level] = ratings.get(rc.level, 0) + rc.count
        levels.setdefault(rc.level, RatingLevel(rc.level, rc.rank, rc.label)).count += rc.count
    rated = sum(level.count for level in levels.values())
    for level in levels.values():
        level.total = rated
    return levels


def _live_distinct(branches: Select, w: _Window, of_branch, *, commended: bool) -> None:
    """Members who wrote in the 30 days up to as_of and, with `commended`, members commended in the
    period, per branch, from the member-month rows: distinct people, one query."""
    S = MemberMonthStats
    ym = S.year * 12 + S.month - 1
    praised = and_(S.year == w.period.year, S.month.between(w.first_month, w.last_month), S.exemplary > 0)
    recent = and_(
        ym.between(
            _month_number(w.window_start.year, w.window_start.month),
            _month_number(w.as_of.year, w.as_of.month),
        ),
        S.last_deed >= w.window_start,
        S.last_deed <= w.as_of,
    )
    for unit_id, n_commended, n_wrote in db.session.execute(
        select(
            S.unit_id,
            func.count(func.distinct(case((praised, S.user_id)))),
            func.count(func.distinct(case((recent, S.user_id)))),
        )
        .where(S.unit_id.in_(branches), or_(praised, recent) if commended else recent)
        .group_by(S.unit_id)
    ):
        f = of_branch(unit_id)
        f.wrote_recently += int(n_wrote or 0)
        if commended:
            f.commended_members += int(n_commended or 0)


def _live_waiting(branches: Select, w: _Window, of_branch, months: dict) -> None:
    """Entries still waiting for review that are due at `w.now` (sent 7 days before it or more),
    added to the period's and the months' entries due; grouped by member first so the membership
    check is made once per member, not per entry."""
    deed_month = extract("month", Entry.deed_date).label("month")
    waiting = (
        select(
            Entry.unit_id.label("unit_id"),
            Entry.user_id.label("user_id"),
            deed_month,
            func.count().label("n"),
        )
        .where(
            waiting_condition(),
            Entry.unit_id.in_(branches),
            Entry.deed_date >= date(w.period.year, 1, 1),
            Entry.deed_date <= w.year_end,
            Entry.submitted_at <= w.now - timedelta(days=REVIEW_DAYS),
        )
        .group_by(Entry.unit_id, Entry.user_id, deed_month)
        .subquery()
    )
    for unit_id, month, count in db.session.execute(
        select(waiting.c.unit_id, waiting.c.month, func.sum(waiting.c.n))
        .where(_member_of_branch(waiting.c.user_id, waiting.c.unit_id))
        .group_by(waiting.c.unit_id, waiting.c.month)
    ):
        month, count = int(month), int(count or 0)
        if w.first_month <= month <= w.last_month:
            of_branch(unit_id).review_due += count
        if month in months:
            months[month].review_due += count


@lru_cache(maxsize=4096)
def _folded_name(name: str) -> str:
    """A unit's name as it sorts (unit names rarely change; a dashboard sorts the same ones)."""
    return fold(name)


def _subtree_units(unit: Unit) -> list[dict]:
    """Every unit of the subtree as plain columns (one query, no ORM object per unit)."""
    return [
        {"id": i, "parent_id": p, "path": path, "name": name, "kind": kind}
        for i, p, path, name, kind in db.session.execute(
            select(Unit.id, Unit.parent_id, Unit.path, Unit.name, Unit.kind).where(
                Unit.path.startswith(unit.path, autoescape=True)
            )
        )
    ]


def _child_of(unit: Unit, units: list[dict]) -> dict[int, int]:
    """For every unit of the subtree, the child of `unit` it lies in (the unit itself for itself)."""
    result = {}
    for u in units:
        if u["id"] == unit.id:
            result[u["id"]] = unit.id
            continue
        rest = u["path"][len(unit.path) :].split("/", 1)[0]
        if rest.isdigit():
            result[u["id"]] = int(rest)
    return result
