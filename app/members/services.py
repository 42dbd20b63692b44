"""Member workflow: add, invite, change roles, deactivate; the caller commits."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import Select, case, func, select

from app.auth import services as auth_services
from app.auth.models import User
from app.core import permissions
from app.core.collation import people_order
from app.core.db import db, utcnow
from app.core.enums import Role
from app.core.rules import RuleError
from app.core.text import clean_line, fold, nfc
from app.units.models import Membership, Unit, UnitInvitation

ROLE_ORDER = case(
    (Membership.role == Role.SECRETARY, 0),
    (Membership.role == Role.DEPUTY_SECRETARY, 1),
    (Membership.role == Role.MEMBER, 2),
    else_=3,
)


class MemberError(RuleError):
    """A rule about people was broken; the message is for the user, `field` says where."""


def _matches(query: str):
    """A word of the name starts with the text (diacritics ignored: "ha" finds Hà, Hải, not Phạm),
    the username contains it, or the email is exactly it (a typed % or _ is no wildcard). Never a
    part of an email: "hà" would find every "@…ha…" domain."""
    folded = fold(query)
    return (
        User.name_folded.startswith(folded, autoescape=True)
        | User.name_folded.contains(" " + folded, autoescape=True)
        | func.lower(User.username).contains(folded, autoescape=True)
        | (func.lower(User.email) == (nfc(query) or "").strip().lower())  # nfc: no NUL for PostgreSQL
    )


def unit_memberships(unit: Unit, query: str = "") -> Select[tuple[Membership]]:
    """The unit's memberships, secretaries first, then by name; `query` ignores diacritics."""
    stmt = (
        select(Membership)
        .join(User, Membership.user_id == User.id)
        .where(Membership.unit_id == unit.id)
        .order_by(ROLE_ORDER, *people_order())
    )
    folded = fold(query)
    if folded:
        stmt = stmt.where(_matches(query))
    return stmt


def people_query(actor: User, query: str = "", include_inactive: bool = True) -> Select[tuple[User]]:
    """People the actor may see (everyone for admins), by name; `query` ignores diacritics."""
    stmt = select(User).where(permissions.visible_users_condition(actor)).order_by(*people_order())
    folded = fold(query)
    if folded:
        stmt = stmt.where(_matches(query))
    if not include_inactive:
        stmt = stmt.where(User.is_active.is_(True))
    return stmt


_USERNAME_OK = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def username_base(full_name: str) -> str:
    """Vietnamese-style login name: given name plus initials, "Nguyễn Văn An" -> "annv"."""
    parts = re.sub(r"[^a-z0-9 ]", "", fold(full_name)).split()
    if not parts:
        return "user"
    return (parts[-1] + "".join(p[0] for p in parts[:-1]))[:50]


def generate_username(full_name: str, taken: set[str] | None = None) -> str:
    """A free username from the name, numbered when taken ("annv", "annv2", …)."""
    base = username_base(full_name)
    taken = taken or set()
    existing = set(db.session.scalars(select(User.username).where(User.username.like(f"{base}%"))))
    candidate, n = base, 1
    while candidate in existing or candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    return candidate


def normalize_email(email: str | None) -> str | None:
    email = clean_line(email).lower()
    return email or None


def check_email_free(email: str | None, user: User | None = None) -> None:
    if not email:
        return
    other = db.session.scalar(select(User).where(User.email == email))
    if other is not None and other is not user:
        raise MemberError(f"Email {email} đã được dùng cho tài khoản “{other.full_name}”.", "email")


def check_username(username: str, user: User | None = None) -> str:
    username = clean_line(username).lower()
    if not _USERNAME_OK.match(username):
        raise MemberError("Tên đăng nhập gồm 2–64 ký tự: chữ thường không dấu, số và . _ -", "username")
    other = db.session.scalar(select(User).where(User.username == username))
    if other is not None and other is not user:
        raise MemberError(f"Tên đăng nhập {username} đã có người dùng.", "username")
    return username


