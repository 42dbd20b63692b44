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
verification page pick the new kind up by its key. Build functions must be deterministic for a
given record and `subject.as_of` (the day the document is made as of: verification rebuilds with
the day the document was made), and must not change anything in the database.
"""

from __future__ import annotations

import calendar
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
from app.core.enums import EntryStatus, OrgType, PlanStatus, Role
from app.core.text import shorten
from app.journal import services as journal
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


def _names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all()
    return dict(rows)


def _entries_in(member: User, unit: Unit, first: date, last: date) -> list[Entry]:
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
    people = _names(
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
    people = _names([found.comment_by_id, found.signed_by_id] + [r.reopened_by_id for r in found.reopenings])
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


# ---- the plan ---------------------------------------------------------------------------------------


def _commitment(c) -> dict:
    return {
        "id": c.id,
        "action": c.action,
        "measure": c.measure or "",
        "frequency": c.frequency.label,
        "deadline": c.deadline,
        "standard": c.standard.title if c.standard else "",
    }


def plan_block(member: User, unit: Unit, year: int) -> dict | None:
    """The plan in force (approved), else the newest version with its status; None when there is none."""
    from app.plans import services as plans
    from app.standards import services as standards

    plan = plans.plan_in_force(member, unit, year) or plans.current_plan(member, unit, year)
    if plan is None:
        return None
    people = _names([plan.decided_by_id])
    applicable = standards.standards_by_group(standards.applicable_standards(unit, year))
    return {
        "version": plan.version,
        "status": plan.status.label,
        "approved": plan.status is PlanStatus.APPROVED,
        "decided_at": plan.decided_at,
        "decided_by": people.get(plan.decided_by_id, ""),
        "submitted_at": plan.submitted_at,
        "shortcomings": plan.shortcomings or "",
        "breakthrough": _commitment(plan.breakthrough) if plan.breakthrough else None,
        "groups": [
            {"label": label, "commitments": [_commitment(c) for c in items]}
            for label, items in plans.grouped_commitments(plan)
        ],
        "standards": [
            {"label": group.label, "items": [{"title": s.title, "unit": s.unit.name} for s in items]}
            for group, items in applicable.items()
        ],
    }


def themes_block(unit: Unit, year: int) -> list[dict]:
    from app.standards import services as standards

    return [
        {"unit": t.unit.name, "title": t.title, "description": t.description or ""}
        for t in standards.themes_for(unit, year)
    ]


def coverage_block(member: User, unit: Unit, year: int, as_of: date) -> dict:
    rows = journal.coverage(member, unit, year, today=as_of)
    return {
        "rows": [
            {
                "label": row.commitment.short_label,
                "breakthrough": row.commitment.is_breakthrough,
                "frequency": row.commitment.frequency.label,
                "cells": [{"month": c.month, "count": c.count, "state": c.state} for c in row.cells],
                "total": row.total,
            }
            for row in rows
        ],
        "legend": journal.COVERAGE_LEGEND,
    }


def _last_month(year: int, as_of: date) -> int:
    """Months of the year up to the day the document is made as of."""
    if year < as_of.year:
        return 12
    if year > as_of.year:
        return 0
    return as_of.month


# ---- the year-end rating (the lead's app/grading) ---------------------------------------------------


def _level_text(level, score) -> str | None:
    if level is None:
        return None
    if score is None:
        return level.name
    points = f"{score:.1f}".replace(".", ",").removesuffix(",0")
    return f"{level.name} ({points} điểm)"


def _cited(ids: list[int], titles: dict[int, tuple[date, str]]) -> list[dict]:
    return [
        {"date": titles[i][0], "title": titles[i][1]}
        for i in sorted(ids, key=lambda i: titles.get(i, (date.min,))[0])
        if i in titles
    ]


def _entry_titles(ids: set[int]) -> dict[int, tuple[date, str]]:
    if not ids:
        return {}
    rows = db.session.execute(select(Entry.id, Entry.deed_date, Entry.action).where(Entry.id.in_(ids)))
    return {r.id: (r.deed_date, shorten(r.action, 120)) for r in rows}


def grading_section(member: User, unit: Unit, year: int) -> dict | None:
    """The book's section on the year-end self-assessment and rating (None before a round is open).

    Part of the book's hashed content: a later change of the rating makes printed books answer
    "changed since" on the verification page.
    """
    from app.grading.models import SECTIONS
    from app.grading.services import member_rating, reconsider_deadline

    rating = member_rating(member, unit, year)
    if rating is None:
        return None
    grading_round = rating.round
    framework = grading_round.framework
    assessment = rating.self_assessment
    titles = _entry_titles({c.entry_id for c in rating.citations})
    criteria = {f"c{c.id}": c for c in framework.criteria}
    sections = []
    if assessment is not None:
        for key, label in SECTIONS:
            text = assessment.section_text(key)
            cited = _cited(rating.cited("self", key), titles)
            if text or cited:
                sections.append({"heading": label, "text": text, "cited": cited})
    proposal = []
    for key, criterion in criteria.items():
        line = rating.score_for("proposal", criterion.id)
        cited = _cited(rating.cited("proposal", key), titles)
        if (line and (line.comment or line.points is not None)) or cited:
            proposal.append(
                {
                    "criterion": criterion.text,
                    "points": f"{line.points:.1f}".replace(".", ",").removesuffix(",0")
                    if line and line.points is not None
                    else None,
                    "comment": line.comment if line else "",
                    "cited": cited,
                }
            )
    ratified = grading_round.ratified_at is not None
    return {
        "title": f"Tự đánh giá và xếp loại năm {year}",
        "framework": framework.name,
        "sections": sections,
        "self_level": _level_text(assessment.level, assessment.score) if assessment else None,
        "self_submitted": assessment.submitted_at.date() if assessment and assessment.submitted_at else None,
        "proposal": proposal,
        "proposed_level": _level_text(rating.proposed_level, rating.proposed_score),
        "proposal_comment": rating.proposal_comment,
        "meeting_date": grading_round.meeting_date,
        "votes": f"{rating.votes_agree}/{rating.votes_total}" if rating.votes_total else None,
        "final_level": _level_text(rating.final_level, rating.final_score),
        "status": grading_round.status.label,
        **_ratification(grading_round),
        "acknowledged_on": rating.acknowledged_at.date() if rating.acknowledged_at else None,
        "reconsideration": rating.reconsideration_reason,
        "reconsideration_answer": rating.reconsideration_answer,
        "deadline": reconsider_deadline(grading_round) if ratified else None,
    }


# ---- the branch's grading list and the meeting's minutes --------------------------------------------


def _round_for(subject: Subject, need_meeting: bool):
    from app.export.services import ExportError
    from app.grading.services import get_round, ratings_of, round_tiers

    grading_round = get_round(subject.unit, subject.year) if subject.unit.kind.is_branch else None
    if grading_round is None:
        raise ExportError(f"{subject.unit.name} chưa mở đợt đánh giá, xếp loại năm {subject.year}.")
    if need_meeting and grading_round.meeting_recorded_at is None:
        raise ExportError("Chưa ghi kết quả họp xét phân loại, nên chưa có biên bản.")
    return grading_round, ratings_of(grading_round), round_tiers(grading_round)


def _ratification(grading_round) -> dict:
    """Who ratified the round and on which day (Vietnam's date): the unit that actually did."""
    from app.core.filters import to_local
    from app.grading.services import ratified_by_unit

    if grading_round.ratified_at is None:
        return {"ratified_on": None, "ratified_by": None}
    unit = ratified_by_unit(grading_round)
    return {
        "ratified_on": to_local(grading_round.ratified_at).date(),
        "ratified_by": unit.name if unit is not None else None,
    }


def _rows(ratings) -> list[dict]:
    rows = []
    for index, r in enumerate(ratings, start=1):
        a = r.self_assessment
        rows.append(
            {
                "no": index,
                "name": r.user.full_name,
                "position": r.user.position or "",
                "self": _level_text(a.level, a.score) if a and a.submitted_at else None,
                "proposed": _level_text(r.proposed_level, r.proposed_score),
                "votes": f"{r.votes_agree}/{r.votes_total}" if r.votes_total else None,
                "final": _level_text(r.final_level, r.final_score),
                "present": r.present,
                "absence_reason": r.absence_reason,
            }
        )
    return rows


def _tiers(tiers) -> list[dict]:
    return [{"label": t.tier.label, "count": t.count, "share": t.share} for t in tiers]


def _grading_list_title(s: Subject) -> str:
    return f"Danh sách xếp loại năm {s.year} – {s.unit.name}"


@document_kind(
    "grading-list",
    "Danh sách đánh giá, xếp loại",
    "export/grading_list.html",
    scope=UNIT,
    title=_grading_list_title,
)
def grading_list(subject: Subject) -> dict:
    """Every member of the branch with the self-proposed, proposed and agreed levels, and the shares."""
    grading_round, ratings, tiers = _round_for(subject, need_meeting=False)
    return {
        "unit": unit_info(subject.unit),
        "year": subject.year,
        "framework": grading_round.framework.name,
        "status": grading_round.status.label,
        "meeting_date": grading_round.meeting_date,
        **_ratification(grading_round),
        "rows": _rows(ratings),
        "tiers": _tiers(tiers),
        "rated": sum(t.count for t in tiers),
        "signatures": [unit_signature(subject.unit)],
    }


def _minutes_title(s: Subject) -> str:
    return f"Biên bản họp xét phân loại năm {s.year} – {s.unit.name}"


@document_kind(
    "minutes",
    "Biên bản họp xét phân loại",
    "export/minutes.html",
    scope=UNIT,
    title=_minutes_title,
)
def minutes(subject: Subject) -> dict:
    """The grading meeting's minutes (biên bản) with the result list."""
    from app.core.filters import vn_time

    grading_round, ratings, tiers = _round_for(subject, need_meeting=True)
    rows = _rows(ratings)
    party = subject.unit.org_type is OrgType.PARTY
    return {
        "unit": unit_info(subject.unit),
        "year": subject.year,
        "framework": grading_round.framework.name,
        "number": grading_round.minutes_number,
        "meeting_date": grading_round.meeting_date,
        "start": vn_time(grading_round.meeting_start) or None,
        "end": vn_time(grading_round.meeting_end) or None,
        **_ratification(grading_round),
        "place": grading_round.meeting_place or subject.unit.name,
        "chair": grading_round.chair_name,
        "recorder": grading_round.recorder_name,
        "notes": grading_round.meeting_notes,
        "present": sum(1 for r in rows if r["present"]),
        "total": len(rows),
        "absent": [{"name": r["name"], "reason": r["absence_reason"]} for r in rows if not r["present"]],
        "rows": rows,
        "tiers": _tiers(tiers),
        "signatures": [
            {"lines": ["THƯ KÝ"], "name": grading_round.recorder_name},
            {
                "lines": ["T/M CHI BỘ" if party else "TM. BAN CHẤP HÀNH", "BÍ THƯ"],
                "name": grading_round.chair_name,
            },
        ],
    }


# ---- (a) the member's book for a year -------------------------------------------------------------


def _book_title(s: Subject) -> str:
    return f"Sổ nhật ký làm theo lời Bác năm {s.year} – {s.member.full_name}"


@document_kind("book", "Sổ nhật ký làm theo lời Bác (cả năm)", "export/book.html", title=_book_title)
def member_book(subject: Subject) -> dict:
    """The member's book: details, the plan, the entries month by month with the secretary's comments
    and revision history, month comments and sign-offs, the coverage grid, the rating, signatures."""
    member, unit, year = subject.member, subject.unit, subject.year
    months = []
    last = _last_month(year, subject.as_of)
    entries = _entries_in(member, unit, date(year, 1, 1), date(year, 12, 31))
    by_month: dict[int, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_month[entry.deed_date.month].append(entry)
    for month in range(1, last + 1):
        review = month_review_block(member, unit, year, month)
        months.append({"month": month, "entries": entry_blocks(by_month.get(month, [])), "review": review})
    return {
        "unit": unit_info(unit),
        "member": person_info(member, unit),
        "year": year,
        "themes": themes_block(unit, year),
        "plan": plan_block(member, unit, year),
        "months": months,
        "entry_count": len(entries),
        "coverage": coverage_block(member, unit, year, subject.as_of),
        "grading": grading_section(member, unit, year),
        "signatures": [unit_signature(unit, member), member_signature(member)],
    }


# ---- (b) one month of a member ------------------------------------------------------------------------


def _month_title(s: Subject) -> str:
    return f"Sổ nhật ký làm theo lời Bác tháng {s.month}/{s.year} – {s.member.full_name}"


@document_kind(
    "month",
    "Sổ nhật ký làm theo lời Bác (một tháng)",
    "export/month.html",
    needs_month=True,
    title=_month_title,
)
def member_month(subject: Subject) -> dict:
    """One month of a member's diary: the entries with comments and history, the month comment and sign-off."""
    member, unit, year, month = subject.member, subject.unit, subject.year, subject.month
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    entries = _entries_in(member, unit, first, last)
    plan = journal.working_plan(member, unit, year)
    return {
        "unit": unit_info(unit),
        "member": person_info(member, unit),
        "year": year,
        "month": month,
        "commitments": [c.label for c in plan.commitments] if plan else [],
        "entries": entry_blocks(entries),
        "review": month_review_block(member, unit, year, month),
        "signatures": [unit_signature(unit, member), member_signature(member)],
    }


# ---- (c) the branch's collective book (sổ vàng) ------------------------------------------------------


def _golden_title(s: Subject) -> str:
    return f"Sổ vàng năm {s.year} – {s.unit.name}"


@document_kind(
    "golden-book",
    "Sổ vàng (sổ truyền thống tập thể)",
    "export/golden_book.html",
    scope=UNIT,
    title=_golden_title,
)
def golden_book(subject: Subject) -> dict:
    """Exemplary deeds of the unit and every branch under it for the year, month by month."""
    unit, year = subject.unit, subject.year
    in_subtree = select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))
    entries = list(
        db.session.scalars(
            select(Entry)
            .where(
                Entry.is_exemplary.is_(True),
                Entry.deed_date >= date(year, 1, 1),
                Entry.deed_date <= date(year, 12, 31),
                Entry.unit_id.in_(in_subtree),
            )
            .options(lazyload(Entry.evidence))
            .order_by(Entry.deed_date, Entry.id)
        )
    )
    people = _names([e.exemplary_by_id for e in entries])
    branches = (
        {
            u.id: u.name
            for u in db.session.scalars(select(Unit).where(Unit.id.in_({e.unit_id for e in entries})))
        }
        if entries
        else {}
    )
    months: dict[int, list[dict]] = defaultdict(list)
    for e in entries:
        months[e.deed_date.month].append(
            {
                "id": e.id,
                "member": e.user.full_name,
                "position": e.user.position or "",
                "branch": branches.get(e.unit_id, "") if e.unit_id != unit.id else "",
                "deed_date": e.deed_date,
                "weekday": WEEKDAYS[e.deed_date.weekday()],
                "place": e.place,
                "action": e.action,
                "result": e.result,
                "lesson": e.lesson,
                "note": e.exemplary_note or "",
                "by": people.get(e.exemplary_by_id, ""),
                "at": e.exemplary_at,
            }
        )
    return {
        "unit": unit_info(unit),
        "year": year,
        "months": [{"month": m, "entries": months[m]} for m in sorted(months)],
        "count": len(entries),
        "signatures": [unit_signature(unit)],
    }
