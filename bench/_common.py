"""What every benchmark here shares: timing in-process requests, and running on SQLite and on a
PostgreSQL database of its own (created and dropped around the run) when one is reachable."""

from __future__ import annotations

import html
import os
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import normalize_database_url  # noqa: E402

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


_CSRF_INPUT = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*>')
_VALUE = re.compile(r'\bvalue="([^"]*)"')


def csrf_token(page: str) -> str:
    """The CSRF token of the first form on an HTML page, as a browser would send it back."""
    field = _CSRF_INPUT.search(page)
    value = _VALUE.search(field.group(0)) if field else None
    if value is None:
        raise ValueError("no CSRF token on the page")
    return html.unescape(value.group(1))


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


@contextmanager
def throwaway_postgres(prefix: str = "sonhatky_bench") -> Iterator[str | None]:
    """The URL of a new PostgreSQL database named `prefix` + a random suffix, dropped afterwards
    (even when the run fails); None, with the reason printed, when the server does not answer."""
    admin_url = normalize_database_url(os.environ.get("TEST_DATABASE_URL", PG_DEFAULT))
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any failure: no PostgreSQL, say why
        print(f"\nPostgreSQL not reachable ({type(exc).__name__}).")
        admin.dispose()
        yield None
        return
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    try:
        yield sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def on_each_database(run: Callable[[str, str], object]) -> None:
    """run(name, database_url) on a temporary SQLite file, then on a throwaway PostgreSQL database."""
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}")
    with throwaway_postgres() as url:
        if url is None:
            print("Measured on SQLite only.")
            return
        run("PostgreSQL", url)
