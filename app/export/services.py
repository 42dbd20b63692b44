"""Making documents (content → PDF, numbered, registered, optionally signed) and verifying them.

Public functions the other features call (the caller commits):
- export_document(actor, kind, unit, year, member=None, month=None, …) -> ExportResult: build the
  content, register the document (number, content SHA-256), render the PDF, sign it when a
  certificate is configured. `actor` None means a command or a job acting for the organisation
  (no permission check: the caller has decided).
- export_member_book(actor, member, unit, year) / export_member_month(…) / export_golden_book(…):
  the same for the kinds this package ships.
- verify_document(number) -> Verification: authentic and current / authentic but changed since /
  unknown number.
- member_documents(member, unit), unit_documents(unit): the register, newest first.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core import permissions
from app.core.bounds import year_in_range
from app.core.db import db, utcnow
from app.core.filters import to_local
from app.core.pdf import qr_svg_data_uri, render_pdf, sign_pdf, signing_config
from app.core.rules import RuleError
from app.core.text import fold
from app.export.documents import KINDS, MEMBER, DocumentKind, Subject, content_sha256, initials
from app.export.models import ExportedDocument
from app.units.models import Unit

NUMBER_PREFIX = "SNK"
NUMBER_PATTERN = re.compile(r"^SNK-(\d{4})-(\d{6,9})$")


class ExportError(RuleError):
    """The document cannot be made as asked; the message is for the user."""


@dataclass
class DocumentMeta:
    """What a document carries besides its content: number, time made, QR code, header date."""

    number: str
    kind: str
    kind_label: str
    title: str
    made_at: datetime
    verify_url: str
    verify_page: str
    qr: str
    static: str
    made_by: str | None
    signed: bool

    @property
    def made_date(self) -> date:
        return to_local(self.made_at).date()


@dataclass
class ExportResult:
    document: ExportedDocument
    pdf: bytes
    filename: str

    @property
    def page_count(self) -> int:
        return self.document.page_count or 0


# ---- who may ---------------------------------------------------------------------------------------


def can_export(actor: User, kind: DocumentKind, unit: Unit, member: User | None) -> bool:
    """Member kinds: whoever may read the diary; unit kinds: whoever manages the unit's members."""
    if kind.scope == MEMBER:
        return member is not None and permissions.can_export_diary(actor, member, unit)
    return permissions.can_export_unit(actor, unit)


def _check(kind: DocumentKind, unit: Unit, year: int, member: User | None, month: int | None) -> None:
    if not year_in_range(year):
        raise ExportError("Năm không hợp lệ.")
    if kind.needs_month and (month is None or not 1 <= month <= 12):
        raise ExportError("Vui lòng chọn tháng.")
    if kind.scope == MEMBER and (member is None or not permissions.keeps_diary_in(member, unit)):
        raise ExportError("Người này không ghi sổ nhật ký ở đơn vị này.")


# ---- making a document ---------------------------------------------------------------------------


def document_number(document_id: int, made_at: datetime) -> str:
    """SNK-2026-000123: the year it was made and the register's running number."""
    return f"{NUMBER_PREFIX}-{to_local(made_at).year}-{document_id:06d}"


def verify_path(number: str) -> str:
    from app.notifications.services import app_path

    return app_path("export.verify", number=number)


def verify_form_path() -> str:
    from app.notifications.services import app_path

    return app_path("export.verify_form")


def _external(path: str) -> str:
    from app.auth.services import external_url_for_path

    return external_url_for_path(path)


def _filename(kind: DocumentKind, subject: Subject, number: str) -> str:
    """An ASCII file name: so-nhat-ky-2026-nguyen-thi-my-duyen-SNK-2026-000123.pdf."""
    words = fold(kind.title(subject)).replace("–", " ")
    slug = re.sub(r"[^a-z0-9]+", "-", words).strip("-")[:80]
    return f"{slug}-{number}.pdf"


def render_html(kind: DocumentKind, content: dict, meta: DocumentMeta) -> str:
    """The document's HTML, from its template, outside any request (commands and jobs too)."""
    template = current_app.jinja_env.get_template(kind.template)
    return template.render(doc=content, meta=meta, kind=kind)


