"""The kinds of documents app.export ships: (a) the member's book for a year, (b) one month of a
member, (c) the branch's collective book (sổ vàng), and the branch's grading list and the grading
meeting's minutes (their content from app.grading.documents). Registered with
app.export.documents.document_kind when app.export.documents is imported.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.auth.models import User
from app.core.db import db
from app.core.enums import PlanStatus
from app.export.documents import (
    UNIT,
    WEEKDAYS,
    Subject,
    document_kind,
    entries_in,
    entry_blocks,
    member_signature,
    month_review_block,
    people_names,
    person_info,
    unit_info,
    unit_signature,
)
from app.grading import documents as grading
from app.journal import services as journal
from app.journal.models import Entry
from app.units.models import Unit

# ---- the plan ---------------------------------------------------------------------------------------


def _commitment(c) -> dict:
    return {
        "id": c.id,
        "action": c.action,
        "measure": c.measure or "",
        "frequency": c.frequency.label,
        "deadline": c.deadline,
        "standard": c.standard.title if c.standard else "",
    }


def plan_block(member: User, unit: Unit, year: int) -> dict | None:
    """The plan in force (approved), else the newest version with its status; None when there is none."""
    from app.plans import services as plans
    from app.standards import services as standards

    plan = plans.plan_in_force(member, unit, year) or plans.current_plan(member, unit, year)
    if plan is None:
        return None
    people = people_names([plan.decided_by_id])
    applicable = standards.standards_by_group(standards.applicable_standards(unit, year))
    return {
        "version": plan.version,
        "status": plan.status.label,
        "approved": plan.status is PlanStatus.APPROVED,
        "decided_at": plan.decided_at,
        "decided_by": people.get(plan.decided_by_id, ""),
        "submitted_at": plan.submitted_at,
        "shortcomings": plan.shortcomings or "",
        "breakthrough": _commitment(plan.breakthrough) if plan.breakthrough else None,
        "groups": [
            {"label": label, "commitments": [_commitment(c) for c in items]}
            for label, items in plans.grouped_commitments(plan)
        ],
        "standards": [
            {"label": group.label, "items": [{"title": s.title, "unit": s.unit.name} for s in items]}
            for group, items in applicable.items()
        ],
    }


def themes_block(unit: Unit, year: int) -> list[dict]:
    from app.standards import services as standards

    return [
        {"unit": t.unit.name, "title": t.title, "description": t.description or ""}
        for t in standards.themes_for(unit, year)
    ]


def coverage_block(member: User, unit: Unit, year: int, as_of: date) -> dict:
    rows = journal.coverage(member, unit, year, today=as_of)
    return {
        "rows": [
            {
                "label": row.commitment.short_label,
                "breakthrough": row.commitment.is_breakthrough,
                "frequency": row.commitment.frequency.label,
                "cells": [{"month": c.month, "count": c.count, "state": c.state} for c in row.cells],
                "total": row.total,
            }
            for row in rows
        ],
        "legend": journal.COVERAGE_LEGEND,
    }


def _last_month(year: int, as_of: date) -> int:
    """Months of the year up to the day the document is made as of."""
    if year < as_of.year:
        return 12
    if year > as_of.year:
        return 0
    return as_of.month


# ---- the branch's grading list and the meeting's minutes --------------------------------------------


def _round_for(subject: Subject, need_meeting: bool):
    from app.export.services import ExportError

    grading_round = grading.branch_round(subject.unit, subject.year)
    if grading_round is None:
        raise ExportError(f"{subject.unit.name} chưa mở đợt đánh giá, xếp loại năm {subject.year}.")
    if need_meeting and grading_round.meeting_recorded_at is None:
        raise ExportError("Chưa ghi kết quả họp xét phân loại, nên chưa có biên bản.")
    return grading_round


def _grading_list_title(s: Subject) -> str:
    return f"Danh sách xếp loại năm {s.year} – {s.unit.name}"


@document_kind(
    "grading-list",
    "Danh sách đánh giá, xếp loại",
    "export/grading_list.html",
    scope=UNIT,
    title=_grading_list_title,
)
def grading_list(subject: Subject) -> dict:
    """Every member of the branch with the self-proposed, proposed and agreed levels, and the shares."""
    grading_round = _round_for(subject, need_meeting=False)
    return {
        "unit": unit_info(subject.unit),
        "year": subject.year,
        **grading.grading_list_content(grading_round),
        "signatures": [unit_signature(subject.unit)],
    }


def _minutes_title(s: Subject) -> str:
    return f"Biên bản họp xét phân loại năm {s.year} – {s.unit.name}"


@document_kind(
    "minutes",
    "Biên bản họp xét phân loại",
    "export/minutes.html",
    scope=UNIT,
    title=_minutes_title,
)
def minutes(subject: Subject) -> dict:
    """The grading meeting's minutes (biên bản) with the result list."""
    grading_round = _round_for(subject, need_meeting=True)
    return {
        "unit": unit_info(subject.unit),
        "year": subject.year,
        **grading.minutes_content(grading_round, subject.unit),
    }


