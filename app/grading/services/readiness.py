"""Readiness: what is missing before each step of the round, and the confirmation to go ahead anyway."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import extract, func, select

from app.audit.services import record
from app.auth.models import User
from app.core.db import db
from app.core.enums import EntryStatus, PlanStatus, RoundStatus, Tier
from app.journal.models import Entry
from app.plans.models import Plan

from ..models import FrameworkLevel, GradingRound, StepConfirmation
from .assessment import quota_warnings
from .base import REASON_MAX, GradingError, _text
from .rounds import ratings_of

# The steps that ask for an explicit confirmation when something is missing, as sentences say them.
STEPS = {
    "meeting": "ghi kết quả họp xét",
    "submit": "gửi cấp trên công nhận",
    "ratify": "công nhận kết quả",
}

# A self-assessed level the diary should back: below these figures the member and the secretary see a
# warning (never a block). Tier: (fewest entries in the year, fewest months with an entry).
DIARY_EXPECTED = {Tier.EXCELLENT: (10, 6), Tier.GOOD: (3, 2)}


def diary_warning(level: FrameworkLevel | None, entries: int, months: int) -> str | None:
    """A warning when a self-assessed level is out of line with what the diary holds, else None."""
    if level is None or level.tier not in DIARY_EXPECTED:
        return None
    fewest_entries, fewest_months = DIARY_EXPECTED[Tier(level.tier)]
    if entries >= fewest_entries and months >= fewest_months:
        return None
    held = "chưa có bài nào" if entries == 0 else f"chỉ có {entries} bài trong {months} tháng"
    return (
        f"Tự xếp loại “{level.name}” nhưng sổ nhật ký năm nay {held}; mức này thường cần ít nhất "
        f"{fewest_entries} bài trong {fewest_months} tháng làm minh chứng. Hãy bổ sung dẫn chứng "
        "hoặc cân nhắc lại mức tự xếp loại."
    )


@dataclass
class Gap:
    """One kind of thing missing, with the members it concerns (by name)."""

    key: str
    label: str
    names: list[str]

    @property
    def line(self) -> str:
        return f"{self.label} ({len(self.names)}): {', '.join(self.names)}."


@dataclass
class Readiness:
    """What is missing before a step of the round; nothing here blocks, everything is shown."""

    step: str | None
    members: int
    gaps: list[Gap]
    quota: list[str]
    diary: list[tuple[str, str]]  # (name, warning): self-assessed above what the diary shows
    diary_by_user: dict[int, str] = field(default_factory=dict)

    @property
    def step_label(self) -> str:
        return STEPS.get(self.step or "", "")

    @property
    def missing(self) -> bool:
        return bool(self.gaps or self.quota)

    @property
    def lines(self) -> list[str]:
        return [g.line for g in self.gaps] + [f"Vượt tỷ lệ: {q}" for q in self.quota]

    @property
    def token(self) -> str:
        """Names what was missing when the page was shown; a confirmation holds only for that."""
        return hashlib.sha256("\n".join(self.lines).encode()).hexdigest()[:16] if self.missing else ""


def _diary_figures(grading_round: GradingRound) -> dict[int, tuple[int, int]]:
    """Entries and months written in the round's year, per member, in one grouped query."""
    year = grading_round.year
    rows = db.session.execute(
        select(
            Entry.user_id,
            func.count(Entry.id),
            func.count(func.distinct(extract("month", Entry.deed_date))),
        )
        .where(
            Entry.unit_id == grading_round.unit_id,
            Entry.status.in_(EntryStatus.in_diary()),
            Entry.deed_date >= date(year, 1, 1),
            Entry.deed_date <= date(year, 12, 31),
        )
        .group_by(Entry.user_id)
    )
    return {user_id: (int(count), int(months)) for user_id, count, months in rows}


def _with_plan(grading_round: GradingRound) -> set[int]:
    """Members with an approved plan for the year (a superseded version was approved too)."""
    return set(
        db.session.scalars(
            select(Plan.user_id).where(
                Plan.unit_id == grading_round.unit_id,
                Plan.year == grading_round.year,
                Plan.status.in_([PlanStatus.APPROVED, PlanStatus.SUPERSEDED]),
            )
        )
    )


def step_for(grading_round: GradingRound) -> str | None:
    """The step the round waits for next."""
    return {
        RoundStatus.OPEN: "meeting",
        RoundStatus.MEETING_HELD: "submit",
        RoundStatus.RETURNED: "submit",
        RoundStatus.SUBMITTED: "ratify",
    }.get(grading_round.status)


