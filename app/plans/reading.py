"""Reading plans: a member's versions, the standards a plan may cite, what changed between two
versions, and the secretary's overview of a branch. Nothing here writes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import contains_eager, lazyload

from app.auth.models import User
from app.core.collation import people_order
from app.core.db import db
from app.core.enums import ContentGroup, PlanStatus, Role
from app.core.filters import today_local
from app.plans.models import Commitment, Plan
from app.standards.models import Standard
from app.units.models import Membership, Unit

# ---- reading ------------------------------------------------------------------------------------


def versions_query(user_id: int, unit_id: int, year: int):
    return select(Plan).where(Plan.user_id == user_id, Plan.unit_id == unit_id, Plan.year == year)


def current_plan(user: User, unit: Unit, year: int) -> Plan | None:
    """The member's newest plan version for the year in the branch (whatever its status)."""
    return db.session.scalar(versions_query(user.id, unit.id, year).order_by(Plan.version.desc()).limit(1))


def plan_in_force(user: User, unit: Unit, year: int) -> Plan | None:
    """The approved version the member's diary follows now, or None."""
    return db.session.scalar(
        versions_query(user.id, unit.id, year)
        .where(Plan.status == PlanStatus.APPROVED)
        .order_by(Plan.version.desc())
        .limit(1)
    )


def plan_versions(plan: Plan) -> list[Plan]:
    """Every version of the plan's member, branch and year, oldest first."""
    return list(
        db.session.scalars(versions_query(plan.user_id, plan.unit_id, plan.year).order_by(Plan.version))
    )


def plan_years() -> list[int]:
    """Years a plan may be started for: last year (late plans), this year, next year (planning ahead)."""
    year = today_local().year
    return [year - 1, year, year + 1]


def _group_index(group: ContentGroup) -> int:
    return list(ContentGroup).index(group)


def applicable_standards(unit: Unit, year: int) -> list[Standard]:
    """Active standards of the branch and the units above it for the year, by group and order."""
    rows = db.session.scalars(
        select(Standard).where(
            Standard.unit_id.in_(unit.ancestor_ids), Standard.year == year, Standard.is_active.is_(True)
        )
    ).all()
    return sorted(rows, key=lambda s: (_group_index(s.group), len(s.unit.path), s.sort_order, s.id))


def plan_standards(plan: Plan) -> list[Standard]:
    """The standards this plan's commitments may be tied to."""
    return applicable_standards(plan.unit, plan.year)


def group_standards(standards: list[Standard]) -> list[tuple[str, list[Standard]]]:
    """Standards under their content group's label, in the groups' order (for a <select>)."""
    groups: dict[ContentGroup, list[Standard]] = {}
    for s in standards:
        groups.setdefault(s.group, []).append(s)
    return [(g.label, groups[g]) for g in ContentGroup if g in groups]


def grouped_commitments(plan: Plan) -> list[tuple[str, list[Commitment]]]:
    """The plan's commitments (not the breakthrough item) by content group, in the groups' order."""
    groups: dict[ContentGroup | None, list[Commitment]] = {}
    for c in plan.commitments:
        if not c.is_breakthrough:
            groups.setdefault(c.standard.group if c.standard else None, []).append(c)
    ordered = [(g.label, groups[g]) for g in ContentGroup if g in groups]
    if None in groups:
        ordered.append(("Chưa gắn chuẩn mực", groups[None]))
    return ordered


# ---- what changed between two versions --------------------------------------------------------

_COMPARED = (
    ("standard_id", "chuẩn mực"),
    ("action", "việc làm"),
    ("measure", "cách kiểm tra"),
    ("frequency", "tần suất"),
    ("deadline", "thời hạn"),
    ("is_breakthrough", "nội dung đột phá"),
)


@dataclass
class CommitmentChange:
    """One commitment across two versions: added, removed, changed (which fields) or unchanged."""

    kind: str
    old: Commitment | None
    new: Commitment | None
    fields: list[str] = field(default_factory=list)

    @property
    def commitment(self) -> Commitment:
        return self.new or self.old  # type: ignore[return-value]

    @property
    def label(self) -> str:
        return {"added": "Thêm mới", "removed": "Bỏ", "changed": "Sửa", "unchanged": "Giữ nguyên"}[self.kind]


