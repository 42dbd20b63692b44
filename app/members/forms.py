"""Forms for people and memberships."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Optional, Regexp, ValidationError

from app.core.clock import today_local
from app.core.enums import Role
from app.core.forms import BaseForm, MaxLength, VNDateField, strip_line


def _reasonable_birth_date(form, field) -> None:
    if field.data is None:
        return
    if field.data > today_local():
        raise ValidationError("Ngày sinh không thể ở tương lai.")
    if field.data.year < 1900:
        raise ValidationError("Ngày sinh phải từ năm 1900 trở đi.")


class PersonFieldsMixin:
    full_name = StringField(
        "Họ và tên",
        filters=[strip_line],
        validators=[DataRequired("Vui lòng nhập họ và tên."), MaxLength(120)],
        render_kw={"autocomplete": "name"},
    )
    birth_date = VNDateField("Ngày sinh", validators=[Optional(), _reasonable_birth_date])
    email = EmailField(
        "Email",
        filters=[strip_line],
        validators=[
            Optional(),
            MaxLength(254),
            Email("Email không hợp lệ (ví dụ: ten@gmail.com).", check_deliverability=False),
        ],
        description="Dùng để gửi lời mời kích hoạt và đặt lại mật khẩu.",
        render_kw={"autocomplete": "email"},
    )
    phone = StringField(
        "Số điện thoại",
        filters=[strip_line],
        validators=[
            Optional(),
            Regexp(
                r"^\+?[0-9 .()-]{8,20}$",
                message="Số điện thoại chỉ gồm chữ số (8–15 số), có thể có dấu + ở đầu.",
            ),
        ],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    position = StringField(
        "Chức vụ, công việc",
        filters=[strip_line],
        validators=[Optional(), MaxLength(120)],
        description="Ví dụ: Chuyên viên Phòng Tổ chức cán bộ",
    )


class MemberForm(PersonFieldsMixin, BaseForm):
    role = SelectField("Vai trò trong đơn vị", choices=[])
    username = StringField(
        "Tên đăng nhập",
        filters=[strip_line],
        validators=[Optional(), MaxLength(64)],
        description="Để trống để tự tạo từ họ tên (ví dụ: Nguyễn Văn An → annv).",
        render_kw={"autocapitalize": "none"},
    )
    send_invite = BooleanField("Gửi lời mời kích hoạt qua email ngay", default=True)
    submit = SubmitField("Thêm thành viên")

    def validate_role(self, field) -> None:
        if field.data not in {value for value, _ in self.role.choices}:
            raise ValidationError("Vui lòng chọn vai trò.")


class ExistingMemberForm(BaseForm):
    login = StringField(
        "Tên đăng nhập hoặc email",
        filters=[strip_line],
        validators=[DataRequired("Vui lòng nhập tên đăng nhập hoặc email."), MaxLength(254)],
        render_kw={"autocapitalize": "none"},
    )
    role = SelectField("Vai trò trong đơn vị", choices=[])
    submit = SubmitField("Thêm hoặc mời vào đơn vị")


class ProfileForm(PersonFieldsMixin, BaseForm):
    submit = SubmitField("Lưu thông tin")


class RoleForm(BaseForm):
    role = SelectField("Vai trò", choices=[])
    submit = SubmitField("Đổi vai trò")

    def validate_role(self, field) -> None:
        if field.data not in {value for value, _ in self.role.choices}:
            raise ValidationError("Vai trò không hợp lệ.")


class ActionForm(BaseForm):
    """A button that posts (invite, deactivate, remove): CSRF only."""

    submit = SubmitField("Xác nhận")


def role_choices(roles: list[Role], org_type) -> list[tuple[str, str]]:
    return [(r.value, r.label_for(org_type)) for r in roles]
