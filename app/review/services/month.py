"""One member's month as the review screen shows it: entries with comments and what changed, plans, the month row."""

from __future__ import annotations

import calendar
import difflib
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased, contains_eager, joinedload, lazyload

from app.auth.models import User
from app.core.db import db
from app.core.text import shorten
from app.journal.models import Entry, Evidence, entry_commitments
from app.plans.models import Commitment, Plan
from app.review import hashing
from app.review.models import EntryComment, EntrySnapshot, MonthReview
from app.review.services.common import _vn_iso
from app.units.models import Unit

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
