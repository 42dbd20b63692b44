"""User accounts."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, select, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.collation import SORT_KEY_TYPE, name_sort_key
from app.core.db import db, utcnow
from app.core.text import fold

if TYPE_CHECKING:
    from app.units.models import Membership


class User(UserMixin, db.Model):
    """A person: member, secretary, officer or administrator (roles live in memberships)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    # Lowercase without diacritics, so "nguyen van an" finds "Nguyễn Văn An".
    name_folded: Mapped[str] = mapped_column(String(120), index=True, default="")
    # Vietnamese order (given name first, ICU's Vietnamese collation): app.core.collation.
    name_sort_key: Mapped[str] = mapped_column(SORT_KEY_TYPE, index=True, default="", server_default="")
    birth_date: Mapped[date | None]
    phone: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[str | None] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    # Deactivated accounts cannot log in; their data stays.
    is_active: Mapped[bool] = mapped_column(default=True)
    # Part of the login id: raising it ends every session and every emailed link of the user.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    deactivated_at: Mapped[datetime | None]
    # Notifications also by email (when SMTP is set up), or in the app only.
    notify_by_email: Mapped[bool] = mapped_column(default=True, server_default=true())

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    def set_name(self, full_name: str) -> None:
        self.full_name = full_name
        self.name_folded = fold(full_name)
        self.name_sort_key = name_sort_key(full_name)

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    @property
    def is_activated(self) -> bool:
        """Whether the person has set a password (accepted the invitation)."""
        return self.password_hash is not None

    @property
    def display_role(self) -> str:
        if self.is_admin:
            return "Quản trị hệ thống"
        if self.memberships:
            m = self.memberships[0]
            return f"{m.role_label} – {m.unit.name}"
        return ""

    @staticmethod
    def find_by_login(login: str) -> User | None:
        """The user whose username or email is `login` (case-insensitive)."""
        login = (login or "").strip().lower()
        if not login:
            return None
        column = User.email if "@" in login else User.username
        return db.session.scalar(select(User).where(column == login))


class LoginFailure(db.Model):
    """A failed sign-in: counted by the login throttle, and shown to the account's owner."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The account whose username or email was typed; None when no account has that name.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(45), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (
        Index("ix_login_failures_user_id_at", "user_id", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )
