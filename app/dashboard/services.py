"""The secretary's branch dashboard: each member's month, silence, review queue, sign-offs, plan.

Every figure comes from a handful of grouped queries over the whole branch (GROUP BY member),
never from one query per member, so the page costs the same number of queries for 3 members as
for 50 (tests/test_dashboard.py counts them). The caller checks the viewer may see the branch.

The period is a month of a year. Figures are taken "as of" the end of that month, or today
when the month is the current one:
- entries this month, last entry and the days since, and coverage count diary entries only
  (submitted, sent back for revision, reviewed; never drafts) dated up to that day;
- coverage is app.journal.services' rule, cell by cell (commitment × month, EXPECTED_PER_MONTH),
  for every member at once: the share of the cells so far that are "full";
- waiting for review is the queue now (status submitted), whatever the entry's month;
- months not signed off are the months of the year that are over (before the current month) and
  not after the chosen one, with diary entries but no signed MonthReview;
- a member "stands out" after `unit.remind_after_days` days without an entry; someone who has
  never written counts from the start of the year (not from the day the account was added: a
  branch imported in December with nobody writing is a branch to look at).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import contains_eager, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.models import User
from app.core.bounds import year_asked
from app.core.collation import person_key
from app.core.db import db
from app.core.enums import EntryStatus, Frequency, PlanStatus, Role, UnitKind
from app.core.filters import today_local
from app.dashboard import coverage
from app.dashboard.models import ALL_ENTRIES
from app.journal.models import Entry
from app.journal.services import coverage_score
from app.plans.models import Commitment, Plan
from app.review.models import MonthReview
from app.units.models import Membership, Unit

SORTS = {
    "attention": "Cần chú ý trước",
    "name": "Tên",
    "last": "Lâu chưa ghi nhất",
    "waiting": "Chờ nhận xét nhiều nhất",
}
FILTERS = {
    "all": "Tất cả",
    "silent": "Lâu chưa ghi",
    "noplan": "Chưa có kế hoạch",
    "waiting": "Có bài chờ nhận xét",
    "unsigned": "Có tháng chưa ký",
}


@dataclass
class MemberRow:
    """One member of the branch and their figures for the period."""

    membership: Membership
    month_entries: int = 0
    last_entry: date | None = None
    # Days without an entry, as of the period's reference day (from joining if never written).
    silent_days: int = 0
    is_silent: bool = False
    waiting: int = 0
    oldest_waiting: date | None = None
    unsigned_months: list[int] = field(default_factory=list)
    plan_status: PlanStatus | None = None  # of the newest version
    plan_version: int | None = None
    in_force_version: int | None = None  # the approved version, if any
    coverage_full: int = 0
    coverage_cells: int = 0

    @property
    def user(self) -> User:
        return self.membership.user

    @property
    def has_plan(self) -> bool:
        return self.plan_status is not None

    @property
    def coverage(self) -> float | None:
        """Share (0–1) of the commitment × month cells so far that are full; None without cells."""
        return self.coverage_full / self.coverage_cells if self.coverage_cells else None

    @property
    def name_key(self) -> tuple[str, int]:
        """Vietnamese lists go by given name, then middle and family name (app.core.collation)."""
        return person_key(self.user)


@dataclass
class BranchDashboard:
    unit: Unit
    year: int
    month: int
    as_of: date
    rows: list[MemberRow]

    @property
    def remind_after_days(self) -> int:
        return self.unit.remind_after_days

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def wrote(self) -> int:
        """Members with at least one diary entry in the month."""
        return sum(1 for r in self.rows if r.month_entries)

    @property
    def month_entries(self) -> int:
        return sum(r.month_entries for r in self.rows)

    @property
    def waiting(self) -> int:
        """Entries waiting for review, the whole branch."""
        return sum(r.waiting for r in self.rows)

    @property
    def waiting_members(self) -> int:
        return sum(1 for r in self.rows if r.waiting)

    @property
    def unsigned(self) -> int:
        """Member-months with entries that are not signed off."""
        return sum(len(r.unsigned_months) for r in self.rows)

    @property
    def unsigned_members(self) -> int:
        return sum(1 for r in self.rows if r.unsigned_months)

    @property
    def no_plan(self) -> int:
        return sum(1 for r in self.rows if not r.has_plan)

    @property
    def silent(self) -> int:
        return sum(1 for r in self.rows if r.is_silent)

    def sorted_rows(self, sort: str = "attention", show: str = "all") -> list[MemberRow]:
        """The rows filtered by `show` (FILTERS) and ordered by `sort` (SORTS)."""
        keep = {
            "silent": lambda r: r.is_silent,
            "noplan": lambda r: not r.has_plan,
            "waiting": lambda r: r.waiting > 0,
            "unsigned": lambda r: bool(r.unsigned_months),
        }.get(show, lambda r: True)
        rows = [r for r in self.rows if keep(r)]
        far = date.max
        keys = {
            "name": lambda r: r.name_key,
            # Never written first, then the oldest last entry.
            "last": lambda r: (r.last_entry is not None, r.last_entry or far, r.name_key),
            "waiting": lambda r: (-r.waiting, r.oldest_waiting or far, r.name_key),
            # Silent members (longest silence first), then those without a plan, then by name.
            "attention": lambda r: (
                not r.is_silent,
                -r.silent_days if r.is_silent else 0,
                r.has_plan,
                r.name_key,
            ),
        }
        return sorted(rows, key=keys.get(sort, keys["attention"]))


@dataclass
class _CommitmentFacts:
    """What the coverage rule reads of a commitment (the columns, not the ORM object)."""

    id: int
    lineage_id: int | None
    frequency: Frequency
    deadline: date | None


# ---- the statements --------------------------------------------------------------------------------
# Built once (on first use, when every model is mapped), with bind parameters (:unit_id, :year, the
# days): building statements of this size and their cache keys costs a millisecond or two per
# request, a tenth of the page's budget.


@cache
def _members_statement() -> Select:
    """The branch's members (deputies and secretaries too, not officers), each with: diary
    entries in the month, the last diary entry up to :as_of, entries waiting for review and the
    oldest of them. Each figure is read from an index over a narrow range: the month's entries by
    date, the waiting ones by status, and for each member the latest entry up to :as_of (LIMIT 1,
    newest first; SQLite, without planner statistics, takes the branch's index by date for it,
    which walks back through the branch's entries for a member who has not written for long).

    Of each person, what the page shows, and all their memberships (joined: no second query), so
    that templates may ask permissions about each row (can_review reads the roles) without a query
    each. The rows' unit is the branch, already loaded: branch_dashboard sets it on each row."""
    unit_id = bindparam("unit_id")
    in_month = (
        select(Entry.user_id.label("user_id"), func.count().label("entries"))
        .where(
            Entry.unit_id == unit_id,
            Entry.deed_date.between(bindparam("first"), bindparam("last")),
            Entry.status.in_(EntryStatus.in_diary()),
        )
        .group_by(Entry.user_id)
        .subquery()
    )
    waiting = (
        select(
            Entry.user_id.label("user_id"),
            func.count().label("entries"),
            func.min(Entry.deed_date).label("oldest"),
        )
        .where(Entry.unit_id == unit_id, Entry.status == EntryStatus.SUBMITTED)
        .group_by(Entry.user_id)
        .subquery()
    )
    last_entry = (
        select(Entry.deed_date)
        .where(
            Entry.user_id == Membership.user_id,
            Entry.unit_id == unit_id,
            Entry.deed_date <= bindparam("as_of"),
            Entry.status.in_(EntryStatus.in_diary()),
        )
        .order_by(Entry.deed_date.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(
            Membership,
            func.coalesce(in_month.c.entries, 0),
            last_entry,
            func.coalesce(waiting.c.entries, 0),
            waiting.c.oldest,
        )
        .join(Membership.user)
        .outerjoin(in_month, in_month.c.user_id == Membership.user_id)
        .outerjoin(waiting, waiting.c.user_id == Membership.user_id)
        .where(Membership.unit_id == unit_id, Membership.role != Role.OFFICER)
        .options(
            lazyload(Membership.unit),
            # Only what the rows read: a person already in the session (the viewer) keeps the rest.
            contains_eager(Membership.user).load_only(User.full_name, User.name_sort_key, User.position),
            contains_eager(Membership.user).joinedload(User.memberships).lazyload(Membership.unit),
        )
    )


@cache
def _plans_statement() -> Select:
    """Every version of every plan of :year in the branch with its commitments, in order (a plan
    without commitments gives one row, its commitment columns NULL)."""
    return (
        select(
            Plan.user_id,
            Plan.id,
            Plan.version,
            Plan.status,
            Plan.created_at,
            Commitment.id,
            Commitment.lineage_id,
            Commitment.frequency,
            Commitment.deadline,
        )
        .outerjoin(Commitment, Commitment.plan_id == Plan.id)
        .where(Plan.unit_id == bindparam("unit_id"), Plan.year == bindparam("year"))
        .order_by(Plan.id, Commitment.sort_order)
    )


@cache
def _signed_statement() -> Select:
    """(member, month) of :year signed off in the branch."""
    return select(MonthReview.user_id, MonthReview.month).where(
        MonthReview.unit_id == bindparam("unit_id"),
        MonthReview.year == bindparam("year"),
        MonthReview.signed_at.is_not(None),
    )


# ---- the dashboard ---------------------------------------------------------------------------------


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def branch_dashboard(unit: Unit, year: int, month: int, today: date | None = None) -> BranchDashboard:
    """The dashboard of a branch for a month; four queries whatever the branch's size.

    For the branch's secretaries, officers above and administrators (the caller checks).
    """
    today = today or today_local()
    first, last = month_bounds(year, month)
    as_of = min(today, last)
    # Months that are over: before this month, and not after the chosen one.
    unsigned_before = min(_next_month(first), date(today.year, today.month, 1))

    coverage.refresh(unit.id, year)  # first: it may commit, which would expire what is loaded
    rows: dict[int, MemberRow] = {}
    for membership, count, last_entry, waiting, oldest in db.session.execute(
        _members_statement(), {"unit_id": unit.id, "first": first, "last": last, "as_of": as_of}
    ).unique():
        set_committed_value(membership, "unit", unit)  # the branch: no lookup per row (role_label)
        rows[membership.user_id] = MemberRow(
            membership, month_entries=count, last_entry=last_entry, waiting=waiting, oldest_waiting=oldest
        )
    written = _add_plans_and_coverage(unit, year, as_of, rows)  # 2 queries
    run = db.session.connection().execute  # Core rows: no ORM work for plain columns
    signed = {
        (user_id, signed_month)
        for user_id, signed_month in run(_signed_statement(), {"unit_id": unit.id, "year": year}).all()
    }
    for user_id, written_month in written:
        if (
            user_id in rows
            and date(year, written_month, 1) < unsigned_before
            and (user_id, written_month) not in signed
        ):
            rows[user_id].unsigned_months.append(written_month)

    for row in rows.values():
        row.unsigned_months.sort()
        # Never written: silent since the period began (the year), whenever the account was added.
        since = row.last_entry or date(year, 1, 1)
        row.silent_days = max(0, (as_of - since).days)
        row.is_silent = row.silent_days >= unit.remind_after_days
    return BranchDashboard(unit, year, month, as_of, list(rows.values()))


def _add_plans_and_coverage(
    unit: Unit, year: int, as_of: date, rows: dict[int, MemberRow]
) -> set[tuple[int, int]]:
    """Plan status and coverage for every member: the plans with their commitments, and the diary
    entries per member × commitment lineage × month, two queries in all. Returns the (member,
    month) pairs of the year up to `as_of` with diary entries (with or without a commitment):
    a month is "not signed" when it is over, has entries and is not signed off.

    Coverage follows app.journal.services.coverage() exactly: the working plan is the approved
    version in force, else the newest; expectations start when the member first made a plan this
    year; each cell is judged by the same rule (coverage_score, which agrees with coverage_row).
    """
    run = db.session.connection().execute  # Core rows: no ORM work for plain columns
    newest: dict[int, tuple[int, int, PlanStatus]] = {}
    approved: dict[int, tuple[int, int]] = {}
    first_plan_at: dict[int, datetime] = {}
    commitments_by_plan: dict[int, list[_CommitmentFacts]] = defaultdict(list)
    plans = run(_plans_statement(), {"unit_id": unit.id, "year": year}).all()
    for (
        user_id,
        plan_id,
        version,
        status,
        created_at,
        commitment_id,
        lineage_id,
        frequency,
        deadline,
    ) in plans:
        if commitment_id is not None:
            commitments_by_plan[plan_id].append(
                _CommitmentFacts(commitment_id, lineage_id, frequency, deadline)
            )
        if user_id not in newest or version > newest[user_id][0]:
            newest[user_id] = (version, plan_id, status)
        if status is PlanStatus.APPROVED and (user_id not in approved or version > approved[user_id][0]):
            approved[user_id] = (version, plan_id)
        if user_id not in first_plan_at or created_at < first_plan_at[user_id]:
            first_plan_at[user_id] = created_at

    counts: dict[int, dict[int, dict[int, int]]] = {}
    written: set[tuple[int, int]] = set()
    for user_id, lineage_id, entry_month, count in coverage.counts(unit.id, year, as_of.month):
        if lineage_id == ALL_ENTRIES:
            written.add((user_id, entry_month))
        else:
            counts.setdefault(user_id, {}).setdefault(lineage_id, {})[entry_month] = count

    no_counts: dict[int, dict[int, int]] = {}
    for user_id, row in rows.items():
        if user_id not in newest:
            continue
        row.plan_version, working, row.plan_status = newest[user_id]
        if user_id in approved:
            row.in_force_version, working = approved[user_id]
        start = max(date(year, 1, 1), first_plan_at[user_id].date())
        mine = counts.get(user_id, no_counts)
        full = cells = 0
        for c in commitments_by_plan.get(working, ()):
            f, n = coverage_score(
                c.frequency, c.deadline, mine.get(c.lineage_id or c.id, {}), year, start, as_of
            )
            full += f
            cells += n
        row.coverage_full, row.coverage_cells = full, cells
    return written


def parse_period(year_arg: str | None, month_arg: str | None, today: date | None = None) -> tuple[int, int]:
    """The (year, month) asked for in the query string; anything odd, or in the future, gives
    the current month (never an error)."""
    today = today or today_local()
    year = year_asked(year_arg, today)
    try:
        month = int(month_arg) if month_arg else None
    except ValueError:
        month = None
    if month is None or not 1 <= month <= 12:
        month = today.month if year == today.year else 12
    if (year, month) > (today.year, today.month):
        year, month = today.year, today.month
    return year, month


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def following_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def branches_under(unit: Unit, visible) -> list[Unit]:
    """Branches (chi đoàn, chi bộ) in the unit's subtree among `visible` (a scoped query), by
    name; for the message shown when a dashboard is asked of a unit that is not a branch."""
    branch_kinds = [k for k in UnitKind if k.is_branch]
    return list(
        db.session.scalars(
            visible.where(
                Unit.path.startswith(unit.path, autoescape=True),
                Unit.kind.in_(branch_kinds),
                Unit.is_active.is_(True),
            )
            .order_by(Unit.name)
            .limit(200)
        )
    )
