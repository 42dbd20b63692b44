"""Diary workflow and the views computed from it; the caller commits.

Rules (DESIGN.md §4 step 3 and the issue): the date of a deed is never in the future and at
most `unit.backdate_days` days back; an entry serves at least one commitment of the member's
plan; drafts are saved as people type; the time of writing is kept beside the deed's date.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import Select, extract, func, select
from sqlalchemy.orm import lazyload, selectinload
from werkzeug.datastructures import FileStorage

from app.auth.models import User
from app.core import locks, permissions
from app.core.db import db, utcnow
from app.core.enums import EntryStatus, Frequency, PlanStatus
from app.core.filters import today_local, vn_date
from app.core.rules import RuleError
from app.core.text import fold, nfc
from app.journal import storage
from app.journal.models import Entry, Evidence, entry_commitments
from app.notifications.services import app_path, notify, reviewers_to_notify
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
                f"{label} tối đa {limit:,} ký tự (hiện có {len(value):,}).".replace(",", "."), name
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


# ---- writing ------------------------------------------------------------------------------------


def _search_text(entry: Entry) -> str:
    return fold(" ".join([entry.place, entry.action, entry.result, entry.lesson]))


def _apply(entry: Entry, data: EntryData, commitments: list[Commitment] | None) -> None:
    entry.deed_date = data.deed_date or entry.deed_date
    entry.place = nfc(data.place) or ""
    entry.action = nfc(data.action) or ""
    entry.result = nfc(data.result) or ""
    entry.lesson = nfc(data.lesson) or ""
    if commitments is not None:
        entry.commitments = commitments
    entry.search_text = _search_text(entry)


def is_author(user: User, entry: Entry) -> bool:
    """The entry's member, still keeping a diary in the entry's own branch."""
    return (
        getattr(user, "is_authenticated", False)
        and user.id == entry.user_id
        and permissions.keeps_diary_in(user, entry.unit)
    )


def can_edit_entry(user: User, entry: Entry) -> bool:
    """The owner edits their entries until the month is signed off or the year closed (for buttons)."""
    return is_author(user, entry) and locks.entry_lock(entry) is None


def _require_editable(actor: User, entry: Entry) -> None:
    """403 unless the actor wrote the entry; LockedError when its month (in its own branch) is frozen."""
    permissions.require(is_author(actor, entry))
    locks.ensure(locks.entry_lock(entry))


# ---- telling the reviewers ------------------------------------------------------------------------


def _notify_reviewers(entry: Entry, owner: User, unit: Unit, previous: EntryStatus | None) -> None:
    """Tell the reviewers an entry waits for them: new, sent again after a revision, or edited after review."""
    day = vn_date(entry.deed_date)
    if previous is EntryStatus.REVISION:
        kind, title = "resubmitted", f"{owner.full_name} đã bổ sung bài ngày {day} theo yêu cầu"
    elif previous is EntryStatus.REVIEWED:
        kind, title = "submitted", f"{owner.full_name} đã sửa bài ngày {day} (bài đã xem trước đó)"
    else:
        kind, title = "submitted", f"{owner.full_name} gửi bài nhật ký ngày {day}"
    link = app_path(
        "review.month",
        unit_id=unit.id,
        user_id=owner.id,
        year=entry.deed_date.year,
        month=entry.deed_date.month,
    )
    for reviewer in reviewers_to_notify(owner, unit):
        notify(reviewer, kind, title, entry.title, f"{link}#entry-{entry.id}")


def _content_key(entry: Entry) -> tuple:
    """What the member wrote (not the review fields): an edit of a reviewed entry changes it."""
    return (
        entry.deed_date,
        entry.place,
        entry.action,
        entry.result,
        entry.lesson,
        tuple(sorted(c.id for c in entry.commitments)),
        tuple(sorted(e.sha256 for e in entry.evidence)),
    )


def _after_edit(entry: Entry, owner: User, unit: Unit, before: tuple | None) -> None:
    """A reviewed entry the member changes needs review again: back to "submitted", reviewers told."""
    if entry.status is EntryStatus.REVIEWED and before is not None and _content_key(entry) != before:
        entry.status = EntryStatus.SUBMITTED
        entry.submitted_at = utcnow()
        _notify_reviewers(entry, owner, unit, EntryStatus.REVIEWED)


def save_entry(
    actor: User,
    owner: User,
    unit: Unit,
    data: EntryData,
    *,
    entry: Entry | None = None,
    submit: bool = False,
    uploads: list[FileStorage] | None = None,
    today: date | None = None,
) -> Entry:
    """Create or update an entry (as a draft, or submitted); only the member writes their diary.

    An existing entry is checked against its OWN member and branch, whatever `owner` and `unit` the
    caller passed (a unit named in a query string never widens what may be written)."""
    if entry is not None:
        owner, unit = entry.user, entry.unit
        _require_editable(actor, entry)
    permissions.require(actor.id == owner.id and permissions.keeps_diary_in(owner, unit))
    _check_lengths(data)
    if entry is None or data.deed_date != entry.deed_date:
        check_deed_date(owner, unit, data.deed_date, today)
    if submit and not data.action.strip():
        raise JournalError("Vui lòng ghi việc đã làm.", "action")
    commitments = _resolve_commitments(owner, unit, data, required=submit)
    uploads = [u for u in (uploads or []) if u and u.filename]
    existing = len(entry.evidence) if entry is not None else 0
    if existing + len(uploads) > storage.MAX_FILES_PER_ENTRY:
        raise JournalError(f"Mỗi bài tối đa {storage.MAX_FILES_PER_ENTRY} tệp minh chứng.", "evidence")
    for upload in uploads:
        try:
            storage.check_upload(upload)
        except storage.EvidenceError as exc:
            raise JournalError(str(exc), "evidence") from None
    before = _content_key(entry) if entry is not None else None
    if entry is None:
        entry = Entry(user_id=owner.id, unit_id=unit.id, deed_date=data.deed_date, status=EntryStatus.DRAFT)
        db.session.add(entry)
    _apply(entry, data, commitments)
    for upload in uploads:
        stored = storage.store(upload)
        entry.evidence.append(
            Evidence(
                stored_name=stored.stored_name,
                original_name=stored.original_name,
                content_type=stored.content_type,
                size=stored.size,
                sha256=stored.sha256,
            )
        )
    previous = entry.status
    if submit and entry.status in (EntryStatus.DRAFT, EntryStatus.REVISION, None):
        # A first submission, or a resubmission after a revision request.
        entry.status = EntryStatus.SUBMITTED
        entry.submitted_at = utcnow()
    db.session.flush()
    if entry.status is EntryStatus.SUBMITTED and previous is not EntryStatus.SUBMITTED:
        _notify_reviewers(entry, owner, unit, previous)
    else:
        _after_edit(entry, owner, unit, before)
        db.session.flush()
    return entry


def autosave_draft(
    actor: User, owner: User, unit: Unit, data: EntryData, entry: Entry | None = None
) -> Entry:
    """Keep what is being typed as a draft; lenient: only lengths and a usable date are checked.

    Never lenient about locks: a draft is not moved into, nor written in, a signed month or a
    closed year of its own branch (LockedError)."""
    if entry is not None:
        owner, unit = entry.user, entry.unit
        _require_editable(actor, entry)
    permissions.require(actor.id == owner.id and permissions.keeps_diary_in(owner, unit))
    _check_lengths(data)
    fallback = entry.deed_date if entry is not None else today_local()
    if data.deed_date is not None and data.deed_date != fallback:
        try:
            check_deed_date(owner, unit, data.deed_date)
        except JournalError:
            data.deed_date = fallback
    else:
        data.deed_date = fallback
    if entry is None:
        locks.ensure(locks.day_lock(owner.id, unit.id, data.deed_date), field="deed_date")
    commitments = _resolve_commitments(owner, unit, data, required=False)
    before = _content_key(entry) if entry is not None else None
    if entry is None:
        entry = Entry(user_id=owner.id, unit_id=unit.id, deed_date=data.deed_date, status=EntryStatus.DRAFT)
        db.session.add(entry)
    _apply(entry, data, commitments)
    _after_edit(entry, owner, unit, before)
    db.session.flush()
    return entry


def delete_entry(actor: User, entry: Entry) -> None:
    """Delete a draft (submitted entries stay in the diary)."""
    _require_editable(actor, entry)
    if entry.status is not EntryStatus.DRAFT:
        raise JournalError("Chỉ xóa được bản nháp; bài đã gửi được giữ trong sổ.")
    names = [e.stored_name for e in entry.evidence]
    db.session.delete(entry)
    db.session.flush()
    for name in names:
        storage.remove(name)


def delete_evidence(actor: User, evidence: Evidence) -> None:
    """Remove an evidence file from one's entry (evidence is part of what a signed month seals)."""
    entry = evidence.entry
    _require_editable(actor, entry)
    before = _content_key(entry)
    name = evidence.stored_name
    entry.evidence.remove(evidence)
    db.session.flush()
    _after_edit(entry, entry.user, entry.unit, before)
    db.session.flush()
    storage.remove(name)


