"""Building an export's documents and its ZIP: file names that open everywhere, one document per part,
the list of what failed; `write_export` makes a whole ZIP in one process (`flask export-unit`)."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from flask import current_app

from app.auth.models import User
from app.core.db import db, utcnow
from app.core.filters import to_local
from app.jobs import documents
from app.jobs.models import ExportFailure
from app.jobs.scope import branch_members, export_branches
from app.units.models import Unit

if TYPE_CHECKING:
    from collections.abc import Sequence

FAILURES_FILE = "Danh_sách_không_xuất_được.txt"


class _Gone(Exception):
    """A member or branch deleted while the export ran."""


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


def zip_entry(name: str) -> zipfile.ZipInfo:
    """A ZIP member dated now (local time) and readable by everyone once unpacked.

    zipfile stores a name that is not ASCII as UTF-8 and sets the UTF-8 flag (general purpose
    bit 11), which Windows Explorer (Windows 10 1903 and later), macOS, 7-Zip and unzip honour.
    A PDF is stored as it is: its streams are deflated already, so deflating it again cost half a
    second of CPU per 30 books for a ZIP 7 % smaller (bench/README.md); other files are deflated.
    """
    now = to_local(utcnow())
    info = zipfile.ZipInfo(name, date_time=now.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED if name.lower().endswith(".pdf") else zipfile.ZIP_DEFLATED
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
    archive.writestr(zip_entry(FAILURES_FILE), "\ufeff" + "\r\n".join(lines) + "\r\n")


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
                archive.writestr(zip_entry(name), pdf)
                result.documents.append(name)
            if spec.kind == "book":
                report.member_done(None)
        report.packing()
        write_failures_file(archive, result.failures)
    return result


def failure_row(failure: Failure, job_id: int | None = None) -> ExportFailure:
    return ExportFailure(
        job_id=job_id,
        member_id=failure.member_id,
        unit_id=failure.unit_id,
        subject=failure.subject[:255],
        reason=failure.reason,
    )
