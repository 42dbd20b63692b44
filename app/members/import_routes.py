"""Importing a member list into a unit: upload, preview every row, confirm, and the template file.

The upload is parsed once; its rows wait between preview and confirmation under UPLOAD_DIR/imports/
with a random name (JSON); the session holds only that name, the unit and the user, and every row
is checked again (not parsed again) on confirmation.
"""

from __future__ import annotations

import io
import re

from flask import current_app, flash, redirect, render_template, send_file, session, url_for
from flask_login import current_user, login_required
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, HiddenField, SubmitField

from app.core import permissions
from app.core.forms import BaseForm
from app.core.rules import attempt
from app.members import importing
from app.members.forms import ActionForm
from app.members.routes import bp
from app.units.models import Unit

SESSION_KEY = "member_import"
# The preview lists every bad row but only this many good ones (the counts cover all).
PREVIEW_GOOD_ROWS = 500


class ImportUploadForm(BaseForm):
    file = FileField(
        "Tệp danh sách (.xlsx hoặc .csv)",
        validators=[FileRequired("Vui lòng chọn tệp .xlsx hoặc .csv.")],
        description="Tối đa 5 MB. Có thể giữ dòng tiêu đề của danh sách phía trên dòng tên cột.",
        render_kw={"accept": ".xlsx,.csv"},
    )
    submit = SubmitField("Tải lên và xem trước")


class ImportConfirmForm(BaseForm):
    send_invites = BooleanField("Gửi lời mời kích hoạt qua email cho người có email", default=True)
    fingerprint = HiddenField()
    submit = SubmitField("Nhập")


def _managed_unit(unit_id: int) -> Unit:
    """The unit if the user may see it (404) and manage its members (403)."""
    unit = permissions.get_visible_unit(unit_id, current_user)
    permissions.require(permissions.can_manage_members(current_user, unit))
    return unit


def _pending(unit: Unit) -> dict | None:
    """This user's waiting upload for this unit, as kept in the session."""
    pending = session.get(SESSION_KEY)
    if (
        not isinstance(pending, dict)
        or pending.get("unit_id") != unit.id
        or pending.get("user_id") != current_user.id
    ):
        return None
    return pending


def _forget_pending() -> None:
    pending = session.pop(SESSION_KEY, None)
    if isinstance(pending, dict):
        importing.discard_pending(str(pending.get("token", "")), str(pending.get("kind", "")))


def _load_report(unit: Unit):
    """(report, pending) re-read from the kept file; (None, message) when it is gone or unusable."""
    pending = _pending(unit)
    if pending is None:
        return None, "Không có danh sách nào đang chờ nhập vào đơn vị này. Hãy tải tệp lên."
    # The rows parsed at upload: preview and confirm never parse the file again.
    table = importing.load_pending(pending["token"], pending["kind"])
    if table is None:
        _forget_pending()
        return None, "Tệp tải lên đã hết hạn (quá 1 giờ) hoặc đã được dùng. Hãy tải tệp lên lại."
    return importing.check_rows(current_user, unit, table), pending


def _render_preview(unit: Unit, report, pending: dict, form: ImportConfirmForm, changed: bool = False):
    form.fingerprint.data = report.fingerprint
    return render_template(
        "members/import_preview.html",
        unit=unit,
        report=report,
        form=form,
        filename=pending.get("name"),
        cancel_form=ActionForm(),
        changed=changed,
        good_shown=report.good[:PREVIEW_GOOD_ROWS],
    )


