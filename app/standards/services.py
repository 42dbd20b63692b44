"""Standards (chuẩn mực đạo đức) and annual themes (chuyên đề năm) of units; the caller commits.

A unit's standards for a year apply to the unit and everything under it; a branch may add its
own. Every change takes the acting user, checks `permissions.can_manage_standards` and flushes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import abort
from sqlalchemy import case, exists, func, or_, select

from app.core import locks, permissions
from app.core.bounds import MAX_YEAR, MIN_YEAR, year_in_range
from app.core.db import db
from app.core.enums import ContentGroup
from app.core.numbers import format_number
from app.core.rules import RuleError
from app.core.text import clean_line, nfc
from app.standards.catalogues import CAN_KIEM_LIEM_CHINH, Catalogue, get_catalogue
from app.standards.models import AnnualTheme, Standard
from app.units.models import Unit

if TYPE_CHECKING:
    from app.auth.models import User

TITLE_MAX = 200
DESCRIPTION_MAX = 2000
THEME_TITLE_MAX = 300
THEME_DESCRIPTION_MAX = 4000


class StandardError(RuleError):
    """A rule of the standards was broken; the message is for the user, `field` says where."""


def _check_year(year: int) -> None:
    if not year_in_range(year):
        raise StandardError(f"Năm phải từ {MIN_YEAR} đến {MAX_YEAR}.", "year")


def _clean_title(title: str | None, maximum: int = TITLE_MAX) -> str:
    title = clean_line(title)
    if not title:
        raise StandardError("Vui lòng nhập tên chuẩn mực.", "title")
    if len(title) > maximum:
        raise StandardError(f"Tối đa {maximum} ký tự (hiện có {len(title)}).", "title")
    return title


def _clean_description(description: str | None, maximum: int = DESCRIPTION_MAX) -> str | None:
    description = (nfc(description) or "").strip()
    if len(description) > maximum:
        raise StandardError(
            f"Tối đa {format_number(maximum)} ký tự (hiện có {format_number(len(description))}).",
            "description",
        )
    return description or None


def _group_order():
    """Order by content group in the enum's order (Tư tưởng chính trị first)."""
    return case({group: index for index, group in enumerate(ContentGroup)}, value=Standard.group)


def _lock_unit(unit: Unit) -> None:
    """Serialise changes to one unit's standards on PostgreSQL (SQLite locks the whole file).

    Adopting a catalogue or copying a year checks for existing rows first; without the lock two
    clicks at once could both find none and insert the set twice.
    """
    db.session.execute(select(Unit.id).where(Unit.id == unit.id).with_for_update())


# ---- reading ----------------------------------------------------------------------------------


def applicable_standards(unit: Unit, year: int) -> list[Standard]:
    """The active standards of the unit and of every unit above it for the year, in one query.

    Ordered by content group (enum order), then from the top unit down, then sort_order, id.
    No permission check: the caller has already loaded `unit` through a scoped query.
    """
    ids = unit.ancestor_ids
    depth = case({unit_id: index for index, unit_id in enumerate(ids)}, value=Standard.unit_id)
    return list(
        db.session.scalars(
            select(Standard)
            .where(Standard.unit_id.in_(ids), Standard.year == year, Standard.is_active)
            .order_by(_group_order(), depth, Standard.sort_order, Standard.id)
        )
    )


def standards_by_group(
    standards: Iterable[Standard], include_empty: bool = False
) -> dict[ContentGroup, list[Standard]]:
    """Group standards by content group, groups in enum order, each list in the given order."""
    grouped: dict[ContentGroup, list[Standard]] = {group: [] for group in ContentGroup}
    for standard in standards:
        grouped[standard.group].append(standard)
    if include_empty:
        return grouped
    return {group: items for group, items in grouped.items() if items}


