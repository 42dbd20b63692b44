"""Forms of the notification centre: marking all read, and the email preference."""

from __future__ import annotations

from wtforms import RadioField, SubmitField
from wtforms.validators import InputRequired

from app.core.forms import BaseForm

CHANNEL_EMAIL = "email"
CHANNEL_APP = "app"


class ReadAllForm(BaseForm):
    """The "mark all read" button: CSRF only."""

    submit = SubmitField("Đánh dấu tất cả đã đọc")


class SettingsForm(BaseForm):
    """How the person wants to be told: email and in-app, or in-app only."""

    channel = RadioField(
        "Nhận thông báo",
        choices=[
            (CHANNEL_EMAIL, "Qua email và trong ứng dụng"),
            (CHANNEL_APP, "Chỉ trong ứng dụng"),
        ],
        validators=[InputRequired("Vui lòng chọn cách nhận thông báo.")],
    )
    submit = SubmitField("Lưu")
