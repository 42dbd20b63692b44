"""Forms of the grading, all WTForms. The sheets whose fields come from the records (one per criterion,
per member, per level: `points-12`, `q-7`, `name-3`) are built per request by the `*_form` factories
at the end; the services check the workflow's rules and name the field an error belongs beside."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from wtforms import (
    BooleanField,
    Field,
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

from .models import CITABLE_SECTIONS, SECTIONS

# A branch has up to ~50 members; lines beyond this are not even parsed (a hand-made request).
MAX_MEETING_LINES = 500


class PointsField(StringField):
    """A score typed the Vietnamese way ("7,5" or "7.5"); `data` is a Decimal to one decimal, or None
    when left blank. Below 0 or not below `maximum` is an error next to the field."""

    def __init__(self, label=None, validators=None, maximum: Decimal = Decimal(1000), **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, filters=[strip_line], render_kw=render_kw, **kwargs)
        self.maximum = maximum

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "") or ""
        self.raw_text = text
        self.data = None
        if not text.strip():
            return
        try:
            value = Decimal(text.strip().replace(",", "."))
        except InvalidOperation as exc:
            raise ValueError("Vui lòng nhập một số, ví dụ 10 hoặc 2,5.") from exc
        if not value.is_finite() or value < 0 or value >= self.maximum:
            raise ValueError(f"Số điểm phải từ 0 đến dưới {self.maximum:,}.".replace(",", "."))
        self.data = value

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        from app.core.numbers import format_points

        return format_points(self.data) if self.data is not None else ""


class IdListField(Field):
    """Ticked boxes sharing one name (`cite-ethics` = [12, 15]): the ids, garbage left out."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, default=list, **kwargs)

    def process_formdata(self, valuelist):
        ids = [optional_id(v) for v in valuelist[:500]]
        self.data = [i for i in ids if i is not None]


class LevelChoiceField(SelectField):
    """A framework level chosen from a list the template draws; a blank or unknown id is None here and
    the service says what is missing."""

    def __init__(self, label=None, **kwargs):
        super().__init__(label, coerce=optional_id, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist):
        self.data = optional_id(valuelist[0]) if valuelist else None


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


def optional_id(value) -> int | None:
    """An id typed in a form, or None for anything else (blank, garbage, out of range): never an error."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if -1 < number < 10**9 else None


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
            rating = ratings.get(optional_id(line.form.rating_id.data))
            line.form.member_name = rating.user.full_name if rating else ""
            line.form.is_points = framework.is_points
            line.form.level_id.choices = choices

    def meeting_lines(self, ratings: dict):
        """The lines for the service; votes left blank take the common count."""
        from .services import MeetingLine

        lines = []
        for line in self.lines:
            row = line.form
            rating_id = optional_id(row.rating_id.data)
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

    def level_data(self, levels: Iterable) -> list:
        """What the page posted for each level; a level's name or standard not posted stays as it is."""
        from .services import LevelData

        def kept(name: str, current: str) -> str:
            return self[name].data if self[name].raw_data else current

        return [
            LevelData(
                level_id=lv.id,
                name=kept(f"name-{lv.id}", lv.name),
                description=kept(f"desc-{lv.id}", lv.description),
                min_score=self[f"min-{lv.id}"].data,
                quota_percent=self[f"quota-{lv.id}"].data,
                quota_of_tier=self[f"quota-of-{lv.id}"].data,
            )
            for lv in levels
        ]


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
    max_points = PointsField("Điểm tối đa", maximum=Decimal(1000))


# ---- sheets whose fields come from the records ------------------------------------------------------


def _with_fields(base: type[BaseForm], fields: dict[str, Field]) -> type[BaseForm]:
    """A subclass of `base` with more fields, named as the page posts them (`points-12`, `q-7`)."""
    return type(base.__name__, (base,), fields)