def own_standards(unit: Unit, year: int, *, active: bool | None = None) -> list[Standard]:
    """The unit's own standards for the year (active, inactive, or both when None)."""
    query = select(Standard).where(Standard.unit_id == unit.id, Standard.year == year)
    if active is not None:
        query = query.where(Standard.is_active.is_(active))
    return list(db.session.scalars(query.order_by(_group_order(), Standard.sort_order, Standard.id)))


def themes_for(unit: Unit, year: int) -> list[AnnualTheme]:
    """The annual themes of the unit and the units above it for the year, top unit first."""
    ids = unit.ancestor_ids
    depth = case({unit_id: index for index, unit_id in enumerate(ids)}, value=AnnualTheme.unit_id)
    return list(
        db.session.scalars(
            select(AnnualTheme).where(AnnualTheme.unit_id.in_(ids), AnnualTheme.year == year).order_by(depth)
        )
    )


def get_theme(unit: Unit, year: int) -> AnnualTheme | None:
    """The unit's own theme for the year, if set."""
    return db.session.scalar(
        select(AnnualTheme).where(AnnualTheme.unit_id == unit.id, AnnualTheme.year == year)
    )


def _has_own(unit: Unit, year: int, *, active_only: bool = False) -> bool:
    query = select(Standard.id).where(Standard.unit_id == unit.id, Standard.year == year)
    if active_only:
        query = query.where(Standard.is_active)
    return bool(db.session.scalar(select(exists(query))))


def can_copy_previous_year(unit: Unit, year: int) -> bool:
    """Whether the year has no standards of the unit yet and the year before has some."""
    return not _has_own(unit, year) and _has_own(unit, year - 1, active_only=True)


def adopted_catalogues(unit: Unit, year: int) -> dict[str, Unit]:
    """Catalogue key → the unit (this one or one above) that adopted it for the year.

    The unit's own adoptions count even when their standards were deactivated (they can be
    reactivated); a unit above counts only while some of its adopted standards still apply.
    """
    ids = unit.ancestor_ids
    rows = db.session.execute(
        select(Standard.catalogue, Standard.unit_id)
        .where(
            Standard.unit_id.in_(ids),
            Standard.year == year,
            Standard.catalogue.is_not(None),
            or_(Standard.unit_id == unit.id, Standard.is_active),
        )
        .distinct()
    ).all()
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    # The unit nearest to this one wins, so "already adopted by this unit" shows first.
    result: dict[str, Unit] = {}
    for key, unit_id in sorted(rows, key=lambda row: ids.index(row[1])):
        result[key] = units[unit_id]
    return result


def years_to_offer(unit: Unit, year: int) -> list[int]:
    """Years for the year switcher: those with standards here or above, around this year, newest first."""
    years = set(
        db.session.scalars(select(Standard.year).where(Standard.unit_id.in_(unit.ancestor_ids)).distinct())
    )
    years.update(y for y in (year - 1, year, year + 1) if year_in_range(y))
    return sorted(years, reverse=True)


def get_visible_standard(standard_id: int, user: User) -> Standard:
    """The standard if the user may see its unit; 404 otherwise (no hint that it exists)."""
    visible = permissions.visible_units(user).with_only_columns(Unit.id)
    standard = db.session.scalar(
        select(Standard).where(Standard.id == standard_id, Standard.unit_id.in_(visible))
    )
    if standard is None:
        abort(404)
    return standard


# ---- changing ---------------------------------------------------------------------------------


def _next_sort_order(unit: Unit, year: int) -> int:
    current = db.session.scalar(
        select(func.max(Standard.sort_order)).where(Standard.unit_id == unit.id, Standard.year == year)
    )
    return (current or 0) + 1


def _add(
    unit: Unit,
    year: int,
    group: ContentGroup,
    title: str,
    description: str | None,
    sort_order: int,
    catalogue: str | None = None,
) -> Standard:
    standard = Standard(
        unit_id=unit.id,
        year=year,
        group=group,
        title=title,
        description=description,
        sort_order=sort_order,
        catalogue=catalogue,
    )
    db.session.add(standard)
    return standard


