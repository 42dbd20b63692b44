"""PDF documents: download a member's book or month, a unit's sổ vàng; the register; public verification.

Who may (app.core.permissions): a member's documents are for whoever may read the diary
(can_export_diary: the member, the branch's secretaries, officers above, administrators); a unit's
documents and its register for those who manage its members (can_export_unit). A unit or member
the user may not see is a 404. Making a document is a POST (it registers a number); the answer is
the PDF itself. One book is rendered in the request (a few seconds at most); whole branches go
through the task queue (app/jobs). The verification page is public and shows no diary content.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.auth.models import User
from app.core import permissions
from app.core.collation import people_order
from app.core.db import db
from app.core.enums import Role
from app.core.extensions import limiter
from app.core.filters import today_local
from app.core.rules import attempt
from app.export import services
from app.export.documents import KINDS, MEMBER, UNIT, DocumentKind
from app.export.forms import VerifyForm, export_form
from app.units.models import Membership, Unit

bp = Blueprint("export", __name__)


def _verify_limit() -> str:
    return current_app.config.get("VERIFY_RATE_LIMIT", "30 per minute")


# ---- loading what the URL names, or 404 -----------------------------------------------------------


def _member(unit_id: int, user_id: int) -> tuple[Unit, User]:
    """The branch and the member whose documents the user may make and see; 404 otherwise."""
    unit = permissions.get_visible_unit(unit_id, current_user)
    member = db.session.get(User, user_id)
    if member is None or not permissions.can_export_diary(current_user, member, unit):
        abort(404)
    return unit, member


def _unit(unit_id: int) -> Unit:
    """A unit the user may see (404 otherwise) and whose documents they may make (403 otherwise)."""
    unit = permissions.get_visible_unit(unit_id, current_user)
    permissions.require(permissions.can_export_unit(current_user, unit))
    return unit


def _kind(key: str, scope: str) -> DocumentKind:
    kind = KINDS.get(key)
    if kind is None or kind.scope != scope:
        abort(404)
    return kind


def _years() -> list[int]:
    return services.export_years(today_local())


def _forms(scope: str, failed: tuple[str, object] | None = None) -> list[tuple[DocumentKind, object]]:
    """One form per document kind of the scope; the one that failed keeps what was chosen and its errors."""
    today = today_local()
    forms = []
    for kind in KINDS.values():
        if kind.scope != scope:
            continue
        if failed and failed[0] == kind.key:
            forms.append((kind, failed[1]))
            continue
        form = export_form(kind, _years(), formdata=None)
        form.year.data = today.year
        if kind.needs_month:
            form.month.data = today.month
        forms.append((kind, form))
    return forms


def _pdf(result: services.ExportResult):
    response = send_file(
        io.BytesIO(result.pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=result.filename,
        max_age=0,
    )
    response.headers["X-Document-Number"] = result.document.number
    return response


# ---- a member's documents -------------------------------------------------------------------------


def _member_page(unit: Unit, member: User, failed=None, status: int = 200):
    return (
        render_template(
            "export/member_documents.html",
            unit=unit,
            member=member,
            forms=_forms(MEMBER, failed),
            documents=services.member_documents(member, unit),
            document_kinds=KINDS,
            is_own=member.id == current_user.id,
        ),
        status,
    )


@bp.route("/units/<int:unit_id>/members/<int:user_id>/documents")
@login_required
def member_documents(unit_id: int, user_id: int):
    """The member's PDFs: forms to make the book or a month, and the documents made so far."""
    unit, member = _member(unit_id, user_id)
    return _member_page(unit, member)


@bp.route("/units/<int:unit_id>/members/<int:user_id>/documents/<kind>", methods=["POST"])
@login_required
def export_member(unit_id: int, user_id: int, kind: str):
    """Make one of the member's documents (book, month) and send it as a PDF."""
    unit, member = _member(unit_id, user_id)
    document_kind = _kind(kind, MEMBER)
    form = export_form(document_kind, _years())
    if not form.validate_on_submit():
        return _member_page(unit, member, (document_kind.key, form), 400)
    outcome = attempt(
        lambda: services.export_document(
            current_user,
            document_kind,
            unit,
            form.year.data,
            member=member,
            month=form.month.data if document_kind.needs_month else None,
        ),
        errors=form.year.errors,
        catch=services.ExportError,
    )
    if not outcome.ok:
        return _member_page(unit, member, (document_kind.key, form), 400)
    return _pdf(outcome.value)


# ---- a unit's documents ----------------------------------------------------------------------------


def _branch_members(unit: Unit) -> list[tuple[User, Role]]:
    if not unit.kind.is_branch:
        return []
    rows = db.session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit.id, Membership.role != Role.OFFICER)
        .options(lazyload(User.memberships))
        .order_by(*people_order())
    ).all()
    return [(user, role) for user, role in rows]


def _unit_page(unit: Unit, failed=None, status: int = 200):
    page = max(1, request.args.get("page", 1, type=int) or 1)
    size = 50
    documents, total = services.unit_documents(unit, page, size)
    return (
        render_template(
            "export/unit_documents.html",
            unit=unit,
            forms=_forms(UNIT, failed),
            documents=documents,
            total=total,
            page=page,
            pages=max(1, -(-total // size)),
            members=_branch_members(unit),
            document_kinds=KINDS,
        ),
        status,
    )


@bp.route("/units/<int:unit_id>/documents")
@login_required
def unit_documents(unit_id: int):
    """The unit's register of documents (its own and its members'), and its own documents to make."""
    return _unit_page(_unit(unit_id))


@bp.route("/units/<int:unit_id>/documents/<kind>", methods=["POST"])
@login_required
def export_unit(unit_id: int, kind: str):
    """Make one of the unit's own documents (the sổ vàng …) and send it as a PDF."""
    unit = _unit(unit_id)
    document_kind = _kind(kind, UNIT)
    form = export_form(document_kind, _years())
    if not form.validate_on_submit():
        return _unit_page(unit, (document_kind.key, form), 400)
    outcome = attempt(
        lambda: services.export_document(current_user, document_kind, unit, form.year.data),
        errors=form.year.errors,
        catch=services.ExportError,
    )
    if not outcome.ok:
        return _unit_page(unit, (document_kind.key, form), 400)
    return _pdf(outcome.value)


# ---- public verification ------------------------------------------------------------------------


@bp.route("/verify")
@limiter.limit(_verify_limit)
def verify_form():
    """Type a document's number (?number=) and see whether the document is authentic and current."""
    form = VerifyForm(formdata=request.args if "number" in request.args else None)
    answer = None
    if "number" in request.args and form.validate():
        number = services.normalize_number(form.number.data)
        if number is None:
            form.number.errors = ["Số văn bản có dạng SNK-2026-000123 (in ở chân mỗi trang và cạnh mã QR)."]
        else:
            answer = services.verify_document(number)
    return render_template("export/verify.html", form=form, answer=answer)


@bp.route("/verify/<number>")
@limiter.limit(_verify_limit)
def verify(number: str):
    """Where a document's QR code leads: the answer for its number (an unknown number is an answer too)."""
    answer = services.verify_document(number[:40])
    form = VerifyForm(formdata=None, data={"number": answer.number})
    return render_template("export/verify.html", form=form, answer=answer)
