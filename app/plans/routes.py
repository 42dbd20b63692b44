"""The personal plan: the member's page, editing, the approval workflow, the branch overview."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.audit.reads import log_diary_read
from app.auth.models import User
from app.core import locks, permissions
from app.core.bounds import year_in_range
from app.core.db import db
from app.core.enums import PlanStatus
from app.core.filters import today_local
from app.core.forms import CSRF_MESSAGE
from app.core.rules import attempt
from app.plans import services
from app.plans.forms import ActionForm, CommitmentForm, PlanForm, ReturnForm, StartForm, blank_row
from app.plans.models import Plan
from app.units.models import Membership

bp = Blueprint("plans", __name__)


def _get_plan(plan_id: int) -> Plan:
    """A plan version the user may read (permissions.can_view_diary); 404 otherwise."""
    plan = db.session.get(Plan, plan_id)
    if plan is None or not permissions.can_view_diary(current_user, plan.user, plan.unit):
        abort(404)
    return plan


def _year_arg() -> int:
    year = request.args.get("year", type=int)
    return year if year_in_range(year) else today_local().year


def _guard(plan: Plan, who: bool) -> None:
    """403 unless the user may act on the plan's member at all; then 409 (app.core.errors) with the
    reason when the plan's year is closed. The route then asks the full can_*_plan question."""
    permissions.require(who)
    locks.ensure(locks.plan_lock(plan))


def _action_ok() -> bool:
    """CSRF check for the plain buttons; a stale token says so instead of a bare 400 page."""
    if ActionForm().validate_on_submit():
        return True
    flash(CSRF_MESSAGE, "error")
    return False


def _render_plan(plan: Plan, *, own_page: bool = False):
    versions = services.plan_versions(plan)
    newest = versions[-1]
    in_force = next((v for v in reversed(versions) if v.status is PlanStatus.APPROVED), None)
    previous = next((v for v in versions if v.version == plan.version - 1), None)
    memberships = permissions.diary_memberships(current_user) if own_page else []
    managed = _managed_branches() if own_page else []
    return render_template(
        "plans/view.html",
        plan=plan,
        versions=versions,
        newest=newest,
        in_force=in_force,
        diff=services.compare_versions(previous, plan) if previous else None,
        groups=services.grouped_commitments(plan),
        can_edit=services.can_edit_plan(current_user, plan),
        can_decide=services.can_decide_plan(current_user, plan),
        can_revise=services.can_revise_plan(current_user, plan) and newest.id == plan.id,
        missing=services.missing_for_submit(plan) if plan.is_editable else [],
        own_page=own_page,
        memberships=memberships,
        managed=managed,
        years=_years_around(plan.year),
        action_form=ActionForm(),
    )


def _years_around(year: int) -> list[int]:
    return sorted({*services.plan_years(), year})


# ---- the member's side ------------------------------------------------------------------------


@bp.route("/plans")
@login_required
def index():
    """The member's own plan for ?year= in ?unit_id= (defaults: this year, the first branch)."""
    memberships = permissions.diary_memberships(current_user)
    year = _year_arg()
    if not memberships:
        return render_template("plans/none.html", managed=_managed_branches(), year=year)
    unit_id = request.args.get("unit_id", type=int)
    membership = next((m for m in memberships if m.unit_id == unit_id), memberships[0])
    plan = services.current_plan(current_user, membership.unit, year)
    if plan is not None:
        return _render_plan(plan, own_page=True)
    form = StartForm(formdata=None, unit_id=membership.unit_id, year=year)
    _start_choices(form, memberships, year)
    return render_template(
        "plans/start.html",
        form=form,
        unit=membership.unit,
        year=year,
        memberships=memberships,
        years=_years_around(year),
        can_start=year in services.plan_years(),
        managed=_managed_branches(),
        previous_plan=services.plan_in_force(current_user, membership.unit, year - 1),
    )


def _managed_branches():
    """Branches whose plans the user follows as secretary or deputy (for a link on their page)."""
    return [m.unit for m in current_user.memberships if m.role.manages_branch and m.unit.kind.is_branch]


