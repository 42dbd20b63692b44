"""The year-end grading workflow: plain functions that take the acting user.

Every change to a rating is written to the audit log with who and why. A ratified round is
locked: nothing here changes it until the unit above records a reopening (`reopen_round`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import extract, func, select
from sqlalchemy.orm.exc import StaleDataError

from app.audit.services import record
from app.auth.models import User
from app.core import locks, permissions
from app.core.collation import people_order, person_key
from app.core.db import db, utcnow
from app.core.enums import (
    ContentGroup,
    EntryStatus,
    OrgType,
    PlanStatus,
    Role,
    RoundStatus,
    Tier,
    UnitKind,
)
from app.core.filters import to_local, today_local, vn_date, vn_number
from app.core.rules import RuleError
from app.core.text import clean_line, nfc, shorten
from app.journal import services as journal
from app.journal.models import Entry
from app.plans.models import Commitment, Plan
from app.review.models import MonthReview
from app.units.models import Membership, Unit

from . import catalogue
from .models import (
    CITABLE_SECTIONS,
    SECTIONS,
    Citation,
    Criterion,
    CriterionScore,
    Framework,
    FrameworkLevel,
    GradingRound,
    QuarterRating,
    Rating,
    RoundReopening,
    SelfAssessment,
    StepConfirmation,
    YearClosure,
)

TEXT_MAX = 5000
REASON_MAX = 2000
CHANGED_MESSAGE = (
    "Đánh giá này vừa được người khác thay đổi. Bản hiện tại đã được tải lại bên dưới; "
    "nội dung bạn vừa nhập vẫn được giữ để bạn so sánh và lưu lại."
)


class GradingError(RuleError):
    """A rule of the grading workflow was broken; the message is for the user (Vietnamese)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class StaleRating(GradingError):
    """Someone else saved first (optimistic locking)."""

    def __init__(self):
        super().__init__(CHANGED_MESSAGE)


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        db.session.rollback()
        raise StaleRating() from exc


def _check_version(obj, submitted: int | None) -> None:
    if submitted is not None and submitted != obj.lock_version:
        raise StaleRating()


def _text(value: str | None, label: str, maximum: int = TEXT_MAX, field: str | None = None) -> str:
    text = (nfc(value or "") or "").replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise GradingError(f"{label} chứa ký tự không hợp lệ.", field)
    if len(text) > maximum:
        raise GradingError(f"{label} dài quá {vn_number(maximum)} ký tự.", field)
    return text


# ---- years and closing ----------------------------------------------------------------------------


# ---- frameworks -----------------------------------------------------------------------------------


def frameworks_for(unit: Unit) -> list[Framework]:
    """The frameworks a unit may use: the shipped ones of its org type and those of it or units above."""
    catalogue.ensure_shipped()
    owners = unit.ancestor_ids
    return list(
        db.session.scalars(
            select(Framework)
            .where(
                Framework.org_type == unit.org_type,
                (Framework.unit_id.is_(None)) | (Framework.unit_id.in_(owners)),
            )
            .order_by(Framework.unit_id.is_not(None), Framework.id)
        )
    )


def default_framework(unit: Unit) -> Framework:
    """The nearest unit's own framework, else the shipped one for the org type."""
    options = frameworks_for(unit)
    own = [f for f in options if f.unit_id is not None]
    if own:
        depth = {uid: i for i, uid in enumerate(unit.ancestor_ids)}
        return max(own, key=lambda f: (depth.get(f.unit_id, -1), f.id))
    code = catalogue.PARTY_CODE if unit.org_type is OrgType.PARTY else catalogue.YOUTH_CODE
    return next(f for f in options if f.code == code)


def get_framework(framework_id: int, unit: Unit) -> Framework | None:
    return next((f for f in frameworks_for(unit) if f.id == framework_id), None)


def can_edit_framework(user: User, framework: Framework) -> bool:
    """A unit's own framework: whoever manages that unit's standards. Shipped ones stay as shipped."""
    if framework.unit is None:
        return False
    return permissions.can_manage_standards(user, framework.unit)


def framework_in_use(framework: Framework) -> bool:
    return (
        db.session.scalar(select(GradingRound.id).where(GradingRound.framework_id == framework.id).limit(1))
        is not None
    )


def copy_framework(actor: User, source: Framework, unit: Unit, name: str) -> Framework:
    """A unit's own, editable copy of a framework."""
    name = _text(name, "Tên khung tiêu chí", 200, "name")
    if not name:
        raise GradingError("Vui lòng đặt tên cho khung tiêu chí.", "name")
    spec = {
        "code": None,
        "name": name,
        "org_type": source.org_type,
        "scoring": source.scoring,
        "basis": source.basis,
        "has_quarterly": source.has_quarterly,
        "levels": [
            (lv.tier, lv.name, lv.description, lv.min_score, lv.quota_percent, lv.quota_of_tier)
            for lv in source.levels
        ],
        "criteria": [(c.group_name, c.content_group, c.text, c.max_points) for c in source.criteria],
    }
    count = db.session.scalar(select(func.count(Framework.id))) or 0
    framework = catalogue.build(
        spec, code=f"u{unit.id}-{count + 1}-{int(utcnow().timestamp())}", unit_id=unit.id
    )
    db.session.add(framework)
    _flush()
    record(actor, "framework.copy", framework, None, unit, after={"name": name, "from": source.name})
    return framework


