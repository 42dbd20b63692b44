"""The grading blueprint, what its URLs name loaded or 404, and the template helpers of its pages."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, url_for
from flask_login import current_user

from app.core import permissions
from app.core.enums import RoundStatus
from app.core.numbers import format_points
from app.units.models import Unit

from .. import services
from ..forms import BaseForm
from ..models import GradingRound, Rating

bp = Blueprint("grading", __name__, url_prefix="/grading")


def branch(unit_id: int) -> Unit:
    """A branch the user may see, else 404 (years are bounded by the `<year:…>` converter)."""
    unit = permissions.get_visible_unit(unit_id, current_user)
    if not unit.kind.is_branch:
        abort(404)
    return unit


def round_for_sheet(unit_id: int, year: int) -> tuple[Unit, GradingRound | None]:
    """The branch and its round, for those who run or ratify it."""
    unit = branch(unit_id)
    permissions.require(permissions.can_run_grading(current_user, unit))
    return unit, services.get_round(unit, year)


def existing_round(unit_id: int, year: int) -> tuple[Unit, GradingRound]:
    unit, grading_round = round_for_sheet(unit_id, year)
    if grading_round is None:
        abort(404)
    return unit, grading_round


def member_rating(grading_round: GradingRound, user_id: int) -> Rating:
    rating = next((r for r in grading_round.ratings if r.user_id == user_id), None)
    if rating is None:
        abort(404)
    return rating


def back_to_sheet(unit: Unit, year: int):
    return redirect(url_for("grading.sheet", unit_id=unit.id, year=year))


def place_error(form: BaseForm, errors: list[str], field: str | None) -> None:
    """Put refusals (`attempt`'s `errors`) next to the field the service named, else atop the form."""
    target = form[field].errors if field and field in form and field != "csrf_token" else form.form_errors
    if not isinstance(target, list):  # a field's errors are a tuple until validation
        form[field].errors = target = list(target)
    target.extend(errors)
    errors.clear()


def form_failed(form: BaseForm) -> str:
    """Every message of a form that did not validate, as one line (for a flash)."""
    return " ".join(form.form_errors_all + [e for f in form for e in f.errors if f.name != "csrf_token"])


@bp.app_template_global()
def round_status_class(status: RoundStatus) -> str:
    return {
        RoundStatus.OPEN: "text-bg-secondary",
        RoundStatus.MEETING_HELD: "text-bg-info",
        RoundStatus.SUBMITTED: "text-bg-warning",
        RoundStatus.RETURNED: "text-bg-danger",
        RoundStatus.RATIFIED: "text-bg-success",
    }[status]


@bp.app_template_filter("grading_step")
def grading_step_filter(step: str) -> str:
    return services.STEPS.get(step, step)


@bp.app_template_filter("points")
def points_filter(value) -> str:
    return format_points(value)