def export_document(
    actor: User | None,
    kind: str | DocumentKind,
    unit: Unit,
    year: int,
    *,
    member: User | None = None,
    month: int | None = None,
    object_id: int | None = None,
    source: str = "web",
    made_at: datetime | None = None,
    commit_before_render: bool = False,
) -> ExportResult:
    """Make one document: register it (number, content SHA-256), render the PDF, sign it if configured.

    `actor` is the person asking (checked: 403 when they may not); None for commands and jobs that
    act for the organisation. Flushes; the caller commits (a failure leaves nothing registered).

    `commit_before_render` (the bulk export's workers): the register row is committed as soon as it
    has its number, so no transaction stays open for the seconds WeasyPrint takes — on SQLite an
    open write transaction would make every other worker wait (and give up after the busy
    timeout); a failed render removes the row again.
    """
    kind = KINDS[kind] if isinstance(kind, str) else kind
    if actor is not None:
        actor = getattr(actor, "_get_current_object", lambda: actor)()
        permissions.require(can_export(actor, kind, unit, member))
    _check(kind, unit, year, member, month)
    made_at = made_at or utcnow()
    subject = Subject(
        unit=unit,
        year=year,
        as_of=to_local(made_at).date(),
        member=member,
        month=month if kind.needs_month else None,
        object_id=object_id,
    )
    content = kind.build(subject)
    row = ExportedDocument(
        number=f"pending-{uuid.uuid4().hex[:24]}",  # replaced by the number once the row has its id
        kind=kind.key,
        subject_user_id=member.id if member is not None and kind.scope == MEMBER else None,
        unit_id=unit.id,
        year=year,
        month=subject.month,
        object_id=object_id,
        content_sha256=content_sha256(content),
        created_by_id=actor.id if actor is not None else None,
        created_at=made_at,
        source=source,
    )
    db.session.add(row)
    db.session.flush()
    row.number = document_number(row.id, made_at)
    signing = signing_config()
    url = _external(verify_path(row.number))
    meta = DocumentMeta(
        number=row.number,
        kind=kind.key,
        kind_label=kind.label,
        title=kind.title(subject),
        made_at=made_at,
        verify_url=url,
        verify_page=_external(verify_form_path()),
        qr=qr_svg_data_uri(url),
        static=current_app.static_url_path or "/static",
        made_by=actor.full_name if actor is not None else None,
        signed=signing is not None,
    )
    if commit_before_render:
        db.session.commit()
    try:
        rendered = render_pdf(render_html(kind, content, meta))
        data = rendered.data
        if signing is not None:
            data = sign_pdf(data, signing, reason=f"Xác thực văn bản số {row.number}")
    except Exception:
        if commit_before_render:
            db.session.rollback()
            db.session.delete(row)
            db.session.commit()
        raise
    row.page_count = rendered.page_count
    row.file_size = len(data)
    row.file_sha256 = hashlib.sha256(data).hexdigest()
    row.is_signed = signing is not None
    db.session.flush()
    return ExportResult(row, data, _filename(kind, subject, row.number))


def export_member_book(actor: User | None, member: User, unit: Unit, year: int, **options) -> ExportResult:
    """The member's book for a year (kind "book")."""
    return export_document(actor, "book", unit, year, member=member, **options)


def export_member_month(
    actor: User | None, member: User, unit: Unit, year: int, month: int, **options
) -> ExportResult:
    """One month of the member's diary (kind "month")."""
    return export_document(actor, "month", unit, year, member=member, month=month, **options)


def export_golden_book(actor: User | None, unit: Unit, year: int, **options) -> ExportResult:
    """The unit's sổ vàng for a year (kind "golden-book")."""
    return export_document(actor, "golden-book", unit, year, **options)


# ---- verifying --------------------------------------------------------------------------------------

CURRENT, CHANGED, UNKNOWN = "current", "changed", "unknown"


@dataclass
class Reopening:
    """A lock lifted after the document was made (what the public page may say: what, when, by whom)."""

    what: str
    at: datetime
    by_initials: str


@dataclass
class Verification:
    """The public answer about a number: only what is safe to show to anyone holding the paper."""

    number: str
    status: str  # CURRENT, CHANGED or UNKNOWN
    document: ExportedDocument | None = None
    reopenings: list[Reopening] | None = None

    @property
    def kind_label(self) -> str:
        kind = KINDS.get(self.document.kind) if self.document else None
        return kind.label if kind else (self.document.kind if self.document else "")

    @property
    def subject_initials(self) -> str:
        subject = self.document.subject if self.document else None
        return initials(subject.full_name) if subject else ""

    @property
    def period(self) -> str:
        if self.document is None:
            return ""
        if self.document.month:
            return f"Tháng {self.document.month}/{self.document.year}"
        return f"Năm {self.document.year}"


def normalize_number(text: str | None) -> str | None:
    """ "snk-2026-000123 " -> "SNK-2026-000123"; None when it is not a document number at all."""
    value = re.sub(r"\s+", "", text or "").upper().replace("–", "-").replace("—", "-")
    return value if NUMBER_PATTERN.match(value) else None


def rebuild_content(document: ExportedDocument) -> dict | None:
    """The document's content built again from the record as it is now (None: it cannot be)."""
    kind = KINDS.get(document.kind)
    if kind is None or document.unit is None:
        return None
    member = document.subject
    if kind.scope == MEMBER and member is None:
        return None
    subject = Subject(
        unit=document.unit,
        year=document.year,
        as_of=to_local(document.created_at).date(),
        member=member,
        month=document.month,
        object_id=document.object_id,
    )
    return kind.build(subject)


