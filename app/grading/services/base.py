"""What every grading step shares: the refusal type, optimistic-lock checks, text cleaning."""

from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError

from app.core.db import db
from app.core.numbers import format_number
from app.core.rules import RuleError
from app.core.text import nfc

TEXT_MAX = 5000
REASON_MAX = 2000
CHANGED_MESSAGE = (
    "Đánh giá này vừa được người khác thay đổi. Bản hiện tại đã được tải lại bên dưới; "
    "nội dung bạn vừa nhập vẫn được giữ để bạn so sánh và lưu lại."
)


class GradingError(RuleError):
    """A rule of the grading workflow was broken; the message is for the user (Vietnamese)."""

    @property
    def message(self) -> str:
        return str(self)


class StaleRating(GradingError):
    """Someone else saved first (optimistic locking)."""

    def __init__(self):
        super().__init__(CHANGED_MESSAGE)


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        db.session.rollback()
        raise StaleRating() from exc


def _check_version(obj, submitted: int | None) -> None:
    if submitted is not None and submitted != obj.lock_version:
        raise StaleRating()


def _text(value: str | None, label: str, maximum: int = TEXT_MAX, field: str | None = None) -> str:
    text = (nfc(value or "") or "").replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise GradingError(f"{label} chứa ký tự không hợp lệ.", field)
    if len(text) > maximum:
        raise GradingError(f"{label} dài quá {format_number(maximum)} ký tự.", field)
    return text
