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
import shutil
import socket
import time
import unicodedata
import zipfile
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING

from flask import current_app, has_request_context
from sqlalchemy import func, select, update

from app.auth.models import User
from app.core import permissions
from app.core.collation import people_order
from app.core.db import db, utcnow
from app.core.enums import Role, UnitKind
from app.core.filters import to_local, today_local
from app.jobs import documents
from app.jobs.models import ExportFailure, ExportJob, ExportPart, ExportScope, JobStatus, PartStatus
from app.units.models import Membership, Unit

if TYPE_CHECKING:
    from collections.abc import Sequence

FIRST_YEAR = 2000
# A running job whose progress has not moved for this long lost its worker (a restart, a kill).
STALL_AFTER = timedelta(minutes=30)
FAILURES_FILE = "Danh_sách_không_xuất_được.txt"
INTERRUPTED = "Tiến trình xuất bị gián đoạn (máy chủ có thể vừa khởi động lại). Hãy xuất lại."


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
        .order_by(*people_order())
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


@dataclass(frozen=True)
class PartSpec:
    """One document of an export: a member's book, or a branch's summary document."""

    position: int
    kind: str  # "book" or "summary"
    unit_id: int
    subject: str  # the member's name, or "Sổ vàng – Chi đoàn …"
    branch_name: str
    folder: str  # "" for a single branch, "01_Chi_đoàn_…/" otherwise
    member_id: int | None = None
    number: int = 0  # the member's number in the branch's list
    width: int = 2
    summary_index: int | None = None


def plan_parts(unit: Unit) -> list[PartSpec]:
    """Every document an export of `unit` makes, in the ZIP's order: for each branch, its members'
    books by name, then its summary documents (documents.SUMMARY_DOCUMENTS)."""
    branches = export_branches(unit)
    single = unit.kind.is_branch
    folder_width = max(2, len(str(len(branches))))
    parts: list[PartSpec] = []
    for branch_number, branch in enumerate(branches, 1):
        folder = "" if single else f"{branch_number:0{folder_width}d}_{safe_name(branch.name)}/"
        members = branch_members(branch)
        width = max(2, len(str(len(members))))
        for number, (member_id, member_name) in enumerate(members, 1):
            parts.append(
                PartSpec(
                    len(parts) + 1,
                    "book",
                    branch.id,
                    member_name,
                    branch.name,
                    folder,
                    member_id,
                    number,
                    width,
                )
            )
        for index, make in enumerate(documents.SUMMARY_DOCUMENTS):
            subject = f"{documents.summary_title(make)} – {branch.name}"
            parts.append(
                PartSpec(
                    len(parts) + 1, "summary", branch.id, subject, branch.name, folder, summary_index=index
                )
            )
    return parts


def make_part(spec: PartSpec, year: int, actor: User | None, source: str) -> tuple[str, bytes] | None:
    """Render one document of an export: (its name in the ZIP, the PDF), or None when a summary
    document has nothing for the branch. Raises what the renderer raised (_Gone: deleted meanwhile).
    Flushes what the renderer registers; the caller commits."""
    branch = db.session.get(Unit, spec.unit_id)
    if spec.kind == "book":
        member = db.session.get(User, spec.member_id)
        if member is None or branch is None:
            raise _Gone
        pdf = documents.member_book(member, branch, year, actor, source)
        return spec.folder + member_file_name(spec.number, spec.width, spec.subject, year), pdf
    if branch is None:
        raise _Gone
    make = documents.SUMMARY_DOCUMENTS[spec.summary_index]
    document = documents.call_summary(make, branch, year, actor, source)
    if document is None:
        return None
    return spec.folder + summary_file_name(document.title, spec.branch_name, year), document.content


def part_failure_reason(exc: BaseException) -> str:
    if isinstance(exc, _Gone):
        return "Tài khoản hoặc đơn vị đã bị xóa trong lúc xuất."
    return failure_reason(exc)


def write_failures_file(archive: zipfile.ZipFile, failures: Sequence[Failure]) -> None:
    """The list of documents left out, as a text file in the ZIP (with a BOM, so older Notepad
    reads the Vietnamese letters right)."""
    if not failures:
        return
    lines = [f"Các tệp không xuất được ({len(failures)}):", ""]
    lines += [f"- {f.subject}: {f.reason}" for f in failures]
    archive.writestr(_zip_entry(FAILURES_FILE), "\ufeff" + "\r\n".join(lines) + "\r\n")