def create_standard(
    actor: User, unit: Unit, year: int, group: ContentGroup, title: str, description: str | None
) -> Standard:
    """Add one of the unit's own standards for the year; who may manage the unit's standards."""
    permissions.require(permissions.can_manage_standards(actor, unit))
    _check_year(year)
    locks.ensure(locks.standards_lock(unit, year))
    group = ContentGroup(group)
    title = _clean_title(title)
    description = _clean_description(description)
    _lock_unit(unit)
    standard = _add(unit, year, group, title, description, _next_sort_order(unit, year))
    db.session.flush()
    return standard


def update_standard(
    actor: User, standard: Standard, group: ContentGroup, title: str, description: str | None
) -> Standard:
    """Change a standard's group, title or description; who may manage its unit's standards."""
    permissions.require(permissions.can_manage_standards(actor, standard.unit))
    locks.ensure(locks.standards_lock(standard.unit, standard.year))
    group, title, description = ContentGroup(group), _clean_title(title), _clean_description(description)
    standard.group, standard.title, standard.description = group, title, description
    db.session.flush()
    return standard


def deactivate_standard(actor: User, standard: Standard) -> Standard:
    """Stop applying a standard (it stays, for the commitments already tied to it)."""
    permissions.require(permissions.can_manage_standards(actor, standard.unit))
    locks.ensure(locks.standards_lock(standard.unit, standard.year))
    standard.is_active = False
    db.session.flush()
    return standard


def reactivate_standard(actor: User, standard: Standard) -> Standard:
    """Apply a deactivated standard again."""
    permissions.require(permissions.can_manage_standards(actor, standard.unit))
    locks.ensure(locks.standards_lock(standard.unit, standard.year))
    standard.is_active = True
    db.session.flush()
    return standard


def _adopt(unit: Unit, year: int, catalogue: Catalogue) -> list[Standard]:
    start = _next_sort_order(unit, year)
    return [
        _add(unit, year, item.group, item.title, item.description, start + index, catalogue.key)
        for index, item in enumerate(catalogue.items)
    ]


def adopt_catalogue(actor: User, unit: Unit, year: int, key: str) -> list[Standard]:
    """Copy a shipped catalogue into the unit's standards for the year; returns the new standards.

    A catalogue already adopted for the year, by this unit or one above it, is refused with a
    message rather than copied twice (its items already apply here).
    """
    permissions.require(permissions.can_manage_standards(actor, unit))
    _check_year(year)
    locks.ensure(locks.standards_lock(unit, year))
    catalogue = get_catalogue(key)
    if catalogue is None:
        raise StandardError("Vui lòng chọn một bộ chuẩn mực trong danh sách.", "catalogue")
    _lock_unit(unit)
    adopter = adopted_catalogues(unit, year).get(catalogue.key)
    if adopter is not None:
        if adopter.id == unit.id:
            message = (
                f"Đơn vị đã áp dụng bộ “{catalogue.title}” cho năm {year}; không thêm lại để tránh trùng lặp."
            )
        else:
            message = (
                f"{adopter.name} đã áp dụng bộ “{catalogue.title}” cho năm {year}, "
                "nên các chuẩn mực này đã có hiệu lực với đơn vị."
            )
        raise StandardError(message, "catalogue")
    standards = _adopt(unit, year, catalogue)
    db.session.flush()
    return standards


def copy_previous_year(actor: User, unit: Unit, year: int) -> list[Standard]:
    """Start the year from the unit's active standards of the year before; returns the copies.

    Only into an empty year: copying over standards already set would mix two sets.
    """
    permissions.require(permissions.can_manage_standards(actor, unit))
    _check_year(year)
    locks.ensure(locks.standards_lock(unit, year))
    _lock_unit(unit)
    if _has_own(unit, year):
        raise StandardError(f"Năm {year} đã có chuẩn mực; chỉ chép sang năm chưa có chuẩn mực nào.")
    previous = own_standards(unit, year - 1, active=True)
    if not previous:
        raise StandardError(f"Năm {year - 1} chưa có chuẩn mực nào để chép.")
    copies = [_add(unit, year, s.group, s.title, s.description, s.sort_order, s.catalogue) for s in previous]
    db.session.flush()
    return copies


