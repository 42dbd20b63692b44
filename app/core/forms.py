"""The base form and field helpers every feature's forms use (Vietnamese messages)."""

from __future__ import annotations

import re
from datetime import time

from flask_wtf import FlaskForm
from wtforms import DateField, Field, SelectMultipleField, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from app.core.text import clean_line, nfc

CSRF_MESSAGE = (
    "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Nội dung bạn nhập vẫn còn đây, hãy bấm gửi lại."
)


def strip_line(value):
    """Filter for one-line text fields: NFC, single spaces, trimmed."""
    return clean_line(value) if isinstance(value, str) else value


def normalize_text(value):
    """Filter for multi-line text fields: NFC, LF line ends, no control characters."""
    return nfc(value).strip() if isinstance(value, str) else value


# WTForms' own messages (an unknown choice, an unreadable date …) in Vietnamese: WTForms ships no
# Vietnamese catalogue, and without one users would see "Not a valid choice." next to a field.
WTFORMS_MESSAGES = {
    "This field is required.": "Vui lòng điền mục này.",
    "Invalid input.": "Giá trị không hợp lệ.",
    "Invalid email address.": "Email không hợp lệ (ví dụ: ten@gmail.com).",
    "Field must be equal to %(other_name)s.": "Hai giá trị nhập không khớp nhau.",
    "Field must be at least %(min)d character long.": "Cần ít nhất %(min)d ký tự.",
    "Field must be at least %(min)d characters long.": "Cần ít nhất %(min)d ký tự.",
    "Field cannot be longer than %(max)d character.": "Tối đa %(max)d ký tự.",
    "Field cannot be longer than %(max)d characters.": "Tối đa %(max)d ký tự.",
    "Field must be exactly %(max)d character long.": "Cần đúng %(max)d ký tự.",
    "Field must be exactly %(max)d characters long.": "Cần đúng %(max)d ký tự.",
    "Field must be between %(min)d and %(max)d characters long.": "Cần từ %(min)d đến %(max)d ký tự.",
    "Number must be at least %(min)s.": "Số phải từ %(min)s trở lên.",
    "Number must be at most %(max)s.": "Số không được lớn hơn %(max)s.",
    "Number must be between %(min)s and %(max)s.": "Số phải từ %(min)s đến %(max)s.",
    "Date must be at least %(min)s.": "Ngày phải từ %(min)s trở đi.",
    "Date must be at most %(max)s.": "Ngày không được sau %(max)s.",
    "Date must be between %(min)s and %(max)s.": "Ngày phải từ %(min)s đến %(max)s.",
    "Not a valid choice.": "Vui lòng chọn một mục trong danh sách.",
    "Invalid Choice: could not coerce.": "Vui lòng chọn một mục trong danh sách.",
    "Invalid choice(s): one or more data inputs could not be coerced.": (
        "Vui lòng chọn các mục trong danh sách."
    ),
    "'%(value)s' is not a valid choice for this field.": "“%(value)s” không có trong danh sách.",
    "'%(value)s' are not valid choices for this field.": "“%(value)s” không có trong danh sách.",
    "Not a valid datetime value.": "Thời điểm không hợp lệ.",
    "Not a valid date value.": "Ngày không hợp lệ (ví dụ: 08/05/2013).",
    "Not a valid time value.": "Giờ không hợp lệ.",
    "Not a valid week value.": "Tuần không hợp lệ.",
    "Not a valid integer value.": "Vui lòng nhập một số nguyên.",
    "Not a valid decimal value.": "Vui lòng nhập một số.",
    "Not a valid float value.": "Vui lòng nhập một số.",
}


