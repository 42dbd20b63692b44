"""The personal plan's workflow: start, edit, submit, approve or return, revise.

Reading (versions, the standards a plan may cite, the diff between versions, the branch overview)
lives in app.plans.reading and the demo plan in app.plans.demo; their names are re-exported here,
so `from app.plans import services` reaches the whole feature.

Plain functions that take the acting user, check permissions (403 through permissions.require),
change state and flush; the view commits once. A broken workflow rule raises PlanError with a
Vietnamese message for the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.auth.models import User
from app.core import locks, permissions
from app.core.db import db, utcnow
from app.core.enums import Frequency, PlanStatus
from app.core.rules import RuleError
from app.core.text import nfc
from app.notifications.services import app_path, notify, reviewers_to_notify
from app.plans.demo import seed_demo_plan
from app.plans.models import Commitment, Plan
from app.plans.reading import (
    BranchOverview,
    CommitmentChange,
    OverviewRow,
    PlanDiff,
    applicable_standards,
    branch_plan_overview,
    compare_versions,
    current_plan,
    group_standards,
    grouped_commitments,
    plan_in_force,
    plan_standards,
    plan_versions,
    plan_years,
    versions_query,
)
from app.standards.models import Standard
from app.units.models import Unit

# The feature's names: the workflow defined here, and reading/demo re-exported for its callers.
__all__ = [
    "BranchOverview",
    "CommitmentChange",
    "CommitmentData",
    "MAX_ACTION",
    "MAX_COMMITMENTS",
    "MAX_MEASURE",
    "MAX_REASON",
    "MAX_SHORTCOMINGS",
    "OverviewRow",
    "PlanDiff",
    "PlanError",
    "RACED_MESSAGE",
    "STALE_MESSAGE",
    "StalePlanError",
    "approve_plan",
    "branch_plan_overview",
    "can_decide_plan",
    "can_edit_plan",
    "can_revise_plan",
    "can_write_plan_for",
    "compare_versions",
    "current_plan",
    "group_standards",
    "grouped_commitments",
    "locked_message",
    "missing_for_submit",
    "plan_in_force",
    "plan_standards",
    "plan_versions",
    "plan_years",
    "return_plan",
    "revise_plan",
    "save_plan",
    "seed_demo_plan",
    "start_plan",
    "start_plan_from_previous",
    "submit_plan",
    "transition_message",
]

MAX_COMMITMENTS = 10  # besides the breakthrough item: a plan is a few concrete things, not a list
MAX_SHORTCOMINGS = 3000
MAX_ACTION = 1000
MAX_MEASURE = 500
MAX_REASON = 2000

STALE_MESSAGE = (
    "Kế hoạch đã được thay đổi ở nơi khác (một thẻ trình duyệt hoặc thiết bị khác) sau khi bạn mở "
    "trang này, nên nội dung bên dưới chưa được lưu để không ghi đè lên thay đổi đó."
)


class PlanError(RuleError):
    """A rule about plans was broken; the message is for the user, `field` says where."""


class StalePlanError(PlanError):
    """The plan was saved elsewhere since the form was opened (optimistic locking)."""


RACED_MESSAGE = (
    "Kế hoạch vừa được thay đổi ở nơi khác (gửi, duyệt hoặc trả lại) cùng lúc với thao tác của bạn. "
    "Hãy xem lại trạng thái mới nhất."
)


def _flush(message: str = RACED_MESSAGE) -> None:
    """Flush; a version that changed under us (lock_version) is a StalePlanError, not a 500."""
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise StalePlanError(message) from exc


@dataclass
class CommitmentData:
    """One commitment as typed in the plan form; `id` is the row it edits, if it existed."""

    action: str
    measure: str = ""
    standard_id: int | None = None
    frequency: Frequency = Frequency.WEEKLY
    deadline: date | None = None
    is_breakthrough: bool = False
    id: int | None = None


# ---- who may do what with a plan (composed from app.core.permissions) ------------------------


def _real(user):
    """The User behind flask_login's current_user proxy (relationships need the object)."""
    getter = getattr(user, "_get_current_object", None)
    return getter() if getter is not None else user