@dataclass
class LevelData:
    level_id: int
    name: str
    description: str
    min_score: int | None
    quota_percent: int | None
    quota_of_tier: int | None


def update_framework(
    actor: User, framework: Framework, name: str, basis: str, has_quarterly: bool, levels: list[LevelData]
) -> None:
    if not can_edit_framework(actor, framework):
        raise GradingError("Khung tiêu chí dùng chung không sửa được; hãy sao chép để có bản của đơn vị.")
    locks.ensure(locks.framework_lock(framework))
    framework.name = _text(name, "Tên khung tiêu chí", 200, "name") or framework.name
    framework.basis = _text(basis, "Căn cứ", TEXT_MAX, "basis")
    framework.has_quarterly = has_quarterly
    by_id = {lv.id: lv for lv in framework.levels}
    for data in levels:
        level = by_id.get(data.level_id)
        if level is None:
            continue
        level.name = _text(data.name, "Tên mức", 120) or level.name
        level.description = _text(data.description, "Mô tả mức")
        if framework.is_points:
            level.min_score = data.min_score
        level.quota_percent = data.quota_percent
        level.quota_of_tier = data.quota_of_tier if data.quota_percent else None
    if framework.is_points:
        mins = [lv.min_score for lv in sorted(framework.levels, key=lambda lv: lv.tier)]
        if any(m is None for m in mins) or mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            raise GradingError("Điểm tối thiểu phải giảm dần từ mức cao nhất đến mức thấp nhất.", "levels")
    record(actor, "framework.edit", framework, None, framework.unit, after={"name": framework.name})
    _flush()


def save_criterion(
    actor: User,
    framework: Framework,
    criterion: Criterion | None,
    group_name: str,
    content_group: ContentGroup | None,
    text: str,
    max_points: Decimal | None,
) -> Criterion:
    if not can_edit_framework(actor, framework):
        raise GradingError("Khung tiêu chí dùng chung không sửa được; hãy sao chép để có bản của đơn vị.")
    locks.ensure(locks.framework_lock(framework))
    text = _text(text, "Nội dung tiêu chí", 2000, "text")
    if not text:
        raise GradingError("Vui lòng nhập nội dung tiêu chí.", "text")
    if framework.is_points and (max_points is None or max_points <= 0):
        raise GradingError("Vui lòng nhập số điểm tối đa (lớn hơn 0).", "max_points")
    if criterion is None:
        criterion = Criterion(framework=framework, sort_order=len(framework.criteria))
        db.session.add(criterion)
    criterion.group_name = _text(group_name, "Nhóm tiêu chí", 200, "group_name")
    criterion.content_group = content_group
    criterion.text = text
    criterion.max_points = max_points if framework.is_points else None
    _flush()
    record(actor, "framework.criterion", framework, None, framework.unit, after={"text": text[:200]})
    return criterion


def delete_criterion(actor: User, criterion: Criterion) -> None:
    framework = criterion.framework
    if not can_edit_framework(actor, framework):
        raise GradingError("Khung tiêu chí dùng chung không sửa được.")
    locks.ensure(locks.framework_lock(framework))
    if framework_in_use(framework):
        raise GradingError("Khung này đã được dùng trong một đợt đánh giá; không xoá tiêu chí được nữa.")
    framework.criteria.remove(criterion)
    _flush()


# ---- the round -------------------------------------------------------------------------------------


