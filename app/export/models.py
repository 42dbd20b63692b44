"""The register of exported documents: what was made, of whom, by whom, and the hash of its content."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import db, utcnow
from app.units.models import Unit

if TYPE_CHECKING:
    from app.auth.models import User


class ExportedDocument(db.Model):
    """One PDF the app made, under its number (SNK-2026-000123, printed with a QR code on it).

    `content_sha256` is the SHA-256 of the canonical JSON of the data the document shows (not of
    the PDF bytes): building the same document from the current record and comparing hashes tells
    whether the record changed since the document was made.
    """

    __tablename__ = "exported_documents"
    __table_args__ = (
        Index("ix_exported_documents_subject_created", "subject_user_id", "created_at"),
        Index("ix_exported_documents_unit_created", "unit_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    # The document kind's key in app.export.documents.KINDS ("book", "month", "golden-book", …).
    kind: Mapped[str] = mapped_column(String(32))
    # Whose document (a member's book); None for a unit's own documents (the sổ vàng …).
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int]
    month: Mapped[int | None]
    # A further object a kind may be about (e.g. one grading meeting's minutes).
    object_id: Mapped[int | None]
    content_sha256: Mapped[str] = mapped_column(String(64))
    # None: made by a command (`flask export-book`), not by a person in the app.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "web", "cli" or "job" (the bulk export).
    source: Mapped[str] = mapped_column(String(16), default="web")
    page_count: Mapped[int | None]
    file_size: Mapped[int | None]
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    is_signed: Mapped[bool] = mapped_column(default=False, server_default=false())

    subject: Mapped[User | None] = relationship(foreign_keys=[subject_user_id])
    unit: Mapped[Unit] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def __repr__(self) -> str:
        return f"<ExportedDocument {self.number}>"
