"""Biểu dương: an entry into the branch's sổ vàng and out of it, and the sổ vàng itself."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.orm import lazyload

from app.audit import services as audit
from app.auth.models import User
from app.core import permissions
from app.core.db import db, utcnow
from app.core.enums import EntryStatus
from app.core.filters import vn_date
from app.journal.models import Entry
from app.notifications.services import notify
from app.review.services.common import (
    MAX_NOTE,
    ReviewError,
    _entry_facts,
    _flush,
    _keep_updated_at,
    _real,
    _require_open_month,
    _text,
    can_review_entry,
    entry_path,
    users_by_id,
)
from app.units.models import Unit


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
