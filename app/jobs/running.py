"""The worker's side of an export: share the job out into parts, make each part, pack the ZIP once the
last part is done."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import time
import zipfile
from contextlib import nullcontext
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from flask import current_app, has_request_context
from sqlalchemy import func, select, update

from app.auth.models import User
from app.core.db import db, utcnow
from app.jobs.building import (
    Failure,
    PartSpec,
    failure_row,
    make_part,
    part_failure_reason,
    plan_parts,
    write_failures_file,
    zip_entry,
)
from app.jobs.models import ExportJob, ExportPart, JobStatus, PartStatus
from app.journal.models import Entry
from app.units.models import Unit

INTERRUPTED = "Tiến trình xuất bị gián đoạn (máy chủ có thể vừa khởi động lại). Hãy xuất lại."


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
    """Share a queued job out (the worker): one part per document, each its own task, so every
    consumer on the queue takes some; the last part to finish queues the packing (`pack_export`).
    A job already taken or gone is left alone, so a task delivered twice does the work once."""
    claimed = db.session.execute(
        update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, started_at=utcnow(), updated_at=utcnow())
    ).rowcount
    db.session.commit()
    if not claimed:
        return
    job = db.session.get(ExportJob, job_id)
    try:
        specs = plan_parts(job.unit)
        for spec in specs:
            db.session.add(
                ExportPart(
                    job_id=job.id,
                    position=spec.position,
                    kind=spec.kind,
                    member_id=spec.member_id,
                    unit_id=spec.unit_id,
                    summary_index=spec.summary_index,
                    subject=spec.subject[:255],
                    folder=spec.folder[:255],
                    number=spec.number,
                    width=spec.width,
                )
            )
        job.members_total = sum(1 for spec in specs if spec.kind == "book")
        job.members_done = 0
        job.stage = "Đang bắt đầu"
        db.session.commit()
        part_ids = queue_order(job_id, job.year)
        from app.jobs import tasks

        tasks.configure(current_app)
        for part_id in part_ids:
            tasks.make_export_part(part_id)
        if not part_ids:
            pack_when_complete(job_id)
    except Exception:
        current_app.logger.exception("Export job %s could not be shared out", job_id)
        db.session.rollback()
        _fail_job(job_id, UNEXPECTED)


def queue_order(job_id: int, year: int) -> list[int]:
    """The job's parts, longest first: books by the member's entries in the year (a book's time
    grows with its entries), then the summaries, which are short. Consumers take tasks in queue
    order, so the long books start early and the short ones fill the gaps at the end: two
    consumers finish together instead of one waiting on the last long book (longest processing
    time first). Progress and the ZIP's order do not depend on it."""
    entries = (
        select(func.count(Entry.id))
        .where(
            Entry.user_id == ExportPart.member_id,
            Entry.unit_id == ExportPart.unit_id,
            Entry.deed_date.between(date(year, 1, 1), date(year, 12, 31)),
        )
        .correlate(ExportPart)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(ExportPart.id, ExportPart.kind, entries)
        .where(ExportPart.job_id == job_id)
        .order_by(ExportPart.position)
    ).all()
    return [row[0] for row in sorted(rows, key=lambda row: (row[1] != "book", -(row[2] or 0)))]


UNEXPECTED = (
    "Không tạo được tệp ZIP vì một lỗi ngoài dự kiến (có thể máy chủ hết chỗ lưu). "
    "Hãy thử xuất lại; nếu vẫn lỗi, báo quản trị viên."
)


def _fail_job(job_id: int, reason: str) -> None:
    job = db.session.get(ExportJob, job_id)
    if job is None or job.status.is_finished:
        return
    job.status = JobStatus.FAILED
    job.error = reason
    job.stage = ""
    job.finished_at = job.updated_at = utcnow()
    db.session.commit()
    remove_part_files(job_id)


