"""Closing a branch's year (khóa sổ) after its result is ratified, and reopening it (the level above)."""

from __future__ import annotations

from sqlalchemy import select

from app.audit.services import record
from app.auth.models import User
from app.core import locks, permissions
from app.core.db import db
from app.core.enums import RoundStatus
from app.units.models import Unit

from ..models import YearClosure
from .base import REASON_MAX, GradingError, _flush, _text
from .notify import _notify_secretaries
from .rounds import get_round


def close_year(actor: User, unit: Unit, year: int) -> YearClosure:
    """Freeze the branch's year and prepare the next: standards carried over, plans offered as drafts."""
    if not permissions.can_close_year(actor, unit):
        raise GradingError("Bạn không khóa sổ đơn vị này được.")
    locks.ensure(locks.year_lock(unit.id, year))
    grading_round = get_round(unit, year)
    if grading_round is None or grading_round.status is not RoundStatus.RATIFIED:
        raise GradingError("Chỉ khóa sổ sau khi kết quả xếp loại năm đã được cấp trên công nhận.")
    pending = [
        r.user.full_name
        for r in grading_round.ratings
        if r.reconsideration_at is not None and r.reconsideration_answered_at is None
    ]
    if pending:
        raise GradingError("Còn đề nghị xem xét lại chưa được trả lời: " + ", ".join(pending) + ".")
    closure = YearClosure(unit_id=unit.id, year=year, closed_by_id=actor.id)
    db.session.add(closure)
    from app.standards.services import carry_over_standards

    carried = carry_over_standards(actor, unit, year, year + 1)
    _flush()
    record(actor, "year.close", closure, None, unit, after={"year": year, "standards_carried": carried})
    return closure


def reopen_year(actor: User, unit: Unit, year: int, reason: str) -> None:
    """Open a closed year again, with a written reason in the audit log (the upper level's act).

    The closure row goes (locks read the records, so everything of the year is writable again);
    the audit row keeps who closed it, when, who reopened it and why. Documents made while it was
    closed then check as "changed since" if anything is changed afterwards."""
    permissions.require(permissions.can_reopen_year(actor, unit))
    closure = year_closure(unit, year)
    if closure is None:
        raise GradingError(f"Năm {year} chưa khóa sổ.")
    reason = _text(reason, "Lý do", REASON_MAX, "reason")
    if len(reason) < 5:
        raise GradingError("Vui lòng ghi rõ lý do mở lại năm đã khóa sổ.", "reason")
    before = {
        "year": year,
        "closed_at": closure.closed_at.isoformat() if closure.closed_at else None,
        "closed_by_id": closure.closed_by_id,
    }
    db.session.delete(closure)
    _flush()
    record(actor, "year.reopen", unit, None, unit, before=before, after={"year": year}, reason=reason)
    grading_round = get_round(unit, year)
    if grading_round is not None:
        _notify_secretaries(grading_round, actor, f"Năm {year} được mở lại sau khi khóa sổ: {reason}")


def year_closure(unit: Unit, year: int) -> YearClosure | None:
    return db.session.scalar(
        select(YearClosure).where(YearClosure.unit_id == unit.id, YearClosure.year == year)
    )
