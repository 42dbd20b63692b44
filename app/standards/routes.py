"""Standards (chuẩn mực đạo đức) and the annual theme of a unit, year by year."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.core import permissions
from app.core.bounds import MAX_YEAR, MIN_YEAR, year_in_range
from app.core.db import db
from app.core.enums import ContentGroup
from app.core.filters import today_local
from app.core.rules import attempt, place_refusal
from app.standards import services
from app.standards.catalogues import CATALOGUES, catalogue_title, get_catalogue
from app.standards.forms import ActionForm, AdoptCatalogueForm, StandardForm, ThemeForm
from app.units.models import Unit

bp = Blueprint("standards", __name__)

_YEAR = re.compile(r"\d{4}", re.ASCII)


def _year_arg() -> int:
    """?year= as a valid year, this year in Vietnam when absent; anything else is a 404."""
    raw = request.args.get("year", "").strip()
    if not raw:
        return today_local().year
    if not _YEAR.fullmatch(raw) or not year_in_range(int(raw)):
        abort(404)
    return int(raw)


def _index_url(unit_id: int, year: int, anchor: str | None = None) -> str:
    return url_for("standards.index", unit_id=unit_id, year=year, _anchor=anchor)


def _ancestors(unit: Unit) -> list[Unit]:
    return list(
        db.session.scalars(select(Unit).where(Unit.id.in_(unit.ancestor_ids[:-1])).order_by(Unit.path))
    )


def _flash_form_errors(form) -> None:
    for message in form.form_errors_all or ["Biểu mẫu không hợp lệ, vui lòng thử lại."]:
        flash(message, "danger")


def _render_index(unit: Unit, year: int, adopt_form: AdoptCatalogueForm | None = None):
    manage = permissions.can_manage_standards(current_user, unit)
    applicable = services.applicable_standards(unit, year)
    adopted = services.adopted_catalogues(unit, year) if manage else {}
    if adopt_form is None:
        adopt_form = AdoptCatalogueForm(formdata=None)
        # Offer first a catalogue that does not apply here yet.
        adopt_form.catalogue.data = next((k for k in CATALOGUES if k not in adopted), None)
    themes = services.themes_for(unit, year)
    years = sorted(set(services.years_to_offer(unit, year)) | {today_local().year}, reverse=True)
    return render_template(
        "standards/index.html",
        unit=unit,
        year=year,
        years=years,
        min_year=MIN_YEAR,
        max_year=MAX_YEAR,
        ancestors=_ancestors(unit),
        grouped=services.standards_by_group(applicable, include_empty=True),
        total=len(applicable),
        themes=themes,
        own_theme=next((t for t in themes if t.unit_id == unit.id), None),
        manage=manage,
        inactive=services.own_standards(unit, year, active=False) if manage else [],
        adopted=adopted,
        can_copy=manage and services.can_copy_previous_year(unit, year),
        catalogues=CATALOGUES,
        catalogue_title=catalogue_title,
        adopt_form=adopt_form,
    )


@bp.route("/units/<int:unit_id>/standards")
@login_required
def index(unit_id: int):
    """The standards that apply to a unit in a year, by content group, with the annual themes.

    Anyone who may see the unit reads it; its secretaries, officers above and admins manage it.
    """
    unit = permissions.get_visible_unit(unit_id, current_user)
    return _render_index(unit, _year_arg())


@bp.route("/units/<int:unit_id>/standards/new", methods=["GET", "POST"])
@login_required
def create(unit_id: int):
    """Add one of the unit's own standards for ?year=; who may manage the unit's standards."""
    unit = permissions.get_visible_unit(unit_id, current_user)
    permissions.require(permissions.can_manage_standards(current_user, unit))
    year = _year_arg()
    form = StandardForm()
    if request.method == "GET" and request.args.get("group") in {g.value for g in ContentGroup}:
        form.group.data = request.args["group"]
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.create_standard(
                current_user,
                unit,
                year,
                ContentGroup(form.group.data),
                form.title.data,
                form.description.data,
            ),
            success=lambda standard: f"Đã thêm chuẩn mực “{standard.title}” cho năm {year}.",
            errors=[],
        )
        if outcome.ok:
            return redirect(_index_url(unit.id, year, f"group-{outcome.value.group.value}"))
        place_refusal(form, outcome.error, "title")
    return render_template("standards/form.html", form=form, unit=unit, year=year, standard=None)


@bp.route("/standards/<int:standard_id>/edit", methods=["GET", "POST"])
@login_required
def edit(standard_id: int):
    """Change a standard's group, title or description; who may manage its unit's standards."""
    standard = services.get_visible_standard(standard_id, current_user)
    unit = standard.unit
    permissions.require(permissions.can_manage_standards(current_user, unit))
    form = StandardForm(obj=standard) if request.method == "GET" else StandardForm()
    if request.method == "GET":
        form.group.data = standard.group.value
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.update_standard(
                current_user,
                standard,
                ContentGroup(form.group.data),
                form.title.data,
                form.description.data,
            ),
            success=lambda _: f"Đã lưu chuẩn mực “{standard.title}”.",
            errors=[],
        )
        if outcome.ok:
            return redirect(_index_url(unit.id, standard.year, f"group-{standard.group.value}"))
        place_refusal(form, outcome.error, "title")
    return render_template("standards/form.html", form=form, unit=unit, year=standard.year, standard=standard)


def _set_active(standard_id: int, active: bool):
    standard = services.get_visible_standard(standard_id, current_user)
    permissions.require(permissions.can_manage_standards(current_user, standard.unit))
    form = ActionForm()
    if form.validate_on_submit():
        if active:
            attempt(
                lambda: services.reactivate_standard(current_user, standard),
                success=lambda _: f"Đã áp dụng lại chuẩn mực “{standard.title}”.",
            )
        else:
            attempt(
                lambda: services.deactivate_standard(current_user, standard),
                success=lambda _: (
                    f"Đã ngừng áp dụng chuẩn mực “{standard.title}”. Có thể áp dụng lại ở cuối trang."
                ),
            )
    else:
        _flash_form_errors(form)
    return redirect(_index_url(standard.unit_id, standard.year, f"group-{standard.group.value}"))


@bp.route("/standards/<int:standard_id>/deactivate", methods=["POST"])
@login_required
def deactivate(standard_id: int):
    """Stop applying a standard; it stays for commitments tied to it. Managers of its unit."""
    return _set_active(standard_id, active=False)


@bp.route("/standards/<int:standard_id>/reactivate", methods=["POST"])
@login_required
def reactivate(standard_id: int):
    """Apply a deactivated standard again. Managers of its unit."""
    return _set_active(standard_id, active=True)


@bp.route("/units/<int:unit_id>/standards/adopt", methods=["POST"])
@login_required
def adopt(unit_id: int):
    """Copy a shipped catalogue into the unit's standards for ?year=; never twice."""
    unit = permissions.get_visible_unit(unit_id, current_user)
    permissions.require(permissions.can_manage_standards(current_user, unit))
    year = _year_arg()
    form = AdoptCatalogueForm()
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.adopt_catalogue(current_user, unit, year, form.catalogue.data),
            success=lambda created: (
                f"Đã áp dụng bộ “{get_catalogue(form.catalogue.data).title}”: "
                f"thêm {len(created)} chuẩn mực cho năm {year}."
            ),
            errors=form.catalogue.errors,
        )
        if outcome.ok:
            return redirect(_index_url(unit.id, year))
    return _render_index(unit, year, adopt_form=form)


