"""Standards a unit sets for a year (they apply to every unit under it) and its annual theme."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import db, utcnow
from app.core.enums import ContentGroup, enum_column_type
from app.units.models import Unit


class Standard(db.Model):
    """A chuẩn mực đạo đức of a unit for a year, in one of the five content groups."""

    __tablename__ = "standards"
    __table_args__ = (Index("ix_standards_unit_year", "unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int]
    group: Mapped[ContentGroup] = mapped_column(enum_column_type(ContentGroup))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # The shipped catalogue it was adopted from ("can-kiem-liem-chinh", …), if any.
    catalogue: Mapped[str | None] = mapped_column(String(40))
    sort_order: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")


class AnnualTheme(db.Model):
    """The unit's chuyên đề năm: the year's theme for studying and following Hồ Chí Minh."""

    __tablename__ = "annual_themes"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")
