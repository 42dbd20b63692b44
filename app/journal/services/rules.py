"""What an entry must satisfy: limits, the deed's date, the plan's commitments it serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.auth.models import User
from app.core import locks
from app.core.db import db
from app.core.enums import PlanStatus
from app.core.filters import today_local, vn_date
from app.core.numbers import format_number
from app.core.rules import RuleError
from app.plans.models import Commitment, Plan
from app.units.models import Unit

MAX_ACTION = 5000
MAX_RESULT = 5000
MAX_LESSON = 3000
MAX_PLACE = 200


class JournalError(RuleError):
    """A diary rule was broken; the message is for the user, `field` says next to which field."""


@dataclass
class EntryData:
    """What a person typed into the entry form, already NFC-normalised."""

    deed_date: date | None
    place: str = ""
    action: str = ""
    result: str = ""
    lesson: str = ""
    commitment_ids: list[int] = field(default_factory=list)


# ---- rules ---------------------------------------------------------------------------------------


def earliest_deed_date(unit: Unit, today: date | None = None) -> date:
    """The earliest date an entry may carry today, by the unit's back-dating window."""
    today = today or today_local()
    return today - timedelta(days=unit.backdate_days)


def month_is_signed_off(owner: User, unit: Unit, year: int, month: int) -> bool:
    """Whether the secretary has signed this month off (then it is frozen): app.core.locks reads it."""
    return locks.is_month_signed(owner.id, unit.id, year, month)


def check_deed_date(owner: User, unit: Unit, deed_date: date | None, today: date | None = None) -> None:
    """Raise JournalError unless `deed_date` is allowed for a new or moved entry of `owner` in
    `unit` (the entry's own branch), LockedError when that month is signed or the year closed."""
    today = today or today_local()
    if deed_date is None:
        raise JournalError("Vui lòng chọn ngày thực hiện.", "deed_date")
    if deed_date > today:
        raise JournalError("Ngày thực hiện không thể ở tương lai.", "deed_date")
    earliest = earliest_deed_date(unit, today)
    if deed_date < earliest:
        raise JournalError(
            f"Chỉ được ghi lùi tối đa {unit.backdate_days} ngày: ngày thực hiện phải từ "
            f"{vn_date(earliest)} trở đi.",
            "deed_date",
        )
    locks.ensure(locks.day_lock(owner.id, unit.id, deed_date), field="deed_date")


def _check_lengths(data: EntryData) -> None:
    for name, value, limit, label in (
        ("place", data.place, MAX_PLACE, "Địa điểm"),
        ("action", data.action, MAX_ACTION, "Việc đã làm"),
        ("result", data.result, MAX_RESULT, "Kết quả"),
        ("lesson", data.lesson, MAX_LESSON, "Bài học"),
    ):
        if len(value) > limit:
            raise JournalError(
                f"{label} tối đa {format_number(limit)} ký tự (hiện có {format_number(len(value))}).", name
            )


# ---- the plan's commitments ----------------------------------------------------------------------


def year_plans(owner: User, unit: Unit, year: int) -> list[Plan]:
    """Every version of the member's plan for the year in the branch, newest first (one query)."""
    return list(
        db.session.scalars(
            select(Plan)
            .where(Plan.user_id == owner.id, Plan.unit_id == unit.id, Plan.year == year)
            .options(lazyload(Plan.user))  # the owner, already loaded (see diary_entries)
            .order_by(Plan.version.desc())
        )
    )


def working_plan(owner: User, unit: Unit, year: int, plans: list[Plan] | None = None) -> Plan | None:
    """The plan entries are written against: the approved one in force, else the newest version.

    `plans` are year_plans() when the caller already has them (no query then)."""
    plans = year_plans(owner, unit, year) if plans is None else plans
    approved = next((p for p in plans if p.status is PlanStatus.APPROVED), None)
    return approved or (plans[0] if plans else None)


def available_commitments(owner: User, unit: Unit, year: int) -> list[Commitment]:
    plan = working_plan(owner, unit, year)
    return list(plan.commitments) if plan else []


def _resolve_commitments(owner: User, unit: Unit, data: EntryData, required: bool) -> list[Commitment]:
    """The chosen commitments that belong to the member's plan for the year.

    Any version of the plan counts: an entry written against version 1 keeps its commitments
    when version 2 is approved (they share a lineage and count the same in coverage).
    """
    year = data.deed_date.year if data.deed_date else today_local().year
    ids = list(dict.fromkeys(data.commitment_ids))
    chosen: list[Commitment] = []
    if ids:
        found = db.session.scalars(
            select(Commitment)
            .join(Plan, Plan.id == Commitment.plan_id)
            .where(
                Commitment.id.in_(ids),
                Plan.user_id == owner.id,
                Plan.unit_id == unit.id,
                Plan.year == year,
            )
        ).all()
        by_id = {c.id: c for c in found}
        chosen = [by_id[i] for i in ids if i in by_id]
    if required and not chosen:
        if not available_commitments(owner, unit, year):
            raise JournalError(
                f"Bạn chưa có kế hoạch cá nhân năm {year}. Hãy lập kế hoạch trước để gắn bài với việc làm theo.",
                "commitment_ids",
            )
        raise JournalError("Chọn ít nhất một việc làm theo mà bài này thực hiện.", "commitment_ids")
    return chosen
