"""Reports for upper units: a dashboard over a unit's subtree, commendations, and diary reads.

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

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Select, and_, case, exists, extract, func, or_, select

from app.auth.models import User
from app.core.collation import name_sort_key
from app.core.db import db, utcnow
from app.core.enums import ContentGroup, EntryStatus, Role, UnitKind
from app.core.filters import today_local, vn_date
from app.core.text import fold, shorten
from app.journal.models import Entry, entry_commitments
from app.plans.models import Commitment
from app.reports import stats
from app.reports.models import MemberMonthStats, UnitMonthStats, UnitYearStats
from app.standards.models import Standard
from app.units.models import Membership, Unit

BRANCH_KINDS = [k for k in UnitKind if k.is_branch]
WRITE_WINDOW_DAYS = 30
REVIEW_DAYS = stats.REVIEW_DAYS
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


# ---- the period -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A year, a quarter (number 1–4) or a month (number 1–12) of a year."""

    year: int
    kind: str  # "year", "quarter", "month"
    number: int = 0

    @property
    def key(self) -> str:
        """As the query string has it: "year", "q2", "m5"."""
        return {"year": "year", "quarter": f"q{self.number}", "month": f"m{self.number}"}[self.kind]

    @property
    def months(self) -> list[int]:
        if self.kind == "quarter":
            return [3 * self.number - 2, 3 * self.number - 1, 3 * self.number]
        if self.kind == "month":
            return [self.number]
        return list(range(1, 13))

    @property
    def start(self) -> date:
        return date(self.year, self.months[0], 1)

    @property
    def end(self) -> date:
        last = self.months[-1]
        return date(self.year, last, calendar.monthrange(self.year, last)[1])

    @property
    def label(self) -> str:
        """ "năm 2026", "quý II năm 2026", "tháng 5 năm 2026"."""
        if self.kind == "quarter":
            return f"quý {ROMAN[self.number]} năm {self.year}"
        if self.kind == "month":
            return f"tháng {self.number} năm {self.year}"
        return f"năm {self.year}"

    @property
    def short_label(self) -> str:
        if self.kind == "quarter":
            return f"Quý {ROMAN[self.number]}/{self.year}"
        if self.kind == "month":
            return f"Tháng {self.number}/{self.year}"
        return f"Năm {self.year}"


PERIOD_CHOICES = (
    [("year", "Cả năm")]
    + [(f"q{q}", f"Quý {ROMAN[q]}") for q in range(1, 5)]
    + [(f"m{m}", f"Tháng {m}") for m in range(1, 13)]
)


def parse_period(year_arg: str | None, period_arg: str | None, today: date | None = None) -> Period:
    """The period asked for by ?year=&period= (year, q1–q4, m1–m12). Anything odd gives the
    current year; a period that has not started gives the current one of the same kind."""
    today = today or today_local()
    try:
        year = int(year_arg) if year_arg else today.year
    except ValueError:
        year = today.year
    if not 2000 <= year <= today.year:
        year = today.year
    key = (period_arg or "year").strip().lower()
    period = Period(year, "year")
    if len(key) >= 2 and key[0] in "qm" and key[1:].isdigit():
        number = int(key[1:])
        if key[0] == "q" and 1 <= number <= 4:
            period = Period(year, "quarter", number)
        elif key[0] == "m" and 1 <= number <= 12:
            period = Period(year, "month", number)
    if period.start > today:
        number = today.month if period.kind == "month" else (today.month - 1) // 3 + 1
        period = Period(today.year, period.kind, number if period.kind != "year" else 0)
    return period


def report_years(today: date | None = None) -> list[int]:
    today = today or today_local()
    return list(range(today.year, today.year - 6, -1))


