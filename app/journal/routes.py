"""The diary: month calendar, timeline, year view, search, writing entries, evidence files."""

from __future__ import annotations

import calendar
import re
from datetime import date

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from app.audit.reads import log_diary_read
from app.core import locks, permissions
from app.core.db import db
from app.core.enums import EntryStatus
from app.core.filters import today_local, vn_datetime
from app.core.forms import BaseForm
from app.core.rules import attempt
from app.journal import services, storage
from app.journal.forms import EntryForm
from app.journal.models import Entry, Evidence
from app.journal.pages import DiaryContext, render_entry

bp = Blueprint("journal", __name__, url_prefix="/diary")

# Room for five 10 MB files: a larger single file is refused by the form with a message that
# keeps the text, instead of the bare "request too large" page.
ENTRY_REQUEST_LIMIT = 60 * 1024 * 1024
# A text field may be far longer than the form allows (5 MB pasted by mistake): it is read, and the
# form says "Tối đa 5.000 ký tự" next to the field, keeping the text, instead of "413 Tệp quá lớn"
# (Werkzeug's default refuses a text part over 500 kB before the form sees it).
ENTRY_FORM_MEMORY = 16 * 1024 * 1024
# (full name read aloud and shown on wide screens, short label shown on a phone)
WEEKDAYS = [
    ("Thứ Hai", "T2"),
    ("Thứ Ba", "T3"),
    ("Thứ Tư", "T4"),
    ("Thứ Năm", "T5"),
    ("Thứ Sáu", "T6"),
    ("Thứ Bảy", "T7"),
    ("Chủ Nhật", "CN"),
]


def _context() -> DiaryContext | None:
    """The diary asked for by ?user_id=&unit_id= (default: one's own first branch); 404 when not allowed."""
    user_id = request.args.get("user_id", type=int)
    unit_id = request.args.get("unit_id", type=int)
    owner = (
        current_user
        if not user_id or user_id == current_user.id
        else (permissions.get_visible_user(user_id, current_user))
    )
    if unit_id:
        unit = permissions.get_visible_unit(unit_id, current_user)
    else:
        diaries = permissions.diary_memberships(owner)
        if not diaries:
            if owner.id == current_user.id:
                return None
            abort(404)
        unit = diaries[0].unit
    if not permissions.can_view_diary(current_user, owner, unit):
        abort(404)
    return DiaryContext(owner, unit)


def _context_or_intro():
    ctx = _context()
    if ctx is None:
        return None, render_template("journal/no_diary.html")
    return ctx, None


def _entry_id(value) -> int | None:
    """An entry id from a hidden field, or None: anything but 1–9 plain digits is ignored."""
    value = str(value or "")
    return int(value) if re.fullmatch(r"[0-9]{1,9}", value) else None


def _get_entry(entry_id: int) -> Entry:
    """An entry the user may read; 404 otherwise."""
    entry = db.session.get(Entry, entry_id)
    if entry is None or not permissions.can_view_diary(current_user, entry.user, entry.unit):
        abort(404)
    return entry


@bp.route("/")
@login_required
def index():
    """The diary's front page is this month's calendar."""
    ctx, intro = _context_or_intro()
    if intro:
        return intro
    today = today_local()
    return redirect(url_for("journal.month", year=today.year, month=today.month, **_own_args(ctx)))


def _own_args(ctx: DiaryContext) -> dict:
    return ctx.args if not ctx.is_own or len(ctx.diaries) > 1 else {}


@bp.route("/<year:year>/<month:month>")
@login_required
def month(year: int, month: int):
    """A month calendar with the entries on their days."""
    ctx, intro = _context_or_intro()
    if intro:
        return intro
    log_diary_read(ctx.owner, ctx.unit, "month", year=year, month=month)
    entries = services.month_entries(ctx.owner, ctx.unit, year, month)
    by_day: dict[date, list[Entry]] = {}
    for entry in sorted(entries, key=lambda e: (e.deed_date, e.id)):
        by_day.setdefault(entry.deed_date, []).append(entry)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    prev_month = (year, month - 1) if month > 1 else (year - 1, 12)
    next_month = (year, month + 1) if month < 12 else (year + 1, 1)
    return render_template(
        "journal/month.html",
        ctx=ctx,
        year=year,
        month=month,
        weeks=weeks,
        by_day=by_day,
        entries=entries,
        weekdays=WEEKDAYS,
        prev_month=prev_month,
        next_month=next_month,
    )


