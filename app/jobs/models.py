"""A bulk export asked for by a secretary or an officer, its progress and what went wrong."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import db, utcnow
from app.core.enums import LabeledEnum, enum_column_type
from app.units.models import Unit

if TYPE_CHECKING:
    from app.auth.models import User


class ExportScope(LabeledEnum):
    """What a job covers: one branch (its secretary), or every branch under a unit (an officer)."""

    BRANCH = ("branch", "Cả chi đoàn (chi bộ)")
    SUBTREE = ("subtree", "Các chi đoàn (chi bộ) trực thuộc")


class JobStatus(LabeledEnum):
    """queued → running → done (or failed); a finished file later → expired."""

    QUEUED = ("queued", "Đang chờ xử lý")
    RUNNING = ("running", "Đang xuất")
    DONE = ("done", "Đã xong")
    FAILED = ("failed", "Không thành công")
    EXPIRED = ("expired", "Đã hết hạn, tệp đã xóa")

    @property
    def is_finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED, JobStatus.EXPIRED)


class ExportJob(db.Model):
    """One bulk export: the members' books of a year and the branches' summary documents, in one ZIP.

    Only the person who asked sees the job. The worker (app.jobs.tasks) moves it along and counts
    the members done, so the page can show progress; the ZIP is deleted at `expires_at`.
    """

    __tablename__ = "export_jobs"
    __table_args__ = (
        Index("ix_export_jobs_requested_by_created", "requested_by_id", "created_at"),
        Index("ix_export_jobs_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int]
    scope: Mapped[ExportScope] = mapped_column(enum_column_type(ExportScope))
    status: Mapped[JobStatus] = mapped_column(enum_column_type(JobStatus), default=JobStatus.QUEUED)
    members_total: Mapped[int] = mapped_column(default=0)
    members_done: Mapped[int] = mapped_column(default=0)
    # What the worker is doing now, in Vietnamese ("Đang tạo sổ vàng …"), shown under the bar.
    stage: Mapped[str] = mapped_column(String(200), default="")
    # Why the whole job failed (Vietnamese); failures of single members are ExportFailure rows.
    error: Mapped[str | None] = mapped_column(Text)
    # The ZIP, relative to the export folder (instance/export-jobs by default), and its size.
    result_path: Mapped[str | None] = mapped_column(String(255))
    result_size: Mapped[int | None]
    documents_count: Mapped[int] = mapped_column(default=0)
    # The address the export was asked from ("https://sonhatky.example.vn/"): the worker has no
    # request, and the documents' QR codes must link where the user came from (PUBLIC_BASE_URL wins).
    base_url: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    # The worker touches this with every member: a running job that stops moving was interrupted.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]

    requested_by: Mapped[User] = relationship()
    unit: Mapped[Unit] = relationship()
    failures: Mapped[list[ExportFailure]] = relationship(
        back_populates="job", order_by="ExportFailure.id", cascade="all, delete-orphan"
    )

    @property
    def percent(self) -> int:
        """Members done out of the total, as a whole percentage (100 when there is nobody)."""
        if self.status is JobStatus.DONE:
            return 100
        if not self.members_total:
            return 0
        return min(100, self.members_done * 100 // self.members_total)

    @property
    def is_finished(self) -> bool:
        return self.status.is_finished

    @property
    def has_file(self) -> bool:
        return self.status is JobStatus.DONE and self.result_path is not None


class ExportFailure(db.Model):
    """A member (or a summary document) the worker could not export, with the reason in Vietnamese."""

    __tablename__ = "export_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("export_jobs.id", ondelete="CASCADE"), index=True)
    # None for a summary document of the branch (the sổ vàng …).
    member_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # The name as it was when the export ran ("Nguyễn Văn An", or "Sổ vàng – Chi đoàn …").
    subject: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    job: Mapped[ExportJob] = relationship(back_populates="failures")
    member: Mapped[User | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