def branch_members(unit: Unit) -> list[User]:
    """People who keep a diary in the branch (members, deputies, secretary), by name."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.unit_id == unit.id, Membership.role != Role.OFFICER, User.is_active.is_(True))
            .order_by(*people_order())
        )
    )


def get_round(unit: Unit, year: int) -> GradingRound | None:
    return db.session.scalar(
        select(GradingRound).where(GradingRound.unit_id == unit.id, GradingRound.year == year)
    )


def open_round(
    actor: User, unit: Unit, year: int, framework: Framework, reconsider_days: int = 10
) -> GradingRound:
    if not unit.kind.is_branch:
        raise GradingError("Chỉ chi đoàn, chi bộ mới tổ chức đánh giá, xếp loại thành viên.")
    locks.ensure(locks.year_lock(unit.id, year))
    if get_round(unit, year) is not None:
        raise GradingError(f"Đợt đánh giá năm {year} đã được mở.")
    if framework.org_type is not unit.org_type:
        raise GradingError("Khung tiêu chí không thuộc tổ chức của đơn vị.", "framework_id")
    if not 1 <= reconsider_days <= 60:
        raise GradingError("Thời hạn đề nghị xem xét lại phải từ 1 đến 60 ngày.", "reconsider_days")
    grading_round = GradingRound(
        unit=unit, year=year, framework=framework, opened_by_id=actor.id, reconsider_days=reconsider_days
    )
    db.session.add(grading_round)
    _flush()
    sync_members(grading_round)
    record(actor, "round.open", grading_round, None, unit, after={"year": year, "framework": framework.name})
    return grading_round


def sync_members(grading_round: GradingRound) -> None:
    """Give every current member of the branch a rating row (members who joined since the round opened)."""
    if not grading_round.status.is_editable:
        return
    have = {r.user_id for r in grading_round.ratings}
    for member in branch_members(grading_round.unit):
        if member.id not in have:
            grading_round.ratings.append(Rating(user=member))
    db.session.flush()


def _require_editable(grading_round: GradingRound) -> None:
    """LockedError when the year is closed or the round ratified; GradingError while it is submitted."""
    locks.ensure(locks.round_lock(grading_round))
    if grading_round.status is RoundStatus.SUBMITTED:
        raise GradingError("Kết quả đang chờ cấp trên công nhận; chờ công nhận hoặc trả lại để sửa.")


def ratings_of(grading_round: GradingRound) -> list[Rating]:
    return sorted(grading_round.ratings, key=lambda r: person_key(r.user))


def member_rating(member: User, unit: Unit, year: int) -> Rating | None:
    return db.session.scalar(
        select(Rating)
        .join(GradingRound)
        .where(Rating.user_id == member.id, GradingRound.unit_id == unit.id, GradingRound.year == year)
    )


# ---- the evidence the diary holds -------------------------------------------------------------------


@dataclass
class CitableEntry:
    id: int
    deed_date: date
    title: str
    groups: set[str]
    is_exemplary: bool

    @property
    def label(self) -> str:
        star = " ★" if self.is_exemplary else ""
        return f"{vn_date(self.deed_date)} — {self.title}{star}"


@dataclass
class Evidence:
    """What the diary shows for a member's year, for the self-assessment and the proposal."""

    entries_total: int
    entries_reviewed: int
    months_written: int
    months_signed: int
    exemplary: list[CitableEntry]
    coverage: list
    entries: list[CitableEntry]
    by_group: dict[str, list[CitableEntry]] = field(default_factory=dict)

    def for_section(self, section: str) -> list[CitableEntry]:
        """Entries about the section's content group first, then the rest."""
        first = self.by_group.get(section, [])
        ids = {e.id for e in first}
        return first + [e for e in self.entries if e.id not in ids]


def _title(entry: Entry) -> str:
    return shorten(entry.action, 90)


def evidence(member: User, unit: Unit, year: int, today: date | None = None) -> Evidence:
    entries = list(
        db.session.scalars(
            select(Entry)
            .where(
                Entry.user_id == member.id,
                Entry.unit_id == unit.id,
                Entry.status.in_(EntryStatus.in_diary()),
                Entry.deed_date >= date(year, 1, 1),
                Entry.deed_date <= date(year, 12, 31),
            )
            .order_by(Entry.deed_date, Entry.id)
        )
    )
    citable = []
    by_group: dict[str, list[CitableEntry]] = {}
    for entry in entries:
        groups = {c.standard.group.value for c in entry.commitments if c.standard is not None}
        item = CitableEntry(entry.id, entry.deed_date, _title(entry), groups, entry.is_exemplary)
        citable.append(item)
        for group in groups:
            by_group.setdefault(group, []).append(item)
    signed = (
        db.session.scalar(
            select(func.count(MonthReview.id)).where(
                MonthReview.user_id == member.id,
                MonthReview.unit_id == unit.id,
                MonthReview.year == year,
                MonthReview.signed_at.is_not(None),
            )
        )
        or 0
    )
    today = today or today_local()
    return Evidence(
        entries_total=len(entries),
        entries_reviewed=sum(1 for e in entries if e.status is EntryStatus.REVIEWED),
        months_written=len({e.deed_date.month for e in entries}),
        months_signed=signed,
        exemplary=[c for c in citable if c.is_exemplary],
        coverage=journal.coverage(member, unit, year, today=min(today, date(year, 12, 31))),
        entries=citable,
        by_group=by_group,
    )


def _valid_entry_ids(member: User, unit: Unit, year: int, ids: list[int]) -> list[int]:
    if not ids:
        return []
    found = set(
        db.session.scalars(
            select(Entry.id).where(
                Entry.id.in_(ids),
                Entry.user_id == member.id,
                Entry.unit_id == unit.id,
                Entry.status.in_(EntryStatus.in_diary()),
                Entry.deed_date >= date(year, 1, 1),
                Entry.deed_date <= date(year, 12, 31),
            )
        )
    )
    return [i for i in dict.fromkeys(ids) if i in found]


def _set_citations(rating: Rating, stage: str, cited: dict[str, list[int]]) -> None:
    grading_round = rating.round
    for old in [c for c in rating.citations if c.stage == stage]:
        rating.citations.remove(old)
    db.session.flush()
    for section, ids in cited.items():
        for entry_id in _valid_entry_ids(rating.user, grading_round.unit, grading_round.year, ids):
            rating.citations.append(Citation(stage=stage, section=section, entry_id=entry_id))


