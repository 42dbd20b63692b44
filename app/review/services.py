"""The secretary's month: the review queue, comments, revision requests, commendation, sign-off.

Plain functions that take the acting user, check with app.core.permissions (403 through
`require`), change state, write an audit row, notify whom it concerns and flush; the view
commits once. A broken rule raises ReviewError with a Vietnamese message and the form field it
belongs next to.

Who reviews whom is permissions.can_review: a branch's secretary or deputy reviews its members;
a secretary's or deputy's own diary is reviewed by the officers over the branch; nobody reviews
themselves and administrators review nobody.

Signing a month stores the SHA-256 of the canonical JSON of its entries and month comment
(app.review.hashing); a signed month is frozen — app.core.locks answers for it, and every change
here that the month's PDF would print (comments, revision requests, commendations, the month
comment) asks it first — and verify_month says which entries differ from what was signed.
"""

from __future__ import annotations

import calendar
import difflib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from markupsafe import Markup, escape
from sqlalchemy import Row, and_, bindparam, func, or_, select, text
from sqlalchemy.orm import aliased, contains_eager, joinedload, lazyload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from app.audit import services as audit
from app.audit.models import AuditLog
from app.auth.models import User
from app.core import locks, permissions
from app.core.collation import people_order
from app.core.db import db, utcnow
from app.core.enums import EntryStatus, PlanStatus, Role, UnitKind
from app.core.filters import to_local, today_local, vn_date
from app.core.rules import RuleError
from app.core.text import nfc, shorten
from app.journal import services as journal
from app.journal.models import Entry, Evidence, entry_commitments
from app.notifications.services import app_path, notify
from app.plans.models import Commitment, Plan
from app.review import hashing
from app.review.models import EntryComment, EntrySnapshot, MonthReopening, MonthReview
from app.units.models import Membership, Unit

MAX_COMMENT = 3000
MAX_REASON = 2000
MAX_NOTE = 1000
MAX_MONTH_COMMENT = 5000


class ReviewError(RuleError):
    """A review rule was broken; the message is for the user, `field` says next to which field."""


class MonthConflict(ReviewError):
    """The month comment changed since the form was opened (optimistic locking)."""

    def __init__(self, message: str, saved: MonthReview | None):
        super().__init__(message, "comment")
        self.saved = saved


CONFLICT_MESSAGE = (
    "Nhận xét tháng vừa được lưu ở nơi khác (một người khác hoặc một thẻ khác) sau khi bạn mở trang. "
    "Nội dung bạn vừa gõ vẫn còn dưới đây; bản đã lưu hiển thị bên cạnh. Hãy xem lại rồi lưu lại."
)


def _real(user):
    """The User behind flask_login's current_user proxy."""
    getter = getattr(user, "_get_current_object", None)
    return getter() if getter is not None else user


def _text(
    value: str | None, limit: int, field_name: str, label: str, required_message: str | None = None
) -> str:
    text = (nfc(value or "") or "").strip()
    if required_message and not text:
        raise ReviewError(required_message, field_name)
    if len(text) > limit:
        raise ReviewError(
            f"{label} tối đa {limit:,} ký tự (hiện có {len(text):,}).".replace(",", "."), field_name
        )
    return text


def _keep_updated_at(entry: Entry) -> None:
    """A review changes the entry's status, not what the member wrote: keep "sửa lần cuối" as it was."""
    flag_modified(entry, "updated_at")


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise ReviewError(
            "Bài hoặc tháng này vừa được thay đổi ở nơi khác cùng lúc. Hãy tải lại trang và xem lại."
        ) from exc


# ---- links (app paths; notifications are also built outside a request) --------------------------


def entry_path(entry: Entry) -> str:
    return app_path("journal.entry", entry_id=entry.id)


def member_month_path(unit_id: int, year: int, month: int) -> str:
    """The member's own calendar of that month (the link in what they are told)."""
    return app_path("journal.month", year=year, month=month, unit_id=unit_id)


def review_path(unit_id: int, member_id: int, year: int, month: int, entry_id: int | None = None) -> str:
    path = app_path("review.month", unit_id=unit_id, user_id=member_id, year=year, month=month)
    return f"{path}#entry-{entry_id}" if entry_id else path


# ---- who may ---------------------------------------------------------------------------------------