def verify_document(number: str) -> Verification:
    """Authentic and current, authentic but the record changed since it was made, or unknown."""
    normalized = normalize_number(number)
    if normalized is None:
        return Verification(number, UNKNOWN)
    document = db.session.scalar(
        select(ExportedDocument)
        .where(ExportedDocument.number == normalized)
        .options(selectinload(ExportedDocument.unit), selectinload(ExportedDocument.subject))
    )
    if document is None:
        return Verification(normalized, UNKNOWN)
    content = rebuild_content(document)
    same = content is not None and content_sha256(content) == document.content_sha256
    if same:
        return Verification(normalized, CURRENT, document)
    return Verification(normalized, CHANGED, document, reopenings_since(document))


def reopenings_since(document: ExportedDocument) -> list[Reopening]:
    """The signed months, ratified rounds and closed years of the document's period reopened after
    it was made: a legitimate change shows as one (the reasons stay in the unit's records)."""
    from app.audit.models import AuditLog
    from app.grading.models import GradingRound, RoundReopening
    from app.review.models import MonthReopening, MonthReview

    found: list[Reopening] = []
    since = document.created_at
    if document.subject_user_id is not None:
        months = select(MonthReview.id).where(
            MonthReview.user_id == document.subject_user_id,
            MonthReview.unit_id == document.unit_id,
            MonthReview.year == document.year,
        )
        if document.month:
            months = months.where(MonthReview.month == document.month)
        for reopening, month in db.session.execute(
            select(MonthReopening, MonthReview.month)
            .join(MonthReview, MonthReview.id == MonthReopening.month_review_id)
            .where(MonthReopening.month_review_id.in_(months), MonthReopening.reopened_at > since)
            .order_by(MonthReopening.reopened_at)
        ):
            found.append(
                Reopening(
                    f"Tháng {month}/{document.year} đã ký xác nhận được mở lại",
                    reopening.reopened_at,
                    initials(reopening.reopened_by.full_name),
                )
            )
    rounds = select(GradingRound.id).where(
        GradingRound.unit_id == document.unit_id, GradingRound.year == document.year
    )
    for reopening in db.session.scalars(
        select(RoundReopening)
        .where(RoundReopening.round_id.in_(rounds), RoundReopening.reopened_at > since)
        .order_by(RoundReopening.reopened_at)
    ):
        found.append(
            Reopening(
                f"Kết quả xếp loại năm {document.year} đã công nhận được cấp trên mở lại",
                reopening.reopened_at,
                initials(reopening.reopened_by.full_name),
            )
        )
    for row in db.session.scalars(
        select(AuditLog)
        .where(
            AuditLog.unit_id == document.unit_id,
            AuditLog.action == "year.reopen",
            AuditLog.created_at > since,
        )
        .order_by(AuditLog.created_at)
    ):
        try:
            year = json.loads(row.after or "{}").get("year")
        except (ValueError, AttributeError):
            year = None
        if year == document.year:
            found.append(
                Reopening(
                    f"Năm {document.year} đã khóa sổ được cấp trên mở lại",
                    row.created_at,
                    initials(row.actor.full_name) if row.actor else "",
                )
            )
    return sorted(found, key=lambda r: r.at)


# ---- the register ----------------------------------------------------------------------------------


def member_documents(member: User, unit: Unit, limit: int = 200) -> list[ExportedDocument]:
    """Documents made of a member in a branch, newest first."""
    return list(
        db.session.scalars(
            select(ExportedDocument)
            .where(ExportedDocument.subject_user_id == member.id, ExportedDocument.unit_id == unit.id)
            .options(selectinload(ExportedDocument.created_by))
            .order_by(ExportedDocument.id.desc())
            .limit(limit)
        )
    )


def _unit_scope(unit: Unit) -> Select:
    subtree = select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))
    return select(ExportedDocument).where(ExportedDocument.unit_id.in_(subtree))


def unit_documents(unit: Unit, page: int = 1, size: int = 50) -> tuple[list[ExportedDocument], int]:
    """Documents made in the unit and the units under it, newest first: (a page of them, how many in all)."""
    scope = _unit_scope(unit)
    total = db.session.scalar(select(func.count()).select_from(scope.subquery())) or 0
    rows = list(
        db.session.scalars(
            scope.options(
                selectinload(ExportedDocument.created_by),
                selectinload(ExportedDocument.subject),
                selectinload(ExportedDocument.unit),
            )
            .order_by(ExportedDocument.id.desc())
            .limit(size)
            .offset((page - 1) * size)
        )
    )
    return rows, total


def export_years(today: date) -> list[int]:
    """Years offered in the export forms: this year and the four before."""
    return list(range(today.year, today.year - 5, -1))
