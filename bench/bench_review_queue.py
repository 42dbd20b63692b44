"""Benchmark of the review queue: a branch of 50 members, each with a year of entries.

    .venv/bin/python bench/bench_review_queue.py [--members 50] [--requests 30]

Builds the branch in a temporary SQLite file, and in PostgreSQL when TEST_DATABASE_URL (default:
postgres on 127.0.0.1:5432, database test) answers — in a database of its own, created and
dropped around the run. Every member has an approved plan (some a new version waiting for
approval) and an entry about every third day for a year, by bulk inserts: old entries reviewed
(a few sent back for revision), recent ones half waiting for review, a few drafts. Then, in
process with Flask's test client, logged in as the secretary, it requests the queue
(GET /units/<id>/review) N times and /healthz as many, and prints the median and 95th
percentile of each with the number of SQL queries per request. Also the queue as the officer
over the branch and one member's month screen, for reference. Not part of `make test`.
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
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Lý", "Kim"]
MIDDLE = ["Văn", "Thị", "Thanh", "Quốc", "Ngọc", "Minh", "Mỹ", "Hoàng"]
GIVEN = ["An", "Bảo", "Chi", "Dũng", "Đạt", "Giang", "Hà", "Hải", "Hân", "Hoa", "Khánh", "Lan", "Linh"]
ACTIONS = [
    "Tắt điện, điều hòa, máy tính của phòng khi ra về; nhắc các bạn cùng làm.",
    "Hướng dẫn 2 đồng nghiệp dùng chữ ký số trên văn bản điện tử.",
    "Số hóa 46 văn bản đến trong tháng, gắn đúng hồ sơ công việc.",
    "Đọc và chia sẻ câu chuyện về Bác trong buổi sinh hoạt chi đoàn.",
]


def _unit(name: str, code: str, kind: UnitKind, parent=None):
    from app.units.models import Unit

    unit = Unit(code=code, name=name, kind=kind, org_type=kind.org_type, parent=parent, place="Sóc Trăng")
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def build_branch(members: int = 50, seed: int = 508) -> dict:
    """The branch with plans and a year of entries (bulk inserts); returns ids and counts."""
    from app.auth.models import User
    from app.auth.services import hash_password
    from app.journal.models import Entry, entry_commitments
    from app.plans.models import Commitment, Plan
    from app.standards.models import Standard
    from app.units.models import Membership

    rng = random.Random(seed)
    today = today_local()
    now = datetime.now(UTC)
    root = _unit("Đoàn Khối các Cơ quan tỉnh", "DK", UnitKind.SECTOR_UNION)
    grassroots = _unit("Đoàn cơ sở Sở Giáo dục", "DCS", UnitKind.GRASSROOTS_UNION, root)
    branch = _unit("Chi đoàn Văn phòng", "CD", UnitKind.BRANCH, grassroots)
    standards = {
        year: Standard(unit_id=root.id, year=year, group=ContentGroup.ETHICS, title="Cần, kiệm, liêm, chính")
        for year in {today.year, (today - timedelta(days=365)).year}
    }
    db.session.add_all(standards.values())

    password_hash = hash_password(PASSWORD)
    people = []
    for i in range(members):
        user = User(username=f"dv{i:03d}", password_hash=password_hash)
        user.set_name(f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)} {i}")
        role = Role.SECRETARY if i == 0 else Role.DEPUTY_SECRETARY if i == 1 else Role.MEMBER
        db.session.add(Membership(user=user, unit=branch, role=role))
        people.append(user)
    officer = User(username="canbo", password_hash=password_hash)
    officer.set_name("Lâm Thị Ngọc Hân")
    db.session.add(Membership(user=officer, unit=root, role=Role.OFFICER))
    db.session.flush()

    # Plans for both calendar years the entries span; every seventh member has a version 2 waiting.
    commitments: dict[tuple[int, int], list[int]] = {}
    plans = 0
    for i, user in enumerate(people):
        for year, standard in standards.items():
            plan = Plan(
                user_id=user.id,
                unit_id=branch.id,
                year=year,
                version=1,
                status=PlanStatus.APPROVED,
                created_by_id=user.id,
                created_at=datetime(year, 1, 3, tzinfo=UTC),
            )
            plan.commitments = [
                Commitment(
                    standard=standard,
                    action=f"Việc làm theo {k + 1}",
                    measure="Ghi nhật ký",
                    frequency=f,
                    sort_order=k,
                    is_breakthrough=k == 0,
                )
                for k, f in enumerate((Frequency.MONTHLY, Frequency.WEEKLY, Frequency.WEEKLY, Frequency.ONCE))
            ]
            db.session.add(plan)
            plans += 1
            db.session.flush()
            for c in plan.commitments:
                c.lineage_id = c.id
            commitments[(user.id, year)] = [c.id for c in plan.commitments]
            if year == today.year and i % 7 == 3:
                db.session.add(
                    Plan(
                        user_id=user.id,
                        unit_id=branch.id,
                        year=year,
                        version=2,
                        status=PlanStatus.SUBMITTED,
                        created_by_id=user.id,
                        submitted_at=now - timedelta(days=rng.randint(0, 9)),
                    )
                )
                plans += 1
    db.session.commit()

    # A year of entries, about one every three days each; ids are given so links go in bulk too.
    entry_id = (db.session.scalar(sa.select(sa.func.max(Entry.id))) or 0) + 1
    entries, links = [], []
    for user in people:
        day = today - timedelta(days=365)
        while day <= today:
            age = (today - day).days
            roll = rng.random()
            if roll < 0.04:
                status = EntryStatus.DRAFT
            elif age < 45:
                status = EntryStatus.SUBMITTED if roll < 0.55 else EntryStatus.REVIEWED
            else:
                status = EntryStatus.REVISION if roll < 0.07 else EntryStatus.REVIEWED
            written = datetime(day.year, day.month, day.day, 13, tzinfo=UTC) + timedelta(
                days=rng.choice((0, 0, 1))
            )
            written = min(written, now)
            reviewed = status is EntryStatus.REVIEWED
            entries.append(
                {
                    "id": entry_id,
                    "user_id": user.id,
                    "unit_id": branch.id,
                    "deed_date": day,
                    "place": "Văn phòng Sở",
                    "action": rng.choice(ACTIONS),
                    "result": "Hoàn thành",
                    "lesson": "Việc nhỏ làm đều",
                    "status": status,
                    "search_text": "",
                    "created_at": written,
                    "updated_at": written,
                    "lock_version": 1,
                    "is_exemplary": False,
                    "submitted_at": None if status is EntryStatus.DRAFT else written,
                    "reviewed_at": written if reviewed else None,
                    "reviewed_by_id": people[0].id if reviewed else None,
                    # Some waiting entries come back after a revision request.
                    "revision_requested_at": written
                    if status is EntryStatus.SUBMITTED and roll < 0.08
                    else None,
                }
            )
            for cid in rng.sample(commitments[(user.id, day.year)], rng.choice((1, 1, 2))):
                links.append({"entry_id": entry_id, "commitment_id": cid})
            entry_id += 1
            day += timedelta(days=rng.choice((2, 3, 4)))
    for start in range(0, len(entries), 2000):
        db.session.execute(sa.insert(Entry), entries[start : start + 2000])
    for start in range(0, len(links), 5000):
        db.session.execute(sa.insert(entry_commitments), links[start : start + 5000])
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT setval('entries_id_seq', (SELECT max(id) FROM entries))"))
    db.session.commit()
    # Fresh planner statistics, as a running database has them (autovacuum / ANALYZE).
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    waiting = sum(1 for e in entries if e["status"] is EntryStatus.SUBMITTED)
    member = people[2]
    return {
        "branch": branch.id,
        "secretary": people[0].username,
        "officer": officer.username,
        "member": member.id,
        "entries": len(entries),
        "waiting": waiting,
        "plans": plans,
    }


def _login(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"login": username, "password": PASSWORD})
    assert response.status_code == 302, f"could not log in as {username}"
    return client


def run(name: str, url: str, members: int, runs: int) -> dict[str, float]:
    from flask_migrate import upgrade

    with tempfile.TemporaryDirectory() as instance:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance})
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            info = build_branch(members)
            built = time.perf_counter() - started
            engine = db.engine
        today = today_local()
        secretary, officer = _login(app, info["secretary"]), _login(app, info["officer"])
        queue_url = f"/units/{info['branch']}/review"
        month_url = f"{queue_url}/{info['member']}/{today.year}/{today.month}"
        rows = [
            ("GET /units/<id>/review (bí thư)", *time_requests(secretary, queue_url, runs, engine)),
            ("GET /healthz", *time_requests(secretary, "/healthz", runs, engine)),
            ("GET /units/<id>/review (cán bộ cấp trên)", *time_requests(officer, queue_url, runs, engine)),
            (
                "GET …/review/<member>/<y>/<m> (màn hình tháng)",
                *time_requests(secretary, month_url, runs, engine),
            ),
        ]
        engine.dispose()
    print(
        f"\n{name}: {members} members, {info['entries']:,} entries ({info['waiting']:,} waiting for review), "
        f"{info['plans']} plans (built in {built:.1f} s)"
    )
    print(f"  {'request':<50} {'median':>9} {'p95':>9} {'queries':>8}")
    for label, times, queries in rows:
        print(f"  {label:<50} {statistics.median(times):>7.1f}ms {p95(times):>7.1f}ms {queries:>8}")
    return {label: statistics.median(times) for label, times, _ in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    print(
        f"Review queue benchmark: {args.requests} in-process requests each (after 3 warm-up), "
        f"Python {sys.version.split()[0]}, SQLAlchemy {sa.__version__}, {date.today().isoformat()}"
    )
    on_each_database(lambda name, url: run(name, url, args.members, args.requests))


if __name__ == "__main__":
    main()
