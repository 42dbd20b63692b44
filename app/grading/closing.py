"""Whether a branch's year is closed: asked by the diary, the plans and the review before any change."""

from __future__ import annotations

from sqlalchemy import select

from app.core.db import db

from .models import YearClosure


def year_is_closed(unit_id: int, year: int) -> bool:
    """One indexed lookup on (unit_id, year)."""
    found = db.session.scalar(
        select(YearClosure.id).where(YearClosure.unit_id == unit_id, YearClosure.year == year)
    )
    return found is not None


def closed_message(year: int) -> str:
    return f"Năm {year} đã khóa sổ: nhật ký, kế hoạch và nhận xét của năm này chỉ còn để xem."
