"""Who and what an export covers: the branches under a unit and the members who keep a diary there."""

from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import User
from app.core.collation import people_order
from app.core.db import db
from app.core.enums import Role, UnitKind
from app.units.models import Membership, Unit


def export_branches(unit: Unit) -> list[Unit]:
    """The branches an export of `unit` covers: the unit itself when it is a branch, else every
    active branch (chi đoàn, chi bộ) under it, by name."""
    if unit.kind.is_branch:
        return [unit]
    branch_kinds = [k for k in UnitKind if k.is_branch]
    stmt = (
        select(Unit)
        .where(
            Unit.path.startswith(unit.path, autoescape=True),
            Unit.id != unit.id,
            Unit.kind.in_(branch_kinds),
            Unit.is_active.is_(True),
        )
        .order_by(Unit.name, Unit.id)
    )
    return list(db.session.scalars(stmt))


def branch_members(branch: Unit) -> list[tuple[int, str]]:
    """(id, full name) of everyone who keeps a diary in the branch (members, deputies, secretaries),
    by name."""
    stmt = (
        select(User.id, User.full_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == branch.id, Membership.role != Role.OFFICER)
        .order_by(*people_order())
    )
    return [(row.id, row.full_name) for row in db.session.execute(stmt)]


def members_count(branches: list[Unit]) -> int:
    """How many books an export of these branches makes (one query, whatever their number)."""
    stmt = select(func.count()).where(
        Membership.unit_id.in_([b.id for b in branches]), Membership.role != Role.OFFICER
    )
    return db.session.scalar(stmt) or 0
