"""The grading meeting: attendance, votes and agreed levels for every member, and its minutes."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.core import permissions
from app.core.filters import today_local
from app.core.numbers import format_points
from app.core.rules import attempt
from app.units.models import Unit

from .. import services
from ..forms import MAX_MEETING_LINES, MeetingForm, optional_id
from ..models import Rating
from .base import bp, existing_round


def _meeting_data(unit: Unit, grading_round, ratings) -> dict:
    """What the meeting form starts from: the recorded meeting, else the proposals (agreed level =
    proposal), everyone present, today's date, the secretary in the chair."""
    party = unit.org_type.value == "party"
    return {
        "lock_version": grading_round.lock_version,
        "minutes_number": grading_round.minutes_number or ("01-BB/CB" if party else "01-BB/CĐ"),
        "meeting_date": grading_round.meeting_date or today_local(),
        "meeting_start": grading_round.meeting_start,
        "meeting_end": grading_round.meeting_end,
        "meeting_place": grading_round.meeting_place or unit.name,
        "chair_name": grading_round.chair_name or current_user.full_name,
        "recorder_name": grading_round.recorder_name,
        "meeting_notes": grading_round.meeting_notes,
        "lines": [_line_data(r) for r in ratings],
    }


def _line_data(rating: Rating) -> dict:
    score = rating.final_score if rating.final_score is not None else rating.proposed_score
    return {
        "rating_id": rating.id,
        "present": rating.present if rating.present is not None else True,
        "absence_reason": rating.absence_reason,
        "votes_agree": rating.votes_agree,
        "votes_total": rating.votes_total,
        "level_id": rating.final_level_id or rating.proposed_level_id,
        "score": format_points(score),
    }


def _meeting_form(unit: Unit, grading_round, ratings) -> MeetingForm:
    if request.method == "GET":
        form = MeetingForm(data=_meeting_data(unit, grading_round, ratings))
    else:
        form = MeetingForm()
        # Members who joined since the page was shown get their line, from their proposal.
        posted = {optional_id(line.form.rating_id.data) for line in form.lines}
        for rating in ratings:
            if rating.id not in posted and len(form.lines) < MAX_MEETING_LINES:
                form.lines.append_entry(_line_data(rating))
    form.prepare({r.id: r for r in ratings}, grading_round.framework)
    return form


def _place_error(form: MeetingForm, message: str, name: str) -> None:
    """Put a service's refusal next to its field: a form field, a member's line, else atop the form."""
    if name and hasattr(form, name) and name not in ("lines", "meta"):
        getattr(form, name).errors = [message]
        return
    kind, _, rating_id = name.partition("-")
    line = next((ln.form for ln in form.lines if str(ln.form.rating_id.data) == rating_id), None)
    if kind not in ("level", "votes") or line is None:
        form.form_errors.append(message)
    elif kind == "votes":
        line.votes_total.errors = [message]
    else:
        (line.score if line.is_points else line.level_id).errors = [message]


def _record(grading_round, form: MeetingForm, ratings) -> None:
    services.record_meeting(
        current_user,
        grading_round,
        meeting_date=form.meeting_date.data,
        place=form.meeting_place.data,
        chair=form.chair_name.data,
        recorder=form.recorder_name.data,
        notes=form.meeting_notes.data,
        lines=form.meeting_lines({r.id: r for r in ratings}),
        change_reason=form.change_reason.data,
        lock_version=optional_id(form.lock_version.data),
        minutes_number=form.minutes_number.data,
        start=form.meeting_start.data,
        end=form.meeting_end.data,
        go_ahead=form.go_ahead_data(),
    )


@bp.route("/<int:unit_id>/<year:year>/meeting", methods=["GET", "POST"])
@login_required
def meeting(unit_id: int, year: int):
    unit, grading_round = existing_round(unit_id, year)
    ratings = services.ratings_of(grading_round)
    form = _meeting_form(unit, grading_round, ratings)
    refused = False  # a service refusal placed on a member's line (the FieldList does not count it)
    if request.method == "POST":
        permissions.require(permissions.can_run_grading(current_user, unit))
        locked = services.meeting_lock_message(grading_round)
        if locked:
            form.form_errors.append(locked)
        elif form.validate_on_submit():
            errors: list[str] = []
            outcome = attempt(
                lambda: _record(grading_round, form, ratings),
                success="Đã ghi kết quả họp xét phân loại. Xem lại biên bản rồi gửi cấp trên công nhận.",
                errors=errors,
            )
            if outcome.ok:
                return redirect(url_for("grading.minutes", unit_id=unit.id, year=year))
            grading_round = services.get_round(unit, year)
            ratings = services.ratings_of(grading_round)
            form.prepare({r.id: r for r in ratings}, grading_round.framework)
            refused = True
            _place_error(form, outcome.message, outcome.error.field or "")
            if isinstance(outcome.error, services.StaleRating):
                form.lock_version.data = grading_round.lock_version
    permissions.require(permissions.can_run_grading(current_user, unit))
    ready = services.readiness(grading_round, "meeting")
    form.gaps_token.data = ready.token
    by_id = {r.id: r for r in ratings}
    lines = [
        (line, by_id[optional_id(line.form.rating_id.data)])
        for line in form.lines
        if optional_id(line.form.rating_id.data) in by_id
    ]
    invalid = refused or (request.method == "POST" and (form.has_errors or bool(form.errors)))
    return (
        render_template(
            "grading/meeting.html",
            unit=unit,
            year=year,
            grading_round=grading_round,
            framework=grading_round.framework,
            lines=lines,
            form=form,
            editable=grading_round.status.is_editable,
            ready=ready,
            warnings=services.quota_warnings(grading_round, "final"),
        ),
        422 if invalid else 200,
    )


@bp.get("/<int:unit_id>/<year:year>/minutes")
@login_required
def minutes(unit_id: int, year: int):
    unit, grading_round = existing_round(unit_id, year)
    if grading_round.meeting_recorded_at is None:
        flash("Chưa ghi kết quả họp xét, nên chưa có biên bản.", "warning")
        return redirect(url_for("grading.meeting", unit_id=unit.id, year=year))
    ratings = services.ratings_of(grading_round)
    return render_template(
        "grading/minutes.html",
        unit=unit,
        year=year,
        grading_round=grading_round,
        framework=grading_round.framework,
        ratings=ratings,
        present=[r for r in ratings if r.present],
        absent=[r for r in ratings if not r.present],
        tiers=services.round_tiers(grading_round),
        ratified_unit=services.ratified_by_unit(grading_round),
    )
