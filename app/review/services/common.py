"""What every part of the review feature shares: limits, the refusal, links, who may, small helpers."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from app.auth.models import User
from app.core import locks, permissions
from app.core.db import db
from app.core.enums import EntryStatus
from app.core.filters import vn_date
from app.core.numbers import format_number
from app.core.rules import RuleError
from app.core.text import nfc, shorten
from app.journal.models import Entry
from app.notifications.services import app_path
from app.review import hashing
from app.review.models import EntrySnapshot, MonthReview
from app.units.models import Unit

MAX_COMMENT = 3000
MAX_REASON = 2000
MAX_NOTE = 1000
MAX_MONTH_COMMENT = 5000


class ReviewError(RuleError):
    """A review rule was broken; the message is for the user, `field` says next to which field."""


class MonthConflict(ReviewError):
    """The month comment changed since the form was opened (optimistic locking)."""

    def __init__(self, message: str, saved: MonthReview | None):
        super().__init__(message, "comment")
        self.saved = saved


CONFLICT_MESSAGE = (
    "Nhận xét tháng vừa được lưu ở nơi khác (một người khác hoặc một thẻ khác) sau khi bạn mở trang. "
    "Nội dung bạn vừa gõ vẫn còn dưới đây; bản đã lưu hiển thị bên cạnh. Hãy xem lại rồi lưu lại."
)


def _real(user):
    """The User behind flask_login's current_user proxy."""
    getter = getattr(user, "_get_current_object", None)
    return getter() if getter is not None else user


def _text(
    value: str | None, limit: int, field_name: str, label: str, required_message: str | None = None
) -> str:
    text = (nfc(value or "") or "").strip()
    if required_message and not text:
        raise ReviewError(required_message, field_name)
    if len(text) > limit:
        raise ReviewError(
            f"{label} tối đa {format_number(limit)} ký tự (hiện có {format_number(len(text))}).", field_name
        )
    return text


def _keep_updated_at(entry: Entry) -> None:
    """A review changes the entry's status, not what the member wrote: keep "sửa lần cuối" as it was."""
    flag_modified(entry, "updated_at")


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise ReviewError(
            "Bài hoặc tháng này vừa được thay đổi ở nơi khác cùng lúc. Hãy tải lại trang và xem lại."
        ) from exc


# ---- links (app paths; notifications are also built outside a request) --------------------------


def entry_path(entry: Entry) -> str:
    return app_path("journal.entry", entry_id=entry.id)


def member_month_path(unit_id: int, year: int, month: int) -> str:
    """The member's own calendar of that month (the link in what they are told)."""
    return app_path("journal.month", year=year, month=month, unit_id=unit_id)


def review_path(unit_id: int, member_id: int, year: int, month: int, entry_id: int | None = None) -> str:
    path = app_path("review.month", unit_id=unit_id, user_id=member_id, year=year, month=month)
    return f"{path}#entry-{entry_id}" if entry_id else path


# ---- who may ---------------------------------------------------------------------------------------


def can_review_member(user: User, member: User, unit: Unit) -> bool:
    """Review `member`'s diary in the branch `unit` (permissions.can_review, for a diary kept there)."""
    return permissions.keeps_diary_in(member, unit) and permissions.can_review(user, member, unit)


def can_review_entry(user: User, entry: Entry) -> bool:
    return entry.status is not EntryStatus.DRAFT and permissions.can_review(user, entry.user, entry.unit)


def can_comment_entry(user: User, entry: Entry) -> bool:
    """Reviewers comment; the member replies on their own entry. Drafts are not commented."""
    if entry.status is EntryStatus.DRAFT or not getattr(user, "is_authenticated", False):
        return False
    if user.id == entry.user_id:
        return permissions.keeps_diary_in(user, entry.unit)
    return permissions.can_review(user, entry.user, entry.unit)


can_review_in = permissions.can_review_in


# ---- freezing: app.core.locks, asked before anything a signed month's PDF prints changes -----------


def _require_open_month(entry: Entry) -> None:
    """LockedError when the entry's month (in the entry's own branch) is signed or its year closed."""
    locks.ensure(locks.entry_lock(entry))


# ---- shared by the sections ------------------------------------------------------------------------


def _snapshot(entry: Entry, actor: User, reason: str) -> EntrySnapshot:
    snap = EntrySnapshot(
        entry_id=entry.id,
        taken_by_id=actor.id,
        reason=reason,
        content=hashing.canonical_json(hashing.entry_content(entry)),
    )
    db.session.add(snap)
    return snap


def _entry_facts(entry: Entry, **extra) -> dict:
    return {"deed_date": entry.deed_date.isoformat(), **extra}


def _title(text: str | None, limit: int = 60) -> str:
    """The first line of an entry's text, shortened (as Entry.title does)."""
    first = text.strip().splitlines()[0] if text and text.strip() else "(chưa có nội dung)"
    return shorten(first, limit)


def _vn_iso(value) -> str:
    try:
        return vn_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def users_by_id(ids) -> dict[int, User]:
    """The users with these ids; those this request has loaded already (the viewer, the member)
    come from the session, the others in one query."""
    ids = {i for i in ids if i}
    found: dict[int, User] = {}
    for user_id in ids:
        user = db.session.identity_map.get(identity_key(User, user_id))
        if user is not None:
            found[user_id] = user
    if missing := ids - found.keys():
        found.update(
            (u.id, u)
            for u in db.session.scalars(
                select(User).where(User.id.in_(missing)).options(lazyload(User.memberships))
            )
        )
    return found
