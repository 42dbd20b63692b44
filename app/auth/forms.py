"""Forms for logging in, passwords and activation."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from app.auth.services import MIN_PASSWORD_LENGTH
from app.core.forms import BaseForm, MaxLength, strip_line

PASSWORD_HELP = f"Ít nhất {MIN_PASSWORD_LENGTH} ký tự."


def _new_password_fields():
    password = PasswordField(
        "Mật khẩu mới",
        validators=[
            InputRequired("Vui lòng nhập mật khẩu mới."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=f"Mật khẩu cần từ {MIN_PASSWORD_LENGTH} đến 200 ký tự.",
            ),
        ],
        description=PASSWORD_HELP,
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Nhập lại mật khẩu mới",
        validators=[
            InputRequired("Vui lòng nhập lại mật khẩu."),
            EqualTo("password", message="Hai lần nhập mật khẩu không khớp nhau."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class LoginForm(BaseForm):
    login = StringField(
        "Tên đăng nhập hoặc email",
        filters=[strip_line],
        validators=[DataRequired("Vui lòng nhập tên đăng nhập hoặc email."), MaxLength(254)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "autofocus": True},
    )
    password = PasswordField(
        "Mật khẩu",
        validators=[InputRequired("Vui lòng nhập mật khẩu."), MaxLength(200)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Ghi nhớ đăng nhập trên thiết bị này")
    submit = SubmitField("Đăng nhập")


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(
        "Mật khẩu hiện tại",
        validators=[InputRequired("Vui lòng nhập mật khẩu hiện tại."), MaxLength(200)],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = _new_password_fields()
    submit = SubmitField("Đổi mật khẩu")


class SetPasswordForm(BaseForm):
    password, confirm = _new_password_fields()
    submit = SubmitField("Lưu mật khẩu")


class ForgotPasswordForm(BaseForm):
    email = EmailField(
        "Email đã đăng ký",
        filters=[strip_line],
        validators=[DataRequired("Vui lòng nhập email."), MaxLength(254)],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField("Gửi liên kết đặt lại mật khẩu")


class LogoutForm(BaseForm):
    submit = SubmitField("Đăng xuất")
