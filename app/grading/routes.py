"""Year-end grading pages: the member's self-assessment and result, the branch sheet, proposals, the
meeting and its minutes, ratification by the unit above, quarterly ratings, statistics, frameworks.

Views parse, authorize (app.core.permissions), call app.grading.services and commit once. A unit,
member or round the user may not see is a 404; one they may see but not act on is a 403.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.core import locks, permissions
from app.core.db import db
from app.core.enums import ContentGroup, RoundStatus, Tier
from app.core.filters import today_local
from app.units.models import Unit

from . import services
from .forms import (
    MAX_MEETING_LINES,
    ActionForm,
    AnswerForm,
    ConfirmForm,
    CriterionForm,
    FrameworkCopyForm,
    FrameworkForm,
    MeetingForm,
    OpenRoundForm,
    ReasonForm,
    parse_ids,
    parse_int,
)
from .models import CITABLE_SECTIONS, OTHER_SECTIONS, SECTIONS, STRENGTH_SECTIONS, Criterion, Rating

bp = Blueprint("grading", __name__, url_prefix="/grading")


# ---- loading what the URL names, or 404 -----------------------------------------------------------


def _year(year: int) -> int:
    if not 2000 <= year <= 2100:
        abort(404)
    return year


def _branch(unit_id: int, year: int) -> Unit:
    _year(year)
    unit = permissions.get_visible_unit(unit_id, current_user)
    if not unit.kind.is_branch:
        abort(404)
    return unit


def _round_for_sheet(unit_id: int, year: int):
    """The branch and its round, for those who run or ratify it."""
    unit = _branch(unit_id, year)
    permissions.require(permissions.can_run_grading(current_user, unit))
    grading_round = services.get_round(unit, year)
    return unit, grading_round


def _existing_round(unit_id: int, year: int):
    unit, grading_round = _round_for_sheet(unit_id, year)
    if grading_round is None:
        abort(404)
    return unit, grading_round


def _member_rating(grading_round, user_id: int) -> Rating:
    rating = next((r for r in grading_round.ratings if r.user_id == user_id), None)
    if rating is None:
        abort(404)
    return rating


def _back_to_sheet(unit: Unit, year: int):
    return redirect(url_for("grading.sheet", unit_id=unit.id, year=year))


def _fail(exc: services.GradingError) -> None:
    db.session.rollback()
    flash(exc.message, "danger")


# ---- the index ----------------------------------------------------------------------------------


@bp.get("/")
@login_required
def index():
    year = today_local().year
    mine = [
        (m.unit, services.member_rating(current_user, m.unit, year))
        for m in permissions.diary_memberships(current_user)
    ]
    branches = [
        (m.unit, services.get_round(m.unit, year))
        for m in current_user.memberships
        if m.unit.kind.is_branch and permissions.can_run_grading(current_user, m.unit)
    ]
    pending = services.pending_ratification(current_user)
    stats_units = [
        m.unit for m in current_user.memberships if permissions.can_view_reports(current_user, m.unit)
    ]
    return render_template(
        "grading/index.html",
        year=year,
        mine=mine,
        branches=branches,
        pending=pending,
        stats_units=stats_units,
    )


# ---- the member --------------------------------------------------------------------------------


def _own_rating(unit_id: int, year: int) -> tuple[Unit, Rating | None]:
    unit = _branch(unit_id, year)
    if not permissions.keeps_diary_in(current_user, unit):
        abort(404)
    grading_round = services.get_round(unit, year)
    if grading_round is not None:
        services.sync_members(grading_round)
    return unit, services.member_rating(current_user, unit, year)


def _self_values(rating: Rating) -> dict[str, object]:
    """What the self-assessment form shows: the saved text, or the posted text after an error."""
    assessment = rating.self_assessment
    values: dict[str, object] = {}
    for key, _ in SECTIONS:
        values[key] = assessment.section_text(key) if assessment else ""
    values["level_id"] = assessment.level_id if assessment else None
    for criterion in rating.round.framework.criteria:
        line = rating.score_for("self", criterion.id)
        values[f"points-{criterion.id}"] = _points_text(line.points) if line else ""
    for key in CITABLE_SECTIONS:
        values[f"cite-{key}"] = rating.cited("self", key)
    values["lock_version"] = assessment.lock_version if assessment else ""
    return values


def _posted_self_values(rating: Rating) -> dict[str, object]:
    form = request.form
    values: dict[str, object] = {key: form.get(key, "") for key, _ in SECTIONS}
    values["level_id"] = parse_int(form.get("level_id"))
    for criterion in rating.round.framework.criteria:
        values[f"points-{criterion.id}"] = form.get(f"points-{criterion.id}", "")
    for key in CITABLE_SECTIONS:
        values[f"cite-{key}"] = parse_ids(form.getlist(f"cite-{key}"))
    values["lock_version"] = form.get("lock_version", "")
    return values


def _points_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value:.1f}".replace(".", ",")
    return text[:-2] if text.endswith(",0") else text


@bp.route("/<int:unit_id>/<int:year>/me", methods=["GET", "POST"])
@login_required
def me(unit_id: int, year: int):
    unit, rating = _own_rating(unit_id, year)
    if rating is None:
        db.session.commit()
        return render_template("grading/me.html", unit=unit, year=year, rating=None)
    form = ActionForm()
    errors: dict[str, str] = {}
    values = _self_values(rating)
    if request.method == "POST":
        values = _posted_self_values(rating)
        if not form.validate_on_submit():
            errors["_form"] = " ".join(form.form_errors_all) or "Biểu mẫu không hợp lệ."
        else:
            try:
                services.save_self_assessment(
                    current_user,
                    rating,
                    sections={key: str(values[key]) for key, _ in SECTIONS},
                    level_id=values["level_id"],
                    points={c.id: str(values[f"points-{c.id}"]) for c in rating.round.framework.criteria},
                    cited={key: values[f"cite-{key}"] for key in CITABLE_SECTIONS},
                    lock_version=parse_int(values["lock_version"]),
                    submit=request.form.get("action") == "submit",
                )
                db.session.commit()
                flash(
                    "Đã gửi bản tự đánh giá cho bí thư."
                    if request.form.get("action") == "submit"
                    else "Đã lưu bản nháp tự đánh giá.",
                    "success",
                )
                return redirect(url_for("grading.me", unit_id=unit.id, year=year))
            except services.StaleRating as exc:
                db.session.rollback()
                errors["_form"] = exc.message
                rating = services.member_rating(current_user, unit, year)
                values["lock_version"] = rating.self_assessment.lock_version if rating.self_assessment else ""
                values["_current"] = _self_values(rating)
            except services.GradingError as exc:
                db.session.rollback()
                errors[exc.field or "_form"] = exc.message
                rating = services.member_rating(current_user, unit, year)
    evidence = services.evidence(current_user, unit, year)
    db.session.commit()
    status = 422 if errors else 200
    assessment = rating.self_assessment
    return (
        render_template(
            "grading/me.html",
            unit=unit,
            year=year,
            rating=rating,
            grading_round=rating.round,
            framework=rating.round.framework,
            form=form,
            values=values,
            errors=errors,
            evidence=evidence,
            strength_sections=STRENGTH_SECTIONS,
            other_sections=OTHER_SECTIONS,
            citable=CITABLE_SECTIONS,
            deadline=services.reconsider_deadline(rating.round),
            can_answer=services.can_answer_result(current_user, rating),
            can_edit=services.can_self_assess(current_user, rating),
            reason_form=ReasonForm(prefix="rc"),
            diary_warning=services.diary_warning(
                assessment.level if assessment else None, evidence.entries_total, evidence.months_written
            ),
        ),
        status,
    )


@bp.post("/<int:unit_id>/<int:year>/me/acknowledge")
@login_required
def acknowledge(unit_id: int, year: int):
    unit, rating = _own_rating(unit_id, year)
    if rating is None:
        abort(404)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(" ".join(form.form_errors_all), "danger")
    else:
        try:
            services.acknowledge(current_user, rating)
            db.session.commit()
            flash("Bạn đã ghi nhận kết quả xếp loại.", "success")
        except services.GradingError as exc:
            _fail(exc)
    return redirect(url_for("grading.me", unit_id=unit.id, year=year))


@bp.post("/<int:unit_id>/<int:year>/me/reconsider")
@login_required
def reconsider(unit_id: int, year: int):
    unit, rating = _own_rating(unit_id, year)
    if rating is None:
        abort(404)
    form = ReasonForm(prefix="rc")
    if form.validate_on_submit():
        try:
            services.request_reconsideration(current_user, rating, form.reason.data)
            db.session.commit()
            flash("Đã gửi đề nghị xem xét lại lên cấp trên.", "success")
            return redirect(url_for("grading.me", unit_id=unit.id, year=year))
        except services.GradingError as exc:
            db.session.rollback()
            form.reason.errors = [exc.message]
    rating = services.member_rating(current_user, unit, year)
    evidence = services.evidence(current_user, unit, year)
    return (
        render_template(
            "grading/me.html",
            unit=unit,
            year=year,
            rating=rating,
            grading_round=rating.round,
            framework=rating.round.framework,
            form=ActionForm(),
            values=_self_values(rating),
            errors={},
            evidence=evidence,
            strength_sections=STRENGTH_SECTIONS,
            other_sections=OTHER_SECTIONS,
            citable=CITABLE_SECTIONS,
            deadline=services.reconsider_deadline(rating.round),
            can_answer=services.can_answer_result(current_user, rating),
            can_edit=services.can_self_assess(current_user, rating),
            reason_form=form,
        ),
        422,
    )


# ---- the branch sheet ------------------------------------------------------------------------------


@bp.get("/<int:unit_id>/<int:year>")
@login_required
def sheet(unit_id: int, year: int):
    unit, grading_round = _round_for_sheet(unit_id, year)
    if grading_round is None:
        form = OpenRoundForm()
        options = services.frameworks_for(unit)
        form.framework_id.choices = [(f.id, f.name) for f in options]
        form.framework_id.data = services.default_framework(unit).id
        db.session.commit()
        return render_template("grading/open.html", unit=unit, year=year, form=form, frameworks=options)
    services.sync_members(grading_round)
    db.session.commit()
    return _render_sheet(unit, grading_round)


def _render_sheet(unit, grading_round, reason_form=None, status=200):
    ratings = services.ratings_of(grading_round)
    ready = services.readiness(grading_round)
    return (
        render_template(
            "grading/sheet.html",
            unit=unit,
            year=grading_round.year,
            grading_round=grading_round,
            framework=grading_round.framework,
            ratings=ratings,
            proposed_warnings=services.quota_warnings(grading_round, "proposed"),
            final_warnings=services.quota_warnings(grading_round, "final"),
            can_ratify=services.can_ratify(current_user, grading_round),
            can_close=permissions.can_close_year(current_user, unit),
            closure=services.year_closure(unit, grading_round.year),
            reopenings=services.reopenings(grading_round),
            action_form=ActionForm(),
            reason_form=reason_form or ReasonForm(),
            answer_form=AnswerForm(),
            deadline=services.reconsider_deadline(grading_round),
            can_propose={r.id: services.can_propose(current_user, r) for r in ratings},
            ready=ready,
            diary_warnings=ready.diary_by_user,
            confirmations=services.confirmations(grading_round),
            ratified_unit=services.ratified_by_unit(grading_round),
        ),
        status,
    )


@bp.post("/<int:unit_id>/<int:year>/open")
@login_required
def open_round(unit_id: int, year: int):
    unit, grading_round = _round_for_sheet(unit_id, year)
    locks.ensure(locks.year_lock(unit.id, year))
    if grading_round is not None:
        return _back_to_sheet(unit, year)
    form = OpenRoundForm()
    options = services.frameworks_for(unit)
    form.framework_id.choices = [(f.id, f.name) for f in options]
    if form.validate_on_submit():
        framework = services.get_framework(form.framework_id.data, unit)
        try:
            if framework is None:
                raise services.GradingError("Khung tiêu chí không hợp lệ.", "framework_id")
            services.open_round(current_user, unit, year, framework, form.reconsider_days.data)
            db.session.commit()
            flash(
                f"Đã mở đợt đánh giá, xếp loại năm {year}. Đoàn viên có thể viết bản tự đánh giá.", "success"
            )
            return _back_to_sheet(unit, year)
        except services.GradingError as exc:
            db.session.rollback()
            getattr(form, exc.field or "framework_id").errors = [exc.message]
    return render_template("grading/open.html", unit=unit, year=year, form=form, frameworks=options), 422


def _proposal_values(rating: Rating) -> dict[str, object]:
    values: dict[str, object] = {
        "level_id": rating.proposed_level_id,
        "comment": rating.proposal_comment,
        "lock_version": rating.lock_version,
    }
    for criterion in rating.round.framework.criteria:
        line = rating.score_for("proposal", criterion.id)
        values[f"points-{criterion.id}"] = _points_text(line.points) if line else ""
        values[f"comment-{criterion.id}"] = line.comment if line else ""
        values[f"cite-{criterion.id}"] = rating.cited("proposal", f"c{criterion.id}")
    return values


@bp.route("/<int:unit_id>/<int:year>/members/<int:user_id>/propose", methods=["GET", "POST"])
@login_required
def propose(unit_id: int, year: int, user_id: int):
    unit, grading_round = _existing_round(unit_id, year)
    rating = _member_rating(grading_round, user_id)
    permissions.require(services.can_propose(current_user, rating))
    form = ActionForm()
    errors: dict[str, str] = {}
    values = _proposal_values(rating)
    framework = grading_round.framework
    if request.method == "POST":
        posted = request.form
        values = {
            "level_id": parse_int(posted.get("level_id")),
            "comment": posted.get("comment", ""),
            "lock_version": posted.get("lock_version", ""),
        }
        for c in framework.criteria:
            values[f"points-{c.id}"] = posted.get(f"points-{c.id}", "")
            values[f"comment-{c.id}"] = posted.get(f"comment-{c.id}", "")
            values[f"cite-{c.id}"] = parse_ids(posted.getlist(f"cite-{c.id}"))
        if not form.validate_on_submit():
            errors["_form"] = " ".join(form.form_errors_all) or "Biểu mẫu không hợp lệ."
        else:
            try:
                services.save_proposal(
                    current_user,
                    rating,
                    level_id=values["level_id"],
                    comment=str(values["comment"]),
                    points={c.id: str(values[f"points-{c.id}"]) for c in framework.criteria},
                    criterion_comments={c.id: str(values[f"comment-{c.id}"]) for c in framework.criteria},
                    cited={c.id: values[f"cite-{c.id}"] for c in framework.criteria},
                    lock_version=parse_int(values["lock_version"]),
                )
                db.session.commit()
                flash(f"Đã lưu đề xuất xếp loại cho {rating.user.full_name}.", "success")
                return _back_to_sheet(unit, year)
            except services.StaleRating as exc:
                db.session.rollback()
                errors["_form"] = exc.message
                grading_round = services.get_round(unit, year)
                rating = _member_rating(grading_round, user_id)
                values["lock_version"] = rating.lock_version
                values["_current"] = _proposal_values(rating)
            except services.GradingError as exc:
                db.session.rollback()
                errors[exc.field or "_form"] = exc.message
                grading_round = services.get_round(unit, year)
                rating = _member_rating(grading_round, user_id)
    evidence = services.evidence(rating.user, unit, year)
    assessment = rating.self_assessment
    return (
        render_template(
            "grading/propose.html",
            unit=unit,
            year=year,
            grading_round=rating.round,
            framework=rating.round.framework,
            rating=rating,
            member=rating.user,
            form=form,
            values=values,
            errors=errors,
            evidence=evidence,
            sections=SECTIONS,
            editable=rating.round.status.is_editable,
            diary_warning=services.diary_warning(
                assessment.level if assessment and assessment.submitted_at else None,
                evidence.entries_total,
                evidence.months_written,
            ),
            review_month=12 if year < today_local().year else today_local().month,
        ),
        422 if errors else 200,
    )


# ---- the meeting --------------------------------------------------------------------------------


def _meeting_data(unit: Unit, grading_round, ratings) -> dict:
    """What the meeting form starts from: the recorded meeting, else the proposals (agreed level =
    proposal), everyone present, today's date, the secretary in the chair."""
    party = unit.org_type.value == "party"
    return {
        "lock_version": grading_round.lock_version,
        "minutes_number": grading_round.minutes_number or ("01-BB/CB" if party else "01-BB/CĐ"),
        "meeting_date": grading_round.meeting_date or today_local(),
        "meeting_start": grading_round.meeting_start,
        "meeting_end": grading_round.meeting_end,
        "meeting_place": grading_round.meeting_place or unit.name,
        "chair_name": grading_round.chair_name or current_user.full_name,
        "recorder_name": grading_round.recorder_name,
        "meeting_notes": grading_round.meeting_notes,
        "lines": [_line_data(r) for r in ratings],
    }


