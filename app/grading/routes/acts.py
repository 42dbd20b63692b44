"""Sending up, ratifying, returning and reopening a round; answering a reconsideration; closing and
reopening the year. Irreversible acts confirm first on a page of their own (no script needed): what
will happen, what is missing, and the button that does it."""

from __future__ import annotations

from flask import abort, flash, render_template
from flask_login import current_user, login_required

from app.core import permissions
from app.core.rules import attempt
from app.units.models import Unit

from .. import services
from ..forms import AnswerForm, ConfirmForm, ReasonForm, optional_id
from .base import back_to_sheet, bp, branch, existing_round, form_failed, member_rating, place_error
from .sheet import render_sheet

ACTS = {
    "submit": {
        "title": "Gửi kết quả lên cấp trên công nhận",
        "button": "Xác nhận gửi cấp trên",
        "endpoint": "grading.submit",
        "effect": "Sau khi gửi, chi không sửa được đề xuất và kết quả họp nữa, trừ khi cấp trên trả lại.",
        "style": "btn-primary",
    },
    "ratify": {
        "title": "Công nhận kết quả xếp loại",
        "button": "Xác nhận công nhận",
        "endpoint": "grading.ratify",
        "effect": (
            "Kết quả được khóa; chỉ cấp trên mở lại được (kèm lý do). Từng người được báo kết quả và có "
            "thời hạn ghi nhận hoặc đề nghị xem xét lại."
        ),
        "style": "btn-success",
    },
    "return": {
        "title": "Trả lại kết quả cho chi",
        "button": "Xác nhận trả lại",
        "endpoint": "grading.send_back",
        "effect": "Chi được sửa và gửi lại; lý do trả lại được gửi tới bí thư và hiện trên bảng xếp loại.",
        "style": "btn-danger",
    },
    "close": {
        "title": "Khóa sổ năm",
        "button": "Xác nhận khóa sổ",
        "endpoint": "grading.close_year",
        "effect": (
            "Mọi kế hoạch, bài nhật ký, nhận xét và kết quả của năm chỉ còn để xem; chuẩn mực được chuyển "
            "sang năm sau. Không mở lại được từ trang này."
        ),
        "style": "btn-dark",
    },
}


def _act_allowed(act: str, unit: Unit) -> bool:
    if act == "submit":
        return permissions.can_run_grading(current_user, unit)
    if act in ("ratify", "return"):
        return permissions.can_ratify(current_user, unit)
    return permissions.can_close_year(current_user, unit)


def _render_confirm(unit: Unit, grading_round, act: str, form: ConfirmForm, status=200):
    step = {"submit": "submit", "ratify": "ratify"}.get(act)
    ready = services.readiness(grading_round, step) if step else None
    form.gaps_token.data = ready.token if ready else ""
    form.lock_version.data = grading_round.lock_version
    return (
        render_template(
            "grading/confirm.html",
            unit=unit,
            year=grading_round.year,
            grading_round=grading_round,
            act=act,
            info=ACTS[act],
            form=form,
            ready=ready,
            ratifier=services.ratifying_unit_of(current_user, unit) if act == "ratify" else None,
            confirmations=services.confirmations(grading_round),
        ),
        status,
    )


@bp.get("/<int:unit_id>/<year:year>/confirm/<act>")
@login_required
def confirm(unit_id: int, year: int, act: str):
    """The confirmation page of an irreversible act."""
    if act not in ACTS:
        abort(404)
    unit, grading_round = existing_round(unit_id, year)
    permissions.require(_act_allowed(act, unit))
    return _render_confirm(unit, grading_round, act, ConfirmForm())


def _do_act(unit_id: int, year: int, act: str, action, done: str):
    """Validate the confirmation form, run the act, or show the confirmation page again with the error."""
    unit, grading_round = existing_round(unit_id, year)
    permissions.require(_act_allowed(act, unit))
    form = ConfirmForm()
    if form.validate_on_submit():
        errors: list[str] = []
        outcome = attempt(lambda: action(grading_round, form), success=done, errors=errors)
        if outcome.ok:
            return back_to_sheet(unit, year)
        grading_round = services.get_round(unit, year)
        field = (
            outcome.error.field if outcome.error.field in ("go_ahead", "go_ahead_reason", "reason") else None
        )
        place_error(form, errors, field)
    return _render_confirm(unit, grading_round, act, form, 422)


