"""The audit log: one's own record (/audit/me), and a unit's for the officers above it."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from app.audit import services
from app.core import permissions

bp = Blueprint("audit", __name__)


@bp.route("/audit/me")
@login_required
def mine():
    """What was done to one's own diary and months, newest first (?before= pages on)."""
    items, more = services.page(services.subject_log(current_user), request.args.get("before", type=int))
    return render_template("audit/log.html", items=items, more=more, unit=None)


@bp.route("/units/<int:unit_id>/audit")
@login_required
def unit_log(unit_id: int):
    """Review actions on the records of a unit and the units under it: officers above, administrators."""
    unit = permissions.get_visible_unit(unit_id, current_user)
    permissions.require(services.can_read_unit_log(current_user, unit))
    items, more = services.page(services.unit_log(unit), request.args.get("before", type=int))
    return render_template("audit/log.html", items=items, more=more, unit=unit)