def _line_data(rating: Rating) -> dict:
    score = rating.final_score if rating.final_score is not None else rating.proposed_score
    return {
        "rating_id": rating.id,
        "present": rating.present if rating.present is not None else True,
        "absence_reason": rating.absence_reason,
        "votes_agree": rating.votes_agree,
        "votes_total": rating.votes_total,
        "level_id": rating.final_level_id or rating.proposed_level_id,
        "score": _points_text(score),
    }


def _meeting_form(unit: Unit, grading_round, ratings) -> MeetingForm:
    if request.method == "GET":
        form = MeetingForm(data=_meeting_data(unit, grading_round, ratings))
    else:
        form = MeetingForm()
        # Members who joined since the page was shown get their line, from their proposal.
        posted = {parse_int(line.form.rating_id.data) for line in form.lines}
        for rating in ratings:
            if rating.id not in posted and len(form.lines) < MAX_MEETING_LINES:
                form.lines.append_entry(_line_data(rating))
    form.prepare({r.id: r for r in ratings}, grading_round.framework)
    return form


def _place_error(form: MeetingForm, exc: services.GradingError) -> bool:
    """Put a service error next to its field: a form field, or a member's line."""
    name = exc.field or ""
    if name and hasattr(form, name) and name not in ("lines", "meta"):
        getattr(form, name).errors = [exc.message]
        return True
    kind, _, rating_id = name.partition("-")
    for line in form.lines:
        if kind in ("level", "votes") and str(line.form.rating_id.data) == rating_id:
            target = line.form.votes_total if kind == "votes" else line.form.level_id
            if line.form.is_points and kind == "level":
                target = line.form.score
            target.errors = [exc.message]
            return True
    return False