def carry_over_standards(actor: User, unit: Unit, from_year: int, to_year: int) -> int:
    """Closing a year: the unit's active standards go on into the next year, unless it has its own already."""
    if (
        not year_in_range(to_year)
        or _has_own(unit, to_year)
        or not _has_own(unit, from_year, active_only=True)
    ):
        return 0
    previous = own_standards(unit, from_year, active=True)
    for s in previous:
        _add(unit, to_year, s.group, s.title, s.description, s.sort_order, s.catalogue)
    db.session.flush()
    return len(previous)


def _set_theme(unit: Unit, year: int, title: str, description: str | None) -> AnnualTheme:
    title = clean_line(title)
    if not title:
        raise StandardError("Vui lòng nhập tên chuyên đề.", "title")
    if len(title) > THEME_TITLE_MAX:
        raise StandardError(f"Tối đa {THEME_TITLE_MAX} ký tự (hiện có {len(title)}).", "title")
    description = _clean_description(description, THEME_DESCRIPTION_MAX)
    _lock_unit(unit)
    theme = get_theme(unit, year)
    if theme is None:
        theme = AnnualTheme(unit_id=unit.id, year=year)
        db.session.add(theme)
    theme.title = title
    theme.description = description
    db.session.flush()
    return theme


def set_theme(actor: User, unit: Unit, year: int, title: str, description: str | None) -> AnnualTheme:
    """Set or change the unit's annual theme (chuyên đề năm); who may manage its standards."""
    permissions.require(permissions.can_manage_standards(actor, unit))
    _check_year(year)
    locks.ensure(locks.standards_lock(unit, year))
    return _set_theme(unit, year, title, description)


# ---- demo data --------------------------------------------------------------------------------

DEMO_THEME = (
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh về xây dựng Đảng và hệ thống "
    "chính trị trong sạch, vững mạnh; tuổi trẻ tiên phong, gương mẫu, hết lòng phụng sự Tổ quốc, "
    "phục vụ Nhân dân",
    "Mỗi đoàn viên rèn luyện bản lĩnh chính trị, đạo đức cách mạng; gương mẫu thực hiện những điều "
    "cán bộ, công chức, đảng viên không được làm; xung kích trong cải cách hành chính và chuyển đổi "
    "số; tích cực đấu tranh phản bác các quan điểm sai trái, thù địch trên không gian mạng.",
)

DEMO_BRANCH_STANDARDS = (
    (
        ContentGroup.DISCIPLINE,
        "Đúng giờ, đúng hạn",
        "Đến cơ quan, dự họp và sinh hoạt chi đoàn đúng giờ; xử lý văn bản, hồ sơ đúng thời hạn được giao.",
    ),
    (
        ContentGroup.WORK_STYLE,
        "Tận tình, chu đáo khi tiếp nhận, hướng dẫn",
        "Niềm nở, lịch sự với người đến liên hệ công tác; hướng dẫn đầy đủ một lần, không gây phiền hà.",
    ),
)


def seed_demo_standards(root_unit: Unit, branch_unit: Unit, year: int) -> None:
    """Demo data: the top unit adopts "Cần, kiệm, liêm, chính…" and sets a theme, the branch adds
    two standards of its own. No permission check (the demo seed only); safe to run twice."""
    if CAN_KIEM_LIEM_CHINH.key not in adopted_catalogues(root_unit, year):
        _adopt(root_unit, year, CAN_KIEM_LIEM_CHINH)
    if get_theme(root_unit, year) is None:
        _set_theme(root_unit, year, *DEMO_THEME)
    if not _has_own(branch_unit, year):
        start = _next_sort_order(branch_unit, year)
        for index, (group, title, description) in enumerate(DEMO_BRANCH_STANDARDS):
            _add(branch_unit, year, group, title, description, start + index)
    db.session.flush()
