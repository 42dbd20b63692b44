"""Per month: the month comment, the sign-off (ký xác nhận) and reopening a signed month."""

from __future__ import annotations

from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.audit import services as audit
from app.auth.models import User
from app.core import locks, permissions
from app.core.bounds import year_in_range
from app.core.db import db, utcnow
from app.core.enums import EntryStatus
from app.core.filters import today_local, vn_date
from app.journal import services as journal
from app.notifications.services import notify
from app.review import hashing
from app.review.models import MonthReopening, MonthReview
from app.review.services.common import (
    CONFLICT_MESSAGE,
    MAX_MONTH_COMMENT,
    MAX_REASON,
    MonthConflict,
    ReviewError,
    _flush,
    _keep_updated_at,
    _real,
    _snapshot,
    _text,
    can_review_member,
    member_month_path,
)
from app.review.services.month import get_month_review
from app.units.models import Unit


def _check_period(year: int, month: int) -> None:
    if not (year_in_range(year) and 1 <= month <= 12):
        raise ReviewError("Tháng không hợp lệ.")


def _flush_month() -> None:
    """Flush the month's row; written elsewhere meanwhile (another version, or the same month's row
    created at the same moment: the unique index refuses the second) is a MonthConflict."""
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError) as exc:
        raise MonthConflict(CONFLICT_MESSAGE, None) from exc


def _month_review_for_update(member: User, unit: Unit, year: int, month: int) -> MonthReview:
    review = get_month_review(member, unit, year, month)
    if review is None:
        review = MonthReview(user_id=member.id, unit_id=unit.id, year=year, month=month, comment="")
        db.session.add(review)
        _flush_month()
    return review


def write_month_comment(
    reviewer: User, member: User, unit: Unit, year: int, month: int, text: str, lock_version: int | None
) -> MonthReview | None:
    """Nhận xét tháng; `lock_version` is the version the form was opened on (0: no month row yet)."""
    reviewer = _real(reviewer)
    permissions.require(can_review_member(reviewer, member, unit))
    _check_period(year, month)
    locks.ensure(locks.month_lock(member.id, unit.id, year, month), field="comment")
    text = _text(text, MAX_MONTH_COMMENT, "comment", "Nhận xét tháng")
    review = get_month_review(member, unit, year, month)
    current = review.lock_version if review is not None else 0
    if lock_version is not None and lock_version != current:
        raise MonthConflict(CONFLICT_MESSAGE, review)
    before = review.comment if review is not None else ""
    if before == text:
        return review  # nothing changed (None: no month comment yet, and none written)
    if review is None:
        review = MonthReview(user_id=member.id, unit_id=unit.id, year=year, month=month)
        db.session.add(review)
    review.comment = text
    review.comment_by_id = reviewer.id
    review.comment_at = utcnow()
    _flush_month()
    audit.record(
        reviewer,
        "month.comment",
        review,
        member,
        unit,
        before={"year": year, "month": month, "comment": before},
        after={"year": year, "month": month, "comment": text},
    )
    return review


