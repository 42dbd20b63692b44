"""What every benchmark here shares: timing in-process requests, and running on SQLite and on a
PostgreSQL database of its own (created and dropped around the run) when one is reachable."""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import normalize_database_url  # noqa: E402

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def time_requests(client, url: str, runs: int, engine) -> tuple[list[float], int]:
    """Times of `runs` GET requests of `url` in milliseconds, and the queries of the last one."""
    queries: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        queries.append(statement)

    for _ in range(3):  # warm-up: templates compiled, connections open
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(runs):
        queries.clear()
        sa.event.listen(engine, "before_cursor_execute", count)
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        sa.event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200, url
    return times, len(queries)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def on_each_database(run: Callable[[str, str], object]) -> None:
    """run(name, database_url) on a temporary SQLite file, then on a throwaway PostgreSQL database."""
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}")

    admin_url = normalize_database_url(os.environ.get("TEST_DATABASE_URL", PG_DEFAULT))
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any failure: skip PostgreSQL, say why
        print(f"\nPostgreSQL not reachable ({type(exc).__name__}); measured on SQLite only.")
        admin.dispose()
        return
    name = f"sonhatky_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    try:
        run("PostgreSQL", sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
