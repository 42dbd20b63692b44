"""Counting members' months (MemberMonthStats) from their diary entries: a branch's whole year the
first time a report needs it, and afterwards the member-months a change made stale
(app.reports.stats decides which; this module counts)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import Select, and_, case, delete, exists, extract, func, insert, or_, select, text, tuple_

from app.core.db import db
from app.core.enums import EntryStatus, Role
from app.journal.models import Entry
from app.reports.definitions import REVIEW_DAYS, answered_at, chunks, within_days
from app.reports.models import MemberMonthStats
from app.review.models import MonthReview
from app.units.models import Membership

Key = tuple[int, int, int, int]  # (unit, member, year, month)


def _stats_select(*conditions) -> Select:
    """(unit, member, year, month, entries, answered in time, answered late, commended, last deed)
    of the diary entries matching `conditions`, one grouped query."""
    answered = answered_at()
    sent = Entry.submitted_at.is_not(None)
    in_time = and_(sent, answered.is_not(None), within_days(answered, Entry.submitted_at, REVIEW_DAYS))
    # Reviewed or sent back, but not within 7 days (or when is not known): answered late.
    late = and_(
        sent,
        Entry.status.in_((EntryStatus.REVIEWED, EntryStatus.REVISION)),
        or_(answered.is_(None), ~within_days(answered, Entry.submitted_at, REVIEW_DAYS)),
    )
    year, month = extract("year", Entry.deed_date), extract("month", Entry.deed_date)
    return (
        select(
            Entry.unit_id,
            Entry.user_id,
            year,
            month,
            func.count(),
            func.sum(case((in_time, 1), else_=0)),
            func.sum(case((late, 1), else_=0)),
            func.sum(case((Entry.is_exemplary.is_(True), 1), else_=0)),
            func.max(Entry.deed_date),
        )
        .where(
            Entry.status.in_(EntryStatus.in_diary()),
            # Only the months of the branch's current members (not officers) are kept.
            exists().where(
                Membership.user_id == Entry.user_id,
                Membership.unit_id == Entry.unit_id,
                Membership.role != Role.OFFICER,
            ),
            *conditions,
        )
        .group_by(Entry.unit_id, Entry.user_id, year, month)
    )


def _row(values, now: datetime) -> dict:
    unit_id, user_id, year, month, entries, in_time, late, exemplary, last = values
    if isinstance(last, str):  # SQLite hands back max() of a date column as text
        last = date.fromisoformat(last)
    return {
        "unit_id": unit_id,
        "user_id": user_id,
        "year": int(year),
        "month": int(month),
        "entries": int(entries),
        "answered_in_time": int(in_time or 0),
        "answered_late": int(late or 0),
        "exemplary": int(exemplary or 0),
        "last_deed": last,
        "computed_at": now,
    }


def _signed(*conditions) -> set[Key]:
    """(unit, member, year, month) of the signed-off months matching `conditions`."""
    return {
        (u, p, y, m)
        for u, p, y, m in db.session.execute(
            select(MonthReview.unit_id, MonthReview.user_id, MonthReview.year, MonthReview.month).where(
                MonthReview.signed_at.is_not(None), *conditions
            )
        )
    }


def _mark_signed(rows: list[dict], signed: set[Key]) -> list[dict]:
    for row in rows:
        row["signed"] = (row["unit_id"], row["user_id"], row["year"], row["month"]) in signed
    return rows


def count_branches(branch_ids: list[int], year: int, now: datetime) -> list[dict]:
    """The rows of every member-month of `branch_ids` (at most CHUNK) in `year`, their old rows
    deleted: one grouped query over the entries, one over the month sign-offs."""
    db.session.execute(
        delete(MemberMonthStats).where(
            MemberMonthStats.unit_id.in_(branch_ids), MemberMonthStats.year == year
        )
    )
    computed = [
        _row(r, now)
        for r in db.session.execute(
            _stats_select(
                Entry.unit_id.in_(branch_ids),
                Entry.deed_date >= date(year, 1, 1),
                Entry.deed_date <= date(year, 12, 31),
            )
        )
    ]
    return _mark_signed(computed, _signed(MonthReview.unit_id.in_(branch_ids), MonthReview.year == year))


def recompute(keys: list[Key], now: datetime) -> list[dict]:
    """The rows of the member-months `keys` (unit, member, year, month; year 0: every month of that
    member in that unit), their old rows deleted: one grouped query per month concerned (and per
    500 members) over those members' entries."""
    whole = sorted({(k[0], k[1]) for k in keys if k[2] == 0})
    months = sorted({k for k in keys if k[2] != 0 and (k[0], k[1]) not in set(whole)})
    rows, signed = _recompute_whole(whole, now)
    signed |= _forget_months(months)
    rows += _recompute_months(months, now)
    return _mark_signed(rows, signed)


def _recompute_whole(pairs: list[tuple[int, int]], now: datetime) -> tuple[list[dict], set[Key]]:
    """Every month of the (unit, member) `pairs`, and their signed-off months."""
    M = MemberMonthStats
    rows: list[dict] = []
    signed: set[Key] = set()
    for chunk in chunks(pairs):
        db.session.execute(delete(M).where(tuple_(M.unit_id, M.user_id).in_(chunk)))
        signed |= _signed(tuple_(MonthReview.unit_id, MonthReview.user_id).in_(chunk))
        rows += [
            _row(r, now)
            for r in db.session.execute(_stats_select(tuple_(Entry.unit_id, Entry.user_id).in_(chunk)))
        ]
    return rows, signed


def _forget_months(months: list[Key]) -> set[Key]:
    """Delete the rows of the member-months `months`; return those of them signed off."""
    M = MemberMonthStats
    signed: set[Key] = set()
    for chunk in chunks(months):
        db.session.execute(delete(M).where(tuple_(M.unit_id, M.user_id, M.year, M.month).in_(chunk)))
        signed |= _signed(
            tuple_(MonthReview.unit_id, MonthReview.user_id, MonthReview.year, MonthReview.month).in_(chunk)
        )
    return signed


def _recompute_months(months: list[Key], now: datetime) -> list[dict]:
    """The rows of the member-months `months`, read month by month over those members' entries."""
    wanted = set(months)
    by_month: dict[tuple[int, int], set[int]] = defaultdict(set)
    for _unit, user, year, month in months:
        by_month[(year, month)].add(user)
    rows: list[dict] = []
    for (year, month), users in sorted(by_month.items()):
        first = date(year, month, 1)
        end = date(year + month // 12, month % 12 + 1, 1)
        for chunk in chunks(sorted(users)):
            for r in db.session.execute(
                _stats_select(Entry.user_id.in_(chunk), Entry.deed_date >= first, Entry.deed_date < end)
            ):
                row = _row(r, now)
                if (row["unit_id"], row["user_id"], row["year"], row["month"]) in wanted:
                    rows.append(row)
    return rows


def write(rows: list[dict]) -> None:
    """Insert the counted rows; a member-month may come both from a branch-year built and from a
    member recomputed whole: the same count from the same entries, kept once."""
    rows = list({(r["unit_id"], r["user_id"], r["year"], r["month"]): r for r in rows}.values())
    for batch in chunks(rows, 2000):
        db.session.execute(insert(MemberMonthStats.__table__), batch)
    if len(rows) > 10_000 and db.session.get_bind().dialect.name == "postgresql":
        # A big first build: fresh planner statistics now, as autovacuum would do later.
        db.session.execute(text("ANALYZE report_member_months"))
