"""The outbox, where administrators read what the app sent (or kept, without SMTP)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.core import permissions
from app.core.db import db
from app.mail.models import OutboxMessage

bp = Blueprint("mail", __name__, url_prefix="/admin/outbox")
PAGE_SIZE = 30


@bp.route("/")
@login_required
def outbox():
    """Messages newest first, with delivery status; administrators only."""
    permissions.require(permissions.can_administer(current_user))
    page = max(1, request.args.get("page", 1, type=int) or 1)
    total = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    messages = db.session.scalars(
        select(OutboxMessage)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template("mail/outbox.html", messages=messages, total=total, page=page, pages=pages)


@bp.route("/<int:message_id>")
@login_required
def message(message_id: int):
    """One message in full; administrators only."""
    permissions.require(permissions.can_administer(current_user))
    record = db.get_or_404(OutboxMessage, message_id)
    return render_template("mail/message.html", message=record)
