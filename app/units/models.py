"""The tree of units and who holds which role in each."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import db, utcnow
from app.core.enums import OrgType, Role, UnitKind, enum_column_type

if TYPE_CHECKING:
    from app.auth.models import User


class Unit(db.Model):
    """An organisation unit: Đoàn Khối, Đoàn cơ sở, Chi đoàn, Đảng bộ, Chi bộ …

    `path` is the materialised path of ids ("/1/4/9/"), so a subtree is one indexed
    prefix query at any size.
    """

    __tablename__ = "units"
    # Prefix searches (LIKE '/1/4/%') use this index on PostgreSQL whatever the collation.
    __table_args__ = (Index("ix_units_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(enum_column_type(UnitKind))
    org_type: Mapped[OrgType] = mapped_column(enum_column_type(OrgType))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), default="/")
    # Where documents are dated ("Sóc Trăng, ngày … tháng … năm …").
    place: Mapped[str | None] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # How many days back a member may date an entry (the unit's own rule; 30 by default).
    backdate_days: Mapped[int] = mapped_column(default=30, server_default="30")
    # Reminders: a member silent for N days is reminded; past the second threshold the
    # secretary is told; a secretary whose review queue is older than M days is reminded.
    remind_after_days: Mapped[int] = mapped_column(default=14, server_default="14")
    escalate_after_days: Mapped[int] = mapped_column(default=30, server_default="30")
    queue_alert_days: Mapped[int] = mapped_column(default=7, server_default="7")

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.name")
    memberships: Mapped[list[Membership]] = relationship(back_populates="unit")

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this unit, this unit included."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def is_within(self, other: Unit) -> bool:
        """Whether this unit is `other` or lies under it."""
        return self.path.startswith(other.path)


class Membership(db.Model):
    """A user's role in a unit; one row per person and unit."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column_type(Role))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    unit: Mapped[Unit] = relationship(back_populates="memberships", lazy="joined")

    @property
    def role_label(self) -> str:
        return self.role.label_for(self.unit.org_type)


class UnitInvitation(db.Model):
    """An invitation for someone who already has an account to take a role in a unit.

    A secretary may add directly only people already in units they manage; anyone else is
    invited, and becomes a member (so that the unit sees their details and their diary may move
    there) only when they accept.
    """

    __tablename__ = "unit_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column_type(Role))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    accepted: Mapped[bool | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    unit: Mapped[Unit] = relationship(lazy="joined")
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    @property
    def is_pending(self) -> bool:
        return self.answered_at is None
