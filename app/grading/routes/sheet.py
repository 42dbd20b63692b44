"""The branch's sheet: opening the round, the secretary's proposal for each member, quarterly ratings."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.core import locks, permissions
from app.core.filters import today_local
from app.core.numbers import format_points
from app.core.rules import attempt

from .. import services
from ..forms import (
    ActionForm,
    AnswerForm,
    OpenRoundForm,
    ProposalForm,
    ReasonForm,
    optional_id,
    proposal_form,
    quarter_form,
)
from ..models import SECTIONS, Rating
from .base import back_to_sheet, bp, existing_round, form_failed, member_rating, place_error, round_for_sheet


@bp.get("/<int:unit_id>/<year:year>")
@login_required
def sheet(unit_id: int, year: int):
    unit, grading_round = round_for_sheet(unit_id, year)
    if grading_round is None:
        form = OpenRoundForm()
        options = attempt(lambda: services.frameworks_for(unit)).value  # the shipped ones, made on first need
        form.framework_id.choices = [(f.id, f.name) for f in options]
        form.framework_id.data = services.default_framework(unit).id
        return render_template("grading/open.html", unit=unit, year=year, form=form, frameworks=options)
    attempt(lambda: services.sync_members(grading_round))  # members who joined since it opened
    return render_sheet(unit, grading_round)


def render_sheet(unit, grading_round, reason_form=None, status=200):
    ratings = services.ratings_of(grading_round)
    ready = services.readiness(grading_round)
    return (
        render_template(
            "grading/sheet.html",
            unit=unit,
            year=grading_round.year,
            grading_round=grading_round,
            framework=grading_round.framework,
            ratings=ratings,
            proposed_warnings=services.quota_warnings(grading_round, "proposed"),
            final_warnings=services.quota_warnings(grading_round, "final"),
            can_ratify=permissions.can_ratify(current_user, unit),
            can_close=permissions.can_close_year(current_user, unit),
            closure=services.year_closure(unit, grading_round.year),
            reopenings=services.reopenings(grading_round),
            action_form=ActionForm(),
            reason_form=reason_form or ReasonForm(),
            answer_form=AnswerForm(),
            deadline=services.reconsider_deadline(grading_round),
            can_propose={r.id: services.can_propose(current_user, r) for r in ratings},
            ready=ready,
            diary_warnings=ready.diary_by_user,
            confirmations=services.confirmations(grading_round),
            ratified_unit=services.ratified_by_unit(grading_round),
        ),
        status,
    )


@bp.post("/<int:unit_id>/<year:year>/open")
@login_required
def open_round(unit_id: int, year: int):
    unit, grading_round = round_for_sheet(unit_id, year)
    locks.ensure(locks.year_lock(unit.id, year))
    if grading_round is not None:
        return back_to_sheet(unit, year)
    form = OpenRoundForm()
    options = services.frameworks_for(unit)
    form.framework_id.choices = [(f.id, f.name) for f in options]
    if form.validate_on_submit():
        framework = services.get_framework(form.framework_id.data, unit)
        if framework is None:
            form.framework_id.errors.append("Khung tiêu chí không hợp lệ.")
        else:
            errors: list[str] = []
            outcome = attempt(
                lambda: services.open_round(current_user, unit, year, framework, form.reconsider_days.data),
                success=f"Đã mở đợt đánh giá, xếp loại năm {year}. Đoàn viên có thể viết bản tự đánh giá.",
                errors=errors,
            )
            if outcome.ok:
                return back_to_sheet(unit, year)
            place_error(form, errors, getattr(outcome.error, "field", None) or "framework_id")
    return render_template("grading/open.html", unit=unit, year=year, form=form, frameworks=options), 422


def saved_proposal(rating: Rating) -> dict[str, object]:
    """What the proposal form starts from: what is saved."""
    values: dict[str, object] = {
        "level_id": rating.proposed_level_id,
        "comment": rating.proposal_comment,
        "lock_version": rating.lock_version,
    }
    for criterion in rating.round.framework.criteria:
        line = rating.score_for("proposal", criterion.id)
        values[f"points-{criterion.id}"] = format_points(line.points) if line else ""
        values[f"comment-{criterion.id}"] = line.comment if line else ""
        values[f"cite-{criterion.id}"] = rating.cited("proposal", f"c{criterion.id}")
    return values


def _propose(rating: Rating, form: ProposalForm) -> None:
    criteria = rating.round.framework.criteria
    services.save_proposal(
        current_user,
        rating,
        level_id=form.level_id.data,
        comment=form.comment.data or "",
        points={cid: value or "" for cid, value in form.per_criterion("points", criteria).items()},
        criterion_comments={
            cid: value or "" for cid, value in form.per_criterion("comment", criteria).items()
        },
        cited=form.per_criterion("cite", criteria),
        lock_version=optional_id(form.lock_version.data),
    )


@bp.route("/<int:unit_id>/<year:year>/members/<int:user_id>/propose", methods=["GET", "POST"])
@login_required
def propose(unit_id: int, year: int, user_id: int):
    unit, grading_round = existing_round(unit_id, year)
    rating = member_rating(grading_round, user_id)
    permissions.require(services.can_propose(current_user, rating))
    form = proposal_form(grading_round.framework.criteria, data=saved_proposal(rating))
    current, point_errors = None, []
    if form.is_submitted():
        if form.validate():
            errors: list[str] = []
            outcome = attempt(
                lambda: _propose(rating, form),
                success=f"Đã lưu đề xuất xếp loại cho {rating.user.full_name}.",
                errors=errors,
            )
            if outcome.ok:
                return back_to_sheet(unit, year)
            rating = member_rating(services.get_round(unit, year), user_id)
            if isinstance(outcome.error, services.StaleRating):
                current = saved_proposal(rating)
                form.lock_version.data = rating.lock_version
            field = getattr(outcome.error, "field", None)
            if field == "points":  # the total: the message stands where the total is shown
                point_errors = errors
            else:
                place_error(form, errors, field)
        elif not form.has_errors:
            form.form_errors.append("Biểu mẫu không hợp lệ.")
    diary = services.diary_year(rating.user, unit, year)
    assessment = rating.self_assessment
    return (
        render_template(
            "grading/propose.html",
            unit=unit,
            year=year,
            grading_round=rating.round,
            framework=rating.round.framework,
            rating=rating,
            member=rating.user,
            form=form,
            current=current,
            point_errors=point_errors,
            diary=diary,
            sections=SECTIONS,
            editable=rating.round.status.is_editable,
            diary_warning=services.diary_warning(
                assessment.level if assessment and assessment.submitted_at else None,
                diary.entries_total,
                diary.months_written,
            ),
            review_month=12 if year < today_local().year else today_local().month,
        ),
        422 if (form.has_errors or point_errors) else 200,
    )


@bp.route("/<int:unit_id>/<year:year>/quarters/<int:quarter>", methods=["GET", "POST"])
@login_required
def quarter(unit_id: int, year: int, quarter: int):
    unit, grading_round = existing_round(unit_id, year)
    if not 1 <= quarter <= 4 or not grading_round.framework.has_quarterly:
        abort(404)
    members = [m for m in services.branch_members(unit) if permissions.can_review(current_user, m, unit)]
    saved = services.quarter_ratings(unit, year, quarter)
    data = {f"q-{uid}": row.level_id for uid, row in saved.items()}
    data.update({f"note-{uid}": row.comment for uid, row in saved.items()})
    form = quarter_form(members, data=data)
    if form.is_submitted():
        if not form.validate():
            flash(form_failed(form), "danger")
        else:
            outcome = attempt(
                lambda: services.save_quarter_ratings(
                    current_user, grading_round, quarter, form.values(members)
                ),
                success=lambda saved: f"Đã lưu đánh giá quý {quarter}/{year} của {saved} người.",
                failure_category="danger",
            )
            if outcome.ok:
                return redirect(url_for("grading.quarter", unit_id=unit.id, year=year, quarter=quarter))
    return render_template(
        "grading/quarter.html",
        unit=unit,
        year=year,
        quarter=quarter,
        grading_round=grading_round,
        framework=grading_round.framework,
        members=members,
        form=form,
    )
