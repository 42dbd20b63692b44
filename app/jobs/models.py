"""A bulk export asked for by a secretary or an officer, its progress and what went wrong."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Float, ForeignKey, Index, String, Text
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
    # When a worker took the last step (packing the parts into the ZIP): taken once, by one worker.
    packing_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]

    requested_by: Mapped[User] = relationship()
    unit: Mapped[Unit] = relationship()
    failures: Mapped[list[ExportFailure]] = relationship(
        back_populates="job", order_by="ExportFailure.id", cascade="all, delete-orphan"
    )
    parts: Mapped[list[ExportPart]] = relationship(
        back_populates="job", order_by="ExportPart.position", cascade="all, delete-orphan"
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


class PartStatus(LabeledEnum):
    """queued → running → done (or failed); a running part whose worker died goes back to queued."""

    QUEUED = ("queued", "Đang chờ")
    RUNNING = ("running", "Đang tạo")
    DONE = ("done", "Đã xong")
    FAILED = ("failed", "Không tạo được")


class ExportPart(db.Model):
    """One document of an export job (a member's book, or a branch's summary document), made by
    whichever worker takes its task: the export is shared by every consumer on the queue.

    The PDF is written to the export folder (`file_path`); the job's last task packs the parts, in
    `position` order, into the ZIP. A worker that dies mid-part leaves it running with its
    `claimed_by`; the periodic check puts it back in the queue (up to MAX_ATTEMPTS times).
    """

    __tablename__ = "export_parts"
    __table_args__ = (
        Index("ix_export_parts_job_position", "job_id", "position", unique=True),
        Index("ix_export_parts_status_claimed", "status", "claimed_at"),
    )

    MAX_ATTEMPTS = 3

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("export_jobs.id", ondelete="CASCADE"))
    position: Mapped[int]
    # "book" (member_id set) or "summary" (summary_index into app.jobs.documents.SUMMARY_DOCUMENTS).
    kind: Mapped[str] = mapped_column(String(16))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    summary_index: Mapped[int | None]
    # The name shown in progress and failures: the member's, or "Sổ vàng – Chi đoàn …".
    subject: Mapped[str] = mapped_column(String(255))
    # The folder in the ZIP ("" for a single branch, "01_Chi_đoàn_…/") and the member's number in it.
    folder: Mapped[str] = mapped_column(String(255), default="")
    number: Mapped[int] = mapped_column(default=0)
    width: Mapped[int] = mapped_column(default=2)
    status: Mapped[PartStatus] = mapped_column(enum_column_type(PartStatus), default=PartStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    # host:pid of the worker making it now, and since when.
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # The PDF's name inside the ZIP, and its file in the export folder until the ZIP is packed.
    zip_name: Mapped[str | None] = mapped_column(String(255))
    file_path: Mapped[str | None] = mapped_column(String(255))
    # Seconds the document took (wall clock, and CPU of the worker's thread) and the worker's peak
    # resident memory after it (kB), for the record and the benchmark (bench/bench_fanout.py).
    seconds: Mapped[float | None] = mapped_column(Float)
    cpu_seconds: Mapped[float | None] = mapped_column(Float)
    peak_rss_kb: Mapped[int | None]

    job: Mapped[ExportJob] = relationship(back_populates="parts")
