"""The secretary's month: the review queue, comments, revision requests, commendation, sign-off.

Plain functions that take the acting user, check with app.core.permissions (403 through
`require`), change state, write an audit row, notify whom it concerns and flush; the view
commits once. A broken rule raises ReviewError with a Vietnamese message and the form field it
belongs next to.

Who reviews whom is permissions.can_review: a branch's secretary or deputy reviews its members;
a secretary's or deputy's own diary is reviewed by the officers over the branch; nobody reviews
themselves and administrators review nobody.

Signing a month stores the SHA-256 of the canonical JSON of its entries and month comment
(app.review.hashing); a signed month is frozen — app.core.locks answers for it, and every change
here that the month's PDF would print (comments, revision requests, commendations, the month
comment) asks it first — and verify_month says which entries differ from what was signed.

The rooms, one per section of the work (callers import this package, not the rooms):
- common: limits, ReviewError, links, who may, what the sections share;
- queue: what waits for review (review_queue, leaders_queue, reviewable_members);
- month: one member's month on the screen (entries with comments and diffs, plans, the month row);
- entries: per entry — comment_entry, mark_reviewed, request_revision;
- commendations: flag_exemplary, unflag_exemplary, golden_book (the sổ vàng);
- sign_off: per month — write_month_comment, sign_off_month, reopen_month;
- verification: verify_month.
"""

from app.review.services.commendations import flag_exemplary, golden_book, unflag_exemplary
from app.review.services.common import (
    CONFLICT_MESSAGE,
    MAX_COMMENT,
    MAX_MONTH_COMMENT,
    MAX_NOTE,
    MAX_REASON,
    MonthConflict,
    ReviewError,
    can_comment_entry,
    can_review_entry,
    can_review_in,
    can_review_member,
    entry_path,
    member_month_path,
    review_path,
    users_by_id,
)
from app.review.services.entries import comment_entry, mark_reviewed, request_revision
from app.review.services.month import (
    EntryDiff,
    EntryReview,
    FieldDiff,
    diff_entry,
    entry_comments,
    entry_reviews,
    get_month_review,
    latest_diff,
    month_entries_with_snapshots,
    word_diff,
    year_plans,
)
from app.review.services.queue import (
    MemberQueue,
    QueueItem,
    ReviewQueue,
    leaders_queue,
    review_queue,
    reviewable_members,
    reviewable_names,
)
from app.review.services.sign_off import reopen_month, sign_off_month, write_month_comment
from app.review.services.verification import EntryChange, Verification, verify_month

__all__ = [
    "CONFLICT_MESSAGE",
    "MAX_COMMENT",
    "MAX_MONTH_COMMENT",
    "MAX_NOTE",
    "MAX_REASON",
    "EntryChange",
    "EntryDiff",
    "EntryReview",
    "FieldDiff",
    "MemberQueue",
    "MonthConflict",
    "QueueItem",
    "ReviewError",
    "ReviewQueue",
    "Verification",
    "can_comment_entry",
    "can_review_entry",
    "can_review_in",
    "can_review_member",
    "comment_entry",
    "diff_entry",
    "entry_comments",
    "entry_path",
    "entry_reviews",
    "flag_exemplary",
    "get_month_review",
    "golden_book",
    "latest_diff",
    "leaders_queue",
    "mark_reviewed",
    "member_month_path",
    "month_entries_with_snapshots",
    "reopen_month",
    "request_revision",
    "review_path",
    "review_queue",
    "reviewable_members",
    "reviewable_names",
    "sign_off_month",
    "unflag_exemplary",
    "users_by_id",
    "verify_month",
    "word_diff",
    "write_month_comment",
    "year_plans",
]
