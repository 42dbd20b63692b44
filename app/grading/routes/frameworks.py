"""A unit's grading frameworks: copying one to make it the unit's own, editing its levels and criteria."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.core import locks, permissions
from app.core.db import db
from app.core.enums import ContentGroup, Tier
from app.core.rules import attempt
from app.units.models import Unit

from .. import services
from ..forms import ActionForm, CriterionForm, FrameworkCopyForm, framework_form
from ..models import Criterion, Framework
from .base import bp, place_error


def _framework_unit(unit_id: int) -> Unit:
    unit = permissions.get_visible_unit(unit_id, current_user)
    permissions.require(permissions.can_manage_frameworks(current_user, unit))
    return unit


def _framework(unit: Unit, framework_id: int) -> Framework:
    framework = services.get_framework(framework_id, unit)
    if framework is None:
        abort(404)
    return framework


def _edit_url(unit: Unit, framework: Framework, anchor: str = "") -> str:
    return url_for("grading.framework_edit", unit_id=unit.id, framework_id=framework.id) + anchor


@bp.route("/frameworks/<int:unit_id>", methods=["GET", "POST"])
@login_required
def frameworks(unit_id: int):
    unit = _framework_unit(unit_id)
    options = attempt(lambda: services.frameworks_for(unit)).value  # the shipped ones, made on first need
    form = FrameworkCopyForm()
    form.source_id.choices = [(f.id, f.name) for f in options]
    if request.method == "POST" and form.validate_on_submit():
        source = next((f for f in options if f.id == form.source_id.data), None)
        if source is None:
            form.source_id.errors.append("Khung nguồn không hợp lệ.")
        else:
            errors: list[str] = []
            outcome = attempt(
                lambda: services.copy_framework(current_user, source, unit, form.name.data),
                success="Đã tạo khung tiêu chí của đơn vị; chỉnh sửa tiêu chí, điểm và mức bên dưới.",
                errors=errors,
            )
            if outcome.ok:
                return redirect(_edit_url(unit, outcome.value))
            place_error(form, errors, outcome.error.field or "name")
    status = 422 if form.has_errors else 200
    return render_template("grading/frameworks.html", unit=unit, frameworks=options, form=form), status


def _saved_framework(framework: Framework) -> dict:
    data: dict = {"name": framework.name, "basis": framework.basis, "has_quarterly": framework.has_quarterly}
    for lv in framework.levels:
        data.update(
            {
                f"name-{lv.id}": lv.name,
                f"desc-{lv.id}": lv.description,
                f"min-{lv.id}": lv.min_score,
                f"quota-{lv.id}": lv.quota_percent,
                f"quota-of-{lv.id}": lv.quota_of_tier,
            }
        )
    return data


@bp.route("/frameworks/<int:unit_id>/<int:framework_id>", methods=["GET", "POST"])
@login_required
def framework_edit(unit_id: int, framework_id: int):
    unit = _framework_unit(unit_id)
    framework = _framework(unit, framework_id)
    may_edit = services.can_edit_framework(current_user, framework)
    lock = locks.framework_lock(framework)
    form = framework_form(framework.levels, data=_saved_framework(framework))
    refused, level_errors = False, []
    if request.method == "POST":
        permissions.require(may_edit)
        if form.validate_on_submit():
            errors: list[str] = []
            outcome = attempt(
                lambda: services.update_framework(
                    current_user,
                    framework,
                    form.name.data,
                    form.basis.data,
                    form.has_quarterly.data,
                    form.level_data(framework.levels),
                ),
                success="Đã lưu khung tiêu chí.",
                errors=errors,
                catch=(services.GradingError, locks.LockedError),
            )
            if outcome.ok:
                return redirect(_edit_url(unit, framework))
            framework = _framework(unit, framework_id)
            if isinstance(outcome.error, locks.LockedError):  # in use: the page offers a copy instead
                refused, lock = True, outcome.error.lock
            elif outcome.error.field == "levels":  # the order of the minimum scores: said above the levels
                level_errors = errors
            else:
                place_error(form, errors, outcome.error.field)
    return _render_framework(unit, framework, form, lock, refused=refused, level_errors=level_errors)


def _render_framework(
    unit: Unit,
    framework: Framework,
    form,
    lock,
    *,
    refused: bool = False,
    level_errors: list[str] | None = None,
    criterion_form: CriterionForm | None = None,
    criterion_id: int | None = None,
):
    """The framework's page; a refused form (levels, or one criterion) keeps what was typed, with the
    reasons next to the fields."""
    may_edit = services.can_edit_framework(current_user, framework)
    failed_criterion = criterion_form if criterion_form is not None and criterion_id is not None else None
    invalid = (
        form.has_errors or bool(level_errors) or (criterion_form is not None and criterion_form.has_errors)
    )
    return (
        render_template(
            "grading/framework.html",
            unit=unit,
            framework=framework,
            form=form,
            editable=may_edit and lock is None,
            level_errors=level_errors or [],
            criterion_form=criterion_form
            if criterion_id is None and criterion_form
            else CriterionForm(prefix="new"),
            criterion_forms={criterion_id: failed_criterion} if failed_criterion else {},
            tiers=list(Tier),
            in_use=services.framework_in_use(framework),
            lock=lock,
            may_copy=may_edit or permissions.can_manage_frameworks(current_user, unit),
            copy_name=f"{framework.name} (phiên bản mới)"[:200],
            content_groups=ContentGroup.choices(),
        ),
        409 if refused else 422 if invalid else 200,
    )


@bp.post("/frameworks/<int:unit_id>/<int:framework_id>/criteria")
@bp.post("/frameworks/<int:unit_id>/<int:framework_id>/criteria/<int:criterion_id>")
@login_required
def criterion_save(unit_id: int, framework_id: int, criterion_id: int | None = None):
    unit = _framework_unit(unit_id)
    framework = _framework(unit, framework_id)
    permissions.require(services.can_edit_framework(current_user, framework))
    criterion = None
    if criterion_id is not None:
        criterion = next((c for c in framework.criteria if c.id == criterion_id), None)
        if criterion is None:
            abort(404)
    form = CriterionForm(prefix="new" if criterion is None else f"c{criterion_id}")
    if form.validate_on_submit():
        group = ContentGroup(form.content_group.data) if form.content_group.data else None
        errors: list[str] = []
        outcome = attempt(
            lambda: services.save_criterion(
                current_user,
                framework,
                criterion,
                form.group_name.data,
                group,
                form.text.data,
                form.max_points.data,
            ),
            success="Đã lưu tiêu chí.",
            errors=errors,
        )
        if outcome.ok:
            return redirect(_edit_url(unit, framework, "#tieu-chi"))
        framework = _framework(unit, framework_id)
        place_error(form, errors, outcome.error.field)
    page = framework_form(framework.levels, formdata=None, data=_saved_framework(framework))
    lock = locks.framework_lock(framework)
    return _render_framework(unit, framework, page, lock, criterion_form=form, criterion_id=criterion_id)


@bp.post("/frameworks/<int:unit_id>/<int:framework_id>/criteria/<int:criterion_id>/delete")
@login_required
def criterion_delete(unit_id: int, framework_id: int, criterion_id: int):
    unit = _framework_unit(unit_id)
    framework = _framework(unit, framework_id)
    permissions.require(services.can_edit_framework(current_user, framework))
    criterion = db.session.get(Criterion, criterion_id)
    if criterion is None or criterion.framework_id != framework.id:
        abort(404)
    form = ActionForm()
    if form.validate_on_submit():
        attempt(
            lambda: services.delete_criterion(current_user, criterion),
            success="Đã xoá tiêu chí.",
            failure_category="danger",
        )
    return redirect(_edit_url(unit, framework, "#tieu-chi"))
