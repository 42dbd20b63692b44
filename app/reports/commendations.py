"""Commendations across a subtree: the exemplary entries (biểu dương), the members who wrote them,
the text to copy into a report, and each branch's sổ vàng; and the units to filter them by."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import exists, func, select

from app.auth.models import User
from app.core.collation import name_sort_key
from app.core.db import db
from app.core.enums import ContentGroup, EntryStatus
from app.core.filters import vn_date
from app.core.text import fold, shorten
from app.journal.models import Entry, entry_commitments
from app.plans.models import Commitment
from app.reports.definitions import exemplary_condition
from app.reports.figures import subtree_branch_ids
from app.standards.models import Standard
from app.units.models import Unit


@dataclass
class Commendation:
    """An exemplary entry, as plain columns (a list of many is one query)."""

    entry_id: int
    user_id: int
    unit_id: int
    full_name: str
    position: str | None
    unit_name: str
    deed_date: date
    action: str
    result: str
    note: str | None
    exemplary_at: datetime | None
    groups: list[ContentGroup] = field(default_factory=list)

    @property
    def title(self) -> str:
        first = self.action.strip().splitlines()[0] if self.action.strip() else "(chưa có nội dung)"
        return shorten(first, 160)


@dataclass
class CommendedMember:
    user_id: int
    unit_id: int
    full_name: str
    position: str | None
    unit_name: str
    items: list[Commendation] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items)


@dataclass
class GoldenBook:
    """A branch's sổ vàng: how many deeds were commended there in the year."""

    unit_id: int
    name: str
    count: int


@dataclass
class Commendations:
    unit: Unit
    year: int
    month: int | None
    scope: Unit
    group: ContentGroup | None
    items: list[Commendation]
    total: int
    books: list[GoldenBook]
    people: int = 0  # members commended (all of them, not only those shown)

    @property
    def members(self) -> list[CommendedMember]:
        """Commended members, most commended first, then by name."""
        people: dict[tuple[int, int], CommendedMember] = {}
        for item in self.items:
            key = (item.user_id, item.unit_id)
            if key not in people:
                people[key] = CommendedMember(
                    item.user_id, item.unit_id, item.full_name, item.position, item.unit_name
                )
            people[key].items.append(item)
        return sorted(people.values(), key=lambda m: (-m.count, _name_key(m.full_name), m.user_id))

    @property
    def truncated(self) -> bool:
        return self.total > len(self.items)

    def report_text(self) -> str:
        """The list as a report writes it (điển hình tiên tiến), one paragraph per member."""
        lines = []
        for m in self.members:
            who = m.full_name + (f" – {m.position}" if m.position else "") + f", {m.unit_name}"
            deeds = "; ".join(f"“{i.title.rstrip('.;, ')}” (ngày {vn_date(i.deed_date)})" for i in m.items)
            lines.append(f"- {who} với việc làm theo lời Bác: {deeds};")
        if lines:
            lines[-1] = lines[-1][:-1] + "."
        return "\n".join(lines)


def _name_key(full_name: str) -> str:
    """Vietnamese lists go by given name, then middle and family name (app.core.collation)."""
    return name_sort_key(full_name)


COMMENDATION_LIMIT = 200  # on the page; the Excel file has them all (EXPORT_LIMIT)
EXPORT_LIMIT = 20_000


