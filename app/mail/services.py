"""Sending email: through SMTP when MAIL_SERVER is set, and always into the outbox.

A message is sent at once (send_mail: an invitation whose result the page reports), or later
(send_mail(later=True): the email copies of notifications, so that an action that notifies
several people never waits on the mail server). A later message is recorded as queued, and once
the transaction that wrote it commits, the task queue (app.mail.tasks.deliver_mail) sends it from
the worker; a message still queued after QUEUED_RETRY_MINUTES (the queue was down) is enqueued
again by a periodic task.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.core import queue
from app.core.db import db, utcnow
from app.mail import tasks
from app.mail.models import MailStatus, OutboxMessage

_PENDING = "mail_to_deliver"  # session.info: ids of the messages to enqueue after commit
QUEUED_RETRY_MINUTES = 15


def _smtp_send(message: EmailMessage) -> None:
    cfg = current_app.config
    timeout = cfg["MAIL_TIMEOUT"]
    if cfg["MAIL_USE_SSL"]:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            cfg["MAIL_SERVER"],
            cfg["MAIL_PORT"],
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=timeout)
    with smtp:
        if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def _message(recipient: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="sonhatky.local")
    message.set_content(body)
    return message


def _send(record: OutboxMessage) -> None:
    """Send the record's message now and write down how it went (never raises for SMTP)."""
    try:
        _smtp_send(_message(record.recipient, record.subject, record.body))
    except (OSError, smtplib.SMTPException) as exc:
        record.status = MailStatus.FAILED
        record.error = f"{type(exc).__name__}: {exc}"
        current_app.logger.warning("SMTP delivery to %s failed: %s", record.recipient, exc)
    else:
        record.status = MailStatus.SENT
        record.sent_at = utcnow()


def send_mail(
    recipient: str,
    subject: str,
    body: str,
    user_id: int | None = None,
    *,
    later: bool = False,
    notification_id: int | None = None,
) -> OutboxMessage:
    """Send a plain-text message and record it in the outbox; the caller commits.

    A failed SMTP delivery does not raise: the message stays in the outbox marked as failed,
    with the error, so an administrator can see it and pass the link on by hand. With `later`,
    the message is queued and sent by the worker after the caller's commit (the notification
    `notification_id`, if given, is marked emailed once it is sent).
    """
    record = OutboxMessage(
        recipient=recipient, subject=subject, body=body, user_id=user_id, notification_id=notification_id
    )
    if not current_app.config.get("MAIL_SERVER"):
        record.status = MailStatus.STORED
    elif later:
        _message(recipient, subject, body)  # a message that cannot be built fails here, not in the worker
        record.status = MailStatus.QUEUED
    else:
        _send(record)
    db.session.add(record)
    db.session.flush()
    if record.status is MailStatus.QUEUED:
        db.session.info.setdefault(_PENDING, []).append(record.id)
    return record


@event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    """The messages queued in the transaction just committed go to the task queue; if the queue
    cannot take one, it stays queued and the periodic retry enqueues it later."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    try:
        queue.configure(current_app._get_current_object())
        for message_id in pending:
            tasks.deliver_mail(message_id)
    except Exception as exc:  # the queue is down: the message waits in the outbox, queued
        current_app.logger.warning("Could not queue email for delivery: %s", exc)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def deliver(message_id: int) -> None:
    """Send a queued message (in the worker): claimed first, so that it is sent once even when it
    was enqueued twice; the notification is marked emailed once the message is sent."""
    from app.notifications.models import Notification

    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == MailStatus.QUEUED)
        .values(status=MailStatus.SENDING)
    ).rowcount
    db.session.commit()
    if not claimed:
        return
    record = db.session.get(OutboxMessage, message_id)
    if not current_app.config.get("MAIL_SERVER"):  # SMTP was switched off meanwhile
        record.status = MailStatus.STORED
    else:
        try:
            _send(record)
        except (ValueError, UnicodeError, LookupError) as exc:  # a message SMTP could not take as built
            record.status = MailStatus.FAILED
            record.error = f"{type(exc).__name__}: {exc}"
            current_app.logger.warning("Email to %s could not be sent: %s", record.recipient, exc)
    if record.status is MailStatus.SENT and record.notification_id is not None:
        db.session.execute(
            update(Notification)
            .where(Notification.id == record.notification_id)
            .values(emailed_at=record.sent_at)
        )
    db.session.commit()


def requeue_stale() -> int:
    """Queued messages older than QUEUED_RETRY_MINUTES (the queue was down when they were
    written): enqueued again. Returns how many."""
    before = utcnow() - timedelta(minutes=QUEUED_RETRY_MINUTES)
    ids = db.session.scalars(
        select(OutboxMessage.id).where(
            OutboxMessage.status == MailStatus.QUEUED, OutboxMessage.created_at < before
        )
    ).all()
    if ids:
        queue.configure(current_app._get_current_object())
        for message_id in ids:
            tasks.deliver_mail(message_id)
    return len(ids)
