"""Diary entries, the commitments they serve, and their evidence files."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import db, utcnow
from app.core.enums import EntryStatus, enum_column_type
from app.core.text import shorten
from app.plans.models import Commitment
from app.units.models import Unit

if TYPE_CHECKING:
    from app.auth.models import User

entry_commitments = Table(
    "entry_commitments",
    db.metadata,
    Column("entry_id", ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True),
    Column("commitment_id", ForeignKey("commitments.id"), primary_key=True),
    # From a commitment to its entries without visiting the table (coverage of a whole branch).
    Index("ix_entry_commitments_commitment_entry", "commitment_id", "entry_id"),
)


class Entry(db.Model):
    """A dated deed: where, what was done, the result, the lesson; written at `created_at`."""

    __tablename__ = "entries"
    __table_args__ = (
        Index("ix_entries_user_date", "user_id", "deed_date"),
        # A member's diary in one branch by date: a month, the latest entry (newest first, LIMIT 1),
        # "is there an entry in this month" — without reading the member's other entries.
        Index("ix_entries_user_unit_date", "user_id", "unit_id", "deed_date"),
        # A branch's entries by date, covering what the branch's figures read (who, status, and the
        # id: the rowid on SQLite, INCLUDEd on PostgreSQL), so a year of a branch is read from the
        # index alone instead of one table page per entry (issue 9).
        Index(
            "ix_entries_unit_date_cover",
            "unit_id",
            "deed_date",
            "user_id",
            "status",
            postgresql_include=["id"],
        ),
        # A branch's review queue: the waiting entries of the members one reviews (without it
        # SQLite reads every entry of each member to find the few that wait).
        Index("ix_entries_unit_status_user", "unit_id", "status", "user_id", "submitted_at"),
        # "When did each person last write" (reminders, dashboards) without scanning the table.
        Index("ix_entries_user_unit_written", "user_id", "unit_id", "created_at"),
        # An entry written offline is sent again and again until the phone hears back: its
        # author's client id finds the entry the first sending made (issue 19).
        UniqueConstraint("user_id", "client_id", name="uq_entries_user_id_client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The branch the diary belongs to: kept on every row so a province can later shard by unit.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    deed_date: Mapped[date]
    place: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="")
    lesson: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[EntryStatus] = mapped_column(enum_column_type(EntryStatus), default=EntryStatus.DRAFT)
    # Folded text (no diacritics, lowercase) of every field, for diacritic-blind search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    lock_version: Mapped[int] = mapped_column(default=1)
    # The UUID a phone gave the entry when it was written offline (None for entries written online).
    client_id: Mapped[str | None] = mapped_column(String(36))
    # Review by the secretary (or, for a secretary's own diary, the officer above).
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revision_requested_at: Mapped[datetime | None]
    revision_reason: Mapped[str | None] = mapped_column(Text)
    # Biểu dương: an exemplary deed, which goes into the branch's sổ vàng.
    is_exemplary: Mapped[bool] = mapped_column(default=False, server_default=false())
    exemplary_at: Mapped[datetime | None]
    exemplary_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    exemplary_note: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    unit: Mapped[Unit] = relationship()
    commitments: Mapped[list[Commitment]] = relationship(secondary=entry_commitments, lazy="selectin")
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="Evidence.id", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def is_backdated(self) -> bool:
        """Written on a later day than the deed (in Vietnam's time)."""
        from app.core.filters import to_local

        return to_local(self.created_at).date() > self.deed_date

    @property
    def title(self) -> str:
        first = self.action.strip().splitlines()[0] if self.action.strip() else "(chưa có nội dung)"
        return shorten(first, 90)


class Evidence(db.Model):
    """An image or PDF attached to an entry, stored outside static/ under a random name."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entry: Mapped[Entry] = relationship(back_populates="evidence")
