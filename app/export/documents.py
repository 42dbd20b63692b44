"""The documents the app prints, each one function that gathers its content and one template.

A document kind is registered with `@document_kind(key, label, template, scope=...)` on a function
`build(subject: Subject) -> dict`. The dict is the document's *content*: exactly the data the
template shows (names, dates, texts), as plain values. It is serialised canonically
(`canonical_json`) and its SHA-256 is stored with the document's number, so that building the same
kind for the same subject again — from the record as it is now — and comparing hashes tells
whether the record changed since the document was made (app.export.services.verify_document).

What is *not* content: the document's number, the time it was made, the QR code and the date in
the header ("Sóc Trăng, ngày …"): those are the document's metadata (`DocumentMeta`), passed to
the template beside the content.

To add a kind (the lead's branch grading list and meeting minutes, for instance):

    @document_kind("grading-list", "Danh sách xếp loại đoàn viên", "export/grading_list.html", scope=UNIT)
    def grading_list(subject: Subject) -> dict:
        return {"unit": unit_info(subject.unit), "year": subject.year, "rows": [...],
                "signatures": unit_signatures(subject.unit)}

and a template that extends "export/_document.html". The routes, the register, the CLI and the
verification page pick the new kind up by its key. The kinds of this package (the member's book and
month, the sổ vàng, the grading list and the minutes) are in app.export.kinds; app.reports.documents
adds the annual report. Build functions must be deterministic for a
given record and `subject.as_of` (the day the document is made as of: verification rebuilds with
the day the document was made), and must not change anything in the database.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.auth.models import User
from app.core.collation import people_order
from app.core.db import db
from app.core.enums import EntryStatus, OrgType, Role
from app.journal.models import Entry
from app.units.models import Membership, Unit

MEMBER = "member"  # a document about one member of a branch (their book, a month)
UNIT = "unit"  # a document of a unit (the sổ vàng, the grading list, minutes)

WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]


@dataclass(frozen=True)
class Subject:
    """What a document is about: a unit and a year, and for member kinds the member (and month)."""

    unit: Unit
    year: int
    as_of: date
    member: User | None = None
    month: int | None = None
    object_id: int | None = None


@dataclass(frozen=True)
class DocumentKind:
    key: str  # also the URL segment: "book", "month", "golden-book"
    label: str  # what the register and the verification page call it
    template: str
    build: Callable[[Subject], dict]
    scope: str = MEMBER
    needs_month: bool = False
    # The document's title for the file name and the running header, from the subject.
    title: Callable[[Subject], str] = field(default=lambda s: "")


KINDS: dict[str, DocumentKind] = {}


def document_kind(
    key: str,
    label: str,
    template: str,
    *,
    scope: str = MEMBER,
    needs_month: bool = False,
    title: Callable[[Subject], str] | None = None,
):
    """Register `build` as the document kind `key` (see the module's docstring)."""

    def register(build: Callable[[Subject], dict]) -> Callable[[Subject], dict]:
        KINDS[key] = DocumentKind(key, label, template, build, scope, needs_month, title or (lambda s: label))
        return build

    return register


def get_kind(key: str) -> DocumentKind | None:
    return KINDS.get(key)


# ---- canonical content ----------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not serialisable in a document's content: {type(value).__name__}")


def canonical_json(content: dict) -> str:
    """Sorted keys, no spaces, UTF-8 text as stored (NFC), dates ISO 8601: one text per content."""
    return json.dumps(
        content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_json_default
    )


def content_sha256(content: dict) -> str:
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


# ---- shared pieces: people, units, the official header, signatures ------------------------------------


def initials(full_name: str) -> str:
    """ "Nguyễn Thị Mỹ Duyên" -> "N.T.M.D." (the public verification page shows no more)."""
    return "".join(part[0].upper() + "." for part in full_name.split() if part)


def _ancestors(unit: Unit) -> list[Unit]:
    """The units above `unit`, nearest first."""
    ids = unit.ancestor_ids[:-1]
    if not ids:
        return []
    found = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    return [found[i] for i in reversed(ids) if i in found]


def _issuer_line(unit: Unit) -> str:
    """The issuing unit as the header names it: "BCH CHI ĐOÀN …" (Đoàn), "CHI BỘ …" (Đảng)."""
    name = unit.name.upper()
    return name if unit.org_type is OrgType.PARTY else f"BCH {name}"


def unit_info(unit: Unit) -> dict:
    """The unit as documents show it: names for the official header, its kind, its place."""
    ancestors = _ancestors(unit)
    parent = ancestors[0] if ancestors else None
    place = unit.place or next((a.place for a in ancestors if a.place), None)
    party = unit.org_type is OrgType.PARTY
    return {
        "id": unit.id,
        "name": unit.name,
        "code": unit.code,
        "kind": unit.kind.label,
        "org_type": unit.org_type.value,
        "is_party": party,
        "parent_name": parent.name if parent else None,
        "upper_line": parent.name.upper() if parent else None,
        "issuer_line": _issuer_line(unit),
        "national_line": "ĐẢNG CỘNG SẢN VIỆT NAM" if party else "ĐOÀN TNCS HỒ CHÍ MINH",
        "mark": "*" if party else "***",
        "place": place,
        "member_word": unit.org_type.member_label,
    }


def person_info(user: User, unit: Unit) -> dict:
    role = next((m.role for m in user.memberships if m.unit_id == unit.id), None)
    return {
        "id": user.id,
        "name": user.full_name,
        "birth_date": user.birth_date,
        "position": user.position or "",
        # No phone or email: a printed book goes round the grading meeting and the archive.
        "role": role.label_for(unit.org_type) if role else "",
    }


def _secretary(unit: Unit) -> User | None:
    return db.session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit.id, Membership.role == Role.SECRETARY)
        .options(lazyload(User.memberships))
        .order_by(*people_order())
        .limit(1)
    )