@bp.route("/units/<int:unit_id>/standards/copy-previous", methods=["POST"])
@login_required
def copy_previous(unit_id: int):
    """Start ?year= from the unit's standards of the year before, when ?year= has none yet."""
    unit = permissions.get_visible_unit(unit_id, current_user)
    permissions.require(permissions.can_manage_standards(current_user, unit))
    year = _year_arg()
    form = ActionForm()
    if form.validate_on_submit():
        attempt(
            lambda: services.copy_previous_year(current_user, unit, year),
            success=lambda copies: f"Đã chép {len(copies)} chuẩn mực của năm {year - 1} sang năm {year}.",
        )
    else:
        _flash_form_errors(form)
    return redirect(_index_url(unit.id, year))


@bp.route("/units/<int:unit_id>/theme", methods=["GET", "POST"])
@login_required
def theme(unit_id: int):
    """Set or change the unit's annual theme (chuyên đề năm) for ?year=; managers of the unit."""
    unit = permissions.get_visible_unit(unit_id, current_user)
    permissions.require(permissions.can_manage_standards(current_user, unit))
    year = _year_arg()
    current = services.get_theme(unit, year)
    form = ThemeForm(obj=current) if request.method == "GET" else ThemeForm()
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.set_theme(current_user, unit, year, form.title.data, form.description.data),
            success=f"Đã lưu chuyên đề năm {year}.",
            errors=[],
        )
        if outcome.ok:
            return redirect(_index_url(unit.id, year, "themes"))
        place_refusal(form, outcome.error, "title")
    inherited = [t for t in services.themes_for(unit, year) if t.unit_id != unit.id]
    return render_template(
        "standards/theme.html", form=form, unit=unit, year=year, current=current, inherited=inherited
    )
