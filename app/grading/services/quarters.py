"""Quarterly ratings (for frameworks that rate by quarter)."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User
from app.core import locks, permissions
from app.core.db import db, utcnow
from app.units.models import Unit

from ..models import GradingRound, QuarterRating
from .assessment import _level
from .base import GradingError, _flush, _text
from .rounds import branch_members


def quarter_ratings(unit: Unit, year: int, quarter: int) -> dict[int, QuarterRating]:
    return {
        q.user_id: q
        for q in db.session.scalars(
            select(QuarterRating).where(
                QuarterRating.unit_id == unit.id, QuarterRating.year == year, QuarterRating.quarter == quarter
            )
        )
    }


def save_quarter_ratings(
    actor: User, grading_round: GradingRound, quarter: int, values: dict[int, tuple[int | None, str]]
) -> int:
    unit = grading_round.unit
    if not grading_round.framework.has_quarterly:
        raise GradingError("Khung tiêu chí này không đánh giá theo quý.")
    if not 1 <= quarter <= 4:
        raise GradingError("Quý không hợp lệ.")
    locks.ensure(locks.year_lock(unit.id, grading_round.year))
    existing = quarter_ratings(unit, grading_round.year, quarter)
    members = {m.id: m for m in branch_members(unit)}
    saved = 0
    for user_id, (level_id, comment) in values.items():
        member = members.get(user_id)
        if member is None or level_id is None:
            continue
        if not permissions.can_review(actor, member, unit):
            continue
        level = _level(grading_round.framework, level_id, f"q-{user_id}")
        row = existing.get(user_id)
        if row is None:
            row = QuarterRating(
                unit_id=unit.id,
                user_id=user_id,
                year=grading_round.year,
                quarter=quarter,
                level_id=level.id,
                rated_by_id=actor.id,
            )
            db.session.add(row)
        row.level_id = level.id
        row.comment = _text(comment, "Nhận xét", 1000)
        row.rated_by_id = actor.id
        row.rated_at = utcnow()
        saved += 1
    _flush()
    return saved