def _start_choices(form: StartForm, memberships, year: int) -> None:
    form.unit_id.choices = [(m.unit_id, m.unit.name) for m in memberships]
    form.year.choices = [(y, str(y)) for y in services.plan_years()]


@bp.route("/plans/start", methods=["GET", "POST"])
@login_required
def start():
    """Start one's own plan for a year in one of one's branches."""
    memberships = permissions.diary_memberships(current_user)
    if not memberships:
        abort(403)
    year = _year_arg()
    form = StartForm()
    _start_choices(form, memberships, year)
    if request.method == "GET":
        form.unit_id.data = request.args.get("unit_id", type=int) or memberships[0].unit_id
        form.year.data = year if year in services.plan_years() else today_local().year
    if form.validate_on_submit():
        unit = next(m.unit for m in memberships if m.unit_id == form.unit_id.data)
        existing = services.current_plan(current_user, unit, form.year.data)
        if existing is not None:
            flash(f"Bạn đã có kế hoạch năm {existing.year} ở {unit.name}.", "info")
            return redirect(url_for("plans.view", plan_id=existing.id))
        begin = (
            services.start_plan_from_previous
            if request.form.get("from_previous") == "1"
            else services.start_plan
        )
        outcome = attempt(
            lambda: begin(current_user, current_user, unit, form.year.data),
            errors=form.year.errors,
            catch=(services.PlanError, IntegrityError),
        )
        if isinstance(outcome.error, IntegrityError):  # started at the same moment in another tab
            return redirect(url_for("plans.index", year=form.year.data, unit_id=unit.id))
        if outcome.ok:
            return redirect(url_for("plans.edit", plan_id=outcome.value.id))
    return render_template("plans/start_form.html", form=form)


@bp.route("/plans/<int:plan_id>")
@login_required
def view(plan_id: int):
    """One version of a plan: the member, the branch's secretaries, officers above, admins."""
    plan = _get_plan(plan_id)
    log_diary_read(plan.user, plan.unit, "plan", object_id=plan.id, year=plan.year)
    return _render_plan(plan)


@bp.route("/plans/<int:plan_id>/versions/<int:version>")
@login_required
def version(plan_id: int, version: int):
    """Another version of the same plan, by its number."""
    plan = _get_plan(plan_id)
    other = next((v for v in services.plan_versions(plan) if v.version == version), None)
    if other is None:
        abort(404)
    return redirect(url_for("plans.view", plan_id=other.id))


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@login_required
def edit(plan_id: int):
    """Edit a draft or returned version: its member, or whoever may register a plan for them."""
    plan = _get_plan(plan_id)
    _guard(plan, services.can_write_plan_for(current_user, plan.user, plan.unit))
    if not plan.is_editable:
        flash(services.locked_message(plan), "warning")
        return redirect(url_for("plans.view", plan_id=plan.id))
    permissions.require(services.can_edit_plan(current_user, plan))
    log_diary_read(plan.user, plan.unit, "plan", object_id=plan.id, year=plan.year)  # when shown (200)
    standards = services.plan_standards(plan)
    ids = {s.id for s in standards}
    stale = False
    notice = None
    if request.method == "GET":
        form = PlanForm.for_plan(plan, ids)
    else:
        form = PlanForm(year=plan.year, standard_ids=ids)
        op = request.form.get("op", "save")
        if op == "add":
            rows = [e.data for e in form.commitments]
            if len(rows) >= services.MAX_COMMITMENTS:
                notice = f"Đã đủ {services.MAX_COMMITMENTS} việc làm theo, không thêm được nữa."
            else:
                rows.append(blank_row(plan.year))
            form = form.rebuilt(rows)
        elif op.startswith("remove-"):
            # The button carries the row's position (rows arrive in order; names may have gaps).
            position = op.removeprefix("remove-")
            rows = [e.data for i, e in enumerate(form.commitments) if str(i) != position]
            form = form.rebuilt(rows or [blank_row(plan.year)])
        elif form.validate_on_submit():
            outcome = attempt(
                lambda: _save(plan, form, submit=op == "submit"),
                success=(
                    "Đã lưu và gửi kế hoạch để bí thư duyệt."
                    if op == "submit"
                    else "Đã lưu kế hoạch (bản nháp). Khi xong, hãy bấm “Gửi duyệt”."
                ),
                errors=form.list_errors,
            )
            if outcome.ok:
                return redirect(url_for("plans.view", plan_id=plan.id))
            if isinstance(outcome.error, services.StalePlanError):
                # The typed text stays in the form; the next save is a deliberate choice to keep
                # it over the other one.
                stale = True
                form.lock_version.data = str(plan.lock_version)
        form.ensure_row()
    return render_template(
        "plans/edit.html",
        plan=plan,
        form=form,
        standard_groups=services.group_standards(standards),
        stale=stale,
        notice=notice,
        max_commitments=services.MAX_COMMITMENTS,
        new_row=_template_row(plan.year),
    )


