"""The grading round of a branch and year, and the rating row of each member in it."""

from __future__ import annotations

from sqlalchemy import select

from app.audit.services import record
from app.auth.models import User
from app.core import locks
from app.core.collation import people_order, person_key
from app.core.db import db
from app.core.enums import Role, RoundStatus
from app.units.models import Membership, Unit

from ..models import Framework, GradingRound, Rating
from .base import GradingError, _flush


def branch_members(unit: Unit) -> list[User]:
    """People who keep a diary in the branch (members, deputies, secretary), by name."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.unit_id == unit.id, Membership.role != Role.OFFICER, User.is_active.is_(True))
            .order_by(*people_order())
        )
    )


def get_round(unit: Unit, year: int) -> GradingRound | None:
    return db.session.scalar(
        select(GradingRound).where(GradingRound.unit_id == unit.id, GradingRound.year == year)
    )


def open_round(
    actor: User, unit: Unit, year: int, framework: Framework, reconsider_days: int = 10
) -> GradingRound:
    if not unit.kind.is_branch:
        raise GradingError("Chỉ chi đoàn, chi bộ mới tổ chức đánh giá, xếp loại thành viên.")
    locks.ensure(locks.year_lock(unit.id, year))
    if get_round(unit, year) is not None:
        raise GradingError(f"Đợt đánh giá năm {year} đã được mở.")
    if framework.org_type is not unit.org_type:
        raise GradingError("Khung tiêu chí không thuộc tổ chức của đơn vị.", "framework_id")
    if not 1 <= reconsider_days <= 60:
        raise GradingError("Thời hạn đề nghị xem xét lại phải từ 1 đến 60 ngày.", "reconsider_days")
    grading_round = GradingRound(
        unit=unit, year=year, framework=framework, opened_by_id=actor.id, reconsider_days=reconsider_days
    )
    db.session.add(grading_round)
    _flush()
    sync_members(grading_round)
    record(actor, "round.open", grading_round, None, unit, after={"year": year, "framework": framework.name})
    return grading_round


def sync_members(grading_round: GradingRound) -> None:
    """Give every current member of the branch a rating row (members who joined since the round opened)."""
    if not grading_round.status.is_editable:
        return
    have = {r.user_id for r in grading_round.ratings}
    for member in branch_members(grading_round.unit):
        if member.id not in have:
            grading_round.ratings.append(Rating(user=member))
    db.session.flush()


def _require_editable(grading_round: GradingRound) -> None:
    """LockedError when the year is closed or the round ratified; GradingError while it is submitted."""
    locks.ensure(locks.round_lock(grading_round))
    if grading_round.status is RoundStatus.SUBMITTED:
        raise GradingError("Kết quả đang chờ cấp trên công nhận; chờ công nhận hoặc trả lại để sửa.")


def ratings_of(grading_round: GradingRound) -> list[Rating]:
    return sorted(grading_round.ratings, key=lambda r: person_key(r.user))


def member_rating(member: User, unit: Unit, year: int) -> Rating | None:
    return db.session.scalar(
        select(Rating)
        .join(GradingRound)
        .where(Rating.user_id == member.id, GradingRound.unit_id == unit.id, GradingRound.year == year)
    )
