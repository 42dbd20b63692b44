"""Forms for standards, catalogues and annual themes."""

from __future__ import annotations

from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Optional

from app.core.enums import ContentGroup
from app.core.forms import BaseForm, MaxLength, normalize_text, strip_line
from app.standards.catalogues import CATALOGUES
from app.standards.services import DESCRIPTION_MAX, THEME_DESCRIPTION_MAX, THEME_TITLE_MAX, TITLE_MAX


class StandardForm(BaseForm):
    group = SelectField(
        "Nhóm nội dung",
        choices=ContentGroup.choices(),
        validators=[DataRequired("Vui lòng chọn nhóm nội dung.")],
    )
    title = StringField(
        "Chuẩn mực",
        filters=[strip_line],
        validators=[DataRequired("Vui lòng nhập tên chuẩn mực."), MaxLength(TITLE_MAX)],
        description="Ngắn gọn, dễ nhớ. Ví dụ: Đúng giờ, đúng hạn",
    )
    description = TextAreaField(
        "Biểu hiện cụ thể",
        filters=[normalize_text],
        validators=[Optional(), MaxLength(DESCRIPTION_MAX)],
        description=(
            "Việc làm cụ thể, dễ thực hiện, dễ kiểm tra. Ví dụ: Đến cơ quan và dự họp đúng giờ; "
            "xử lý hồ sơ đúng thời hạn được giao."
        ),
        render_kw={"rows": 3},
    )
    submit = SubmitField("Lưu chuẩn mực")


class AdoptCatalogueForm(BaseForm):
    catalogue = SelectField(
        "Bộ chuẩn mực có sẵn",
        choices=[(c.key, c.title) for c in CATALOGUES.values()],
        validators=[DataRequired("Vui lòng chọn một bộ chuẩn mực.")],
    )
    submit = SubmitField("Áp dụng bộ chuẩn mực")


class ThemeForm(BaseForm):
    # A textarea (kept on one line by strip_line): real themes run to two or three lines.
    title = TextAreaField(
        "Tên chuyên đề",
        filters=[strip_line],
        validators=[DataRequired("Vui lòng nhập tên chuyên đề."), MaxLength(THEME_TITLE_MAX)],
        description=(
            "Ví dụ: Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh về xây dựng Đảng "
            "và hệ thống chính trị trong sạch, vững mạnh"
        ),
        render_kw={"rows": 2},
    )
    description = TextAreaField(
        "Nội dung trọng tâm",
        filters=[normalize_text],
        validators=[Optional(), MaxLength(THEME_DESCRIPTION_MAX)],
        description="Những việc đoàn viên cần tập trung làm theo trong năm (không bắt buộc).",
        render_kw={"rows": 4},
    )
    submit = SubmitField("Lưu chuyên đề")


class ActionForm(BaseForm):
    """A button that posts (deactivate, reactivate, copy the previous year): CSRF only."""

    submit = SubmitField("Xác nhận")
