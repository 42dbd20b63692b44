"""The grading meeting (họp xét phân loại): attendance, votes, agreed levels and the facts the minutes print."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from app.audit.services import record
from app.auth.models import User
from app.core import permissions
from app.core.db import utcnow
from app.core.enums import RoundStatus
from app.core.filters import today_local
from app.core.text import clean_line

from ..models import Criterion, Framework, FrameworkLevel, GradingRound, Rating
from .assessment import _level, _points, _rating_facts
from .base import REASON_MAX, TEXT_MAX, GradingError, _check_version, _flush, _text
from .readiness import GoAhead, _confirm_gaps
from .rounds import _require_editable


@dataclass
class MeetingLine:
    rating_id: int
    present: bool
    absence_reason: str
    votes_agree: int | None
    votes_total: int | None
    level_id: int | None
    score: str | None


def meeting_lock_message(grading_round: GradingRound) -> str | None:
    """Why the meeting's result cannot be changed now (ratified, waiting, year closed), or None."""
    try:
        _require_editable(grading_round)
    except GradingError as exc:
        return exc.message
    return None


def record_meeting(
    actor: User,
    grading_round: GradingRound,
    meeting_date: date | None,
    place: str,
    chair: str,
    recorder: str,
    notes: str,
    lines: list[MeetingLine],
    change_reason: str,
    lock_version: int | None,
    *,
    minutes_number: str = "",
    start: time | None = None,
    end: time | None = None,
    go_ahead: GoAhead | None = None,
) -> GradingRound:
    """Record attendance, votes and agreed levels, and the facts the minutes print.

    Missing self-assessments, proposals, plans or diaries do not block the meeting: they need
    `go_ahead`, a confirmation with a reason (see `readiness`)."""
    _require_editable(grading_round)
    if not permissions.can_run_grading(actor, grading_round.unit):
        raise GradingError("Bạn không ghi kết quả họp của đơn vị này được.")
    _check_version(grading_round, lock_version)
    chair, recorder = _check_facts(grading_round, meeting_date, chair, recorder, start, end)
    change_reason = _text(change_reason, "Lý do thay đổi", REASON_MAX, "change_reason")
    changed = _apply_lines(grading_round, lines)
    _require_change_reason(changed, change_reason)
    _confirm_gaps(actor, grading_round, "meeting", go_ahead)
    grading_round.meeting_date = meeting_date
    grading_round.meeting_start = start
    grading_round.meeting_end = end
    grading_round.minutes_number = clean_line(minutes_number or "")[:40]
    grading_round.meeting_place = clean_line(place or "")[:200]
    grading_round.chair_name = chair
    grading_round.recorder_name = recorder
    grading_round.meeting_notes = _text(notes, "Ý kiến thảo luận", TEXT_MAX, "meeting_notes")
    grading_round.meeting_recorded_at = utcnow()
    if grading_round.status is RoundStatus.OPEN:
        grading_round.status = RoundStatus.MEETING_HELD
    _flush()
    for rating, before, after in changed:
        record(
            actor,
            "rating.final",
            rating,
            rating.user,
            grading_round.unit,
            before=before,
            after=after,
            reason=change_reason or "Kết quả họp xét phân loại",
        )
    return grading_round


def _check_facts(
    grading_round: GradingRound,
    meeting_date: date | None,
    chair: str,
    recorder: str,
    start: time | None,
    end: time | None,
) -> tuple[str, str]:
    """The meeting's date, chair, recorder and hours as the minutes need them; (chair, recorder) cleaned."""
    if meeting_date is None:
        raise GradingError("Vui lòng nhập ngày họp.", "meeting_date")
    if meeting_date.year not in (grading_round.year, grading_round.year + 1) or meeting_date > today_local():
        raise GradingError(
            f"Ngày họp phải trong năm {grading_round.year} hoặc đầu năm sau, và không ở tương lai.",
            "meeting_date",
        )
    chair = clean_line(chair or "")[:120]
    recorder = clean_line(recorder or "")[:120]
    if not chair:
        raise GradingError("Vui lòng nhập người chủ trì.", "chair_name")
    if not recorder:
        raise GradingError("Vui lòng nhập thư ký cuộc họp.", "recorder_name")
    if start is not None and end is not None and end <= start:
        raise GradingError("Giờ kết thúc phải sau giờ bắt đầu.", "meeting_end")
    return chair, recorder


Change = tuple[Rating, dict, dict]  # a rating whose agreed result changed: (rating, before, after)


def _apply_lines(grading_round: GradingRound, lines: list[MeetingLine]) -> list[Change]:
    """Store each member's attendance, votes and agreed level; the ratings whose result changed."""
    by_id = {r.id: r for r in grading_round.ratings}
    present_total = sum(1 for line in lines if line.present)
    changed: list[Change] = []
    for line in lines:
        rating = by_id.get(line.rating_id)
        if rating is None:
            continue
        level, score = _agreed(grading_round.framework, rating, line)
        _check_votes(rating, line, present_total)
        before = _rating_facts(rating, "final")
        rating.present = line.present
        rating.absence_reason = "" if line.present else clean_line(line.absence_reason or "")[:200]
        rating.votes_agree = line.votes_agree
        rating.votes_total = line.votes_total
        rating.final_level = level
        rating.final_score = score
        after = _rating_facts(rating, "final")
        if before != after:
            changed.append((rating, before, after))
    return changed


def _agreed(framework: Framework, rating: Rating, line: MeetingLine) -> tuple[FrameworkLevel, Decimal | None]:
    """The level (and, by points, the score) the meeting agreed for one member; required."""
    field_name = f"level-{rating.id}"
    if framework.is_points:
        score = _points(line.score, Criterion(max_points=framework.max_points), field_name)
        level = framework.level_for_score(score)
    else:
        score = None
        level = _level(framework, line.level_id, field_name)
    if level is None:
        raise GradingError(
            f"Vui lòng ghi mức xếp loại đã thống nhất cho {rating.user.full_name}.", field_name
        )
    return level, score


def _check_votes(rating: Rating, line: MeetingLine, present_total: int) -> None:
    """In favour within 0..voting, and no more voting than present."""
    if line.votes_total is None or line.votes_agree is None:
        return
    if line.votes_agree > line.votes_total or line.votes_agree < 0:
        raise GradingError(
            f"Số phiếu tán thành của {rating.user.full_name} không hợp lệ.", f"votes-{rating.id}"
        )
    if line.votes_total > present_total:
        raise GradingError(
            f"Số người biểu quyết ({line.votes_total}) nhiều hơn số có mặt ({present_total}).",
            f"votes-{rating.id}",
        )


def _require_change_reason(changed: list[Change], change_reason: str) -> None:
    """A result recorded before and changed now needs the reason written."""
    revised = [rating for rating, before, _ in changed if before["level"] is not None]
    if revised and not change_reason:
        names = ", ".join(r.user.full_name for r in revised)
        raise GradingError(
            f"Kết quả của {names} thay đổi so với lần ghi trước: vui lòng ghi lý do.", "change_reason"
        )
