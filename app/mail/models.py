"""The outbox: every message the app sends, and whether SMTP took it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import db, utcnow
from app.core.enums import LabeledEnum, enum_column_type


class MailStatus(LabeledEnum):
    STORED = ("stored", "Lưu trong hộp thư (chưa cấu hình SMTP)")
    QUEUED = ("queued", "Đang chờ gửi")
    SENDING = ("sending", "Đang gửi")
    SENT = ("sent", "Đã gửi")
    FAILED = ("failed", "Gửi lỗi")


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[MailStatus] = mapped_column(enum_column_type(MailStatus))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None]
    # The notification this message is the email copy of: marked emailed once the message is sent.
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="SET NULL"))
