"""Whether a branch's year is closed: kept for existing callers; the answer is app.core.locks'."""

from __future__ import annotations

from app.core.locks import is_year_closed


def year_is_closed(unit_id: int, year: int) -> bool:
    """One indexed lookup on (unit_id, year) (app.core.locks.year_lock)."""
    return is_year_closed(unit_id, year)


def closed_message(year: int) -> str:
    return f"Năm {year} đã khóa sổ: nhật ký, kế hoạch và nhận xét của năm này chỉ còn để xem."