@bp.route("/<int:unit_id>/<int:year>/meeting", methods=["GET", "POST"])
@login_required
def meeting(unit_id: int, year: int):
    unit, grading_round = _existing_round(unit_id, year)
    ratings = services.ratings_of(grading_round)
    form = _meeting_form(unit, grading_round, ratings)
    errors: dict[str, str] = {}
    refused = False
    if request.method == "POST":
        permissions.require(services.can_run_round(current_user, grading_round))
        locked = services.meeting_lock_message(grading_round)
        if locked:
            errors["_form"] = locked
        elif form.validate_on_submit():
            try:
                services.record_meeting(
                    current_user,
                    grading_round,
                    meeting_date=form.meeting_date.data,
                    place=form.meeting_place.data,
                    chair=form.chair_name.data,
                    recorder=form.recorder_name.data,
                    notes=form.meeting_notes.data,
                    lines=form.meeting_lines({r.id: r for r in ratings}),
                    change_reason=form.change_reason.data,
                    lock_version=parse_int(form.lock_version.data),
                    minutes_number=form.minutes_number.data,
                    start=form.meeting_start.data,
                    end=form.meeting_end.data,
                    go_ahead=form.go_ahead_data(),
                )
                db.session.commit()
                flash(
                    "Đã ghi kết quả họp xét phân loại. Xem lại biên bản rồi gửi cấp trên công nhận.",
                    "success",
                )
                return redirect(url_for("grading.minutes", unit_id=unit.id, year=year))
            except services.GradingError as exc:
                db.session.rollback()
                grading_round = services.get_round(unit, year)
                ratings = services.ratings_of(grading_round)
                form.prepare({r.id: r for r in ratings}, grading_round.framework)
                refused = True
                if not _place_error(form, exc):
                    errors["_form"] = exc.message
                if isinstance(exc, services.StaleRating):
                    form.lock_version.data = grading_round.lock_version
    permissions.require(services.can_run_round(current_user, grading_round))
    ready = services.readiness(grading_round, "meeting")
    form.gaps_token.data = ready.token
    by_id = {r.id: r for r in ratings}
    lines = [
        (line, by_id[parse_int(line.form.rating_id.data)])
        for line in form.lines
        if parse_int(line.form.rating_id.data) in by_id
    ]
    invalid = refused or bool(errors) or (request.method == "POST" and bool(form.errors))
    return (
        render_template(
            "grading/meeting.html",
            unit=unit,
            year=year,
            grading_round=grading_round,
            framework=grading_round.framework,
            lines=lines,
            form=form,
            errors=errors,
            editable=grading_round.status.is_editable,
            ready=ready,
            warnings=services.quota_warnings(grading_round, "final"),
        ),
        422 if invalid else 200,
    )


