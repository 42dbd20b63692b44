"""Per entry: a comment or a reply, đã xem, a revision request."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.audit import services as audit
from app.auth.models import User
from app.core import permissions
from app.core.db import db, utcnow
from app.core.enums import EntryStatus
from app.core.filters import vn_date
from app.journal.models import Entry
from app.notifications.services import notify
from app.review.models import EntryComment
from app.review.services.common import (
    MAX_COMMENT,
    MAX_REASON,
    ReviewError,
    _entry_facts,
    _flush,
    _keep_updated_at,
    _real,
    _require_open_month,
    _snapshot,
    _text,
    can_comment_entry,
    can_review_entry,
    entry_path,
    review_path,
)

# ---- per entry -------------------------------------------------------------------------------------


def comment_entry(author: User, entry: Entry, body: str) -> EntryComment:
    """A reviewer's nhận xét on an entry, or the member's reply; the other side is notified."""
    author = _real(author)
    permissions.require(can_comment_entry(author, entry))
    _require_open_month(entry)  # the month's PDF prints the comments: a signed month refuses them
    body = _text(body, MAX_COMMENT, "body", "Nhận xét", "Vui lòng ghi nội dung nhận xét.")
    comment = EntryComment(entry_id=entry.id, author_id=author.id, body=body)
    db.session.add(comment)
    db.session.flush()
    audit.record(author, "entry.comment", entry, entry.user, entry.unit, after=_entry_facts(entry, body=body))
    day = vn_date(entry.deed_date)
    if author.id != entry.user_id:
        notify(
            entry.user,
            "comment",
            f"{author.full_name} đã nhận xét bài ngày {day}",
            body[:500],
            entry_path(entry) + "#comments",
        )
    else:
        # The member's reply goes to those who commented on the entry before.
        earlier = db.session.scalars(
            select(User)
            .where(
                User.id.in_(
                    select(EntryComment.author_id).where(
                        EntryComment.entry_id == entry.id, EntryComment.author_id != entry.user_id
                    )
                )
            )
            .options(lazyload(User.memberships))
        ).all()
        link = review_path(
            entry.unit_id, entry.user_id, entry.deed_date.year, entry.deed_date.month, entry.id
        )
        for reviewer in earlier:
            notify(
                reviewer,
                "comment",
                f"{author.full_name} đã trả lời nhận xét bài ngày {day}",
                body[:500],
                link,
            )
    return comment


def mark_reviewed(reviewer: User, entry: Entry) -> Entry:
    """Đã xem: the entry was read; a snapshot keeps the version reviewed."""
    reviewer = _real(reviewer)
    permissions.require(can_review_entry(reviewer, entry))
    _require_open_month(entry)
    if entry.status is EntryStatus.REVIEWED:
        raise ReviewError("Bài này đã được đánh dấu đã xem.")
    before = entry.status
    entry.status = EntryStatus.REVIEWED
    entry.reviewed_at = utcnow()
    entry.reviewed_by_id = reviewer.id
    _keep_updated_at(entry)
    _flush()
    _snapshot(entry, reviewer, "reviewed")
    audit.record(
        reviewer,
        "entry.reviewed",
        entry,
        entry.user,
        entry.unit,
        before={"status": before.value},
        after=_entry_facts(entry, status=entry.status.value),
    )
    return entry


def request_revision(reviewer: User, entry: Entry, reason: str) -> Entry:
    """Yêu cầu bổ sung, with a reason the member sees on the entry; they are notified."""
    reviewer = _real(reviewer)
    permissions.require(can_review_entry(reviewer, entry))
    reason = _text(reason, MAX_REASON, "reason", "Lý do", "Vui lòng ghi rõ cần bổ sung, chỉnh sửa gì.")
    _require_open_month(entry)
    if entry.status is EntryStatus.REVISION:
        raise ReviewError("Bài này đang chờ đoàn viên bổ sung.", "reason")
    before = entry.status
    entry.status = EntryStatus.REVISION
    entry.revision_requested_at = utcnow()
    entry.revision_reason = reason
    _keep_updated_at(entry)
    _flush()
    _snapshot(entry, reviewer, "revision")
    audit.record(
        reviewer,
        "entry.revision",
        entry,
        entry.user,
        entry.unit,
        before={"status": before.value},
        after=_entry_facts(entry, status=entry.status.value),
        reason=reason,
    )
    notify(
        entry.user,
        "revision",
        f"Bài ngày {vn_date(entry.deed_date)} cần bổ sung, chỉnh sửa",
        f"{reviewer.full_name}: {reason}",
        entry_path(entry),
    )
    return entry
