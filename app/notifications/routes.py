"""The notification centre: one's own notifications, opening one, marking all read, the email choice."""

from __future__ import annotations

from flask import Blueprint, flash, g, has_request_context, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from app.core.db import db
from app.core.forms import CSRF_MESSAGE
from app.notifications import services
from app.notifications.forms import CHANNEL_APP, CHANNEL_EMAIL, ReadAllForm, SettingsForm

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def navigation_unread() -> dict:
    """`nav_unread`, the navigation's badge on every page: one indexed COUNT per request, however
    many templates render. A database that cannot answer (the error page of a failed request)
    shows no badge rather than failing the page. No request in the worker (emails it renders): 0."""
    if not (has_request_context() and current_user.is_authenticated):
        return {"nav_unread": 0}
    if "nav_unread" not in g:
        try:
            g.nav_unread = services.unread_count(current_user)
        except SQLAlchemyError:
            return {"nav_unread": 0}
    return {"nav_unread": g.nav_unread}


@bp.teardown_app_request
def forget_unread_count(exc: BaseException | None) -> None:
    # `g` outlives the request when one app context serves several (tests, scripts).
    g.pop("nav_unread", None)


@bp.route("/notifications")
@login_required
def index():
    """The person's notifications, newest first, unread highlighted; everyone sees only their own."""
    page = services.notifications_page(current_user, request.args.get("page", 1, type=int) or 1)
    return render_template(
        "notifications/index.html",
        notifications=page.items,
        total=page.total,
        page=page.page,
        pages=page.pages,
        read_all_form=ReadAllForm(),
    )


@bp.route("/notifications/<int:notification_id>/open", endpoint="open")
@login_required
def open_notification(notification_id: int):
    """Mark one's own notification read and follow its link (same-site paths only); others' are 404."""
    note = services.get_own_notification(notification_id, current_user)
    target = services.open_notification(note)
    db.session.commit()
    return redirect(target or url_for("notifications.index"))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    """Mark all of one's notifications read."""
    if ReadAllForm().validate_on_submit():
        count = services.mark_all_read(current_user)
        db.session.commit()
        flash(
            f"Đã đánh dấu {count} thông báo là đã đọc." if count else "Không có thông báo chưa đọc.",
            "success",
        )
    else:
        flash(CSRF_MESSAGE, "error")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Choose email and in-app notifications, or in-app only (one's own choice)."""
    form = SettingsForm()
    if request.method == "GET":
        form.channel.data = CHANNEL_EMAIL if current_user.notify_by_email else CHANNEL_APP
    if form.validate_on_submit():
        services.set_email_preference(current_user, form.channel.data == CHANNEL_EMAIL)
        db.session.commit()
        if current_user.notify_by_email:
            flash("Đã lưu: bạn nhận thông báo qua email và trong ứng dụng.", "success")
        else:
            flash("Đã lưu: bạn chỉ nhận thông báo trong ứng dụng.", "success")
        return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form)
