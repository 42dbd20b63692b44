"""Everything the app holds about one person, as one JSON document they may download.

What goes in: the account (never the password hash or the session version), memberships, every
version of every plan with its commitments, entries with their evidence metadata, comments and the
snapshots taken when they were reviewed, the months reviewed with their comments, sign-offs and
reopenings, notifications, reminder digests, and the audit rows about the person. Rows about
other people never go in: every query here is on the person's own id; other people appear only
by name, where they acted on the person's record (a reviewer, a secretary who signed a month).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from flask import url_for
from sqlalchemy import func, select

from app.audit.models import AuditLog
from app.audit.services import describe
from app.auth.models import User
from app.core.db import db, utcnow
from app.core.filters import to_local, vn_date
from app.core.text import fold
from app.journal.models import Entry
from app.notifications.models import Notification, ReminderDigest
from app.plans.models import Plan
from app.review.models import EntryComment, EntrySnapshot, MonthReview
from app.units.models import Unit

FORMAT = "sonhatky-du-lieu-ca-nhan"
FORMAT_VERSION = 1


def _time(value: datetime | None) -> str | None:
    """A timestamp in Vietnam's time, ISO 8601 with its offset (2026-05-08T14:05:00+07:00)."""
    return to_local(value).isoformat(timespec="seconds") if value is not None else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


class _People:
    """Names of the people who acted on the person's record, looked up once each."""

    def __init__(self) -> None:
        self._names: dict[int, str] = {}

    def load(self, ids: set[int | None]) -> None:
        wanted = {i for i in ids if i is not None and i not in self._names}
        if wanted:
            rows = db.session.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))
            self._names.update({row.id: row.full_name for row in rows})

    def name(self, user_id: int | None) -> str | None:
        return self._names.get(user_id) if user_id is not None else None


def _unit(unit: Unit) -> dict[str, Any]:
    return {"id": unit.id, "code": unit.code, "name": unit.name, "kind": unit.kind.label}


def _account(user: User) -> dict[str, Any]:
    # Listed field by field: a column added to User later does not leak into the file by itself.
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "birth_date": _day(user.birth_date),
        "phone": user.phone,
        "position": user.position,
        "is_admin": user.is_admin,
        "is_active": user.is_active,
        "notify_by_email": user.notify_by_email,
        "created_at": _time(user.created_at),
        "activated_at": _time(user.activated_at),
        "last_login_at": _time(user.last_login_at),
        "deactivated_at": _time(user.deactivated_at),
    }


def _memberships(user: User) -> list[dict[str, Any]]:
    return [
        {
            "unit": _unit(m.unit),
            "role": m.role.value,
            "role_label": m.role_label,
            "since": _time(m.created_at),
        }
        for m in sorted(user.memberships, key=lambda m: m.id)
    ]


def _plans(user: User, people: _People) -> list[dict[str, Any]]:
    plans = list(
        db.session.scalars(
            select(Plan).where(Plan.user_id == user.id).order_by(Plan.year, Plan.unit_id, Plan.version)
        )
    )
    people.load({p.created_by_id for p in plans} | {p.decided_by_id for p in plans})
    return [
        {
            "id": plan.id,
            "unit": _unit(plan.unit),
            "year": plan.year,
            "version": plan.version,
            "status": plan.status.value,
            "status_label": plan.status.label,
            "shortcomings": plan.shortcomings,
            "created_by": people.name(plan.created_by_id),
            "created_at": _time(plan.created_at),
            "updated_at": _time(plan.updated_at),
            "submitted_at": _time(plan.submitted_at),
            "decided_at": _time(plan.decided_at),
            "decided_by": people.name(plan.decided_by_id),
            "return_reason": plan.return_reason,
            "commitments": [
                {
                    "id": c.id,
                    "lineage_id": c.lineage_id,
                    "is_breakthrough": c.is_breakthrough,
                    "standard": (
                        {"id": c.standard.id, "group": c.standard.group.label, "title": c.standard.title}
                        if c.standard is not None
                        else None
                    ),
                    "action": c.action,
                    "measure": c.measure,
                    "frequency": c.frequency.label,
                    "deadline": _day(c.deadline),
                }
                for c in plan.commitments
            ],
        }
        for plan in plans
    ]


