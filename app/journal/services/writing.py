"""Writing the diary: saving and autosaving entries, deleting drafts and evidence, telling the reviewers."""

from __future__ import annotations

from datetime import date

from werkzeug.datastructures import FileStorage

from app.auth.models import User
from app.core import locks, permissions
from app.core.db import db, utcnow
from app.core.enums import EntryStatus
from app.core.filters import today_local, vn_date
from app.core.text import fold, nfc
from app.journal import storage
from app.journal.models import Entry, Evidence
from app.journal.services.rules import (
    EntryData,
    JournalError,
    _check_lengths,
    _resolve_commitments,
    check_deed_date,
)
from app.notifications.services import app_path, notify, reviewers_to_notify
from app.plans.models import Commitment
from app.units.models import Unit

# ---- writing ------------------------------------------------------------------------------------


def _search_text(entry: Entry) -> str:
    return fold(" ".join([entry.place, entry.action, entry.result, entry.lesson]))


def _apply(entry: Entry, data: EntryData, commitments: list[Commitment] | None) -> None:
    entry.deed_date = data.deed_date or entry.deed_date
    entry.place = nfc(data.place) or ""
    entry.action = nfc(data.action) or ""
    entry.result = nfc(data.result) or ""
    entry.lesson = nfc(data.lesson) or ""
    if commitments is not None:
        entry.commitments = commitments
    entry.search_text = _search_text(entry)


def is_author(user: User, entry: Entry) -> bool:
    """The entry's member, still keeping a diary in the entry's own branch."""
    return (
        getattr(user, "is_authenticated", False)
        and user.id == entry.user_id
        and permissions.keeps_diary_in(user, entry.unit)
    )


def can_edit_entry(user: User, entry: Entry) -> bool:
    """The owner edits their entries until the month is signed off or the year closed (for buttons)."""
    return is_author(user, entry) and locks.entry_lock(entry) is None


def _require_editable(actor: User, entry: Entry) -> None:
    """403 unless the actor wrote the entry; LockedError when its month (in its own branch) is frozen."""
    permissions.require(is_author(actor, entry))
    locks.ensure(locks.entry_lock(entry))


# ---- telling the reviewers ------------------------------------------------------------------------


def _notify_reviewers(entry: Entry, owner: User, unit: Unit, previous: EntryStatus | None) -> None:
    """Tell the reviewers an entry waits for them: new, sent again after a revision, or edited after review."""
    day = vn_date(entry.deed_date)
    if previous is EntryStatus.REVISION:
        kind, title = "resubmitted", f"{owner.full_name} đã bổ sung bài ngày {day} theo yêu cầu"
    elif previous is EntryStatus.REVIEWED:
        kind, title = "submitted", f"{owner.full_name} đã sửa bài ngày {day} (bài đã xem trước đó)"
    else:
        kind, title = "submitted", f"{owner.full_name} gửi bài nhật ký ngày {day}"
    link = app_path(
        "review.month",
        unit_id=unit.id,
        user_id=owner.id,
        year=entry.deed_date.year,
        month=entry.deed_date.month,
    )
    for reviewer in reviewers_to_notify(owner, unit):
        notify(reviewer, kind, title, entry.title, f"{link}#entry-{entry.id}")


def _content_key(entry: Entry) -> tuple:
    """What the member wrote (not the review fields): an edit of a reviewed entry changes it."""
    return (
        entry.deed_date,
        entry.place,
        entry.action,
        entry.result,
        entry.lesson,
        tuple(sorted(c.id for c in entry.commitments)),
        tuple(sorted(e.sha256 for e in entry.evidence)),
    )


def _after_edit(entry: Entry, owner: User, unit: Unit, before: tuple | None) -> None:
    """A reviewed entry the member changes needs review again: back to "submitted", reviewers told."""
    if entry.status is EntryStatus.REVIEWED and before is not None and _content_key(entry) != before:
        entry.status = EntryStatus.SUBMITTED
        entry.submitted_at = utcnow()
        _notify_reviewers(entry, owner, unit, EntryStatus.REVIEWED)


def _checked_uploads(entry: Entry | None, uploads: list[FileStorage] | None) -> list[FileStorage]:
    """The files actually chosen, each an image or PDF within the limits, and not too many for the
    entry (JournalError next to the evidence field otherwise); nothing is stored yet."""
    uploads = [u for u in (uploads or []) if u and u.filename]
    existing = len(entry.evidence) if entry is not None else 0
    if existing + len(uploads) > storage.MAX_FILES_PER_ENTRY:
        raise JournalError(f"Mỗi bài tối đa {storage.MAX_FILES_PER_ENTRY} tệp minh chứng.", "evidence")
    for upload in uploads:
        try:
            storage.check_upload(upload)
        except storage.EvidenceError as exc:
            raise JournalError(str(exc), "evidence") from None
    return uploads


