"""Notifications of the grading workflow (optional side effects of its steps)."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User
from app.core import permissions
from app.core.db import db
from app.core.enums import Role
from app.units.models import Membership

from ..models import GradingRound


def _notify(recipient: User, actor: User, grading_round: GradingRound, text: str, link: str) -> None:
    from app.notifications.services import notify

    if recipient.id == actor.id:
        return
    notify(recipient, "grading", text, link=link)


def _notify_ratifiers(grading_round: GradingRound, actor: User, text: str | None = None) -> None:
    unit = grading_round.unit
    if unit.parent is None:
        return
    # Officers of the units above the branch only (its ancestors), not every officer of the system.
    officers = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.role == Role.OFFICER,
            Membership.unit_id.in_(unit.ancestor_ids[:-1]),
            User.is_active.is_(True),
        )
    )
    text = text or f"{unit.name} gửi kết quả xếp loại năm {grading_round.year} để công nhận."
    for officer in {o.id: o for o in officers}.values():
        if permissions.can_ratify(officer, unit):
            _notify(officer, actor, grading_round, text, f"/grading/{unit.id}/{grading_round.year}")


def _notify_secretaries(grading_round: GradingRound, actor: User, text: str) -> None:
    unit = grading_round.unit
    for m in unit.memberships:
        if m.role.manages_branch:
            _notify(m.user, actor, grading_round, text, f"/grading/{unit.id}/{grading_round.year}")
