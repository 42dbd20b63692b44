"""The grading index (my rating, my branches, what waits for my ratification) and the statistics."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user, login_required

from app.core import permissions
from app.core.bounds import year_in_range
from app.core.enums import Tier
from app.core.filters import today_local

from .. import services
from .base import bp


@bp.get("/")
@login_required
def index():
    year = today_local().year
    mine = [
        (m.unit, services.member_rating(current_user, m.unit, year))
        for m in permissions.diary_memberships(current_user)
    ]
    branches = [
        (m.unit, services.get_round(m.unit, year))
        for m in current_user.memberships
        if m.unit.kind.is_branch and permissions.can_run_grading(current_user, m.unit)
    ]
    pending = services.pending_ratification(current_user)
    stats_units = [
        m.unit for m in current_user.memberships if permissions.can_view_reports(current_user, m.unit)
    ]
    return render_template(
        "grading/index.html",
        year=year,
        mine=mine,
        branches=branches,
        pending=pending,
        stats_units=stats_units,
    )


@bp.get("/stats/<int:unit_id>")
@login_required
def stats(unit_id: int):
    unit = permissions.get_visible_unit(unit_id, current_user)
    permissions.require(permissions.can_view_reports(current_user, unit))
    year = request.args.get("year", type=int) or today_local().year
    if not year_in_range(year):
        abort(404)
    include_pending = request.args.get("all") == "1"
    result = services.statistics(unit, year, ratified_only=not include_pending)
    rounds = services.rounds_under(current_user, unit, year)
    return render_template(
        "grading/stats.html",
        unit=unit,
        year=year,
        stats=result,
        rounds=rounds,
        include_pending=include_pending,
        tiers=list(Tier),
    )
