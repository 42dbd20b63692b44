"""What the diary's views share with the review's: whose diary is shown (DiaryContext), and the
entry page (render_entry), which the review re-renders with a refused reply. The review's part of
the page (comments, diff) comes from its template global `entry_review` (app.review.panels)."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.auth.models import User
from app.core import locks, permissions
from app.core.forms import BaseForm
from app.journal import services
from app.journal.models import Entry
from app.units.models import Unit


class DiaryContext:
    """Whose diary, in which branch, and the query arguments that keep that choice in links."""

    def __init__(self, owner: User, unit: Unit):
        self.owner = owner
        self.unit = unit
        self.is_own = owner.id == current_user.id
        self.args = {"unit_id": unit.id}
        if not self.is_own:
            self.args["user_id"] = owner.id
        self.diaries = permissions.diary_memberships(owner) if self.is_own else []


def render_entry(item: Entry, comment_form=None, status: int = 200):
    """The entry page; `comment_form` re-shows a refused reply with its text (from the review feature)."""
    lock = locks.entry_lock(item)  # the same question the services ask before any change
    return render_template(
        "journal/entry.html",
        ctx=DiaryContext(item.user, item.unit),
        entry=item,
        action_form=BaseForm(),
        can_edit=services.is_author(current_user, item) and lock is None,
        lock=lock,
        reply_form=comment_form,
    ), status
