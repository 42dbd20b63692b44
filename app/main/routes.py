"""Home page (what the user can do, by role) and /healthz."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select, text

from app.core import permissions
from app.core.db import db
from app.units.models import Membership

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    """The start page: the user's roles and what each lets them do."""
    user = current_user
    managed = db.session.scalars(permissions.manageable_units(user).order_by("path").limit(50)).all()
    counts = {}
    if managed:
        rows = db.session.execute(
            select(Membership.unit_id, func.count())
            .where(Membership.unit_id.in_([u.id for u in managed]))
            .group_by(Membership.unit_id)
        )
        counts = dict(rows.all())
    return render_template("main/index.html", managed=managed, counts=counts, diaries=_diary_summaries(user))


def _diary_summaries(user) -> list[dict]:
    """For each branch where the user keeps a diary: this month's entries, streak, plan status."""
    from app.core.filters import today_local
    from app.journal import services as journal

    today = today_local()
    summaries = []
    for membership in permissions.diary_memberships(user):
        unit = membership.unit
        counts = journal.day_counts(user, unit, today.year)
        this_month = sum(n for day, n in counts.items() if day.month == today.month)
        summaries.append(
            {
                "unit": unit,
                "role": membership.role_label,
                "this_month": this_month,
                "streak": journal.week_streak(set(counts), today),
                "plan": journal.working_plan(user, unit, today.year),
            }
        )
    return summaries


@bp.route("/healthz")
def healthz():
    """Liveness and database check for load balancers; anyone."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy"
        db.session.rollback()
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