def _entries(user: User, people: _People) -> list[dict[str, Any]]:
    entries = list(
        db.session.scalars(select(Entry).where(Entry.user_id == user.id).order_by(Entry.deed_date, Entry.id))
    )
    ids = [e.id for e in entries]
    comments: dict[int, list[EntryComment]] = {}
    snapshots: dict[int, list[EntrySnapshot]] = {}
    if ids:
        own = select(Entry.id).where(Entry.user_id == user.id)
        for comment in db.session.scalars(
            select(EntryComment).where(EntryComment.entry_id.in_(own)).order_by(EntryComment.id)
        ):
            comments.setdefault(comment.entry_id, []).append(comment)
        for snapshot in db.session.scalars(
            select(EntrySnapshot).where(EntrySnapshot.entry_id.in_(own)).order_by(EntrySnapshot.id)
        ):
            snapshots.setdefault(snapshot.entry_id, []).append(snapshot)
    people.load(
        {e.reviewed_by_id for e in entries}
        | {e.exemplary_by_id for e in entries}
        | {c.author_id for rows in comments.values() for c in rows}
        | {s.taken_by_id for rows in snapshots.values() for s in rows}
    )
    return [
        {
            "id": e.id,
            "unit": _unit(e.unit),
            "deed_date": _day(e.deed_date),
            "place": e.place,
            "action": e.action,
            "result": e.result,
            "lesson": e.lesson,
            "status": e.status.value,
            "status_label": e.status.label,
            "created_at": _time(e.created_at),
            "updated_at": _time(e.updated_at),
            "submitted_at": _time(e.submitted_at),
            "reviewed_at": _time(e.reviewed_at),
            "reviewed_by": people.name(e.reviewed_by_id),
            "revision_requested_at": _time(e.revision_requested_at),
            "revision_reason": e.revision_reason,
            "is_exemplary": e.is_exemplary,
            "exemplary_at": _time(e.exemplary_at),
            "exemplary_by": people.name(e.exemplary_by_id),
            "exemplary_note": e.exemplary_note,
            "commitments": [{"id": c.id, "plan_id": c.plan_id, "action": c.action} for c in e.commitments],
            "evidence": [
                {
                    "id": f.id,
                    "file_name": f.original_name,
                    "content_type": f.content_type,
                    "size_bytes": f.size,
                    "sha256": f.sha256,
                    "uploaded_at": _time(f.created_at),
                    "download_path": url_for("journal.evidence", evidence_id=f.id, download=1),
                }
                for f in e.evidence
            ],
            "comments": [
                {"author": people.name(c.author_id), "body": c.body, "created_at": _time(c.created_at)}
                for c in comments.get(e.id, [])
            ],
            "review_snapshots": [
                {
                    "reason": s.reason,
                    "taken_at": _time(s.taken_at),
                    "taken_by": people.name(s.taken_by_id),
                    "content": _parsed(s.content),
                }
                for s in snapshots.get(e.id, [])
            ],
        }
        for e in entries
    ]


def _parsed(text: str | None) -> Any:
    """Stored JSON as data (as text when it does not parse)."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _months(user: User, people: _People) -> list[dict[str, Any]]:
    months = list(
        db.session.scalars(
            select(MonthReview)
            .where(MonthReview.user_id == user.id)
            .order_by(MonthReview.year, MonthReview.month, MonthReview.unit_id)
        )
    )
    people.load(
        {m.comment_by_id for m in months}
        | {m.signed_by_id for m in months}
        | {r.reopened_by_id for m in months for r in m.reopenings}
    )
    return [
        {
            "unit": _unit(m.unit),
            "year": m.year,
            "month": m.month,
            "comment": m.comment,
            "comment_by": people.name(m.comment_by_id),
            "comment_at": _time(m.comment_at),
            "signed_at": _time(m.signed_at),
            "signed_by": people.name(m.signed_by_id),
            "content_hash_sha256": m.content_hash,
            "reopenings": [
                {
                    "reopened_at": _time(r.reopened_at),
                    "reopened_by": people.name(r.reopened_by_id),
                    "reason": r.reason,
                    "previous_hash_sha256": r.previous_hash,
                    "previous_signed_at": _time(r.previous_signed_at),
                }
                for r in m.reopenings
            ],
        }
        for m in months
    ]


def _notifications(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    return [
        {
            "kind": n.kind,
            "title": n.title,
            "body": n.body,
            "link": n.link,
            "created_at": _time(n.created_at),
            "read_at": _time(n.read_at),
            "emailed_at": _time(n.emailed_at),
        }
        for n in rows
    ]


def _reminders(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(ReminderDigest).where(ReminderDigest.user_id == user.id).order_by(ReminderDigest.sent_on)
    )
    return [{"sent_on": _day(r.sent_on), "reasons": _parsed(r.reasons)} for r in rows]


def _audit(user: User, people: _People) -> list[dict[str, Any]]:
    rows = list(
        db.session.scalars(
            select(AuditLog)
            .where(AuditLog.subject_user_id == user.id)
            .order_by(AuditLog.created_at, AuditLog.id)
        )
    )
    people.load({r.actor_id for r in rows})
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_({r.unit_id for r in rows})))}
    return [
        {
            "at": _time(r.created_at),
            "actor": people.name(r.actor_id),
            "description": describe(r).text,
            "action": r.action,
            "object_type": r.object_type,
            "object_id": r.object_id,
            "unit": _unit(units[r.unit_id]) if r.unit_id in units else None,
            "before": _parsed(r.before),
            "after": _parsed(r.after),
            "reason": r.reason,
        }
        for r in rows
    ]


def _level(level) -> str | None:
    return level.name if level is not None else None


def _points(value) -> str | None:
    return str(value) if value is not None else None


def _ratings(user: User, people: _People) -> list[dict[str, Any]]:
    """Year-end results: the self-assessment, the proposal, the meeting's level, the answer."""
    from app.grading.models import SECTIONS, QuarterRating, Rating

    rows = list(db.session.scalars(select(Rating).where(Rating.user_id == user.id).order_by(Rating.id)))
    people.load({r.proposed_by_id for r in rows} | {r.round.ratified_by_id for r in rows})
    result = []
    for r in rows:
        grading_round = r.round
        assessment = r.self_assessment
        result.append(
            {
                "year": grading_round.year,
                "unit": _unit(grading_round.unit),
                "framework": grading_round.framework.name,
                "status": grading_round.status.label,
                "self_assessment": None
                if assessment is None
                else {
                    **{label: assessment.section_text(key) for key, label in SECTIONS},
                    "level": _level(assessment.level),
                    "score": _points(assessment.score),
                    "submitted_at": _time(assessment.submitted_at),
                    "cited_entry_ids": sorted(c.entry_id for c in r.citations if c.stage == "self"),
                },
                "proposal": {
                    "level": _level(r.proposed_level),
                    "score": _points(r.proposed_score),
                    "comment": r.proposal_comment,
                    "by": people.name(r.proposed_by_id),
                    "at": _time(r.proposed_at),
                    "cited_entry_ids": sorted(c.entry_id for c in r.citations if c.stage == "proposal"),
                },
                "result": {
                    "level": _level(r.final_level),
                    "score": _points(r.final_score),
                    "votes": f"{r.votes_agree}/{r.votes_total}" if r.votes_total else None,
                    "ratified_at": _time(grading_round.ratified_at),
                    "ratified_by": people.name(grading_round.ratified_by_id),
                },
                "acknowledged_at": _time(r.acknowledged_at),
                "reconsideration": None
                if r.reconsideration_at is None
                else {
                    "reason": r.reconsideration_reason,
                    "at": _time(r.reconsideration_at),
                    "answer": r.reconsideration_answer,
                    "answered_at": _time(r.reconsideration_answered_at),
                },
            }
        )
    quarters = db.session.scalars(
        select(QuarterRating)
        .where(QuarterRating.user_id == user.id)
        .order_by(QuarterRating.year, QuarterRating.quarter)
    )
    for q in quarters:
        result.append({"year": q.year, "quarter": q.quarter, "level": _level(q.level), "comment": q.comment})
    return result


