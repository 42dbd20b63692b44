"""Bulk exports: starting a job, building its ZIP in the worker, progress, expiry.

`start_export` (the web process, for whoever may export the unit) records a job; the view
commits and calls `enqueue`. The worker runs `run_export`, which builds the ZIP with
`write_export` — the same function `flask export-unit` calls, so both give the same files.
A member whose book cannot be made is recorded as an ExportFailure with the reason, and the
export goes on with the others. Finished files are deleted EXPORT_TTL_HOURS after they were
made (`remove_expired`, a periodic task, and `expire_if_due` whenever the job is looked at).
"""

from __future__ import annotations

import os
import re
import secrets
import unicodedata
import zipfile
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING

from flask import current_app, has_request_context
from sqlalchemy import func, select, update

from app.auth.models import User
from app.core import permissions
from app.core.db import db, utcnow
from app.core.enums import Role, UnitKind
from app.core.filters import to_local, today_local
from app.jobs import documents
from app.jobs.models import ExportFailure, ExportJob, ExportScope, JobStatus
from app.units.models import Membership, Unit

if TYPE_CHECKING:
    from collections.abc import Sequence

FIRST_YEAR = 2000
# A running job whose progress has not moved for this long lost its worker (a restart, a kill).
STALL_AFTER = timedelta(minutes=30)
FAILURES_FILE = "Danh_sách_không_xuất_được.txt"


class ExportError(Exception):
    """A request the export cannot take, with the Vietnamese message shown next to the form."""


class _Gone(Exception):
    """A member or branch deleted while the export ran."""


# ---- who and what an export covers ----------------------------------------------------------------


def export_branches(unit: Unit) -> list[Unit]:
    """The branches an export of `unit` covers: the unit itself when it is a branch, else every
    active branch (chi đoàn, chi bộ) under it, by name."""
    if unit.kind.is_branch:
        return [unit]
    branch_kinds = [k for k in UnitKind if k.is_branch]
    stmt = (
        select(Unit)
        .where(
            Unit.path.startswith(unit.path, autoescape=True),
            Unit.id != unit.id,
            Unit.kind.in_(branch_kinds),
            Unit.is_active.is_(True),
        )
        .order_by(Unit.name, Unit.id)
    )
    return list(db.session.scalars(stmt))


def branch_members(branch: Unit) -> list[tuple[int, str]]:
    """(id, full name) of everyone who keeps a diary in the branch (members, deputies, secretaries),
    by name."""
    stmt = (
        select(User.id, User.full_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == branch.id, Membership.role != Role.OFFICER)
        .order_by(User.name_folded, User.id)
    )
    return [(row.id, row.full_name) for row in db.session.execute(stmt)]


def members_count(branches: list[Unit]) -> int:
    """How many books an export of these branches makes (one query, whatever their number)."""
    stmt = select(func.count()).where(
        Membership.unit_id.in_([b.id for b in branches]), Membership.role != Role.OFFICER
    )
    return db.session.scalar(stmt) or 0


def year_choices() -> list[int]:
    """The years an export may be asked for, newest first."""
    this_year = today_local().year
    return list(range(this_year, this_year - 6, -1))


# ---- starting a job (the web process) -----------------------------------------------------------------


def start_export(actor: User, unit: Unit, year: int) -> tuple[ExportJob, bool]:
    """Record an export of `unit` for `year` asked by `actor`; returns (job, created).

    The actor's unfinished export of the same unit and year is returned instead of a second one.
    For those who may export the unit (permissions.can_export_unit); the caller commits, then
    calls `enqueue`.
    """
    permissions.require(permissions.can_export_unit(actor, unit))
    if not FIRST_YEAR <= year <= today_local().year + 1:
        raise ExportError("Năm không hợp lệ.")
    running = db.session.scalar(
        select(ExportJob)
        .where(
            ExportJob.requested_by_id == actor.id,
            ExportJob.unit_id == unit.id,
            ExportJob.year == year,
            ExportJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
        )
        .order_by(ExportJob.id.desc())
        .limit(1)
    )
    if running is not None:
        return running, False
    branches = export_branches(unit)
    if not branches:
        raise ExportError("Đơn vị này chưa có chi đoàn (chi bộ) nào để xuất sổ.")
    job = ExportJob(
        requested_by=actor,
        unit=unit,
        year=year,
        scope=ExportScope.BRANCH if unit.kind.is_branch else ExportScope.SUBTREE,
        status=JobStatus.QUEUED,
        members_total=members_count(branches),
        stage="Đang chờ tiến trình xử lý nền nhận việc",
        # The configured address, never the request's Host header (which the client chooses).
        base_url=(current_app.config.get("PUBLIC_BASE_URL") or "")[:255] or None,
    )
    db.session.add(job)
    db.session.flush()
    return job, True


