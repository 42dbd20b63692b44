"""Sending the result up, ratification (công nhận) by the unit above, returning and reopening it, and
the member's answer to a ratified result (acknowledge, or ask for reconsideration)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.audit.services import record
from app.auth.models import User
from app.core import locks, permissions
from app.core.db import db, utcnow
from app.core.enums import Role, RoundStatus
from app.core.filters import to_local, today_local, vn_date
from app.units.models import Unit

from ..models import GradingRound, Rating, RoundReopening
from .base import REASON_MAX, GradingError, _check_version, _flush, _text
from .notify import _notify, _notify_ratifiers, _notify_secretaries
from .readiness import GoAhead, _confirm_gaps


def submit_round(actor: User, grading_round: GradingRound, go_ahead: GoAhead | None = None) -> None:
    """Send the meeting's result up. Every member needs an agreed level; anything else missing needs
    `go_ahead` (a confirmation with a reason)."""
    if not permissions.can_run_grading(actor, grading_round.unit):
        raise GradingError("Bạn không gửi kết quả của đơn vị này được.")
    locks.ensure(locks.round_lock(grading_round))
    if grading_round.status not in (RoundStatus.MEETING_HELD, RoundStatus.RETURNED):
        raise GradingError("Chỉ gửi cấp trên sau khi đã họp xét và ghi kết quả.")
    missing = [r.user.full_name for r in grading_round.ratings if r.final_level is None]
    if missing:
        raise GradingError("Chưa có mức xếp loại của: " + ", ".join(missing) + ".")
    _confirm_gaps(actor, grading_round, "submit", go_ahead)
    grading_round.status = RoundStatus.SUBMITTED
    grading_round.submitted_at = utcnow()
    _flush()
    record(actor, "round.submit", grading_round, None, grading_round.unit, after={"year": grading_round.year})
    _notify_ratifiers(grading_round, actor)


def ratify_round(
    actor: User,
    grading_round: GradingRound,
    lock_version: int | None = None,
    go_ahead: GoAhead | None = None,
) -> None:
    """Công nhận: the unit above locks the result, on behalf of the nearest unit the officer serves."""
    if not permissions.can_ratify(actor, grading_round.unit):
        raise GradingError("Chỉ cấp trên trực tiếp công nhận kết quả được.")
    locks.ensure(locks.round_lock(grading_round))
    _check_version(grading_round, lock_version)
    if grading_round.status is not RoundStatus.SUBMITTED:
        raise GradingError("Kết quả chưa được gửi lên để công nhận.")
    _confirm_gaps(actor, grading_round, "ratify", go_ahead)
    grading_round.status = RoundStatus.RATIFIED
    grading_round.ratified_at = utcnow()
    grading_round.ratified_by_id = actor.id
    grading_round.ratified_unit = ratifying_unit_of(actor, grading_round.unit)
    _flush()
    record(actor, "round.ratify", grading_round, None, grading_round.unit, after={"year": grading_round.year})
    _notify_members(grading_round, actor)


def ratifying_unit_of(officer: User, branch: Unit) -> Unit | None:
    """The nearest unit above the branch of which the user is an officer: who ratifies, by name."""
    if branch.parent is None:
        return None
    path = branch.parent.path
    units = [m.unit for m in officer.memberships if m.role is Role.OFFICER and path.startswith(m.unit.path)]
    return max(units, key=lambda u: len(u.path), default=None)


def ratified_by_unit(grading_round: GradingRound) -> Unit | None:
    """The unit that ratified the round (for rounds ratified before it was stored: the officer's)."""
    if grading_round.ratified_at is None:
        return None
    if grading_round.ratified_unit is not None:
        return grading_round.ratified_unit
    if grading_round.ratified_by is not None:
        found = ratifying_unit_of(grading_round.ratified_by, grading_round.unit)
        if found is not None:
            return found
    return grading_round.unit.parent


def return_round(
    actor: User, grading_round: GradingRound, reason: str, lock_version: int | None = None
) -> None:
    if not permissions.can_ratify(actor, grading_round.unit):
        raise GradingError("Chỉ cấp trên trực tiếp trả lại kết quả được.")
    locks.ensure(locks.round_lock(grading_round))
    _check_version(grading_round, lock_version)
    if grading_round.status is not RoundStatus.SUBMITTED:
        raise GradingError("Kết quả chưa được gửi lên để công nhận.")
    reason = _text(reason, "Lý do", REASON_MAX, "reason")
    if not reason:
        raise GradingError("Vui lòng ghi lý do trả lại.", "reason")
    grading_round.status = RoundStatus.RETURNED
    grading_round.returned_at = utcnow()
    grading_round.return_reason = reason
    _flush()
    record(
        actor,
        "round.return",
        grading_round,
        None,
        grading_round.unit,
        after={"year": grading_round.year},
        reason=reason,
    )
    _notify_secretaries(
        grading_round, actor, f"Cấp trên trả lại kết quả xếp loại năm {grading_round.year}: {reason}"
    )


def reopen_round(actor: User, grading_round: GradingRound, reason: str) -> RoundReopening:
    """The only road to change a ratified result: the unit above reopens it, with a written reason."""
    if not permissions.can_ratify(actor, grading_round.unit):
        raise GradingError("Chỉ cấp trên trực tiếp mở lại kết quả đã công nhận được.")
    if grading_round.status is not RoundStatus.RATIFIED:
        raise GradingError("Chỉ mở lại kết quả đã được công nhận.")
    locks.ensure(locks.year_lock(grading_round.unit_id, grading_round.year), field="reason")
    reason = _text(reason, "Lý do", REASON_MAX, "reason")
    if not reason:
        raise GradingError("Vui lòng ghi lý do mở lại.", "reason")
    reopening = RoundReopening(round_id=grading_round.id, reopened_by_id=actor.id, reason=reason)
    db.session.add(reopening)
    grading_round.status = RoundStatus.RETURNED
    grading_round.return_reason = f"Mở lại sau công nhận: {reason}"
    grading_round.returned_at = utcnow()
    grading_round.ratified_at = None
    grading_round.ratified_by_id = None
    grading_round.ratified_unit_id = None
    _flush()
    record(
        actor,
        "round.reopen",
        grading_round,
        None,
        grading_round.unit,
        after={"year": grading_round.year},
        reason=reason,
    )
    _notify_secretaries(
        grading_round, actor, f"Kết quả xếp loại năm {grading_round.year} được mở lại: {reason}"
    )
    return reopening


def reopenings(grading_round: GradingRound) -> list[RoundReopening]:
    return list(
        db.session.scalars(
            select(RoundReopening)
            .where(RoundReopening.round_id == grading_round.id)
            .order_by(RoundReopening.id)
        )
    )


# ---- the member's answer ------------------------------------------------------------------------


def reconsider_deadline(grading_round: GradingRound) -> date | None:
    if grading_round.ratified_at is None:
        return None
    return to_local(grading_round.ratified_at).date() + timedelta(days=grading_round.reconsider_days)


def can_answer_result(user: User, rating: Rating, today: date | None = None) -> bool:
    deadline = reconsider_deadline(rating.round)
    return (
        user.id == rating.user_id
        and rating.round.status is RoundStatus.RATIFIED
        and deadline is not None
        and (today or today_local()) <= deadline
        and rating.acknowledged_at is None
        and rating.reconsideration_at is None
    )


def acknowledge(actor: User, rating: Rating) -> None:
    locks.ensure(locks.year_lock(rating.round.unit_id, rating.round.year))
    if not can_answer_result(actor, rating):
        raise GradingError(
            "Không ghi nhận được: kết quả chưa được công nhận, đã quá hạn, hoặc bạn đã trả lời."
        )
    rating.acknowledged_at = utcnow()
    _flush()
    record(actor, "rating.ack", rating, rating.user, rating.round.unit, after={"year": rating.round.year})


def request_reconsideration(actor: User, rating: Rating, reason: str) -> None:
    locks.ensure(locks.year_lock(rating.round.unit_id, rating.round.year), field="reason")
    if not can_answer_result(actor, rating):
        raise GradingError("Không gửi được: kết quả chưa được công nhận, đã quá hạn, hoặc bạn đã trả lời.")
    reason = _text(reason, "Lý do", REASON_MAX, "reason")
    if len(reason) < 10:
        raise GradingError("Vui lòng nêu rõ lý do đề nghị xem xét lại (ít nhất 10 ký tự).", "reason")
    rating.reconsideration_reason = reason
    rating.reconsideration_at = utcnow()
    _flush()
    record(
        actor,
        "rating.reconsider",
        rating,
        rating.user,
        rating.round.unit,
        after={"year": rating.round.year},
        reason=reason,
    )
    _notify_ratifiers(
        rating.round, actor, f"{actor.full_name} đề nghị xem xét lại kết quả xếp loại: {reason}"
    )


def answer_reconsideration(actor: User, rating: Rating, answer: str) -> None:
    if not permissions.can_ratify(actor, rating.round.unit):
        raise GradingError("Chỉ cấp trên trả lời đề nghị xem xét lại được.")
    # A ratified round still takes the answer (its own lock is not asked), a closed year does not.
    locks.ensure(locks.year_lock(rating.round.unit_id, rating.round.year), field="answer")
    if rating.reconsideration_at is None or rating.reconsideration_answered_at is not None:
        raise GradingError("Không có đề nghị nào đang chờ trả lời.")
    answer = _text(answer, "Trả lời", REASON_MAX, "answer")
    if not answer:
        raise GradingError("Vui lòng viết câu trả lời.", "answer")
    rating.reconsideration_answer = answer
    rating.reconsideration_answered_at = utcnow()
    rating.reconsideration_answered_by_id = actor.id
    _flush()
    record(
        actor,
        "rating.answer",
        rating,
        rating.user,
        rating.round.unit,
        after={"year": rating.round.year},
        reason=answer,
    )
    _notify(
        rating.user,
        actor,
        rating.round,
        f"Cấp trên đã trả lời đề nghị xem xét lại: {answer}",
        f"/grading/{rating.round.unit_id}/{rating.round.year}/me",
    )


def _notify_members(grading_round: GradingRound, actor: User) -> None:
    deadline = reconsider_deadline(grading_round)
    for rating in grading_round.ratings:
        level = rating.final_level.name if rating.final_level else ""
        _notify(
            rating.user,
            actor,
            grading_round,
            f"Kết quả xếp loại năm {grading_round.year} đã được công nhận: {level}. "
            f"Bạn có thể ghi nhận hoặc đề nghị xem xét lại đến hết ngày {vn_date(deadline)}.",
            f"/grading/{grading_round.unit_id}/{grading_round.year}/me",
        )