def _points(value, criterion: Criterion, field_name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        points = Decimal(str(value).replace(",", ".")).quantize(Decimal("0.1"), ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise GradingError("Điểm phải là một số, ví dụ 7 hoặc 7,5.", field_name) from exc
    if not points.is_finite() or points < 0 or points > (criterion.max_points or 0):
        raise GradingError(
            f"Điểm phải từ 0 đến {vn_number(float(criterion.max_points or 0), 1).rstrip('0').rstrip(',')}.",
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
                f"{of}, tức không quá {vn_number(float(allowed), 1)} người. Cân nhắc lại trước khi họp; "
                "ứng dụng không tự thay đổi mức nào."
            )
    return warnings


# ---- readiness: what is missing before each step ---------------------------------------------------

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


# ---- the grading meeting ---------------------------------------------------------------------------


@dataclass
class MeetingLine:
    rating_id: int
    present: bool
    absence_reason: str
    votes_agree: int | None
    votes_total: int | None
    level_id: int | None
    score: str | None


def meeting_lock_message(grading_round: GradingRound) -> str | None:
    """Why the meeting's result cannot be changed now (ratified, waiting, year closed), or None."""
    try:
        _require_editable(grading_round)
    except GradingError as exc:
        return exc.message
    return None


def can_run_round(user: User, grading_round: GradingRound) -> bool:
    return permissions.can_run_grading(user, grading_round.unit)


def record_meeting(
    actor: User,
    grading_round: GradingRound,
    meeting_date: date | None,
    place: str,
    chair: str,
    recorder: str,
    notes: str,
    lines: list[MeetingLine],
    change_reason: str,
    lock_version: int | None,
    *,
    minutes_number: str = "",
    start: time | None = None,
    end: time | None = None,
    go_ahead: GoAhead | None = None,
) -> GradingRound:
    """Record attendance, votes and agreed levels, and the facts the minutes print.

    Missing self-assessments, proposals, plans or diaries do not block the meeting: they need
    `go_ahead`, a confirmation with a reason (see `readiness`)."""
    _require_editable(grading_round)
    if not can_run_round(actor, grading_round):
        raise GradingError("Bạn không ghi kết quả họp của đơn vị này được.")
    _check_version(grading_round, lock_version)
    if meeting_date is None:
        raise GradingError("Vui lòng nhập ngày họp.", "meeting_date")
    if meeting_date.year not in (grading_round.year, grading_round.year + 1) or meeting_date > today_local():
        raise GradingError(
            f"Ngày họp phải trong năm {grading_round.year} hoặc đầu năm sau, và không ở tương lai.",
            "meeting_date",
        )
    chair = clean_line(chair or "")[:120]
    recorder = clean_line(recorder or "")[:120]
    if not chair:
        raise GradingError("Vui lòng nhập người chủ trì.", "chair_name")
    if not recorder:
        raise GradingError("Vui lòng nhập thư ký cuộc họp.", "recorder_name")
    if start is not None and end is not None and end <= start:
        raise GradingError("Giờ kết thúc phải sau giờ bắt đầu.", "meeting_end")
    framework = grading_round.framework
    by_id = {r.id: r for r in grading_round.ratings}
    change_reason = _text(change_reason, "Lý do thay đổi", REASON_MAX, "change_reason")
    changed: list[tuple[Rating, dict, dict]] = []
    present_total = sum(1 for line in lines if line.present)
    for line in lines:
        rating = by_id.get(line.rating_id)
        if rating is None:
            continue
        field_name = f"level-{rating.id}"
        if framework.is_points:
            total_criterion = Criterion(max_points=framework.max_points)
            score = _points(line.score, total_criterion, field_name)
            level = framework.level_for_score(score)
        else:
            score = None
            level = _level(framework, line.level_id, field_name)
        if level is None:
            raise GradingError(
                f"Vui lòng ghi mức xếp loại đã thống nhất cho {rating.user.full_name}.", field_name
            )
        if line.votes_total is not None and line.votes_agree is not None:
            if line.votes_agree > line.votes_total or line.votes_agree < 0:
                raise GradingError(
                    f"Số phiếu tán thành của {rating.user.full_name} không hợp lệ.", f"votes-{rating.id}"
                )
            if line.votes_total > present_total:
                raise GradingError(
                    f"Số người biểu quyết ({line.votes_total}) nhiều hơn số có mặt ({present_total}).",
                    f"votes-{rating.id}",
                )
        before = _rating_facts(rating, "final")
        rating.present = line.present
        rating.absence_reason = "" if line.present else clean_line(line.absence_reason or "")[:200]
        rating.votes_agree = line.votes_agree
        rating.votes_total = line.votes_total
        rating.final_level = level
        rating.final_score = score
        after = _rating_facts(rating, "final")
        if before != after:
            changed.append((rating, before, after))
    revised = [c for c in changed if c[1]["level"] is not None]
    if revised and not change_reason:
        names = ", ".join(r.user.full_name for r, _, _ in revised)
        raise GradingError(
            f"Kết quả của {names} thay đổi so với lần ghi trước: vui lòng ghi lý do.", "change_reason"
        )
    _confirm_gaps(actor, grading_round, "meeting", go_ahead)
    grading_round.meeting_date = meeting_date
    grading_round.meeting_start = start
    grading_round.meeting_end = end
    grading_round.minutes_number = clean_line(minutes_number or "")[:40]
    grading_round.meeting_place = clean_line(place or "")[:200]
    grading_round.chair_name = chair
    grading_round.recorder_name = recorder
    grading_round.meeting_notes = _text(notes, "Ý kiến thảo luận", TEXT_MAX, "meeting_notes")
    grading_round.meeting_recorded_at = utcnow()
    if grading_round.status is RoundStatus.OPEN:
        grading_round.status = RoundStatus.MEETING_HELD
    _flush()
    for rating, before, after in changed:
        record(
            actor,
            "rating.final",
            rating,
            rating.user,
            grading_round.unit,
            before=before,
            after=after,
            reason=change_reason or "Kết quả họp xét phân loại",
        )
    return grading_round


# ---- ratification --------------------------------------------------------------------------------


def submit_round(actor: User, grading_round: GradingRound, go_ahead: GoAhead | None = None) -> None:
    """Send the meeting's result up. Every member needs an agreed level; anything else missing needs
    `go_ahead` (a confirmation with a reason)."""
    if not can_run_round(actor, grading_round):
        raise GradingError("Bạn không gửi kết quả của đơn vị này được.")
    locks.ensure(locks.round_lock(grading_round))
    if grading_round.status not in (RoundStatus.MEETING_HELD, RoundStatus.RETURNED):
        raise GradingError("Chỉ gửi cấp trên sau khi đã họp xét và ghi kết quả.")
    missing = [r.user.full_name for r in grading_round.ratings if r.final_level is None]
    if missing:
        raise GradingError("Chưa có mức xếp loại của: " + ", ".join(missing) + ".")
    _confirm_gaps(actor, grading_round, "submit", go_ahead)
    grading_round.status = RoundStatus.SUBMITTED
    grading_round.submitted_at = utcnow()
    _flush()
    record(actor, "round.submit", grading_round, None, grading_round.unit, after={"year": grading_round.year})
    _notify_ratifiers(grading_round, actor)


def can_ratify(user: User, grading_round: GradingRound) -> bool:
    return permissions.can_ratify(user, grading_round.unit)


def ratify_round(
    actor: User,
    grading_round: GradingRound,
    lock_version: int | None = None,
    go_ahead: GoAhead | None = None,
) -> None:
    """Công nhận: the unit above locks the result, on behalf of the nearest unit the officer serves."""
    if not can_ratify(actor, grading_round):
        raise GradingError("Chỉ cấp trên trực tiếp công nhận kết quả được.")
    locks.ensure(locks.round_lock(grading_round))
    _check_version(grading_round, lock_version)
    if grading_round.status is not RoundStatus.SUBMITTED:
        raise GradingError("Kết quả chưa được gửi lên để công nhận.")
    _confirm_gaps(actor, grading_round, "ratify", go_ahead)
    grading_round.status = RoundStatus.RATIFIED
    grading_round.ratified_at = utcnow()
    grading_round.ratified_by_id = actor.id
    grading_round.ratified_unit = ratifying_unit_of(actor, grading_round.unit)
    _flush()
    record(actor, "round.ratify", grading_round, None, grading_round.unit, after={"year": grading_round.year})
    _notify_members(grading_round, actor)


def ratifying_unit_of(officer: User, branch: Unit) -> Unit | None:
    """The nearest unit above the branch of which the user is an officer: who ratifies, by name."""
    if branch.parent is None:
        return None
    path = branch.parent.path
    units = [m.unit for m in officer.memberships if m.role is Role.OFFICER and path.startswith(m.unit.path)]
    return max(units, key=lambda u: len(u.path), default=None)


def ratified_by_unit(grading_round: GradingRound) -> Unit | None:
    """The unit that ratified the round (for rounds ratified before it was stored: the officer's)."""
    if grading_round.ratified_at is None:
        return None
    if grading_round.ratified_unit is not None:
        return grading_round.ratified_unit
    if grading_round.ratified_by is not None:
        found = ratifying_unit_of(grading_round.ratified_by, grading_round.unit)
        if found is not None:
            return found
    return grading_round.unit.parent


def return_round(
    actor: User, grading_round: GradingRound, reason: str, lock_version: int | None = None
) -> None:
    if not can_ratify(actor, grading_round):
        raise GradingError("Chỉ cấp trên trực tiếp trả lại kết quả được.")
    locks.ensure(locks.round_lock(grading_round))
    _check_version(grading_round, lock_version)
    if grading_round.status is not RoundStatus.SUBMITTED:
        raise GradingError("Kết quả chưa được gửi lên để công nhận.")
    reason = _text(reason, "Lý do", REASON_MAX, "reason")
    if not reason:
        raise GradingError("Vui lòng ghi lý do trả lại.", "reason")
    grading_round.status = RoundStatus.RETURNED
    grading_round.returned_at = utcnow()
    grading_round.return_reason = reason
    _flush()
    record(
        actor,
        "round.return",
        grading_round,
        None,
        grading_round.unit,
        after={"year": grading_round.year},
        reason=reason,
    )
    _notify_secretaries(
        grading_round, actor, f"Cấp trên trả lại kết quả xếp loại năm {grading_round.year}: {reason}"
    )


def reopen_round(actor: User, grading_round: GradingRound, reason: str) -> RoundReopening:
    """The only road to change a ratified result: the unit above reopens it, with a written reason."""
    if not can_ratify(actor, grading_round):
        raise GradingError("Chỉ cấp trên trực tiếp mở lại kết quả đã công nhận được.")
    if grading_round.status is not RoundStatus.RATIFIED:
        raise GradingError("Chỉ mở lại kết quả đã được công nhận.")
    locks.ensure(locks.year_lock(grading_round.unit_id, grading_round.year), field="reason")
    reason = _text(reason, "Lý do", REASON_MAX, "reason")
    if not reason:
        raise GradingError("Vui lòng ghi lý do mở lại.", "reason")
    reopening = RoundReopening(round_id=grading_round.id, reopened_by_id=actor.id, reason=reason)
    db.session.add(reopening)
    grading_round.status = RoundStatus.RETURNED
    grading_round.return_reason = f"Mở lại sau công nhận: {reason}"
    grading_round.returned_at = utcnow()
    grading_round.ratified_at = None
    grading_round.ratified_by_id = None
    grading_round.ratified_unit_id = None
    _flush()
    record(
        actor,
        "round.reopen",
        grading_round,
        None,
        grading_round.unit,
        after={"year": grading_round.year},
        reason=reason,
    )
    _notify_secretaries(
        grading_round, actor, f"Kết quả xếp loại năm {grading_round.year} được mở lại: {reason}"
    )
    return reopening


def reopenings(grading_round: GradingRound) -> list[RoundReopening]:
    return list(
        db.session.scalars(
            select(RoundReopening)
            .where(RoundReopening.round_id == grading_round.id)
            .order_by(RoundReopening.id)
        )
    )


# ---- the member's answer ------------------------------------------------------------------------


def reconsider_deadline(grading_round: GradingRound) -> date | None:
    if grading_round.ratified_at is None:
        return None
    return to_local(grading_round.ratified_at).date() + timedelta(days=grading_round.reconsider_days)


def can_answer_result(user: User, rating: Rating, today: date | None = None) -> bool:
    deadline = reconsider_deadline(rating.round)
    return (
        user.id == rating.user_id
        and rating.round.status is RoundStatus.RATIFIED
        and deadline is not None
        and (today or today_local()) <= deadline
        and rating.acknowledged_at is None
        and rating.reconsideration_at is None
    )


def acknowledge(actor: User, rating: Rating) -> None:
    locks.ensure(locks.year_lock(rating.round.unit_id, rating.round.year))
    if not can_answer_result(actor, rating):
        raise GradingError(
            "Không ghi nhận được: kết quả chưa được công nhận, đã quá hạn, hoặc bạn đã trả lời."
        )
    rating.acknowledged_at = utcnow()
    _flush()
    record(actor, "rating.ack", rating, rating.user, rating.round.unit, after={"year": rating.round.year})


def request_reconsideration(actor: User, rating: Rating, reason: str) -> None:
    locks.ensure(locks.year_lock(rating.round.unit_id, rating.round.year), field="reason")
    if not can_answer_result(actor, rating):
        raise GradingError("Không gửi được: kết quả chưa được công nhận, đã quá hạn, hoặc bạn đã trả lời.")
    reason = _text(reason, "Lý do", REASON_MAX, "reason")
    if len(reason) < 10:
        raise GradingError("Vui lòng nêu rõ lý do đề nghị xem xét lại (ít nhất 10 ký tự).", "reason")
    rating.reconsideration_reason = reason
    rating.reconsideration_at = utcnow()
    _flush()
    record(
        actor,
        "rating.reconsider",
        rating,
        rating.user,
        rating.round.unit,
        after={"year": rating.round.year},
        reason=reason,
    )
    _notify_ratifiers(
        rating.round, actor, f"{actor.full_name} đề nghị xem xét lại kết quả xếp loại: {reason}"
    )


def answer_reconsideration(actor: User, rating: Rating, answer: str) -> None:
    if not can_ratify(actor, rating.round):
        raise GradingError("Chỉ cấp trên trả lời đề nghị xem xét lại được.")
    # A ratified round still takes the answer (its own lock is not asked), a closed year does not.
    locks.ensure(locks.year_lock(rating.round.unit_id, rating.round.year), field="answer")
    if rating.reconsideration_at is None or rating.reconsideration_answered_at is not None:
        raise GradingError("Không có đề nghị nào đang chờ trả lời.")
    answer = _text(answer, "Trả lời", REASON_MAX, "answer")
    if not answer:
        raise GradingError("Vui lòng viết câu trả lời.", "answer")
    rating.reconsideration_answer = answer
    rating.reconsideration_answered_at = utcnow()
    rating.reconsideration_answered_by_id = actor.id
    _flush()
    record(
        actor,
        "rating.answer",
        rating,
        rating.user,
        rating.round.unit,
        after={"year": rating.round.year},
        reason=answer,
    )
    _notify(
        rating.user,
        actor,
        rating.round,
        f"Cấp trên đã trả lời đề nghị xem xét lại: {answer}",
        f"/grading/{rating.round.unit_id}/{rating.round.year}/me",
    )


# ---- quarterly ratings -----------------------------------------------------------------------------


def quarter_ratings(unit: Unit, year: int, quarter: int) -> dict[int, QuarterRating]:
    return {
        q.user_id: q
        for q in db.session.scalars(
            select(QuarterRating).where(
                QuarterRating.unit_id == unit.id, QuarterRating.year == year, QuarterRating.quarter == quarter
            )
        )
    }


def save_quarter_ratings(
    actor: User, grading_round: GradingRound, quarter: int, values: dict[int, tuple[int | None, str]]
) -> int:
    unit = grading_round.unit
    if not grading_round.framework.has_quarterly:
        raise GradingError("Khung tiêu chí này không đánh giá theo quý.")
    if not 1 <= quarter <= 4:
        raise GradingError("Quý không hợp lệ.")
    locks.ensure(locks.year_lock(unit.id, grading_round.year))
    existing = quarter_ratings(unit, grading_round.year, quarter)
    members = {m.id: m for m in branch_members(unit)}
    saved = 0
    for user_id, (level_id, comment) in values.items():
        member = members.get(user_id)
        if member is None or level_id is None:
            continue
        if not permissions.can_review(actor, member, unit):
            continue
        level = _level(grading_round.framework, level_id, f"q-{user_id}")
        row = existing.get(user_id)
        if row is None:
            row = QuarterRating(
                unit_id=unit.id,
                user_id=user_id,
                year=grading_round.year,
                quarter=quarter,
                level_id=level.id,
                rated_by_id=actor.id,
            )
            db.session.add(row)
        row.level_id = level.id
        row.comment = _text(comment, "Nhận xét", 1000)
        row.rated_by_id = actor.id
        row.rated_at = utcnow()
        saved += 1
    _flush()
    return saved


# ---- closing the year ---------------------------------------------------------------------------


def close_year(actor: User, unit: Unit, year: int) -> YearClosure:
    """Freeze the branch's year and prepare the next: standards carried over, plans offered as drafts."""
    if not permissions.can_close_year(actor, unit):
        raise GradingError("Bạn không khóa sổ đơn vị này được.")
    locks.ensure(locks.year_lock(unit.id, year))
    grading_round = get_round(unit, year)
    if grading_round is None or grading_round.status is not RoundStatus.RATIFIED:
        raise GradingError("Chỉ khóa sổ sau khi kết quả xếp loại năm đã được cấp trên công nhận.")
    pending = [
        r.user.full_name
        for r in grading_round.ratings
        if r.reconsideration_at is not None and r.reconsideration_answered_at is None
    ]
    if pending:
        raise GradingError("Còn đề nghị xem xét lại chưa được trả lời: " + ", ".join(pending) + ".")
    closure = YearClosure(unit_id=unit.id, year=year, closed_by_id=actor.id)
    db.session.add(closure)
    from app.standards.services import carry_over_standards

    carried = carry_over_standards(actor, unit, year, year + 1)
    _flush()
    record(actor, "year.close", closure, None, unit, after={"year": year, "standards_carried": carried})
    return closure


def can_reopen_year(user: User, unit: Unit) -> bool:
    """Reopen a closed year: the level above (officers of the unit or above), never the branch itself."""
    return permissions.can_reopen_year(user, unit)


def reopen_year(actor: User, unit: Unit, year: int, reason: str) -> None:
    """Open a closed year again, with a written reason in the audit log (the upper level's act).

    The closure row goes (locks read the records, so everything of the year is writable again);
    the audit row keeps who closed it, when, who reopened it and why. Documents made while it was
    closed then check as "changed since" if anything is changed afterwards."""
    permissions.require(can_reopen_year(actor, unit))
    closure = year_closure(unit, year)
    if closure is None:
        raise GradingError(f"Năm {year} chưa khóa sổ.")
    reason = _text(reason, "Lý do", REASON_MAX, "reason")
    if len(reason) < 5:
        raise GradingError("Vui lòng ghi rõ lý do mở lại năm đã khóa sổ.", "reason")
    before = {
        "year": year,
        "closed_at": closure.closed_at.isoformat() if closure.closed_at else None,
        "closed_by_id": closure.closed_by_id,
    }
    db.session.delete(closure)
    _flush()
    record(actor, "year.reopen", unit, None, unit, before=before, after={"year": year}, reason=reason)
    grading_round = get_round(unit, year)
    if grading_round is not None:
        _notify_secretaries(grading_round, actor, f"Năm {year} được mở lại sau khi khóa sổ: {reason}")


def year_closure(unit: Unit, year: int) -> YearClosure | None:
    return db.session.scalar(
        select(YearClosure).where(YearClosure.unit_id == unit.id, YearClosure.year == year)
    )


# ---- statistics -----------------------------------------------------------------------------------


def percent(part: int, whole: int) -> str:
    """85,5%: one decimal, half up, Vietnamese comma."""
    if not whole:
        return "0%"
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    text = f"{value:.1f}".replace(".", ",")
    return (text[:-2] if text.endswith(",0") else text) + "%"


@dataclass
class TierCount:
    tier: Tier
    count: int
    share: str


@dataclass
class Statistics:
    unit: Unit
    year: int
    rated: int
    members: int
    rounds_ratified: int
    rounds_total: int
    tiers: list[TierCount]
    by_child: list[tuple[Unit, int, list[TierCount]]]


def _tier_counts(rows: dict[int, int]) -> tuple[int, list[TierCount]]:
    total = sum(rows.values())
    return total, [TierCount(t, rows.get(int(t), 0), percent(rows.get(int(t), 0), total)) for t in Tier]


def statistics(unit: Unit, year: int, ratified_only: bool = True) -> Statistics:
    """Counts and shares per tier over the unit's subtree, in one grouped query per breakdown."""
    subtree = select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))
    base = (
        select(Unit.path, FrameworkLevel.tier, func.count(Rating.id))
        .select_from(Rating)
        .join(GradingRound, GradingRound.id == Rating.round_id)
        .join(Unit, Unit.id == GradingRound.unit_id)
        .join(FrameworkLevel, FrameworkLevel.id == Rating.final_level_id)
        .where(GradingRound.unit_id.in_(subtree), GradingRound.year == year)
        .group_by(Unit.path, FrameworkLevel.tier)
    )
    if ratified_only:
        base = base.where(GradingRound.status == RoundStatus.RATIFIED)
    per_unit = db.session.execute(base).all()
    overall: Counter = Counter()
    children = list(db.session.scalars(select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.name)))
    per_child: dict[int, Counter] = {c.id: Counter() for c in children}
    for path, tier, count in per_unit:
        overall[tier] += count
        for child in children:
            if path.startswith(child.path):
                per_child[child.id][tier] += count
    rated, tiers = _tier_counts(overall)
    rounds = db.session.execute(
        select(GradingRound.status, func.count(GradingRound.id))
        .where(GradingRound.unit_id.in_(subtree), GradingRound.year == year)
        .group_by(GradingRound.status)
    ).all()
    members = (
        db.session.scalar(
            select(func.count(func.distinct(Membership.user_id)))
            .join(Unit, Unit.id == Membership.unit_id)
            .where(
                Membership.unit_id.in_(subtree),
                Membership.role != Role.OFFICER,
                Unit.kind.in_([UnitKind.BRANCH, UnitKind.PARTY_CELL]),
            )
        )
        or 0
    )
    by_child = []
    for child in children:
        total, counts = _tier_counts(per_child[child.id])
        by_child.append((child, total, counts))
    return Statistics(
        unit=unit,
        year=year,
        rated=rated,
        members=members,
        rounds_ratified=sum(c for s, c in rounds if s is RoundStatus.RATIFIED),
        rounds_total=sum(c for _, c in rounds),
        tiers=tiers,
        by_child=by_child,
    )