def can_write_plan_for(actor: User, owner: User, unit: Unit) -> bool:
    """Write `owner`'s plan in `unit`: the member themselves, or whoever may register for them."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if actor.id == owner.id:
        return permissions.keeps_diary_in(owner, unit)
    return permissions.can_register_plan_for(actor, owner, unit)


def can_edit_plan(actor: User, plan: Plan) -> bool:
    """Edit this version now: it is a draft or was returned, and the actor may write it."""
    return (
        plan.is_editable and can_write_plan_for(actor, plan.user, plan.unit) and locks.plan_lock(plan) is None
    )


def can_decide_plan(actor: User, plan: Plan) -> bool:
    """Approve or return this version now: it awaits approval and the actor reviews its owner."""
    return (
        plan.status is PlanStatus.SUBMITTED
        and permissions.can_review(actor, plan.user, plan.unit)
        and locks.plan_lock(plan) is None
    )


def can_revise_plan(actor: User, plan: Plan) -> bool:
    """Start a new version from this approved one (the caller checks it is the newest)."""
    return (
        plan.status is PlanStatus.APPROVED
        and can_write_plan_for(actor, plan.user, plan.unit)
        and locks.plan_lock(plan) is None
    )


# ---- workflow -------------------------------------------------------------------------------

_TRANSITIONS = {
    PlanStatus.DRAFT: {PlanStatus.SUBMITTED},
    PlanStatus.RETURNED: {PlanStatus.SUBMITTED},
    PlanStatus.SUBMITTED: {PlanStatus.APPROVED, PlanStatus.RETURNED},
    PlanStatus.APPROVED: {PlanStatus.SUPERSEDED},
    PlanStatus.SUPERSEDED: set(),
}


def transition_message(plan: Plan, target: PlanStatus) -> str:
    if target is PlanStatus.SUBMITTED and plan.status is PlanStatus.SUBMITTED:
        return "Kế hoạch đã được gửi duyệt và đang chờ xem xét."
    if target is PlanStatus.SUBMITTED and plan.status is PlanStatus.APPROVED:
        return "Kế hoạch đã được duyệt. Muốn thay đổi, hãy tạo phiên bản điều chỉnh."
    if target in (PlanStatus.APPROVED, PlanStatus.RETURNED):
        return (
            "Chỉ duyệt hoặc trả lại được kế hoạch đang chờ duyệt "
            f"(kế hoạch này: {plan.status.label.lower()})."
        )
    return f"Không thể chuyển kế hoạch từ “{plan.status.label}” sang “{target.label}”."


def _move(plan: Plan, target: PlanStatus) -> None:
    """Change the status along an allowed transition, or raise PlanError."""
    if target not in _TRANSITIONS[plan.status]:
        raise PlanError(transition_message(plan, target))
    plan.status = target


def locked_message(plan: Plan) -> str:
    if plan.status is PlanStatus.APPROVED:
        return (
            "Kế hoạch đã được duyệt nên đã khóa. Muốn thay đổi, hãy bấm “Điều chỉnh kế hoạch” "
            "để tạo phiên bản mới; bản đã duyệt vẫn áp dụng cho đến khi bản mới được duyệt."
        )
    if plan.status is PlanStatus.SUBMITTED:
        return "Kế hoạch đang chờ duyệt nên không sửa được. Nếu cần sửa, hãy đề nghị bí thư trả lại."
    return "Đây là phiên bản cũ của kế hoạch, chỉ để xem lại."


def start_plan(actor: User, owner: User, unit: Unit, year: int) -> Plan:
    """Create version 1 (a draft) of `owner`'s plan: the member, or a secretary on their behalf."""
    permissions.require(can_write_plan_for(actor, owner, unit))
    if year not in plan_years():
        years = ", ".join(str(y) for y in plan_years())
        raise PlanError(f"Chỉ lập được kế hoạch cho các năm {years}.", "year")
    locks.ensure(locks.year_lock(unit.id, year), field="year")
    existing = current_plan(owner, unit, year)
    if existing is not None:
        who = "Bạn" if actor.id == owner.id else owner.full_name
        raise PlanError(f"{who} đã có kế hoạch năm {year} ở {unit.name}.", "year")
    plan = Plan(
        user=_real(owner),
        unit=unit,
        year=year,
        version=1,
        status=PlanStatus.DRAFT,
        shortcomings="",
        created_by=_real(actor),
    )
    db.session.add(plan)
    db.session.flush()
    return plan


