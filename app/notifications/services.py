"""Telling people things: an in-app notification, and an email copy when they want one.

Also the notification centre's queries (scoped to the person), and who is told about a member's
plan or diary. The daily reminder digests (they read the diary) are app.reminders.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass

from flask import abort, current_app, has_request_context, url_for
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import lazyload

from app.auth.models import User
from app.core.db import db, utcnow
from app.core.enums import Role
from app.mail.models import MailStatus, OutboxMessage
from app.notifications.models import Notification
from app.units.models import Membership, Unit

PAGE_SIZE = 20
TITLE_MAX = 255
LINK_MAX = 500


# ---- links ------------------------------------------------------------------------------------


def is_same_site_path(link: str | None) -> bool:
    """Whether `link` is a path on this site ("/diary/entries/12"), never another site.

    Browsers drop tabs and newlines from URLs ("/\\t/evil" becomes "//evil") and read "\\" as
    "/", so any whitespace, control character or backslash disqualifies it.
    """
    return bool(
        link
        and link.startswith("/")
        and not link.startswith("//")
        and "\\" not in link
        and not any(ch <= " " or ch == "\x7f" for ch in link)
        and len(link) <= LINK_MAX
    )


def app_path(endpoint: str, **values) -> str:
    """The path of an endpoint, in a request or outside one (the cron command has no request)."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT"))
    return adapter.build(endpoint, values)


# ---- sending ----------------------------------------------------------------------------------


def wants_email(user: User) -> bool:
    """Email copies go out when SMTP is set up and the person chose email and has an address."""
    return bool(
        current_app.config.get("MAIL_SERVER") and user.notify_by_email and user.email and user.is_active
    )


def _email_body(user: User, title: str, body: str, link: str | None) -> str:
    from app.auth.services import external_url_for_path

    template = current_app.jinja_env.get_template("notifications/email.txt")  # plain text, no request
    return template.render(
        user=user,
        title=title,
        body=body,
        link=external_url_for_path(link) if link else None,
        settings_link=external_url_for_path(app_path("notifications.settings")),
    )


def _send_email_copy(user: User, note: Notification, *, now: bool = False) -> None:
    """Email the notification: queued, sent by the worker after the commit (or `now`, and the
    notification marked emailed at once); a failure is kept in the outbox as failed and never
    raises."""
    from app.mail.services import send_mail

    text = _email_body(user, note.title, note.body, note.link)
    try:
        record = send_mail(user.email, note.title, text, user.id, later=not now, notification_id=note.id)
    except SQLAlchemyError:
        raise  # the database is in trouble: that is not a delivery problem
    except (OSError, smtplib.SMTPException, ValueError, UnicodeError, LookupError) as exc:
        # send_mail already keeps SMTP errors; anything else from building or sending the message
        # must not break the action that notified either.
        current_app.logger.warning("Email notification to %s failed: %s", user.email, exc)
        record = OutboxMessage(
            recipient=user.email,
            subject=note.title,
            body=text,
            user_id=user.id,
            status=MailStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}",
        )
        db.session.add(record)
    if record.status is MailStatus.SENT:
        note.emailed_at = utcnow()


def notify(
    user: User, kind: str, title: str, body: str = "", link: str | None = None, *, email_now: bool = False
) -> Notification:
    """Record a notification for `user` (and email it when SMTP is set up and they want email).

    `link` is a path inside the app ("/diary/entries/12"); anything else is dropped, so a
    notification can never send someone to another site. The email is queued and sent by the
    worker once the caller commits (`email_now`: sent before returning); a failed email never
    raises: it is kept in the outbox as failed. The caller commits.
    """
    if link is not None and not is_same_site_path(link):
        current_app.logger.warning("Notification link %r is not a path of this site; dropped", link)
        link = None
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    note = Notification(user_id=user.id, kind=kind, title=title, body=body or "", link=link)
    db.session.add(note)
    if wants_email(user):
        db.session.flush()  # the note's id, for the queued email to mark it emailed
        _send_email_copy(user, note, now=email_now)
    db.session.flush()
    return note


# ---- the notification centre (everything scoped to the person) -----------------------------------


def unread_count(user: User) -> int:
    """How many of the person's notifications are unread: one COUNT on (user_id, read_at)."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


@dataclass
class NotificationPage:
    items: list[Notification]
    total: int
    page: int
    pages: int


def notifications_page(user: User, page: int = 1, per_page: int = PAGE_SIZE) -> NotificationPage:
    """The person's notifications, newest first, one page of them."""
    mine = Notification.user_id == user.id
    total = db.session.scalar(select(func.count()).select_from(Notification).where(mine)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = db.session.scalars(
        select(Notification)
        .where(mine)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return NotificationPage(list(items), total, page, pages)


def get_own_notification(notification_id: int, user: User) -> Notification:
    """The person's own notification; anyone else's is a 404 (administrators included)."""
    note = db.session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user.id)
    )
    if note is None:
        abort(404)
    return note


def open_notification(note: Notification) -> str | None:
    """Mark it read and return where it leads (a same-site path), or None."""
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.flush()
    return note.link if is_same_site_path(note.link) else None


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the person read; how many there were."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def set_email_preference(user: User, by_email: bool) -> None:
    """Email and in-app, or in-app only: the person's own choice."""
    user.notify_by_email = by_email
    db.session.flush()


# ---- who is told about a member's plan or diary --------------------------------------------------


def reviewers_to_notify(owner: User, unit: Unit, exclude: User | None = None) -> list[User]:
    """Who reviews `owner`'s plan and diary in `unit` (permissions.can_review), to be told.

    A member's go to the branch's secretary and deputies; a secretary's or deputy's own (and a
    member's when the branch has nobody to review) to the officers of the nearest unit above
    that has officers. Those far above can review too, but are not told about every branch.
    One query.
    """
    ancestors = unit.ancestor_ids
    rows = db.session.execute(
        select(User, Membership.unit_id, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(
            User.is_active.is_(True),
            User.id != owner.id,
            or_(
                and_(
                    Membership.unit_id == unit.id,
                    Membership.role.in_([Role.SECRETARY, Role.DEPUTY_SECRETARY]),
                ),
                and_(Membership.unit_id.in_(ancestors), Membership.role == Role.OFFICER),
            ),
        )
        .options(lazyload(User.memberships))
        .order_by(User.id)
    ).all()
    owner_role = next((m.role for m in owner.memberships if m.unit_id == unit.id), None)
    managers = [u for u, uid, role in rows if uid == unit.id and role.manages_branch]
    if owner_role is not None and not owner_role.manages_branch and managers:
        chosen = managers
    else:
        officers = [(ancestors.index(uid), u) for u, uid, role in rows if role is Role.OFFICER]
        nearest = max((depth for depth, _ in officers), default=None)
        chosen = [u for depth, u in officers if depth == nearest]
    seen: set[int] = set()
    result = []
    for u in chosen:
        if u.id not in seen and (exclude is None or u.id != exclude.id):
            seen.add(u.id)
            result.append(u)
    return result
