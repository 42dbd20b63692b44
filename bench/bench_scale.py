"""Province scale (issue 9): the key pages at the small and province sizes, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_scale.py            # make bench
    .venv/bin/python bench/bench_scale.py --quick    # make bench-quick (under two minutes, same files)

For each database it builds the synthetic organisation of app.synthetic (`flask seed-bench`) at
two sizes — `small` (one branch of 30) and `province` (≈100 branches, ≈3,000 members, ≈1 million
entries; `--quick`: `quick`, ten branches) — or reuses the copy cached in /tmp/sonhatky-bench,
keyed by the hash of the seed code, of the migrations, the size and the day (the data is a year up
to today). The builds of the two databases run side by side (two cores).

Then, in process (Flask's test client, no network), logged in as the people who use each page,
it times every key page at both sizes in the same run — rounds that alternate page and size, so
a busy machine slows both sides alike — next to a trivial page of the same app (/healthz), and
counts the SQL queries of each. Then gunicorn with 2 workers on loopback serves the province
database to a load generator (wrk, else a Python one) for the member's month and the trivial
page. Then bench/bench_pdf.py (the PDF benchmark of issue 6), when present.

It writes bench/results/latest.md and latest.json: the figures, the machine, and every target
as {"name", "value", "threshold", "met"}. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import PG_DEFAULT, csrf_token, p95  # noqa: E402

from config import normalize_database_url  # noqa: E402

CACHE = Path(os.environ.get("BENCH_CACHE", "/tmp/sonhatky-bench"))
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
PASSWORD = "matkhau123"
SEED = 9

# Targets (issue 9).
RATIO_LIMIT = 1.5  # province median / small median, per page
MEDIAN_LIMIT_MS = 25.0  # province median, per page
THROUGHPUT_SHARE = 0.15  # member's month / trivial page, requests per second under gunicorn

# (key, label, who, path template); {branch}, {member}, {root}, {year}, {month} filled per database.
PAGES = [
    ("member_month", "Tháng của đoàn viên", "doanvien", "/diary/{year}/{month}"),
    ("member_search", "Tìm trong sổ của đoàn viên", "doanvien", "/diary/search?q=tiet+kiem"),
    ("review_queue", "Hàng chờ nhận xét", "bithu", "/units/{branch}/review"),
    ("month_review", "Màn hình nhận xét tháng", "bithu", "/units/{branch}/review/{member}/{year}/{month}"),
    ("branch_dashboard", "Bảng theo dõi chi đoàn", "bithu", "/units/{branch}/dashboard"),
    ("upper_dashboard", "Bảng theo dõi Đoàn Khối", "canbo", "/units/{root}/reports"),
    ("notifications", "Thông báo (bí thư)", "bithu", "/notifications"),
]
TRIVIAL = ("trivial", "Trang tầm thường (/healthz)", "doanvien", "/healthz")
UPPER_ENDPOINT = "reports.dashboard"


# ---- the machine -----------------------------------------------------------------------------------


def machine() -> dict:
    model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, IndexError, ValueError):
        pass
    import sqlalchemy

    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory": memory,
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "os": platform.platform(),
    }


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


# ---- the databases, cached ---------------------------------------------------------------------------


def cache_key(size: str) -> str:
    from app.core.filters import today_local
    from app.synthetic.presets import seed_code_hash

    digest = hashlib.sha256(seed_code_hash().encode())
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update(f"{size}:{SEED}:{today_local().isoformat()}".encode())
    return digest.hexdigest()[:12]


def pg_admin_url() -> str:
    return normalize_database_url(os.environ.get("TEST_DATABASE_URL", PG_DEFAULT))


def pg_reachable() -> str | None:
    engine = sa.create_engine(pg_admin_url(), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return None
    except Exception as exc:  # any failure: no PostgreSQL in this run, say why
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    finally:
        engine.dispose()


class Database:
    """One cached benchmark database: where it is, whether it is built, how to build it."""

    def __init__(self, dialect: str, size: str):
        self.dialect, self.size = dialect, size
        self.key = cache_key(size)
        self.marker = CACHE / f"{dialect}-{size}-{self.key}.done"
        if dialect == "sqlite":
            self.path = CACHE / f"{size}-{self.key}.db"
            self.url = f"sqlite:///{self.path}"
            self.name = None
        else:
            self.name = f"sonhatky_bench_{size}_{self.key}"
            self.url = (
                sa.engine.make_url(pg_admin_url())
                .set(database=self.name)
                .render_as_string(hide_password=False)
            )
        self.built_seconds: float | None = None
        self.log = ""

    @property
    def ready(self) -> bool:
        return self.marker.exists()

    def _drop_stale(self) -> None:
        """Other keys' copies of this size (older code or another day): their disk space back."""
        for old in CACHE.glob(f"{self.dialect}-{self.size}-*.done"):
            old.unlink(missing_ok=True)
        if self.dialect == "sqlite":
            for old in CACHE.glob(f"{self.size}-*.db*"):
                old.unlink(missing_ok=True)
            return
        admin = sa.create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            names = conn.execute(
                sa.text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                {"p": f"sonhatky\\_bench\\_{self.size}\\_%"},
            ).scalars()
            for name in list(names):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f"CREATE DATABASE \"{self.name}\" ENCODING 'UTF8' TEMPLATE template0"))
        admin.dispose()

    def build(self) -> None:
        """flask db upgrade, then flask seed-bench, in a process of their own."""
        CACHE.mkdir(parents=True, exist_ok=True)
        self._drop_stale()
        instance = tempfile.mkdtemp(prefix="bench-instance-")
        env = dict(
            os.environ, FLASK_APP="wsgi", APP_ENV="development", DATABASE_URL=self.url, INSTANCE_PATH=instance
        )
        started = time.perf_counter()
        flask = str(Path(PYTHON).with_name("flask"))
        for command in (
            [flask, "db", "upgrade"],
            [flask, "seed-bench", "--size", self.size, "--seed", str(SEED)],
        ):
            done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
            self.log += done.stdout + done.stderr
            if done.returncode:
                raise RuntimeError(f"{' '.join(command[1:])} failed on {self.dialect}:\n{self.log[-3000:]}")
        self.built_seconds = time.perf_counter() - started
        shutil.rmtree(instance, ignore_errors=True)
        self.marker.write_text(datetime.now(UTC).isoformat())