def add_member(
    actor: User,
    unit: Unit,
    *,
    full_name: str,
    role: Role,
    birth_date: date | None = None,
    email: str | None = None,
    phone: str | None = None,
    position: str | None = None,
    username: str | None = None,
) -> User:
    """Create an account (not yet activated) and give it a role in `unit`."""
    permissions.require(permissions.can_manage_members(actor, unit))
    if not permissions.can_assign_role(actor, unit, role):
        raise MemberError("Bạn không thể giao vai trò này trong đơn vị.", "role")
    email = normalize_email(email)
    check_email_free(email)
    username = check_username(username) if username else generate_username(full_name)
    user = User(
        username=username,
        email=email,
        birth_date=birth_date,
        phone=clean_line(phone) or None,
        position=clean_line(position) or None,
    )
    user.set_name(clean_line(full_name))
    db.session.add(user)
    db.session.add(Membership(user=user, unit=unit, role=role))
    db.session.flush()
    return user


def find_in_scope(actor: User, login: str) -> User | None:
    """The account whose username or email is exactly `login`, if it already has a role in a unit
    the actor manages (or the actor is an administrator); None otherwise, with no hint whether
    such an account exists elsewhere."""
    person = User.find_by_login(login)
    if person is None:
        return None
    visible = db.session.scalar(
        select(User.id).where(User.id == person.id, permissions.visible_users_condition(actor))
    )
    return person if visible is not None else None


def add_existing_member(actor: User, unit: Unit, user: User, role: Role) -> Membership:
    """Give a person who already has an account, inside the actor's own units, a role in `unit` (e.g.
    a đoàn viên of the actor's branch joining a chi bộ). Anyone else is invited (invite_existing)."""
    permissions.require(permissions.can_manage_members(actor, unit))
    if not permissions.can_assign_role(actor, unit, role):
        raise MemberError("Bạn không thể giao vai trò này trong đơn vị.", "role")
    permissions.require(find_in_scope(actor, user.username) is not None)
    if any(m.unit_id == unit.id for m in user.memberships):
        raise MemberError(f"{user.full_name} đã thuộc {unit.name}.", "login")
    membership = Membership(user=user, unit=unit, role=role)
    db.session.add(membership)
    db.session.flush()
    return membership


def invite_existing(actor: User, unit: Unit, login: str, role: Role) -> UnitInvitation | None:
    """Invite the account named `login` (exact username or email) to take `role` in `unit`; they are
    notified and become a member only when they accept. Nothing happens, silently, when there is no
    such active account or it is already in the unit or invited: the actor is told the same either
    way, so the form cannot be used to find out which usernames and emails exist."""
    permissions.require(permissions.can_manage_members(actor, unit))
    if not permissions.can_assign_role(actor, unit, role):
        raise MemberError("Bạn không thể giao vai trò này trong đơn vị.", "role")
    person = User.find_by_login(login)
    if person is None or not person.is_active or person.id == actor.id:
        return None
    if any(m.unit_id == unit.id for m in person.memberships):
        return None
    waiting = db.session.scalar(
        select(UnitInvitation.id).where(
            UnitInvitation.user_id == person.id,
            UnitInvitation.unit_id == unit.id,
            UnitInvitation.answered_at.is_(None),
        )
    )
    if waiting is not None:
        return None
    invitation = UnitInvitation(user_id=person.id, unit_id=unit.id, role=role, invited_by_id=actor.id)
    db.session.add(invitation)
    db.session.flush()
    from app.notifications.services import notify

    notify(
        person,
        "unit_invitation",
        f"{actor.full_name} mời bạn tham gia {unit.name}",
        f"Vai trò: {role.label_for(unit.org_type)}. Bạn chỉ trở thành thành viên của đơn vị khi chấp nhận lời mời.",
        link="/invitations",
    )
    return invitation