def can_review_member(user: User, member: User, unit: Unit) -> bool:
    """Review `member`'s diary in the branch `unit` (permissions.can_review, for a diary kept there)."""
    return permissions.keeps_diary_in(member, unit) and permissions.can_review(user, member, unit)


def can_review_entry(user: User, entry: Entry) -> bool:
    return entry.status is not EntryStatus.DRAFT and permissions.can_review(user, entry.user, entry.unit)


def can_comment_entry(user: User, entry: Entry) -> bool:
    """Reviewers comment; the member replies on their own entry. Drafts are not commented."""
    if entry.status is EntryStatus.DRAFT or not getattr(user, "is_authenticated", False):
        return False
    if user.id == entry.user_id:
        return permissions.keeps_diary_in(user, entry.unit)
    return permissions.can_review(user, entry.user, entry.unit)


can_review_in = permissions.can_review_in


# ---- freezing: app.core.locks, asked before anything a signed month's PDF prints changes -----------


def month_is_signed(owner: User, unit: Unit, year: int, month: int) -> bool:
    """Whether the member's month in the branch is signed off (uses the unique index of month_reviews)."""
    return locks.is_month_signed(owner.id, unit.id, year, month)


def _require_open_month(entry: Entry) -> None:
    """LockedError when the entry's month (in the entry's own branch) is signed or its year closed."""
    locks.ensure(locks.entry_lock(entry))


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


# ---- one member's month ---------------------------------------------------------------------------


@dataclass
class FieldDiff:
    label: str
    html: Markup


@dataclass
class EntryDiff:
    snapshot: EntrySnapshot
    fields: list[FieldDiff]

    @property
    def reason_label(self) -> str:
        return {
            "reviewed": "lần đánh dấu đã xem",
            "revision": "lần yêu cầu bổ sung",
            "signed": "lần ký xác nhận tháng",
        }.get(self.snapshot.reason, "lần xem trước")


@dataclass
class EntryReview:
    """An entry on the month screen: its comments and what changed since it was last reviewed."""

    entry: Entry
    comments: list[EntryComment]
    diff: EntryDiff | None


_TOKENS = re.compile(r"\s+|\S+")


