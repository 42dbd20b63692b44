"""What freezes what: the one place that answers "is this frozen, by what, who may reopen it".

DESIGN.md §6 "What freezes what". A lock is a fact in the records, read here straight from the
tables every time it is asked — no registry filled at import time, nothing remembered elsewhere —
so a CLI command, the task worker or a script that imports only this module gets the same answer
as the web process (the old hook registry answered "open" to whoever had not imported the review
feature: it failed open).

| lock                  | record                                            | reopened by               |
|-----------------------|---------------------------------------------------|---------------------------|
| closed year           | year_closures (unit, year)                        | the level above (reason)  |
| signed month          | month_reviews.signed_at (member, ENTRY'S unit, …) | secretary or level above  |
| ratified round        | grading_rounds.status = ratified                  | the level above (reason)  |
| framework in use      | a round on it was submitted (or ratified)         | nobody: copy it           |
| approved plan version | plans.status approved / superseded                | nobody: a new version     |

Each `*_lock` function returns the Lock that holds (the strongest first: a closed year before a
signed month), or None when the object is open. Services call `ensure(lock)` before they change
anything; views and templates ask the same functions to hide buttons, but the service is the guard.
`LockedError` is turned into a 409 page (JSON for scripts) by app.core.errors, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from app.core.db import db
from app.core.enums import PlanStatus, RoundStatus
from app.core.filters import vn_date
from app.units.models import Unit

CLOSED_YEAR = "closed_year"
SIGNED_MONTH = "signed_month"
RATIFIED_ROUND = "ratified_round"
FRAMEWORK_IN_USE = "framework_in_use"
APPROVED_PLAN = "approved_plan"


@dataclass(frozen=True)
class Lock:
    """Why something is frozen: `what` names the fact, `reopen` says who may undo it and how."""

    kind: str
    what: str
    reopen: str

    @property
    def message(self) -> str:
        return f"{self.what} {self.reopen}"

    def __str__(self) -> str:
        return self.message


class LockedError(Exception):
    """A service was asked to change something frozen; `lock` says by what and who may reopen it."""

    def __init__(self, lock: Lock, field: str | None = None):
        super().__init__(lock.message)
        self.lock = lock
        self.field = field  # the form field the refusal belongs next to, when a form shows it

    @property
    def message(self) -> str:
        return self.lock.message


def ensure(*locks: Lock | None, field: str | None = None) -> None:
    """Raise LockedError for the first lock that holds."""
    for lock in locks:
        if lock is not None:
            raise LockedError(lock, field)


def _unit_name(unit_id: int) -> str:
    unit = db.session.get(Unit, unit_id)
    return unit.name if unit is not None else "đơn vị"


def _user_name(user_id: int | None) -> str:
    from app.auth.models import User

    user = db.session.get(User, user_id) if user_id else None
    return user.full_name if user is not None else ""


# ---- closed year -----------------------------------------------------------------------------------


def year_lock(unit_id: int, year: int) -> Lock | None:
    """The unit's year is closed (khóa sổ): everything of that unit and year is read-only."""
    from app.grading.models import YearClosure

    closure = db.session.scalar(
        select(YearClosure).where(YearClosure.unit_id == unit_id, YearClosure.year == year)
    )
    if closure is None:
        return None
    return Lock(
        CLOSED_YEAR,
        f"Năm {year} của {_unit_name(unit_id)} đã khóa sổ (ngày {vn_date(closure.closed_at)}): "
        "kế hoạch, nhật ký, nhận xét, biểu dương, xếp loại và chuẩn mực của năm này chỉ còn để xem.",
        "Chỉ cán bộ cấp trên mới mở lại được năm đã khóa sổ, kèm lý do.",
    )


def is_year_closed(unit_id: int, year: int) -> bool:
    return year_lock(unit_id, year) is not None


def subtree_year_lock(unit: Unit, year: int) -> Lock | None:
    """A closed year of the unit or of any branch under it (their plans cite the unit's standards)."""
    from app.grading.models import YearClosure

    closed = db.session.scalar(
        select(YearClosure.unit_id)
        .join(Unit, Unit.id == YearClosure.unit_id)
        .where(YearClosure.year == year, Unit.path.startswith(unit.path, autoescape=True))
        .limit(1)
    )
    return year_lock(closed, year) if closed is not None else None


# ---- signed month ---------------------------------------------------------------------------------