def unit_signature(unit: Unit, member: User | None = None) -> dict:
    """ "TM. BAN CHẤP HÀNH / BÍ THƯ" and the secretary's name; for a secretary's own book, the unit above."""
    party = unit.org_type is OrgType.PARTY
    secretary = _secretary(unit)
    if secretary is not None and member is not None and secretary.id == member.id:
        above = _ancestors(unit)
        return {
            "lines": ["XÁC NHẬN CỦA " + (f"BCH {above[0].name.upper()}" if above else "ĐƠN VỊ CẤP TRÊN")],
            "name": "",
        }
    return {
        "lines": ["T/M CHI BỘ" if party else "TM. BAN CHẤP HÀNH", "BÍ THƯ"],
        "name": secretary.full_name if secretary else "",
    }


def member_signature(member: User, title: str = "NGƯỜI VIẾT SỔ") -> dict:
    return {"lines": [title], "name": member.full_name}


# ---- entries as documents show them ---------------------------------------------------------------

TEXT_FIELDS = ("place", "action", "result", "lesson")


def people_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all()
    return dict(rows)


def entries_in(member: User, unit: Unit, first: date, last: date) -> list[Entry]:
    """The member's entries in the diary (drafts are not) between two days, in date order."""
    return list(
        db.session.scalars(
            select(Entry)
            .where(
                Entry.user_id == member.id,
                Entry.unit_id == unit.id,
                Entry.deed_date >= first,
                Entry.deed_date <= last,
                Entry.status.in_(EntryStatus.in_diary()),
            )
            .order_by(Entry.deed_date, Entry.id)
        )
    )


