"""What a bulk export puts in its ZIP, and the one place it asks app/export for PDFs.

The export package renders and registers each document (number, SHA-256, QR code); this
module only names the two things a bulk export needs from it:

- `member_book(member, branch, year, actor, source) -> bytes`: a member's one-year book;
- `SUMMARY_DOCUMENTS`: the branch's summary documents, a list of callables
  `(branch, year, actor, source) -> Document | bytes | None` (None: nothing for that branch),
  each named with @summary("Title").
  The sổ vàng is here now; the grading list and the minutes are added to the list when they
  exist, and every export (the UI, the worker, `flask export-unit`) picks them up.

`actor` is the person who asked (app/export checks they may and records them as the maker), or
None for the command line; `source` is "job" or "cli" (the register says where a document came
from). They commit the register row before rendering (a worker must not hold a write transaction open
while WeasyPrint works: other workers would wait on it), and flush the rest; the bulk export commits after each document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.auth.models import User
    from app.units.models import Unit


@dataclass(frozen=True)
class Document:
    """A summary document of a branch: its Vietnamese title (the file is named after it) and PDF."""

    title: str
    content: bytes


SummaryDocument = Callable[["Unit", int, "User | None", str], "Document | bytes | None"]


def summary(title: str) -> Callable[[SummaryDocument], SummaryDocument]:
    """Name a summary document: its file is named after `title` when it returns bare bytes, and a
    failure is reported under it ("Sổ vàng – Chi đoàn …")."""

    def decorate(make: SummaryDocument) -> SummaryDocument:
        make.title = title  # type: ignore[attr-defined]
        return make

    return decorate


def summary_title(make: SummaryDocument) -> str:
    return getattr(make, "title", None) or "Tài liệu tổng hợp"


def call_summary(
    make: SummaryDocument, branch: Unit, year: int, actor: User | None, source: str
) -> Document | None:
    """Run one summary document; bytes are named after its title."""
    made = make(branch, year, actor, source)
    if made is None or isinstance(made, Document):
        return made
    return Document(summary_title(make), bytes(made))


def member_book(member: User, branch: Unit, year: int, actor: User | None, source: str) -> bytes:
    """The member's book of the year in the branch, as PDF bytes, registered by app/export."""
    from app.export import services

    return services.export_member_book(
        actor, member, branch, year, source=source, commit_before_render=True
    ).pdf


@summary("Sổ vàng")
def collective_book(branch: Unit, year: int, actor: User | None, source: str) -> bytes:
    """The branch's sổ vàng of the year."""
    from app.export import services

    return services.export_golden_book(actor, branch, year, source=source, commit_before_render=True).pdf


def _grading_document(kind: str, branch: Unit, year: int, actor: User | None, source: str) -> bytes | None:
    """A grading document of the branch, or None when the branch has no round (or no meeting) that year."""
    from app.export import services
    from app.export.documents import get_kind
    from app.grading.services import get_round

    grading_round = get_round(branch, year) if branch.kind.is_branch else None
    if grading_round is None or (kind == "minutes" and grading_round.meeting_recorded_at is None):
        return None
    return services.export_document(
        actor, get_kind(kind), branch, year, source=source, commit_before_render=True
    ).pdf


@summary("Danh sách xếp loại")
def grading_list(branch: Unit, year: int, actor: User | None, source: str) -> bytes | None:
    """Everyone's self-proposed, proposed and agreed levels, once the branch has opened its round."""
    return _grading_document("grading-list", branch, year, actor, source)


@summary("Biên bản họp xét phân loại")
def grading_minutes(branch: Unit, year: int, actor: User | None, source: str) -> bytes | None:
    """The minutes of the grading meeting, once it is recorded."""
    return _grading_document("minutes", branch, year, actor, source)


SUMMARY_DOCUMENTS: list[SummaryDocument] = [collective_book, grading_list, grading_minutes]
