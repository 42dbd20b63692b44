"""Audit log rows, and diary reads.

Reads get a table of their own (DiaryRead) rather than rows in AuditLog: the audit log records
what was *done* to a record (a comment, a sign-off) and is read by the member and the officers
as the review history; reads are many times more frequent, are not actions on the record, and
would bury that history. The member reads DiaryRead on "Ai đã xem nhật ký của tôi".
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import db, utcnow

if TYPE_CHECKING:
    from app.auth.models import User
    from app.units.models import Unit


class AuditLog(db.Model):
    """One action on someone's record: readable by the member it concerns and officers above."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_subject_at", "subject_user_id", "created_at"),
        Index("ix_audit_log_unit_at", "unit_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # e.g. "entry.comment", "entry.revision", "entry.exemplary", "month.sign", "month.reopen".
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    # The member whose record it is, and their branch.
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    before: Mapped[str | None] = mapped_column(Text)  # JSON
    after: Mapped[str | None] = mapped_column(Text)  # JSON
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_user_id])


class DiaryRead(db.Model):
    """`reader` opened a page of `owner`'s diary kept in the branch `unit` at `read_at`."""

    __tablename__ = "diary_reads"
    __table_args__ = (Index("ix_diary_reads_owner_at", "owner_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reader_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # What was opened: "month", "timeline", "year", "search", "entry", "evidence", "plan", "review".
    what: Mapped[str] = mapped_column(String(20))
    # The entry, plan or evidence file, when one was opened.
    object_id: Mapped[int | None]
    year: Mapped[int | None]
    month: Mapped[int | None]
    # In what capacity the reader read, as the member is shown it ("Cán bộ Đoàn Khối …"):
    # kept as it was at the time, since roles change.
    reader_capacity: Mapped[str] = mapped_column(String(255), default="")
    read_at: Mapped[datetime] = mapped_column(default=utcnow)

    reader: Mapped[User] = relationship(foreign_keys=[reader_id], lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")