# ---- (a) the member's book for a year -------------------------------------------------------------


def _book_title(s: Subject) -> str:
    return f"Sổ nhật ký làm theo lời Bác năm {s.year} – {s.member.full_name}"


@document_kind("book", "Sổ nhật ký làm theo lời Bác (cả năm)", "export/book.html", title=_book_title)
def member_book(subject: Subject) -> dict:
    """The member's book: details, the plan, the entries month by month with the secretary's comments
    and revision history, month comments and sign-offs, the coverage grid, the rating, signatures."""
    member, unit, year = subject.member, subject.unit, subject.year
    months = []
    last = _last_month(year, subject.as_of)
    entries = entries_in(member, unit, date(year, 1, 1), date(year, 12, 31))
    by_month: dict[int, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_month[entry.deed_date.month].append(entry)
    for month in range(1, last + 1):
        review = month_review_block(member, unit, year, month)
        months.append({"month": month, "entries": entry_blocks(by_month.get(month, [])), "review": review})
    return {
        "unit": unit_info(unit),
        "member": person_info(member, unit),
        "year": year,
        "themes": themes_block(unit, year),
        "plan": plan_block(member, unit, year),
        "months": months,
        "entry_count": len(entries),
        "coverage": coverage_block(member, unit, year, subject.as_of),
        "grading": grading.grading_section(member, unit, year),
        "signatures": [unit_signature(unit, member), member_signature(member)],
    }


# ---- (b) one month of a member ------------------------------------------------------------------------


def _month_title(s: Subject) -> str:
    return f"Sổ nhật ký làm theo lời Bác tháng {s.month}/{s.year} – {s.member.full_name}"


@document_kind(
    "month",
    "Sổ nhật ký làm theo lời Bác (một tháng)",
    "export/month.html",
    needs_month=True,
    title=_month_title,
)
def member_month(subject: Subject) -> dict:
    """One month of a member's diary: the entries with comments and history, the month comment and sign-off."""
    member, unit, year, month = subject.member, subject.unit, subject.year, subject.month
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    entries = entries_in(member, unit, first, last)
    plan = journal.working_plan(member, unit, year)
    return {
        "unit": unit_info(unit),
        "member": person_info(member, unit),
        "year": year,
        "month": month,
        "commitments": [c.label for c in plan.commitments] if plan else [],
        "entries": entry_blocks(entries),
        "review": month_review_block(member, unit, year, month),
        "signatures": [unit_signature(unit, member), member_signature(member)],
    }


# ---- (c) the branch's collective book (sổ vàng) ------------------------------------------------------


def _golden_title(s: Subject) -> str:
    return f"Sổ vàng năm {s.year} – {s.unit.name}"


@document_kind(
    "golden-book",
    "Sổ vàng (sổ truyền thống tập thể)",
    "export/golden_book.html",
    scope=UNIT,
    title=_golden_title,
)
def golden_book(subject: Subject) -> dict:
    """Exemplary deeds of the unit and every branch under it for the year, month by month."""
    unit, year = subject.unit, subject.year
    in_subtree = select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))
    entries = list(
        db.session.scalars(
            select(Entry)
            .where(
                Entry.is_exemplary.is_(True),
                Entry.deed_date >= date(year, 1, 1),
                Entry.deed_date <= date(year, 12, 31),
                Entry.unit_id.in_(in_subtree),
            )
            .options(lazyload(Entry.evidence))
            .order_by(Entry.deed_date, Entry.id)
        )
    )
    people = people_names([e.exemplary_by_id for e in entries])
    branches = (
        {
            u.id: u.name
            for u in db.session.scalars(select(Unit).where(Unit.id.in_({e.unit_id for e in entries})))
        }
        if entries
        else {}
    )
    months: dict[int, list[dict]] = defaultdict(list)
    for e in entries:
        months[e.deed_date.month].append(
            {
                "id": e.id,
                "member": e.user.full_name,
                "position": e.user.position or "",
                "branch": branches.get(e.unit_id, "") if e.unit_id != unit.id else "",
                "deed_date": e.deed_date,
                "weekday": WEEKDAYS[e.deed_date.weekday()],
                "place": e.place,
                "action": e.action,
                "result": e.result,
                "lesson": e.lesson,
                "note": e.exemplary_note or "",
                "by": people.get(e.exemplary_by_id, ""),
                "at": e.exemplary_at,
            }
        )
    return {
        "unit": unit_info(unit),
        "year": year,
        "months": [{"month": m, "entries": months[m]} for m in sorted(months)],
        "count": len(entries),
        "signatures": [unit_signature(unit)],
    }
