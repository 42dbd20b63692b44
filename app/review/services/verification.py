"""Verifying a signed month: its SHA-256 recomputed, and which entries differ from what was signed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select

from app.audit.models import AuditLog
from app.core.db import db
from app.journal import services as journal
from app.journal.models import Entry
from app.review import hashing
from app.review.models import EntrySnapshot, MonthReview
from app.review.services.common import _title, _vn_iso

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


def _logged_hash(after: str) -> str | None:
    try:
        value = json.loads(after)
    except ValueError:
        return None
    return value.get("content_hash") if isinstance(value, dict) else None


def _record_altered(review: MonthReview) -> bool:
    """The signed record disagrees with its own hash, or with the hash the audit log kept."""
    altered = hashing.sha256_hex(review.signed_content or "") != review.content_hash
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
    return altered or bool(logged and _logged_hash(logged) != review.content_hash)


def _compare_with_signed(result: Verification, signed_text: str, current: dict) -> None:
    """Entry by entry, and the month comment: what differs between the signed record and the month now."""
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


def verify_month(review: MonthReview | None, entries: list[Entry] | None = None) -> Verification:
    """Recompute a signed month's hash; when it differs, say which entries changed, appeared or vanished.

    `entries` are the member's entries of that month as they are now (loaded when not given).
    """
    if review is None or not review.is_signed:
        return Verification(signed=False)
    if entries is None:
        entries = journal.month_entries(review.user, review.unit, review.year, review.month)
    result = Verification(signed=True, record_altered=_record_altered(review))
    current = hashing.month_content(
        review.user_id, review.unit_id, review.year, review.month, entries, review.comment
    )
    if (
        hashing.sha256_hex(hashing.canonical_json(current)) == review.content_hash
        and not result.record_altered
    ):
        return result
    _compare_with_signed(result, review.signed_content or "", current)
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
