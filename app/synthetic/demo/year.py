"""The demo's year of diary life for everybody, built by the generator (app.synthetic.build).

The demo organisation (app.synthetic.demo.seed) has its units and people; the hand-written tour gives
`doanvien` and `bithu` this year's plan and diary (app.synthetic.demo.diary). Everybody else — and those
two for last year — gets what app.synthetic.build builds for a province, at the demo's size: an
approved plan for each calendar year of the last twelve months, entries in every state (drafts,
waiting, reviewed, sent back, sent back and completed, commended), comments and replies, most
months signed off with their real SHA-256, a few members silent for weeks, a revised plan
waiting now and then, and last year's grading round ratified in every chi đoàn and chi bộ
(app.synthetic.ratings). Deterministic for a given day; a few seconds on SQLite.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.auth.models import User
from app.core.db import db
from app.core.enums import EntryStatus, OrgType, Role
from app.synthetic.build import Builder
from app.synthetic.presets import DEMO
from app.synthetic.records import Diary, SyntheticOrg, local_at
from app.units.models import Membership, Unit

SEED = 2013


class DemoYear(Builder):
    """The generator's steps over the demo's own units and people."""

    def __init__(self, accounts: dict[str, User], tour: set[tuple[int, int]], today: date, now: datetime):
        super().__init__(DEMO, SEED, today, now)
        self.accounts = accounts
        self.tour = tour  # (user, unit) whose diary of this year the hand-written tour writes
        self.sink._indexes, self.sink._foreign_keys = [], []  # a few thousand rows: keep the indexes

    def units(self) -> None:
        units = db.session.scalars(select_units()).all()
        officer = self.accounts["canbo"].id
        for unit in units:
            self.org.unit_names[unit.id] = unit.name
            if unit.parent_id is None:
                if unit.org_type is OrgType.PARTY:
                    self.org.party_id = unit.id
                else:
                    self.org.root_id = unit.id
            elif unit.kind.is_branch:
                (self.org.cell_ids if unit.org_type is OrgType.PARTY else self.org.branch_ids).append(unit.id)
                # canbo sits on the Đoàn Khối and the Đảng ủy: reviews the secretaries, ratifies.
                self.org.officers_above[unit.id] = [officer]
        self.org.first_branch_id = self.org.branch_ids[0]
        self.cells = list(self.org.cell_ids)

    def people(self) -> None:
        """A diary for every member of every chi đoàn and chi bộ, in the seeder's order."""
        joined = min(date(self.today.year - 2, 12, 1), self.today - timedelta(days=400))
        self.diaries = []
        for unit_id in self.org.branch_ids + self.org.cell_ids:
            unit = db.session.get(Unit, unit_id)
            rng = random.Random(f"{SEED}:demo:{unit.code}")
            members = sorted((m for m in unit.memberships if m.role is not Role.OFFICER), key=lambda m: m.id)
            managers = [m.user_id for m in members if m.role.manages_branch]
            party = unit.id in self.org.cell_ids
            # One or two members of each unit went silent some weeks ago (the dashboards show them).
            silent = set(rng.sample(range(3, len(members)), min(2, max(0, len(members) - 3))))
            silent = set(sorted(silent)[: 1 if party else 2])
            for i, membership in enumerate(members):
                user = membership.user
                diary = Diary(
                    user.id,
                    user.full_name,
                    unit.id,
                    membership.role,
                    joined,
                    random.Random(f"{SEED}:demo:{unit.code}:{i}"),
                    self.p.party_rate if party else rng.choice(self.p.rates),
                )
                if (user.id, unit.id) in self.tour:
                    diary.written_elsewhere = frozenset({self.today.year})
                elif i in silent:
                    diary.silent_from = self.today - timedelta(days=rng.randint(18, 45))
                if membership.role.manages_branch:
                    diary.reviewer_id, diary.notify_ids = (
                        self.accounts["canbo"].id,
                        [self.accounts["canbo"].id],
                    )
                else:
                    diary.reviewer_id = managers[0] if managers else self.accounts["canbo"].id
                    diary.notify_ids = managers or [diary.reviewer_id]
                self.diaries.append(diary)
        self.org.diaries = self.diaries
        # Everybody has been a member since before the diary's year began (not since the seed ran).
        since = local_at(joined, 9)
        db.session.execute(sa.update(Membership).values(created_at=since))
        db.session.execute(sa.update(User).values(created_at=since))
        db.session.expire_all()

    def settle_the_queue(self) -> None:
        """The demo's secretaries review every month: what still waits is from the last five weeks
        (the generator leaves a few entries of last spring waiting, as a lax branch would)."""
        entries = db.metadata.tables["entries"]
        cutoff = self.today - timedelta(days=35)
        diaries = {(d.user_id, d.unit_id): d for d in self.diaries}
        rows = db.session.execute(
            sa.select(
                entries.c.id,
                entries.c.user_id,
                entries.c.unit_id,
                entries.c.deed_date,
                entries.c.submitted_at,
            ).where(entries.c.status == EntryStatus.SUBMITTED.value, entries.c.deed_date < cutoff)
        ).all()
        for entry_id, user_id, unit_id, deed, submitted in rows:
            diary = diaries.get((user_id, unit_id))
            if isinstance(deed, str):
                deed = date.fromisoformat(deed)
            # The tour's own months (app.synthetic.demo.diary) stay as the tour left them.
            if diary is None or submitted is None or deed.year in diary.written_elsewhere:
                continue
            if isinstance(submitted, str):  # SQLite hands back the stored text
                submitted = datetime.fromisoformat(submitted)
            db.session.execute(
                sa.update(entries)
                .where(entries.c.id == entry_id)
                .values(
                    status=EntryStatus.REVIEWED.value,
                    reviewed_at=submitted + timedelta(days=3),
                    reviewed_by_id=diary.reviewer_id,
                )
            )


def select_units():
    return sa.select(Unit).order_by(Unit.id)


def seed_demo_year(
    accounts: dict[str, User], tour: set[tuple[int, int]], today: date, now: datetime
) -> SyntheticOrg:
    """Build the year (see the module docstring) in the demo's open transaction; returns what it built."""
    from app.synthetic.ratings import seed_ratings

    db.session.flush()
    builder = DemoYear(accounts, tour, today, now)
    for step in ("units", "people", "standards", "plans", "diary_year", "settle_the_queue"):
        getattr(builder, step)()
    builder.org.counts["ratings"] = seed_ratings(builder.org)
    builder.sink.finish()  # PostgreSQL: the sequences past the ids given here
    db.session.expire_all()
    builder.org.counts.update(builder.sink.counts)
    return builder.org
