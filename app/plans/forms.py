"""Forms of the personal plan: the plan with its commitment rows, returning, starting."""

from __future__ import annotations

from datetime import date

from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired

from app.core.enums import Frequency
from app.core.forms import (
    BaseForm,
    MaxLength,
    VietnameseTranslations,
    VNDateField,
    normalize_text,
    strip_line,
)
from app.plans.services import (
    MAX_ACTION,
    MAX_COMMITMENTS,
    MAX_MEASURE,
    MAX_REASON,
    MAX_SHORTCOMINGS,
    CommitmentData,
)

# Rows beyond this are not even parsed (a hand-made request); up to it, the user gets a message.
ROWS_PARSED = MAX_COMMITMENTS * 3


def _to_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class CommitmentForm(Form):
    """One row: a commitment (or the breakthrough item). Not a FlaskForm: the plan form holds CSRF."""

    class Meta:
        def get_translations(self, form):
            return VietnameseTranslations()

    # Not "id": a FormField's own .id would shadow it.
    commitment_id = HiddenField()
    standard_id = StringField("Chuẩn mực", filters=[strip_line])
    action = TextAreaField(
        "Việc sẽ làm",
        filters=[normalize_text],
        validators=[DataRequired("Vui lòng ghi việc sẽ làm."), MaxLength(MAX_ACTION)],
    )
    measure = TextAreaField(
        "Cách kiểm tra kết quả",
        filters=[normalize_text],
        validators=[
            DataRequired("Vui lòng ghi cách kiểm tra kết quả (bằng gì, bao nhiêu lần, ai xác nhận)."),
            MaxLength(MAX_MEASURE),
        ],
    )
    frequency = SelectField("Tần suất", choices=Frequency.choices(), default=Frequency.WEEKLY.value)
    deadline = VNDateField("Thời hạn", validators=[InputRequired("Vui lòng ghi thời hạn hoàn thành.")])

    # Set by PlanForm before validation.
    year: int = 0
    standard_ids: frozenset[int] = frozenset()

    def is_blank(self) -> bool:
        """Nothing typed (frequency and deadline come pre-filled, so they do not count)."""
        return not (self.action.data or self.measure.data or self.standard_id.data)

    def validate_standard_id(self, field) -> None:
        if not field.data:
            raise ValidationError("Vui lòng chọn chuẩn mực mà việc này hướng tới.")
        if _to_int(field.data) not in self.standard_ids:
            raise ValidationError(
                "Chuẩn mực này không áp dụng cho năm của kế hoạch; hãy chọn chuẩn mực khác."
            )

    def validate_deadline(self, field) -> None:
        if field.data is not None and field.data.year != self.year:
            raise ValidationError(
                f"Thời hạn phải trong năm {self.year} (từ 01/01/{self.year} đến 31/12/{self.year})."
            )

    def to_data(self, is_breakthrough: bool = False) -> CommitmentData:
        return CommitmentData(
            id=_to_int(self.commitment_id.data),
            standard_id=_to_int(self.standard_id.data),
            action=self.action.data or "",
            measure=self.measure.data or "",
            frequency=Frequency(self.frequency.data),
            deadline=self.deadline.data,
            is_breakthrough=is_breakthrough,
        )


def blank_row(year: int) -> dict:
    """A new row: weekly, due at the end of the year."""
    return {"frequency": Frequency.WEEKLY.value, "deadline": date(year, 12, 31)}


def commitment_row(c) -> dict:
    return {
        "commitment_id": str(c.id),
        "standard_id": str(c.standard_id or ""),
        "action": c.action,
        "measure": c.measure,
        "frequency": c.frequency.value,
        "deadline": c.deadline,
    }


