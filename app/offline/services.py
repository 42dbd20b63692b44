"""Entries written on a phone without a signal, applied when the phone sends them; the caller commits.

Every diary rule is the journal's: these functions only make a sending idempotent (the phone's
UUID finds the entry a first sending made) and turn an edit made on an old version into a
conflict instead of an overwrite.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from app.auth.models import User
from app.core import permissions
from app.core.db import db
from app.core.text import nfc
from app.journal import services as journal
from app.journal import storage
from app.journal.models import Entry
from app.units.models import Unit

# A UUID as browsers make them (crypto.randomUUID), in any case; stored lower-case.
CLIENT_ID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class SyncConflict(Exception):
    """The entry changed on the server since the phone's copy was opened; `entry` is the server's."""

    def __init__(self, entry: Entry):
        super().__init__("conflict")
        self.entry = entry


@dataclass
class SyncResult:
    entry: Entry
    applied: bool  # False: this sending had already been applied (nothing changed now)


def normalize_client_id(value: str | None) -> str | None:
    """The phone's id in its stored form, or None when it is not a UUID."""
    value = (value or "").strip().lower()
    return value if CLIENT_ID_RE.fullmatch(value) else None


def find_synced(owner: User, client_id: str) -> Entry | None:
    """The entry an earlier sending of `client_id` by `owner` made (another person's id finds nothing)."""
    return db.session.scalar(select(Entry).where(Entry.user_id == owner.id, Entry.client_id == client_id))


def _same_content(entry: Entry, data: journal.EntryData) -> bool:
    """Whether the entry already says what the phone sends (an edit applied by an earlier sending)."""
    return (
        entry.deed_date == data.deed_date
        and entry.place == (nfc(data.place) or "")
        and entry.action == (nfc(data.action) or "")
        and entry.result == (nfc(data.result) or "")
        and entry.lesson == (nfc(data.lesson) or "")
        and {c.id for c in entry.commitments} == set(data.commitment_ids)
    )


def sync_entry(
    actor: User,
    unit: Unit,
    client_id: str,
    data: journal.EntryData,
    *,
    submit: bool,
    uploads: list[FileStorage] | None = None,
    entry: Entry | None = None,
    lock_version: int | None = None,
) -> SyncResult:
    """Apply one entry the member kept on their phone: a new one, or an edit of `entry` opened at
    `lock_version`. The member only, in their own diary; every rule is journal.save_entry's.

    Raises journal.JournalError (refused, with the reason), SyncConflict (the entry changed on
    the server meanwhile), or 403 (not the member's to write)."""
    if entry is None:
        existing = find_synced(actor, client_id)
        if existing is not None:
            return SyncResult(existing, applied=False)
        created = journal.save_entry(actor, actor, unit, data, submit=submit, uploads=uploads)
        stored = [e.stored_name for e in created.evidence]
        created.client_id = client_id
        try:
            db.session.flush()
        except IntegrityError:
            # The same entry arrived twice at once (the page and the service worker both sent it):
            # the other sending won; this one leaves nothing behind, not even its files.
            db.session.rollback()
            for name in stored:
                storage.remove(name)
            existing = find_synced(actor, client_id)
            if existing is None:
                raise
            return SyncResult(existing, applied=False)
        return SyncResult(created, applied=True)

    permissions.require(entry.user_id == actor.id)
    if not journal.can_edit_entry(actor, entry):
        raise journal.JournalError(
            "Bài này không sửa được nữa: tháng của bài đã được ký xác nhận, năm đã khóa sổ, hoặc bạn "
            "không còn ghi sổ ở chi đoàn này.",
            "deed_date",
        )
    if lock_version != entry.lock_version:
        if not uploads and _same_content(entry, data):
            return SyncResult(entry, applied=False)
        raise SyncConflict(entry)
    journal.save_entry(actor, actor, entry.unit, data, entry=entry, submit=submit, uploads=uploads)
    return SyncResult(entry, applied=True)


# ---- the service worker's version ----------------------------------------------------------------

# What the worker keeps for offline use (besides the pages a member opens): the app's shell.
SHELL_FILES = (
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "css/app.css",
    "js/app.js",
    "js/entry-form.js",
    "js/outbox.js",
    "js/offline.js",
    "img/favicon.svg",
    "img/icon-192.png",
    "img/icon-512.png",
    "manifest.webmanifest",
)


@lru_cache(maxsize=4)
def worker_version(static_folder: str) -> str:
    """A digest of the worker and of every shell file: when one of them changes, the worker's
    bytes change, browsers install it, and it replaces the caches of the version before."""
    digest = hashlib.sha256()
    for name in ("sw.js", *SHELL_FILES):
        digest.update(name.encode())
        digest.update((Path(static_folder) / name).read_bytes())
    return digest.hexdigest()[:16]
