"""The base form and field helpers every feature's forms use (Vietnamese messages)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import ValidationError

from app.core.text import clean_line, nfc

CSRF_MESSAGE = (
    "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Nội dung bạn nhập vẫn còn đây, "
    "hãy bấm gửi lại."
)


def strip_line(value):
    """Filter for one-line text fields: NFC, single spaces, trimmed."""
    return clean_line(value) if isinstance(value, str) else value


def normalize_text(value):
    """Filter for multi-line text fields: NFC, LF line ends, no control characters."""
    return nfc(value).strip() if isinstance(value, str) else value


class BaseForm(FlaskForm):
    """A FlaskForm whose CSRF failure reads in Vietnamese and keeps what was typed."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        csrf = getattr(self, "csrf_token", None)
        if csrf is not None and csrf.errors:
            csrf.errors = [CSRF_MESSAGE]
            self._errors = None
        return valid

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

    def __call__(self, form, field) -> None:
        if field.data and len(field.data) > self.maximum:
            raise ValidationError(
                f"Tối đa {self.maximum:,} ký tự (hiện có {len(field.data):,}).".replace(",", ".")
            )