@bp.route("/timeline")
@login_required
def timeline():
    """All entries, newest first, twenty at a time."""
    ctx, intro = _context_or_intro()
    if intro:
        return intro
    before = None
    before_date = request.args.get("before_date", "")
    before_id = request.args.get("before_id", type=int)
    if before_date and before_id:
        try:
            before = (date.fromisoformat(before_date), before_id)
        except ValueError:
            before = None
    log_diary_read(ctx.owner, ctx.unit, "timeline")
    entries, more = services.timeline_page(ctx.owner, ctx.unit, before)
    return render_template(
        "journal/timeline.html",
        ctx=ctx,
        entries=entries,
        more=more,
        before_date=before[0] if before else None,  # later pages say where they start (title)
    )


@bp.route("/year/<year:year>")
@login_required
def year_view(year: int):
    """The year at a glance: heatmap, streak and commitment coverage."""
    ctx, intro = _context_or_intro()
    if intro:
        return intro
    log_diary_read(ctx.owner, ctx.unit, "year", year=year)
    counts = services.day_counts(ctx.owner, ctx.unit, year)
    all_days = set(counts) if year == today_local().year else set()
    return render_template(
        "journal/year.html",
        ctx=ctx,
        year=year,
        heat=services.heatmap(counts, year),
        total=sum(counts.values()),
        streak=services.week_streak(all_days) if all_days else 0,
        coverage=services.coverage(ctx.owner, ctx.unit, year),
        legend=services.COVERAGE_LEGEND,
        plan=services.working_plan(ctx.owner, ctx.unit, year),
    )


@bp.route("/search")
@login_required
def search():
    """Search one's diary; "dang vien" finds "Đảng viên"."""
    ctx, intro = _context_or_intro()
    if intro:
        return intro
    q = request.args.get("q", "", type=str)[:200]
    log_diary_read(ctx.owner, ctx.unit, "search")
    results = services.search(ctx.owner, ctx.unit, q) if q.strip() else []
    return render_template("journal/search.html", ctx=ctx, q=q, results=results)


def _form_for(ctx: DiaryContext, year: int, entry: Entry | None = None) -> EntryForm:
    form = EntryForm(obj=entry) if entry is not None and request.method == "GET" else EntryForm()
    commitments = services.available_commitments(ctx.owner, ctx.unit, year)
    # Commitments an entry already serves stay listed even after the plan changed.
    if entry is not None:
        known = {c.id for c in commitments}
        commitments += [c for c in entry.commitments if c.id not in known]
    form.commitment_ids.choices = [
        (c.id, ("★ Đột phá: " if c.is_breakthrough else "") + c.label) for c in commitments
    ]
    if entry is not None and request.method == "GET":
        form.commitment_ids.data = [c.id for c in entry.commitments]
        form.entry_id.data = entry.id
        form.lock_version.data = entry.lock_version
    return form


def _uploads() -> list:
    """The files actually chosen (an empty file input still sends a part with no name)."""
    files = request.files.getlist(EntryForm().evidence.name) if request.files else []
    return [f for f in files if f and f.filename]


@bp.route("/entries/new", methods=["GET", "POST"])
@login_required
def new_entry():
    """Write an entry; the member only, in their own branch."""
    request.max_content_length = ENTRY_REQUEST_LIMIT
    request.max_form_memory_size = ENTRY_FORM_MEMORY
    ctx, intro = _context_or_intro()
    if intro:
        return intro
    permissions.require(ctx.is_own and permissions.keeps_diary_in(current_user, ctx.unit))
    today = today_local()
    form = _form_for(ctx, today.year)
    if request.method == "GET":
        asked = request.args.get("date", "")
        try:
            form.deed_date.data = date.fromisoformat(asked) if asked else today
        except ValueError:
            form.deed_date.data = today
    # An autosaved draft of this form continues as that draft.
    draft = None
    if (draft_id := _entry_id(form.entry_id.data)) is not None:
        draft = db.session.get(Entry, draft_id)
        if (
            draft is None
            or draft.user_id != current_user.id
            or draft.unit_id != ctx.unit.id
            or draft.status is not EntryStatus.DRAFT
        ):
            draft = None
    if form.validate_on_submit():
        return _save(ctx, form, draft)
    return render_template(
        "journal/form.html", ctx=ctx, form=form, entry=draft, earliest=services.earliest_deed_date(ctx.unit)
    )