@bp.get("/<int:unit_id>/<int:year>/minutes")
@login_required
def minutes(unit_id: int, year: int):
    unit, grading_round = _existing_round(unit_id, year)
    if grading_round.meeting_recorded_at is None:
        flash("Chưa ghi kết quả họp xét, nên chưa có biên bản.", "warning")
        return redirect(url_for("grading.meeting", unit_id=unit.id, year=year))
    ratings = services.ratings_of(grading_round)
    present = [r for r in ratings if r.present]
    stats = services.round_tiers(grading_round)
    return render_template(
        "grading/minutes.html",
        unit=unit,
        year=year,
        grading_round=grading_round,
        framework=grading_round.framework,
        ratings=ratings,
        present=present,
        absent=[r for r in ratings if not r.present],
        tiers=stats,
        ratified_unit=services.ratified_by_unit(grading_round),
    )


# ---- sending up, ratifying, reopening ---------------------------------------------------------------


# Irreversible acts confirm first on a page of their own (no script needed): what will happen, what
# is missing, and the button that does it.
ACTS = {
    "submit": {
        "title": "Gửi kết quả lên cấp trên công nhận",
        "button": "Xác nhận gửi cấp trên",
        "endpoint": "grading.submit",
        "effect": "Sau khi gửi, chi không sửa được đề xuất và kết quả họp nữa, trừ khi cấp trên trả lại.",
        "style": "btn-primary",
    },
    "ratify": {
        "title": "Công nhận kết quả xếp loại",
        "button": "Xác nhận công nhận",
        "endpoint": "grading.ratify",
        "effect": (
            "Kết quả được khóa; chỉ cấp trên mở lại được (kèm lý do). Từng người được báo kết quả và có "
            "thời hạn ghi nhận hoặc đề nghị xem xét lại."
        ),
        "style": "btn-success",
    },
    "return": {
        "title": "Trả lại kết quả cho chi",
        "button": "Xác nhận trả lại",
        "endpoint": "grading.send_back",
        "effect": "Chi được sửa và gửi lại; lý do trả lại được gửi tới bí thư và hiện trên bảng xếp loại.",
        "style": "btn-danger",
    },
    "close": {
        "title": "Khóa sổ năm",
        "button": "Xác nhận khóa sổ",
        "endpoint": "grading.close_year",
        "effect": (
            "Mọi kế hoạch, bài nhật ký, nhận xét và kết quả của năm chỉ còn để xem; chuẩn mực được chuyển "
            "sang năm sau. Không mở lại được từ trang này."
        ),
        "style": "btn-dark",
    },
}


