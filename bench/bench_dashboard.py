"""Benchmark of the branch dashboard: a branch of 50 members with a year of entries.

    .venv/bin/python bench/bench_dashboard.py [--members 50] [--requests 30]

Runs on a temporary SQLite file, and on PostgreSQL when TEST_DATABASE_URL (default: postgres on
127.0.0.1:5432, database test) answers: a database of its own is created and dropped around the
run, as tests/conftest.py does. The data goes in by bulk inserts; then the secretary's dashboard
and /healthz are requested in-process (Flask's test client, a fresh session per request), and
the median and 95th percentile of each are printed with the number of SQL queries per request.
Not part of `make test`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import on_each_database, p95, time_requests  # noqa: E402

from app import create_app  # noqa: E402
from app.core.db import db  # noqa: E402
from app.core.enums import ContentGroup, EntryStatus, Frequency, PlanStatus, Role, UnitKind  # noqa: E402
from app.core.filters import today_local  # noqa: E402

PASSWORD = "matkhau123"
FREQUENCIES = [
    Frequency.MONTHLY,
    Frequency.WEEKLY,
    Frequency.DAILY,
    Frequency.ONCE,
    Frequency.MONTHLY,
    Frequency.WEEKLY,
]
GIVEN = [
    "An",
    "Bảo",
    "Chi",
    "Dũng",
    "Đạt",
    "Giang",
    "Hà",
    "Hải",
    "Hân",
    "Hoa",
    "Khánh",
    "Lan",
    "Linh",
    "Minh",
]
FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Huỳnh",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Kim",
]
MIDDLE = ["Văn", "Thị", "Thanh", "Quốc", "Ngọc", "Minh", "Mỹ", "Hoàng"]


def build_branch(members: int = 50, seed: int = 3) -> dict:
    """The organisation, a branch of `members` people with plans, a year of entries (about two a
    week each, back to 365 days ago) and signed months; bulk inserts. Returns ids and counts."""
    from app.auth.models import User
    from app.auth.services import hash_password
    from app.journal.models import Entry, entry_commitments
    from app.plans.models import Commitment, Plan
    from app.review.models import MonthReview
    from app.standards.models import Standard
    from app.units.models import Membership, Unit

    rng = random.Random(seed)
    today = today_local()
    now = datetime.now(UTC)
    root = Unit(
        code="DK",
        name="Đoàn Khối các Cơ quan tỉnh",
        kind=UnitKind.SECTOR_UNION,
        org_type=UnitKind.SECTOR_UNION.org_type,
        place="Sóc Trăng",
    )
    db.session.add(root)
    db.session.flush()
    root.path = f"/{root.id}/"
    grassroots = Unit(
        code="DCS",
        name="Đoàn cơ sở Sở Giáo dục",
        kind=UnitKind.GRASSROOTS_UNION,
        org_type=UnitKind.GRASSROOTS_UNION.org_type,
        parent=root,
        place="Sóc Trăng",
    )
    db.session.add(grassroots)
    db.session.flush()
    grassroots.path = f"{root.path}{grassroots.id}/"
    branch = Unit(
        code="CD",
        name="Chi đoàn Văn phòng",
        kind=UnitKind.BRANCH,
        org_type=UnitKind.BRANCH.org_type,
        parent=grassroots,
        place="Sóc Trăng",
    )
    db.session.add(branch)
    db.session.flush()
    branch.path = f"{grassroots.path}{branch.id}/"
    standard = Standard(
        unit_id=root.id, year=today.year, group=ContentGroup.ETHICS, title="Cần, kiệm, liêm, chính"
    )
    db.session.add(standard)

    password_hash = hash_password(PASSWORD)
    people = []
    for i in range(members):
        user = User(username=f"dv{i:03d}", password_hash=password_hash, created_at=now - timedelta(days=400))
        user.set_name(f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}")
        role = Role.SECRETARY if i == 0 else Role.DEPUTY_SECRETARY if i == 1 else Role.MEMBER
        db.session.add(Membership(user=user, unit=branch, role=role, created_at=now - timedelta(days=400)))
        people.append(user)
    officer = User(username="canbo", password_hash=password_hash)
    officer.set_name("Lâm Thị Ngọc Hân")
    db.session.add(Membership(user=officer, unit=root, role=Role.OFFICER))
    db.session.flush()

    # Plans: most approved, a few revised (version 2 waiting), some drafts, some none at all.
    commitment_ids: dict[int, list[int]] = {}
    for i, user in enumerate(people):
        if i % 10 == 9:
            continue  # no plan
        status = PlanStatus.DRAFT if i % 10 == 8 else PlanStatus.APPROVED
        plan = Plan(
            user_id=user.id,
            unit_id=branch.id,
            year=today.year,
            version=1,
            status=status,
            shortcomings="Còn ngại phát biểu",
            created_by_id=user.id,
            created_at=datetime(today.year, 1, 3, tzinfo=UTC),
        )
        plan.commitments = [
            Commitment(
                standard=standard,
                action=f"Việc làm theo {k + 1}",
                measure="Ghi nhật ký",
                frequency=f,
                deadline=date(today.year, 12, 31),
                sort_order=k,
                is_breakthrough=k == 0,
            )
            for k, f in enumerate(FREQUENCIES)
        ]
        db.session.add(plan)
        db.session.flush()
        for c in plan.commitments:
            c.lineage_id = c.id
        commitment_ids[user.id] = [c.id for c in plan.commitments]
        if i % 7 == 3:
            revision = Plan(
                user_id=user.id,
                unit_id=branch.id,
                year=today.year,
                version=2,
                status=PlanStatus.SUBMITTED,
                shortcomings="Còn ngại phát biểu",
                created_by_id=user.id,
            )
            db.session.add(revision)
    db.session.commit()

    # A year of entries, in bulk: ids are given so the links to commitments go in bulk too.
    first_id = (db.session.scalar(sa.select(sa.func.max(Entry.id))) or 0) + 1
    entries, links, written = [], [], set()
    entry_id = first_id
    for i, user in enumerate(people):
        silent_for = 0 if i % 6 else rng.randint(15, 60)  # some members have stopped writing
        day = today - timedelta(days=365)
        while day <= today - timedelta(days=silent_for):
            age = (today - day).days
            status = (
                EntryStatus.SUBMITTED
                if age < 20
                else (EntryStatus.REVISION if rng.random() < 0.03 else EntryStatus.REVIEWED)
            )
            if rng.random() < 0.05:
                status = EntryStatus.DRAFT
            created = datetime(day.year, day.month, day.day, 13, tzinfo=UTC)
            entries.append(
                {
                    "id": entry_id,
                    "user_id": user.id,
                    "unit_id": branch.id,
                    "deed_date": day,
                    "place": "Văn phòng",
                    "action": "Tắt điện, điều hòa khi ra về; in hai mặt.",
                    "result": "Tiết kiệm",
                    "lesson": "Việc nhỏ làm đều",
                    "status": status,
                    "search_text": "tat dien dieu hoa",
                    "created_at": created,
                    "updated_at": created,
                    "submitted_at": created if status is not EntryStatus.DRAFT else None,
                    "lock_version": 1,
                    "is_exemplary": False,
                }
            )
            ids = commitment_ids.get(user.id)
            if ids and day.year == today.year:
                for cid in rng.sample(ids, rng.choice((1, 1, 2))):
                    links.append({"entry_id": entry_id, "commitment_id": cid})
            if status is not EntryStatus.DRAFT:
                written.add((user.id, day.year, day.month))
            entry_id += 1
            day += timedelta(days=rng.choice((2, 3, 4, 5)))
    for chunk in range(0, len(entries), 2000):
        db.session.execute(sa.insert(Entry), entries[chunk : chunk + 2000])
    for chunk in range(0, len(links), 5000):
        db.session.execute(sa.insert(entry_commitments), links[chunk : chunk + 5000])
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT setval('entries_id_seq', (SELECT max(id) FROM entries))"))

    # Past months signed off, except a few the secretary has not got to.
    reviews = []
    for user_id, year, month in sorted(written):
        if (year, month) < (today.year, today.month) and rng.random() < 0.85:
            reviews.append(
                {
                    "user_id": user_id,
                    "unit_id": branch.id,
                    "year": year,
                    "month": month,
                    "comment": "Tốt",
                    "signed_at": now,
                    "signed_by_id": people[0].id,
                    "lock_version": 1,
                }
            )
    if reviews:
        db.session.execute(sa.insert(MonthReview), reviews)
    db.session.commit()
    # Fresh planner statistics, as autovacuum (PostgreSQL) keeps them in a running database; right
    # after a bulk load the planner would otherwise guess a handful of rows and nest loops.
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    return {
        "branch": branch.id,
        "secretary": people[0].username,
        "officer": officer.username,
        "entries": len(entries),
        "links": len(links),
        "reviews": len(reviews),
    }


def run(name: str, url: str, members: int, runs: int) -> None:
    from flask_migrate import upgrade

    with tempfile.TemporaryDirectory() as instance:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance})
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            info = build_branch(members)
            built = time.perf_counter() - started
            engine = db.engine
        client = app.test_client()
        response = client.post("/login", data={"login": info["secretary"], "password": PASSWORD})
        assert response.status_code == 302, "could not log in"
        # No app context is held here: each request gets its own, and its own database session.
        dashboard, dashboard_queries = time_requests(
            client, f"/units/{info['branch']}/dashboard", runs, engine
        )
        health, health_queries = time_requests(client, "/healthz", runs, engine)
        other = f"/units/{info['branch']}/dashboard?year={today_local().year}&month=1&sort=last"
        january, january_queries = time_requests(client, other, runs, engine)
        engine.dispose()
    print(
        f"\n{name}: {members} members, {info['entries']:,} entries, {info['links']:,} entry–commitment links, "
        f"{info['reviews']:,} signed months (built in {built:.1f} s)"
    )
    print(f"  {'request':<40} {'median':>9} {'p95':>9} {'queries':>8}")
    print(
        f"  {'GET /units/<id>/dashboard':<40} {statistics.median(dashboard):>7.1f}ms {p95(dashboard):>7.1f}ms "
        f"{dashboard_queries:>8}"
    )
    print(
        f"  {'GET /units/<id>/dashboard?month=1&sort=last':<40} {statistics.median(january):>7.1f}ms "
        f"{p95(january):>7.1f}ms {january_queries:>8}"
    )
    print(
        f"  {'GET /healthz':<40} {statistics.median(health):>7.1f}ms {p95(health):>7.1f}ms {health_queries:>8}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    print(
        f"Branch dashboard benchmark: {args.requests} in-process requests each (after 3 warm-up), "
        f"Python {sys.version.split()[0]}, SQLAlchemy {sa.__version__}"
    )

    on_each_database(lambda name, url: run(name, url, args.members, args.requests))


if __name__ == "__main__":
    main()