# ---- figures ----------------------------------------------------------------------------------


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
    # Months that are over: before the current month.
    this_month = date(today.year, today.month, 1)
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
    child_of: dict[int, int] = {}

    def of_branch(branch_id: int) -> Figures:
        """The row a branch's figures go to, for what is counted per branch (ratings, and the
        figures of another moment): the subtree's units are read the first time it is asked."""
        if not child_of:
            child_of.update(_child_of(unit, _subtree_units(unit)))
        row = rows.get(child_of.get(branch_id, -1))
        return row.figures if row is not None else outside

    months = {m: MonthRow(m) for m in range(1, year_end.month + 1)}
    first_month, last_month = period.months[0], min(period.months[-1], as_of.month)
    # With the clock at now, the months up to as_of hold every entry of the period.
    commended_column = (
        getattr(UnitYearStats, f"commended_q{period.number}")
        if period.kind == "quarter"
        else UnitYearStats.commended_year
    )
    recent_is_today = clock_is_now and as_of == today

    # Each child's months (one row per month over its subtree), added up over the period's months;
    # the months of the year are the unit's own rows.
    B = UnitMonthStats
    # Months that are over (before this month) are the ones expected to be signed off.
    signed_until = min(year_end, this_month - timedelta(days=1))
    last_signable = signed_until.month if signed_until.year == period.year else 0
    signable = B.month <= last_signable
    due = B.answered_in_time + B.answered_late + (B.waiting_due if clock_is_now else 0)
    columns = (
        B.entries,
        B.answered_in_time,
        due,
        B.exemplary,
        case((signable, B.writers), else_=0),
        case((signable, B.signed), else_=0),
    )
    of_year = (B.year == period.year, B.month <= year_end.month)
    in_period = (
        select(B.unit_id, *map(func.sum, columns), func.sum(B.commended))
        .where(B.unit_id.in_(list(rows)), *of_year, B.month.between(first_month, last_month))
        .group_by(B.unit_id)
        .subquery()
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
            entries, in_time, review_due, exemplary, slots, signed, month_commended = map(int, summed)
            f.entries, f.reviewed_in_time, f.review_due = entries, in_time, review_due
            f.exemplary, f.month_slots, f.months_signed = exemplary, slots, signed
            if clock_is_now and period.kind == "month":
                f.commended_members = month_commended
    for month, entries, in_time, review_due, exemplary, slots, signed, writers in db.session.execute(
        select(B.month, *columns, B.writers).where(B.unit_id == unit.id, *of_year)
    ):
        if (row := months.get(month)) is not None:
            row.entries, row.reviewed_in_time, row.review_due = entries, in_time, int(review_due)
            row.exemplary, row.month_slots, row.months_signed = exemplary, int(slots), int(signed)
            row.writers = writers

    w = _Window(period, first_month, last_month, as_of, window_start, year_end, now)
    if not clock_is_now:
        _live_distinct(branches, w, of_branch, commended=True)
        _live_waiting(branches, w, of_branch, months)
    elif not recent_is_today:  # a period that is over: its last 30 days, from the member-months
        _live_distinct(branches, w, of_branch, commended=False)

    levels: dict[str, RatingLevel] = {}
    for rc in rating_distribution(branches, period.year):
        ratings = of_branch(rc.unit_id).ratings
        ratings[rc.level] = ratings.get(rc.level, 0) + rc.count
        levels.setdefault(rc.level, RatingLevel(rc.level, rc.rank, rc.label)).count += rc.count

    total = Figures()
    total.add(outside)
    for row in rows.values():
        total.add(row.figures)
    for row in months.values():
        row.members = total.members
    rated = sum(level.count for level in levels.values())
    for level in levels.values():
        level.total = rated
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
            stats.waiting_condition(),
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


# ---- commendations ----------------------------------------------------------------------------


@dataclass
class Commendation:
    """An exemplary entry, as plain columns (a list of many is one query)."""

    entry_id: int
    user_id: int
    unit_id: int
    full_name: str
    position: str | None
    unit_name: str
    deed_date: date
    action: str
    result: str
    note: str | None
    exemplary_at: datetime | None
    groups: list[ContentGroup] = field(default_factory=list)

    @property
    def title(self) -> str:
        first = self.action.strip().splitlines()[0] if self.action.strip() else "(chưa có nội dung)"
        return shorten(first, 160)


@dataclass
class CommendedMember:
    user_id: int
    unit_id: int
    full_name: str
    position: str | None
    unit_name: str
    items: list[Commendation] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items)


@dataclass
class GoldenBook:
    """A branch's sổ vàng: how many deeds were commended there in the year."""

    unit_id: int
    name: str
    count: int


@dataclass
class Commendations:
    unit: Unit
    year: int
    month: int | None
    scope: Unit
    group: ContentGroup | None
    items: list[Commendation]
    total: int
    books: list[GoldenBook]
    people: int = 0  # members commended (all of them, not only those shown)

    @property
    def members(self) -> list[CommendedMember]:
        """Commended members, most commended first, then by name."""
        people: dict[tuple[int, int], CommendedMember] = {}
        for item in self.items:
            key = (item.user_id, item.unit_id)
            if key not in people:
                people[key] = CommendedMember(
                    item.user_id, item.unit_id, item.full_name, item.position, item.unit_name
                )
            people[key].items.append(item)
        return sorted(people.values(), key=lambda m: (-m.count, _name_key(m.full_name), m.user_id))

    @property
    def truncated(self) -> bool:
        return self.total > len(self.items)

    def report_text(self) -> str:
        """The list as a report writes it (điển hình tiên tiến), one paragraph per member."""
        lines = []
        for m in self.members:
            who = m.full_name + (f" – {m.position}" if m.position else "") + f", {m.unit_name}"
            deeds = "; ".join(f"“{i.title.rstrip('.;, ')}” (ngày {vn_date(i.deed_date)})" for i in m.items)
            lines.append(f"- {who} với việc làm theo lời Bác: {deeds};")
        if lines:
            lines[-1] = lines[-1][:-1] + "."
        return "\n".join(lines)