def _act_allowed(act: str, unit: Unit, grading_round) -> bool:
    if act == "submit":
        return services.can_run_round(current_user, grading_round)
    if act in ("ratify", "return"):
        return services.can_ratify(current_user, grading_round)
    return permissions.can_close_year(current_user, unit)


def _render_confirm(unit: Unit, grading_round, act: str, form: ConfirmForm, errors=None, status=200):
    step = {"submit": "submit", "ratify": "ratify"}.get(act)
    ready = services.readiness(grading_round, step) if step else None
    form.gaps_token.data = ready.token if ready else ""
    form.lock_version.data = grading_round.lock_version
    return (
        render_template(
            "grading/confirm.html",
            unit=unit,
            year=grading_round.year,
            grading_round=grading_round,
            act=act,
            info=ACTS[act],
            form=form,
            errors=errors or {},
            ready=ready,
            ratifier=services.ratifying_unit_of(current_user, unit) if act == "ratify" else None,
            confirmations=services.confirmations(grading_round),
        ),
        status,
    )


@bp.get("/<int:unit_id>/<int:year>/confirm/<act>")
@login_required
def confirm(unit_id: int, year: int, act: str):
    """The confirmation page of an irreversible act."""
    if act not in ACTS:
        abort(404)
    unit, grading_round = _existing_round(unit_id, year)
    permissions.require(_act_allowed(act, unit, grading_round))
    return _render_confirm(unit, grading_round, act, ConfirmForm())


