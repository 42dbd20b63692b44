"""Reports for upper units: a dashboard over a unit's subtree and commendations (diary reads: app.audit.reads).

The dashboard's figures are app.reports.figures' (the period they cover: app.reports.period),
the commendations app.reports.commendations'; their names are importable from here, where the
routes, the exports and the annual report find them. Left here: the units a person reports on.
"""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User
from app.core.db import db
from app.core.enums import Role
from app.core.text import fold
from app.reports.commendations import (  # noqa: F401  (the names callers import from here)
    COMMENDATION_LIMIT,
    EXPORT_LIMIT,
    Commendation,
    Commendations,
    CommendedMember,
    GoldenBook,
    commendations,
    scope_choices,
    unit_in_subtree,
)
from app.reports.figures import (  # noqa: F401
    BRANCH_KINDS,
    Figures,
    MonthRow,
    RatingCount,
    RatingLevel,
    Report,
    UnitRow,
    build_report,
    rating_distribution,
    subtree_branch_ids,
)
from app.reports.period import PERIOD_CHOICES, ROMAN, Period, parse_period, report_years  # noqa: F401
from app.units.models import Unit

# ---- the units a person may report on ----------------------------------------------------------


def report_units(user: User) -> list[Unit]:
    """The units whose reports the user opens from the navigation: the units they are an officer
    of, the branches they lead, and for an administrator the top units; by name."""
    if user.is_admin:
        found = list(db.session.scalars(select(Unit).where(Unit.parent_id.is_(None))))
    else:
        found = [
            m.unit
            for m in user.memberships
            if m.role is Role.OFFICER or (m.role.manages_branch and m.unit.kind.is_branch)
        ]
        # An officer of a unit and of one under it: the upper one covers both.
        found = [u for u in found if not any(o.id != u.id and u.is_within(o) for o in found)]
    return sorted({u.id: u for u in found}.values(), key=lambda u: (u.depth, fold(u.name)))