def enqueue(job: ExportJob) -> bool:
    """Hand a committed job to the task queue; False (the job marked failed) when the queue is
    unreachable, so the page can say so instead of failing."""
    from app.jobs import tasks

    try:
        tasks.configure(current_app)
        tasks.run_export_job(job.id)
    except Exception:  # Redis down, a locked queue file …: the user is told, the job is closed
        current_app.logger.exception("Could not enqueue export job %s", job.id)
        db.session.rollback()
        job = db.session.get(ExportJob, job.id)
        if job is not None and job.status is JobStatus.QUEUED:
            job.status = JobStatus.FAILED
            job.error = (
                "Không gửi được yêu cầu vào hàng đợi xử lý. Hãy thử lại sau ít phút hoặc báo quản trị viên."
            )
            job.finished_at = utcnow()
            db.session.commit()
        return False
    return True


# ---- finding jobs: only one's own -------------------------------------------------------------------


def own_jobs(user: User, unit: Unit | None = None, limit: int = 50) -> list[ExportJob]:
    """The user's export jobs (of one unit when given), newest first."""
    stmt = select(ExportJob).where(ExportJob.requested_by_id == user.id)
    if unit is not None:
        stmt = stmt.where(ExportJob.unit_id == unit.id)
    return list(
        db.session.scalars(stmt.order_by(ExportJob.created_at.desc(), ExportJob.id.desc()).limit(limit))
    )


def get_own_job(job_id: int, user: User) -> ExportJob | None:
    """The job if `user` asked for it and may still export its unit; None otherwise (a 404)."""
    job = db.session.scalar(
        select(ExportJob).where(ExportJob.id == job_id, ExportJob.requested_by_id == user.id)
    )
    if job is None or not permissions.can_export_unit(user, job.unit):
        return None
    return job


def exportable_units(user: User) -> list[Unit]:
    """Units to start an export from: those where the user is an officer or a branch secretary
    (their own positions; an officer reaches the units below from there), the top units for
    administrators."""
    if user.is_admin:
        stmt = select(Unit).where(Unit.parent_id.is_(None), Unit.is_active.is_(True)).order_by(Unit.name)
        return list(db.session.scalars(stmt))
    units = [m.unit for m in user.memberships if m.role is Role.OFFICER or m.role.manages_branch]
    return sorted(
        {u.id: u for u in units if permissions.can_export_unit(user, u)}.values(), key=lambda u: u.name
    )


def child_units(unit: Unit) -> list[Unit]:
    """The active units right under `unit`, by name (each may be exported on its own)."""
    stmt = select(Unit).where(Unit.parent_id == unit.id, Unit.is_active.is_(True)).order_by(Unit.name)
    return list(db.session.scalars(stmt))


def progress(job: ExportJob) -> dict:
    """What the progress bar shows, as JSON for static/js/jobs.js."""
    return {
        "id": job.id,
        "status": job.status.value,
        "status_label": job.status.label,
        "finished": job.is_finished,
        "done": job.members_done,
        "total": job.members_total,
        "percent": job.percent,
        "stage": job.stage if not job.is_finished else "",
        "failures": len(job.failures),
    }


# ---- building the ZIP (the worker and `flask export-unit`) ---------------------------------------------


_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)}


def safe_name(text: str | None, limit: int = 80) -> str:
    """A file-name part that opens in Windows Explorer, macOS and Linux alike: Vietnamese letters
    kept (NFC), characters Windows forbids dropped, spaces as underscores, no trailing dot."""
    text = unicodedata.normalize("NFC", text or "")
    text = "_".join(_FORBIDDEN.sub(" ", text).split())
    text = text[:limit].strip("._ ")
    if not text:
        return "khong_ten"
    if text.split(".")[0].upper() in _WINDOWS_RESERVED:
        text = f"_{text}"
    return text


