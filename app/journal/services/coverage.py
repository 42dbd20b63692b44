"""Coverage: commitment × month against the expected frequency (the plan's cells in the year view)."""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlalchemy import extract, func, select

from app.auth.models import User
from app.core.db import db
from app.core.enums import EntryStatus, Frequency
from app.core.filters import today_local
from app.journal.models import Entry, entry_commitments
from app.journal.services.rules import working_plan, year_plans
from app.plans.models import Commitment, Plan
from app.units.models import Unit

# ---- coverage: commitment × month against the expected frequency -----------------------------------

EXPECTED_PER_MONTH = {Frequency.DAILY: 8, Frequency.WEEKLY: 4, Frequency.MONTHLY: 1}
COVERAGE_LEGEND = (
    "Hằng ngày: từ 8 bài/tháng; hằng tuần: từ 4 bài/tháng; hằng tháng: từ 1 bài; một lần: có ít nhất "
    "1 bài trước hạn. Chỉ tính bài đã gửi; tháng đầu và tháng hiện tại tính theo số ngày."
)


@dataclass
class CoverageCell:
    month: int
    count: int
    expected: float | None
    state: str  # "full", "thin", "empty", "future", "none"

    @property
    def label(self) -> str:
        names = {"full": "đủ", "thin": "mỏng", "empty": "trống", "future": "chưa tới", "none": "ngoài kỳ hạn"}
        return names[self.state]


@dataclass
class CoverageRow:
    commitment: Commitment
    cells: list[CoverageCell]
    total: int


def coverage(
    owner: User, unit: Unit, year: int, today: date | None = None, plans: list[Plan] | None = None
) -> list[CoverageRow]:
    """For each commitment of the working plan, submitted entries per month and whether it is enough.

    `plans` are year_plans() when the caller already has them."""
    today = today or today_local()
    plans = year_plans(owner, unit, year) if plans is None else plans
    plan = working_plan(owner, unit, year, plans)
    if plan is None:
        return []
    rows = db.session.execute(
        select(Commitment.lineage_id, extract("month", Entry.deed_date), func.count(func.distinct(Entry.id)))
        .join(entry_commitments, entry_commitments.c.commitment_id == Commitment.id)
        .join(Entry, Entry.id == entry_commitments.c.entry_id)
        .where(
            Entry.user_id == owner.id,
            Entry.unit_id == unit.id,
            Entry.status.in_(EntryStatus.in_diary()),
            Entry.deed_date >= date(year, 1, 1),
            Entry.deed_date <= date(year, 12, 31),
        )
        .group_by(Commitment.lineage_id, extract("month", Entry.deed_date))
    ).all()
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for lineage, month, count in rows:
        counts[lineage][int(month)] = count
    # Expectations start when the member first made a plan this year, not on 1 January.
    first_plan_at = min(p.created_at for p in plans)
    start = max(date(year, 1, 1), first_plan_at.date()) if first_plan_at else date(year, 1, 1)
    return [
        coverage_row(c, counts.get(c.lineage_id or c.id, {}), year, start, today) for c in plan.commitments
    ]


_FUTURE, _OUTSIDE = "future", "outside"


@lru_cache(maxsize=4096)
def _coverage_rules(frequency: Frequency, end: date, year: int, start: date, today: date) -> tuple:
    """coverage_row's rule for each month, without the counts: "future", "outside" (the month
    lies outside the commitment's period), ("once", whether the deadline's month has passed) or the
    number of entries that makes the month full. Shared by the members of a branch."""
    rules: list = []
    for month in range(1, 13):
        first = date(year, month, 1)
        last = date(year, month, calendar.monthrange(year, month)[1])
        if first > today:
            rules.append(_FUTURE)
        elif frequency is Frequency.ONCE:
            rules.append(("once", first <= end <= last and end < today))
        else:
            lo, hi = max(first, start), min(last, end, today)
            if lo > hi:
                rules.append(_OUTSIDE)
                continue
            share = ((hi - lo).days + 1) / ((last - first).days + 1)
            rules.append(max(1, round(EXPECTED_PER_MONTH[frequency] * share)))
    return tuple(rules)


def coverage_score(
    frequency: Frequency,
    deadline: date | None,
    per_month: dict[int, int],
    year: int,
    start: date,
    today: date,
) -> tuple[int, int]:
    """(full cells, cells that count) of a commitment's row: the states "full", "thin" and "empty"
    of coverage_row, counted without building the row (the branch dashboard does this for every
    member and commitment; tests check it agrees with coverage_row)."""
    end = deadline if deadline and deadline.year == year else date(year, 12, 31)
    total = sum(per_month.values())
    full = cells = 0
    for month, rule in enumerate(_coverage_rules(frequency, end, year, start, today), start=1):
        if rule is _FUTURE:
            continue
        count = per_month.get(month, 0)
        if rule is _OUTSIDE:
            if count:
                full += 1
                cells += 1
        elif isinstance(rule, tuple):
            if count:
                full += 1
                cells += 1
            elif total == 0 and rule[1]:
                cells += 1
        else:
            cells += 1
            full += count >= rule
    return full, cells


def coverage_row(
    commitment: Commitment, per_month: dict[int, int], year: int, start: date, today: date
) -> CoverageRow:
    end = date(year, 12, 31)
    if commitment.deadline and commitment.deadline.year == year:
        end = commitment.deadline
    total = sum(per_month.values())
    cells = []
    for month in range(1, 13):
        first = date(year, month, 1)
        last = date(year, month, calendar.monthrange(year, month)[1])
        count = per_month.get(month, 0)
        if first > today:
            cells.append(CoverageCell(month, count, None, "future"))
        elif commitment.frequency is Frequency.ONCE:
            # Done once is enough; only the deadline's month shows it missing, once it has passed.
            missing = total == 0 and first <= end <= last and end < today
            state = "full" if count else "empty" if missing else "none"
            cells.append(CoverageCell(month, count, None, state))
        else:
            lo, hi = max(first, start), min(last, end, today)
            if lo > hi:
                cells.append(CoverageCell(month, count, None, "full" if count else "none"))
                continue
            share = ((hi - lo).days + 1) / ((last - first).days + 1)
            expected = EXPECTED_PER_MONTH[commitment.frequency] * share
            state = "full" if count >= max(1, round(expected)) else "thin" if count else "empty"
            cells.append(CoverageCell(month, count, round(expected, 1), state))
    return CoverageRow(commitment, cells, total)
