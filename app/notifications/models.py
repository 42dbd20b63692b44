"""Notifications and the record of reminder digests sent."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import db, utcnow


class Notification(db.Model):
    """Something a person should know: a comment, a revision request, a sign-off, a submission."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "read_at", "created_at"),
        # The notification centre's page: a person's newest first, read straight from the index.
        Index("ix_notifications_user_created", "user_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # e.g. "comment", "revision", "signed", "submitted", "plan_submitted", "reminder".
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]


class ReminderDigest(db.Model):
    """At most one reminder digest per person per day, whatever the number of reasons."""

    __tablename__ = "reminder_digests"
    __table_args__ = (UniqueConstraint("user_id", "sent_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sent_on: Mapped[date]
    reasons: Mapped[str] = mapped_column(Text, default="")  # JSON list of what it said
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
