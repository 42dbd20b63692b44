"""Bulk exports: starting a job and finding one's own (here), what an export covers (scope),
building its documents and ZIP (building), the worker's share-out, parts and packing (running),
recovery and expiry (upkeep). Their names are re-exported here: callers use `services.X`.

`start_export` (the web process, for whoever may export the unit) records a job; the view
commits and calls `enqueue`. The worker runs `run_export`, which builds the ZIP with
`write_export` — the same function `flask export-unit` calls, so both give the same files.
A member whose book cannot be made is recorded as an ExportFailure with the reason, and the
export goes on with the others. Finished files are deleted EXPORT_TTL_HOURS after they were
made (`remove_expired`, a periodic task, and `expire_if_due` whenever the job is looked at).
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app.auth.models import User
from app.core import permissions
from app.core.bounds import year_in_range
from app.core.db import db, utcnow
from app.core.enums import Role
from app.core.filters import today_local
from app.core.rules import RuleError
from app.jobs.building import (
    FAILURES_FILE,
    ExportResult,
    Failure,
    PartSpec,
    Progress,
    failure_reason,
    make_part,
    member_file_name,
    part_failure_reason,
    plan_parts,
    safe_name,
    summary_file_name,
    write_export,
    write_failures_file,
)
from app.jobs.models import ExportJob, ExportScope, JobStatus
from app.jobs.running import (
    INTERRUPTED,
    UNEXPECTED,
    export_dir,
    pack_export,
    peak_rss_kb,
    run_export,
    run_part,
    ttl,
    worker_id,
)
from app.jobs.scope import (
    branch_members,
    export_branches,
    members_count,
)
from app.jobs.upkeep import (
    PART_TIMEOUT,
    STALL_AFTER,
    expire_due,
    expire_if_due,
    fail_stalled,
    mark_interrupted,
    packing_interrupted,
    part_interrupted,
    recover_parts,
    remove_expired,
    requeue_part,
)
from app.units.models import Unit

# The feature's names: starting and finding jobs defined here; building, running, scope and upkeep
# re-exported, so routes, tasks, the CLI and tests reach the whole feature as `services.X`.
__all__ = [
    "BulkExportError",
    "ExportResult",
    "FAILURES_FILE",
    "Failure",
    "INTERRUPTED",
    "PART_TIMEOUT",
    "PartSpec",
    "Progress",
    "STALL_AFTER",
    "UNEXPECTED",
    "branch_members",
    "child_units",
    "download_name",
    "enqueue",
    "expire_due",
    "expire_if_due",
    "export_branches",
    "export_dir",
    "exportable_units",
    "fail_stalled",
    "failure_reason",
    "get_own_job",
    "make_part",
    "mark_interrupted",
    "member_file_name",
    "members_count",
    "own_jobs",
    "pack_export",
    "packing_interrupted",
    "part_failure_reason",
    "part_interrupted",
    "peak_rss_kb",
    "plan_parts",
    "progress",
    "recover_parts",
    "remove_expired",
    "requeue_part",
    "result_file",
    "run_export",
    "run_part",
    "safe_name",
    "start_export",
    "summary_file_name",
    "ttl",
    "worker_id",
    "write_export",
    "write_failures_file",
    "year_choices",
]


class BulkExportError(RuleError):
    """A bulk export the request cannot start, with the Vietnamese message shown next to the form.
    (Not app.export's ExportError, which refuses one document.)"""


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
    if not year_in_range(year) or year > today_local().year + 1:
        raise BulkExportError("Năm không hợp lệ.")
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
        raise BulkExportError("Đơn vị này chưa có chi đoàn (chi bộ) nào để xuất sổ.")
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


def result_file(job: ExportJob) -> Path | None:
    """The job's ZIP on disk, if it is there."""
    if not job.has_file:
        return None
    path = export_dir() / job.result_path
    return path if path.is_file() else None


def download_name(job: ExportJob) -> str:
    """The ZIP's name in the browser, e.g. Sổ_nhật_ký_Chi_đoàn_Văn_phòng_2026.zip."""
    return f"Sổ_nhật_ký_{safe_name(job.unit.name)}_{job.year}.zip"