def ensure_built(databases: list[Database], say) -> None:
    """Build what is missing; one build per database engine at a time, the two engines side by side."""
    missing = [d for d in databases if not d.ready]
    for d in databases:
        if d.ready:
            say(f"  {d.dialect} {d.size}: cached ({d.key})")
    by_dialect: dict[str, list[Database]] = {}
    for d in missing:
        by_dialect.setdefault(d.dialect, []).append(d)

    def run(group: list[Database]) -> None:
        for d in group:
            say(f"  {d.dialect} {d.size}: building …")
            d.build()
            say(f"  {d.dialect} {d.size}: built in {d.built_seconds:.0f} s")

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(run, group) for group in by_dialect.values()]:
            future.result()


# ---- in-process timings --------------------------------------------------------------------------


class Site:
    """The app on one benchmark database, with a logged-in test client per person."""

    def __init__(self, database: Database):
        from app import create_app
        from app.core.db import db
        from app.core.filters import today_local

        self.database = database
        self.instance = tempfile.mkdtemp(prefix="bench-site-")
        self.app = create_app(
            "testing", {"SQLALCHEMY_DATABASE_URI": database.url, "INSTANCE_PATH": self.instance}
        )
        today = today_local()
        with self.app.app_context():
            run = db.session.execute
            self.branch = run(
                sa.text(
                    "SELECT m.unit_id FROM memberships m JOIN users u ON u.id = m.user_id "
                    "WHERE u.username = 'bithu' AND m.role = 'secretary'"
                )
            ).scalar_one()
            self.member = run(sa.text("SELECT id FROM users WHERE username = 'doanvien'")).scalar_one()
            self.root = run(sa.text("SELECT id FROM units WHERE code = 'DKCCQ'")).scalar_one()
            self.counts = {
                "branches": run(sa.text("SELECT count(*) FROM units WHERE kind = 'branch'")).scalar_one(),
                "members": run(
                    sa.text("SELECT count(DISTINCT user_id) FROM memberships WHERE role <> 'officer'")
                ).scalar_one(),
                "entries": run(sa.text("SELECT count(*) FROM entries")).scalar_one(),
                "notifications": run(sa.text("SELECT count(*) FROM notifications")).scalar_one(),
                "signed_months": run(
                    sa.text("SELECT count(*) FROM month_reviews WHERE signed_at IS NOT NULL")
                ).scalar_one(),
            }
            db.session.remove()
            self.engine = db.engine
        self.values = {
            "branch": self.branch,
            "member": self.member,
            "root": self.root,
            "year": today.year,
            "month": today.month,
        }
        self.clients: dict[str, object] = {}
        self.endpoints = {rule.endpoint for rule in self.app.url_map.iter_rules()}

    def client(self, username: str):
        if username not in self.clients:
            client = self.app.test_client()
            response = client.post("/login", data={"login": username, "password": PASSWORD})
            if response.status_code != 302:
                raise RuntimeError(f"could not log in as {username} on {self.database.size}")
            self.clients[username] = client
        return self.clients[username]

    def url(self, template: str) -> str:
        return template.format(**self.values)

    def request(self, who: str, template: str) -> tuple[float, float, int, int]:
        """One GET: milliseconds, CPU milliseconds of this process, SQL queries, bytes."""
        queries = 0

        def count(*_args):
            nonlocal queries
            queries += 1

        client = self.client(who)
        url = self.url(template)
        sa.event.listen(self.engine, "before_cursor_execute", count)
        try:
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            cpu = (time.process_time() - cpu) * 1000
        finally:
            sa.event.remove(self.engine, "before_cursor_execute", count)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} as {who} on {self.database.size}: {response.status_code}")
        return elapsed, cpu, queries, len(response.data)

    def close(self) -> None:
        with self.app.app_context():
            from app.core.db import db

            db.engine.dispose()
        shutil.rmtree(self.instance, ignore_errors=True)


