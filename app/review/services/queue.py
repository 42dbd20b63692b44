"""The review queue: what waits for the viewer in a branch, and for an officer the leaders' entries below."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Row, and_, bindparam, func, or_, select
from sqlalchemy.orm import lazyload

from app.auth.models import User
from app.core import permissions
from app.core.collation import people_order
from app.core.db import db
from app.core.enums import EntryStatus, PlanStatus, Role, UnitKind
from app.core.filters import to_local, today_local
from app.journal.models import Entry
from app.plans.models import Plan
from app.review.services.common import _title
from app.units.models import Membership, Unit

# ---- the review queue ---------------------------------------------------------------------------


def _reviews_in_branch(viewer: User, unit: Unit) -> bool | None:
    """Whom the viewer reviews in `unit`: True everyone (an officer over the branch), False the
    members but not the secretary and deputies (the branch's own secretary or deputy), None
    nobody. The rule of permissions.can_review, for a whole branch at once."""
    if not unit.kind.is_branch:
        return None
    if permissions.is_officer_over(viewer, unit):
        return True
    role = permissions.role_in(viewer, unit)
    return False if role is not None and role.manages_branch else None


def reviewable_members(viewer: User, unit: Unit) -> list[User]:
    """Members of the branch whose diaries the viewer reviews, by name (one query).

    The same rule as permissions.can_review, for the whole branch at once: officers over the
    branch review everyone in it (its secretary and deputies included), the branch's secretary
    and deputies review the members.
    """
    everyone = _reviews_in_branch(viewer, unit)
    if everyone is None:
        return []
    rows = db.session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit.id, Membership.role != Role.OFFICER, User.id != viewer.id)
        .options(lazyload(User.memberships))
        .order_by(*people_order())
    ).all()
    return [user for user, member_role in rows if everyone or not member_role.manages_branch]


def _user_column(column):
    return select(column).where(User.id == Membership.user_id).scalar_subquery()


# The names are looked up by primary key for each membership of the branch: joined instead,
# PostgreSQL reads the whole users table (a hash join is what its cost model prefers for the 30
# rows of a branch), a millisecond at province size and growing with the province.
# Like the month screen's other statements (_MONTH_ENTRIES, _MONTH_REVIEW, _YEAR_PLANS), built
# once with bind parameters: building a statement anew costs 0.1 to 0.7 ms a request, as much as
# running some of them.
_BRANCH_NAMES = (
    select(Membership.user_id.label("id"), _user_column(User.full_name).label("full_name"), Membership.role)
    .where(
        Membership.unit_id == bindparam("unit_id"),
        Membership.role != Role.OFFICER,
        Membership.user_id != bindparam("viewer_id"),
    )
    .order_by(_user_column(User.name_sort_key), Membership.user_id)
)


def reviewable_names(viewer: User, unit: Unit) -> list[Row]:
    """reviewable_members as (id, full_name) rows, in the same order: what the month screen's
    links to the previous and next member need, without an ORM object per member (one query)."""
    everyone = _reviews_in_branch(viewer, unit)
    if everyone is None:
        return []
    rows = db.session.execute(_BRANCH_NAMES, {"unit_id": unit.id, "viewer_id": viewer.id})
    return [row for row in rows if everyone or not row.role.manages_branch]


@dataclass
class QueueItem:
    """An entry waiting for review, as the queue shows it (plain columns: no ORM object per row)."""

    id: int
    user_id: int
    unit_id: int
    member_name: str
    deed_date: date
    action: str
    created_at: datetime
    submitted_at: datetime | None
    reviewed_at: datetime | None
    revision_requested_at: datetime | None
    age_days: int

    @property
    def title(self) -> str:
        return _title(self.action, 90)

    @property
    def is_backdated(self) -> bool:
        return to_local(self.created_at).date() > self.deed_date

    @property
    def resubmitted(self) -> bool:
        """Sent again after a revision request."""
        return self.revision_requested_at is not None and (
            self.reviewed_at is None or self.revision_requested_at >= self.reviewed_at
        )

    @property
    def edited_after_review(self) -> bool:
        return self.reviewed_at is not None and not self.resubmitted


@dataclass
class OldestWaiting:
    """A member's longest-waiting entry, for the table by member (what its link and age need)."""

    id: int
    user_id: int
    deed_date: date
    age_days: int


@dataclass
class MemberQueue:
    member_id: int
    name: str
    items: list[QueueItem]
    # Counted in SQL over everything waiting (not only the entries listed), with the oldest one.
    count: int | None = None
    first: OldestWaiting | None = None

    @property
    def oldest(self) -> QueueItem | OldestWaiting:
        return self.first or self.items[0]

    @property
    def waiting(self) -> int:
        return self.count if self.count is not None else len(self.items)


@dataclass
class ReviewQueue:
    unit: Unit
    members: list[User]
    items: list[QueueItem]
    plans: list[Plan]
    by_member: list[MemberQueue]
    branches: list[tuple[Unit, int, int]] = field(default_factory=list)  # upper units: (branch, waiting, age)
    waiting: int | None = None  # every waiting entry, when `items` holds only the first page
    more: bool = False  # entries wait after the last one listed (keyset pagination: ?after=<id>)

    @property
    def total(self) -> int:
        return self.waiting if self.waiting is not None else len(self.items)


def _age(moment: datetime | None, today: date) -> int:
    return max(0, (today - to_local(moment).date()).days) if moment else 0


def _queue_select():
    """Submitted entries with their author's name, oldest submission first; the first 200
    characters of the text are enough for a title."""
    return (
        select(
            Entry.id,
            Entry.user_id,
            Entry.unit_id,
            User.full_name,
            Entry.deed_date,
            func.substr(Entry.action, 1, 200),
            Entry.created_at,
            Entry.submitted_at,
            Entry.reviewed_at,
            Entry.revision_requested_at,
        )
        .join(User, User.id == Entry.user_id)
        .where(Entry.status == EntryStatus.SUBMITTED)
        .order_by(Entry.submitted_at, Entry.id)
    )


def _queue_items(stmt, today: date) -> list[QueueItem]:
    return [QueueItem(*row, age_days=_age(row[7], today)) for row in db.session.execute(stmt)]


def _group(items: list[QueueItem]) -> list[MemberQueue]:
    groups: dict[int, MemberQueue] = {}
    for item in items:  # oldest first, so each member's first item is their oldest
        groups.setdefault(item.user_id, MemberQueue(item.user_id, item.member_name, [])).items.append(item)
    return list(groups.values())


def _waiting_by_member(unit: Unit, ids: list[int], today: date) -> list[MemberQueue]:
    """Per member, how many entries wait and the oldest of them, counted in SQL (one query), oldest
    first: the table by member stays right however long the queue grows, without loading it."""
    ranked = (
        select(
            Entry.id,
            Entry.user_id,
            Entry.deed_date,
            Entry.submitted_at,
            func.row_number()
            .over(partition_by=Entry.user_id, order_by=(Entry.submitted_at, Entry.id))
            .label("rank"),
            func.count().over(partition_by=Entry.user_id).label("waiting"),
        )
        .where(Entry.unit_id == unit.id, Entry.status == EntryStatus.SUBMITTED, Entry.user_id.in_(ids))
        .subquery()
    )
    rows = db.session.execute(
        select(
            ranked.c.id,
            ranked.c.user_id,
            User.full_name,
            ranked.c.deed_date,
            ranked.c.submitted_at,
            ranked.c.waiting,
        )
        .join(User, User.id == ranked.c.user_id)
        .where(ranked.c.rank == 1)
        .order_by(ranked.c.submitted_at, ranked.c.id)
    )
    return [
        MemberQueue(
            user_id, name, [], waiting, OldestWaiting(entry_id, user_id, deed_date, _age(submitted, today))
        )
        for entry_id, user_id, name, deed_date, submitted, waiting in rows
    ]


def review_queue(
    viewer: User,
    unit: Unit,
    member_id: int | None = None,
    today: date | None = None,
    limit: int | None = None,
    after: int | None = None,
) -> ReviewQueue:
    """What waits for the viewer in a branch: submitted entries not yet reviewed, oldest first,
    and plans waiting for approval — of the members the viewer reviews. Four queries whatever
    the branch's size (members, entries, the count by member, plans).

    `limit` lists only the first so many entries (0: none, only the counts); `after` (an entry id)
    continues the list after that entry, in the same order (keyset pagination)."""
    today = today or today_local()
    members = reviewable_members(viewer, unit)
    ids = [m.id for m in members]
    if member_id is not None:
        ids = [i for i in ids if i == member_id]
    if not ids:
        return ReviewQueue(unit, members, [], [], [], waiting=0)
    items: list[QueueItem] = []
    more = False
    if limit != 0:
        stmt = _queue_select().where(Entry.unit_id == unit.id, Entry.user_id.in_(ids))
        if after is not None:
            mark = select(Entry.submitted_at).where(Entry.id == after).scalar_subquery()
            stmt = stmt.where(
                or_(Entry.submitted_at > mark, and_(Entry.submitted_at == mark, Entry.id > after))
            )
        if limit is not None:
            stmt = stmt.limit(limit + 1)
        items = _queue_items(stmt, today)
        if limit is not None and len(items) > limit:
            items, more = items[:limit], True
    by_member = _waiting_by_member(unit, ids, today)
    plans = list(
        db.session.scalars(
            select(Plan)
            .where(Plan.unit_id == unit.id, Plan.status == PlanStatus.SUBMITTED, Plan.user_id.in_(ids))
            .options(lazyload(Plan.commitments))
            .order_by(Plan.submitted_at, Plan.id)
        )
    )
    waiting = sum(g.waiting for g in by_member)
    return ReviewQueue(unit, members, items, plans, by_member, waiting=waiting, more=more)


BRANCH_KINDS = [k for k in UnitKind if k.is_branch]
LEADER_ROLES = (Role.SECRETARY, Role.DEPUTY_SECRETARY)


def leaders_queue(viewer: User, unit: Unit, today: date | None = None, limit: int = 300) -> ReviewQueue:
    """For an officer of an upper unit: the secretaries' and deputies' own entries waiting in every
    branch under it (their diaries are reviewed one level up), their plans waiting for approval,
    and the branches whose queues hold entries, oldest first."""
    today = today or today_local()
    permissions.require(permissions.is_officer_over(viewer, unit))
    in_subtree = Unit.path.startswith(unit.path, autoescape=True)
    leader = and_(
        Membership.user_id == Entry.user_id,
        Membership.unit_id == Entry.unit_id,
        Membership.role.in_(LEADER_ROLES),
    )
    stmt = (
        _queue_select()
        .join(Unit, Unit.id == Entry.unit_id)
        .join(Membership, leader)
        .where(in_subtree, Entry.user_id != viewer.id)
        .limit(limit)
    )
    items = _queue_items(stmt, today)
    plans = list(
        db.session.scalars(
            select(Plan)
            .join(Unit, Unit.id == Plan.unit_id)
            .join(
                Membership,
                and_(
                    Membership.user_id == Plan.user_id,
                    Membership.unit_id == Plan.unit_id,
                    Membership.role.in_(LEADER_ROLES),
                ),
            )
            .where(in_subtree, Plan.status == PlanStatus.SUBMITTED, Plan.user_id != viewer.id)
            .options(lazyload(Plan.commitments))
            .order_by(Plan.submitted_at, Plan.id)
            .limit(limit)
        )
    )
    oldest = func.min(Entry.submitted_at)
    branch_rows = db.session.execute(
        select(Unit, func.count(Entry.id), oldest)
        .join(Entry, Entry.unit_id == Unit.id)
        .where(in_subtree, Unit.kind.in_(BRANCH_KINDS), Entry.status == EntryStatus.SUBMITTED)
        .group_by(Unit.id)
        .order_by(oldest)
        .limit(limit)
    ).all()
    branches = [(branch, count, _age(first, today)) for branch, count, first in branch_rows]
    return ReviewQueue(unit, [], items, plans, _group(items), branches)
