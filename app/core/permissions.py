"""Who may do what: the one place views, templates and queries ask.

Rules, from DESIGN.md §2:
- an administrator may do everything;
- an officer (cán bộ cấp trên) of a unit acts on that unit and everything under it;
- a secretary or deputy secretary manages the members of their own unit;
- a member sees their own unit.
Objects are loaded through the scoped queries here, so something a user may not see is a 404,
not a hint that it exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import abort
from sqlalchemy import Select, false, or_, select

from app.core.db import db
from app.core.enums import Role
from app.units.models import Membership, Unit

if TYPE_CHECKING:
    from app.auth.models import User


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def officer_paths(user: User) -> list[str]:
    """Paths of the units the user is an officer of (each covers its subtree)."""
    return [m.unit.path for m in user.memberships if m.role is Role.OFFICER]


def managed_unit_ids(user: User) -> list[int]:
    """Units whose members the user manages as secretary or deputy secretary."""
    return [m.unit_id for m in user.memberships if m.role.manages_branch]


def role_in(user: User, unit: Unit) -> Role | None:
    """The user's own role in exactly this unit, if any."""
    for m in user.memberships:
        if m.unit_id == unit.id:
            return m.role
    return None


def is_officer_over(user: User, unit: Unit) -> bool:
    """Whether the user is an officer of the unit or of one above it."""
    return any(unit.path.startswith(p) for p in officer_paths(user))


def can_view_unit(user: User, unit: Unit) -> bool:
    """Admins, officers above, and anyone holding a role in the unit."""
    if not _authenticated(user):
        return False
    return user.is_admin or role_in(user, unit) is not None or is_officer_over(user, unit)


def can_manage_members(user: User, unit: Unit) -> bool:
    """Add members, send invitations, import lists: admins, officers above, the unit's secretaries."""
    if not _authenticated(user):
        return False
    if user.is_admin or is_officer_over(user, unit):
        return True
    role = role_in(user, unit)
    return role is not None and role.manages_branch


def can_edit_structure(user: User, unit: Unit) -> bool:
    """Rename a unit or create units under it: admins and officers of it or above."""
    return _authenticated(user) and (user.is_admin or is_officer_over(user, unit))


def can_move_unit(user: User, unit: Unit) -> bool:
    """Moving a unit to another parent changes who oversees it: administrators only."""
    return _authenticated(user) and user.is_admin and unit.parent_id is not None


def assignable_roles(user: User, unit: Unit) -> list[Role]:
    """The roles the user may give someone in this unit."""
    if not _authenticated(user):
        return []
    if user.is_admin or is_officer_over(user, unit):
        return list(Role)
    role = role_in(user, unit)
    if role is Role.SECRETARY:
        return [Role.MEMBER, Role.DEPUTY_SECRETARY]
    if role is Role.DEPUTY_SECRETARY:
        return [Role.MEMBER]
    return []


def can_assign_role(user: User, unit: Unit, role: Role) -> bool:
    return role in assignable_roles(user, unit)


def can_change_membership(actor: User, membership: Membership) -> bool:
    """Change or end someone's role: the actor must be able to give that role in that unit."""
    if membership.user_id == actor.id and not actor.is_admin:
        return False  # nobody promotes, demotes or removes themselves
    return can_assign_role(actor, membership.unit, membership.role)


def can_manage_user(actor: User, user: User) -> bool:
    """Edit someone's details, resend their invitation, deactivate or reactivate the account.

    Admins may for anyone but themselves (deactivating); others only for people all of whose
    units they manage, and never for an administrator.
    """
    if not _authenticated(actor):
        return False
    if actor.is_admin:
        return True
    if user.is_admin or user.id == actor.id or not user.memberships:
        return False
    return all(can_manage_members(actor, m.unit) for m in user.memberships) and all(
        can_change_membership(actor, m) for m in user.memberships
    )


def can_view_user(actor: User, user: User) -> bool:
    """See a person's details: themselves, and whoever manages one of their units."""
    if not _authenticated(actor):
        return False
    if actor.is_admin or actor.id == user.id:
        return True
    return any(can_manage_members(actor, m.unit) for m in user.memberships)


def can_administer(user: User) -> bool:
    """System pages (all accounts, the outbox): administrators only."""
    return _authenticated(user) and user.is_admin


# ---- the diary: standards, plans, entries -------------------------------------------------------