def start_plan_from_previous(actor: User, owner: User, unit: Unit, year: int) -> Plan:
    """Start `year`'s plan as a draft copy of last year's plan in force (the year-end hand-over).

    Commitments keep their text, measure and rhythm; each is tied to this year's standard of the
    same title where there is one, else left for the member to choose again.
    """
    previous = plan_in_force(owner, unit, year - 1)
    if previous is None:
        raise PlanError(f"Không có kế hoạch năm {year - 1} đã duyệt để làm bản khởi đầu.", "year")
    plan = start_plan(actor, owner, unit, year)
    plan.shortcomings = previous.shortcomings
    by_title = {s.title: s for s in applicable_standards(unit, year)}
    plan.commitments = [
        Commitment(
            standard=by_title.get(c.standard.title) if c.standard is not None else None,
            is_breakthrough=c.is_breakthrough,
            action=c.action,
            measure=c.measure,
            frequency=c.frequency,
            deadline=None,
            sort_order=c.sort_order,
        )
        for c in previous.commitments
    ]
    db.session.flush()
    return plan


def _clean_item(item: CommitmentData) -> CommitmentData:
    return CommitmentData(
        action=nfc(item.action or "").strip(),
        measure=nfc(item.measure or "").strip(),
        standard_id=item.standard_id,
        frequency=Frequency(item.frequency),
        deadline=item.deadline,
        is_breakthrough=bool(item.is_breakthrough),
        id=item.id,
    )


def _check_content(
    plan: Plan, shortcomings: str, items: list[CommitmentData], standards: dict[int, Standard]
) -> None:
    """The form checks all this next to each field; this guards direct calls."""
    if not shortcomings:
        raise PlanError("Vui lòng ghi những hạn chế, khuyết điểm cần khắc phục.", "shortcomings")
    if len(shortcomings) > MAX_SHORTCOMINGS:
        raise PlanError(f"Phần hạn chế cần khắc phục tối đa {MAX_SHORTCOMINGS} ký tự.", "shortcomings")
    breakthroughs = sum(1 for i in items if i.is_breakthrough)
    if breakthroughs != 1:
        raise PlanError("Kế hoạch cần đúng một nội dung đột phá.", "breakthrough")
    others = len(items) - 1
    if others < 1:
        raise PlanError("Cần ít nhất 1 việc làm theo ngoài nội dung đột phá.", "commitments")
    if others > MAX_COMMITMENTS:
        raise PlanError(
            f"Tối đa {MAX_COMMITMENTS} việc làm theo (đang có {others}). Ít mà chắc sẽ dễ thực hiện hơn.",
            "commitments",
        )
    for item in items:
        if not item.action:
            raise PlanError("Vui lòng ghi việc sẽ làm.", "commitments")
        if len(item.action) > MAX_ACTION or len(item.measure) > MAX_MEASURE:
            raise PlanError("Nội dung quá dài.", "commitments")
        if not item.measure:
            raise PlanError("Vui lòng ghi cách kiểm tra kết quả.", "commitments")
        if item.standard_id not in standards:
            raise PlanError("Vui lòng chọn chuẩn mực (trong các chuẩn mực của năm).", "commitments")
        if item.deadline is None or item.deadline.year != plan.year:
            raise PlanError(f"Thời hạn phải trong năm {plan.year}.", "commitments")


def _check_not_used(removed: list[Commitment]) -> None:
    """Commitments diary entries already serve cannot be dropped from the plan."""
    if not removed:
        return
    from app.journal.models import entry_commitments

    used = db.session.scalar(
        select(entry_commitments.c.commitment_id)
        .where(entry_commitments.c.commitment_id.in_([c.id for c in removed]))
        .limit(1)
    )
    if used is not None:
        c = next(c for c in removed if c.id == used)
        raise PlanError(
            f"Việc “{c.short_label}” đã có bài nhật ký gắn với nó nên không bỏ được; hãy sửa nội dung thay vì xóa.",
            "commitments",
        )


