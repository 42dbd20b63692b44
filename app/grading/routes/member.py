"""The member's pages: the self-assessment, and the answer to a ratified result (acknowledge, or ask
for reconsideration)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.core import permissions
from app.core.numbers import format_points
from app.core.rules import attempt
from app.units.models import Unit

from .. import services
from ..forms import ActionForm, ReasonForm, SelfAssessmentForm, optional_id, self_assessment_form
from ..models import CITABLE_SECTIONS, OTHER_SECTIONS, SECTIONS, STRENGTH_SECTIONS, Rating
from .base import bp, branch, form_failed, place_error


def _own_rating(unit_id: int, year: int) -> tuple[Unit, Rating | None]:
    unit = branch(unit_id)
    if not permissions.keeps_diary_in(current_user, unit):
        abort(404)
    grading_round = services.get_round(unit, year)
    if grading_round is not None:  # members who joined since the round opened get their row
        attempt(lambda: services.sync_members(grading_round))
    return unit, services.member_rating(current_user, unit, year)


def saved_self_assessment(rating: Rating) -> dict[str, object]:
    """What the self-assessment form starts from: what is saved."""
    assessment = rating.self_assessment
    values: dict[str, object] = {
        key: assessment.section_text(key) if assessment else "" for key, _ in SECTIONS
    }
    values["level_id"] = assessment.level_id if assessment else None
    for criterion in rating.round.framework.criteria:
        line = rating.score_for("self", criterion.id)
        values[f"points-{criterion.id}"] = format_points(line.points) if line else ""
    for key in CITABLE_SECTIONS:
        values[f"cite-{key}"] = rating.cited("self", key)
    values["lock_version"] = assessment.lock_version if assessment else ""
    return values


def _save(rating: Rating, form: SelfAssessmentForm) -> None:
    criteria = rating.round.framework.criteria
    services.save_self_assessment(
        current_user,
        rating,
        sections=form.sections(),
        level_id=form.level_id.data,
        points={c.id: form[f"points-{c.id}"].data or "" for c in criteria},
        cited=form.cited(),
        lock_version=optional_id(form.lock_version.data),
        submit=form.submitting,
    )


@bp.route("/<int:unit_id>/<year:year>/me", methods=["GET", "POST"])
@login_required
def me(unit_id: int, year: int):
    unit, rating = _own_rating(unit_id, year)
    if rating is None:
        return render_template("grading/me.html", unit=unit, year=year, rating=None)
    form = self_assessment_form(rating.round.framework.criteria, data=saved_self_assessment(rating))
    current = None
    if form.is_submitted():
        if form.validate():
            errors: list[str] = []
            outcome = attempt(
                lambda: _save(rating, form),
                errors=errors,
                success=(
                    "Đã gửi bản tự đánh giá cho bí thư."
                    if form.submitting
                    else "Đã lưu bản nháp tự đánh giá."
                ),
            )
            if outcome.ok:
                return redirect(url_for("grading.me", unit_id=unit.id, year=year))
            rating = services.member_rating(current_user, unit, year)
            if isinstance(outcome.error, services.StaleRating):
                # Someone else saved first: show what is saved now beside what was typed.
                current = saved_self_assessment(rating)
                form.lock_version.data = current["lock_version"]
            place_error(form, errors, getattr(outcome.error, "field", None))
        elif not form.form_errors_all and not any(f.errors for f in form):
            form.form_errors.append("Biểu mẫu không hợp lệ.")
    return _render_me(unit, year, rating, form, current=current)


def _render_me(unit: Unit, year: int, rating: Rating, form, reason_form=None, current=None):
    diary = services.diary_year(current_user, unit, year)
    assessment = rating.self_assessment
    status = 422 if (form.has_errors or (reason_form is not None and reason_form.has_errors)) else 200
    return (
        render_template(
            "grading/me.html",
            unit=unit,
            year=year,
            rating=rating,
            grading_round=rating.round,
            framework=rating.round.framework,
            form=form,
            current=current,
            diary=diary,
            strength_sections=STRENGTH_SECTIONS,
            other_sections=OTHER_SECTIONS,
            citable=CITABLE_SECTIONS,
            deadline=services.reconsider_deadline(rating.round),
            can_answer=services.can_answer_result(current_user, rating),
            can_edit=services.can_self_assess(current_user, rating),
            action_form=ActionForm(),
            reason_form=reason_form or ReasonForm(prefix="rc"),
            diary_warning=services.diary_warning(
                assessment.level if assessment else None, diary.entries_total, diary.months_written
            ),
        ),
        status,
    )


@bp.post("/<int:unit_id>/<year:year>/me/acknowledge")
@login_required
def acknowledge(unit_id: int, year: int):
    unit, rating = _own_rating(unit_id, year)
    if rating is None:
        abort(404)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(form_failed(form), "danger")
    else:
        attempt(
            lambda: services.acknowledge(current_user, rating),
            success="Bạn đã ghi nhận kết quả xếp loại.",
            failure_category="danger",
        )
    return redirect(url_for("grading.me", unit_id=unit.id, year=year))


@bp.post("/<int:unit_id>/<year:year>/me/reconsider")
@login_required
def reconsider(unit_id: int, year: int):
    unit, rating = _own_rating(unit_id, year)
    if rating is None:
        abort(404)
    form = ReasonForm(prefix="rc")
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.request_reconsideration(current_user, rating, form.reason.data),
            success="Đã gửi đề nghị xem xét lại lên cấp trên.",
            errors=form.reason.errors,
        )
        if outcome.ok:
            return redirect(url_for("grading.me", unit_id=unit.id, year=year))
    rating = services.member_rating(current_user, unit, year)
    own = self_assessment_form(
        rating.round.framework.criteria, formdata=None, data=saved_self_assessment(rating)
    )
    return _render_me(unit, year, rating, own, reason_form=form)
