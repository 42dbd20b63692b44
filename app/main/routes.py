"""Home page (what the user can do, by role) and /healthz."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import aliased

from app.core import permissions
from app.core.db import database_answers, db
from app.core.enums import Role
from app.units.models import Membership, Unit

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    """The start page: the user's roles and what each lets them do."""
    user = current_user
    managed = db.session.scalars(permissions.manageable_units(user).order_by("path").limit(50)).all()
    return render_template(
        "main/index.html",
        managed=managed,
        counts=_people_under(managed),
        waiting=_waiting_for(user, managed),
        diaries=_diary_summaries(user),
    )


def _people_under(units: list[Unit]) -> dict[int, int]:
    """Members (not officers) of each unit and every unit below it, each person once (one query):
    a Đoàn cơ sở whose members all sit in its chi đoàn has them all, not 0."""
    if not units:
        return {}
    top, below = aliased(Unit), aliased(Unit)
    rows = db.session.execute(
        select(top.id, func.count(distinct(Membership.user_id)))
        .join(below, below.path.startswith(top.path))
        .join(Membership, Membership.unit_id == below.id)
        .where(top.id.in_([u.id for u in units]), Membership.role != Role.OFFICER)
        .group_by(top.id)
    )
    return dict(rows.all())


def _waiting_for(user, units: list[Unit]) -> list[tuple[Unit, int, int]]:
    """For each branch the user is secretary or deputy of: entries waiting for their review and
    plans waiting for approval (the review queue's counts)."""
    from app.review import services as review

    found = []
    for unit in units:
        role = permissions.role_in(user, unit)
        if unit.kind.is_branch and role is not None and role.manages_branch:
            queue = review.review_queue(user, unit, limit=0)
            found.append((unit, queue.waiting, len(queue.plans)))
    return found


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
    if not database_answers():
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
