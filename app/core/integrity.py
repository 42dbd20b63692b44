"""Data written before the lock model (app.core.locks) that a lock now forbids: found, never changed.

`flask check-integrity` lists each case with its unit, period and what to do. Every check is one
SQL query over the records (no per-month loop), so it runs on a province's database too. The
checks compare moments: something dated after the moment its lock was set (a comment after the
month's sign-off, an entry changed after the year was closed, a framework edited after a round
using it was submitted, a rating changed after the round was ratified).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, extract, func, or_, select

from app.core.db import db
from app.core.filters import vn_datetime


@dataclass
class Problem:
    lock: str  # the lock that was broken (Vietnamese)
    unit: str  # "Chi đoàn … (mã)"
    period: str  # "tháng 5/2026", "năm 2026"
    who: str  # the member, when it is about one
    what: str  # what was written after the lock, and when it was last
    advice: str  # what to do about it

    def line(self) -> str:
        who = f" · {self.who}" if self.who else ""
        return f"[{self.lock}] {self.unit} · {self.period}{who}: {self.what}\n    → {self.advice}"


SIGNED_ADVICE = (
    "Mở lại tháng (kèm lý do: dữ liệu ghi sau khi ký), xem lại rồi ký lại; các văn bản PDF đã lập của "
    "tháng sẽ báo “đã thay đổi kể từ khi lập”, kèm lần mở lại."
)
CLOSED_ADVICE = (
    "Cán bộ cấp trên xem lại: nếu thay đổi là đúng, mở lại năm (kèm lý do) rồi khóa sổ lại; nếu không, "
    "báo quản trị viên khôi phục từ bản sao lưu trước thay đổi."
)


def _unit_label(unit) -> str:
    return f"{unit.name} ({unit.code})"


def _month_key():
    from app.journal.models import Entry
    from app.review.models import MonthReview

    return and_(
        Entry.user_id == MonthReview.user_id,
        Entry.unit_id == MonthReview.unit_id,
        extract("year", Entry.deed_date) == MonthReview.year,
        extract("month", Entry.deed_date) == MonthReview.month,
    )


def _signed_month_problems() -> list[Problem]:
    from app.journal.models import Entry, Evidence
    from app.review.models import EntryComment, MonthReview

    signed_at = MonthReview.signed_at
    checks = [
        (
            "nhận xét trên bài được thêm sau khi ký",
            select(MonthReview.id, func.count(EntryComment.id), func.max(EntryComment.created_at))
            .join(Entry, _month_key())
            .join(EntryComment, EntryComment.entry_id == Entry.id)
            .where(signed_at.is_not(None), EntryComment.created_at > signed_at),
        ),
        (
            "bài được viết, sửa, biểu dương hoặc yêu cầu bổ sung sau khi ký",
            select(
                MonthReview.id,
                func.count(Entry.id),
                func.max(func.coalesce(Entry.updated_at, Entry.created_at)),
            )
            .join(Entry, _month_key())
            .where(
                signed_at.is_not(None),
                or_(
                    Entry.created_at > signed_at,
                    Entry.updated_at > signed_at,
                    Entry.exemplary_at > signed_at,
                    Entry.revision_requested_at > signed_at,
                ),
            ),
        ),
        (
            "minh chứng được thêm sau khi ký",
            select(MonthReview.id, func.count(Evidence.id), func.max(Evidence.created_at))
            .join(Entry, _month_key())
            .join(Evidence, Evidence.entry_id == Entry.id)
            .where(signed_at.is_not(None), Evidence.created_at > signed_at),
        ),
        (
            "nhận xét tháng được sửa sau khi ký",
            select(MonthReview.id, func.count(MonthReview.id), func.max(MonthReview.comment_at)).where(
                signed_at.is_not(None), MonthReview.comment_at > signed_at
            ),
        ),
    ]
    problems = []
    for label, stmt in checks:
        for review_id, count, last in db.session.execute(stmt.group_by(MonthReview.id)):
            review = db.session.get(MonthReview, review_id)
            problems.append(
                Problem(
                    "tháng đã ký",
                    _unit_label(review.unit),
                    f"tháng {review.month}/{review.year}",
                    review.user.full_name,
                    f"{count} {label} (ký lúc {vn_datetime(review.signed_at)}, lần cuối {_when(last)})",
                    SIGNED_ADVICE,
                )
            )
    return problems


def _when(value) -> str:
    return vn_datetime(value) if isinstance(value, datetime) else str(value or "")


def _closed_year_problems() -> list[Problem]:
    from app.grading.models import GradingRound, Rating, YearClosure
    from app.journal.models import Entry
    from app.plans.models import Plan
    from app.review.models import EntryComment, MonthReview
    from app.standards.models import Standard

    closed_at = YearClosure.closed_at
    entry_in_year = and_(
        Entry.unit_id == YearClosure.unit_id, extract("year", Entry.deed_date) == YearClosure.year
    )
    checks = [
        (
            "bài nhật ký được viết, sửa, biểu dương hoặc yêu cầu bổ sung sau khi khóa sổ",
            select(YearClosure.id, func.count(Entry.id))
            .join(Entry, entry_in_year)
            .where(
                or_(
                    Entry.created_at > closed_at,
                    Entry.updated_at > closed_at,
                    Entry.exemplary_at > closed_at,
                    Entry.revision_requested_at > closed_at,
                )
            ),
        ),
        (
            "nhận xét trên bài được thêm sau khi khóa sổ",
            select(YearClosure.id, func.count(EntryComment.id))
            .join(Entry, entry_in_year)
            .join(EntryComment, EntryComment.entry_id == Entry.id)
            .where(EntryComment.created_at > closed_at),
        ),
        (
            "kế hoạch được lập, sửa, gửi hoặc duyệt sau khi khóa sổ",
            select(YearClosure.id, func.count(Plan.id))
            .join(Plan, and_(Plan.unit_id == YearClosure.unit_id, Plan.year == YearClosure.year))
            .where(
                or_(Plan.created_at > closed_at, Plan.updated_at > closed_at, Plan.decided_at > closed_at)
            ),
        ),
        (
            "nhận xét tháng hoặc ký xác nhận sau khi khóa sổ",
            select(YearClosure.id, func.count(MonthReview.id))
            .join(
                MonthReview,
                and_(MonthReview.unit_id == YearClosure.unit_id, MonthReview.year == YearClosure.year),
            )
            .where(or_(MonthReview.comment_at > closed_at, MonthReview.signed_at > closed_at)),
        ),
        (
            "chuẩn mực của năm được thêm sau khi khóa sổ",
            select(YearClosure.id, func.count(Standard.id))
            .join(Standard, and_(Standard.unit_id == YearClosure.unit_id, Standard.year == YearClosure.year))
            .where(Standard.created_at > closed_at),
        ),
        (
            "đề nghị xem xét lại được trả lời sau khi khóa sổ",
            select(YearClosure.id, func.count(Rating.id))
            .join(
                GradingRound,
                and_(GradingRound.unit_id == YearClosure.unit_id, GradingRound.year == YearClosure.year),
            )
            .join(Rating, Rating.round_id == GradingRound.id)
            .where(Rating.reconsideration_answered_at > closed_at),
        ),
    ]
    problems = []
    for label, stmt in checks:
        for closure_id, count in db.session.execute(stmt.group_by(YearClosure.id)):
            closure = db.session.get(YearClosure, closure_id)
            unit = db.session.get(_unit_model(), closure.unit_id)
            problems.append(
                Problem(
                    "năm đã khóa sổ",
                    _unit_label(unit),
                    f"năm {closure.year}",
                    "",
                    f"{count} {label} (khóa sổ lúc {vn_datetime(closure.closed_at)})",
                    CLOSED_ADVICE,
                )
            )
    return problems


def _unit_model():
    from app.units.models import Unit

    return Unit


def _audit_year(after: str | None) -> int | None:
    try:
        value = json.loads(after or "{}")
    except ValueError:
        return None
    return value.get("year") if isinstance(value, dict) else None


def _grading_problems() -> list[Problem]:
    from app.audit.models import AuditLog
    from app.grading.models import Framework, GradingRound

    Unit = _unit_model()
    problems = []
    first_submitted = (
        select(GradingRound.framework_id, func.min(GradingRound.submitted_at).label("at"))
        .where(GradingRound.submitted_at.is_not(None))
        .group_by(GradingRound.framework_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Framework, func.count(AuditLog.id), func.max(AuditLog.created_at))
        .join(first_submitted, first_submitted.c.framework_id == Framework.id)
        .join(
            AuditLog,
            and_(
                AuditLog.object_type == "grading_frameworks",
                AuditLog.object_id == Framework.id,
                AuditLog.action.in_(["framework.edit", "framework.criterion"]),
                AuditLog.created_at > first_submitted.c.at,
            ),
        )
        .group_by(Framework.id)
    )
    for framework, count, last in rows:
        problems.append(
            Problem(
                "khung tiêu chí đang dùng",
                _unit_label(framework.unit) if framework.unit else "khung dùng chung",
                "",
                "",
                f"khung “{framework.name}” bị sửa {count} lần sau khi một đợt đánh giá dùng nó đã gửi "
                f"lên (lần cuối {_when(last)})",
                "Sao chép khung thành phiên bản mới cho các đợt sau; với đợt đã dùng khung, cấp trên xem "
                "lại kết quả đã in (có thể cần mở lại kết quả, kèm lý do).",
            )
        )
    ratified = db.session.execute(
        select(GradingRound, Unit)
        .join(Unit, Unit.id == GradingRound.unit_id)
        .where(GradingRound.ratified_at.is_not(None))
    ).all()
    for grading_round, unit in ratified:
        late = [
            row
            for row in db.session.scalars(
                select(AuditLog).where(
                    AuditLog.unit_id == unit.id,
                    AuditLog.action.in_(["rating.self", "rating.propose", "rating.final"]),
                    AuditLog.created_at > grading_round.ratified_at,
                )
            )
            if _audit_year(row.after) == grading_round.year
        ]
        if late:
            problems.append(
                Problem(
                    "kết quả đã công nhận",
                    _unit_label(unit),
                    f"năm {grading_round.year}",
                    "",
                    f"{len(late)} thay đổi đánh giá, xếp loại sau khi cấp trên công nhận "
                    f"({vn_datetime(grading_round.ratified_at)})",
                    "Cấp trên mở lại kết quả (kèm lý do), xem lại rồi công nhận lại.",
                )
            )
    return problems


def find_problems() -> list[Problem]:
    """Every case of data that violates a lock, in a stable order (nothing is changed)."""
    problems = _signed_month_problems() + _closed_year_problems() + _grading_problems()
    return sorted(problems, key=lambda p: (p.lock, p.unit, p.period, p.who, p.what))
