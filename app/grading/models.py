"""Year-end grading: frameworks as data, the branch's round, each member's rating.

A framework (khung tiêu chí) has levels mapped to the four tiers and criteria; the shipped ones
(the Youth Union's four levels, the Party's 100-point scale of Quy định 366-QĐ/TW) have no owner
unit, a unit's own copies do. A round (đợt đánh giá) is a branch's grading for a year: members
self-assess, the secretary proposes, the meeting agrees, the unit above ratifies. Once ratified
the round is locked until the unit above records a reopening.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import db, utcnow
from app.core.enums import ContentGroup, OrgType, RoundStatus, Scoring, Tier, enum_column_type
from app.units.models import Unit

if TYPE_CHECKING:
    from app.auth.models import User

POINTS = Numeric(5, 1)


class Framework(db.Model):
    """A grading framework: how members are rated, by levels or by points."""

    __tablename__ = "grading_frameworks"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    org_type: Mapped[OrgType] = mapped_column(enum_column_type(OrgType))
    scoring: Mapped[Scoring] = mapped_column(enum_column_type(Scoring))
    # None: shipped with the product, for every unit of the org type; else the unit that owns it
    # (it is offered to that unit and everything under it).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    basis: Mapped[str] = mapped_column(Text, default="")
    has_quarterly: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit | None] = relationship()
    levels: Mapped[list[FrameworkLevel]] = relationship(
        back_populates="framework",
        cascade="all, delete-orphan",
        order_by="FrameworkLevel.tier",
        lazy="selectin",
    )
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="framework",
        cascade="all, delete-orphan",
        order_by="(Criterion.sort_order, Criterion.id)",
        lazy="selectin",
    )

    @property
    def is_points(self) -> bool:
        return self.scoring is Scoring.POINTS

    @property
    def max_points(self) -> Decimal:
        return sum((c.max_points or Decimal(0) for c in self.criteria), Decimal(0))

    def level_for_tier(self, tier: Tier) -> FrameworkLevel | None:
        return next((lv for lv in self.levels if lv.tier == tier), None)

    def level_for_score(self, score: Decimal | None) -> FrameworkLevel | None:
        """The level a total score falls in (levels with the highest minimum first)."""
        if score is None:
            return None
        for level in sorted(self.levels, key=lambda lv: lv.min_score or 0, reverse=True):
            if score >= (level.min_score or 0):
                return level
        return None

    def criteria_groups(self) -> list[tuple[str, list[Criterion]]]:
        groups: list[tuple[str, list[Criterion]]] = []
        for criterion in self.criteria:
            if not groups or groups[-1][0] != criterion.group_name:
                groups.append((criterion.group_name, []))
            groups[-1][1].append(criterion)
        return groups


class FrameworkLevel(db.Model):
    """A result level (mức xếp loại), mapped to one of the four tiers."""

    __tablename__ = "grading_levels"
    __table_args__ = (UniqueConstraint("framework_id", "tier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("grading_frameworks.id", ondelete="CASCADE"))
    tier: Mapped[int]
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    # Points frameworks: the lowest total score of the level (≥ 90, ≥ 70, ≥ 50, ≥ 0).
    min_score: Mapped[int | None]
    # A quota warning: at most `quota_percent`% of the members rated at tier `quota_of_tier`
    # (or of all rated members when None) may be rated at this level.
    quota_percent: Mapped[int | None]
    quota_of_tier: Mapped[int | None]

    framework: Mapped[Framework] = relationship(back_populates="levels")

    @property
    def tier_enum(self) -> Tier:
        return Tier(self.tier)


class Criterion(db.Model):
    """A criterion (tiêu chí) of a framework, in a group, with its points where the framework scores."""

    __tablename__ = "grading_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(
        ForeignKey("grading_frameworks.id", ondelete="CASCADE"), index=True
    )
    group_name: Mapped[str] = mapped_column(String(200), default="")
    content_group: Mapped[ContentGroup | None] = mapped_column(enum_column_type(ContentGroup))
    text: Mapped[str] = mapped_column(Text)
    max_points: Mapped[Decimal | None] = mapped_column(POINTS)
    sort_order: Mapped[int] = mapped_column(default=0)

    framework: Mapped[Framework] = relationship(back_populates="criteria")


class GradingRound(db.Model):
    """A branch's grading for a year (đợt đánh giá, xếp loại), from self-assessment to ratification."""

    __tablename__ = "grading_rounds"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int]
    framework_id: Mapped[int] = mapped_column(ForeignKey("grading_frameworks.id"))
    status: Mapped[RoundStatus] = mapped_column(enum_column_type(RoundStatus), default=RoundStatus.OPEN)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Members may ask for reconsideration within this many days of the ratification.
    reconsider_days: Mapped[int] = mapped_column(default=10)
    # The grading meeting (họp chi đoàn / chi bộ xét phân loại).
    meeting_date: Mapped[date | None]
    # When the meeting began and ended, and the minutes' number ("05-BB/CĐ"), as the minutes print them.
    meeting_start: Mapped[time | None]
    meeting_end: Mapped[time | None]
    minutes_number: Mapped[str] = mapped_column(String(40), default="")
    meeting_place: Mapped[str] = mapped_column(String(200), default="")
    chair_name: Mapped[str] = mapped_column(String(120), default="")
    recorder_name: Mapped[str] = mapped_column(String(120), default="")
    meeting_notes: Mapped[str] = mapped_column(Text, default="")
    meeting_recorded_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    return_reason: Mapped[str | None] = mapped_column(Text)
    ratified_at: Mapped[datetime | None]
    ratified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The unit on whose behalf the officer ratified (the nearest unit above the branch they are an
    # officer of): the documents name it, not simply the branch's parent.
    ratified_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    lock_version: Mapped[int] = mapped_column(default=1)

    unit: Mapped[Unit] = relationship(lazy="joined", foreign_keys=[unit_id])
    ratified_unit: Mapped[Unit | None] = relationship(foreign_keys=[ratified_unit_id])
    framework: Mapped[Framework] = relationship(lazy="joined")
    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id])
    ratified_by: Mapped[User | None] = relationship(foreign_keys=[ratified_by_id])
    ratings: Mapped[list[Rating]] = relationship(back_populates="round", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": lock_version}


class Rating(db.Model):
    """One member's result in a round: the secretary's proposal, the meeting's level, the reply."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("round_id", "user_id"), Index("ix_ratings_user", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("grading_rounds.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_level_id: Mapped[int | None] = mapped_column(ForeignKey("grading_levels.id"))
    proposed_score: Mapped[Decimal | None] = mapped_column(POINTS)
    proposal_comment: Mapped[str] = mapped_column(Text, default="")
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime | None]
    # The meeting: attendance, the vote and the agreed level.
    present: Mapped[bool | None]
    absence_reason: Mapped[str] = mapped_column(String(200), default="")
    votes_agree: Mapped[int | None]
    votes_total: Mapped[int | None]
    final_level_id: Mapped[int | None] = mapped_column(ForeignKey("grading_levels.id"))
    final_score: Mapped[Decimal | None] = mapped_column(POINTS)
    # The member's answer after ratification.
    acknowledged_at: Mapped[datetime | None]
    reconsideration_reason: Mapped[str | None] = mapped_column(Text)
    reconsideration_at: Mapped[datetime | None]
    reconsideration_answer: Mapped[str | None] = mapped_column(Text)
    reconsideration_answered_at: Mapped[datetime | None]
    reconsideration_answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lock_version: Mapped[int] = mapped_column(default=1)

    round: Mapped[GradingRound] = relationship(back_populates="ratings")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    proposed_level: Mapped[FrameworkLevel | None] = relationship(foreign_keys=[proposed_level_id])
    final_level: Mapped[FrameworkLevel | None] = relationship(foreign_keys=[final_level_id])
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    self_assessment: Mapped[SelfAssessment | None] = relationship(
        back_populates="rating", uselist=False, cascade="all, delete-orphan"
    )
    scores: Mapped[list[CriterionScore]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    citations: Mapped[list[Citation]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    __mapper_args__ = {"version_id_col": lock_version}

    def cited(self, stage: str, section: str) -> list[int]:
        return [c.entry_id for c in self.citations if c.stage == stage and c.section == section]

    def score_for(self, stage: str, criterion_id: int) -> CriterionScore | None:
        return next((s for s in self.scores if s.stage == stage and s.criterion_id == criterion_id), None)


# The sections of a self-assessment (bản tự đánh giá, kiểm điểm): strengths by the five content
# groups, then shortcomings and their causes, what was fixed, and the direction for next year.
STRENGTH_SECTIONS = [(g.value, g.label) for g in ContentGroup]
OTHER_SECTIONS = [
    ("shortcomings", "Hạn chế, khuyết điểm"),
    ("causes", "Nguyên nhân của hạn chế, khuyết điểm"),
    ("fixed", "Kết quả khắc phục hạn chế, khuyết điểm đã được chỉ ra năm trước"),
    ("direction", "Phương hướng, biện pháp khắc phục trong năm tới"),
]
SECTIONS = STRENGTH_SECTIONS + OTHER_SECTIONS
CITABLE_SECTIONS = [key for key, _ in STRENGTH_SECTIONS] + ["fixed"]


class SelfAssessment(db.Model):
    """The member's bản tự đánh giá: sections of text, cited entries, a proposed level or scores."""

    __tablename__ = "self_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id", ondelete="CASCADE"), unique=True)
    politics: Mapped[str] = mapped_column(Text, default="")
    ethics: Mapped[str] = mapped_column(Text, default="")
    work_style: Mapped[str] = mapped_column(Text, default="")
    discipline: Mapped[str] = mapped_column(Text, default="")
    duties: Mapped[str] = mapped_column(Text, default="")
    shortcomings: Mapped[str] = mapped_column(Text, default="")
    causes: Mapped[str] = mapped_column(Text, default="")
    fixed: Mapped[str] = mapped_column(Text, default="")
    direction: Mapped[str] = mapped_column(Text, default="")
    level_id: Mapped[int | None] = mapped_column(ForeignKey("grading_levels.id"))
    score: Mapped[Decimal | None] = mapped_column(POINTS)
    submitted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    lock_version: Mapped[int] = mapped_column(default=1)

    rating: Mapped[Rating] = relationship(back_populates="self_assessment")
    level: Mapped[FrameworkLevel | None] = relationship()

    __mapper_args__ = {"version_id_col": lock_version}

    def section_text(self, key: str) -> str:
        return getattr(self, key)


