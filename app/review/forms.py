"""Forms of the review: a comment, a revision request, a commendation, the month comment, reopening."""

from __future__ import annotations

from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired

from app.core.forms import BaseForm, MaxLength, normalize_text
from app.review.services import MAX_COMMENT, MAX_MONTH_COMMENT, MAX_NOTE, MAX_REASON


def _version(field) -> int | None:
    try:
        return int(field.data)
    except (TypeError, ValueError):
        return None


class ActionForm(BaseForm):
    """A button that only needs the CSRF token (Đã xem, bỏ biểu dương)."""


class SignForm(BaseForm):
    """Ký xác nhận: the month's version the signer saw, so a comment changed meanwhile is not signed unseen."""

    lock_version = HiddenField()

    @property
    def expected_version(self) -> int | None:
        return _version(self.lock_version)


class CommentForm(BaseForm):
    body = TextAreaField(
        "Nhận xét",
        filters=[normalize_text],
        validators=[DataRequired("Vui lòng ghi nội dung nhận xét."), MaxLength(MAX_COMMENT)],
        render_kw={"rows": 2},
    )
    # "entry" when posted from the entry page (the member's reply), else back to the month screen.
    back = HiddenField()
    submit = SubmitField("Gửi nhận xét")


class RevisionForm(BaseForm):
    reason = TextAreaField(
        "Cần bổ sung, chỉnh sửa gì?",
        filters=[normalize_text],
        validators=[
            DataRequired("Vui lòng ghi rõ cần bổ sung, chỉnh sửa gì để đoàn viên biết mà sửa."),
            MaxLength(MAX_REASON),
        ],
        description="Ví dụ: Ghi rõ số lượng văn bản đã số hóa và đính kèm ảnh minh chứng.",
        render_kw={"rows": 2},
    )
    submit = SubmitField("Gửi yêu cầu bổ sung")


class ExemplaryForm(BaseForm):
    note = TextAreaField(
        "Lời biểu dương (không bắt buộc)",
        filters=[normalize_text],
        validators=[MaxLength(MAX_NOTE)],
        description="Ghi vào sổ vàng của chi đoàn cùng với bài.",
        render_kw={"rows": 2},
    )
    submit = SubmitField("Biểu dương")


class MonthCommentForm(BaseForm):
    comment = TextAreaField(
        "Nhận xét tháng",
        filters=[normalize_text],
        validators=[MaxLength(MAX_MONTH_COMMENT)],
        description="Ưu điểm, hạn chế trong tháng và việc cần làm tháng tới.",
        render_kw={"rows": 4},
    )
    lock_version = HiddenField()
    submit = SubmitField("Lưu nhận xét tháng")

    @property
    def expected_version(self) -> int | None:
        """The month's version the form was opened on (None when the field was not sent)."""
        return _version(self.lock_version)


class ReopenForm(BaseForm):
    reason = TextAreaField(
        "Lý do mở lại",
        filters=[normalize_text],
        validators=[DataRequired("Vui lòng ghi lý do mở lại tháng."), MaxLength(MAX_REASON)],
        description="Lý do được lưu và hiển thị trên tháng cho đoàn viên và cấp trên.",
        render_kw={"rows": 2},
    )
    submit = SubmitField("Mở lại tháng")