def time_pages(sites: dict[str, Site], pages, runs: int, say) -> dict:
    """Median, p95, queries and size of every page at every size, in alternating rounds."""
    samples: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    last: dict[tuple[str, str], tuple[int, int]] = {}
    for key, _label, who, template in pages:
        for size, site in sites.items():
            started = time.perf_counter()
            for _ in range(3):  # warm-up: templates compiled, connections open, lazy caches built
                site.request(who, template)
            if time.perf_counter() - started > 10:
                say(f"    (warm-up of {key} at {size} took {time.perf_counter() - started:.0f} s)")
    for _round in range(runs):
        for key, _label, who, template in pages:
            for size, site in sites.items():
                ms, cpu_ms, queries, size_bytes = site.request(who, template)
                samples.setdefault((key, size), []).append(ms)
                cpu.setdefault((key, size), []).append(cpu_ms)
                last[(key, size)] = (queries, size_bytes)
    return {
        f"{key}@{size}": {
            "median_ms": round(statistics.median(values), 2),
            "p95_ms": round(p95(values), 2),
            "cpu_median_ms": round(statistics.median(cpu[(key, size)]), 2),
            "queries": last[(key, size)][0],
            "kb": round(last[(key, size)][1] / 1024, 1),
            "runs": len(values),
        }
        for (key, size), values in samples.items()
    }


