"""Telling people things: an in-app notification, and an email copy when they want one."""

from __future__ import annotations

from flask import current_app

from app.auth.models import User
from app.core.db import db
from app.notifications.models import Notification


def notify(user: User, kind: str, title: str, body: str = "", link: str | None = None) -> Notification:
    """Record a notification for `user` (and email it when SMTP is set up and they want email).

    `link` is a path inside the app ("/diary/entries/12"). The caller commits.
    """
    note = Notification(user_id=user.id, kind=kind, title=title, body=body, link=link)
    db.session.add(note)
    if current_app.config.get("MAIL_SERVER") and user.notify_by_email and user.email and user.is_active:
        from app.auth.services import external_url_for_path
        from app.core.db import utcnow
        from app.mail.services import send_mail

        text = body + (f"\n\nXem tại: {external_url_for_path(link)}" if link else "")
        send_mail(user.email, title, text, user.id)
        note.emailed_at = utcnow()
    db.session.flush()
    return note
