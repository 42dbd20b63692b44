"""Personal plans, versioned, and their commitments."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import db, utcnow
from app.core.enums import Frequency, PlanStatus, enum_column_type
from app.core.text import shorten
from app.standards.models import Standard
from app.units.models import Unit

if TYPE_CHECKING:
    from app.auth.models import User


class Plan(db.Model):
    """One version of a member's plan for a year in a branch.

    An approved version is locked; a change makes version n+1 (a draft) that needs approval
    again, while version n stays in force and readable. When n+1 is approved, n is superseded.
    """

    __tablename__ = "plans"
    __table_args__ = (
        UniqueConstraint("user_id", "unit_id", "year", "version"),
        Index("ix_plans_unit_year_status", "unit_id", "year", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int]
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[PlanStatus] = mapped_column(enum_column_type(PlanStatus), default=PlanStatus.DRAFT)
    # Own shortcomings to overcome this year (hạn chế, khuyết điểm cần khắc phục).
    shortcomings: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    return_reason: Mapped[str | None] = mapped_column(Text)
    # Optimistic locking: two tabs saving the same draft do not overwrite each other silently.
    lock_version: Mapped[int] = mapped_column(default=1)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    commitments: Mapped[list[Commitment]] = relationship(
        back_populates="plan",
        cascade="all, delete-orphan",
        order_by="Commitment.sort_order",
        lazy="selectin",
    )

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def is_editable(self) -> bool:
        return self.status in (PlanStatus.DRAFT, PlanStatus.RETURNED)

    @property
    def breakthrough(self) -> Commitment | None:
        return next((c for c in self.commitments if c.is_breakthrough), None)


class Commitment(db.Model):
    """A concrete action the member commits to, tied to a standard, with its measure and rhythm."""

    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    # The same commitment across plan versions shares a lineage (the first version's id), so
    # entries written against version 1 still count for it in version 2.
    lineage_id: Mapped[int | None] = mapped_column(index=True)
    standard_id: Mapped[int | None] = mapped_column(ForeignKey("standards.id"))
    is_breakthrough: Mapped[bool] = mapped_column(default=False)
    action: Mapped[str] = mapped_column(Text)
    measure: Mapped[str] = mapped_column(Text, default="")
    frequency: Mapped[Frequency] = mapped_column(enum_column_type(Frequency), default=Frequency.WEEKLY)
    deadline: Mapped[date | None]
    sort_order: Mapped[int] = mapped_column(default=0)

    plan: Mapped[Plan] = relationship(back_populates="commitments")
    standard: Mapped[Standard | None] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        """The commitment in full, on one line (its first line): what forms and documents print."""
        return " ".join((self.action.strip().splitlines() or [""])[0].split())

    @property
    def short_label(self) -> str:
        """At most 80 characters, cut between words (tables, where space is short)."""
        return shorten(self.label, 80)