class SelfAssessmentForm(BaseForm):
    """The member's self-assessment: the sections, the cited entries, the level or the points."""

    lock_version = HiddenField()
    level_id = LevelChoiceField("Mức tự xếp loại")
    action = StringField()  # the button pressed: "save" (a draft) or "submit" (to the secretary)

    @property
    def submitting(self) -> bool:
        return self.action.data == "submit"

    def sections(self) -> dict[str, str]:
        return {key: self[key].data or "" for key, _ in SECTIONS}

    def cited(self) -> dict[str, list[int]]:
        return {key: self[f"cite-{key}"].data for key in CITABLE_SECTIONS}


def self_assessment_form(criteria: Iterable, **kwargs) -> SelfAssessmentForm:
    fields: dict[str, Field] = {key: TextAreaField(label) for key, label in SECTIONS}
    fields.update({f"cite-{key}": IdListField() for key in CITABLE_SECTIONS})
    fields.update({f"points-{c.id}": StringField(filters=[strip_line]) for c in criteria})
    return _with_fields(SelfAssessmentForm, fields)(**kwargs)


class ProposalForm(BaseForm):
    """The secretary's proposal: per criterion a comment, the cited entries and (by points) a score."""

    lock_version = HiddenField()
    level_id = LevelChoiceField("Mức đề xuất")
    comment = TextAreaField("Nhận xét chung, căn cứ đề xuất")

    def per_criterion(self, prefix: str, criteria: Iterable) -> dict:
        return {c.id: self[f"{prefix}-{c.id}"].data for c in criteria}


def proposal_form(criteria: Iterable, **kwargs) -> ProposalForm:
    fields: dict[str, Field] = {}
    for c in criteria:
        fields[f"points-{c.id}"] = StringField(filters=[strip_line])
        fields[f"comment-{c.id}"] = TextAreaField()
        fields[f"cite-{c.id}"] = IdListField()
    return _with_fields(ProposalForm, fields)(**kwargs)


class QuarterForm(BaseForm):
    """A quarter's short rating of each member the secretary reviews: a level and a note."""

    def values(self, members: Iterable) -> dict[int, tuple[int | None, str]]:
        return {m.id: (self[f"q-{m.id}"].data, self[f"note-{m.id}"].data or "") for m in members}


def quarter_form(members: Iterable, **kwargs) -> QuarterForm:
    fields: dict[str, Field] = {}
    for m in members:
        fields[f"q-{m.id}"] = LevelChoiceField(f"Mức của {m.full_name}")
        fields[f"note-{m.id}"] = StringField(
            f"Nhận xét về {m.full_name}", filters=[strip_line], validators=[MaxLength(1000)]
        )
    return _with_fields(QuarterForm, fields)(**kwargs)


def _whole_number(label: str, maximum: int, message: str) -> IntegerField:
    return IntegerField(
        label,
        validators=[Optional(), NumberRange(0, maximum, message)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


def framework_form(levels: Iterable, **kwargs) -> FrameworkForm:
    """The framework's name and basis, and per level its name, standard, minimum score and quota."""
    fields: dict[str, Field] = {}
    for lv in levels:
        fields[f"name-{lv.id}"] = StringField("Tên mức", filters=[strip_line], validators=[MaxLength(120)])
        fields[f"desc-{lv.id}"] = TextAreaField(
            "Tiêu chuẩn của mức", filters=[normalize_text], validators=[MaxLength(5000)]
        )
        fields[f"min-{lv.id}"] = _whole_number("Điểm tối thiểu", 1000, "Điểm tối thiểu phải từ 0 đến 1.000.")
        # NumberRange %-formats its message: the per cent sign is doubled.
        fields[f"quota-{lv.id}"] = _whole_number("Tỷ lệ tối đa (%)", 100, "Tỷ lệ phải từ 0 đến 100%%.")
        fields[f"quota-of-{lv.id}"] = LevelChoiceField("… của số")
    return _with_fields(FrameworkForm, fields)(**kwargs)