def _save(plan: Plan, form: PlanForm, *, submit: bool) -> None:
    """Save what was typed, then send it for approval when the user pressed "Gửi duyệt"."""
    services.save_plan(
        current_user,
        plan,
        form.shortcomings.data,
        form.commitment_data(),
        lock_version=form.lock_version_value,
    )
    if submit:
        services.submit_plan(current_user, plan)


def _template_row(year: int) -> CommitmentForm:
    """An empty row named commitments-__index__-…, cloned by static/js/plan-form.js."""
    return CommitmentForm(formdata=None, prefix="commitments-__index__-", **blank_row(year))


@bp.route("/plans/<int:plan_id>/submit", methods=["POST"])
@login_required
def submit(plan_id: int):
    """Send the plan for approval: its member, or whoever registers for them."""
    plan = _get_plan(plan_id)
    _guard(plan, services.can_write_plan_for(current_user, plan.user, plan.unit))
    if not plan.is_editable:
        flash(services.transition_message(plan, PlanStatus.SUBMITTED), "warning")
        return redirect(url_for("plans.view", plan_id=plan.id))
    permissions.require(services.can_edit_plan(current_user, plan))
    if _action_ok():
        attempt(lambda: services.submit_plan(current_user, plan), success="Đã gửi kế hoạch để duyệt.")
    return redirect(url_for("plans.view", plan_id=plan.id))


@bp.route("/plans/<int:plan_id>/approve", methods=["POST"])
@login_required
def approve(plan_id: int):
    """Approve a submitted plan: whoever reviews its member (permissions.can_review)."""
    plan = _get_plan(plan_id)
    _guard(plan, permissions.can_review(current_user, plan.user, plan.unit))
    if plan.status is not PlanStatus.SUBMITTED:
        flash(services.transition_message(plan, PlanStatus.APPROVED), "warning")
        return redirect(url_for("plans.view", plan_id=plan.id))
    permissions.require(services.can_decide_plan(current_user, plan))
    if _action_ok():
        attempt(
            lambda: services.approve_plan(plan, current_user),
            success=f"Đã duyệt kế hoạch của {plan.user.full_name}.",
        )
    return redirect(url_for("plans.view", plan_id=plan.id))


@bp.route("/plans/<int:plan_id>/return", methods=["GET", "POST"])
@login_required
def return_plan(plan_id: int):
    """Return a submitted plan with a reason: whoever reviews its member."""
    plan = _get_plan(plan_id)
    _guard(plan, permissions.can_review(current_user, plan.user, plan.unit))
    if plan.status is not PlanStatus.SUBMITTED:
        flash(services.transition_message(plan, PlanStatus.RETURNED), "warning")
        return redirect(url_for("plans.view", plan_id=plan.id))
    permissions.require(services.can_decide_plan(current_user, plan))
    form = ReturnForm()
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.return_plan(plan, current_user, form.reason.data),
            success=f"Đã trả lại kế hoạch cho {plan.user.full_name} kèm lý do.",
            errors=form.reason.errors,
        )
        if outcome.ok:
            return redirect(url_for("plans.view", plan_id=plan.id))
    return render_template("plans/return.html", plan=plan, form=form)


