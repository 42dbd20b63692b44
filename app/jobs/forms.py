"""The form that starts a bulk export: the year."""

from __future__ import annotations

from wtforms import SelectField
from wtforms.validators import InputRequired

from app.core.forms import BaseForm
from app.jobs.services import year_choices


class ExportForm(BaseForm):
    year = SelectField("Năm", coerce=int, validators=[InputRequired("Vui lòng chọn năm cần xuất sổ.")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.year.choices = [(y, str(y)) for y in year_choices()]
        if self.year.data is None:
            self.year.data = self.year.choices[0][0]