def worker_id() -> str:
    """host:pid of this process, as recorded on the parts it takes."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


def parts_dir(job_id: int) -> Path:
    return export_dir() / f"export-{job_id}-parts"


def remove_part_files(job_id: int) -> None:
    shutil.rmtree(parts_dir(job_id), ignore_errors=True)


def peak_rss_kb() -> int:
    """This process's peak resident memory so far, in kB (Linux reports kB, macOS bytes)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def run_part(part_id: int) -> None:
    """Make one document of an export (the worker): taken by one worker only; its PDF is written to
    the export folder; a failure is recorded with its reason and the others go on. The last part
    to finish queues the packing. Commits."""
    claimed = db.session.execute(
        update(ExportPart)
        .where(ExportPart.id == part_id, ExportPart.status == PartStatus.QUEUED)
        .values(
            status=PartStatus.RUNNING,
            claimed_by=worker_id(),
            claimed_at=utcnow(),
            attempts=ExportPart.attempts + 1,
        )
    ).rowcount
    db.session.commit()
    if not claimed:
        return
    part = db.session.get(ExportPart, part_id)
    job = part.job
    if job.status is not JobStatus.RUNNING:  # failed or closed meanwhile: nothing to make
        part.status = PartStatus.FAILED
        part.finished_at = utcnow()
        db.session.commit()
        return
    job_id, year, base_url, actor_id = job.id, job.year, job.base_url, job.requested_by_id
    spec = PartSpec(
        part.position,
        part.kind,
        part.unit_id,
        part.subject,
        "",
        part.folder,
        part.member_id,
        part.number,
        part.width,
        part.summary_index,
    )
    if spec.kind == "book":
        book_number = db.session.scalar(
            select(func.count())
            .select_from(ExportPart)
            .where(
                ExportPart.job_id == job_id, ExportPart.kind == "book", ExportPart.position <= part.position
            )
        )
        stage = f"Đang tạo sổ của {part.subject} ({book_number}/{job.members_total})"
        _touch_job(job_id, stage=stage[:200])
    else:
        branch = db.session.get(Unit, part.unit_id)
        spec = replace(spec, branch_name=branch.name if branch else part.subject)
        _touch_job(job_id, stage=f"Đang tạo các tài liệu tổng hợp của {spec.branch_name}"[:200])
    started, cpu_started = time.perf_counter(), time.thread_time()
    try:
        with _links_from(base_url):
            made = make_part(spec, year, db.session.get(User, actor_id), "job")
        db.session.commit()
        zip_name = file_name = None
        if made is not None:
            zip_name, pdf = made
            folder = parts_dir(job_id)
            folder.mkdir(parents=True, exist_ok=True)
            file_name = f"{spec.position:06d}.pdf"
            partial = folder / f"{file_name}.{os.getpid()}.part"
            partial.write_bytes(pdf)
            os.replace(partial, folder / file_name)
        failure = None
    except Exception as exc:
        db.session.rollback()
        current_app.logger.exception("Export %s: %s failed", job_id, spec.subject)
        failure = Failure(spec.subject, part_failure_reason(exc), spec.member_id, spec.unit_id)
    part = db.session.get(ExportPart, part_id)
    part.finished_at = utcnow()
    part.seconds = round(time.perf_counter() - started, 3)
    part.cpu_seconds = round(time.thread_time() - cpu_started, 3)
    part.peak_rss_kb = peak_rss_kb()
    if failure is None:
        part.status = PartStatus.DONE
        part.zip_name, part.file_path = zip_name, file_name
    else:
        part.status = PartStatus.FAILED
        db.session.add(failure_row(failure, job_id))
    if spec.kind == "book":
        db.session.execute(
            update(ExportJob)
            .where(ExportJob.id == job_id)
            .values(members_done=ExportJob.members_done + 1, updated_at=utcnow())
        )
    db.session.commit()
    pack_when_complete(job_id)


def _touch_job(job_id: int, **values) -> None:
    db.session.execute(update(ExportJob).where(ExportJob.id == job_id).values(updated_at=utcnow(), **values))
    db.session.commit()


def pack_when_complete(job_id: int) -> None:
    """Once no part is left to make, queue the packing: exactly once, whoever finishes last."""
    unfinished = db.session.scalar(
        select(func.count())
        .select_from(ExportPart)
        .where(ExportPart.job_id == job_id, ExportPart.status.in_([PartStatus.QUEUED, PartStatus.RUNNING]))
    )
    if unfinished:
        return
    claimed = db.session.execute(
        update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.status == JobStatus.RUNNING, ExportJob.packing_at.is_(None))
        .values(packing_at=utcnow(), updated_at=utcnow(), stage="Đang đóng gói tệp ZIP")
    ).rowcount
    db.session.commit()
    if claimed:
        from app.jobs import tasks

        tasks.configure(current_app)
        tasks.pack_export_job(job_id)


def pack_export(job_id: int) -> None:
    """Pack the parts of a job, in order, into its ZIP with the list of what failed (the worker).
    Commits; the part files are removed."""
    job = db.session.get(ExportJob, job_id)
    if job is None or job.status is not JobStatus.RUNNING:
        return
    folder = export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"export-{job.id}-{secrets.token_hex(8)}.zip"
    partial = final.with_name(final.name + ".part")
    parts = list(
        db.session.scalars(
            select(ExportPart).where(ExportPart.job_id == job_id).order_by(ExportPart.position)
        )
    )
    failures = {(f.member_id, f.unit_id, f.subject): f for f in job.failures}
    names: list[str] = []
    try:
        with (
            partial.open("wb") as out,
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        ):
            listed: list[Failure] = []
            for part in parts:
                if part.status is PartStatus.DONE and part.file_path:
                    data = (parts_dir(job_id) / part.file_path).read_bytes()
                    archive.writestr(zip_entry(part.zip_name), data)
                    names.append(part.zip_name)
                elif part.status is PartStatus.FAILED:
                    row = failures.get((part.member_id, part.unit_id, part.subject[:255]))
                    reason = row.reason if row is not None else INTERRUPTED
                    listed.append(Failure(part.subject, reason, part.member_id, part.unit_id))
            write_failures_file(archive, listed)
        os.replace(partial, final)
    except Exception:
        current_app.logger.exception("Export job %s could not be packed", job_id)
        db.session.rollback()
        partial.unlink(missing_ok=True)
        _fail_job(job_id, UNEXPECTED)
        return
    now = utcnow()
    job.status = JobStatus.DONE
    job.stage = ""
    job.result_path = final.name
    job.result_size = final.stat().st_size
    job.documents_count = len(names)
    job.finished_at = job.updated_at = now
    job.expires_at = now + ttl()
    db.session.commit()
    remove_part_files(job_id)
