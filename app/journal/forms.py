"""The entry form."""

from __future__ import annotations

from wtforms import HiddenField, MultipleFileField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional

from app.core.forms import BaseForm, MaxLength, MultiCheckboxField, VNDateField, normalize_text, strip_line
from app.journal import services


class EntryForm(BaseForm):
    deed_date = VNDateField("Ngày thực hiện", validators=[Optional()])
    place = StringField(
        "Địa điểm",
        filters=[strip_line],
        validators=[MaxLength(services.MAX_PLACE)],
        description="Ví dụ: Phòng Tổ chức cán bộ, Sở Giáo dục và Đào tạo",
    )
    action = TextAreaField(
        "Việc đã làm",
        filters=[normalize_text],
        validators=[MaxLength(services.MAX_ACTION)],
        description="Cụ thể: làm gì, với ai, bao nhiêu. Ví dụ: Hướng dẫn 3 đồng nghiệp dùng chữ ký số.",
        render_kw={"rows": 5},
    )
    result = TextAreaField(
        "Kết quả",
        filters=[normalize_text],
        validators=[MaxLength(services.MAX_RESULT)],
        description="Đo được thì ghi số: tiết kiệm bao nhiêu, giúp được ai, hoàn thành đến đâu.",
        render_kw={"rows": 3},
    )
    lesson = TextAreaField(
        "Bài học, kinh nghiệm",
        filters=[normalize_text],
        validators=[MaxLength(services.MAX_LESSON)],
        render_kw={"rows": 2},
    )
    commitment_ids = MultiCheckboxField("Thực hiện nội dung đăng ký nào?", coerce=int, choices=[])
    evidence = MultipleFileField(
        "Minh chứng (ảnh hoặc PDF, tối đa 5 tệp, mỗi tệp 10 MB)",
        render_kw={"accept": "image/jpeg,image/png,image/gif,image/webp,application/pdf"},
    )
    entry_id = HiddenField()
    lock_version = HiddenField()
    save_draft = SubmitField("Lưu nháp")
    submit = SubmitField("Gửi bài")

    def entry_data(self) -> services.EntryData:
        return services.EntryData(
            deed_date=self.deed_date.data,
            place=self.place.data or "",
            action=self.action.data or "",
            result=self.result.data or "",
            lesson=self.lesson.data or "",
            commitment_ids=list(self.commitment_ids.data or []),
        )
