"""What the diary holds for a member's year (DiaryYear): the figures and the entries a self-assessment
or a proposal cites as dẫn chứng. (Not `Evidence`, which is an entry's attachment, minh chứng.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from app.auth.models import User
from app.core.db import db
from app.core.enums import EntryStatus
from app.core.filters import today_local, vn_date
from app.core.text import shorten
from app.journal import services as journal
from app.journal.models import Entry
from app.review.models import MonthReview
from app.units.models import Unit

from ..models import Citation, Rating


@dataclass
class CitableEntry:
    id: int
    deed_date: date
    title: str
    groups: set[str]
    is_commended: bool

    @property
    def label(self) -> str:
        star = " ★" if self.is_commended else ""
        return f"{vn_date(self.deed_date)} — {self.title}{star}"


@dataclass
class DiaryYear:
    """What the diary shows for a member's year, for the self-assessment and the proposal."""

    entries_total: int
    entries_reviewed: int
    months_written: int
    months_signed: int
    commended: list[CitableEntry]  # entries the secretary commended (biểu dương)
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


def diary_year(member: User, unit: Unit, year: int, today: date | None = None) -> DiaryYear:
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
    return DiaryYear(
        entries_total=len(entries),
        entries_reviewed=sum(1 for e in entries if e.status is EntryStatus.REVIEWED),
        months_written=len({e.deed_date.month for e in entries}),
        months_signed=signed,
        commended=[c for c in citable if c.is_commended],
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