@dataclass
class PlanDiff:
    older: Plan
    newer: Plan
    shortcomings_changed: bool
    changes: list[CommitmentChange]

    @property
    def has_changes(self) -> bool:
        return self.shortcomings_changed or any(c.kind != "unchanged" for c in self.changes)

    @property
    def visible_changes(self) -> list[CommitmentChange]:
        return [c for c in self.changes if c.kind != "unchanged"]

    @property
    def unchanged_count(self) -> int:
        return sum(1 for c in self.changes if c.kind == "unchanged")


def compare_versions(older: Plan, newer: Plan) -> PlanDiff:
    """What changed from `older` to `newer`, per commitment (matched by lineage)."""
    remaining = {c.lineage_id or c.id: c for c in older.commitments}
    changes: list[CommitmentChange] = []
    for c in newer.commitments:
        old = remaining.pop(c.lineage_id or c.id, None)
        if old is None:
            changes.append(CommitmentChange("added", None, c))
            continue
        fields = [label for name, label in _COMPARED if getattr(old, name) != getattr(c, name)]
        changes.append(CommitmentChange("changed" if fields else "unchanged", old, c, fields))
    changes.extend(CommitmentChange("removed", c, None) for c in remaining.values())
    return PlanDiff(older, newer, older.shortcomings != newer.shortcomings, changes)


# ---- the secretary's overview ---------------------------------------------------------------


@dataclass
class OverviewRow:
    membership: Membership
    plan: Plan | None  # the newest version
    in_force_version: int | None  # the approved version, if any

    @property
    def user(self) -> User:
        return self.membership.user

    @property
    def status_key(self) -> str:
        return self.plan.status.value if self.plan else "none"


@dataclass
class BranchOverview:
    unit: Unit
    year: int
    rows: list[OverviewRow]
    counts: Counter

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def in_force(self) -> int:
        return sum(1 for r in self.rows if r.in_force_version is not None)


_ROLE_ORDER = case(
    (Membership.role == Role.SECRETARY, 0), (Membership.role == Role.DEPUTY_SECRETARY, 1), else_=2
)


def branch_plan_overview(unit: Unit, year: int) -> BranchOverview:
    """Every member of the branch with their newest plan version and the version in force.

    Two queries whatever the branch's size (the rows, then the members' roles in one batch, so
    templates may ask permissions about each row). The caller checks the viewer may see them.
    """
    scope = (Plan.unit_id == unit.id, Plan.year == year)
    newest = (
        select(Plan.user_id, func.max(Plan.version).label("version"))
        .where(*scope)
        .group_by(Plan.user_id)
        .subquery()
    )
    approved = (
        select(Plan.user_id, func.max(Plan.version).label("version"))
        .where(*scope, Plan.status == PlanStatus.APPROVED)
        .group_by(Plan.user_id)
        .subquery()
    )
    stmt = (
        select(Membership, Plan, approved.c.version)
        .join(Membership.user)
        .outerjoin(newest, newest.c.user_id == Membership.user_id)
        .outerjoin(
            Plan,
            and_(Plan.user_id == Membership.user_id, *scope, Plan.version == newest.c.version),
        )
        .outerjoin(approved, approved.c.user_id == Membership.user_id)
        .where(Membership.unit_id == unit.id, Membership.role != Role.OFFICER)
        .order_by(_ROLE_ORDER, *people_order())
        .options(
            contains_eager(Membership.user).selectinload(User.memberships),
            lazyload(Plan.commitments),
            lazyload(Plan.user),
            lazyload(Plan.unit),
        )
    )
    rows = [OverviewRow(m, p, v) for m, p, v in db.session.execute(stmt).unique().all()]
    counts = Counter(r.status_key for r in rows)
    return BranchOverview(unit, year, rows, counts)