class PlanForm(BaseForm):
    lock_version = HiddenField()
    shortcomings = TextAreaField(
        "Hạn chế, khuyết điểm cần khắc phục",
        filters=[normalize_text],
        validators=[
            DataRequired("Vui lòng ghi những hạn chế, khuyết điểm bạn muốn khắc phục trong năm."),
            MaxLength(MAX_SHORTCOMINGS),
        ],
        description="Mỗi ý một dòng, nói thật cụ thể. Ví dụ: “Còn để văn bản tồn đọng cuối tuần.”",
    )
    breakthrough = FormField(CommitmentForm)
    commitments = FieldList(FormField(CommitmentForm), min_entries=1, max_entries=ROWS_PARSED)

    def __init__(self, *args, year: int, standard_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year
        self.standard_ids = frozenset(standard_ids)
        # Problems with the list as a whole (none, too many), shown above the rows.
        self.list_errors: list[str] = []

    @classmethod
    def for_plan(cls, plan, standard_ids) -> PlanForm:
        """The form filled from a saved plan (at least one commitment row)."""
        rows = [commitment_row(c) for c in plan.commitments if not c.is_breakthrough]
        breakthrough = plan.breakthrough
        data = {
            "lock_version": str(plan.lock_version),
            "shortcomings": plan.shortcomings,
            "breakthrough": commitment_row(breakthrough) if breakthrough else blank_row(plan.year),
            "commitments": rows or [blank_row(plan.year)],
        }
        return cls(formdata=None, data=data, year=plan.year, standard_ids=standard_ids)

    def typed_data(self) -> dict:
        """What was typed, to rebuild the form with a row more or less (nothing is validated)."""
        return {
            "lock_version": self.lock_version.data,
            "shortcomings": self.shortcomings.data,
            "breakthrough": self.breakthrough.data,
            "commitments": [entry.data for entry in self.commitments],
        }

    def rebuilt(self, rows: list[dict]) -> PlanForm:
        data = self.typed_data()
        data["commitments"] = rows
        form = type(self)(formdata=None, data=data, year=self.year, standard_ids=self.standard_ids)
        form.list_errors = self.list_errors
        return form

    def validate(self, extra_validators=None) -> bool:
        # Rows left completely empty are dropped rather than refused.
        self.commitments.entries = [e for e in self.commitments.entries if not e.form.is_blank()]
        for sub in (self.breakthrough.form, *(e.form for e in self.commitments)):
            sub.year = self.year
            sub.standard_ids = self.standard_ids
        valid = super().validate(extra_validators=extra_validators)
        count = len(self.commitments.entries)
        if count == 0:
            self.list_errors.append("Cần ít nhất 1 việc làm theo ngoài nội dung đột phá.")
        elif count > MAX_COMMITMENTS:
            self.list_errors.append(
                f"Tối đa {MAX_COMMITMENTS} việc làm theo (đang có {count}). Ít mà chắc sẽ dễ thực hiện "
                "và dễ kiểm tra hơn: hãy gộp hoặc bỏ bớt."
            )
        return valid and not self.list_errors

    def ensure_row(self) -> None:
        """Keep at least one row on the page (e.g. after empty rows were dropped)."""
        if not self.commitments.entries:
            self.commitments.append_entry(blank_row(self.year))

    def commitment_data(self) -> list[CommitmentData]:
        return [self.breakthrough.form.to_data(is_breakthrough=True)] + [
            e.form.to_data() for e in self.commitments
        ]

    @property
    def lock_version_value(self) -> int:
        """The lock_version the form was opened with (0, never current, when tampered with)."""
        return _to_int(self.lock_version.data) or 0


class ReturnForm(BaseForm):
    reason = TextAreaField(
        "Lý do trả lại",
        filters=[normalize_text],
        validators=[
            DataRequired("Vui lòng ghi lý do trả lại để người lập biết cần sửa gì."),
            MaxLength(MAX_REASON),
        ],
        description="Nói rõ cần sửa gì, ví dụ: “Việc số 2 còn chung chung, chưa nói rõ đo kết quả bằng gì.”",
    )
    submit = SubmitField("Trả lại kế hoạch")


class StartForm(BaseForm):
    unit_id = SelectField("Chi đoàn / chi bộ", coerce=int, validate_choice=True)
    year = SelectField("Năm", coerce=int)
    submit = SubmitField("Bắt đầu lập kế hoạch")


class ActionForm(BaseForm):
    """A button that posts (submit, approve, revise, register on behalf): CSRF only."""

    submit = SubmitField("Xác nhận")
