"""The branch dashboard: the secretary sees at a glance who needs attention this month."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user, login_required

from app.core import permissions
from app.core.bounds import MIN_YEAR
from app.core.filters import today_local
from app.dashboard import services

bp = Blueprint("dashboard", __name__)


def review_url(unit_id: int, user_id: int, year: int, month: int) -> str:
    """The member's month on the review screen."""
    return url_for("review.month", unit_id=unit_id, user_id=user_id, year=year, month=month)


@bp.route("/units/<int:unit_id>/dashboard")
@login_required
def branch(unit_id: int):
    """A branch's members this month (?year=&month=, ?sort=, ?show=): its secretaries, officers
    above and administrators (permissions.can_manage_members); a unit that is not a branch gets
    the list of branches under it."""
    unit = permissions.get_visible_unit(unit_id, current_user)
    permissions.require(permissions.can_manage_members(current_user, unit))
    if not unit.kind.is_branch:
        branches = services.branches_under(unit, permissions.manageable_units(current_user))
        return render_template("dashboard/not_branch.html", unit=unit, branches=branches)
    year, month = services.parse_period(request.args.get("year"), request.args.get("month"))
    sort = request.args.get("sort", "attention")
    sort = sort if sort in services.SORTS else "attention"
    show = request.args.get("show", "all")
    show = show if show in services.FILTERS else "all"
    dashboard = services.branch_dashboard(unit, year, month)
    today = today_local()
    # Every row links to review screens of this branch: one url_for, then plain strings (a branch
    # of 50 members would otherwise build a few hundred URLs through the routing map).
    review_prefix = url_for("review.queue", unit_id=unit.id)

    def branch_review_url(unit_id: int, user_id: int, year: int, month: int) -> str:
        if unit_id != unit.id:
            return review_url(unit_id, user_id, year, month)
        return f"{review_prefix}/{user_id}/{year}/{month}"

    # The member's month in the diary, the same way: the path once, then the member's arguments.
    diary_month = url_for("journal.month", year=year, month=month)

    def diary_url(user_id: int) -> str:
        return f"{diary_month}?user_id={user_id}&unit_id={unit.id}"

    def page_url(**changes) -> str:
        """This page with some arguments changed (defaults left out of the URL)."""
        args = {"year": year, "month": month, "sort": sort, "show": show} | changes
        args = {k: v for k, v in args.items() if (k, v) not in (("sort", "attention"), ("show", "all"))}
        return url_for("dashboard.branch", unit_id=unit.id, **args)

    return render_template(
        "dashboard/branch.html",
        unit=unit,
        dashboard=dashboard,
        rows=dashboard.sorted_rows(sort, show),
        sort=sort,
        show=show,
        sorts=services.SORTS,
        filters=services.FILTERS,
        previous=services.previous_month(year, month),
        following=services.following_month(year, month),
        is_current=(year, month) == (today.year, today.month),
        years=list(range(today.year, min(year, max(MIN_YEAR, today.year - 5)) - 1, -1)),
        review_url=branch_review_url,
        diary_url=diary_url,
        page_url=page_url,
    )