def entry_blocks(entries: list[Entry]) -> list[dict]:
    """Entries with their comments, commendation and revision history (a handful of queries in all)."""
    from app.audit.models import AuditLog
    from app.review import hashing
    from app.review.models import EntryComment, EntrySnapshot

    ids = [e.id for e in entries]
    comments: dict[int, list[EntryComment]] = defaultdict(list)
    snapshots: dict[int, list[EntrySnapshot]] = defaultdict(list)
    reasons: dict[int, list[AuditLog]] = defaultdict(list)
    if ids:
        for c in db.session.scalars(
            select(EntryComment)
            .where(EntryComment.entry_id.in_(ids))
            .order_by(EntryComment.created_at, EntryComment.id)
        ):
            comments[c.entry_id].append(c)
        for s in db.session.scalars(
            select(EntrySnapshot).where(EntrySnapshot.entry_id.in_(ids)).order_by(EntrySnapshot.id)
        ):
            snapshots[s.entry_id].append(s)
        for row in db.session.scalars(
            select(AuditLog)
            .where(
                AuditLog.object_type == "entry",
                AuditLog.object_id.in_(ids),
                AuditLog.action == "entry.revision",
            )
            .order_by(AuditLog.id)
        ):
            reasons[row.object_id].append(row)
    people = people_names(
        [e.exemplary_by_id for e in entries] + [s.taken_by_id for group in snapshots.values() for s in group]
    )
    blocks = []
    for entry in entries:
        current = hashing.entry_content(entry)
        blocks.append(
            {
                "id": entry.id,
                "deed_date": entry.deed_date,
                "weekday": WEEKDAYS[entry.deed_date.weekday()],
                "place": entry.place,
                "action": entry.action,
                "result": entry.result,
                "lesson": entry.lesson,
                "commitments": [c.label for c in entry.commitments],
                "status": entry.status.label,
                "written_at": entry.created_at,
                "backdated": entry.is_backdated,
                "evidence": [e.original_name for e in entry.evidence],
                "exemplary": {
                    "note": entry.exemplary_note or "",
                    "by": people.get(entry.exemplary_by_id, ""),
                    "at": entry.exemplary_at,
                }
                if entry.is_exemplary
                else None,
                "comments": [
                    {
                        "author": c.author.full_name,
                        "at": c.created_at,
                        "body": c.body,
                        "is_reply": c.author_id == entry.user_id,
                    }
                    for c in comments.get(entry.id, [])
                ],
                "history": _history(
                    entry, current, snapshots.get(entry.id, []), reasons.get(entry.id, []), people
                ),
            }
        )
    return blocks


def _history(
    entry: Entry, current: dict, snapshots: list, revisions: list, people: dict[int, str]
) -> list[dict]:
    """What happened to the entry after it was read, where it matters: revision requests (with the
    reason and what the member then changed) and edits after a review or a signature."""
    from app.review import hashing

    lines = []
    revision_reasons = iter(revisions)
    for index, snap in enumerate(snapshots):
        try:
            then = json.loads(snap.content)
        except ValueError:
            continue
        if index + 1 < len(snapshots):
            try:
                after = json.loads(snapshots[index + 1].content)
            except ValueError:
                after = current
        else:
            after = current
        changed = hashing.changed_fields(then, after, ignore=("status",))
        reason = ""
        if snap.reason == "revision":
            row = next(revision_reasons, None)
            reason = (row.reason if row is not None else entry.revision_reason) or ""
        elif not changed:
            continue  # read and left as it was: nothing to tell
        lines.append(
            {
                "kind": snap.reason,
                "at": snap.taken_at,
                "by": people.get(snap.taken_by_id, ""),
                "reason": reason,
                "changed": [hashing.FIELDS[name] for name in changed],
                "before": [
                    {"label": hashing.FIELDS[name], "text": then.get(name, "")}
                    for name in changed
                    if name in TEXT_FIELDS and then.get(name)
                ],
            }
        )
    return lines


def month_review_block(member: User, unit: Unit, year: int, month: int) -> dict | None:
    """The month comment, the sign-off (checked against its SHA-256 now) and any reopenings."""
    from app.review import services as review

    found = review.get_month_review(member, unit, year, month)
    if found is None:
        return None
    people = people_names(
        [found.comment_by_id, found.signed_by_id] + [r.reopened_by_id for r in found.reopenings]
    )
    verification = review.verify_month(found) if found.is_signed else None
    return {
        "comment": found.comment or "",
        "comment_by": people.get(found.comment_by_id, ""),
        "comment_at": found.comment_at,
        "signed_at": found.signed_at,
        "signed_by": people.get(found.signed_by_id, ""),
        "hash": found.content_hash or "",
        "matches": verification.ok if verification is not None else None,
        "reopenings": [
            {"at": r.reopened_at, "by": people.get(r.reopened_by_id, ""), "reason": r.reason}
            for r in found.reopenings
        ],
    }


# The kinds this package ships register themselves on import (and are reachable from here, as before).
from app.export.kinds import golden_book, grading_list, member_book, member_month, minutes  # noqa: E402

__all__ = [
    "KINDS",
    "MEMBER",
    "UNIT",
    "DocumentKind",
    "Subject",
    "canonical_json",
    "content_sha256",
    "document_kind",
    "get_kind",
    "golden_book",
    "grading_list",
    "member_book",
    "member_month",
    "minutes",
    "unit_info",
    "unit_signature",
]
