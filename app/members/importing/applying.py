"""Creating the accounts of a checked list's good rows, and the invitations sent after the commit."""

from __future__ import annotations

from app.auth import services as auth_services
from app.auth.models import User
from app.core import permissions
from app.core.db import db
from app.members.importing.validating import ImportReport
from app.units.models import Membership

# ---- writing ---------------------------------------------------------------------------------------


def import_rows(actor: User, report: ImportReport) -> list[User]:
    """Create an account (not yet activated) and a membership for every good row; the caller commits.

    `report` must come from `check_rows` in the same transaction. Who manages the target unit.
    """
    permissions.require(permissions.can_manage_members(actor, report.target))
    users: list[User] = []
    for row in report.good:
        assert row.unit is not None and row.username
        user = User(
            username=row.username,
            email=row.email,
            birth_date=row.birth_date,
            phone=row.phone,
            position=row.position,
        )
        user.set_name(row.full_name)
        db.session.add(user)
        db.session.add(Membership(user=user, unit=row.unit, role=row.role))
        users.append(user)
    db.session.flush()
    return users


def send_invitations(actor: User, users: list[User]) -> int:
    """Email the activation link to each imported person with an email; returns how many. The
    messages are queued and sent by the worker after the caller commits: an import of hundreds
    of people does not wait on the mail server for each."""
    sent = 0
    for user in users:
        if user.email and auth_services.send_invitation(user, actor, later=True):
            sent += 1
    return sent


def system_actor() -> User:
    """An administrator for command-line imports: a transient account, never added to the session."""
    actor = User(username="he-thong", is_admin=True, is_active=True, memberships=[])
    actor.set_name("Quản trị hệ thống")
    return actor