@bp.route("/units/<int:unit_id>/import", methods=["GET", "POST"])
@login_required
def import_start(unit_id: int):
    """Upload a member list (.xlsx or .csv) for the unit: those who manage its members."""
    unit = _managed_unit(unit_id)
    form = ImportUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.stream.read(importing.MAX_UPLOAD_BYTES + 1)
        try:
            kind = importing.detect_kind(upload.filename or "", data)
            table = importing.read_table(data, kind)  # parsed once, here; the rows are kept
        except importing.ImportFileError as exc:
            form.file.errors.append(str(exc))
        else:
            _forget_pending()
            token = importing.save_pending(table, kind)
            name = re.sub(r"[\x00-\x1f]", "", upload.filename or "")[-100:]
            session[SESSION_KEY] = {
                "token": token,
                "kind": kind,
                "unit_id": unit.id,
                "user_id": current_user.id,
                "name": name,
            }
            return redirect(url_for("members.import_preview", unit_id=unit.id))
    return render_template(
        "members/import.html",
        unit=unit,
        form=form,
        units=importing.subtree_units(current_user, unit, 50),
        max_rows=current_app.config.get("IMPORT_MAX_ROWS", 5000),
    )


@bp.route("/units/<int:unit_id>/import/preview")
@login_required
def import_preview(unit_id: int):
    """Every row of the uploaded list with what is wrong with it; nothing is written yet."""
    unit = _managed_unit(unit_id)
    report, pending = _load_report(unit)
    if report is None:
        flash(pending, "warning")
        return redirect(url_for("members.import_start", unit_id=unit.id))
    return _render_preview(unit, report, pending, ImportConfirmForm())


@bp.route("/units/<int:unit_id>/import/confirm", methods=["POST"])
@login_required
def import_confirm(unit_id: int):
    """Import every good row in one transaction, after checking them all again."""
    unit = _managed_unit(unit_id)
    form = ImportConfirmForm()
    report, pending = _load_report(unit)
    if report is None:
        flash(pending, "warning")
        return redirect(url_for("members.import_start", unit_id=unit.id))
    if not form.validate_on_submit():
        return _render_preview(unit, report, pending, form)
    if form.fingerprint.data != report.fingerprint:
        # Someone took an email or a login since the preview: show the new result before writing.
        return _render_preview(unit, report, pending, form, changed=True)
    if not report.good:
        return redirect(url_for("members.import_preview", unit_id=unit.id))
    # An IntegrityError: another request took an email or a login between the check and the insert
    # (its SQL text is for the log, not the user: errors=[] keeps it out of the flash).
    outcome = attempt(lambda: importing.import_rows(current_user, report), catch=IntegrityError, errors=[])
    if not outcome.ok:
        flash("Dữ liệu vừa thay đổi trong lúc nhập nên chưa nhập ai. Hãy xem lại danh sách.", "warning")
        return redirect(url_for("members.import_preview", unit_id=unit.id))
    users = outcome.value or []
    _forget_pending()
    invited = 0
    if form.send_invites.data:
        # After the commit: an emailed link must never point to an account a rollback dropped.
        invited = attempt(lambda: importing.send_invitations(current_user, users)).value or 0
    return render_template(
        "members/import_result.html",
        unit=unit,
        report=report,
        created=len(users),
        invited=invited,
        unit_counts=report.unit_counts(),
    )


@bp.route("/units/<int:unit_id>/import/cancel", methods=["POST"])
@login_required
def import_cancel(unit_id: int):
    """Drop the waiting upload without importing anything."""
    unit = _managed_unit(unit_id)
    if ActionForm().validate_on_submit() and _pending(unit) is not None:
        _forget_pending()
        flash("Đã hủy, không nhập ai.", "info")
    return redirect(url_for("members.unit_members", unit_id=unit.id))


@bp.route("/units/<int:unit_id>/import/template.xlsx")
@login_required
def import_template(unit_id: int):
    """The .xlsx template with the column names, one example row and the unit codes."""
    unit = _managed_unit(unit_id)
    data = importing.build_template(current_user, unit)
    code = re.sub(r"[^A-Za-z0-9_-]", "-", unit.code)
    return send_file(
        io.BytesIO(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"mau-nhap-thanh-vien-{code}.xlsx",
    )
