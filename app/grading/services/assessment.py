"""The member's self-assessment, the secretary's proposal, and the quota warnings on proposed levels."""

from __future__ import annotations

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from app.audit.services import record
from app.auth.models import User
from app.core import permissions
from app.core.db import db, utcnow
from app.core.enums import RoundStatus, Tier
from app.core.numbers import format_number, format_points

from ..models import (
    CITABLE_SECTIONS,
    SECTIONS,
    Criterion,
    CriterionScore,
    Framework,
    FrameworkLevel,
    GradingRound,
    Rating,
    SelfAssessment,
)
from .base import TEXT_MAX, GradingError, _check_version, _flush, _text
from .diary import _set_citations
from .rounds import _require_editable


def _points(value, criterion: Criterion, field_name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        points = Decimal(str(value).replace(",", ".")).quantize(Decimal("0.1"), ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise GradingError("Điểm phải là một số, ví dụ 7 hoặc 7,5.", field_name) from exc
    if not points.is_finite() or points < 0 or points > (criterion.max_points or 0):
        raise GradingError(
            f"Điểm phải từ 0 đến {format_points(criterion.max_points or 0)}.",
            field_name,
        )
    return points


def _set_scores(
    rating: Rating, stage: str, framework: Framework, points: dict[int, str], comments: dict[int, str]
):
    """Store points and comments per criterion; returns the total (None when a score is missing)."""
    total = Decimal(0)
    complete = True
    for criterion in framework.criteria:
        value = (
            _points(points.get(criterion.id), criterion, f"points-{criterion.id}")
            if framework.is_points
            else None
        )
        comment = _text(comments.get(criterion.id), "Nhận xét tiêu chí", 2000, f"comment-{criterion.id}")
        line = rating.score_for(stage, criterion.id)
        if line is None:
            line = CriterionScore(stage=stage, criterion_id=criterion.id)
            rating.scores.append(line)
        line.points = value
        line.comment = comment
        if value is None:
            complete = False
        else:
            total += value
    return total if (framework.is_points and complete) else None


def _level(framework: Framework, level_id: int | None, field_name: str) -> FrameworkLevel | None:
    if level_id is None:
        return None
    level = next((lv for lv in framework.levels if lv.id == level_id), None)
    if level is None:
        raise GradingError("Mức xếp loại không hợp lệ.", field_name)
    return level


# ---- the member's self-assessment ------------------------------------------------------------------


def can_self_assess(user: User, rating: Rating) -> bool:
    return user.id == rating.user_id and rating.round.status in (RoundStatus.OPEN, RoundStatus.RETURNED)


def self_assessment_for(rating: Rating) -> SelfAssessment:
    if rating.self_assessment is None:
        rating.self_assessment = SelfAssessment()
        db.session.flush()
    return rating.self_assessment


def save_self_assessment(
    actor: User,
    rating: Rating,
    sections: dict[str, str],
    level_id: int | None,
    points: dict[int, str],
    cited: dict[str, list[int]],
    lock_version: int | None,
    submit: bool,
) -> SelfAssessment:
    grading_round = rating.round
    _require_editable(grading_round)
    if not can_self_assess(actor, rating):
        raise GradingError("Chỉ tự đánh giá được khi đợt đánh giá đang mở.")
    assessment = self_assessment_for(rating)
    _check_version(assessment, lock_version)
    for key, label in SECTIONS:
        setattr(assessment, key, _text(sections.get(key), label, TEXT_MAX, key))
    framework = grading_round.framework
    if framework.is_points:
        total = _set_scores(rating, "self", framework, points, {})
        assessment.score = total
        assessment.level = framework.level_for_score(total)
    else:
        assessment.level = _level(framework, level_id, "level_id")
    _set_citations(rating, "self", {k: v for k, v in cited.items() if k in CITABLE_SECTIONS})
    if submit:
        missing = [label for key, label in SECTIONS[:5] if not getattr(assessment, key)]
        if missing:
            raise GradingError(
                "Vui lòng viết phần ưu điểm: " + ", ".join(m.lower() for m in missing) + ".", "politics"
            )
        if assessment.level is None:
            raise GradingError(
                "Vui lòng chấm đủ điểm các tiêu chí."
                if framework.is_points
                else "Vui lòng chọn mức tự xếp loại.",
                "level_id",
            )
        if assessment.submitted_at is None:
            assessment.submitted_at = utcnow()
    _flush()
    record(
        actor,
        "rating.self",
        rating,
        rating.user,
        grading_round.unit,
        after={
            "year": grading_round.year,
            "level": assessment.level.name if assessment.level else None,
            "score": str(assessment.score) if assessment.score is not None else None,
            "submitted": assessment.submitted_at is not None,
        },
    )
    return assessment


# ---- the secretary's proposal ---------------------------------------------------------------------


def can_propose(user: User, rating: Rating) -> bool:
    grading_round = rating.round
    return permissions.can_review(user, rating.user, grading_round.unit)


def save_proposal(
    actor: User,
    rating: Rating,
    level_id: int | None,
    comment: str,
    points: dict[int, str],
    criterion_comments: dict[int, str],
    cited: dict[int, list[int]],
    lock_version: int | None,
) -> Rating:
    grading_round = rating.round
    _require_editable(grading_round)
    if not can_propose(actor, rating):
        raise GradingError("Bạn không đề xuất xếp loại cho người này được.")
    _check_version(rating, lock_version)
    framework = grading_round.framework
    before = _rating_facts(rating, "proposed")
    total = _set_scores(rating, "proposal", framework, points, criterion_comments)
    if framework.is_points:
        rating.proposed_score = total
        rating.proposed_level = framework.level_for_score(total)
        if total is None:
            raise GradingError("Vui lòng chấm đủ điểm các tiêu chí.", "points")
    else:
        level = _level(framework, level_id, "level_id")
        if level is None:
            raise GradingError("Vui lòng chọn mức đề xuất.", "level_id")
        rating.proposed_level = level
    rating.proposal_comment = _text(comment, "Nhận xét chung", TEXT_MAX, "comment")
    if not rating.proposal_comment:
        raise GradingError("Vui lòng viết nhận xét chung, nêu rõ căn cứ đề xuất.", "comment")
    _set_citations(rating, "proposal", {f"c{cid}": ids for cid, ids in cited.items()})
    rating.proposed_by_id = actor.id
    rating.proposed_at = utcnow()
    _flush()
    record(
        actor,
        "rating.propose",
        rating,
        rating.user,
        grading_round.unit,
        before=before,
        after=_rating_facts(rating, "proposed"),
        reason=rating.proposal_comment[:500],
    )
    return rating


def _rating_facts(rating: Rating, stage: str) -> dict:
    level = rating.proposed_level if stage == "proposed" else rating.final_level
    score = rating.proposed_score if stage == "proposed" else rating.final_score
    return {
        "year": rating.round.year,
        "level": level.name if level else None,
        "score": str(score) if score is not None else None,
    }


# ---- quota ------------------------------------------------------------------------------------------


def quota_warnings(grading_round: GradingRound, stage: str) -> list[str]:
    """Warnings where a level holds more members than the framework's quota allows. Never changes anything."""
    attr = "proposed_level" if stage == "proposed" else "final_level"
    counts = Counter(getattr(r, attr).tier for r in grading_round.ratings if getattr(r, attr) is not None)
    rated = sum(counts.values())
    warnings = []
    for level in grading_round.framework.levels:
        if not level.quota_percent or not counts.get(level.tier):
            continue
        base = counts.get(level.quota_of_tier, 0) if level.quota_of_tier else rated
        allowed = Decimal(base) * level.quota_percent / 100
        if counts[level.tier] > allowed:
            of = (
                f"số được xếp loại “{Tier(level.quota_of_tier).label}” ({base})"
                if level.quota_of_tier
                else f"số được xếp loại ({base})"
            )
            warnings.append(
                f"“{level.name}”: {counts[level.tier]} người, vượt tỷ lệ tối đa {level.quota_percent}% "
                f"{of}, tức không quá {format_number(allowed, 1)} người. Cân nhắc lại trước khi họp; "
                "ứng dụng không tự thay đổi mức nào."
            )
    return warnings