def month_lock(user_id: int, unit_id: int, year: int, month: int) -> Lock | None:
    """The member's month in the branch: frozen by the closed year, or by the secretary's sign-off.

    One round trip while the month is open (both facts asked at once); the details of a lock are
    read only when there is one."""
    from app.grading.models import YearClosure
    from app.review.models import MonthReview

    closed, signed = db.session.execute(
        select(
            select(YearClosure.id)
            .where(YearClosure.unit_id == unit_id, YearClosure.year == year)
            .scalar_subquery(),
            select(MonthReview.id)
            .where(
                MonthReview.user_id == user_id,
                MonthReview.unit_id == unit_id,
                MonthReview.year == year,
                MonthReview.month == month,
                MonthReview.signed_at.is_not(None),
            )
            .scalar_subquery(),
        )
    ).one()
    if closed is not None:
        return year_lock(unit_id, year)
    if signed is None:
        return None
    review = db.session.get(MonthReview, signed)
    return Lock(
        SIGNED_MONTH,
        f"Tháng {month}/{year} của {_user_name(user_id)} ở {_unit_name(unit_id)} đã được "
        f"{_user_name(review.signed_by_id) or 'bí thư'} ký xác nhận ngày {vn_date(review.signed_at)}: "
        "bài nhật ký, minh chứng, nhận xét, yêu cầu bổ sung, biểu dương và nhận xét tháng đều đã khóa.",
        "Bí thư chi đoàn (chi bộ) hoặc cán bộ cấp trên mở lại tháng (kèm lý do) nếu cần thay đổi.",
    )


def is_month_signed(user_id: int, unit_id: int, year: int, month: int) -> bool:
    """Only the sign-off (not the closed year): whether a month_reviews row is signed."""
    lock = month_lock(user_id, unit_id, year, month)
    return lock is not None and lock.kind == SIGNED_MONTH


def day_lock(user_id: int, unit_id: int, day: date) -> Lock | None:
    """Writing or moving an entry of `user_id` in `unit_id` to `day`."""
    return month_lock(user_id, unit_id, day.year, day.month)


def entry_lock(entry) -> Lock | None:
    """An entry, its evidence, comments, revision requests and commendation: by the entry's OWN unit."""
    return month_lock(entry.user_id, entry.unit_id, entry.deed_date.year, entry.deed_date.month)


# ---- plans ------------------------------------------------------------------------------------------


def plan_lock(plan) -> Lock | None:
    """Deciding on or starting a version of the plan: the closed year."""
    return year_lock(plan.unit_id, plan.year)


def plan_content_lock(plan) -> Lock | None:
    """Changing this version's commitments: the closed year, or the version was approved."""
    if lock := plan_lock(plan):
        return lock
    if plan.status in (PlanStatus.APPROVED, PlanStatus.SUPERSEDED):
        return Lock(
            APPROVED_PLAN,
            f"Phiên bản {plan.version} của kế hoạch năm {plan.year} đã được duyệt nên đã khóa.",
            "Muốn thay đổi, hãy bấm “Điều chỉnh kế hoạch” để tạo phiên bản mới và gửi duyệt lại.",
        )
    return None


# ---- grading -----------------------------------------------------------------------------------------


def round_lock(grading_round) -> Lock | None:
    """The branch's grading round: the closed year, or the level above ratified it."""
    if lock := year_lock(grading_round.unit_id, grading_round.year):
        return lock
    if grading_round.status is RoundStatus.RATIFIED:
        when = vn_date(grading_round.ratified_at) if grading_round.ratified_at else ""
        return Lock(
            RATIFIED_ROUND,
            f"Kết quả xếp loại năm {grading_round.year} của {_unit_name(grading_round.unit_id)} đã được "
            f"cấp trên công nhận{' ngày ' + when if when else ''} và đã khóa.",
            "Chỉ cấp trên trực tiếp mở lại được kết quả đã công nhận, kèm lý do.",
        )
    return None


def framework_lock(framework) -> Lock | None:
    """A framework a submitted or ratified round uses (or one that was ever submitted): immutable."""
    from app.grading.models import GradingRound

    used = db.session.scalar(
        select(GradingRound)
        .where(
            GradingRound.framework_id == framework.id,
            or_(
                GradingRound.status.in_([RoundStatus.SUBMITTED, RoundStatus.RATIFIED]),
                GradingRound.submitted_at.is_not(None),
            ),
        )
        .order_by(GradingRound.year.desc(), GradingRound.id)
        .limit(1)
    )
    if used is None:
        return None
    return Lock(
        FRAMEWORK_IN_USE,
        f"Khung tiêu chí “{framework.name}” đang được dùng cho kết quả xếp loại năm {used.year} của "
        f"{_unit_name(used.unit_id)} ({used.status.label.lower()}): tên mức, tiêu chí, điểm và tỉ lệ "
        "không sửa được nữa, để những gì đã quyết vẫn in đúng như lúc quyết.",
        "Không ai mở lại được: hãy sao chép thành phiên bản mới để sửa cho các đợt sau.",
    )


# ---- standards ------------------------------------------------------------------------------------


def standards_lock(unit: Unit, year: int) -> Lock | None:
    """A unit's standards and theme of a year: closed in the unit, or in a branch under it."""
    return subtree_year_lock(unit, year)
