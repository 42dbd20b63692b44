"""The unit tree: browse, create, edit and move units."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.core import permissions
from app.core.db import db
from app.core.enums import Role, UnitKind
from app.core.rules import attempt, place_refusal
from app.units import services
from app.units.forms import MoveUnitForm, UnitForm
from app.units.models import Membership, Unit

bp = Blueprint("units", __name__, url_prefix="/units")


def member_counts(unit_ids: list[int]) -> dict[int, int]:
    """Members (secretaries included, officers not) per unit, in one query."""
    if not unit_ids:
        return {}
    rows = db.session.execute(
        select(Membership.unit_id, func.count())
        .where(Membership.unit_id.in_(unit_ids), Membership.role != Role.OFFICER)
        .group_by(Membership.unit_id)
    )
    return dict(rows.all())


@bp.route("/")
@login_required
def tree():
    """The units the user may see, as a tree with member counts."""
    units = list(db.session.scalars(permissions.visible_units(current_user).order_by(Unit.path)))
    if not units and not current_user.is_admin:
        abort(403)
    return render_template(
        "units/tree.html",
        roots=services.build_tree(units),
        counts=member_counts([u.id for u in units]),
    )


def _kind_choices(parent: Unit | None, current: UnitKind | None = None) -> list[tuple[str, str]]:
    kinds = list(UnitKind) if parent is None else UnitKind.for_org(parent.org_type)
    if current is not None:
        kinds = UnitKind.for_org(current.org_type)
    return [(k.value, k.label) for k in kinds]


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    """Create a unit under ?parent_id= (or a root unit); admins and officers of the parent."""
    parent = None
    parent_id = request.args.get("parent_id", type=int)
    if parent_id is not None:
        parent = permissions.get_visible_unit(parent_id, current_user)
        permissions.require(permissions.can_edit_structure(current_user, parent))
    else:
        permissions.require(permissions.can_administer(current_user))
    form = UnitForm()
    form.kind.choices = _kind_choices(parent)
    if request.method == "GET" and parent is not None:
        form.place.data = parent.place
        if parent.kind in (UnitKind.SECTOR_UNION, UnitKind.GRASSROOTS_UNION, UnitKind.JOINT_BRANCH):
            form.kind.data = (
                UnitKind.GRASSROOTS_UNION.value
                if parent.kind is UnitKind.SECTOR_UNION
                else UnitKind.BRANCH.value
            )
        elif parent.kind is UnitKind.PARTY_COMMITTEE:
            form.kind.data = UnitKind.PARTY_CELL.value
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.create_unit(
                current_user,
                name=form.name.data,
                code=form.code.data,
                kind=UnitKind(form.kind.data),
                parent=parent,
                place=form.place.data,
            ),
            success=lambda unit: f"Đã tạo {unit.name}.",
            errors=[],
        )
        if outcome.ok:
            return redirect(url_for("units.detail", unit_id=outcome.value.id))
        place_refusal(form, outcome.error, "name")
    return render_template("units/form.html", form=form, parent=parent, unit=None)


@bp.route("/<int:unit_id>")
@login_required
def detail(unit_id: int):
    """A unit's page: its units under it and its members; anyone who may see the unit."""
    unit = permissions.get_visible_unit(unit_id, current_user)
    children = list(
        db.session.scalars(
            permissions.visible_units(current_user).where(Unit.parent_id == unit.id).order_by(Unit.name)
        )
    )
    counts = member_counts([c.id for c in children] + [unit.id])
    ancestors = list(
        db.session.scalars(select(Unit).where(Unit.id.in_(unit.ancestor_ids[:-1])).order_by(Unit.path))
    )
    return render_template(
        "units/detail.html", unit=unit, children=children, counts=counts, ancestors=ancestors
    )


@bp.route("/<int:unit_id>/edit", methods=["GET", "POST"])
@login_required
def edit(unit_id: int):
    """Rename a unit or change its code, kind or place; admins and officers of it or above."""
    unit = permissions.get_visible_unit(unit_id, current_user)
    permissions.require(permissions.can_edit_structure(current_user, unit))
    form = UnitForm(obj=unit) if request.method == "GET" else UnitForm()
    form.kind.choices = _kind_choices(unit.parent, unit.kind)
    if request.method == "GET":
        form.kind.data = unit.kind.value
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.update_unit(
                current_user,
                unit,
                name=form.name.data,
                code=form.code.data,
                kind=UnitKind(form.kind.data),
                place=form.place.data,
            ),
            success="Đã lưu thông tin đơn vị.",
            errors=[],
        )
        if outcome.ok:
            return redirect(url_for("units.detail", unit_id=unit_id))
        place_refusal(form, outcome.error, "name")
    return render_template("units/form.html", form=form, parent=unit.parent, unit=unit)


@bp.route("/<int:unit_id>/move", methods=["GET", "POST"])
@login_required
def move(unit_id: int):
    """Move a unit with everything under it to another parent; administrators only."""
    unit = permissions.get_visible_unit(unit_id, current_user)
    permissions.require(permissions.can_move_unit(current_user, unit))
    candidates = db.session.scalars(
        select(Unit)
        .where(
            Unit.org_type == unit.org_type,
            ~Unit.path.startswith(unit.path, autoescape=True),
            Unit.kind.not_in([UnitKind.BRANCH, UnitKind.PARTY_CELL]),
        )
        .order_by(Unit.path)
    ).all()
    form = MoveUnitForm()
    form.parent_id.choices = [(u.id, ("— " * u.depth) + u.name) for u in candidates]
    if request.method == "GET":
        form.parent_id.data = unit.parent_id
    if form.validate_on_submit():
        new_parent = db.session.get(Unit, form.parent_id.data)
        outcome = attempt(
            lambda: services.move_unit(current_user, unit, new_parent),
            success=lambda _: f"Đã chuyển {unit.name} về trực thuộc {new_parent.name}.",
            errors=form.parent_id.errors,
        )
        if outcome.ok:
            return redirect(url_for("units.detail", unit_id=unit_id))
    return render_template("units/move.html", form=form, unit=unit)