def _attach(entry: Entry, uploads: list[FileStorage]) -> None:
    """Store the checked files and add them to the entry's evidence."""
    for upload in uploads:
        stored = storage.store(upload)
        entry.evidence.append(
            Evidence(
                stored_name=stored.stored_name,
                original_name=stored.original_name,
                content_type=stored.content_type,
                size=stored.size,
                sha256=stored.sha256,
            )
        )


def save_entry(
    actor: User,
    owner: User,
    unit: Unit,
    data: EntryData,
    *,
    entry: Entry | None = None,
    submit: bool = False,
    uploads: list[FileStorage] | None = None,
    today: date | None = None,
) -> Entry:
    """Create or update an entry (as a draft, or submitted); only the member writes their diary.

    An existing entry is checked against its OWN member and branch, whatever `owner` and `unit` the
    caller passed (a unit named in a query string never widens what may be written)."""
    if entry is not None:
        owner, unit = entry.user, entry.unit
        _require_editable(actor, entry)
    permissions.require(actor.id == owner.id and permissions.keeps_diary_in(owner, unit))
    _check_lengths(data)
    if entry is None or data.deed_date != entry.deed_date:
        check_deed_date(owner, unit, data.deed_date, today)
    if submit and not data.action.strip():
        raise JournalError("Vui lòng ghi việc đã làm.", "action")
    commitments = _resolve_commitments(owner, unit, data, required=submit)
    uploads = _checked_uploads(entry, uploads)
    before = _content_key(entry) if entry is not None else None
    if entry is None:
        entry = Entry(user_id=owner.id, unit_id=unit.id, deed_date=data.deed_date, status=EntryStatus.DRAFT)
        db.session.add(entry)
    _apply(entry, data, commitments)
    _attach(entry, uploads)
    previous = entry.status
    if submit and entry.status in (EntryStatus.DRAFT, EntryStatus.REVISION, None):
        # A first submission, or a resubmission after a revision request.
        entry.status = EntryStatus.SUBMITTED
        entry.submitted_at = utcnow()
    db.session.flush()
    if entry.status is EntryStatus.SUBMITTED and previous is not EntryStatus.SUBMITTED:
        _notify_reviewers(entry, owner, unit, previous)
    else:
        _after_edit(entry, owner, unit, before)
        db.session.flush()
    return entry


def autosave_draft(
    actor: User, owner: User, unit: Unit, data: EntryData, entry: Entry | None = None
) -> Entry:
    """Keep what is being typed as a draft; lenient: only lengths and a usable date are checked.

    Never lenient about locks: a draft is not moved into, nor written in, a signed month or a
    closed year of its own branch (LockedError)."""
    if entry is not None:
        owner, unit = entry.user, entry.unit
        _require_editable(actor, entry)
    permissions.require(actor.id == owner.id and permissions.keeps_diary_in(owner, unit))
    _check_lengths(data)
    fallback = entry.deed_date if entry is not None else today_local()
    if data.deed_date is not None and data.deed_date != fallback:
        try:
            check_deed_date(owner, unit, data.deed_date)
        except JournalError:
            data.deed_date = fallback
    else:
        data.deed_date = fallback
    if entry is None:
        locks.ensure(locks.day_lock(owner.id, unit.id, data.deed_date), field="deed_date")
    commitments = _resolve_commitments(owner, unit, data, required=False)
    before = _content_key(entry) if entry is not None else None
    if entry is None:
        entry = Entry(user_id=owner.id, unit_id=unit.id, deed_date=data.deed_date, status=EntryStatus.DRAFT)
        db.session.add(entry)
    _apply(entry, data, commitments)
    _after_edit(entry, owner, unit, before)
    db.session.flush()
    return entry


def delete_entry(actor: User, entry: Entry) -> None:
    """Delete a draft (submitted entries stay in the diary)."""
    _require_editable(actor, entry)
    if entry.status is not EntryStatus.DRAFT:
        raise JournalError("Chỉ xóa được bản nháp; bài đã gửi được giữ trong sổ.")
    names = [e.stored_name for e in entry.evidence]
    db.session.delete(entry)
    db.session.flush()
    for name in names:
        storage.remove(name)


def delete_evidence(actor: User, evidence: Evidence) -> None:
    """Remove an evidence file from one's entry (evidence is part of what a signed month seals)."""
    entry = evidence.entry
    _require_editable(actor, entry)
    before = _content_key(entry)
    name = evidence.stored_name
    entry.evidence.remove(evidence)
    db.session.flush()
    _after_edit(entry, entry.user, entry.unit, before)
    db.session.flush()
    storage.remove(name)