def member_file_name(number: int, width: int, member_name: str, year: int) -> str:
    """A member's file, e.g. 01_Nguyễn_Văn_An_2026.pdf: the number keeps the list's order and tells
    namesakes apart."""
    return f"{number:0{width}d}_{safe_name(member_name)}_{year}.pdf"


def summary_file_name(title: str, branch_name: str, year: int) -> str:
    """A summary document's file, e.g. Sổ_vàng_Chi_đoàn_Văn_phòng_2026.pdf."""
    return f"{safe_name(title, 60)}_{safe_name(branch_name, 80)}_{year}.pdf"


def _zip_entry(name: str) -> zipfile.ZipInfo:
    """A ZIP member dated now (local time) and readable by everyone once unpacked.

    zipfile stores a name that is not ASCII as UTF-8 and sets the UTF-8 flag (general purpose
    bit 11), which Windows Explorer (Windows 10 1903 and later), macOS, 7-Zip and unzip honour.
    """
    now = to_local(utcnow())
    info = zipfile.ZipInfo(name, date_time=now.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o100644 << 16
    return info


def failure_reason(exc: BaseException) -> str:
    """The Vietnamese reason shown for a document that could not be made."""
    from werkzeug.exceptions import Forbidden

    from app.export.services import ExportError as DocumentError

    if isinstance(exc, DocumentError) and str(exc).strip():
        return str(exc).strip()  # app/export's messages are written for the user
    if isinstance(exc, Forbidden):
        return "Người yêu cầu không còn quyền xem sổ này."
    return (
        f"Lỗi khi tạo tệp PDF ({type(exc).__name__}). Các tệp khác vẫn được xuất; "
        "quản trị viên xem chi tiết trong nhật ký của tiến trình xử lý nền."
    )


@dataclass
class Failure:
    """A member or summary document left out of the ZIP, and why."""

    subject: str
    reason: str
    member_id: int | None = None
    unit_id: int | None = None


@dataclass
class ExportResult:
    """What went into a ZIP."""

    members_total: int = 0
    documents: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


class Progress:
    """Told what `write_export` is doing; does nothing. The worker's subclass records it on the job."""

    def begin(self, total: int) -> None:
        pass

    def member_started(self, name: str, number: int, total: int) -> None:
        pass

    def member_done(self, failure: Failure | None) -> None:
        pass

    def summaries_started(self, branch_name: str) -> None:
        pass

    def summary_failed(self, failure: Failure) -> None:
        pass

    def packing(self) -> None:
        pass


def write_export(
    unit: Unit,
    year: int,
    actor: User | None,
    out: IO[bytes],
    report: Progress | None = None,
    source: str = "job",
) -> ExportResult:
    """Write the ZIP of `unit`'s books for `year` to `out`: one PDF per member, then each branch's
    summary documents (documents.SUMMARY_DOCUMENTS); one folder per branch when `unit` is not a
    branch. A document that fails is left out and listed (result.failures, and a text file in the
    ZIP); the others go on. Commits after each document, which the renderer registers.
    """
    report = report or Progress()
    result = ExportResult()
    # Ids and names only: objects expire at each commit, and a rollback must not lose the list.
    plan = [((branch.id, branch.name), branch_members(branch)) for branch in export_branches(unit)]
    single = unit.kind.is_branch
    result.members_total = sum(len(members) for _, members in plan)
    report.begin(result.members_total)
    position = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        folder_width = max(2, len(str(len(plan))))
        for branch_number, ((branch_id, branch_name), members) in enumerate(plan, 1):
            folder = "" if single else f"{branch_number:0{folder_width}d}_{safe_name(branch_name)}/"
            width = max(2, len(str(len(members))))
            for number, (member_id, member_name) in enumerate(members, 1):
                position += 1
                report.member_started(member_name, position, result.members_total)
                try:
                    member = db.session.get(User, member_id)
                    branch = db.session.get(Unit, branch_id)
                    if member is None or branch is None:
                        raise _Gone
                    pdf = documents.member_book(member, branch, year, actor, source)
                    db.session.commit()
                except Exception as exc:
                    db.session.rollback()
                    current_app.logger.exception("Export: the book of user %s failed", member_id)
                    reason = (
                        "Tài khoản hoặc đơn vị đã bị xóa trong lúc xuất."
                        if isinstance(exc, _Gone)
                        else failure_reason(exc)
                    )
                    failure = Failure(member_name, reason, member_id, branch_id)
                    result.failures.append(failure)
                    report.member_done(failure)
                    continue
                name = folder + member_file_name(number, width, member_name, year)
                archive.writestr(_zip_entry(name), pdf)
                result.documents.append(name)
                report.member_done(None)
            report.summaries_started(branch_name)
            for make in documents.SUMMARY_DOCUMENTS:
                try:
                    branch = db.session.get(Unit, branch_id)
                    document = documents.call_summary(make, branch, year, actor, source)
                    db.session.commit()
                except Exception as exc:
                    db.session.rollback()
                    current_app.logger.exception("Export: a summary document of unit %s failed", branch_id)
                    title = documents.summary_title(make)
                    failure = Failure(f"{title} – {branch_name}", failure_reason(exc), None, branch_id)
                    result.failures.append(failure)
                    report.summary_failed(failure)
                    continue
                if document is None:
                    continue
                name = folder + summary_file_name(document.title, branch_name, year)
                archive.writestr(_zip_entry(name), document.content)
                result.documents.append(name)
        report.packing()
        if result.failures:
            lines = [f"Các tệp không xuất được ({len(result.failures)}):", ""]
            lines += [f"- {f.subject}: {f.reason}" for f in result.failures]
            # With a BOM, so older Notepad reads the Vietnamese letters right.
            archive.writestr(_zip_entry(FAILURES_FILE), "\ufeff" + "\r\n".join(lines) + "\r\n")
    return result


class JobProgress(Progress):
    """Records the worker's progress on the job, committing so the page sees it at once."""

    def __init__(self, job: ExportJob) -> None:
        self.job = job

    def _save(self, **changes) -> None:
        for key, value in changes.items():
            setattr(self.job, key, value)
        self.job.updated_at = utcnow()
        db.session.commit()

    def begin(self, total: int) -> None:
        self._save(members_total=total, members_done=0, stage="Đang bắt đầu")

    def member_started(self, name: str, number: int, total: int) -> None:
        self._save(stage=f"Đang tạo sổ của {name} ({number}/{total})")

    def member_done(self, failure: Failure | None) -> None:
        if failure is not None:
            self.job.failures.append(_failure_row(failure))
        self._save(members_done=self.job.members_done + 1)

    def summaries_started(self, branch_name: str) -> None:
        self._save(stage=f"Đang tạo các tài liệu tổng hợp của {branch_name}")

    def summary_failed(self, failure: Failure) -> None:
        self.job.failures.append(_failure_row(failure))
        self._save()

    def packing(self) -> None:
        self._save(stage="Đang đóng gói tệp ZIP")


def _failure_row(failure: Failure) -> ExportFailure:
    return ExportFailure(
        member_id=failure.member_id,
        unit_id=failure.unit_id,
        subject=failure.subject[:255],
        reason=failure.reason,
    )


def export_dir() -> Path:
    """Where finished ZIPs are kept: EXPORT_JOB_DIR, or export-jobs/ in the instance folder."""
    configured = current_app.config.get("EXPORT_JOB_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "export-jobs"


def ttl() -> timedelta:
    return timedelta(hours=float(current_app.config.get("EXPORT_TTL_HOURS", 48)))


def _links_from(base_url: str | None):
    """Where the documents' links (QR codes) point: PUBLIC_BASE_URL when set, else the address the
    export was asked from, as a request made there would (the worker has no request of its own)."""
    if current_app.config.get("PUBLIC_BASE_URL") or not base_url or has_request_context():
        return nullcontext()
    return current_app.test_request_context("/", base_url=base_url)


def run_export(job_id: int) -> None:
    """Build a queued job's ZIP (the worker). A job already taken or gone is left alone, so a task
    delivered twice does the work once; an unexpected error fails the job with a Vietnamese reason."""
    claimed = db.session.execute(
        update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, started_at=utcnow(), updated_at=utcnow())
    ).rowcount
    db.session.commit()
    if not claimed:
        return
    job = db.session.get(ExportJob, job_id)
    folder = export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"export-{job.id}-{secrets.token_hex(8)}.zip"
    partial = final.with_name(final.name + ".part")
    try:
        with _links_from(job.base_url), partial.open("wb") as out:
            result = write_export(job.unit, job.year, job.requested_by, out, JobProgress(job))
        os.replace(partial, final)
    except Exception:
        current_app.logger.exception("Export job %s failed", job_id)
        db.session.rollback()
        partial.unlink(missing_ok=True)
        job = db.session.get(ExportJob, job_id)
        job.status = JobStatus.FAILED
        job.error = (
            "Không tạo được tệp ZIP vì một lỗi ngoài dự kiến (có thể máy chủ hết chỗ lưu). "
            "Hãy thử xuất lại; nếu vẫn lỗi, báo quản trị viên."
        )
        job.stage = ""
        job.finished_at = job.updated_at = utcnow()
        db.session.commit()
        return
    now = utcnow()
    job.status = JobStatus.DONE
    job.stage = ""
    job.result_path = final.name
    job.result_size = final.stat().st_size
    job.documents_count = len(result.documents)
    job.finished_at = job.updated_at = now
    job.expires_at = now + ttl()
    db.session.commit()


def result_file(job: ExportJob) -> Path | None:
    """The job's ZIP on disk, if it is there."""
    if not job.has_file:
        return None
    path = export_dir() / job.result_path
    return path if path.is_file() else None


def download_name(job: ExportJob) -> str:
    """The ZIP's name in the browser, e.g. Sổ_nhật_ký_Chi_đoàn_Văn_phòng_2026.zip."""
    return f"Sổ_nhật_ký_{safe_name(job.unit.name)}_{job.year}.zip"


# ---- expiry ------------------------------------------------------------------------------------------


def expire_if_due(job: ExportJob) -> bool:
    """Delete the job's ZIP when its time is up (the job stays, marked expired); the caller commits."""
    if job.status is not JobStatus.DONE or job.expires_at is None or job.expires_at > utcnow():
        return False
    if job.result_path:
        (export_dir() / job.result_path).unlink(missing_ok=True)
    job.status = JobStatus.EXPIRED
    job.result_path = None
    db.session.flush()
    return True


def expire_due(jobs: Sequence[ExportJob]) -> None:
    """expire_if_due for the jobs a page shows, with one commit when any changed."""
    if any([expire_if_due(job) for job in jobs]):
        db.session.commit()


def remove_expired() -> int:
    """Delete every ZIP past its time, and files in the export folder no job owns (left by a crash)
    once they are older than the time to keep; returns how many jobs expired. Commits."""
    due = db.session.scalars(
        select(ExportJob).where(ExportJob.status == JobStatus.DONE, ExportJob.expires_at <= utcnow())
    ).all()
    for job in due:
        expire_if_due(job)
    db.session.commit()
    folder = export_dir()
    if folder.is_dir():
        owned = set(
            db.session.scalars(select(ExportJob.result_path).where(ExportJob.result_path.is_not(None)))
        )
        cutoff = utcnow().timestamp() - ttl().total_seconds()
        for path in folder.glob("export-*.zip*"):
            if path.name not in owned and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
    return len(due)


INTERRUPTED = "Tiến trình xuất bị gián đoạn (máy chủ có thể vừa khởi động lại). Hãy xuất lại."


def mark_interrupted(job_id: int) -> None:
    """Close a job whose worker was stopped while it ran. Commits."""
    job = db.session.get(ExportJob, job_id)
    if job is not None and job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        job.status = JobStatus.FAILED
        job.error = INTERRUPTED
        job.stage = ""
        job.finished_at = utcnow()
        db.session.commit()


def fail_stalled() -> int:
    """Close the running jobs whose worker died (no progress for STALL_AFTER). Commits."""
    stalled = db.session.scalars(
        select(ExportJob).where(
            ExportJob.status == JobStatus.RUNNING, ExportJob.updated_at < utcnow() - STALL_AFTER
        )
    ).all()
    for job in stalled:
        job.status = JobStatus.FAILED
        job.error = INTERRUPTED
        job.stage = ""
        job.finished_at = utcnow()
    db.session.commit()
    return len(stalled)