def write_export(
    unit: Unit,
    year: int,
    actor: User | None,
    out: IO[bytes],
    report: Progress | None = None,
    source: str = "job",
) -> ExportResult:
    """Write the ZIP of `unit`'s books for `year` to `out`, one document after another in this
    process (`flask export-unit`; the worker shares the same parts out instead, `run_export`):
    one PDF per member, then each branch's summary documents; one folder per branch when `unit`
    is not a branch. A document that fails is left out and listed (result.failures, and a text
    file in the ZIP); the others go on. Commits after each document, which the renderer registers.
    """
    report = report or Progress()
    result = ExportResult()
    # Plain values only: objects expire at each commit, and a rollback must not lose the list.
    parts = plan_parts(unit)
    result.members_total = sum(1 for p in parts if p.kind == "book")
    report.begin(result.members_total)
    position = 0
    started_summaries: set[int] = set()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for spec in parts:
            if spec.kind == "book":
                position += 1
                report.member_started(spec.subject, position, result.members_total)
            elif spec.unit_id not in started_summaries:
                started_summaries.add(spec.unit_id)
                report.summaries_started(spec.branch_name)
            try:
                made = make_part(spec, year, actor, source)
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                current_app.logger.exception("Export: %s (unit %s) failed", spec.subject, spec.unit_id)
                failure = Failure(spec.subject, part_failure_reason(exc), spec.member_id, spec.unit_id)
                result.failures.append(failure)
                if spec.kind == "book":
                    report.member_done(failure)
                else:
                    report.summary_failed(failure)
                continue
            if made is not None:
                name, pdf = made
                archive.writestr(_zip_entry(name), pdf)
                result.documents.append(name)
            if spec.kind == "book":
                report.member_done(None)
        report.packing()
        write_failures_file(archive, result.failures)
    return result


def _failure_row(failure: Failure, job_id: int | None = None) -> ExportFailure:
    return ExportFailure(
        job_id=job_id,
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
        part_ids = list(
            db.session.scalars(
                select(ExportPart.id).where(ExportPart.job_id == job_id).order_by(ExportPart.position)
            )
        )
        from app.jobs import tasks

        tasks.configure(current_app)
        for part_id in part_ids:
            tasks.make_export_part(part_id)
        if not part_ids:
            _pack_when_complete(job_id)
    except Exception:
        current_app.logger.exception("Export job %s could not be shared out", job_id)
        db.session.rollback()
        _fail_job(job_id, UNEXPECTED)


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
    _remove_part_files(job_id)


def worker_id() -> str:
    """host:pid of this process, as recorded on the parts it takes."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


def _parts_dir(job_id: int) -> Path:
    return export_dir() / f"export-{job_id}-parts"


def _remove_part_files(job_id: int) -> None:
    shutil.rmtree(_parts_dir(job_id), ignore_errors=True)


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
            folder = _parts_dir(job_id)
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
        db.session.add(_failure_row(failure, job_id))
    if spec.kind == "book":
        db.session.execute(
            update(ExportJob)
            .where(ExportJob.id == job_id)
            .values(members_done=ExportJob.members_done + 1, updated_at=utcnow())
        )
    db.session.commit()
    _pack_when_complete(job_id)


def _touch_job(job_id: int, **values) -> None:
    db.session.execute(update(ExportJob).where(ExportJob.id == job_id).values(updated_at=utcnow(), **values))
    db.session.commit()


def _pack_when_complete(job_id: int) -> None:
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
                    data = (_parts_dir(job_id) / part.file_path).read_bytes()
                    archive.writestr(_zip_entry(part.zip_name), data)
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
    _remove_part_files(job_id)


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
            _failure_row(
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
        _pack_when_complete(job_id)
    return changed


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
        _pack_when_complete(part.job_id)


def packing_interrupted(job_id: int) -> None:
    """A worker stopped while packing: the packing is queued again. Commits."""
    db.session.execute(
        update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.status == JobStatus.RUNNING)
        .values(packing_at=None)
    )
    db.session.commit()
    _pack_when_complete(job_id)


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
            _pack_when_complete(job.id)
            continue
        job.status = JobStatus.FAILED
        job.error = INTERRUPTED
        job.stage = ""
        job.finished_at = utcnow()
        closed += 1
    db.session.commit()
    return closed
