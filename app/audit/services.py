"""Writing the audit log, reading it back in the scopes the rules allow, and saying it in Vietnamese.

Who reads what (DESIGN.md §2, issue 4): a member reads the rows about their own record; officers
of a unit (and administrators) read the rows of every branch under it. Rows are written by the
review services in the same transaction as the action they describe.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core import permissions
from app.core.db import db
from app.core.enums import EntryStatus
from app.units.models import Unit

from .models import AuditLog

PAGE_SIZE = 30

# Object types by table, so a row names what it is about without importing every model here.
_OBJECT_TYPES = {"entries": "entry", "month_reviews": "month_review", "plans": "plan"}


def _json(value: dict[str, Any] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(
    actor: User | None,
    action: str,
    obj: Any,
    subject_user: User | None,
    unit: Unit | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditLog:
    """Add one audit row for `action` done by `actor` on `obj` (flushed; the caller commits).

    `before` and `after` are small JSON-able dicts: the fields the action changed, plus what
    the Vietnamese description needs (the entry's date, the month), so reading the log needs
    no further queries.
    """
    table = getattr(obj, "__tablename__", None)
    row = AuditLog(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=_OBJECT_TYPES.get(table, table or "unknown"),
        object_id=getattr(obj, "id", None),
        subject_user_id=subject_user.id if subject_user is not None else None,
        unit_id=unit.id if unit is not None else None,
        before=_json(before),
        after=_json(after),
        reason=reason,
    )
    db.session.add(row)
    db.session.flush()
    return row


# ---- who reads what -----------------------------------------------------------------------------


def can_read_unit_log(user: User, unit: Unit) -> bool:
    """The log of a unit's subtree: officers of the unit or above, and administrators."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_admin or permissions.is_officer_over(user, unit)


def subject_log(user: User) -> Select[tuple[AuditLog]]:
    """Rows about the user's own record (their entries, their months)."""
    return select(AuditLog).where(AuditLog.subject_user_id == user.id)


def unit_log(unit: Unit) -> Select[tuple[AuditLog]]:
    """Rows about the records of the unit and every unit under it (one indexed prefix query)."""
    subtree = select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))
    return select(AuditLog).where(AuditLog.unit_id.in_(subtree))


def page(query: Select[tuple[AuditLog]], before_id: int | None, size: int = PAGE_SIZE):
    """Newest first, `size` rows older than the row `before_id` (keyset pagination)."""
    query = query.options(selectinload(AuditLog.subject)).order_by(
        AuditLog.created_at.desc(), AuditLog.id.desc()
    )
    if before_id:
        anchor = db.session.get(AuditLog, before_id)
        if anchor is not None:
            query = query.where(
                or_(
                    AuditLog.created_at < anchor.created_at,
                    and_(AuditLog.created_at == anchor.created_at, AuditLog.id < anchor.id),
                )
            )
    rows = list(db.session.scalars(query.limit(size + 1)))
    return [describe(r) for r in rows[:size]], len(rows) > size


# ---- saying it in Vietnamese ----------------------------------------------------------------------


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class AuditItem:
    """An audit row as people read it."""

    row: AuditLog
    text: str
    changes: list[Change]

    @property
    def reason(self) -> str | None:
        return self.row.reason


def _load(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _day(value: Any) -> str:
    try:
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return "?"


def _status(value: Any) -> str:
    try:
        return EntryStatus(value).label
    except ValueError:
        return str(value or "")


def _level(facts: dict[str, Any]) -> str:
    level = facts.get("level") or ""
    score = facts.get("score")
    return f"{level} ({str(score).replace('.', ',')} điểm)" if level and score else level


def describe(row: AuditLog) -> AuditItem:
    """ "nhận xét bài ngày 08/05/2026", "ký xác nhận tháng 5/2026", … with what changed."""
    before, after = _load(row.before), _load(row.after)
    info = after or before
    entry = f"bài ngày {_day(info.get('deed_date'))}"
    period = f"tháng {info.get('month', '?')}/{info.get('year', '?')}"
    own = row.actor_id is not None and row.actor_id == row.subject_user_id
    texts = {
        "entry.comment": f"{'trả lời nhận xét' if own else 'nhận xét'} {entry}",
        "entry.reviewed": f"đánh dấu đã xem {entry}",
        "entry.revision": f"yêu cầu bổ sung {entry}",
        "entry.exemplary": f"biểu dương {entry}",
        "entry.unexemplary": f"bỏ biểu dương {entry}",
        "month.comment": f"nhận xét {period}",
        "month.sign": f"ký xác nhận {period}",
        "month.reopen": f"mở lại {period}",
        "rating.self": f"{'gửi' if info.get('submitted') else 'lưu'} bản tự đánh giá năm {info.get('year', '?')}",
        "rating.propose": f"đề xuất xếp loại năm {info.get('year', '?')}",
        "rating.final": f"ghi kết quả họp xét phân loại năm {info.get('year', '?')}",
        "rating.ack": f"ghi nhận kết quả xếp loại năm {info.get('year', '?')}",
        "rating.reconsider": f"đề nghị xem xét lại kết quả xếp loại năm {info.get('year', '?')}",
        "rating.answer": f"trả lời đề nghị xem xét lại kết quả năm {info.get('year', '?')}",
        "round.open": f"mở đợt đánh giá, xếp loại năm {info.get('year', '?')}",
        "round.submit": f"gửi cấp trên công nhận kết quả xếp loại năm {info.get('year', '?')}",
        "round.ratify": f"công nhận kết quả xếp loại năm {info.get('year', '?')}",
        "round.return": f"trả lại kết quả xếp loại năm {info.get('year', '?')}",
        "round.reopen": f"mở lại kết quả xếp loại năm {info.get('year', '?')} đã công nhận",
        "round.go_ahead": (
            f"xác nhận vẫn {info.get('step', 'tiếp tục')} năm {info.get('year', '?')} khi còn thiếu"
        ),
        "year.close": f"khóa sổ năm {info.get('year', '?')}",
        "year.reopen": f"mở lại năm {info.get('year', '?')} đã khóa sổ",
        "framework.copy": "tạo khung tiêu chí đánh giá của đơn vị",
        "framework.edit": "sửa khung tiêu chí đánh giá",
        "framework.criterion": "sửa tiêu chí đánh giá",
    }
    text = texts.get(row.action, row.action)
    changes: list[Change] = []
    if "status" in before or "status" in after:
        changes.append(Change("Trạng thái", _status(before.get("status")), _status(after.get("status"))))
    if row.action == "entry.comment":
        changes.append(Change("Nội dung", "", after.get("body", "")))
    if row.action == "entry.exemplary" and after.get("note"):
        changes.append(Change("Ghi chú", "", after["note"]))
    if row.action == "month.comment":
        changes.append(Change("Nhận xét tháng", before.get("comment", ""), after.get("comment", "")))
    if row.action == "month.sign":
        changes.append(Change("Mã SHA-256", "", after.get("content_hash", "")))
    rating_changed = before.get("level") != after.get("level") or before.get("score") != after.get("score")
    if row.action in ("rating.self", "rating.propose", "rating.final") and rating_changed:
        changes.append(Change("Mức xếp loại", _level(before), _level(after)))
    if row.action == "round.go_ahead":
        changes.append(Change("Còn thiếu", "", " ".join(after.get("missing", []))))
    if row.action == "month.reopen":
        changes.append(Change("Mã SHA-256 đã ký", before.get("content_hash", ""), ""))
    return AuditItem(row, text, changes)