def commendations(
    unit: Unit,
    year: int,
    month: int | None = None,
    scope: Unit | None = None,
    group: ContentGroup | None = None,
    limit: int = COMMENDATION_LIMIT,
) -> Commendations:
    """Exemplary entries of the year (and month) in the subtree of `scope` (a unit under `unit`,
    `unit` by default), serving a commitment of content group `group` if given; newest deed first.
    Four queries: the counts, the entries with names, their content groups, the sổ vàng per branch."""
    scope = scope or unit
    first = date(year, month or 1, 1)
    last = date(year, month or 12, calendar.monthrange(year, month or 12)[1])
    conditions = [
        exemplary_condition(),
        Entry.status.in_(EntryStatus.in_diary()),
        Entry.deed_date >= first,
        Entry.deed_date <= last,
        Entry.unit_id.in_(subtree_branch_ids(scope)),
    ]
    if group is not None:
        conditions.append(
            exists()
            .where(entry_commitments.c.entry_id == Entry.id)
            .where(Commitment.id == entry_commitments.c.commitment_id)
            .where(Standard.id == Commitment.standard_id)
            .where(Standard.group == group)
        )
    total, people = db.session.execute(
        select(func.count(), func.count(func.distinct(Entry.user_id))).select_from(Entry).where(*conditions)
    ).one()
    rows = db.session.execute(
        select(
            Entry.id,
            Entry.user_id,
            Entry.unit_id,
            User.full_name,
            User.position,
            Unit.name,
            Entry.deed_date,
            Entry.action,
            Entry.result,
            Entry.exemplary_note,
            Entry.exemplary_at,
        )
        .join(User, User.id == Entry.user_id)
        .join(Unit, Unit.id == Entry.unit_id)
        # The ids first, by themselves: so shaped, SQLite (without statistics) reads the small
        # index of commended entries rather than walking an index of every entry.
        .where(Entry.id.in_(select(Entry.id).where(*conditions)))
        .order_by(Entry.deed_date.desc(), Entry.id.desc())
        .limit(limit)
    ).all()
    items = [Commendation(*row) for row in rows]
    if items:
        by_id = {i.entry_id: i for i in items}
        for entry_id, content_group in db.session.execute(
            select(entry_commitments.c.entry_id, Standard.group)
            .join(Commitment, Commitment.id == entry_commitments.c.commitment_id)
            .join(Standard, Standard.id == Commitment.standard_id)
            .where(entry_commitments.c.entry_id.in_(list(by_id)))
            .distinct()
        ):
            if content_group not in by_id[entry_id].groups:
                by_id[entry_id].groups.append(content_group)
        order = list(ContentGroup)
        for item in items:
            item.groups.sort(key=order.index)
    books = [
        GoldenBook(unit_id, name, count)
        for unit_id, name, count in db.session.execute(
            select(Unit.id, Unit.name, func.count(Entry.id))
            .join(Entry, Entry.unit_id == Unit.id)
            .where(
                Unit.id.in_(subtree_branch_ids(scope)),
                exemplary_condition(),
                Entry.status.in_(EntryStatus.in_diary()),
                Entry.deed_date >= date(year, 1, 1),
                Entry.deed_date <= date(year, 12, 31),
            )
            .group_by(Unit.id, Unit.name)
        )
    ]
    books.sort(key=lambda b: (-b.count, fold(b.name)))
    return Commendations(unit, year, month, scope, group, items, total or 0, books, people or 0)


def scope_choices(unit: Unit, limit: int = 1000) -> list[tuple[int, str]]:
    """The units under `unit` to filter by, in tree order, indented by depth (one query)."""
    rows = db.session.execute(
        select(Unit.id, Unit.name, Unit.path)
        .where(Unit.path.startswith(unit.path, autoescape=True))
        .order_by(Unit.path)
        .limit(limit)
    ).all()
    base = unit.path.count("/")
    by_path = sorted(rows, key=lambda r: [fold(p) for p in _names_path(r.path, rows)])
    return [(r.id, "\u2003" * (r.path.count("/") - base) + r.name) for r in by_path]


def _names_path(path: str, rows) -> list[str]:
    """The names from the top of the list down to the unit, for sorting a tree by name."""
    names = {str(r.id): r.name for r in rows}
    return [names.get(part, part) for part in path.strip("/").split("/")]


def unit_in_subtree(unit: Unit, unit_id: int | None) -> Unit | None:
    """A unit under `unit` (or itself) by id; None when it is not there."""
    if not unit_id:
        return None
    return db.session.scalar(
        select(Unit).where(Unit.id == unit_id, Unit.path.startswith(unit.path, autoescape=True))
    )