def _do_act(unit_id: int, year: int, act: str, action, done: str):
    """Validate the confirmation form, run the act, or show the confirmation page again with the error."""
    unit, grading_round = _existing_round(unit_id, year)
    permissions.require(_act_allowed(act, unit, grading_round))
    form = ConfirmForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            action(grading_round, form)
            db.session.commit()
            flash(done, "success")
            return _back_to_sheet(unit, year)
        except services.GradingError as exc:
            db.session.rollback()
            grading_round = services.get_round(unit, year)
            if exc.field in ("go_ahead", "go_ahead_reason", "reason"):
                getattr(form, exc.field).errors = [exc.message]
            else:
                errors["_form"] = exc.message
    return _render_confirm(unit, grading_round, act, form, errors, 422)


@bp.post("/<int:unit_id>/<int:year>/submit")
@login_required
def submit(unit_id: int, year: int):
    return _do_act(
        unit_id,
        year,
        "submit",
        lambda r, form: services.submit_round(current_user, r, form.go_ahead_data()),
        "Đã gửi kết quả lên cấp trên để công nhận.",
    )


@bp.post("/<int:unit_id>/<int:year>/ratify")
@login_required
def ratify(unit_id: int, year: int):
    unit = _branch(unit_id, year)
    return _do_act(
        unit_id,
        year,
        "ratify",
        lambda r, form: services.ratify_round(
            current_user, r, parse_int(form.lock_version.data), form.go_ahead_data()
        ),
        f"Đã công nhận kết quả xếp loại năm {year} của {unit.name}.",
    )


@bp.post("/<int:unit_id>/<int:year>/return")
@login_required
def send_back(unit_id: int, year: int):
    return _do_act(
        unit_id,
        year,
        "return",
        lambda r, form: services.return_round(
            current_user, r, form.reason.data or "", parse_int(form.lock_version.data)
        ),
        "Đã trả lại kết quả cho chi đoàn kèm lý do.",
    )


def _ratifiable(unit_id: int, year: int):
    unit, grading_round = _existing_round(unit_id, year)
    permissions.require(services.can_ratify(current_user, grading_round))
    return unit, grading_round


@bp.post("/<int:unit_id>/<int:year>/reopen")
@login_required
def reopen(unit_id: int, year: int):
    def _reopen(actor, grading_round, reason, lock_version=None):
        services.reopen_round(actor, grading_round, reason)

    return _with_reason(unit_id, year, _reopen, "Đã mở lại kết quả đã công nhận; lý do được ghi vào nhật ký.")


def _with_reason(unit_id: int, year: int, action, done: str):
    unit, grading_round = _ratifiable(unit_id, year)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            action(current_user, grading_round, form.reason.data, parse_int(form.lock_version.data))
            db.session.commit()
            flash(done, "success")
            return _back_to_sheet(unit, year)
        except services.GradingError as exc:
            db.session.rollback()
            form.reason.errors = [exc.message]
            grading_round = services.get_round(unit, year)
    return _render_sheet(unit, grading_round, reason_form=form, status=422)


@bp.post("/<int:unit_id>/<int:year>/members/<int:user_id>/answer")
@login_required
def answer(unit_id: int, year: int, user_id: int):
    unit, grading_round = _ratifiable(unit_id, year)
    rating = _member_rating(grading_round, user_id)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            services.answer_reconsideration(current_user, rating, form.answer.data)
            db.session.commit()
            flash(f"Đã trả lời đề nghị của {rating.user.full_name}.", "success")
        except services.GradingError as exc:
            _fail(exc)
    else:
        flash(" ".join(e for errs in form.errors.values() for e in errs), "danger")
    return _back_to_sheet(unit, year)


@bp.post("/<int:unit_id>/<int:year>/close")
@login_required
def close_year(unit_id: int, year: int):
    return _do_act(
        unit_id,
        year,
        "close",
        lambda r, form: services.close_year(current_user, r.unit, year),
        f"Đã khóa sổ năm {year}: nhật ký, kế hoạch và kết quả năm {year} chỉ còn để xem. "
        f"Chuẩn mực được chuyển sang năm {year + 1}; đoàn viên có thể lập kế hoạch mới từ kế hoạch cũ.",
    )


