"""Comments on entries, snapshots of what was reviewed, and month comments with sign-off."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import db, utcnow
from app.journal.models import Entry
from app.units.models import Unit

if TYPE_CHECKING:
    from app.auth.models import User


class EntryComment(db.Model):
    """A reviewer's nhận xét on an entry (or the member's reply)."""

    __tablename__ = "entry_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entry: Mapped[Entry] = relationship()
    author: Mapped[User] = relationship(lazy="joined")


class EntrySnapshot(db.Model):
    """The entry as it stood when it was reviewed, sent back for revision, or signed off.

    The secretary sees what changed since the version they reviewed by comparing the entry
    with its latest snapshot.
    """

    __tablename__ = "entry_snapshots"
    __table_args__ = (Index("ix_entry_snapshots_entry_taken", "entry_id", "taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Why it was taken: "reviewed", "revision", "signed".
    reason: Mapped[str] = mapped_column(String(20))
    # The entry's fields as canonical JSON (deed date, place, action, result, lesson,
    # commitment ids, evidence hashes).
    content: Mapped[str] = mapped_column(Text)


class MonthReview(db.Model):
    """A member's month in a branch: the reviewer's month comment and the sign-off.

    Signing stores the SHA-256 of the month's entries and comment; a signed month is frozen.
    """

    __tablename__ = "month_reviews"
    __table_args__ = (
        UniqueConstraint("user_id", "unit_id", "year", "month"),
        Index("ix_month_reviews_unit_period", "unit_id", "year", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int]
    month: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    comment_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # The canonical JSON that was hashed, so a mismatch can say which entry changed.
    signed_content: Mapped[str | None] = mapped_column(Text)
    lock_version: Mapped[int] = mapped_column(default=1)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    unit: Mapped[Unit] = relationship()
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])
    comment_by: Mapped[User | None] = relationship(foreign_keys=[comment_by_id])
    reopenings: Mapped[list[MonthReopening]] = relationship(
        back_populates="month_review", order_by="MonthReopening.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


class MonthReopening(db.Model):
    """A signed month opened again, with the written reason (shown on the month)."""

    __tablename__ = "month_reopenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    month_review_id: Mapped[int] = mapped_column(ForeignKey("month_reviews.id"), index=True)
    reopened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    reopened_at: Mapped[datetime] = mapped_column(default=utcnow)
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    previous_signed_at: Mapped[datetime | None]

    month_review: Mapped[MonthReview] = relationship(back_populates="reopenings")
    reopened_by: Mapped[User] = relationship()
