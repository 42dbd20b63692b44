"""Forms of the grading. The fixed fields are WTForms; the per-member, per-criterion and per-section
fields of the sheets are read from the posted form by `parse_*` here and checked by the services,
which name the field an error belongs to."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional

from app.core.enums import ContentGroup
from app.core.forms import BaseForm, MaxLength, VNDateField, normalize_text, strip_line


class ActionForm(BaseForm):
    """A button that only needs the CSRF token (submit, ratify, acknowledge, close the year)."""

    lock_version = HiddenField()


class OpenRoundForm(BaseForm):
    framework_id = SelectField("Khung tiêu chí đánh giá", coerce=int)
    reconsider_days = IntegerField(
        "Thời hạn đề nghị xem xét lại (ngày, tính từ khi cấp trên công nhận)",
        default=10,
        validators=[
            DataRequired("Vui lòng nhập số ngày."),
            NumberRange(1, 60, "Thời hạn phải từ 1 đến 60 ngày."),
        ],
    )


class ReasonForm(BaseForm):
    lock_version = HiddenField()
    reason = TextAreaField(
        "Lý do",
        filters=[normalize_text],
        validators=[DataRequired("Vui lòng ghi lý do."), MaxLength(2000)],
        render_kw={"rows": 3},
    )


class AnswerForm(BaseForm):
    answer = TextAreaField(
        "Trả lời đề nghị xem xét lại",
        filters=[normalize_text],
        validators=[DataRequired("Vui lòng viết câu trả lời."), MaxLength(2000)],
        render_kw={"rows": 3},
    )


class MeetingForm(BaseForm):
    lock_version = HiddenField()
    meeting_date = VNDateField("Ngày họp", validators=[DataRequired("Vui lòng nhập ngày họp (dd/mm/yyyy).")])
    meeting_place = StringField("Địa điểm", filters=[strip_line], validators=[MaxLength(200)])
    chair_name = StringField(
        "Chủ trì",
        filters=[strip_line],
        validators=[DataRequired("Vui lòng nhập người chủ trì."), MaxLength(120)],
    )
    recorder_name = StringField(
        "Thư ký",
        filters=[strip_line],
        validators=[DataRequired("Vui lòng nhập thư ký cuộc họp."), MaxLength(120)],
    )
    meeting_notes = TextAreaField(
        "Ý kiến thảo luận, kết luận của cuộc họp",
        filters=[normalize_text],
        validators=[MaxLength(5000)],
        render_kw={"rows": 4},
    )
    change_reason = TextAreaField(
        "Lý do thay đổi (khi sửa kết quả đã ghi)",
        filters=[normalize_text],
        validators=[MaxLength(2000)],
        render_kw={"rows": 2},
    )


class FrameworkCopyForm(BaseForm):
    source_id = SelectField("Sao chép từ khung", coerce=int)
    name = StringField(
        "Tên khung của đơn vị",
        filters=[strip_line],
        validators=[DataRequired("Vui lòng đặt tên cho khung tiêu chí."), MaxLength(200)],
    )


class FrameworkForm(BaseForm):
    name = StringField(
        "Tên khung", filters=[strip_line], validators=[DataRequired("Vui lòng nhập tên."), MaxLength(200)]
    )
    basis = TextAreaField(
        "Căn cứ (văn bản hướng dẫn)",
        filters=[normalize_text],
        validators=[MaxLength(5000)],
        render_kw={"rows": 2},
    )
    has_quarterly = BooleanField("Có đánh giá theo quý")


class CriterionForm(BaseForm):
    group_name = StringField("Nhóm tiêu chí", filters=[strip_line], validators=[MaxLength(200)])
    content_group = SelectField(
        "Nhóm nội dung", choices=[("", "— Không gắn —")] + ContentGroup.choices(), validators=[Optional()]
    )
    text = TextAreaField(
        "Nội dung tiêu chí",
        filters=[normalize_text],
        validators=[DataRequired("Vui lòng nhập nội dung tiêu chí."), MaxLength(2000)],
        render_kw={"rows": 2},
    )
    max_points = StringField("Điểm tối đa", filters=[strip_line], validators=[MaxLength(8)])


def parse_int(value) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if -1 < number < 10**9 else None


def parse_ids(values: list[str]) -> list[int]:
    ids = [parse_int(v) for v in values[:500]]
    return [i for i in ids if i is not None]
