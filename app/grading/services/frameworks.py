"""Grading frameworks (khung tiêu chí): the shipped ones and a unit's own copies, their levels and criteria.

A framework in use by a submitted round is frozen (app.core.locks.framework_lock): copy it to change it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from app.audit.services import record
from app.auth.models import User
from app.core import locks, permissions
from app.core.db import db, utcnow
from app.core.enums import ContentGroup, OrgType
from app.units.models import Unit

from .. import catalogue
from ..models import Criterion, Framework, GradingRound
from .base import TEXT_MAX, GradingError, _flush, _text


def frameworks_for(unit: Unit) -> list[Framework]:
    """The frameworks a unit may use: the shipped ones of its org type and those of it or units above."""
    catalogue.ensure_shipped()
    owners = unit.ancestor_ids
    return list(
        db.session.scalars(
            select(Framework)
            .where(
                Framework.org_type == unit.org_type,
                (Framework.unit_id.is_(None)) | (Framework.unit_id.in_(owners)),
            )
            .order_by(Framework.unit_id.is_not(None), Framework.id)
        )
    )


def default_framework(unit: Unit) -> Framework:
    """The nearest unit's own framework, else the shipped one for the org type."""
    options = frameworks_for(unit)
    own = [f for f in options if f.unit_id is not None]
    if own:
        depth = {uid: i for i, uid in enumerate(unit.ancestor_ids)}
        return max(own, key=lambda f: (depth.get(f.unit_id, -1), f.id))
    code = catalogue.PARTY_CODE if unit.org_type is OrgType.PARTY else catalogue.YOUTH_CODE
    return next(f for f in options if f.code == code)


def get_framework(framework_id: int, unit: Unit) -> Framework | None:
    return next((f for f in frameworks_for(unit) if f.id == framework_id), None)


def can_edit_framework(user: User, framework: Framework) -> bool:
    """A unit's own framework: whoever manages that unit's standards. Shipped ones stay as shipped."""
    if framework.unit is None:
        return False
    return permissions.can_manage_standards(user, framework.unit)


def framework_in_use(framework: Framework) -> bool:
    return (
        db.session.scalar(select(GradingRound.id).where(GradingRound.framework_id == framework.id).limit(1))
        is not None
    )


def copy_framework(actor: User, source: Framework, unit: Unit, name: str) -> Framework:
    """A unit's own, editable copy of a framework."""
    name = _text(name, "Tên khung tiêu chí", 200, "name")
    if not name:
        raise GradingError("Vui lòng đặt tên cho khung tiêu chí.", "name")
    spec = {
        "code": None,
        "name": name,
        "org_type": source.org_type,
        "scoring": source.scoring,
        "basis": source.basis,
        "has_quarterly": source.has_quarterly,
        "levels": [
            (lv.tier, lv.name, lv.description, lv.min_score, lv.quota_percent, lv.quota_of_tier)
            for lv in source.levels
        ],
        "criteria": [(c.group_name, c.content_group, c.text, c.max_points) for c in source.criteria],
    }
    count = db.session.scalar(select(func.count(Framework.id))) or 0
    framework = catalogue.build(
        spec, code=f"u{unit.id}-{count + 1}-{int(utcnow().timestamp())}", unit_id=unit.id
    )
    db.session.add(framework)
    _flush()
    record(actor, "framework.copy", framework, None, unit, after={"name": name, "from": source.name})
    return framework


@dataclass
class LevelData:
    level_id: int
    name: str
    description: str
    min_score: int | None
    quota_percent: int | None
    quota_of_tier: int | None


def update_framework(
    actor: User, framework: Framework, name: str, basis: str, has_quarterly: bool, levels: list[LevelData]
) -> None:
    if not can_edit_framework(actor, framework):
        raise GradingError("Khung tiêu chí dùng chung không sửa được; hãy sao chép để có bản của đơn vị.")
    locks.ensure(locks.framework_lock(framework))
    framework.name = _text(name, "Tên khung tiêu chí", 200, "name") or framework.name
    framework.basis = _text(basis, "Căn cứ", TEXT_MAX, "basis")
    framework.has_quarterly = has_quarterly
    by_id = {lv.id: lv for lv in framework.levels}
    for data in levels:
        level = by_id.get(data.level_id)
        if level is None:
            continue
        level.name = _text(data.name, "Tên mức", 120) or level.name
        level.description = _text(data.description, "Mô tả mức")
        if framework.is_points:
            level.min_score = data.min_score
        level.quota_percent = data.quota_percent
        level.quota_of_tier = data.quota_of_tier if data.quota_percent else None
    if framework.is_points:
        mins = [lv.min_score for lv in sorted(framework.levels, key=lambda lv: lv.tier)]
        if any(m is None for m in mins) or mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            raise GradingError("Điểm tối thiểu phải giảm dần từ mức cao nhất đến mức thấp nhất.", "levels")
    record(actor, "framework.edit", framework, None, framework.unit, after={"name": framework.name})
    _flush()


def save_criterion(
    actor: User,
    framework: Framework,
    criterion: Criterion | None,
    group_name: str,
    content_group: ContentGroup | None,
    text: str,
    max_points: Decimal | None,
) -> Criterion:
    if not can_edit_framework(actor, framework):
        raise GradingError("Khung tiêu chí dùng chung không sửa được; hãy sao chép để có bản của đơn vị.")
    locks.ensure(locks.framework_lock(framework))
    text = _text(text, "Nội dung tiêu chí", 2000, "text")
    if not text:
        raise GradingError("Vui lòng nhập nội dung tiêu chí.", "text")
    if framework.is_points and (max_points is None or max_points <= 0):
        raise GradingError("Vui lòng nhập số điểm tối đa (lớn hơn 0).", "max_points")
    if criterion is None:
        criterion = Criterion(framework=framework, sort_order=len(framework.criteria))
        db.session.add(criterion)
    criterion.group_name = _text(group_name, "Nhóm tiêu chí", 200, "group_name")
    criterion.content_group = content_group
    criterion.text = text
    criterion.max_points = max_points if framework.is_points else None
    _flush()
    record(actor, "framework.criterion", framework, None, framework.unit, after={"text": text[:200]})
    return criterion


def delete_criterion(actor: User, criterion: Criterion) -> None:
    framework = criterion.framework
    if not can_edit_framework(actor, framework):
        raise GradingError("Khung tiêu chí dùng chung không sửa được.")
    locks.ensure(locks.framework_lock(framework))
    if framework_in_use(framework):
        raise GradingError("Khung này đã được dùng trong một đợt đánh giá; không xoá tiêu chí được nữa.")
    framework.criteria.remove(criterion)
    _flush()