# ---- reading ------------------------------------------------------------------------------------


def diary_entries(owner: User, unit: Unit) -> Select[tuple[Entry]]:
    """The member's entries in the branch, newest deed first.

    Every entry's author is `owner`, already loaded: entry.user comes from the session, not from
    a join repeated on every row (which also reloaded the owner's memberships: one more query)."""
    return (
        select(Entry)
        .where(Entry.user_id == owner.id, Entry.unit_id == unit.id)
        # The commitments are shown by their label: without their standards (and the standards'
        # units) joined onto every one of them.
        .options(lazyload(Entry.user), selectinload(Entry.commitments).lazyload(Commitment.standard))
        .order_by(Entry.deed_date.desc(), Entry.id.desc())
    )


def month_entries(owner: User, unit: Unit, year: int, month: int) -> list[Entry]:
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    return list(
        db.session.scalars(
            diary_entries(owner, unit).where(Entry.deed_date >= first, Entry.deed_date <= last)
        )
    )


def search(owner: User, unit: Unit, query: str, limit: int = 50) -> list[Entry]:
    """Entries whose text contains every word of `query`, ignoring case and diacritics (đ too)."""
    words = [w for w in fold(query).split() if w][:8]
    if not words:
        return []
    stmt = diary_entries(owner, unit)
    for word in words:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Entry.search_text.like(f"%{escaped}%", escape="\\"))
    return list(db.session.scalars(stmt.limit(limit)))