def readiness(grading_round: GradingRound, step: str | None = None) -> Readiness:
    """Who has no self-assessment, no proposal, no plan, no entries, no agreed level; quota breaches."""
    step = step if step is not None else step_for(grading_round)
    ratings = ratings_of(grading_round)
    figures = _diary_figures(grading_round)
    planned = _with_plan(grading_round)
    kinds: list[tuple[str, str, list[str]]] = [
        ("self", "Chưa gửi bản tự đánh giá", []),
        ("proposal", "Chưa có đề xuất của bí thư", []),
        ("plan", "Chưa có kế hoạch được duyệt", []),
        ("entries", "Chưa có bài nhật ký nào trong năm", []),
        ("final", "Chưa có mức xếp loại đã thống nhất tại cuộc họp", []),
    ]
    names = {key: found for key, _, found in kinds}
    diary = []
    diary_by_user: dict[int, str] = {}
    for rating in ratings:
        name = rating.user.full_name
        assessment = rating.self_assessment
        if assessment is None or assessment.submitted_at is None:
            names["self"].append(name)
        elif warning := diary_warning(assessment.level, *figures.get(rating.user_id, (0, 0))):
            diary.append((name, warning))
            diary_by_user[rating.user_id] = warning
        if rating.proposed_level_id is None:
            names["proposal"].append(name)
        if rating.user_id not in planned:
            names["plan"].append(name)
        if rating.user_id not in figures:
            names["entries"].append(name)
        if step in ("submit", "ratify") and rating.final_level_id is None:
            names["final"].append(name)
    gaps = [Gap(key, label, found) for key, label, found in kinds if found]
    quota = quota_warnings(grading_round, "proposed" if step == "meeting" else "final") if step else []
    return Readiness(
        step=step, members=len(ratings), gaps=gaps, quota=quota, diary=diary, diary_by_user=diary_by_user
    )


@dataclass
class GoAhead:
    """The acting user's confirmation to go ahead although something is missing."""

    reason: str
    token: str


def summary_count(ready: Readiness) -> str:
    """ "3 chưa gửi bản tự đánh giá, 1 vượt tỷ lệ": what is missing, counted."""
    parts = [f"{len(g.names)} {g.label[0].lower()}{g.label[1:]}" for g in ready.gaps]
    if ready.quota:
        parts.append(f"{len(ready.quota)} mức vượt tỷ lệ")
    return ", ".join(parts)


def _confirm_gaps(actor: User, grading_round: GradingRound, step: str, go_ahead: GoAhead | None) -> None:
    """Nothing missing: nothing to do. Otherwise the step needs a confirmation for exactly what is
    missing now, with a reason; it is stored for the round's page and written to the audit log."""
    ready = readiness(grading_round, step)
    if not ready.missing:
        return
    if go_ahead is None or go_ahead.token != ready.token:
        seen = go_ahead is not None and go_ahead.token
        raise GradingError(
            (
                "Những điều còn thiếu đã thay đổi từ lúc bạn xem trang; hãy xem lại rồi xác nhận lần nữa. "
                if seen
                else ""
            )
            + f"Còn thiếu hồ sơ ({summary_count(ready)}, xem danh sách). Nếu vẫn {STEPS[step]}, "
            "hãy đánh dấu xác nhận và ghi lý do.",
            "go_ahead",
        )
    reason = _text(go_ahead.reason, "Lý do", REASON_MAX, "go_ahead_reason")
    if not reason:
        raise GradingError(
            f"Vui lòng ghi lý do vẫn {STEPS[step]} khi còn thiếu những điều trên.", "go_ahead_reason"
        )
    db.session.add(
        StepConfirmation(
            round_id=grading_round.id,
            step=step,
            missing="\n".join(ready.lines),
            reason=reason,
            confirmed_by_id=actor.id,
        )
    )
    record(
        actor,
        "round.go_ahead",
        grading_round,
        None,
        grading_round.unit,
        after={"year": grading_round.year, "step": STEPS[step], "missing": ready.lines},
        reason=reason,
    )


def confirmations(grading_round: GradingRound) -> list[StepConfirmation]:
    """The steps taken although something was missing, oldest first."""
    return list(
        db.session.scalars(
            select(StepConfirmation)
            .where(StepConfirmation.round_id == grading_round.id)
            .order_by(StepConfirmation.id)
        )
    )
