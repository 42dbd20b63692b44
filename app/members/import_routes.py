"""Import of member lists (filled in with the importer)."""

from flask_login import login_required

from app.members.routes import bp


@bp.route("/units/<int:unit_id>/import", methods=["GET", "POST"])
@login_required
def import_start(unit_id: int):
    return "", 404
