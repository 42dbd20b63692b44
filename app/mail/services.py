"""Sending email: through SMTP when MAIL_SERVER is set, and always into the outbox."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

from app.core.db import db, utcnow
from app.mail.models import MailStatus, OutboxMessage


def _smtp_send(message: EmailMessage) -> None:
    cfg = current_app.config
    timeout = cfg["MAIL_TIMEOUT"]
    if cfg["MAIL_USE_SSL"]:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=timeout,
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


def send_mail(recipient: str, subject: str, body: str, user_id: int | None = None) -> OutboxMessage:
    """Send a plain-text message and record it in the outbox; the caller commits.

    A failed SMTP delivery does not raise: the message stays in the outbox marked as failed,
    with the error, so an administrator can see it and pass the link on by hand.
    """
    record = OutboxMessage(recipient=recipient, subject=subject, body=body, user_id=user_id)
    if current_app.config.get("MAIL_SERVER"):
        message = EmailMessage()
        message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
        message["To"] = recipient
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="sonhatky.local")
        message.set_content(body)
        try:
            _smtp_send(message)
        except (OSError, smtplib.SMTPException) as exc:
            record.status = MailStatus.FAILED
            record.error = f"{type(exc).__name__}: {exc}"
            current_app.logger.warning("SMTP delivery to %s failed: %s", recipient, exc)
        else:
            record.status = MailStatus.SENT
            record.sent_at = utcnow()
    else:
        record.status = MailStatus.STORED
    db.session.add(record)
    db.session.flush()
    return record
