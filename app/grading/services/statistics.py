"""Counts and shares per tier over a unit's subtree, and the rounds waiting for an officer."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select

from app.auth.models import User
from app.core import permissions
from app.core.db import db
from app.core.enums import Role, RoundStatus, Tier, UnitKind
from app.core.numbers import format_percent
from app.units.models import Membership, Unit

from ..models import FrameworkLevel, GradingRound, Rating


@dataclass
class TierCount:
    tier: Tier
    count: int
    share: str


@dataclass
class Statistics:
    unit: Unit
    year: int
    rated: int
    members: int
    rounds_ratified: int
    rounds_total: int
    tiers: list[TierCount]
    by_child: list[tuple[Unit, int, list[TierCount]]]


def _tier_counts(rows: dict[int, int]) -> tuple[int, list[TierCount]]:
    total = sum(rows.values())
    return total, [
        TierCount(t, rows.get(int(t), 0), format_percent(rows.get(int(t), 0), total)) for t in Tier
    ]


def statistics(unit: Unit, year: int, ratified_only: bool = True) -> Statistics:
    """Counts and shares per tier over the unit's subtree, in one grouped query per breakdown."""
    subtree = select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))
    base = (
        select(Unit.path, FrameworkLevel.tier, func.count(Rating.id))
        .select_from(Rating)
        .join(GradingRound, GradingRound.id == Rating.round_id)
        .join(Unit, Unit.id == GradingRound.unit_id)
        .join(FrameworkLevel, FrameworkLevel.id == Rating.final_level_id)
        .where(GradingRound.unit_id.in_(subtree), GradingRound.year == year)
        .group_by(Unit.path, FrameworkLevel.tier)
    )
    if ratified_only:
        base = base.where(GradingRound.status == RoundStatus.RATIFIED)
    per_unit = db.session.execute(base).all()
    overall: Counter = Counter()
    children = list(db.session.scalars(select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.name)))
    per_child: dict[int, Counter] = {c.id: Counter() for c in children}
    for path, tier, count in per_unit:
        overall[tier] += count
        for child in children:
            if path.startswith(child.path):
                per_child[child.id][tier] += count
    rated, tiers = _tier_counts(overall)
    rounds = db.session.execute(
        select(GradingRound.status, func.count(GradingRound.id))
        .where(GradingRound.unit_id.in_(subtree), GradingRound.year == year)
        .group_by(GradingRound.status)
    ).all()
    members = (
        db.session.scalar(
            select(func.count(func.distinct(Membership.user_id)))
            .join(Unit, Unit.id == Membership.unit_id)
            .where(
                Membership.unit_id.in_(subtree),
                Membership.role != Role.OFFICER,
                Unit.kind.in_([UnitKind.BRANCH, UnitKind.PARTY_CELL]),
            )
        )
        or 0
    )
    by_child = []
    for child in children:
        total, counts = _tier_counts(per_child[child.id])
        by_child.append((child, total, counts))
    return Statistics(
        unit=unit,
        year=year,
        rated=rated,
        members=members,
        rounds_ratified=sum(c for s, c in rounds if s is RoundStatus.RATIFIED),
        rounds_total=sum(c for _, c in rounds),
        tiers=tiers,
        by_child=by_child,
    )


def round_tiers(grading_round: GradingRound) -> list[TierCount]:
    """The result of one round by tier (for the minutes), from its final levels."""
    counts = Counter(r.final_level.tier for r in grading_round.ratings if r.final_level is not None)
    return _tier_counts(counts)[1]


def pending_ratification(user: User) -> list[GradingRound]:
    """Rounds waiting for this officer's ratification (submitted, in branches under their units)."""
    paths = permissions.officer_paths(user)
    if not paths:
        return []
    rounds = db.session.scalars(
        select(GradingRound)
        .join(Unit, Unit.id == GradingRound.unit_id)
        .where(GradingRound.status == RoundStatus.SUBMITTED)
        .order_by(GradingRound.submitted_at)
    )
    return [r for r in rounds if permissions.can_ratify(user, r.unit)]


def rounds_under(user: User, unit: Unit, year: int) -> list[GradingRound]:
    subtree = select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))
    return list(
        db.session.scalars(
            select(GradingRound)
            .where(GradingRound.unit_id.in_(subtree), GradingRound.year == year)
            .order_by(GradingRound.unit_id)
        )
    )
