"""The review's part of the diary's pages, as template globals (registered by app.review.routes).

The diary (app.journal) sits below the review: its entry page and month page do not import the
review, they ask these globals in their templates, which the review registers on the app:

    {% set review = entry_review(entry, reply_form) %}        the comments, the reply form, the diff
    {% set review = month_review_panel(ctx.owner, ctx.unit, year, month, entries) %}
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_login import current_user

from app.auth.models import User
from app.journal.models import Entry
from app.review import services
from app.review.forms import CommentForm
from app.review.models import MonthReview
from app.units.models import Unit


@dataclass
class EntryPanel:
    """An entry's review, as its page shows it."""

    comments: list
    reply_form: CommentForm
    can_comment: bool  # the page adds the entry's lock
    is_reviewer: bool
    diff: object | None
    people: dict[int, User] = field(default_factory=dict)


@dataclass
class MonthPanel:
    """A member's month's review, as the diary's month page shows it: the sign-off (checked against
    its SHA-256 whenever it is shown) and the link to review the month."""

    month_review: MonthReview | None
    signed_off: bool
    verification: object
    people: dict[int, User]
    can_review: bool


def entry_review(entry: Entry, reply_form: CommentForm | None = None) -> EntryPanel:
    """`reply_form` re-shows a refused reply with its text (app.review.routes)."""
    is_reviewer = services.can_review_entry(current_user, entry)
    return EntryPanel(
        comments=services.entry_comments(entry),
        reply_form=reply_form if reply_form is not None else CommentForm(formdata=None, back="entry"),
        can_comment=services.can_comment_entry(current_user, entry),
        is_reviewer=is_reviewer,
        diff=services.latest_diff(entry) if is_reviewer else None,
        people=services.users_by_id([entry.reviewed_by_id, entry.exemplary_by_id]),
    )


def month_review_panel(owner: User, unit: Unit, year: int, month: int, entries: list[Entry]) -> MonthPanel:
    month_review = services.get_month_review(owner, unit, year, month)
    return MonthPanel(
        month_review=month_review,
        signed_off=bool(month_review and month_review.is_signed),
        verification=services.verify_month(month_review, entries),
        people=services.users_by_id(
            [month_review.signed_by_id, month_review.comment_by_id]
            + [r.reopened_by_id for r in month_review.reopenings]
            if month_review
            else []
        ),
        can_review=services.can_review_member(current_user, owner, unit),
    )


TEMPLATE_GLOBALS = {"entry_review": entry_review, "month_review_panel": month_review_panel}