@bp.post("/<int:unit_id>/<year:year>/submit")
@login_required
def submit(unit_id: int, year: int):
    return _do_act(
        unit_id,
        year,
        "submit",
        lambda r, form: services.submit_round(current_user, r, form.go_ahead_data()),
        "Đã gửi kết quả lên cấp trên để công nhận.",
    )


@bp.post("/<int:unit_id>/<year:year>/ratify")
@login_required
def ratify(unit_id: int, year: int):
    unit = branch(unit_id)
    return _do_act(
        unit_id,
        year,
        "ratify",
        lambda r, form: services.ratify_round(
            current_user, r, optional_id(form.lock_version.data), form.go_ahead_data()
        ),
        f"Đã công nhận kết quả xếp loại năm {year} của {unit.name}.",
    )


@bp.post("/<int:unit_id>/<year:year>/return")
@login_required
def send_back(unit_id: int, year: int):
    return _do_act(
        unit_id,
        year,
        "return",
        lambda r, form: services.return_round(
            current_user, r, form.reason.data or "", optional_id(form.lock_version.data)
        ),
        "Đã trả lại kết quả cho chi đoàn kèm lý do.",
    )


@bp.post("/<int:unit_id>/<year:year>/close")
@login_required
def close_year(unit_id: int, year: int):
    return _do_act(
        unit_id,
        year,
        "close",
        lambda r, form: services.close_year(current_user, r.unit, year),
        f"Đã khóa sổ năm {year}: nhật ký, kế hoạch và kết quả năm {year} chỉ còn để xem. "
        f"Chuẩn mực được chuyển sang năm {year + 1}; đoàn viên có thể lập kế hoạch mới từ kế hoạch cũ.",
    )


def _with_reason(unit_id: int, year: int, allowed, action, done: str):
    """A reason form posted from the sheet: run the act, or show the sheet again with the reason's error."""
    unit, grading_round = existing_round(unit_id, year)
    permissions.require(allowed(unit))
    form = ReasonForm()
    if form.validate_on_submit():
        outcome = attempt(
            lambda: action(grading_round, form.reason.data), success=done, errors=form.reason.errors
        )
        if outcome.ok:
            return back_to_sheet(unit, year)
        grading_round = services.get_round(unit, year)
    return render_sheet(unit, grading_round, reason_form=form, status=422)


@bp.post("/<int:unit_id>/<year:year>/reopen")
@login_required
def reopen(unit_id: int, year: int):
    """Reopen a ratified result (the unit above), with a reason kept in the audit log."""
    return _with_reason(
        unit_id,
        year,
        lambda unit: permissions.can_ratify(current_user, unit),
        lambda grading_round, reason: services.reopen_round(current_user, grading_round, reason),
        "Đã mở lại kết quả đã công nhận; lý do được ghi vào nhật ký.",
    )


@bp.post("/<int:unit_id>/<year:year>/reopen-year")
@login_required
def reopen_year(unit_id: int, year: int):
    """Mở lại a closed year, with a reason kept in the audit log: the level above only."""
    return _with_reason(
        unit_id,
        year,
        lambda unit: permissions.can_reopen_year(current_user, unit),
        lambda grading_round, reason: services.reopen_year(current_user, grading_round.unit, year, reason),
        f"Đã mở lại năm {year}; lý do được ghi vào nhật ký thao tác.",
    )


@bp.post("/<int:unit_id>/<year:year>/members/<int:user_id>/answer")
@login_required
def answer(unit_id: int, year: int, user_id: int):
    unit, grading_round = existing_round(unit_id, year)
    permissions.require(permissions.can_ratify(current_user, unit))
    rating = member_rating(grading_round, user_id)
    form = AnswerForm()
    if form.validate_on_submit():
        attempt(
            lambda: services.answer_reconsideration(current_user, rating, form.answer.data),
            success=f"Đã trả lời đề nghị của {rating.user.full_name}.",
            failure_category="danger",
        )
    else:
        flash(form_failed(form), "danger")
    return back_to_sheet(unit, year)
