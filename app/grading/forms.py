"""Forms of the grading. The fixed fields are WTForms; the per-member, per-criterion and per-section
fields of the sheets are read from the posted form by `parse_*` here and checked by the services,
which name the field an error belongs to."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from app.core.enums import ContentGroup
from app.core.forms import (
    BaseForm,
    MaxLength,
    VietnameseTranslations,
    VNDateField,
    VNTimeField,
    normalize_text,
    strip_line,
)

# A branch has up to ~50 members; lines beyond this are not even parsed (a hand-made request).
MAX_MEETING_LINES = 500


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


class GoAheadFields:
    """The confirmation to go ahead although something is missing (the service names what)."""

    gaps_token = HiddenField()
    go_ahead = BooleanField("Tôi đã xem những điều còn thiếu ở trên và vẫn tiếp tục")
    go_ahead_reason = TextAreaField(
        "Lý do vẫn tiếp tục",
        filters=[normalize_text],
        validators=[MaxLength(2000)],
        render_kw={"rows": 2},
    )

    def go_ahead_data(self):
        """The confirmation for the service: only when the box is ticked."""
        from .services import GoAhead

        if not self.go_ahead.data:
            return None
        return GoAhead(reason=self.go_ahead_reason.data or "", token=self.gaps_token.data or "")


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    return int(value)


def _check_votes(agree, total) -> bool:
    """Both counts or neither; no more in favour than voting. The error goes next to the total."""
    if agree.errors or total.errors:
        return True
    message = None
    if (agree.data is None) != (total.data is None):
        message = "Ghi cả số tán thành và số biểu quyết (hoặc để trống cả hai)."
    elif agree.data is not None and agree.data > total.data:
        message = "Số tán thành không được lớn hơn số biểu quyết."
    if message:
        total.errors = [*total.errors, message]
        return False
    return True


def _count_field(label: str) -> IntegerField:
    return IntegerField(
        label,
        validators=[Optional(), NumberRange(0, 999, "Số phiếu phải từ 0 đến 999.")],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


class MeetingLineForm(Form):
    """One member at the meeting. Not a FlaskForm: the meeting form holds CSRF."""

    class Meta:
        def get_translations(self, form):
            return VietnameseTranslations()

    rating_id = HiddenField()
    present = BooleanField("Có mặt", default=True)
    absence_reason = StringField("Lý do vắng", filters=[strip_line], validators=[MaxLength(200)])
    votes_agree = _count_field("Số tán thành")
    votes_total = _count_field("Số biểu quyết")
    level_id = SelectField("Mức thống nhất", coerce=_optional_int, validate_choice=False)
    score = StringField("Tổng điểm", filters=[strip_line], validators=[MaxLength(8)])

    # Set by the view before validation.
    member_name: str = ""
    is_points: bool = False

    def validate_level_id(self, field) -> None:
        if self.is_points:
            return
        if field.data is None:
            raise ValidationError(f"Vui lòng chọn mức đã thống nhất cho {self.member_name}.")
        if field.data not in {_optional_int(value) for value, _ in field.choices}:
            raise ValidationError("Vui lòng chọn một mức trong danh sách.")

    def validate_score(self, field) -> None:
        if self.is_points and not field.data:
            raise ValidationError(f"Vui lòng ghi tổng điểm đã thống nhất cho {self.member_name}.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return _check_votes(self.votes_agree, self.votes_total) and valid


class MeetingForm(GoAheadFields, BaseForm):
    """The grading meeting: its facts, votes once for all, and one line per member (prefilled from
    the proposals; the secretary changes only what differs)."""

    lock_version = HiddenField()
    minutes_number = StringField(
        "Số biên bản",
        filters=[strip_line],
        validators=[DataRequired("Vui lòng ghi số biên bản, ví dụ 01-BB/CĐ."), MaxLength(40)],
    )
    meeting_date = VNDateField("Ngày họp", validators=[DataRequired("Vui lòng nhập ngày họp (dd/mm/yyyy).")])
    meeting_start = VNTimeField(
        "Bắt đầu lúc",
        validators=[InputRequired("Vui lòng ghi giờ bắt đầu (giờ:phút, ví dụ 14:00).")],
    )
    meeting_end = VNTimeField(
        "Kết thúc lúc",
        validators=[InputRequired("Vui lòng ghi giờ kết thúc (giờ:phút, ví dụ 16:30).")],
    )
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
    all_votes_agree = _count_field("Số tán thành (chung cho mọi người)")
    all_votes_total = _count_field("Số biểu quyết (chung cho mọi người)")
    lines = FieldList(FormField(MeetingLineForm), max_entries=MAX_MEETING_LINES)
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

    def validate_meeting_end(self, field) -> None:
        start = self.meeting_start.data
        if field.data is not None and start is not None and field.data <= start:
            raise ValidationError("Giờ kết thúc phải sau giờ bắt đầu.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return _check_votes(self.all_votes_agree, self.all_votes_total) and valid

    def prepare(self, ratings: dict, framework) -> None:
        """Give each line its member and its choices (before validating or rendering)."""
        choices = [("", "— Chọn mức —")] + [(lv.id, lv.name) for lv in framework.levels]
        for line in self.lines:
            rating = ratings.get(_optional_int_or_none(line.form.rating_id.data))
            line.form.member_name = rating.user.full_name if rating else ""
            line.form.is_points = framework.is_points
            line.form.level_id.choices = choices

    def meeting_lines(self, ratings: dict):
        """The lines for the service; votes left blank take the common count."""
        from .services import MeetingLine

        lines = []
        for line in self.lines:
            row = line.form
            rating_id = _optional_int_or_none(row.rating_id.data)
            if rating_id not in ratings:
                continue
            agree, total = row.votes_agree.data, row.votes_total.data
            if agree is None and total is None:
                agree, total = self.all_votes_agree.data, self.all_votes_total.data
            lines.append(
                MeetingLine(
                    rating_id=rating_id,
                    present=bool(row.present.data),
                    absence_reason=row.absence_reason.data or "",
                    votes_agree=agree,
                    votes_total=total,
                    level_id=row.level_id.data,
                    score=row.score.data or "",
                )
            )
        return lines


class ConfirmForm(GoAheadFields, BaseForm):
    """The confirmation page of an irreversible act (submit, ratify, return, close the year)."""

    lock_version = HiddenField()
    reason = TextAreaField(
        "Lý do trả lại",
        filters=[normalize_text],
        validators=[MaxLength(2000)],
        render_kw={"rows": 3},
    )


def _optional_int_or_none(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


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