def _save(ctx: DiaryContext, form: EntryForm, entry: Entry | None):
    submit = bool(form.submit.data)
    if (
        entry is not None
        and form.lock_version.data
        and str(form.lock_version.data) != str(entry.lock_version)
    ):
        form.form_errors.append(
            "Bài này vừa được lưu ở nơi khác (một thẻ hoặc máy khác). Nội dung bạn đang gõ vẫn còn dưới "
            "đây; bản đã lưu ở nơi khác hiển thị bên cạnh. Hãy kiểm tra rồi lưu lại."
        )
        form.lock_version.data = entry.lock_version
        return render_template(
            "journal/form.html",
            ctx=ctx,
            form=form,
            entry=entry,
            conflict=entry,
            earliest=services.earliest_deed_date(ctx.unit),
        ), 409
    outcome = attempt(
        lambda: services.save_entry(
            current_user,
            ctx.owner,
            ctx.unit,
            form.entry_data(),
            entry=entry,
            submit=submit,
            uploads=_uploads(),
        ),
        success="Đã gửi bài nhật ký." if submit else "Đã lưu nháp.",
        errors=[],  # put below, next to the field the refusal names
        catch=(services.JournalError, locks.LockedError, StaleDataError),
    )
    if outcome.ok:
        return redirect(url_for("journal.entry", entry_id=outcome.value.id, saved=1))
    exc = outcome.error
    if isinstance(exc, StaleDataError):
        form.form_errors.append(
            "Bài này vừa được lưu ở nơi khác. Hãy tải lại trang và kiểm tra trước khi lưu."
        )
        status = 409
    else:
        target = getattr(form, exc.field or "action", None) or form.action
        target.errors = [*target.errors, str(exc)]
        if _uploads() and exc.field != "evidence":
            form.evidence.errors = [
                *form.evidence.errors,
                "Bài chưa lưu được nên tệp đã chọn chưa được tải lên: hãy chọn lại tệp minh chứng.",
            ]
        status = 409 if isinstance(exc, locks.LockedError) else 422
    return render_template(
        "journal/form.html",
        ctx=ctx,
        form=form,
        entry=entry,
        earliest=services.earliest_deed_date(ctx.unit),
    ), status


@bp.route("/entries/<int:entry_id>")
@login_required
def entry(entry_id: int):
    """One entry in full, with its evidence, its review status and comments."""
    item = _get_entry(entry_id)
    log_diary_read(item.user, item.unit, "entry", object_id=item.id)
    return render_entry(item)