# ---- gunicorn on loopback ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_login(base: str, username: str) -> str:
    """Log in through the login form like a browser; the session cookie as a Cookie header."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login", timeout=30).read().decode()
    data = urllib.parse.urlencode({"login": username, "password": PASSWORD, "csrf_token": csrf_token(page)})
    opener.open(f"{base}/login", data=data.encode(), timeout=30).read()
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    check = urllib.request.Request(f"{base}/notifications", headers={"Cookie": cookies})
    with urllib.request.urlopen(check, timeout=30) as response:
        if response.status != 200 or "/login" in response.url:
            raise RuntimeError("the login through gunicorn did not hold")
    return cookies


def wrk(url: str, cookies: str, seconds: int, connections: int) -> dict:
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"Cookie: {cookies}",
        url,
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors:.*", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    latency = None
    if p50:
        latency = float(p50.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p50.group(2)]
    return {
        "rps": float(rate.group(1)) if rate else 0.0,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(0) if socket_errors else "",
        "p50_ms": latency,
        "tool": "wrk",
    }


def python_load(url: str, cookies: str, seconds: int, connections: int) -> dict:
    """A plain load generator for when wrk is missing: `connections` threads, keep-alive off."""
    import http.client

    parts = urllib.parse.urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    deadline = time.perf_counter() + seconds
    done, bad = [0], [0]
    lock = threading.Lock()

    def worker():
        while time.perf_counter() < deadline:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            conn.request("GET", path, headers={"Cookie": cookies})
            status = conn.getresponse().status
            conn.close()
            with lock:
                done[0] += 1
                bad[0] += status != 200

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "rps": done[0] / (time.perf_counter() - started),
        "non_2xx": bad[0],
        "p50_ms": None,
        "tool": "python",
    }


def gunicorn_throughput(database: Database, site: Site, seconds: int, say) -> dict:
    port = free_port()
    instance = tempfile.mkdtemp(prefix="bench-gunicorn-")
    env = dict(
        os.environ,
        APP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        DATABASE_URL=database.url,
        INSTANCE_PATH=instance,
        SESSION_COOKIE_SECURE="0",  # plain HTTP on loopback
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
    )
    gunicorn = str(Path(PYTHON).with_name("gunicorn"))
    process = subprocess.Popen(
        [gunicorn, "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        cookies = http_login(base, "doanvien")
        load = wrk if shutil.which("wrk") else python_load
        results = {}
        for key, path in (("trivial", "/healthz"), ("member_month", site.url(PAGES[0][3]))):
            load(f"{base}{path}", cookies, 2, 4)  # warm-up: both workers, templates, connections
            results[key] = load(f"{base}{path}", cookies, seconds, 8)
            say(f"    gunicorn {key}: {results[key]['rps']:.0f} requests/s ({results[key]['tool']})")
        return results
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(instance, ignore_errors=True)


# ---- the PDF benchmark of issue 6 --------------------------------------------------------------------


def pdf_benchmark(quick: bool) -> dict:
    script = ROOT / "bench" / "bench_pdf.py"
    if not script.exists():
        return {"status": "pending", "note": "bench/bench_pdf.py does not exist yet"}
    command = [PYTHON, str(script), "--runs", "1" if quick else "3"]
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        return {"status": "failed", "note": "bench_pdf.py ran for more than 15 minutes"}
    out = done.stdout
    result: dict = {"status": "ok" if done.returncode == 0 else "failed", "command": " ".join(command[1:])}
    number = r"\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)"
    book = re.search(r"book \(export_member_book\)" + number, out)
    bare = re.search(r"bare WeasyPrint, same text" + number, out)
    pages = re.search(r"One-year book: (\d+) pages", out)
    if book and bare:
        result.update(
            book_seconds=float(book.group(1)),
            book_pages_per_s=float(book.group(3)),
            book_pages_per_cpu_s=float(book.group(4)),
            bare_pages_per_s=float(bare.group(3)),
            bare_pages_per_cpu_s=float(bare.group(4)),
            pages=int(pages.group(1)) if pages else None,
        )
        result["ratio"] = round(result["book_pages_per_s"] / result["bare_pages_per_s"], 2)
        since = re.search(r"speed-up since issue 20 .*?: ([\d.]+)x", out)
        if since:
            result["speedup_since_issue_20"] = float(since.group(1))
    else:
        result["status"] = "failed" if done.returncode else "unparsed"
    result["output"] = (out + ("\n" + done.stderr[-2000:] if done.returncode else "")).strip()[-3000:]
    return result


# ---- the bulk export shared by several consumers (issue 20) --------------------------------------------

FANOUT_SPEEDUP = 1.7
FANOUT_DEFAULT_SECONDS = 60.0
FANOUT_RSS_MB = 600.0
PDF_BARE_RATIO = 0.9
PDF_SPEEDUP = 3.0


def fanout_benchmark(quick: bool) -> dict:
    """bench/bench_fanout.py: a 30-member branch's export over 1 and 2 consumers on Redis (database
    5), and on make run's defaults (quick: without the last)."""
    script = ROOT / "bench" / "bench_fanout.py"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "fanout.json"
        command = [PYTHON, str(script), "--json", str(out), "--scenarios", "1,2" if quick else "1,2,default"]
        try:
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=3600)
        except subprocess.TimeoutExpired:
            return {"status": "failed", "note": "bench_fanout.py ran for more than an hour"}
        if done.returncode or not out.exists():
            return {"status": "failed", "note": (done.stdout + done.stderr)[-2000:]}
        result = json.loads(out.read_text())
    result["status"] = "ok"
    result["command"] = " ".join(command[1:3] + command[5:])
    return result


