"""The filters of the report pages (GET forms: no CSRF token, nothing is changed).

A filter never fails the page: a value that is not among the choices falls back to the
default, and the form shows what is actually displayed.
"""

from __future__ import annotations

from wtforms import SelectField

from app.core.enums import ContentGroup
from app.core.forms import BaseForm
from app.reports import services


class _GetForm(BaseForm):
    class Meta:
        csrf = False


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


class PeriodForm(_GetForm):
    """Year and period (cả năm, a quarter, a month) of the unit dashboard."""

    year = SelectField("Năm", coerce=int)
    period = SelectField("Kỳ báo cáo", choices=services.PERIOD_CHOICES)

    @classmethod
    def showing(cls, period: services.Period) -> PeriodForm:
        form = cls(formdata=None, year=period.year, period=period.key)
        form.year.choices = [(y, str(y)) for y in services.report_years()]
        if period.year not in dict(form.year.choices):
            form.year.choices.append((period.year, str(period.year)))
        return form


class CommendationFilterForm(_GetForm):
    """Year, month, unit and content group of the commendations page."""

    year = SelectField("Năm", coerce=int)
    month = SelectField("Tháng", coerce=_int_or_none)
    scope = SelectField("Đơn vị", coerce=_int_or_none)
    group = SelectField("Nhóm nội dung", choices=[("", "Tất cả nhóm nội dung"), *ContentGroup.choices()])

    @classmethod
    def showing(cls, data: services.Commendations, scopes: list[tuple[int, str]]) -> CommendationFilterForm:
        form = cls(
            formdata=None,
            year=data.year,
            month=data.month,
            scope=data.scope.id if data.scope.id != data.unit.id else None,
            group=data.group.value if data.group else "",
        )
        form.year.choices = [(y, str(y)) for y in services.report_years()]
        if data.year not in dict(form.year.choices):
            form.year.choices.append((data.year, str(data.year)))
        form.month.choices = [(None, "Cả năm")] + [(m, f"Tháng {m}") for m in range(1, 13)]
        form.scope.choices = [(None, f"Tất cả ({data.unit.name})")] + [
            (unit_id, name) for unit_id, name in scopes if unit_id != data.unit.id
        ]
        return form