def timeline_page(owner: User, unit: Unit, before: tuple[date, int] | None, size: int = 20):
    """A page of the timeline, newest first, continuing below `before` (keyset pagination)."""
    stmt = diary_entries(owner, unit)
    if before is not None:
        day, entry_id = before
        stmt = stmt.where((Entry.deed_date < day) | ((Entry.deed_date == day) & (Entry.id < entry_id)))
    rows = list(db.session.scalars(stmt.limit(size + 1)))
    more = len(rows) > size
    return rows[:size], more


def day_counts(owner: User, unit: Unit, year: int, submitted_only: bool = False) -> dict[date, int]:
    """Entries per day of the year, in one grouped query."""
    stmt = (
        select(Entry.deed_date, func.count())
        .where(
            Entry.user_id == owner.id,
            Entry.unit_id == unit.id,
            Entry.deed_date >= date(year, 1, 1),
            Entry.deed_date <= date(year, 12, 31),
        )
        .group_by(Entry.deed_date)
    )
    if submitted_only:
        stmt = stmt.where(Entry.status.in_(EntryStatus.in_diary()))
    return {day: count for day, count in db.session.execute(stmt).all()}


def week_streak(days: set[date], today: date | None = None) -> int:
    """Consecutive weeks (Monday to Sunday) with at least one entry, up to this week.

    The current week does not break the streak before it is over.
    """
    today = today or today_local()
    weeks = {d - timedelta(days=d.weekday()) for d in days}
    monday = today - timedelta(days=today.weekday())
    if monday not in weeks:
        monday -= timedelta(days=7)
    streak = 0
    while monday in weeks:
        streak += 1
        monday -= timedelta(days=7)
    return streak


@dataclass
class HeatCell:
    day: date
    count: int
    level: int  # 0–4


def heatmap(counts: dict[date, int], year: int) -> list[list[HeatCell | None]]:
    """Weeks (columns) × weekdays (rows) of the year, each day with its level 0–4."""
    start = date(year, 1, 1)
    end = date(year, 12, 31)
    first_monday = start - timedelta(days=start.weekday())
    weeks: list[list[HeatCell | None]] = []
    day = first_monday
    while day <= end:
        week: list[HeatCell | None] = []
        for _ in range(7):
            if start <= day <= end:
                count = counts.get(day, 0)
                level = 0 if count == 0 else 1 if count == 1 else 2 if count == 2 else 3 if count <= 4 else 4
                week.append(HeatCell(day, count, level))
            else:
                week.append(None)
            day += timedelta(days=1)
        weeks.append(week)
    return weeks


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