def _name_key(full_name: str) -> str:
    """Vietnamese lists go by given name, then middle and family name (app.core.collation)."""
    return name_sort_key(full_name)


COMMENDATION_LIMIT = 200  # on the page; the Excel file has them all (EXPORT_LIMIT)
EXPORT_LIMIT = 20_000


def commendations(
    unit: Unit,
    year: int,
    month: int | None = None,
    scope: Unit | None = None,
    group: ContentGroup | None = None,
    limit: int = COMMENDATION_LIMIT,
) -> Commendations:
    """Exemplary entries of the year (and month) in the subtree of `scope` (a unit under `unit`,
    `unit` by default), serving a commitment of content group `group` if given; newest deed first.
    Four queries: the counts, the entries with names, their content groups, the sổ vàng per branch."""
    scope = scope or unit
    first = date(year, month or 1, 1)
    last = date(year, month or 12, calendar.monthrange(year, month or 12)[1])
    conditions = [
        stats.exemplary_condition(),
        Entry.status.in_(EntryStatus.in_diary()),
        Entry.deed_date >= first,
        Entry.deed_date <= last,
        Entry.unit_id.in_(subtree_branch_ids(scope)),
    ]
    if group is not None:
        conditions.append(
            exists()
            .where(entry_commitments.c.entry_id == Entry.id)
            .where(Commitment.id == entry_commitments.c.commitment_id)
            .where(Standard.id == Commitment.standard_id)
            .where(Standard.group == group)
        )
    total, people = db.session.execute(
        select(func.count(), func.count(func.distinct(Entry.user_id))).select_from(Entry).where(*conditions)
    ).one()
    rows = db.session.execute(
        select(
            Entry.id,
            Entry.user_id,
            Entry.unit_id,
            User.full_name,
            User.position,
            Unit.name,
            Entry.deed_date,
            Entry.action,
            Entry.result,
            Entry.exemplary_note,
            Entry.exemplary_at,
        )
        .join(User, User.id == Entry.user_id)
        .join(Unit, Unit.id == Entry.unit_id)
        # The ids first, by themselves: so shaped, SQLite (without statistics) reads the small
        # index of commended entries rather than walking an index of every entry.
        .where(Entry.id.in_(select(Entry.id).where(*conditions)))
        .order_by(Entry.deed_date.desc(), Entry.id.desc())
        .limit(limit)
    ).all()
    items = [Commendation(*row) for row in rows]
    if items:
        by_id = {i.entry_id: i for i in items}
        for entry_id, content_group in db.session.execute(
            select(entry_commitments.c.entry_id, Standard.group)
            .join(Commitment, Commitment.id == entry_commitments.c.commitment_id)
            .join(Standard, Standard.id == Commitment.standard_id)
            .where(entry_commitments.c.entry_id.in_(list(by_id)))
            .distinct()
        ):
            if content_group not in by_id[entry_id].groups:
                by_id[entry_id].groups.append(content_group)
        order = list(ContentGroup)
        for item in items:
            item.groups.sort(key=order.index)
    books = [
        GoldenBook(unit_id, name, count)
        for unit_id, name, count in db.session.execute(
            select(Unit.id, Unit.name, func.count(Entry.id))
            .join(Entry, Entry.unit_id == Unit.id)
            .where(
                Unit.id.in_(subtree_branch_ids(scope)),
                stats.exemplary_condition(),
                Entry.status.in_(EntryStatus.in_diary()),
                Entry.deed_date >= date(year, 1, 1),
                Entry.deed_date <= date(year, 12, 31),
            )
            .group_by(Unit.id, Unit.name)
        )
    ]
    books.sort(key=lambda b: (-b.count, fold(b.name)))
    return Commendations(unit, year, month, scope, group, items, total or 0, books, people or 0)


def scope_choices(unit: Unit, limit: int = 1000) -> list[tuple[int, str]]:
    """The units under `unit` to filter by, in tree order, indented by depth (one query)."""
    rows = db.session.execute(
        select(Unit.id, Unit.name, Unit.path)
        .where(Unit.path.startswith(unit.path, autoescape=True))
        .order_by(Unit.path)
        .limit(limit)
    ).all()
    base = unit.path.count("/")
    by_path = sorted(rows, key=lambda r: [fold(p) for p in _names_path(r.path, rows)])
    return [(r.id, "\u2003" * (r.path.count("/") - base) + r.name) for r in by_path]


def _names_path(path: str, rows) -> list[str]:
    """The names from the top of the list down to the unit, for sorting a tree by name."""
    names = {str(r.id): r.name for r in rows}
    return [names.get(part, part) for part in path.strip("/").split("/")]


def unit_in_subtree(unit: Unit, unit_id: int | None) -> Unit | None:
    """A unit under `unit` (or itself) by id; None when it is not there."""
    if not unit_id:
        return None
    return db.session.scalar(
        select(Unit).where(Unit.id == unit_id, Unit.path.startswith(unit.path, autoescape=True))
    )


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