def export_targets(results: dict) -> list[dict]:
    targets = []
    pdf = results.get("pdf", {})
    if pdf.get("ratio") is not None:
        targets.append(
            target(
                "PDF: sổ một năm / WeasyPrint trần cùng nội dung (trang/giây, cùng lần chạy)",
                pdf["ratio"],
                PDF_BARE_RATIO,
                pdf["ratio"] >= PDF_BARE_RATIO,
            )
        )
    if pdf.get("speedup_since_issue_20") is not None:
        targets.append(
            target(
                "PDF: sổ một năm nhanh hơn so với trước issue 20 (cùng HTML, cùng lần chạy, lần)",
                pdf["speedup_since_issue_20"],
                PDF_SPEEDUP,
                pdf["speedup_since_issue_20"] >= PDF_SPEEDUP,
            )
        )
    fanout = results.get("fanout", {})
    if fanout.get("speedup_2_over_1") is not None:
        targets.append(
            target(
                "Xuất chi đoàn 30 người: 2 tiến trình xử lý nền / 1 (Redis, cùng lần chạy)",
                fanout["speedup_2_over_1"],
                FANOUT_SPEEDUP,
                fanout["speedup_2_over_1"] >= FANOUT_SPEEDUP,
            )
        )
    scenarios = fanout.get("scenarios", {})
    default = scenarios.get("default")
    if default and default.get("seconds") is not None:
        targets.append(
            target(
                "Xuất chi đoàn 30 người với mặc định của make run (giây, từ lúc bấm tới tệp ZIP)",
                default["seconds"],
                FANOUT_DEFAULT_SECONDS,
                default["status"] == "done" and default["seconds"] <= FANOUT_DEFAULT_SECONDS,
            )
        )
    peaks = [s["peak_rss_mb_max"] for s in scenarios.values() if s.get("peak_rss_mb_max")]
    if peaks:
        targets.append(
            target(
                "Bộ nhớ đỉnh (RSS) của mỗi tiến trình xử lý nền (MB)",
                max(peaks),
                FANOUT_RSS_MB,
                max(peaks) <= FANOUT_RSS_MB,
            )
        )
    return targets