def word_diff(old: str, new: str) -> Markup:
    """`new` with the words removed since `old` in <del> and the added ones in <ins>; text escaped."""
    a, b = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    out: list[Markup] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            out.append(Markup("<del>{}</del>").format("".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            out.append(Markup("<ins>{}</ins>").format("".join(b[j1:j2])))
    return Markup("").join(out)


def _list_diff(removed: list[str], added: list[str]) -> Markup:
    parts = [Markup("<del>{}</del>").format(x) for x in removed] + [
        Markup("<ins>{}</ins>").format(x) for x in added
    ]
    return Markup("; ").join(parts)


def diff_entry(entry: Entry, snapshot: EntrySnapshot, labels: dict[int, str]) -> EntryDiff | None:
    """Field by field, what changed in the entry since `snapshot` (None when nothing did)."""
    old = json.loads(snapshot.content)
    new = hashing.entry_content(entry)
    fields: list[FieldDiff] = []
    for name in hashing.changed_fields(old, new, ignore=("status",)):
        label = hashing.FIELDS[name]
        if name in ("place", "action", "result", "lesson"):
            html = word_diff(old.get(name, ""), new[name])
        elif name == "deed_date":
            html = _list_diff([_vn_iso(old.get(name))], [_vn_iso(new[name])])
        elif name == "commitment_ids":
            before, after = set(old.get(name) or []), set(new[name])
            html = _list_diff(
                [labels.get(i, f"#{i}") for i in sorted(before - after)],
                [labels.get(i, f"#{i}") for i in sorted(after - before)],
            )
        else:  # evidence, by content hash
            before, after = old.get(name) or [], new[name]
            names = {e.sha256: e.original_name for e in entry.evidence}
            removed = [h for h in before if h not in after]
            added = [h for h in after if h not in before]
            html = _list_diff(
                [f"{len(removed)} tệp đã bỏ"] if removed else [], [names.get(h, "tệp mới") for h in added]
            )
        fields.append(FieldDiff(label, html))
    return EntryDiff(snapshot, fields) if fields else None


def _vn_iso(value) -> str:
    try:
        return vn_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


# A comment shows its author's name: the author comes with it (joined), without the author's
# memberships (User.memberships would otherwise cost one more query whenever there are comments).
_AUTHOR_ONLY = joinedload(EntryComment.author).lazyload(User.memberships)


def _month_entries_statement():
    newer = aliased(EntrySnapshot)
    latest_id = select(func.max(newer.id)).where(newer.entry_id == Entry.id).scalar_subquery()
    return (
        select(Entry, EntrySnapshot)
        .outerjoin(EntrySnapshot, EntrySnapshot.id == latest_id)
        .outerjoin(entry_commitments, entry_commitments.c.entry_id == Entry.id)
        .outerjoin(Commitment, Commitment.id == entry_commitments.c.commitment_id)
        .outerjoin(Evidence, Evidence.entry_id == Entry.id)
        .where(
            Entry.user_id == bindparam("member_id"),
            Entry.unit_id == bindparam("unit_id"),
            Entry.deed_date >= bindparam("first"),
            Entry.deed_date <= bindparam("last"),
        )
        # The author is the member, loaded already (as in journal.diary_entries); a commitment
        # is shown by its own label, without its standard.
        .options(
            lazyload(Entry.user),
            contains_eager(Entry.commitments).lazyload(Commitment.standard),
            contains_eager(Entry.evidence),
        )
        .order_by(Entry.deed_date.desc(), Entry.id.desc(), Commitment.id, Evidence.id)
    )


# Built once (see _BRANCH_NAMES): building it, the snapshot alias above all, cost more than half
# a millisecond a request.
_MONTH_ENTRIES = _month_entries_statement()


def month_entries_with_snapshots(
    member: User, unit: Unit, year: int, month: int
) -> tuple[list[Entry], dict[int, EntrySnapshot]]:
    """journal.month_entries (the member's entries of the month in the branch, drafts included,
    newest first) with their commitments, evidence and latest snapshot, in one query instead of
    four: (entries, {entry id: latest snapshot}) for entry_reviews. Commitments come in id order
    and evidence in upload order."""
    rows = db.session.execute(
        _MONTH_ENTRIES,
        {
            "member_id": member.id,
            "unit_id": unit.id,
            "first": date(year, month, 1),
            "last": date(year, month, calendar.monthrange(year, month)[1]),
        },
    ).unique()
    entries, latest = [], {}
    for entry, snapshot in rows:
        entries.append(entry)
        if snapshot is not None:
            latest[entry.id] = snapshot
    return entries, latest


def entry_reviews(entries: list[Entry], latest: dict[int, EntrySnapshot] | None = None) -> list[EntryReview]:
    """Comments and the diff since the latest snapshot for each entry (two queries; one when the
    latest snapshots are given, as month_entries_with_snapshots loads them; one more when a
    snapshot names a commitment the entry no longer serves)."""
    ids = [e.id for e in entries]
    comments: dict[int, list[EntryComment]] = defaultdict(list)
    labels: dict[int, str] = {}
    if ids:
        for c in db.session.scalars(
            select(EntryComment)
            .where(EntryComment.entry_id.in_(ids))
            .options(_AUTHOR_ONLY)
            .order_by(EntryComment.created_at, EntryComment.id)
        ):
            comments[c.entry_id].append(c)
        if latest is None:
            latest = {}
            for s in db.session.scalars(
                select(EntrySnapshot).where(EntrySnapshot.entry_id.in_(ids)).order_by(EntrySnapshot.id.desc())
            ):
                latest.setdefault(s.entry_id, s)
        # Labels of the commitments a diff may name: the entries' own are loaded already; only
        # those a snapshot names and the entry no longer serves need a query.
        actions = {c.id: c.action for e in entries for c in e.commitments}
        wanted = {i for s in latest.values() for i in json.loads(s.content).get("commitment_ids", [])}
        if missing := wanted - actions.keys():
            actions.update(
                db.session.execute(
                    select(Commitment.id, Commitment.action).where(Commitment.id.in_(missing))
                ).all()
            )
        labels = {k: shorten((v.strip().splitlines() or [""])[0], 80) for k, v in actions.items()}
    latest = latest or {}
    return [
        EntryReview(
            e, comments.get(e.id, []), diff_entry(e, latest[e.id], labels) if e.id in latest else None
        )
        for e in entries
    ]


def entry_comments(entry: Entry) -> list[EntryComment]:
    return list(
        db.session.scalars(
            select(EntryComment)
            .where(EntryComment.entry_id == entry.id)
            .options(_AUTHOR_ONLY)
            .order_by(EntryComment.created_at, EntryComment.id)
        )
    )


def latest_diff(entry: Entry) -> EntryDiff | None:
    """What changed in one entry since it was last reviewed (for the entry page)."""
    return entry_reviews([entry])[0].diff


# Built once (see _BRANCH_NAMES).
_MONTH_REVIEW = select(MonthReview).where(
    MonthReview.user_id == bindparam("member_id"),
    MonthReview.unit_id == bindparam("unit_id"),
    MonthReview.year == bindparam("year"),
    MonthReview.month == bindparam("month"),
)
_MONTH_REVIEW_WITH_REOPENINGS = _MONTH_REVIEW.options(joinedload(MonthReview.reopenings))


def get_month_review(
    member: User, unit: Unit, year: int, month: int, with_reopenings: bool = False
) -> MonthReview | None:
    """The member's month row, if any; `with_reopenings` joins its reopenings on (one query
    instead of two, for the month screen that shows them)."""
    params = {"member_id": member.id, "unit_id": unit.id, "year": year, "month": month}
    if not with_reopenings:
        return db.session.scalar(_MONTH_REVIEW, params)
    return db.session.execute(_MONTH_REVIEW_WITH_REOPENINGS, params).unique().scalar_one_or_none()


# Built once (see _BRANCH_NAMES). The owner and the branch are loaded already (the identity map
# answers plan.user and plan.unit); a commitment is shown by its own label, without its standard.
_YEAR_PLANS = (
    select(Plan)
    .where(
        Plan.user_id == bindparam("member_id"),
        Plan.unit_id == bindparam("unit_id"),
        Plan.year == bindparam("year"),
    )
    .options(
        lazyload(Plan.user),
        lazyload(Plan.unit),
        joinedload(Plan.commitments).lazyload(Commitment.standard),
    )
    .order_by(Plan.version.desc())
)


def year_plans(member: User, unit: Unit, year: int) -> list[Plan]:
    """journal.year_plans (every version of the member's plan for the year in the branch, newest
    first) with the versions' commitments, in one query instead of two."""
    params = {"member_id": member.id, "unit_id": unit.id, "year": year}
    return list(db.session.scalars(_YEAR_PLANS, params).unique())


def _month_review_for_update(member: User, unit: Unit, year: int, month: int) -> MonthReview:
    review = get_month_review(member, unit, year, month)
    if review is None:
        review = MonthReview(user_id=member.id, unit_id=unit.id, year=year, month=month, comment="")
        db.session.add(review)
        db.session.flush()
    return review


def _snapshot(entry: Entry, actor: User, reason: str) -> EntrySnapshot:
    snap = EntrySnapshot(
        entry_id=entry.id,
        taken_by_id=actor.id,
        reason=reason,
        content=hashing.canonical_json(hashing.entry_content(entry)),
    )
    db.session.add(snap)
    return snap


def _entry_facts(entry: Entry, **extra) -> dict:
    return {"deed_date": entry.deed_date.isoformat(), **extra}


# ---- per entry -------------------------------------------------------------------------------------


def comment_entry(author: User, entry: Entry, body: str) -> EntryComment:
    """A reviewer's nhận xét on an entry, or the member's reply; the other side is notified."""
    author = _real(author)
    permissions.require(can_comment_entry(author, entry))
    _require_open_month(entry)  # the month's PDF prints the comments: a signed month refuses them
    body = _text(body, MAX_COMMENT, "body", "Nhận xét", "Vui lòng ghi nội dung nhận xét.")
    comment = EntryComment(entry_id=entry.id, author_id=author.id, body=body)
    db.session.add(comment)
    db.session.flush()
    audit.record(author, "entry.comment", entry, entry.user, entry.unit, after=_entry_facts(entry, body=body))
    day = vn_date(entry.deed_date)
    if author.id != entry.user_id:
        notify(
            entry.user,
            "comment",
            f"{author.full_name} đã nhận xét bài ngày {day}",
            body[:500],
            entry_path(entry) + "#comments",
        )
    else:
        # The member's reply goes to those who commented on the entry before.
        earlier = db.session.scalars(
            select(User)
            .where(
                User.id.in_(
                    select(EntryComment.author_id).where(
                        EntryComment.entry_id == entry.id, EntryComment.author_id != entry.user_id
                    )
                )
            )
            .options(lazyload(User.memberships))
        ).all()
        link = review_path(
            entry.unit_id, entry.user_id, entry.deed_date.year, entry.deed_date.month, entry.id
        )
        for reviewer in earlier:
            notify(
                reviewer,
                "comment",
                f"{author.full_name} đã trả lời nhận xét bài ngày {day}",
                body[:500],
                link,
            )
    return comment


def mark_reviewed(reviewer: User, entry: Entry) -> Entry:
    """Đã xem: the entry was read; a snapshot keeps the version reviewed."""
    reviewer = _real(reviewer)
    permissions.require(can_review_entry(reviewer, entry))
    _require_open_month(entry)
    if entry.status is EntryStatus.REVIEWED:
        raise ReviewError("Bài này đã được đánh dấu đã xem.")
    before = entry.status
    entry.status = EntryStatus.REVIEWED
    entry.reviewed_at = utcnow()
    entry.reviewed_by_id = reviewer.id
    _keep_updated_at(entry)
    _flush()
    _snapshot(entry, reviewer, "reviewed")
    audit.record(
        reviewer,
        "entry.reviewed",
        entry,
        entry.user,
        entry.unit,
        before={"status": before.value},
        after=_entry_facts(entry, status=entry.status.value),
    )
    return entry


def request_revision(reviewer: User, entry: Entry, reason: str) -> Entry:
    """Yêu cầu bổ sung, with a reason the member sees on the entry; they are notified."""
    reviewer = _real(reviewer)
    permissions.require(can_review_entry(reviewer, entry))
    reason = _text(reason, MAX_REASON, "reason", "Lý do", "Vui lòng ghi rõ cần bổ sung, chỉnh sửa gì.")
    _require_open_month(entry)
    if entry.status is EntryStatus.REVISION:
        raise ReviewError("Bài này đang chờ đoàn viên bổ sung.", "reason")
    before = entry.status
    entry.status = EntryStatus.REVISION
    entry.revision_requested_at = utcnow()
    entry.revision_reason = reason
    _keep_updated_at(entry)
    _flush()
    _snapshot(entry, reviewer, "revision")
    audit.record(
        reviewer,
        "entry.revision",
        entry,
        entry.user,
        entry.unit,
        before={"status": before.value},
        after=_entry_facts(entry, status=entry.status.value),
        reason=reason,
    )
    notify(
        entry.user,
        "revision",
        f"Bài ngày {vn_date(entry.deed_date)} cần bổ sung, chỉnh sửa",
        f"{reviewer.full_name}: {reason}",
        entry_path(entry),
    )
    return entry


def flag_exemplary(reviewer: User, entry: Entry, note: str = "") -> Entry:
    """Biểu dương: the entry goes into the branch's sổ vàng; the member is notified."""
    reviewer = _real(reviewer)
    permissions.require(can_review_entry(reviewer, entry))
    _require_open_month(entry)  # the commendation is printed in the month and the sổ vàng
    note = _text(note, MAX_NOTE, "note", "Lời biểu dương")
    if entry.status is EntryStatus.REVISION:
        raise ReviewError("Bài đang chờ bổ sung: hãy biểu dương sau khi đoàn viên gửi lại.", "note")
    if entry.is_exemplary:
        raise ReviewError("Bài này đã được biểu dương.", "note")
    entry.is_exemplary = True
    entry.exemplary_at = utcnow()
    entry.exemplary_by_id = reviewer.id
    entry.exemplary_note = note or None
    _keep_updated_at(entry)
    _flush()
    audit.record(
        reviewer, "entry.exemplary", entry, entry.user, entry.unit, after=_entry_facts(entry, note=note)
    )
    notify(
        entry.user,
        "exemplary",
        f"Bài ngày {vn_date(entry.deed_date)} được biểu dương",
        (note + "\n\n" if note else "") + f"Bài đã được ghi vào sổ vàng của {entry.unit.name}.",
        entry_path(entry),
    )
    return entry


def unflag_exemplary(reviewer: User, entry: Entry) -> Entry:
    """Take an entry out of the sổ vàng (a commendation given by mistake)."""
    reviewer = _real(reviewer)
    permissions.require(can_review_entry(reviewer, entry))
    _require_open_month(entry)
    if not entry.is_exemplary:
        raise ReviewError("Bài này chưa được biểu dương.")
    note = entry.exemplary_note or ""
    entry.is_exemplary = False
    entry.exemplary_at = entry.exemplary_by_id = entry.exemplary_note = None
    _keep_updated_at(entry)
    _flush()
    audit.record(
        reviewer, "entry.unexemplary", entry, entry.user, entry.unit, before=_entry_facts(entry, note=note)
    )
    return entry


# ---- per month ------------------------------------------------------------------------------------


def _check_period(year: int, month: int) -> None:
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise ReviewError("Tháng không hợp lệ.")


def write_month_comment(
    reviewer: User, member: User, unit: Unit, year: int, month: int, text: str, lock_version: int | None
) -> MonthReview | None:
    """Nhận xét tháng; `lock_version` is the version the form was opened on (0: no month row yet)."""
    reviewer = _real(reviewer)
    permissions.require(can_review_member(reviewer, member, unit))
    _check_period(year, month)
    locks.ensure(locks.month_lock(member.id, unit.id, year, month), field="comment")
    text = _text(text, MAX_MONTH_COMMENT, "comment", "Nhận xét tháng")
    review = get_month_review(member, unit, year, month)
    current = review.lock_version if review is not None else 0
    if lock_version is not None and lock_version != current:
        raise MonthConflict(CONFLICT_MESSAGE, review)
    before = review.comment if review is not None else ""
    if before == text:
        return review  # nothing changed (None: no month comment yet, and none written)
    if review is None:
        review = MonthReview(user_id=member.id, unit_id=unit.id, year=year, month=month)
        db.session.add(review)
    review.comment = text
    review.comment_by_id = reviewer.id
    review.comment_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise MonthConflict(CONFLICT_MESSAGE, None) from exc
    audit.record(
        reviewer,
        "month.comment",
        review,
        member,
        unit,
        before={"year": year, "month": month, "comment": before},
        after={"year": year, "month": month, "comment": text},
    )
    return review


def sign_off_month(
    reviewer: User,
    member: User,
    unit: Unit,
    year: int,
    month: int,
    lock_version: int | None = None,
    today: date | None = None,
) -> MonthReview:
    """Ký xác nhận: freeze the month and store the SHA-256 of its entries and comment.

    Refused while an entry of the month waits for revision or is an unsent draft (signing would
    freeze it half-done). Entries still waiting for review are marked reviewed by the signer.
    """
    reviewer = _real(reviewer)
    permissions.require(can_review_member(reviewer, member, unit))
    _check_period(year, month)
    locks.ensure(locks.year_lock(unit.id, year))
    today = today or today_local()
    if date(year, month, 1) > today:
        raise ReviewError(f"Tháng {month}/{year} chưa bắt đầu, chưa thể ký xác nhận.")
    review = get_month_review(member, unit, year, month)
    if lock_version is not None and lock_version != (review.lock_version if review is not None else 0):
        raise MonthConflict(
            "Nhận xét tháng vừa được thay đổi ở nơi khác; hãy xem lại nội dung mới rồi mới ký.", review
        )
    if review is not None and review.is_signed:
        raise ReviewError(f"Tháng {month}/{year} đã được ký xác nhận.")
    entries = journal.month_entries(member, unit, year, month)
    waiting = [e for e in entries if e.status is EntryStatus.REVISION]
    if waiting:
        days = ", ".join(vn_date(e.deed_date) for e in sorted(waiting, key=lambda e: e.deed_date))
        raise ReviewError(
            f"Còn {len(waiting)} bài đang chờ bổ sung (ngày {days}). Khi đoàn viên gửi lại, hãy xem lại "
            "rồi mới ký xác nhận tháng."
        )
    drafts = [e for e in entries if e.status is EntryStatus.DRAFT]
    if drafts:
        raise ReviewError(
            f"Đoàn viên còn {len(drafts)} bản nháp chưa gửi trong tháng này. Nhắc đoàn viên gửi hoặc xóa "
            "bản nháp rồi mới ký, để không khóa mất bài đang viết dở."
        )
    review = review or _month_review_for_update(member, unit, year, month)
    now = utcnow()
    for entry in entries:
        if entry.status is EntryStatus.SUBMITTED:
            entry.status = EntryStatus.REVIEWED
            entry.reviewed_at = now
            entry.reviewed_by_id = reviewer.id
            _keep_updated_at(entry)
    content = hashing.canonical_json(
        hashing.month_content(member.id, unit.id, year, month, entries, review.comment)
    )
    review.signed_content = content
    review.content_hash = hashing.sha256_hex(content)
    review.signed_at = now
    review.signed_by_id = reviewer.id
    _flush()
    for entry in entries:
        _snapshot(entry, reviewer, "signed")
    audit.record(
        reviewer,
        "month.sign",
        review,
        member,
        unit,
        after={"year": year, "month": month, "content_hash": review.content_hash, "entries": len(entries)},
    )
    notify(
        member,
        "signed",
        f"Tháng {month}/{year} đã được ký xác nhận",
        f"{reviewer.full_name} đã ký xác nhận sổ nhật ký tháng {month}/{year} ({len(entries)} bài)."
        + (f"\n\nNhận xét tháng: {review.comment}" if review.comment else ""),
        member_month_path(unit.id, year, month),
    )
    return review


def reopen_month(reviewer: User, review: MonthReview, reason: str) -> MonthReopening:
    """Mở lại a signed month, with a written reason kept and shown on the month."""
    reviewer = _real(reviewer)
    permissions.require(can_review_member(reviewer, review.user, review.unit))
    reason = _text(reason, MAX_REASON, "reason", "Lý do", "Vui lòng ghi lý do mở lại tháng.")
    if not review.is_signed:
        raise ReviewError("Tháng này chưa được ký xác nhận.", "reason")
    locks.ensure(locks.year_lock(review.unit_id, review.year), field="reason")
    reopening = MonthReopening(
        month_review=review,
        reopened_by_id=reviewer.id,
        reason=reason,
        previous_hash=review.content_hash,
        previous_signed_at=review.signed_at,
    )
    db.session.add(reopening)
    before = {
        "year": review.year,
        "month": review.month,
        "content_hash": review.content_hash,
        "signed_at": review.signed_at.isoformat() if review.signed_at else None,
    }
    review.signed_at = review.signed_by_id = review.content_hash = review.signed_content = None
    _flush()
    audit.record(reviewer, "month.reopen", review, review.user, review.unit, before=before, reason=reason)
    notify(
        review.user,
        "reopened",
        f"Tháng {review.month}/{review.year} được mở lại",
        f"{reviewer.full_name} mở lại tháng {review.month}/{review.year}: {reason}",
        member_month_path(review.unit_id, review.year, review.month),
    )
    return reopening


# ---- verifying a signed month -----------------------------------------------------------------------


@dataclass
class EntryChange:
    entry_id: int
    deed_date: str  # dd/mm/yyyy
    title: str
    fields: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"bài ngày {self.deed_date} «{self.title}»"


@dataclass
class Verification:
    """A signed month compared with what was signed."""

    signed: bool
    record_altered: bool = False
    changed: list[EntryChange] = field(default_factory=list)
    added: list[EntryChange] = field(default_factory=list)
    removed: list[EntryChange] = field(default_factory=list)
    comment_changed: bool = False

    @property
    def ok(self) -> bool:
        return not (self.record_altered or self.changed or self.added or self.removed or self.comment_changed)


def _title(text: str | None, limit: int = 60) -> str:
    """The first line of an entry's text, shortened (as Entry.title does)."""
    first = text.strip().splitlines()[0] if text and text.strip() else "(chưa có nội dung)"
    return shorten(first, limit)


def _logged_hash(after: str) -> str | None:
    try:
        value = json.loads(after)
    except ValueError:
        return None
    return value.get("content_hash") if isinstance(value, dict) else None


def verify_month(review: MonthReview | None, entries: list[Entry] | None = None) -> Verification:
    """Recompute a signed month's hash; when it differs, say which entries changed, appeared or vanished.

    `entries` are the member's entries of that month as they are now (loaded when not given).
    """
    if review is None or not review.is_signed:
        return Verification(signed=False)
    if entries is None:
        entries = journal.month_entries(review.user, review.unit, review.year, review.month)
    result = Verification(signed=True)
    signed_text = review.signed_content or ""
    if hashing.sha256_hex(signed_text) != review.content_hash:
        result.record_altered = True
    # The audit row written at signing keeps the hash too: rewriting both the month and its hash
    # still leaves the log disagreeing. (Filtered by member first: ix_audit_log_subject_at.)
    logged = db.session.scalar(
        select(AuditLog.after)
        .where(
            AuditLog.subject_user_id == review.user_id,
            AuditLog.object_type == "month_review",
            AuditLog.object_id == review.id,
            AuditLog.action == "month.sign",
        )
        .order_by(AuditLog.id.desc())
        .limit(1)
    )
    if logged and _logged_hash(logged) != review.content_hash:
        result.record_altered = True
    current = hashing.month_content(
        review.user_id, review.unit_id, review.year, review.month, entries, review.comment
    )
    if (
        hashing.sha256_hex(hashing.canonical_json(current)) == review.content_hash
        and not result.record_altered
    ):
        return result
    try:
        signed = json.loads(signed_text)
    except ValueError:
        signed = {}
        result.record_altered = True
    then = {e["id"]: e for e in signed.get("entries", []) if isinstance(e, dict) and "id" in e}
    now = {e["id"]: e for e in current["entries"]}
    for entry_id, content in now.items():
        change = EntryChange(entry_id, _vn_iso(content["deed_date"]), _title(content["action"]))
        if entry_id not in then:
            result.added.append(change)
        elif fields := hashing.changed_fields(then[entry_id], content):
            change.fields = [hashing.FIELDS[f] for f in fields]
            result.changed.append(change)
    for entry_id, content in then.items():
        if entry_id not in now:
            result.removed.append(
                EntryChange(entry_id, _vn_iso(content.get("deed_date")), _title(content.get("action", "")))
            )
    result.comment_changed = signed.get("comment", "") != current["comment"]
    if not (result.changed or result.added or result.removed or result.comment_changed):
        # The hash differs yet every part matches: the signed record itself was altered.
        result.record_altered = True
    if result.record_altered:
        _compare_with_signed_snapshots(result, current["entries"])
    return result


def _compare_with_signed_snapshots(result: Verification, entries: list[dict]) -> None:
    """When the signed record itself cannot be trusted, name the entries that differ from the
    snapshot each one got at signing (one query)."""
    known = {c.entry_id for c in result.changed}
    ids = [e["id"] for e in entries if e["id"] not in known]
    if not ids:
        return
    latest: dict[int, EntrySnapshot] = {}
    for snap in db.session.scalars(
        select(EntrySnapshot)
        .where(EntrySnapshot.entry_id.in_(ids), EntrySnapshot.reason == "signed")
        .order_by(EntrySnapshot.id.desc())
    ):
        latest.setdefault(snap.entry_id, snap)
    for content in entries:
        snap = latest.get(content["id"])
        if snap is None:
            continue
        try:
            then = json.loads(snap.content)
        except ValueError:
            continue
        if fields := hashing.changed_fields(then, content):
            change = EntryChange(content["id"], _vn_iso(content["deed_date"]), _title(content["action"]))
            change.fields = [hashing.FIELDS[f] for f in fields]
            result.changed.append(change)


# ---- the sổ vàng ---------------------------------------------------------------------------------


def golden_book(unit: Unit, year: int, page: int = 1, size: int = 50):
    """Exemplary entries of the unit and every branch under it for the year, newest commendation
    first: (entries, who commended them by id, their branches by id, how many in all)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    scope = (
        # Written as the partial index's own condition (ix_entries_exemplary: commended entries by
        # branch and date), so both databases read the commended entries alone, not the year's.
        text("entries.is_exemplary = true"),
        Entry.deed_date >= first,
        Entry.deed_date <= last,
        Entry.unit_id.in_(select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))),
    )
    total = db.session.scalar(select(func.count()).select_from(Entry).where(*scope)) or 0
    entries = list(
        db.session.scalars(
            select(Entry)
            .where(*scope)
            .options(lazyload(Entry.evidence))
            .order_by(Entry.exemplary_at.desc(), Entry.id.desc())
            .limit(size)
            .offset((page - 1) * size)
        )
    )
    people = users_by_id(e.exemplary_by_id for e in entries)
    units = {}
    unit_ids = {e.unit_id for e in entries}
    if unit_ids:
        units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))}
    return entries, people, units, total


def users_by_id(ids) -> dict[int, User]:
    """The users with these ids; those this request has loaded already (the viewer, the member)
    come from the session, the others in one query."""
    ids = {i for i in ids if i}
    found: dict[int, User] = {}
    for user_id in ids:
        user = db.session.identity_map.get(identity_key(User, user_id))
        if user is not None:
            found[user_id] = user
    if missing := ids - found.keys():
        found.update(
            (u.id, u)
            for u in db.session.scalars(
                select(User).where(User.id.in_(missing)).options(lazyload(User.memberships))
            )
        )
    return found
