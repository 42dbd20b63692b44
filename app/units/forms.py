"""Forms for units."""

from __future__ import annotations

from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Optional, Regexp

from app.core.enums import UnitKind
from app.core.forms import BaseForm, MaxLength, strip_line


class UnitForm(BaseForm):
    name = StringField(
        "Tên đơn vị",
        filters=[strip_line],
        validators=[DataRequired("Vui lòng nhập tên đơn vị."), MaxLength(200)],
        description="Ví dụ: Chi đoàn Văn phòng Sở Giáo dục và Đào tạo",
    )
    code = StringField(
        "Mã đơn vị",
        filters=[strip_line],
        validators=[
            DataRequired("Vui lòng nhập mã đơn vị."),
            MaxLength(32),
            Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                message="Mã đơn vị chỉ gồm chữ không dấu, số và các dấu . _ - (ví dụ: CD-VP-SGD).",
            ),
        ],
        description="Mã ngắn, không dấu, dùng khi nhập danh sách và xuất báo cáo. Ví dụ: CD-VP-SGD",
        render_kw={"autocapitalize": "characters"},
    )
    kind = SelectField("Loại đơn vị", choices=UnitKind.choices(), validators=[DataRequired()])
    place = StringField(
        "Địa danh ghi trên văn bản",
        filters=[strip_line],
        validators=[Optional(), MaxLength(100)],
        description="Ví dụ: Sóc Trăng (trong “Sóc Trăng, ngày 08 tháng 5 năm 2013”).",
    )
    submit = SubmitField("Lưu đơn vị")


class MoveUnitForm(BaseForm):
    parent_id = SelectField(
        "Chuyển đến trực thuộc", coerce=int, validators=[DataRequired("Vui lòng chọn đơn vị cấp trên.")]
    )
    submit = SubmitField("Chuyển đơn vị")
