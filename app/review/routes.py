"""The secretary's month: the review queue, one member's month on one screen, the sổ vàng.

Views parse, authorize, call app.review.services and commit once. Who may: the queue and the
month screen are for those who review the branch's diaries (permissions.can_review); a unit or
a member the user may not see is a 404, a diary they may read but not review is a 403. Every
form posts and comes back to the screen it was sent from, at the entry it was about.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from app.audit.reads import log_diary_read
from app.auth.models import User
from app.core import locks, permissions
from app.core.bounds import year_in_range
from app.core.db import db
from app.core.enums import EntryStatus
from app.core.filters import today_local
from app.core.forms import CSRF_MESSAGE
from app.core.rules import Outcome, attempt
from app.journal import services as journal
from app.journal.models import Entry
from app.journal.pages import render_entry
from app.review import panels, services
from app.review.forms import (
    ActionForm,
    CommentForm,
    ExemplaryForm,
    MonthCommentForm,
    ReopenForm,
    RevisionForm,
    SignForm,
)
from app.units.models import Membership, Unit

bp = Blueprint("review", __name__)
# The diary's entry and month pages show the review's part through these globals (app.review.panels).
for _name, _function in panels.TEMPLATE_GLOBALS.items():
    bp.add_app_template_global(_function, _name)

# The queue lists this many of the oldest entries a page (?after=<id> continues: keyset pagination);
# the table by member counts them all in SQL.
QUEUE_SHOWN = 100
# Stands for an entry's id in the blank per-entry forms of the month screen (never a real id).
BLANK_ID = 2_000_000_000


# ---- loading what the URL names, or 404 -----------------------------------------------------------


def _visible_unit(unit_id: int) -> Unit:
    """permissions.get_visible_unit, asked of the unit itself: the viewer's own units came with
    their memberships (no query for a secretary's branch); another unit is one query, as there."""
    unit = db.session.get(Unit, unit_id)
    if unit is None or not permissions.can_view_unit(current_user, unit):
        abort(404)
    return unit


def _member_month(unit_id: int, user_id: int, year: int, month: int) -> tuple[Unit, User]:
    """The branch and the member whose month the user reviews: 404 when they may not read that
    diary, 403 when they may read it but not review it (the member themselves, an administrator).
    The year and month were bounded by the URL's converters (404 outside them)."""
    unit = _visible_unit(unit_id)
    # The member with their memberships in one query (their roles are all the checks need).
    member = db.session.get(User, user_id, options=[joinedload(User.memberships).lazyload(Membership.unit)])
    if (
        not unit.kind.is_branch
        or member is None
        or not permissions.keeps_diary_in(member, unit)
        or not permissions.can_view_diary(current_user, member, unit)
    ):
        abort(404)
    permissions.require(permissions.can_review(current_user, member, unit))
    return unit, member


def _entry(entry_id: int) -> Entry:
    """An entry the user may read; 404 otherwise (the services answer 403 for what they may not do)."""
    entry = db.session.get(Entry, entry_id)
    if entry is None or not permissions.can_view_diary(current_user, entry.user, entry.unit):
        abort(404)
    return entry


def _month_url(entry: Entry) -> str:
    return url_for(
        "review.month",
        unit_id=entry.unit_id,
        user_id=entry.user_id,
        year=entry.deed_date.year,
        month=entry.deed_date.month,
        _anchor=f"entry-{entry.id}",
    )


def _ids(form, suffix: str) -> None:
    """Unique element ids for a form repeated once per entry (labels keep pointing at their field)."""
    for f in form:
        if f.type not in ("HiddenField", "CSRFTokenField"):
            f.id = f"{f.name}-{suffix}"
            f.label.field_id = f.id


# ---- the queue -----------------------------------------------------------------------------------


@bp.route("/units/<int:unit_id>/review")
@login_required
def queue(unit_id: int):
    """What waits for review: entries oldest first with their age, plans to approve (?member= filters)."""
    unit = permissions.get_visible_unit(unit_id, current_user)
    permissions.require(services.can_review_in(current_user, unit))
    today = today_local()
    if not unit.kind.is_branch:
        data = services.leaders_queue(current_user, unit, today)
        return render_template("review/queue_upper.html", unit=unit, queue=data, today=today)
    member_id = request.args.get("member", type=int)
    after = request.args.get("after", type=int)
    after = after if after is not None and after > 0 else None  # bounded above by the request (core.bounds)
    data = services.review_queue(current_user, unit, member_id, today, limit=QUEUE_SHOWN, after=after)
    everyone = services.review_queue(current_user, unit, None, today, limit=0) if member_id else data
    return render_template(
        "review/queue.html",
        shown=QUEUE_SHOWN,
        unit=unit,
        queue=data,
        everyone=everyone,
        member_id=member_id,
        after=after,
        today=today,
        is_officer=permissions.is_officer_over(current_user, unit),
    )


# ---- one member's month --------------------------------------------------------------------------


def _neighbours(members: list, member: User) -> tuple:
    """The members before and after `member` in the list (anything with an id: rows of
    services.reviewable_names here), None at either end or when `member` is not in it."""
    ids = [m.id for m in members]
    if member.id not in ids:
        return None, None
    i = ids.index(member.id)
    return (members[i - 1] if i > 0 else None), (members[i + 1] if i + 1 < len(ids) else None)


def _entry_forms(bound) -> tuple[dict, dict[int, dict]]:
    """The blank per-entry forms, and {entry id: {kind: form}} for the one `bound` re-shows.

    Each entry has a comment, a revision and a commendation form. They are blank for every entry
    but the one whose form was refused: the template renders each blank form once, with BLANK_ID
    standing for the entry's id, and copies it for each entry (a month of 30 entries would
    otherwise build and render 90 forms)."""
    blank = {
        "comment": CommentForm(formdata=None),
        "revision": RevisionForm(formdata=None),
        "exemplary": ExemplaryForm(formdata=None),
    }
    for form in blank.values():
        _ids(form, str(BLANK_ID))
    forms: dict[int, dict] = {}
    if bound is not None and bound[1] != "month":
        kind, key, form = bound
        _ids(form, str(key))
        forms[key] = {kind: form}
    return blank, forms


def _month_forms(review, bound) -> dict:
    """The month comment, sign and reopen forms, on the month row's version; `bound` re-shows one."""
    version = review.lock_version if review else 0
    month_forms = {
        "comment": MonthCommentForm(
            formdata=None, comment=review.comment if review else "", lock_version=version
        ),
        "sign": SignForm(formdata=None, lock_version=version),
        "reopen": ReopenForm(formdata=None),
    }
    if bound is not None and bound[1] == "month":
        month_forms[bound[0]] = bound[2]
    return month_forms


def _render_month(
    unit: Unit, member: User, year: int, month: int, *, bound=None, status: int = 200, conflict=None
):
    """The month screen; `bound` = (kind, entry_id, form) re-shows a form that was refused, with its text."""
    every, snapshots = services.month_entries_with_snapshots(member, unit, year, month)
    entries = sorted(
        (e for e in every if e.status is not EntryStatus.DRAFT), key=lambda e: (e.deed_date, e.id)
    )
    drafts = len(every) - len(entries)
    review = services.get_month_review(member, unit, year, month, with_reopenings=True)
    verification = services.verify_month(review, every)
    action_form = ActionForm(formdata=None)
    blank, forms = _entry_forms(bound)
    month_forms = _month_forms(review, bound)
    members = services.reviewable_names(current_user, unit)
    previous_member, next_member = _neighbours(members, member)
    prev_month = (year, month - 1) if month > 1 else (year - 1, 12)
    next_month = (year, month + 1) if month < 12 else (year + 1, 1)
    versions = services.year_plans(member, unit, year)  # one query for the plan and the coverage
    coverage = journal.coverage(member, unit, year, plans=versions)
    people = services.users_by_id(
        [review.signed_by_id, review.comment_by_id] + [r.reopened_by_id for r in review.reopenings]
        if review
        else []
    )
    return render_template(
        "review/month.html",
        lock=locks.month_lock(member.id, unit.id, year, month),  # hides what the services would refuse
        unit=unit,
        member=member,
        year=year,
        month=month,
        reviews=services.entry_reviews(entries, snapshots),
        drafts=drafts,
        month_review=review,
        verification=verification,
        people=people,
        forms=forms,
        month_forms=month_forms,
        action_form=action_form,
        blank=blank,
        blank_id=BLANK_ID,
        conflict=conflict,
        # The approved version in force, else the newest (plans.plan_in_force or current_plan).
        plan=journal.working_plan(member, unit, year, versions),
        coverage=coverage,
        coverage_month=month,
        previous_member=previous_member,
        next_member=next_member,
        members=members,
        prev_month=prev_month,
        next_month=next_month,
        can_sign=date(year, month, 1) <= today_local(),
        waiting=[r for r in entries if r.status is EntryStatus.REVISION],
        unreviewed=sum(1 for e in entries if e.status is EntryStatus.SUBMITTED),
    ), status


@bp.route("/units/<int:unit_id>/review/<int:user_id>/<year:year>/<month:month>")
@login_required
def month(unit_id: int, user_id: int, year: int, month: int):
    """Review a member's month on one screen: plan and coverage beside the entries, the month comment, sign-off."""
    unit, member = _member_month(unit_id, user_id, year, month)
    log_diary_read(member, unit, "review", year=year, month=month)
    return _render_month(unit, member, year, month)


def _month_redirect(unit: Unit, member: User, year: int, month: int, anchor: str = "month-review"):
    return redirect(
        url_for("review.month", unit_id=unit.id, user_id=member.id, year=year, month=month, _anchor=anchor)
    )


@bp.route("/units/<int:unit_id>/review/<int:user_id>/<year:year>/<month:month>/comment", methods=["POST"])
@login_required
def month_comment(unit_id: int, user_id: int, year: int, month: int):
    """Save the month comment (nhận xét tháng), refusing to overwrite a version saved meanwhile."""
    unit, member = _member_month(unit_id, user_id, year, month)
    form = MonthCommentForm()
    if not form.validate_on_submit():
        return _render_month(unit, member, year, month, bound=("comment", "month", form), status=422)
    outcome = attempt(
        lambda: services.write_month_comment(
            current_user, member, unit, year, month, form.comment.data, form.expected_version
        ),
        success="Đã lưu nhận xét tháng.",
        errors=form.comment.errors,
        catch=(services.ReviewError, locks.LockedError),
    )
    if outcome.ok:
        return _month_redirect(unit, member, year, month)
    bound = ("comment", "month", form)
    if isinstance(outcome.error, services.MonthConflict):  # saved elsewhere since the form was opened
        saved = services.get_month_review(member, unit, year, month)
        form.lock_version.data = saved.lock_version if saved else 0
        return _render_month(unit, member, year, month, bound=bound, status=409, conflict=saved)
    return _render_month(unit, member, year, month, bound=bound, status=_status(outcome))


@bp.route("/units/<int:unit_id>/review/<int:user_id>/<year:year>/<month:month>/sign", methods=["POST"])
@login_required
def sign(unit_id: int, user_id: int, year: int, month: int):
    """Ký xác nhận the month: it is frozen and its SHA-256 stored."""
    unit, member = _member_month(unit_id, user_id, year, month)
    form = SignForm()
    if not form.validate_on_submit():
        flash(CSRF_MESSAGE, "danger")
        return _month_redirect(unit, member, year, month)
    attempt(
        lambda: services.sign_off_month(current_user, member, unit, year, month, form.expected_version),
        success=f"Đã ký xác nhận tháng {month}/{year} của {member.full_name}.",
    )
    return _month_redirect(unit, member, year, month)


@bp.route("/units/<int:unit_id>/review/<int:user_id>/<year:year>/<month:month>/reopen", methods=["POST"])
@login_required
def reopen(unit_id: int, user_id: int, year: int, month: int):
    """Mở lại a signed month, with a written reason."""
    unit, member = _member_month(unit_id, user_id, year, month)
    form = ReopenForm()
    review = services.get_month_review(member, unit, year, month)
    if review is None or not review.is_signed:
        flash(f"Tháng {month}/{year} chưa được ký xác nhận.", "info")
        return _month_redirect(unit, member, year, month)
    if not form.validate_on_submit():
        return _render_month(unit, member, year, month, bound=("reopen", "month", form), status=422)
    outcome = attempt(
        lambda: services.reopen_month(current_user, review, form.reason.data),
        success=f"Đã mở lại tháng {month}/{year}. Lý do được ghi trên tháng.",
        errors=form.reason.errors,
        catch=(services.ReviewError, locks.LockedError),
    )
    if not outcome.ok:
        return _render_month(
            unit, member, year, month, bound=("reopen", "month", form), status=_status(outcome)
        )
    return _month_redirect(unit, member, year, month)


# ---- per entry -------------------------------------------------------------------------------------


# Where a refusal of each per-entry form is shown: next to what the reviewer typed.
REASON_FIELD = {"comment": "body", "revision": "reason", "exemplary": "note"}


def _status(outcome: Outcome) -> int:
    """A frozen month (or year) refuses with 409, a broken rule with 422."""
    return 409 if isinstance(outcome.error, locks.LockedError) else 422


def _refused(entry: Entry, kind: str, form, status: int = 422):
    """Show the form again, with its text and the reason next to its field (never a lost reason)."""
    if kind == "comment" and form.back.data == "entry":
        return render_entry(entry, comment_form=form, status=status)
    return _render_month(
        entry.unit,
        entry.user,
        entry.deed_date.year,
        entry.deed_date.month,
        bound=(kind, entry.id, form),
        status=status,
    )


def _after(entry: Entry, back: str | None = None):
    if back == "entry" or not permissions.can_review(current_user, entry.user, entry.unit):
        return redirect(url_for("journal.entry", entry_id=entry.id, _anchor="comments"))
    return redirect(_month_url(entry))


@bp.route("/review/entries/<int:entry_id>/comment", methods=["POST"])
@login_required
def comment(entry_id: int):
    """Nhận xét on an entry (the reviewer), or a reply (the member, on their own entry)."""
    entry = _entry(entry_id)
    permissions.require(services.can_comment_entry(current_user, entry))
    form = CommentForm()
    if not form.validate_on_submit():
        return _refused(entry, "comment", form)
    outcome = attempt(
        lambda: services.comment_entry(current_user, entry, form.body.data),
        success="Đã gửi nhận xét.",
        errors=form.body.errors,
        catch=(services.ReviewError, locks.LockedError),  # a frozen month: the typed text kept, 409
    )
    if not outcome.ok:
        return _refused(entry, "comment", form, _status(outcome))
    return _after(entry, form.back.data)


def _entry_button_action(entry_id: int, run, done):
    """The shape of a reviewer's one-button action on an entry: check, run, commit, say so."""
    entry = _entry(entry_id)
    permissions.require(services.can_review_entry(current_user, entry))
    if not ActionForm().validate_on_submit():
        flash(CSRF_MESSAGE, "danger")
        return _after(entry)
    attempt(lambda: run(entry), success=lambda _: done(entry))
    return _after(entry)


@bp.route("/review/entries/<int:entry_id>/reviewed", methods=["POST"])
@login_required
def mark_reviewed(entry_id: int):
    """Đã xem."""
    return _entry_button_action(
        entry_id,
        lambda entry: services.mark_reviewed(current_user, entry),
        lambda entry: f"Đã đánh dấu đã xem bài ngày {entry.deed_date:%d/%m/%Y}.",
    )


def _entry_form_action(entry_id: int, form, key: str, run, done):
    """The shape of a reviewer's action with a form on one entry: check, run, commit, say so; a
    refusal is shown next to the form's reason field, its text kept."""
    entry = _entry(entry_id)
    permissions.require(services.can_review_entry(current_user, entry))
    if not form.validate_on_submit():
        return _refused(entry, key, form)
    outcome = attempt(
        lambda: run(entry, form),
        success=lambda _: done(entry),
        errors=getattr(form, REASON_FIELD[key]).errors,
        catch=(services.ReviewError, locks.LockedError),
    )
    if not outcome.ok:
        return _refused(entry, key, form, _status(outcome))
    return _after(entry)


@bp.route("/review/entries/<int:entry_id>/revision", methods=["POST"])
@login_required
def request_revision(entry_id: int):
    """Yêu cầu bổ sung, with the reason the member will read."""
    return _entry_form_action(
        entry_id,
        RevisionForm(),
        "revision",
        lambda entry, form: services.request_revision(current_user, entry, form.reason.data),
        lambda entry: f"Đã gửi yêu cầu bổ sung cho {entry.user.full_name}.",
    )


@bp.route("/review/entries/<int:entry_id>/exemplary", methods=["POST"])
@login_required
def exemplary(entry_id: int):
    """Biểu dương: into the sổ vàng."""
    return _entry_form_action(
        entry_id,
        ExemplaryForm(),
        "exemplary",
        lambda entry, form: services.flag_exemplary(current_user, entry, form.note.data),
        lambda entry: "Đã biểu dương và ghi bài vào sổ vàng.",
    )


@bp.route("/review/entries/<int:entry_id>/unexemplary", methods=["POST"])
@login_required
def unexemplary(entry_id: int):
    """Bỏ biểu dương."""
    return _entry_button_action(
        entry_id,
        lambda entry: services.unflag_exemplary(current_user, entry),
        lambda entry: "Đã bỏ biểu dương; bài không còn trong sổ vàng.",
    )


# ---- the sổ vàng ---------------------------------------------------------------------------------


@bp.route("/units/<int:unit_id>/golden-book")
@login_required
def golden_book(unit_id: int):
    """Sổ vàng: exemplary deeds of the unit and the branches under it, for ?year=; readable by the
    unit's members and the units above (permissions.can_view_unit)."""
    unit = permissions.get_visible_unit(unit_id, current_user)
    year = request.args.get("year", type=int)
    if not year_in_range(year):
        year = today_local().year
    page = max(1, request.args.get("page", 1, type=int) or 1)
    size = 50
    entries, people, units, total = services.golden_book(unit, year, page, size)
    return render_template(
        "review/golden_book.html",
        unit=unit,
        year=year,
        entries=entries,
        people=people,
        units=units,
        total=total,
        page=page,
        pages=max(1, -(-total // size)),
        years=range(today_local().year, today_local().year - 5, -1),
    )