def round_tiers(grading_round: GradingRound) -> list[TierCount]:
    """The result of one round by tier (for the minutes), from its final levels."""
    counts = Counter(r.final_level.tier for r in grading_round.ratings if r.final_level is not None)
    return _tier_counts(counts)[1]


def pending_ratification(user: User) -> list[GradingRound]:
    """Rounds waiting for this officer's ratification (submitted, in branches under their units)."""
    paths = permissions.officer_paths(user)
    if not paths:
        return []
    rounds = db.session.scalars(
        select(GradingRound)
        .join(Unit, Unit.id == GradingRound.unit_id)
        .where(GradingRound.status == RoundStatus.SUBMITTED)
        .order_by(GradingRound.submitted_at)
    )
    return [r for r in rounds if permissions.can_ratify(user, r.unit)]


def rounds_under(user: User, unit: Unit, year: int) -> list[GradingRound]:
    subtree = select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))
    return list(
        db.session.scalars(
            select(GradingRound)
            .where(GradingRound.unit_id.in_(subtree), GradingRound.year == year)
            .order_by(GradingRound.unit_id)
        )
    )


# ---- notifications --------------------------------------------------------------------------------


def _notify(recipient: User, actor: User, grading_round: GradingRound, text: str, link: str) -> None:
    from app.notifications.services import notify

    if recipient.id == actor.id:
        return
    notify(recipient, "grading", text, link=link)