@bp.route("/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@login_required
def edit_entry(entry_id: int):
    """Edit one's entry until its month is signed off."""
    request.max_content_length = ENTRY_REQUEST_LIMIT
    request.max_form_memory_size = ENTRY_FORM_MEMORY
    item = _get_entry(entry_id)
    permissions.require(services.is_author(current_user, item))
    locks.ensure(locks.entry_lock(item))
    ctx = DiaryContext(item.user, item.unit)
    form = _form_for(ctx, item.deed_date.year, item)
    if form.validate_on_submit():
        return _save(ctx, form, item)
    return render_template(
        "journal/form.html",
        ctx=ctx,
        form=form,
        entry=item,
        earliest=services.earliest_deed_date(ctx.unit),
    )


@bp.route("/entries/<int:entry_id>/submit", methods=["POST"])
@login_required
def submit_entry(entry_id: int):
    """Send a draft to the diary as it is."""
    item = _get_entry(entry_id)
    permissions.require(services.is_author(current_user, item))
    if BaseForm().validate_on_submit():
        data = services.EntryData(
            deed_date=item.deed_date,
            place=item.place,
            action=item.action,
            result=item.result,
            lesson=item.lesson,
            commitment_ids=[c.id for c in item.commitments],
        )
        outcome = attempt(
            lambda: services.save_entry(current_user, item.user, item.unit, data, entry=item, submit=True),
            success="Đã gửi bài nhật ký.",
            errors=[],  # said below, with what did not go
            catch=services.JournalError,
        )
        if not outcome.ok:
            flash(f"Chưa gửi được: {outcome.message}", "danger")
            return redirect(url_for("journal.edit_entry", entry_id=entry_id))
    return redirect(url_for("journal.entry", entry_id=entry_id))


@bp.route("/entries/<int:entry_id>/delete", methods=["POST"])
@login_required
def delete_entry(entry_id: int):
    """Delete a draft."""
    item = _get_entry(entry_id)
    permissions.require(services.is_author(current_user, item))
    if BaseForm().validate_on_submit():
        outcome = attempt(
            lambda: services.delete_entry(current_user, item),
            success="Đã xóa bản nháp.",
            catch=services.JournalError,
        )
        if not outcome.ok:
            return redirect(url_for("journal.entry", entry_id=entry_id))
    return redirect(url_for("journal.index"))


@bp.route("/entries/autosave", methods=["POST"])
@login_required
def autosave():
    """Save what is being typed as a draft (called by static/js/entry-form.js); JSON."""
    request.max_form_memory_size = ENTRY_FORM_MEMORY
    ctx = _context()
    if ctx is None or not ctx.is_own:
        return jsonify(ok=False, message="Không có sổ nhật ký để lưu."), 404
    form = EntryForm()
    form.commitment_ids.choices = [
        (c.id, "") for c in services.available_commitments(ctx.owner, ctx.unit, today_local().year)
    ]
    form.validate()
    if form.csrf_token.errors if hasattr(form, "csrf_token") else False:
        return jsonify(
            ok=False, message="Phiên làm việc đã hết hạn; nội dung vẫn được giữ trên máy này."
        ), 400
    entry = None
    if (entry_id := _entry_id(form.entry_id.data)) is not None:
        entry = db.session.get(Entry, entry_id)
        if entry is None or not services.is_author(current_user, entry):
            return jsonify(ok=False, message="Không tìm thấy bản nháp."), 404
        if form.lock_version.data and str(form.lock_version.data) != str(entry.lock_version):
            return jsonify(ok=False, conflict=True, message="Bài này vừa được lưu ở nơi khác."), 409
    outcome = attempt(
        lambda: services.autosave_draft(current_user, ctx.owner, ctx.unit, form.entry_data(), entry),
        errors=[],  # answered in JSON below, never flashed onto the next page
        catch=(services.JournalError, locks.LockedError, StaleDataError),
    )
    exc = outcome.error
    if isinstance(exc, services.JournalError):
        return jsonify(ok=False, message=str(exc)), 422
    if isinstance(exc, locks.LockedError):
        return jsonify(ok=False, locked=exc.lock.kind, message=exc.message), 409
    if isinstance(exc, StaleDataError):
        return jsonify(ok=False, conflict=True, message="Bài này vừa được lưu ở nơi khác."), 409
    entry = outcome.value
    return jsonify(
        ok=True,
        entry_id=entry.id,
        lock_version=entry.lock_version,
        saved_at=vn_datetime(entry.updated_at),
        status=entry.status.value,
    )


def _get_evidence(evidence_id: int) -> Evidence:
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None:
        abort(404)
    _get_entry(evidence.entry_id)
    return evidence


@bp.route("/evidence/<int:evidence_id>")
@login_required
def evidence(evidence_id: int):
    """An evidence file, to those who may read the entry."""
    item = _get_evidence(evidence_id)
    log_diary_read(item.entry.user, item.entry.unit, "evidence", object_id=item.entry_id)
    path = storage.path_of(item.stored_name)
    if not path.exists():
        abort(404)
    response = send_file(
        path,
        mimetype=item.content_type,
        # Named by the server from the detected type; the uploader's name is shown on the page only.
        download_name=storage.download_name(item.id, item.content_type, item.entry.deed_date),
        as_attachment=request.args.get("download") == "1",
        max_age=0,
    )
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/evidence/<int:evidence_id>/delete", methods=["POST"])
@login_required
def delete_evidence(evidence_id: int):
    """Remove an evidence file from one's entry."""
    item = _get_evidence(evidence_id)
    entry_id = item.entry_id
    permissions.require(services.is_author(current_user, item.entry))
    if BaseForm().validate_on_submit():
        attempt(lambda: services.delete_evidence(current_user, item), success="Đã xóa tệp minh chứng.")
    return redirect(url_for("journal.edit_entry", entry_id=entry_id))
