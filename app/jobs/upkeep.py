"""The periodic tasks and signals that keep exports moving and the disk clean: parts whose worker died
are queued again, stalled jobs are packed or closed, finished ZIPs are deleted when their time is up."""

from __future__ import annotations

import os
import shutil
import socket
from datetime import timedelta
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import select, update

from app.core.db import db, utcnow
from app.jobs.building import Failure, failure_row
from app.jobs.models import ExportJob, ExportPart, JobStatus, PartStatus
from app.jobs.running import INTERRUPTED, export_dir, pack_when_complete, ttl

if TYPE_CHECKING:
    from collections.abc import Sequence

# A running job whose progress has not moved for this long lost its worker (a restart, a kill).
STALL_AFTER = timedelta(minutes=30)


# ---- parts whose worker died ----------------------------------------------------------------------

# A part still running after this long lost its worker (a book takes seconds; a kill, a crash).
PART_TIMEOUT = timedelta(minutes=10)


def _process_alive(claimed_by: str | None) -> bool | None:
    """Whether the process that took a part still runs: known on this host only (None elsewhere)."""
    host, _, pid = (claimed_by or "").rpartition(":")
    if host != socket.gethostname()[:100] or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def requeue_part(part: ExportPart, reason: str = INTERRUPTED) -> bool:
    """Put a part whose worker stopped back in the queue, or fail it after MAX_ATTEMPTS tries;
    True when it was queued again. Flushes; the caller commits, then enqueues it."""
    if part.attempts >= ExportPart.MAX_ATTEMPTS:
        part.status = PartStatus.FAILED
        part.finished_at = utcnow()
        db.session.add(
            failure_row(
                Failure(
                    part.subject,
                    "Tiến trình xử lý nền dừng giữa chừng nhiều lần khi tạo tệp này.",
                    part.member_id,
                    part.unit_id,
                ),
                part.job_id,
            )
        )
        if part.kind == "book":
            part.job.members_done += 1
        db.session.flush()
        return False
    part.status = PartStatus.QUEUED
    part.claimed_by = None
    part.claimed_at = None
    db.session.flush()
    return True


def recover_parts() -> int:
    """Give the parts of dead workers to the living (the periodic task): a part running in a
    process of this host that no longer exists, or running for longer than PART_TIMEOUT on any,
    goes back to the queue. Commits; returns how many parts were queued again or failed."""
    running = db.session.scalars(select(ExportPart).where(ExportPart.status == PartStatus.RUNNING)).all()
    cutoff = utcnow() - PART_TIMEOUT
    again: list[int] = []
    touched: set[int] = set()
    changed = 0
    for part in running:
        alive = _process_alive(part.claimed_by)
        if alive is False or (alive is None and part.claimed_at is not None and part.claimed_at < cutoff):
            changed += 1
            if requeue_part(part):
                again.append(part.id)
            touched.add(part.job_id)
    db.session.commit()
    if again:
        from app.jobs import tasks

        tasks.configure(current_app)
        for part_id in again:
            tasks.make_export_part(part_id)
    for job_id in touched:
        pack_when_complete(job_id)
    return changed


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
        # Parts of jobs that ended without packing them (failed, or the job was deleted).
        for path in folder.glob("export-*-parts"):
            if path.is_dir() and path.stat().st_mtime < cutoff:
                job_id = path.name.split("-")[1]
                job = db.session.get(ExportJob, int(job_id)) if job_id.isdigit() else None
                if job is None or job.is_finished:
                    shutil.rmtree(path, ignore_errors=True)
    return len(due)


def mark_interrupted(job_id: int) -> None:
    """Close a job whose worker was stopped while it shared the job out. Commits."""
    job = db.session.get(ExportJob, job_id)
    if job is not None and job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        job.status = JobStatus.FAILED
        job.error = INTERRUPTED
        job.stage = ""
        job.finished_at = utcnow()
        db.session.commit()


def part_interrupted(part_id: int) -> None:
    """A worker stopped at once in the middle of a part: the part goes back to the queue for
    another worker (or this one, restarted); the rest of the export is untouched. Commits."""
    part = db.session.get(ExportPart, part_id)
    if part is None or part.status is not PartStatus.RUNNING:
        return
    again = requeue_part(part)
    db.session.commit()
    if again:
        from app.jobs import tasks

        tasks.configure(current_app)
        tasks.make_export_part(part_id)
    else:
        pack_when_complete(part.job_id)


def packing_interrupted(job_id: int) -> None:
    """A worker stopped while packing: the packing is queued again. Commits."""
    db.session.execute(
        update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.status == JobStatus.RUNNING)
        .values(packing_at=None)
    )
    db.session.commit()
    pack_when_complete(job_id)


def fail_stalled() -> int:
    """Look after the running jobs that stopped moving for STALL_AFTER. A job waiting for its parts
    is left alone (they are in the queue, or `recover_parts` gives them to another worker); a job
    whose parts are all made but whose packing was lost is packed again; a job with no parts (its
    sharing out was lost) is closed as interrupted. Commits; returns how many were closed."""
    stalled = db.session.scalars(
        select(ExportJob).where(
            ExportJob.status == JobStatus.RUNNING, ExportJob.updated_at < utcnow() - STALL_AFTER
        )
    ).all()
    closed = 0
    for job in stalled:
        states = {part.status for part in job.parts}
        if PartStatus.RUNNING in states:
            continue
        if PartStatus.QUEUED in states:
            # Parts still waiting while the queue holds nothing: their tasks were lost (a queue
            # emptied by hand, a worker killed between taking a task and its part). Queued again;
            # a duplicate finds its part taken and does nothing. With tasks waiting, they are
            # just waiting their turn (a province's December queue).
            from app.jobs import tasks

            huey = tasks.configure(current_app)
            if huey.pending_count():
                continue
            job.updated_at = utcnow()
            db.session.commit()
            for part in job.parts:
                if part.status is PartStatus.QUEUED:
                    tasks.make_export_part(part.id)
            continue
        if job.parts:
            job.packing_at = None
            job.updated_at = utcnow()
            db.session.commit()
            pack_when_complete(job.id)
            continue
        job.status = JobStatus.FAILED
        job.error = INTERRUPTED
        job.stage = ""
        job.finished_at = utcnow()
        closed += 1
    db.session.commit()
    return closed