def fanout_lines(fanout: dict) -> list[str]:
    lines = ["## Bulk export shared by the consumers (issue 20)", ""]
    if fanout.get("status") != "ok":
        return [*lines, f"{fanout.get('status', 'pending')}: {fanout.get('note', '')}".strip(), ""]
    lines += [
        f"`{fanout['command']}`: seed-bench small (one chi đoàn of 30 members, a year of diary), the branch's "
        "export from enqueue to ZIP with real `flask worker` processes; load average "
        f"{fanout['load_start']:.1f} at the start, {fanout['load_end']:.1f} at the end on {fanout['nproc']} CPUs.",
        "",
        "| scenario | queue | consumers | seconds | median book pages | median book s (CPU s) | pages per CPU s "
        "| books in flight | peak RSS per worker |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in fanout["scenarios"].items():
        lines.append(
            f"| {name} | {s['queue']} | {s['consumer_processes']} × {s['workers_per_consumer']} | {s['seconds']} | "
            f"{s.get('book_pages_median')} | {s['book_seconds_median']} ({s.get('book_cpu_seconds_median')}) | "
            f"{s.get('pages_per_cpu_second')} | {s.get('concurrency')} | "
            f"{s['peak_rss_mb_max']} MB |"
        )
    if fanout.get("default_fits_pages_per_book"):
        lines += [
            "",
            f"make run's defaults export the 30 members within 60 s on this machine when their books have up to "
            f"≈ {fanout['default_fits_pages_per_book']} pages each (at the pages per second measured).",
        ]
    if fanout.get("projection"):
        p = fanout["projection"]
        lines += [
            "",
            f"Speed-up of two consumers over one: {fanout['speedup_2_over_1']:.2f}×. Projection for a province of "
            f"{p['members']:,} members from {p['book_cpu_seconds']} s of CPU per book at {p['efficiency_per_core']:.0%} "
            "per core: "
            + "; ".join(f"{r['machines']} machine(s) of 2 cores ≈ {r['hours']} h" for r in p["rows"])
            + ".",
        ]
    return [*lines, ""]


# ---- the report ---------------------------------------------------------------------------------------


def target(name: str, value, threshold, met) -> dict:
    return {"name": name, "value": value, "threshold": threshold, "met": met}


def evaluate(results: dict, small: str, big: str, pending: set[str]) -> list[dict]:
    targets = []
    for dialect, data in results["databases"].items():
        timings = data.get("pages", {})
        for key, label, _who, _path in PAGES:
            if key in pending:
                targets.append(target(f"{dialect}: {label} — chờ (trang chưa có)", None, None, None))
                continue
            s, b = timings.get(f"{key}@{small}"), timings.get(f"{key}@{big}")
            if not (s and b):
                continue
            ratio = round(b["median_ms"] / s["median_ms"], 2)
            targets.append(
                target(
                    f"{dialect}: {label} — {big}/{small} (trung vị)", ratio, RATIO_LIMIT, ratio <= RATIO_LIMIT
                )
            )
            targets.append(
                target(
                    f"{dialect}: {label} — trung vị ở {big} (ms)",
                    b["median_ms"],
                    MEDIAN_LIMIT_MS,
                    b["median_ms"] < MEDIAN_LIMIT_MS,
                )
            )
            targets.append(
                target(
                    f"{dialect}: {label} — số truy vấn ({big} so với {small})",
                    b["queries"],
                    s["queries"],
                    b["queries"] == s["queries"],
                )
            )
        load = data.get("gunicorn")
        if load:
            share = (
                round(load["member_month"]["rps"] / load["trivial"]["rps"], 3)
                if load["trivial"]["rps"]
                else 0
            )
            errors = load["member_month"]["non_2xx"] + load["trivial"]["non_2xx"]
            targets.append(
                target(
                    f"{dialect}: gunicorn 2 worker — tháng của đoàn viên / trang tầm thường (yêu cầu/giây)",
                    share,
                    THROUGHPUT_SHARE,
                    share >= THROUGHPUT_SHARE and errors == 0,
                )
            )
    return targets


def fmt(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def write_report(results: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    small, big = results["sizes"]
    m = results["machine"]
    lines = [
        f"# Province scale benchmark ({'quick' if results['quick'] else 'full'} run)",
        "",
        f"Run {results['started']} – {results['finished']} (UTC), `{results['command']}`.",
        "",
        f"Machine: {m['nproc']} CPU ({m['cpu']}), {m['memory']} RAM; Python {m['python']}, SQLAlchemy "
        f"{m['sqlalchemy']}; {m['os']}. Load average at the start {results['load_start']}, at the end "
        f"{results['load_end']} (the machine is shared: compare pages with the trivial page of the same run).",
        "",
        "## Data",
        "",
        "| database | size | branches | members | entries | notifications | signed months | built |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for dialect, data in results["databases"].items():
        for size, info in data.get("data", {}).items():
            c = info["counts"]
            built = f"{info['built_seconds']:.0f} s" if info.get("built_seconds") else "cached"
            lines.append(
                f"| {dialect} | {size} | {c['branches']:,} | {c['members']:,} | {c['entries']:,} | "
                f"{c['notifications']:,} | {c['signed_months']:,} | {built} |"
            )
    lines += [
        "",
        "## Server time in process (ms; median / p95; SQL queries per request)",
        "",
        f"Each page {results['runs']} times at each size after 3 warm-up requests, the sizes and pages "
        "alternating round by round. The last column is the median CPU time of the benchmark process "
        "(the app, and SQLite; PostgreSQL's own work runs in its server): on a busy machine the server "
        "times grow while the CPU times stay nearly put.",
        "",
    ]
    for dialect, data in results["databases"].items():
        if "error" in data:
            lines += [f"**{dialect}**: {data['error']}", ""]
            continue
        timings = data["pages"]
        lines += [
            f"### {dialect}",
            "",
            f"| page | {small} median / p95 | {big} median / p95 | {big} / {small} | queries {small} / {big} "
            f"| CPU of this process, {small} / {big} |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for key, label, _who, path in [*PAGES, TRIVIAL]:
            s, b = timings.get(f"{key}@{small}"), timings.get(f"{key}@{big}")
            if not (s and b):
                lines.append(f"| {label} (`{path}`) | chờ | chờ | – | – | – |")
                continue
            lines.append(
                f"| {label} (`{path}`) | {s['median_ms']:.1f} / {s['p95_ms']:.1f} | {b['median_ms']:.1f} / "
                f"{b['p95_ms']:.1f} | {b['median_ms'] / s['median_ms']:.2f} | {s['queries']} / {b['queries']} | "
                f"{s['cpu_median_ms']:.1f} / {b['cpu_median_ms']:.1f} |"
            )
        lines.append("")
        load = data.get("gunicorn")
        if load:
            t, mm = load["trivial"], load["member_month"]
            lines += [
                f"gunicorn, 2 workers, {big}, {load['seconds']} s each with {t['tool']} (8 connections): trivial page "
                f"{t['rps']:.0f} requests/s, member's month {mm['rps']:.0f} requests/s "
                f"({mm['rps'] / t['rps'] * 100 if t['rps'] else 0:.0f} %); non-2xx responses {t['non_2xx']} / "
                f"{mm['non_2xx']}.",
                "",
            ]
    pdf = results.get("pdf", {})
    lines += ["## PDF", ""]
    if pdf.get("book_pages_per_s"):
        lines += [
            f"`bench/bench_pdf.py {pdf.get('command', '').split('bench_pdf.py')[-1].strip()}`: one-year book of "
            f"{pdf.get('pages')} pages in {pdf['book_seconds']:.2f} s — {pdf['book_pages_per_s']:.1f} pages/s "
            f"({pdf['book_pages_per_cpu_s']:.1f} per CPU second); bare WeasyPrint on the same text "
            f"{pdf['bare_pages_per_s']:.1f} pages/s ({pdf['bare_pages_per_cpu_s']:.1f} per CPU second); ratio "
            f"{pdf['ratio']:.2f}"
            + (
                f"; {pdf['speedup_since_issue_20']:.2f}× the speed of the same HTML rendered as before issue 20."
                if pdf.get("speedup_since_issue_20")
                else "."
            ),
            "",
        ]
    else:
        lines += [f"{pdf.get('status', 'pending')}: {pdf.get('note', '')}".strip(), ""]
        if pdf.get("output"):
            lines += ["```", pdf["output"][-1500:], "```", ""]
    met = [t for t in results["targets"] if t["met"] is True]
    missed = [t for t in results["targets"] if t["met"] is False]
    pending = [t for t in results["targets"] if t["met"] is None]
    lines += [
        "## Targets",
        "",
        f"{len(met)} met, {len(missed)} missed, {len(pending)} pending.",
        "",
        "| target | value | threshold | met |",
        "|---|---:|---:|---|",
    ]
    for t in results["targets"]:
        mark = {True: "✅", False: "❌", None: "chờ"}[t["met"]]
        lines.append(f"| {t['name']} | {fmt(t['value'], 2)} | {fmt(t['threshold'], 2)} | {mark} |")
    lines += [
        "",
        "Sizes: `small` = one chi đoàn of 30 members (and a chi bộ); `province` ≈ 100 chi đoàn, ≈ 3,000 "
        "members, ≈ 1 million entries; `quick` = ten chi đoàn (bench-quick). Same branch, same people, "
        "same months measured at both sizes (app/synthetic/organisation.py).",
        "",
    ]
    lines += fanout_lines(results.get("fanout", {}))
    (RESULTS / "latest.md").write_text("\n".join(lines))


# ---- main ------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the reduced run of make bench-quick")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--runs", type=int, default=None, help="requests per page and size (default 40, quick 12)"
    )
    parser.add_argument(
        "--seconds", type=int, default=None, help="load per page under gunicorn (default 15, quick 4)"
    )
    parser.add_argument("--no-gunicorn", action="store_true")
    parser.add_argument("--no-pdf", action="store_true")
    parser.add_argument("--no-fanout", action="store_true")
    args = parser.parse_args()
    quick = args.quick
    runs = args.runs or (12 if quick else 40)
    seconds = args.seconds or (4 if quick else 15)
    small, big = "small", ("quick" if quick else "province")

    def say(message: str) -> None:
        print(message, flush=True)

    results: dict = {
        "quick": quick,
        "command": " ".join(["bench/bench_scale.py", *sys.argv[1:]]),
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "load_start": load_average(),
        "sizes": [small, big],
        "runs": runs,
        "databases": {},
    }
    say(
        f"Province scale benchmark ({'quick' if quick else 'full'}): {small} vs {big}, load {results['load_start']}"
    )
    wanted = [d.strip() for d in args.databases.split(",") if d.strip()]
    if "postgresql" in wanted and (problem := pg_reachable()):
        say(f"PostgreSQL not reachable ({problem}): SQLite only.")
        results["databases"]["PostgreSQL"] = {"error": f"not reachable: {problem}"}
        wanted.remove("postgresql")
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    databases = {dialect: {size: Database(dialect, size) for size in (small, big)} for dialect in wanted}
    say("Databases:")
    ensure_built([d for sizes in databases.values() for d in sizes.values()], say)

    pending: set[str] = set()
    for dialect, sizes in databases.items():
        say(f"{names[dialect]}: timing pages in process …")
        sites = {size: Site(database) for size, database in sizes.items()}
        pages = list(PAGES)
        if UPPER_ENDPOINT not in sites[small].endpoints:
            pending.add("upper_dashboard")
            pages = [p for p in pages if p[0] != "upper_dashboard"]
        entry: dict = {
            "data": {
                size: {
                    "counts": site.counts,
                    "built_seconds": sizes[size].built_seconds,
                    "cache": sizes[size].key,
                }
                for size, site in sites.items()
            }
        }
        entry["pages"] = time_pages(sites, [*pages, TRIVIAL], runs, say)
        for key, *_rest in [*pages, TRIVIAL]:
            s, b = entry["pages"][f"{key}@{small}"], entry["pages"][f"{key}@{big}"]
            say(
                f"    {key:<18} {small} {s['median_ms']:6.1f} ms  {big} {b['median_ms']:6.1f} ms  "
                f"queries {s['queries']}/{b['queries']}"
            )
        if not args.no_gunicorn:
            entry["gunicorn"] = gunicorn_throughput(sizes[big], sites[big], seconds, say)
            entry["gunicorn"]["seconds"] = seconds
        for site in sites.values():
            site.close()
        results["databases"][names[dialect]] = entry
    if args.no_pdf:
        results["pdf"] = {"status": "skipped", "note": "--no-pdf"}
    else:
        say("PDF benchmark (bench/bench_pdf.py) …")
        results["pdf"] = pdf_benchmark(quick)
    if args.no_fanout:
        results["fanout"] = {"status": "skipped", "note": "--no-fanout"}
    else:
        say("Bulk export over 1 and 2 consumers (bench/bench_fanout.py) …")
        results["fanout"] = fanout_benchmark(quick)
    results["pending"] = sorted(pending)
    results["targets"] = evaluate(results, small, big, pending) + export_targets(results)
    results["finished"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    results["load_end"] = load_average()
    write_report(results)
    missed = [t for t in results["targets"] if t["met"] is False]
    say(
        f"Wrote {RESULTS / 'latest.md'} and latest.json: {len(results['targets']) - len(missed)} targets met or pending, {len(missed)} missed."
    )


if __name__ == "__main__":
    main()