def diary_memberships(user: User) -> list[Membership]:
    """The branches (chi đoàn, chi bộ) where the user keeps a diary, Đoàn before Đảng, oldest first:
    the first is the default diary, so a membership added later never moves it elsewhere."""
    rows = [m for m in user.memberships if m.role.is_branch_member and m.unit.kind.is_branch]
    return sorted(rows, key=lambda m: (m.unit.org_type.value != "youth_union", m.id or 0))


def keeps_diary_in(user: User, unit: Unit) -> bool:
    """Whether the user is a member (of any rank) of this branch."""
    role = role_in(user, unit)
    return role is not None and role.is_branch_member and unit.kind.is_branch


def can_manage_standards(user: User, unit: Unit) -> bool:
    """Set a unit's standards and annual theme: its secretaries, officers above, admins."""
    if not _authenticated(user):
        return False
    if user.is_admin or is_officer_over(user, unit):
        return True
    role = role_in(user, unit)
    return role is not None and role.manages_branch


def can_view_diary(viewer: User, owner: User, unit: Unit) -> bool:
    """Read a member's plan and diary in a branch: the member, the branch's secretaries,
    officers above, administrators."""
    if not _authenticated(viewer):
        return False
    if viewer.id == owner.id:
        return keeps_diary_in(owner, unit)
    if viewer.is_admin or is_officer_over(viewer, unit):
        return True
    role = role_in(viewer, unit)
    return role is not None and role.manages_branch


def can_review(viewer: User, owner: User, unit: Unit) -> bool:
    """Approve plans and review entries of a member.

    The branch's secretary or deputy reviews the members; a secretary's (or deputy's) own diary
    is reviewed one level up, by the officers over the branch. Nobody reviews themselves, and
    administrators manage accounts, not conduct.
    """
    if not _authenticated(viewer) or viewer.id == owner.id:
        return False
    if is_officer_over(viewer, unit):
        return True
    viewer_role = role_in(viewer, unit)
    owner_role = role_in(owner, unit)
    if viewer_role is None or not viewer_role.manages_branch:
        return False
    return owner_role is not None and not owner_role.manages_branch


def can_review_in(user: User, unit: Unit) -> bool:
    """Open the review queue of `unit`: its secretaries (a branch), officers of it or above."""
    if not _authenticated(user):
        return False
    if is_officer_over(user, unit):
        return True
    role = role_in(user, unit)
    return unit.kind.is_branch and role is not None and role.manages_branch


def can_register_plan_for(actor: User, owner: User, unit: Unit) -> bool:
    """A secretary (or officer above) may register a plan on a member's behalf."""
    return keeps_diary_in(owner, unit) and can_review(actor, owner, unit)


def can_export_diary(viewer: User, owner: User, unit: Unit) -> bool:
    """Download a member's book or month as PDF and see the documents made of it: whoever may
    read the diary (the member, the branch's secretaries, officers above, administrators)."""
    return unit.kind.is_branch and keeps_diary_in(owner, unit) and can_view_diary(viewer, owner, unit)


def can_export_unit(user: User, unit: Unit) -> bool:
    """Make a unit's own documents (the sổ vàng …) and read the register of documents made in it:
    those who manage its members (its secretaries, officers above, administrators)."""
    return can_manage_members(user, unit)


# ---- year-end grading -------------------------------------------------------------------------------


def can_run_grading(user: User, unit: Unit) -> bool:
    """Open the branch's grading round, see its sheet, record the meeting: its secretaries, officers above."""
    return unit.kind.is_branch and can_review_in(user, unit)


def can_ratify(user: User, unit: Unit) -> bool:
    """Ratify (công nhận) a branch's results, reopen them, answer reconsiderations: the unit above."""
    return _authenticated(user) and unit.parent is not None and is_officer_over(user, unit.parent)


def can_close_year(user: User, unit: Unit) -> bool:
    """Close a branch's year: its secretary, or officers above."""
    if not _authenticated(user) or not unit.kind.is_branch:
        return False
    return is_officer_over(user, unit) or role_in(user, unit) is Role.SECRETARY


def can_reopen_year(user: User, unit: Unit) -> bool:
    """Reopen a branch's closed year (with a reason): the level above — officers of it or above."""
    return _authenticated(user) and unit.kind.is_branch and is_officer_over(user, unit)


def can_manage_frameworks(user: User, unit: Unit) -> bool:
    """A unit's own grading frameworks: whoever sets its standards."""
    return can_manage_standards(user, unit)


# ---- bulk exports (app/jobs) -----------------------------------------------------------------------