def pending_invitations(user: User) -> list[UnitInvitation]:
    """The user's own invitations still waiting for an answer, newest first."""
    return list(
        db.session.scalars(
            select(UnitInvitation)
            .where(UnitInvitation.user_id == user.id, UnitInvitation.answered_at.is_(None))
            .order_by(UnitInvitation.created_at.desc(), UnitInvitation.id.desc())
        )
    )


def get_own_invitation(user: User, invitation_id: int) -> UnitInvitation | None:
    """One of the user's own invitations still waiting; None for anyone else's (a 404 for the view)."""
    return db.session.scalar(
        select(UnitInvitation).where(
            UnitInvitation.id == invitation_id,
            UnitInvitation.user_id == user.id,
            UnitInvitation.answered_at.is_(None),
        )
    )


def answer_invitation(user: User, invitation: UnitInvitation, accept: bool) -> Membership | None:
    """The invited person accepts (a membership is made) or declines; only they may."""
    permissions.require(invitation.user_id == user.id and invitation.is_pending)
    invitation.answered_at = utcnow()
    invitation.accepted = accept
    membership = None
    if accept and not any(m.unit_id == invitation.unit_id for m in user.memberships):
        membership = Membership(user=user, unit=invitation.unit, role=invitation.role)
        db.session.add(membership)
    if invitation.invited_by is not None:
        from app.notifications.services import notify

        answer = "đã chấp nhận" if accept else "đã từ chối"
        notify(
            invitation.invited_by,
            "unit_invitation_answer",
            f"{user.full_name} {answer} lời mời tham gia {invitation.unit.name}",
            link=f"/units/{invitation.unit_id}/members",
        )
    db.session.flush()
    return membership


def change_role(actor: User, membership: Membership, role: Role) -> Membership:
    """Change someone's role in a unit; the actor must be able to give both the old and new role."""
    permissions.require(permissions.can_change_membership(actor, membership))
    if not permissions.can_assign_role(actor, membership.unit, role):
        raise MemberError("Bạn không thể giao vai trò này trong đơn vị.", "role")
    membership.role = role
    db.session.flush()
    return membership


def remove_membership(actor: User, membership: Membership) -> None:
    """Take a person out of a unit; their account and diary stay."""
    permissions.require(permissions.can_change_membership(actor, membership))
    db.session.delete(membership)
    db.session.flush()


def update_profile(
    actor: User,
    user: User,
    *,
    full_name: str,
    birth_date: date | None,
    email: str | None,
    phone: str | None,
    position: str | None,
) -> User:
    """Edit personal details: the person themselves, or whoever manages all their units."""
    permissions.require(actor.id == user.id or permissions.can_manage_user(actor, user))
    email = normalize_email(email)
    check_email_free(email, user)
    user.set_name(clean_line(full_name))
    user.birth_date = birth_date
    user.email = email
    user.phone = clean_line(phone) or None
    user.position = clean_line(position) or None
    db.session.flush()
    return user


def deactivate(actor: User, user: User) -> None:
    """Block the account from logging in and end its sessions; every record of it stays."""
    permissions.require(permissions.can_manage_user(actor, user) and actor.id != user.id)
    user.is_active = False
    user.deactivated_at = utcnow()
    user.session_version += 1
    db.session.flush()


def reactivate(actor: User, user: User) -> None:
    permissions.require(permissions.can_manage_user(actor, user))
    user.is_active = True
    user.deactivated_at = None
    db.session.flush()


def invite(actor: User, user: User) -> tuple[bool, str]:
    """Send (or send again) the activation link; returns (emailed, link) so it can be passed on by hand."""
    permissions.require(permissions.can_manage_user(actor, user))
    if user.is_activated:
        raise MemberError(f"{user.full_name} đã kích hoạt tài khoản.")
    if not user.is_active:
        raise MemberError("Tài khoản đang bị khóa; hãy mở khóa trước khi mời.")
    emailed = auth_services.send_invitation(user, actor)
    return emailed, auth_services.invitation_link(user)