@bp.post("/<int:unit_id>/<int:year>/reopen-year")
@login_required
def reopen_year(unit_id: int, year: int):
    """Mở lại a closed year, with a reason kept in the audit log: the level above only."""
    unit, grading_round = _existing_round(unit_id, year)
    permissions.require(services.can_reopen_year(current_user, unit))
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.reopen_year(current_user, unit, year, form.reason.data)
            db.session.commit()
            flash(f"Đã mở lại năm {year}; lý do được ghi vào nhật ký thao tác.", "success")
            return _back_to_sheet(unit, year)
        except services.GradingError as exc:
            db.session.rollback()
            form.reason.errors = [exc.message]
    return _render_sheet(unit, grading_round, reason_form=form, status=422)


# ---- quarterly ratings ----------------------------------------------------------------------------


@bp.route("/<int:unit_id>/<int:year>/quarters/<int:quarter>", methods=["GET", "POST"])
@login_required
def quarter(unit_id: int, year: int, quarter: int):
    unit, grading_round = _existing_round(unit_id, year)
    if not 1 <= quarter <= 4 or not grading_round.framework.has_quarterly:
        abort(404)
    form = ActionForm()
    members = [m for m in services.branch_members(unit) if permissions.can_review(current_user, m, unit)]
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(" ".join(form.form_errors_all), "danger")
        else:
            values = {
                m.id: (parse_int(request.form.get(f"q-{m.id}")), request.form.get(f"note-{m.id}", ""))
                for m in members
            }
            try:
                saved = services.save_quarter_ratings(current_user, grading_round, quarter, values)
                db.session.commit()
                flash(f"Đã lưu đánh giá quý {quarter}/{year} của {saved} người.", "success")
                return redirect(url_for("grading.quarter", unit_id=unit.id, year=year, quarter=quarter))
            except services.GradingError as exc:
                _fail(exc)
    existing = services.quarter_ratings(unit, year, quarter)
    return render_template(
        "grading/quarter.html",
        unit=unit,
        year=year,
        quarter=quarter,
        grading_round=grading_round,
        framework=grading_round.framework,
        members=members,
        existing=existing,
        form=form,
    )


# ---- statistics --------------------------------------------------------------------------------


@bp.get("/stats/<int:unit_id>")
@login_required
def stats(unit_id: int):
    unit = permissions.get_visible_unit(unit_id, current_user)
    permissions.require(permissions.can_view_reports(current_user, unit))
    year = parse_int(request.args.get("year")) or today_local().year
    _year(year)
    include_pending = request.args.get("all") == "1"
    result = services.statistics(unit, year, ratified_only=not include_pending)
    rounds = services.rounds_under(current_user, unit, year)
    return render_template(
        "grading/stats.html",
        unit=unit,
        year=year,
        stats=result,
        rounds=rounds,
        include_pending=include_pending,
        tiers=list(Tier),
    )


# ---- frameworks ----------------------------------------------------------------------------------


def _framework_unit(unit_id: int) -> Unit:
    unit = permissions.get_visible_unit(unit_id, current_user)
    permissions.require(permissions.can_manage_frameworks(current_user, unit))
    return unit


def _framework(unit: Unit, framework_id: int):
    framework = services.get_framework(framework_id, unit)
    if framework is None:
        abort(404)
    return framework


@bp.route("/frameworks/<int:unit_id>", methods=["GET", "POST"])
@login_required
def frameworks(unit_id: int):
    unit = _framework_unit(unit_id)
    options = services.frameworks_for(unit)
    form = FrameworkCopyForm()
    form.source_id.choices = [(f.id, f.name) for f in options]
    if request.method == "POST" and form.validate_on_submit():
        source = next((f for f in options if f.id == form.source_id.data), None)
        try:
            if source is None:
                raise services.GradingError("Khung nguồn không hợp lệ.", "source_id")
            framework = services.copy_framework(current_user, source, unit, form.name.data)
            db.session.commit()
            flash("Đã tạo khung tiêu chí của đơn vị; chỉnh sửa tiêu chí, điểm và mức bên dưới.", "success")
            return redirect(url_for("grading.framework_edit", unit_id=unit.id, framework_id=framework.id))
        except services.GradingError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors = [exc.message]
    db.session.commit()
    status = 422 if form.errors else 200
    return render_template("grading/frameworks.html", unit=unit, frameworks=options, form=form), status


def _level_data(framework) -> list[services.LevelData]:
    rows = []
    for level in framework.levels:
        rows.append(
            services.LevelData(
                level_id=level.id,
                name=request.form.get(f"name-{level.id}", level.name),
                description=request.form.get(f"desc-{level.id}", level.description),
                min_score=parse_int(request.form.get(f"min-{level.id}")),
                quota_percent=parse_int(request.form.get(f"quota-{level.id}")),
                quota_of_tier=parse_int(request.form.get(f"quota-of-{level.id}")),
            )
        )
    return rows