def sign_off_month(
    reviewer: User,
    member: User,
    unit: Unit,
    year: int,
    month: int,
    lock_version: int | None = None,
    today: date | None = None,
) -> MonthReview:
    """Ký xác nhận: freeze the month and store the SHA-256 of its entries and comment.

    Refused while an entry of the month waits for revision or is an unsent draft (signing would
    freeze it half-done). Entries still waiting for review are marked reviewed by the signer.
    """
    reviewer = _real(reviewer)
    permissions.require(can_review_member(reviewer, member, unit))
    _check_period(year, month)
    locks.ensure(locks.year_lock(unit.id, year))
    today = today or today_local()
    if date(year, month, 1) > today:
        raise ReviewError(f"Tháng {month}/{year} chưa bắt đầu, chưa thể ký xác nhận.")
    review = get_month_review(member, unit, year, month)
    if lock_version is not None and lock_version != (review.lock_version if review is not None else 0):
        raise MonthConflict(
            "Nhận xét tháng vừa được thay đổi ở nơi khác; hãy xem lại nội dung mới rồi mới ký.", review
        )
    if review is not None and review.is_signed:
        raise ReviewError(f"Tháng {month}/{year} đã được ký xác nhận.")
    entries = journal.month_entries(member, unit, year, month)
    waiting = [e for e in entries if e.status is EntryStatus.REVISION]
    if waiting:
        days = ", ".join(vn_date(e.deed_date) for e in sorted(waiting, key=lambda e: e.deed_date))
        raise ReviewError(
            f"Còn {len(waiting)} bài đang chờ bổ sung (ngày {days}). Khi đoàn viên gửi lại, hãy xem lại "
            "rồi mới ký xác nhận tháng."
        )
    drafts = [e for e in entries if e.status is EntryStatus.DRAFT]
    if drafts:
        raise ReviewError(
            f"Đoàn viên còn {len(drafts)} bản nháp chưa gửi trong tháng này. Nhắc đoàn viên gửi hoặc xóa "
            "bản nháp rồi mới ký, để không khóa mất bài đang viết dở."
        )
    review = review or _month_review_for_update(member, unit, year, month)
    now = utcnow()
    for entry in entries:
        if entry.status is EntryStatus.SUBMITTED:
            entry.status = EntryStatus.REVIEWED
            entry.reviewed_at = now
            entry.reviewed_by_id = reviewer.id
            _keep_updated_at(entry)
    content = hashing.canonical_json(
        hashing.month_content(member.id, unit.id, year, month, entries, review.comment)
    )
    review.signed_content = content
    review.content_hash = hashing.sha256_hex(content)
    review.signed_at = now
    review.signed_by_id = reviewer.id
    _flush()
    for entry in entries:
        _snapshot(entry, reviewer, "signed")
    audit.record(
        reviewer,
        "month.sign",
        review,
        member,
        unit,
        after={"year": year, "month": month, "content_hash": review.content_hash, "entries": len(entries)},
    )
    notify(
        member,
        "signed",
        f"Tháng {month}/{year} đã được ký xác nhận",
        f"{reviewer.full_name} đã ký xác nhận sổ nhật ký tháng {month}/{year} ({len(entries)} bài)."
        + (f"\n\nNhận xét tháng: {review.comment}" if review.comment else ""),
        member_month_path(unit.id, year, month),
    )
    return review


def reopen_month(reviewer: User, review: MonthReview, reason: str) -> MonthReopening:
    """Mở lại a signed month, with a written reason kept and shown on the month."""
    reviewer = _real(reviewer)
    permissions.require(can_review_member(reviewer, review.user, review.unit))
    reason = _text(reason, MAX_REASON, "reason", "Lý do", "Vui lòng ghi lý do mở lại tháng.")
    if not review.is_signed:
        raise ReviewError("Tháng này chưa được ký xác nhận.", "reason")
    locks.ensure(locks.year_lock(review.unit_id, review.year), field="reason")
    reopening = MonthReopening(
        month_review=review,
        reopened_by_id=reviewer.id,
        reason=reason,
        previous_hash=review.content_hash,
        previous_signed_at=review.signed_at,
    )
    db.session.add(reopening)
    before = {
        "year": review.year,
        "month": review.month,
        "content_hash": review.content_hash,
        "signed_at": review.signed_at.isoformat() if review.signed_at else None,
    }
    review.signed_at = review.signed_by_id = review.content_hash = review.signed_content = None
    _flush()
    audit.record(reviewer, "month.reopen", review, review.user, review.unit, before=before, reason=reason)
    notify(
        review.user,
        "reopened",
        f"Tháng {review.month}/{review.year} được mở lại",
        f"{reviewer.full_name} mở lại tháng {review.month}/{review.year}: {reason}",
        member_month_path(review.unit_id, review.year, review.month),
    )
    return reopening