class VietnameseTranslations:
    """The gettext interface WTForms asks for its built-in messages."""

    def gettext(self, string: str) -> str:
        return WTFORMS_MESSAGES.get(string, string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


class BaseForm(FlaskForm):
    """A FlaskForm whose CSRF failure reads in Vietnamese and keeps what was typed."""

    class Meta:
        def get_translations(self, form):
            return VietnameseTranslations()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        csrf = getattr(self, "csrf_token", None)
        if csrf is not None and csrf.errors:
            csrf.errors = [CSRF_MESSAGE]
            self._errors = None
        return valid

    @property
    def has_errors(self) -> bool:
        """Whether any field or the form itself has an error (also those a view added after validate)."""
        return bool(self.form_errors_all) or any(f.errors for f in self)

    @property
    def form_errors_all(self) -> list[str]:
        """Errors not tied to a visible field (CSRF and form-level), for the top of the form."""
        messages = list(self.form_errors)
        csrf = getattr(self, "csrf_token", None)
        if csrf is not None:
            messages.extend(csrf.errors)
        return messages


class MaxLength:
    """Length check that counts characters and says so in Vietnamese."""

    def __init__(self, maximum: int):
        self.maximum = maximum
        # Rendered as maxlength="…": the browser stops at the limit (entry-form.js shows a counter).
        self.field_flags = {"maxlength": maximum}

    def __call__(self, form, field) -> None:
        if field.data and len(field.data) > self.maximum:
            raise ValidationError(
                f"Tối đa {self.maximum:,} ký tự (hiện có {len(field.data):,}).".replace(",", ".")
            )


class VNDateField(DateField):
    """A date typed the Vietnamese way, dd/mm/yyyy, whatever the browser's language.

    A native date picker would show mm/dd/yyyy on a phone set to English; a text box with the
    format written next to it does not. yyyy-mm-dd (what a date picker sends) is accepted too.
    """

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"placeholder": "ngày/tháng/năm", "inputmode": "numeric", "autocomplete": "off"}
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(
            label,
            validators,
            format=["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"],
            render_kw=render_kw,
            **kwargs,
        )

    def process_formdata(self, valuelist):
        valuelist = [v.strip() for v in valuelist if isinstance(v, str)]
        if not valuelist or not valuelist[0]:
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(
                "Ngày không hợp lệ: hãy ghi theo dạng ngày/tháng/năm, ví dụ 08/05/2026."
            ) from None

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime("%d/%m/%Y") if self.data else ""


class VNTimeField(Field):
    """An hour typed as people write it, 24-hour: "14:00", "14h00", "14 giờ 30", "8g15", "14".

    A text box rather than a native time picker, which shows "02:00 PM" to a browser set to English.
    """

    widget = TextInput()
    _pattern = re.compile(r"^(\d{1,2})\s*(?:[:hgH.]|giờ)?\s*(\d{2})?\s*(?:phút|p)?$")

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"placeholder": "giờ:phút, ví dụ 14:00", "inputmode": "numeric", "autocomplete": "off"}
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist):
        text = " ".join(v.strip() for v in valuelist if isinstance(v, str)).strip().lower()
        if not text:
            self.data = None
            return
        found = self._pattern.match(text)
        hour, minute = (int(found.group(1)), int(found.group(2) or 0)) if found else (99, 99)
        if hour > 23 or minute > 59:
            self.data = None
            raise ValueError("Giờ không hợp lệ: hãy ghi giờ:phút theo 24 giờ, ví dụ 14:00 hoặc 8:30.")
        self.data = time(hour, minute)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime("%H:%M") if self.data else ""


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes for a list of ids; unknown or malformed values are dropped, the service
    decides what is allowed (so a tampered form gets a Vietnamese message, not WTForms' English)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def process_formdata(self, valuelist):
        values = []
        for raw in valuelist:
            try:
                values.append(self.coerce(raw))
            except (TypeError, ValueError):
                continue
        self.data = values

    def pre_validate(self, form) -> None:
        known = {self.coerce(c[0] if isinstance(c, tuple) else c.value) for c in self.choices or []}
        self.data = [v for v in (self.data or []) if v in known]
