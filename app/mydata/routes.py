""" "Dữ liệu của tôi": a logged-in person downloads everything the app holds about them."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask_login import current_user, login_required

from app.core import permissions
from app.core.filters import today_local
from app.mydata import services

bp = Blueprint("mydata", __name__)


@bp.route("/me/data")
@login_required
def index():
    """What the download holds, and the button; anyone logged in, about themselves only."""
    return render_template(
        "mydata/index.html",
        counts=services.summary(current_user),
        diary_units=[m.unit for m in permissions.diary_memberships(current_user)],
    )


@bp.route("/me/data/download")
@login_required
def download():
    """The JSON file of everything about the logged-in person (there is no way to ask for someone else)."""
    body = services.to_json(services.collect(current_user))
    name = services.file_name(current_user, today_local())
    return Response(
        body,
        content_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