def _diary_reads(user: User) -> list[dict[str, Any]]:
    """Who (above the branch) opened the person's diary, and when."""
    from app.audit.models import DiaryRead

    rows = db.session.scalars(select(DiaryRead).where(DiaryRead.owner_id == user.id).order_by(DiaryRead.id))
    return [
        {
            "reader": r.reader.full_name,
            "capacity": r.reader_capacity,
            "unit": r.unit.name,
            "what": r.what,
            "year": r.year,
            "month": r.month,
            "at": _time(r.read_at),
        }
        for r in rows
    ]


def collect(user: User) -> dict[str, Any]:
    """Everything about `user`, as JSON-able data; for the user themselves only (the caller checks)."""
    people = _People()
    exported_at = utcnow()
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "description": (
            f"Dữ liệu của {user.full_name} trong Sổ nhật ký làm theo lời Bác, xuất ngày {vn_date(exported_at)}. "
            "Ngày ghi theo dạng năm-tháng-ngày, giờ theo giờ Việt Nam (+07:00). Tệp minh chứng không nằm "
            "trong tệp này: mỗi minh chứng có đường dẫn tải về (download_path) và mã SHA-256 để đối chiếu."
        ),
        "exported_at": _time(exported_at),
        "account": _account(user),
        "memberships": _memberships(user),
        "plans": _plans(user, people),
        "entries": _entries(user, people),
        "month_reviews": _months(user, people),
        "ratings": _ratings(user, people),
        "notifications": _notifications(user),
        "reminder_digests": _reminders(user),
        "audit_log": _audit(user, people),
        "diary_reads": _diary_reads(user),
    }


def to_json(data: dict[str, Any]) -> bytes:
    """UTF-8 JSON with Vietnamese as it is (not \\u escapes), indented for reading."""
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def file_name(user: User, day: date) -> str:
    """du-lieu-cua-toi-nguyen-thi-my-duyen-2026-05-08.json: the name without diacritics, safe anywhere."""
    slug = (
        re.sub(r"[^a-z0-9]+", "-", fold(user.full_name)).strip("-")[:60].strip("-") or f"tai-khoan-{user.id}"
    )
    return f"du-lieu-cua-toi-{slug}-{day.isoformat()}.json"


def summary(user: User) -> dict[str, int]:
    """How many of each the file will hold, for the page."""

    def count(model, column) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(column == user.id)) or 0

    return {
        "plans": count(Plan, Plan.user_id),
        "entries": count(Entry, Entry.user_id),
        "month_reviews": count(MonthReview, MonthReview.user_id),
        "notifications": count(Notification, Notification.user_id),
        "audit_log": count(AuditLog, AuditLog.subject_user_id),
    }