@bp.route("/frameworks/<int:unit_id>/<int:framework_id>", methods=["GET", "POST"])
@login_required
def framework_edit(unit_id: int, framework_id: int):
    unit = _framework_unit(unit_id)
    framework = _framework(unit, framework_id)
    may_edit = services.can_edit_framework(current_user, framework)
    lock = locks.framework_lock(framework)
    editable = may_edit and lock is None
    form = FrameworkForm(obj=framework if request.method == "GET" else None)
    criterion_form = CriterionForm(prefix="new")
    errors: dict[str, str] = {}
    refused = False
    if request.method == "POST":
        permissions.require(may_edit)
        if form.validate_on_submit():
            try:
                services.update_framework(
                    current_user,
                    framework,
                    form.name.data,
                    form.basis.data,
                    form.has_quarterly.data,
                    _level_data(framework),
                )
                db.session.commit()
                flash("Đã lưu khung tiêu chí.", "success")
                return redirect(url_for("grading.framework_edit", unit_id=unit.id, framework_id=framework.id))
            except services.GradingError as exc:
                db.session.rollback()
                errors[exc.field or "_form"] = exc.message
                framework = _framework(unit, framework_id)
            except locks.LockedError as exc:  # in use: the page offers a copy instead
                db.session.rollback()
                refused, lock = True, exc.lock
                framework = _framework(unit, framework_id)
    return (
        render_template(
            "grading/framework.html",
            unit=unit,
            framework=framework,
            form=form,
            editable=editable,
            criterion_form=criterion_form,
            errors=errors,
            tiers=list(Tier),
            in_use=services.framework_in_use(framework),
            lock=lock,
            may_copy=may_edit or permissions.can_manage_frameworks(current_user, unit),
            copy_name=f"{framework.name} (phiên bản mới)"[:200],
            content_groups=ContentGroup.choices(),
        ),
        409 if refused else 422 if (errors or form.errors) else 200,
    )


def _parse_points(text: str | None) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return Decimal(-1)
    return value if value.is_finite() and value < 1000 else Decimal(-1)


@bp.post("/frameworks/<int:unit_id>/<int:framework_id>/criteria")
@bp.post("/frameworks/<int:unit_id>/<int:framework_id>/criteria/<int:criterion_id>")
@login_required
def criterion_save(unit_id: int, framework_id: int, criterion_id: int | None = None):
    unit = _framework_unit(unit_id)
    framework = _framework(unit, framework_id)
    permissions.require(services.can_edit_framework(current_user, framework))
    criterion = None
    if criterion_id is not None:
        criterion = next((c for c in framework.criteria if c.id == criterion_id), None)
        if criterion is None:
            abort(404)
    form = CriterionForm(prefix="new" if criterion is None else f"c{criterion_id}")
    if form.validate_on_submit():
        try:
            group = ContentGroup(form.content_group.data) if form.content_group.data else None
            services.save_criterion(
                current_user,
                framework,
                criterion,
                form.group_name.data,
                group,
                form.text.data,
                _parse_points(form.max_points.data),
            )
            db.session.commit()
            flash("Đã lưu tiêu chí.", "success")
        except (services.GradingError, ValueError) as exc:
            db.session.rollback()
            flash(getattr(exc, "message", "Nhóm nội dung không hợp lệ."), "danger")
    else:
        flash(" ".join(e for errs in form.errors.values() for e in errs), "danger")
    return redirect(
        url_for("grading.framework_edit", unit_id=unit.id, framework_id=framework.id) + "#tieu-chi"
    )


@bp.post("/frameworks/<int:unit_id>/<int:framework_id>/criteria/<int:criterion_id>/delete")
@login_required
def criterion_delete(unit_id: int, framework_id: int, criterion_id: int):
    unit = _framework_unit(unit_id)
    framework = _framework(unit, framework_id)
    permissions.require(services.can_edit_framework(current_user, framework))
    criterion = db.session.get(Criterion, criterion_id)
    if criterion is None or criterion.framework_id != framework.id:
        abort(404)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            services.delete_criterion(current_user, criterion)
            db.session.commit()
            flash("Đã xoá tiêu chí.", "success")
        except services.GradingError as exc:
            _fail(exc)
    return redirect(
        url_for("grading.framework_edit", unit_id=unit.id, framework_id=framework.id) + "#tieu-chi"
    )


@bp.app_template_global()
def round_status_class(status: RoundStatus) -> str:
    return {
        RoundStatus.OPEN: "text-bg-secondary",
        RoundStatus.MEETING_HELD: "text-bg-info",
        RoundStatus.SUBMITTED: "text-bg-warning",
        RoundStatus.RETURNED: "text-bg-danger",
        RoundStatus.RATIFIED: "text-bg-success",
    }[status]


@bp.app_template_filter("grading_step")
def grading_step_filter(step: str) -> str:
    return services.STEPS.get(step, step)


@bp.app_template_filter("points")
def points_filter(value) -> str:
    return _points_text(value)