class CriterionScore(db.Model):
    """Points (and a comment) for one criterion at one stage: the member's, the proposal's, the meeting's."""

    __tablename__ = "criterion_scores"
    __table_args__ = (UniqueConstraint("rating_id", "criterion_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("grading_criteria.id", ondelete="CASCADE"))
    # "self" or "proposal".
    stage: Mapped[str] = mapped_column(String(10))
    points: Mapped[Decimal | None] = mapped_column(POINTS)
    comment: Mapped[str] = mapped_column(Text, default="")


class Citation(db.Model):
    """An entry cited as evidence in a self-assessment section or for a criterion of a proposal."""

    __tablename__ = "rating_citations"
    __table_args__ = (UniqueConstraint("rating_id", "stage", "section", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(10))
    # A self-assessment section key, or "c<criterion id>" for a proposal.
    section: Mapped[str] = mapped_column(String(20))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)


class RoundReopening(db.Model):
    """The recorded reopening of a ratified round by the unit above: who, when and why."""

    __tablename__ = "grading_reopenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("grading_rounds.id", ondelete="CASCADE"), index=True)
    reopened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reopened_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text)

    reopened_by: Mapped[User] = relationship()


class StepConfirmation(db.Model):
    """A step taken although something was missing: what was missing, who went ahead, and why.

    The meeting, the submission and the ratification never block on missing self-assessments,
    proposals, plans or diaries; they ask for this explicit confirmation instead, and the round's
    page shows it (as does the audit log).
    """

    __tablename__ = "grading_step_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("grading_rounds.id", ondelete="CASCADE"), index=True)
    # "meeting", "submit" or "ratify".
    step: Mapped[str] = mapped_column(String(20))
    # What was missing at that moment, one line per kind ("Chưa gửi bản tự đánh giá (3): …").
    missing: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    confirmed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)

    confirmed_by: Mapped[User] = relationship()

    @property
    def missing_lines(self) -> list[str]:
        return [line for line in self.missing.splitlines() if line]


class QuarterRating(db.Model):
    """A short quarterly rating of a member, where the framework has them (QĐ 366 evaluates by quarter)."""

    __tablename__ = "quarter_ratings"
    __table_args__ = (UniqueConstraint("unit_id", "user_id", "year", "quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    year: Mapped[int]
    quarter: Mapped[int]
    level_id: Mapped[int] = mapped_column(ForeignKey("grading_levels.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rated_at: Mapped[datetime] = mapped_column(default=utcnow)

    level: Mapped[FrameworkLevel] = relationship()


class YearClosure(db.Model):
    """A branch's closed year: everything of that year is read-only from then on."""

    __tablename__ = "year_closures"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int]
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