def _rows_to_reuse(plan: Plan, ordered: list[CommitmentData]) -> list[Commitment | None]:
    """For each typed item, the existing row it edits (it keeps its lineage), or None for a new one;
    refuses before anything changes when a dropped row is served by diary entries."""
    existing = {c.id: c for c in plan.commitments}
    targets: list[Commitment | None] = []
    for item in ordered:
        reuse = item.id is not None and item.id in existing and existing[item.id] not in targets
        targets.append(existing[item.id] if reuse else None)  # type: ignore[index]
    # Checked before anything changes, so the query's autoflush writes nothing half-done.
    _check_not_used([c for c in existing.values() if c not in targets])
    return targets


def _fill(c: Commitment, item: CommitmentData, standards: dict[int, Standard], order: int) -> Commitment:
    c.standard = standards[item.standard_id]  # type: ignore[index]
    c.is_breakthrough = item.is_breakthrough
    c.action = item.action
    c.measure = item.measure
    c.frequency = item.frequency
    c.deadline = item.deadline
    c.sort_order = order
    return c


def save_plan(
    actor: User,
    plan: Plan,
    shortcomings: str,
    commitments_data: list[CommitmentData],
    lock_version: int | None = None,
) -> Plan:
    """Replace the plan's content with what was typed; commitments that existed keep their lineage.

    `lock_version` is the one the form was opened with: if the plan was saved since, nothing is
    written and StalePlanError is raised (the caller rolls back and shows the typed text again).
    """
    permissions.require(can_write_plan_for(actor, plan.user, plan.unit))
    locks.ensure(locks.plan_content_lock(plan))
    if not plan.is_editable:
        raise PlanError(locked_message(plan))
    if lock_version is not None and lock_version != plan.lock_version:
        raise StalePlanError(STALE_MESSAGE)
    shortcomings = nfc(shortcomings or "").strip()
    items = [_clean_item(i) for i in commitments_data]
    standards = {s.id: s for s in plan_standards(plan)}
    _check_content(plan, shortcomings, items, standards)

    ordered = sorted(items, key=lambda i: not i.is_breakthrough)  # the breakthrough item first
    targets = _rows_to_reuse(plan, ordered)
    new_list = [
        _fill(target or Commitment(), item, standards, order)
        for order, (item, target) in enumerate(zip(ordered, targets, strict=True))
    ]
    plan.commitments = new_list  # rows left out are deleted (delete-orphan)
    plan.shortcomings = shortcomings
    # Touch the plan row itself, so lock_version moves even when only commitments changed.
    plan.updated_at = utcnow()
    _flush(STALE_MESSAGE)  # saved by another request between our read and our write?
    for c in new_list:
        if c.lineage_id is None:
            c.lineage_id = c.id  # a new commitment starts its own lineage
    db.session.flush()
    return plan


def missing_for_submit(plan: Plan) -> list[str]:
    """What the plan still lacks before it can be submitted (empty when complete)."""
    missing = []
    if not plan.shortcomings.strip():
        missing.append("hạn chế cần khắc phục")
    if plan.breakthrough is None:
        missing.append("nội dung đột phá")
    if not any(not c.is_breakthrough for c in plan.commitments):
        missing.append("ít nhất 1 việc làm theo")
    return missing


def submit_plan(actor: User, plan: Plan) -> Plan:
    """Send a draft (or a returned plan) for approval: the member or whoever registers for them."""
    permissions.require(can_write_plan_for(actor, plan.user, plan.unit))
    locks.ensure(locks.plan_lock(plan))
    if PlanStatus.SUBMITTED not in _TRANSITIONS[plan.status]:
        raise PlanError(transition_message(plan, PlanStatus.SUBMITTED))
    missing = missing_for_submit(plan)
    if missing:
        raise PlanError("Kế hoạch chưa đủ để gửi duyệt, còn thiếu: " + ", ".join(missing) + ".")
    _move(plan, PlanStatus.SUBMITTED)
    plan.submitted_at = utcnow()
    _flush()
    _notify_submitted(plan, actor)
    return plan