@bp.route("/plans/<int:plan_id>/revise", methods=["POST"])
@login_required
def revise(plan_id: int):
    """Start a new version of an approved plan (it stays in force until the new one is approved)."""
    plan = _get_plan(plan_id)
    _guard(plan, services.can_write_plan_for(current_user, plan.user, plan.unit))
    if plan.status is not PlanStatus.APPROVED:
        flash("Chỉ điều chỉnh được kế hoạch đang áp dụng (đã duyệt).", "warning")
        return redirect(url_for("plans.view", plan_id=plan.id))
    permissions.require(services.can_revise_plan(current_user, plan))
    if not _action_ok():
        return redirect(url_for("plans.view", plan_id=plan.id))
    outcome = attempt(
        lambda: services.revise_plan(current_user, plan),
        success=lambda revision: (
            f"Đã tạo phiên bản {revision.version} để điều chỉnh. Phiên bản {plan.version} vẫn áp dụng "
            "cho đến khi bản mới được duyệt."
        ),
        catch=(services.PlanError, IntegrityError),
        errors=[],
    )
    if isinstance(outcome.error, IntegrityError):  # revised at the same moment elsewhere
        flash("Phiên bản điều chỉnh vừa được tạo ở nơi khác.", "info")
    elif outcome.error is not None:
        flash(outcome.message, "warning")
    if not outcome.ok:
        return redirect(url_for("plans.view", plan_id=plan.id))
    return redirect(url_for("plans.edit", plan_id=outcome.value.id))


# ---- the secretary's side ---------------------------------------------------------------------


def _get_branch(unit_id: int):
    unit = permissions.get_visible_unit(unit_id, current_user)
    if not unit.kind.is_branch:
        abort(404)
    # Those who follow the branch's diaries: its secretaries, officers above, administrators.
    permissions.require(permissions.can_manage_members(current_user, unit))
    return unit


@bp.route("/units/<int:unit_id>/plans")
@login_required
def branch(unit_id: int):
    """Every member of the branch with the status of their plan for ?year=."""
    unit = _get_branch(unit_id)
    year = _year_arg()
    overview = services.branch_plan_overview(unit, year)
    return render_template(
        "plans/branch.html",
        unit=unit,
        year=year,
        overview=overview,
        years=_years_around(year),
        can_start=year in services.plan_years(),
    )


@bp.route("/units/<int:unit_id>/plans/start", methods=["GET", "POST"])
@login_required
def start_for(unit_id: int):
    """Register a plan on behalf of ?user_id= (permissions.can_register_plan_for)."""
    unit = _get_branch(unit_id)
    user_id = request.args.get("user_id", type=int)
    owner = db.session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(User.id == user_id, Membership.unit_id == unit.id)
    )
    if owner is None:
        abort(404)
    permissions.require(services.can_write_plan_for(current_user, owner, unit))
    year = _year_arg()
    existing = services.current_plan(owner, unit, year)
    if existing is not None:
        flash(f"{owner.full_name} đã có kế hoạch năm {year}.", "info")
        return redirect(url_for("plans.view", plan_id=existing.id))
    form = ActionForm()
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.start_plan(current_user, owner, unit, year),
            success=f"Đã lập kế hoạch năm {year} thay cho {owner.full_name}. Hãy điền nội dung.",
            catch=(services.PlanError, IntegrityError),
            errors=[],
        )
        if isinstance(outcome.error, IntegrityError):
            flash(f"{owner.full_name} vừa tự lập kế hoạch năm {year}.", "info")
            return redirect(url_for("plans.branch", unit_id=unit.id, year=year))
        if outcome.error is not None:
            flash(outcome.message, "warning")
        if outcome.ok:
            return redirect(url_for("plans.edit", plan_id=outcome.value.id))
    return render_template(
        "plans/start_for.html",
        unit=unit,
        owner=owner,
        year=year,
        form=form,
        can_start=year in services.plan_years(),
    )
