"""Reports for upper units: the dashboard of a subtree, commendations, exports, and the member's
page of who read their diary.

Who may (permissions.can_view_reports): administrators, officers of the unit or above, and a
branch's secretaries for their own branch. A unit the user may not see is a 404; one they may
see but not report on is a 403.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.audit.reads import reads_of
from app.core import permissions
from app.core.db import db
from app.core.enums import ContentGroup
from app.core.filters import today_local, vn_date
from app.reports import charts, exports, services
from app.reports import documents as _documents  # noqa: F401  (registers the annual report PDF)
from app.reports.forms import CommendationFilterForm, PeriodForm
from app.units.models import Unit

bp = Blueprint("reports", __name__)

TABLES = ("units", "months", "ratings", "commendations", "all")
FORMATS = ("xlsx", "csv")


def _report_unit(unit_id: int) -> Unit:
    unit = permissions.get_visible_unit(unit_id, current_user)
    permissions.require(permissions.can_view_reports(current_user, unit))
    return unit


def _ancestors(unit: Unit) -> list[Unit]:
    """The units above `unit` whose reports the user may open too (for the breadcrumb; one query)."""
    ids = unit.ancestor_ids[:-1]
    if not ids:
        return []
    found = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    return [found[i] for i in ids if i in found and permissions.can_view_reports(current_user, found[i])]


def _period():
    return services.parse_period(request.args.get("year"), request.args.get("period"))


@bp.route("/reports")
@login_required
def index():
    """The units the user reports on; straight to the dashboard when there is one."""
    units = services.report_units(current_user)
    permissions.require(bool(units))
    if len(units) == 1:
        return redirect(url_for("reports.dashboard", unit_id=units[0].id))
    return render_template("reports/index.html", units=units)


@bp.route("/units/<int:unit_id>/reports")
@login_required
def dashboard(unit_id: int):
    """The dashboard of a unit over everything under it, for ?year=&period= (year, q1–q4, m1–m12)."""
    unit = _report_unit(unit_id)
    period = _period()
    report = services.build_report(unit, period)
    return render_template(
        "reports/dashboard.html",
        unit=unit,
        report=report,
        period=period,
        form=PeriodForm.showing(period),
        ancestors=_ancestors(unit),
        charts=charts.report_charts(report),
        legend=charts.SERIES_LEGEND,
        pct=charts.pct,
        num=charts.num,
        bar=charts.bar,
    )


def _commendation_filters(unit: Unit):
    """(year, month, scope unit, content group) from the query string; anything odd is ignored."""
    period = services.parse_period(request.args.get("year"), None)
    month = request.args.get("month", type=int)
    month = month if month and 1 <= month <= 12 else None
    scope = services.unit_in_subtree(unit, request.args.get("scope", type=int)) or unit
    group = request.args.get("group", "")
    group = ContentGroup(group) if group in {g.value for g in ContentGroup} else None
    return period.year, month, scope, group


@bp.route("/units/<int:unit_id>/reports/commendations")
@login_required
def commendations(unit_id: int):
    """Exemplary entries and members across the subtree (?year=&month=&scope=&group=), the text
    to copy into a report, and the sổ vàng of the branches."""
    unit = _report_unit(unit_id)
    year, month, scope, group = _commendation_filters(unit)
    data = services.commendations(unit, year, month, scope, group)
    scopes = services.scope_choices(unit)
    return render_template(
        "reports/commendations.html",
        unit=unit,
        data=data,
        form=CommendationFilterForm.showing(data, scopes),
        ancestors=_ancestors(unit),
        filters={
            "year": year,
            "month": month,
            "scope": scope.id if scope.id != unit.id else None,
            "group": group.value if group else None,
        },
    )


@bp.route("/units/<int:unit_id>/reports/export/<table>.<fmt>")
@login_required
def export(unit_id: int, table: str, fmt: str):
    """A report table as .xlsx or .csv (the same filters as the page it comes from); "all" is every
    table of the dashboard in one workbook."""
    unit = _report_unit(unit_id)
    if table not in TABLES or fmt not in FORMATS or (table == "all" and fmt != "xlsx"):
        abort(404)
    heading = [unit.name, f"Xuất ngày {vn_date(today_local())}"]
    if table == "commendations":
        year, month, scope, group = _commendation_filters(unit)
        data = services.commendations(unit, year, month, scope, group, limit=services.EXPORT_LIMIT)
        tables = [exports.commendations_table(data)]
        chosen = [x for x in (scope.name if scope.id != unit.id else "", group.label if group else "") if x]
        heading.append(("Lọc theo: " + "; ".join(chosen)) if chosen else "Toàn bộ các đơn vị trực thuộc")
        period_key = f"{year}" + (f"-{month:02d}" if month else "")
    else:
        period = _period()
        report = services.build_report(unit, period)
        heading.append(f"Số liệu {period.label}, tính đến ngày {vn_date(report.as_of)}")
        available = {t.key: t for t in exports.report_tables(report)}
        if table != "all" and table not in available:
            abort(404)
        tables = list(available.values()) if table == "all" else [available[table]]
        period_key = f"{period.year}-{period.key}"
    name = f"bao-cao-{table}-{unit.code}-{period_key}".lower()
    if fmt == "xlsx":
        body, mimetype = exports.to_xlsx(tables, heading), exports.XLSX_MIMETYPE
    else:
        body, mimetype = exports.to_csv(tables[0]), exports.CSV_MIMETYPE
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{_ascii(name)}.{fmt}"',
            "Cache-Control": "private, no-store",
        },
    )


def _ascii(name: str) -> str:
    """A file name that every browser and mail client keeps as it is."""
    from app.core.text import fold

    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in fold(name))


@bp.route("/me/diary-reads")
@login_required
def my_reads():
    """Ai đã xem nhật ký của tôi: every read of one's diary by an officer above or an administrator."""
    items, more = reads_of(current_user, request.args.get("before", type=int))
    return render_template("reports/my_reads.html", items=items, more=more)