def _notify_ratifiers(grading_round: GradingRound, actor: User, text: str | None = None) -> None:
    unit = grading_round.unit
    if unit.parent is None:
        return
    # Officers of the units above the branch only (its ancestors), not every officer of the system.
    officers = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.role == Role.OFFICER,
            Membership.unit_id.in_(unit.ancestor_ids[:-1]),
            User.is_active.is_(True),
        )
    )
    text = text or f"{unit.name} gửi kết quả xếp loại năm {grading_round.year} để công nhận."
    for officer in {o.id: o for o in officers}.values():
        if permissions.can_ratify(officer, unit):
            _notify(officer, actor, grading_round, text, f"/grading/{unit.id}/{grading_round.year}")


def _notify_secretaries(grading_round: GradingRound, actor: User, text: str) -> None:
    unit = grading_round.unit
    for m in unit.memberships:
        if m.role.manages_branch:
            _notify(m.user, actor, grading_round, text, f"/grading/{unit.id}/{grading_round.year}")


def _notify_members(grading_round: GradingRound, actor: User) -> None:
    deadline = reconsider_deadline(grading_round)
    for rating in grading_round.ratings:
        level = rating.final_level.name if rating.final_level else ""
        _notify(
            rating.user,
            actor,
            grading_round,
            f"Kết quả xếp loại năm {grading_round.year} đã được công nhận: {level}. "
            f"Bạn có thể ghi nhận hoặc đề nghị xem xét lại đến hết ngày {vn_date(deadline)}.",
            f"/grading/{grading_round.unit_id}/{grading_round.year}/me",
        )


def local_time(value: datetime | None) -> datetime | None:
    return to_local(value) if value else None


def commitments_of(rating: Rating) -> list[Commitment]:
    plan = journal.working_plan(rating.user, rating.round.unit, rating.round.year)
    return plan.commitments if plan else []
