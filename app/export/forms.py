"""Forms of the export pages: which year (and month) to print, and the number to verify."""

from __future__ import annotations

from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.core.forms import BaseForm, strip_line

MONTH_CHOICES = [(m, f"Tháng {m}") for m in range(1, 13)]


class YearForm(BaseForm):
    """Print a document of a year (the choices are set by the view)."""

    year = SelectField("Năm", coerce=int)


class MonthForm(YearForm):
    month = SelectField("Tháng", coerce=int, choices=MONTH_CHOICES)


def export_form(kind, years: list[int], **kwargs) -> YearForm:
    """The form for a document kind, prefixed by its key so several sit on one page."""
    form_class = MonthForm if kind.needs_month else YearForm
    form = form_class(prefix=kind.key, **kwargs)
    form.year.choices = [(y, str(y)) for y in years]
    return form


class VerifyForm(BaseForm):
    """The public verification form: read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    number = StringField(
        "Số văn bản",
        filters=[strip_line],
        validators=[DataRequired("Vui lòng nhập số văn bản."), Length(max=40, message="Số văn bản quá dài.")],
        render_kw={"placeholder": "SNK-2026-000123", "autocomplete": "off", "spellcheck": "false"},
    )
