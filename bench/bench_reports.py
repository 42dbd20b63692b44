"""Benchmark of the upper-unit reports (issue 7): the Đoàn Khối dashboard over ≈3,000 members with a
year of entries.

    .venv/bin/python bench/bench_reports.py [--size province|quick] [--requests 20] [--database URL]

The organisation is app.synthetic's (`flask seed-bench`): `province` is a Đoàn Khối of ≈100 chi
đoàn, ≈3,000 members and ≈1 million entries over the last 365 days, bulk-inserted. It is built on
a temporary SQLite file and on a throwaway PostgreSQL database (when TEST_DATABASE_URL answers),
or, with --database, an existing database already holding it is used as it is.

Then, in-process (Flask's test client, a fresh session per request), logged in as `canbo`:
1. the first dashboard request, which builds the member-month figures from the entries (bulk
   inserts bypass the app, so nothing was counted yet; `flask reports-rebuild` does the same);
2. the dashboard and the other report pages, each requested repeatedly: median, 95th percentile
   and SQL queries of one request;
3. the dashboard after members' activity: entries reviewed, commended and written through the ORM
   (as the app's services do) since the last view, so the request first recomputes those
   member-months.
Not part of `make test`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import on_each_database, p95, time_requests  # noqa: E402

from app import create_app  # noqa: E402
from app.core.db import db, utcnow  # noqa: E402
from app.core.enums import EntryStatus, UnitKind  # noqa: E402
from app.core.filters import today_local  # noqa: E402

TARGET_MS = 300


def _timed_get(client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def _activity(changes: int, seed: int = 5) -> int:
    """Members' work since the last view, through the ORM: waiting entries reviewed (a few sent
    back or commended), and new entries written today. Returns the entries touched."""
    from app.journal.models import Entry

    rng = random.Random(seed)
    waiting = db.session.scalars(
        sa.select(Entry).where(Entry.status == EntryStatus.SUBMITTED).order_by(Entry.id).limit(changes * 3)
    ).all()
    touched = 0
    now = utcnow()
    for entry in rng.sample(list(waiting), min(changes, len(waiting))):
        if rng.random() < 0.1:
            entry.status, entry.revision_requested_at = EntryStatus.REVISION, now
        else:
            entry.status, entry.reviewed_at = EntryStatus.REVIEWED, now
            if rng.random() < 0.05:
                entry.is_exemplary, entry.exemplary_at = True, now
        touched += 1
    for entry in rng.sample(list(waiting), min(changes // 4, len(waiting))):
        db.session.add(
            Entry(
                user_id=entry.user_id,
                unit_id=entry.unit_id,
                deed_date=today_local(),
                action="Bài mới",
                status=EntryStatus.SUBMITTED,
                search_text="bai moi",
                submitted_at=now,
            )
        )
        touched += 1
    db.session.commit()
    return touched


def run(name: str, url: str, size: str, runs: int, reuse: bool) -> None:
    from flask_migrate import upgrade

    from app.synthetic.build import build, has_data
    from app.synthetic.presets import PASSWORD
    from app.units.models import Unit

    with tempfile.TemporaryDirectory() as instance:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance})
        with app.app_context():
            upgrade()
            built = 0.0
            if not (reuse and has_data()):
                started = time.perf_counter()
                build(size)
                built = time.perf_counter() - started
            root = db.session.scalar(
                sa.select(Unit)
                .where(Unit.parent_id.is_(None), Unit.kind == UnitKind.SECTOR_UNION)
                .order_by(Unit.id)
            )
            grassroots = db.session.scalar(sa.select(Unit).where(Unit.parent_id == root.id).order_by(Unit.id))
            entries = db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("entries")))
            engine = db.engine
        client = app.test_client()
        assert client.post("/login", data={"login": "canbo", "password": PASSWORD}).status_code == 302
        dashboard = f"/units/{root.id}/reports"
        first = _timed_get(client, dashboard)
        month = today_local().month
        pages = [
            ("GET /units/<Đoàn Khối>/reports (cả năm)", dashboard),
            (f"GET /units/<Đoàn Khối>/reports?period=m{month}", f"{dashboard}?period=m{month}"),
            ("GET /units/<Đoàn cơ sở>/reports", f"/units/{grassroots.id}/reports"),
            ("GET /units/<Đoàn Khối>/reports/commendations", f"{dashboard}/commendations"),
            ("GET …/reports/export/all.xlsx", f"{dashboard}/export/all.xlsx"),
            ("GET /healthz", "/healthz"),
        ]
        results = [(label, *time_requests(client, path, runs, engine)) for label, path in pages]
        with app.app_context():
            touched = _activity(400)
        after_activity = _timed_get(client, dashboard)
        with app.app_context():
            members = db.session.scalar(sa.text("SELECT count(*) FROM report_member_months"))
        engine.dispose()
    print(
        f"\n{name}: {entries:,} entries, {members:,} member-months counted"
        + (f" (organisation built in {built:.0f} s)" if built else " (existing database)")
    )
    print(f"  first dashboard request (counts the member-months from the entries): {first:,.0f} ms")
    print(f"  {'request':<48} {'median':>9} {'p95':>9} {'queries':>8}")
    for label, times, queries in results:
        print(f"  {label:<48} {statistics.median(times):>7.1f}ms {p95(times):>7.1f}ms {queries:>8}")
    print(
        f"  dashboard after {touched} entries were reviewed, commended or written: {after_activity:,.0f} ms"
    )
    verdict = "under" if statistics.median(results[0][1]) < TARGET_MS else "OVER"
    print(f"  → dashboard median {verdict} the {TARGET_MS} ms target")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["province", "quick", "small"], default="province")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database", help="an existing database holding the organisation (used as is)")
    args = parser.parse_args()
    print(
        f"Reports benchmark ({args.size}): {args.requests} in-process requests each (after 3 warm-up), "
        f"Python {sys.version.split()[0]}, SQLAlchemy {sa.__version__}"
    )
    if args.database:
        run("Database", args.database, args.size, args.requests, reuse=True)
        return
    on_each_database(lambda name, url: run(name, url, args.size, args.requests, reuse=False))


if __name__ == "__main__":
    main()