def approve_plan(plan: Plan, reviewer: User) -> Plan:
    """Approve a submitted version (permissions.can_review); the version in force before is superseded."""
    permissions.require(permissions.can_review(reviewer, plan.user, plan.unit))
    locks.ensure(locks.plan_lock(plan))
    _move(plan, PlanStatus.APPROVED)
    plan.decided_at = utcnow()
    plan.decided_by = _real(reviewer)
    with db.session.no_autoflush:
        older = db.session.scalars(
            versions_query(plan.user_id, plan.unit_id, plan.year).where(
                Plan.status == PlanStatus.APPROVED, Plan.id != plan.id
            )
        ).all()
    for previous in older:
        _move(previous, PlanStatus.SUPERSEDED)
    _flush()
    notify(
        plan.user,
        "plan_approved",
        f"Kế hoạch năm {plan.year} của bạn đã được duyệt",
        f"{reviewer.full_name} đã duyệt kế hoạch (phiên bản {plan.version}) ở {plan.unit.name}.",
        _plan_link(plan),
    )
    return plan


def return_plan(plan: Plan, reviewer: User, reason: str) -> Plan:
    """Send a submitted version back to the member with a reason (permissions.can_review)."""
    permissions.require(permissions.can_review(reviewer, plan.user, plan.unit))
    locks.ensure(locks.plan_lock(plan))
    reason = nfc(reason or "").strip()
    if not reason:
        raise PlanError("Vui lòng ghi lý do trả lại để người lập biết cần sửa gì.", "reason")
    if len(reason) > MAX_REASON:
        raise PlanError(f"Lý do tối đa {MAX_REASON} ký tự.", "reason")
    _move(plan, PlanStatus.RETURNED)
    plan.return_reason = reason
    plan.decided_at = utcnow()
    plan.decided_by = _real(reviewer)
    _flush()
    notify(
        plan.user,
        "plan_returned",
        f"Kế hoạch năm {plan.year} của bạn được trả lại để sửa",
        f"{reviewer.full_name} trả lại kế hoạch (phiên bản {plan.version}) ở {plan.unit.name}.\n"
        f"Lý do: {reason}",
        _plan_link(plan),
    )
    return plan


def _plan_link(plan: Plan) -> str:
    return app_path("plans.view", plan_id=plan.id)


def _notify_submitted(plan: Plan, actor: User) -> None:
    """Tell whoever reviews the plan's member that it awaits approval (one query, then inserts)."""
    kind = f"kế hoạch điều chỉnh (phiên bản {plan.version})" if plan.version > 1 else "kế hoạch"
    body = f"{plan.unit.name}: kế hoạch đang chờ bạn duyệt, hoặc trả lại kèm lý do để sửa."
    if actor.id != plan.user_id:
        body += f" {actor.full_name} gửi thay."
    for reviewer in reviewers_to_notify(plan.user, plan.unit, exclude=_real(actor)):
        notify(
            reviewer,
            "plan_submitted",
            f"{plan.user.full_name} gửi {kind} năm {plan.year} chờ duyệt",
            body,
            _plan_link(plan),
        )


def revise_plan(actor: User, plan: Plan) -> Plan:
    """Start version n+1 (a draft copy) of an approved plan; version n stays in force meanwhile."""
    permissions.require(can_write_plan_for(actor, plan.user, plan.unit))
    locks.ensure(locks.plan_lock(plan))
    if plan.status is not PlanStatus.APPROVED:
        raise PlanError("Chỉ điều chỉnh được kế hoạch đang áp dụng (đã duyệt).")
    newest = current_plan(plan.user, plan.unit, plan.year)
    if newest is not None and newest.id != plan.id:
        raise PlanError(
            f"Đã có phiên bản {newest.version} ({newest.status.label.lower()}); hãy tiếp tục ở phiên bản đó."
        )
    revision = Plan(
        user=plan.user,
        unit=plan.unit,
        year=plan.year,
        version=plan.version + 1,
        status=PlanStatus.DRAFT,
        shortcomings=plan.shortcomings,
        created_by=_real(actor),
    )
    revision.commitments = [
        Commitment(
            lineage_id=c.lineage_id or c.id,
            standard=c.standard,
            is_breakthrough=c.is_breakthrough,
            action=c.action,
            measure=c.measure,
            frequency=c.frequency,
            deadline=c.deadline,
            sort_order=c.sort_order,
        )
        for c in plan.commitments
    ]
    db.session.add(revision)
    db.session.flush()
    return revision
