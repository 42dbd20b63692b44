"""Creating, renaming and moving units; the caller commits."""

from __future__ import annotations

from sqlalchemy import func, literal, select, update

from app.auth.models import User
from app.core import permissions
from app.core.db import db
from app.core.enums import UnitKind
from app.core.rules import RuleError
from app.core.text import clean_line
from app.units.models import Unit


class UnitError(RuleError):
    """A rule of the unit tree was broken; the message is for the user."""


def normalize_code(code: str) -> str:
    return clean_line(code).upper()


def check_code_free(code: str, unit: Unit | None = None) -> None:
    existing = db.session.scalar(select(Unit).where(func.upper(Unit.code) == code.upper()))
    if existing is not None and existing is not unit:
        raise UnitError(f"Mã đơn vị {code} đã được dùng cho “{existing.name}”.", "code")


def check_kind_under(kind: UnitKind, parent: Unit | None) -> None:
    """A unit keeps its parent's organisation, and branches have no units under them."""
    if parent is None:
        return
    if parent.kind.is_branch:
        raise UnitError(f"{parent.kind.label} là cấp cơ sở, không có đơn vị trực thuộc.", "kind")
    if kind.org_type is not parent.org_type:
        raise UnitError(
            f"Đơn vị thuộc {parent.org_type.label} chỉ có đơn vị trực thuộc cùng tổ chức.", "kind"
        )


def create_unit(
    actor: User, *, name: str, code: str, kind: UnitKind, parent: Unit | None, place: str | None
) -> Unit:
    """Create a unit under `parent` (a root unit when None); admins, or officers of the parent."""
    if parent is None:
        permissions.require(permissions.can_administer(actor))
    else:
        permissions.require(permissions.can_edit_structure(actor, parent))
    code = normalize_code(code)
    check_code_free(code)
    check_kind_under(kind, parent)
    unit = Unit(
        name=clean_line(name),
        code=code,
        kind=kind,
        org_type=kind.org_type,
        parent=parent,
        place=clean_line(place) or (parent.place if parent else None),
    )
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    db.session.flush()
    return unit


def update_unit(actor: User, unit: Unit, *, name: str, code: str, kind: UnitKind, place: str | None) -> Unit:
    """Rename a unit or change its code, kind or place; admins and officers of it or above."""
    permissions.require(permissions.can_edit_structure(actor, unit))
    code = normalize_code(code)
    check_code_free(code, unit)
    if kind.org_type is not unit.org_type:
        raise UnitError("Không thể đổi đơn vị sang tổ chức khác.", "kind")
    if kind.is_branch and unit.children:
        raise UnitError(f"Đơn vị đang có đơn vị trực thuộc nên không thể là {kind.label}.", "kind")
    check_kind_under(kind, unit.parent)
    unit.name = clean_line(name)
    unit.code = code
    unit.kind = kind
    unit.place = clean_line(place) or None
    db.session.flush()
    return unit


def move_unit(actor: User, unit: Unit, new_parent: Unit) -> Unit:
    """Put a unit (and its whole subtree) under another parent; administrators only."""
    permissions.require(permissions.can_move_unit(actor, unit))
    if new_parent.is_within(unit):
        raise UnitError("Không thể chuyển một đơn vị vào chính nó hoặc đơn vị trực thuộc nó.", "parent")
    check_kind_under(unit.kind, new_parent)
    old_prefix = unit.path
    new_prefix = f"{new_parent.path}{unit.id}/"
    unit.parent = new_parent
    db.session.flush()
    # One statement rewrites the paths of the whole subtree.
    db.session.execute(
        update(Unit)
        .where(Unit.path.startswith(old_prefix, autoescape=True))
        .values(path=literal(new_prefix) + func.substr(Unit.path, len(old_prefix) + 1))
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    return db.session.get(Unit, unit.id)


def subtree(unit: Unit) -> list[Unit]:
    """The unit and everything under it, in tree order."""
    return list(
        db.session.scalars(
            select(Unit).where(Unit.path.startswith(unit.path, autoescape=True)).order_by(Unit.path)
        )
    )


def build_tree(units: list[Unit]) -> list[dict]:
    """Nest a flat list of units (any order) into [{unit, children}] for the tree page."""
    nodes = {u.id: {"unit": u, "children": []} for u in units}
    roots = []
    for unit in sorted(units, key=lambda u: (u.depth, u.name)):
        node = nodes[unit.id]
        parent = nodes.get(unit.parent_id) if unit.parent_id else None
        (parent["children"] if parent else roots).append(node)
    for node in nodes.values():
        node["children"].sort(key=lambda n: n["unit"].name)
    return roots