# Starting a bulk export of a unit (a branch, or every branch under a unit) asks can_export_unit
# above: those who manage the unit's members are exactly those who may read every diary in it
# (can_view_diary) — its secretaries and deputies, officers of it or above, administrators (as
# `flask export-unit` is theirs). can_review_in would leave out administrators, who may read them.


def can_bulk_export(user: User) -> bool:
    """Open the list of one's bulk exports: administrators, officers, branch secretaries and deputies."""
    if not _authenticated(user):
        return False
    return user.is_admin or any(m.role is Role.OFFICER or m.role.manages_branch for m in user.memberships)


# ---- reports of upper units (app/reports) ------------------------------------------------------------


def can_view_reports(user: User, unit: Unit) -> bool:
    """The figures of a unit and everything under it (the reports' dashboard, commendations and
    exports; the grading's result figures): officers of the unit or above, administrators, and a
    branch's secretaries and deputies for their own branch."""
    if not _authenticated(user):
        return False
    if user.is_admin or is_officer_over(user, unit):
        return True
    role = role_in(user, unit)
    return unit.kind.is_branch and role is not None and role.manages_branch


def can_open_reports(user: User) -> bool:
    """Whether the navigation offers "Báo cáo": administrators and officers of upper units."""
    if not _authenticated(user):
        return False
    return user.is_admin or any(m.role is Role.OFFICER for m in user.memberships)


# ---- scoped queries -------------------------------------------------------------------------


def visible_units(user: User) -> Select[tuple[Unit]]:
    """Units the user may see, as a query to refine."""
    query = select(Unit)
    if user.is_admin:
        return query
    conditions = [Unit.path.startswith(p, autoescape=True) for p in officer_paths(user)]
    own = [m.unit_id for m in user.memberships]
    if own:
        conditions.append(Unit.id.in_(own))
    return query.where(or_(*conditions) if conditions else false())


def manageable_units(user: User) -> Select[tuple[Unit]]:
    """Units whose members the user manages."""
    query = select(Unit)
    if user.is_admin:
        return query
    conditions = [Unit.path.startswith(p, autoescape=True) for p in officer_paths(user)]
    managed = managed_unit_ids(user)
    if managed:
        conditions.append(Unit.id.in_(managed))
    return query.where(or_(*conditions) if conditions else false())


def visible_users_condition(user: User):
    """A condition on User.id: people with a role in a unit the user manages (or everyone)."""
    from app.auth.models import User as UserModel

    if user.is_admin:
        return UserModel.id.is_not(None)
    unit_ids = manageable_units(user).with_only_columns(Unit.id)
    members = select(Membership.user_id).where(Membership.unit_id.in_(unit_ids))
    return or_(UserModel.id == user.id, UserModel.id.in_(members))


def get_visible_unit(unit_id: int, user: User) -> Unit:
    """The unit if the user may see it; 404 otherwise (no hint that it exists)."""
    unit = db.session.scalar(visible_units(user).where(Unit.id == unit_id))
    if unit is None:
        abort(404)
    return unit


def get_visible_user(user_id: int, actor: User):
    """The person if the actor may see them; 404 otherwise."""
    from app.auth.models import User as UserModel

    person = db.session.scalar(
        select(UserModel).where(UserModel.id == user_id, visible_users_condition(actor))
    )
    if person is None:
        abort(404)
    return person


def require(allowed: bool) -> None:
    """Abort with 403 unless `allowed`: for actions on something the user can already see."""
    if not allowed:
        abort(403)


TEMPLATE_HELPERS = {
    "can_bulk_export": can_bulk_export,
    "can_view_unit": can_view_unit,
    "can_manage_members": can_manage_members,
    "can_edit_structure": can_edit_structure,
    "can_move_unit": can_move_unit,
    "can_manage_user": can_manage_user,
    "can_change_membership": can_change_membership,
    "can_administer": can_administer,
    "can_manage_standards": can_manage_standards,
    "can_view_diary": can_view_diary,
    "can_review": can_review,
    "can_review_in": can_review_in,
    "can_register_plan_for": can_register_plan_for,
    "can_export_diary": can_export_diary,
    "can_export_unit": can_export_unit,
    "can_run_grading": can_run_grading,
    "can_ratify": can_ratify,
    "can_close_year": can_close_year,
    "can_reopen_year": can_reopen_year,
    "can_manage_frameworks": can_manage_frameworks,
    "can_view_reports": can_view_reports,
    "can_open_reports": can_open_reports,
}
