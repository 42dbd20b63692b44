"""Load test on loopback: gunicorn (2 workers) on PostgreSQL, 50 simulated people for 2 minutes.

    .venv/bin/python bench/loadtest.py [--users 50] [--duration 120] [--workers 2] [--branches 5]

1. Creates a PostgreSQL database of its own (TEST_DATABASE_URL, default postgres on 127.0.0.1:5432;
   dropped at the end, even after a failure), migrates it and builds, through the app's services,
   a Đoàn Khối with `--branches` chi đoàn of one secretary and nine members each: standards, an
   approved plan per member, and a few submitted entries each from the last three weeks.
2. Starts `gunicorn -w 2 wsgi:app` on a free port of 127.0.0.1, in production settings (CSRF on,
   argon2 at full strength, the real login rate limits per account; the per-IP limit is raised
   with LOGIN_LIMIT_PER_IP because every simulated person comes from 127.0.0.1).
3. Runs locust (bench/locustfile.py) headless: the members write entries (one in four with a
   photo), read their month and search; the secretaries open the review queue, open a member's
   month, comment on an entry and mark it "Đã xem". Every form is fetched and posted with its CSRF
   token, as a browser does; each person logs in once and keeps the session cookie.
4. Stops gunicorn, then looks up every write locust counted: each entry (by its id and the code in
   its text), each evidence file (row and file on disk, by SHA-256), each comment, each entry marked
   reviewed. Also counts server errors (5xx in the access log, tracebacks in the error log).
5. Writes bench/results/loadtest.md (requests, p50/p95, errors, writes made vs found, the machine)
   and exits non-zero unless there were no errors and every write was found.

Not part of `make test`: it takes about three minutes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import csrf_token, throwaway_postgres  # noqa: E402

from config import normalize_database_url  # noqa: E402

PASSWORD = "matkhau-thu-tai-2026"
RESULTS = Path(__file__).resolve().parent / "results" / "loadtest.md"
BIN = Path(sys.executable).parent
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
    "Lý",
    "Thạch",
    "Sơn",
]
MIDDLE = ["Văn", "Thị", "Thanh", "Quốc", "Ngọc", "Minh", "Thị Mỹ", "Hoàng", "Kim"]
GIVEN = ["An", "Bảo", "Chi", "Dũng", "Đạt", "Giang", "Hà", "Hải", "Hân", "Hoa", "Khánh", "Lan", "Linh", "Vy"]
BRANCHES = [
    ("Chi đoàn Văn phòng Sở Giáo dục và Đào tạo", 0),
    ("Chi đoàn Phòng Giáo dục Trung học", 0),
    ("Chi đoàn Bệnh viện Đa khoa tỉnh", 1),
    ("Chi đoàn Trung tâm Kiểm soát bệnh tật", 1),
    ("Chi đoàn Phòng Kế hoạch – Tài chính", 0),
    ("Chi đoàn Thanh tra Sở", 0),
]
SEED_TEXTS = [
    ("Văn phòng Sở", "Số hóa văn bản đến trong tuần, gắn đúng hồ sơ công việc.", "Không còn văn bản tồn."),
    ("Tại nhà", "Học 2 giờ khóa “Kỹ năng số cho cán bộ, công chức”.", "Bật xác thực hai lớp cho email."),
    ("Văn phòng Sở", "In hai mặt, dùng văn bản điện tử cho tài liệu họp giao ban.", "Tiết kiệm 300 tờ giấy."),
    (
        "Phòng họp chi đoàn",
        "Chia sẻ câu chuyện “Bác Hồ với đức tính tiết kiệm”.",
        "Chi đoàn đăng ký thêm việc.",
    ),
]


# ---- 1. the organisation, through the app's services ------------------------------------------------


def seed(url: str, instance: Path, branches: int, members_per_branch: int) -> tuple[list[dict], dict]:
    """Migrate and build the organisation; returns the accounts for locust and what was built."""
    from flask_migrate import upgrade

    from app import create_app
    from app.auth.models import User
    from app.auth.services import hash_password
    from app.core.db import db
    from app.core.enums import ContentGroup, Frequency, Role, UnitKind
    from app.core.filters import today_local
    from app.journal import services as journal
    from app.plans import services as plans
    from app.review import services as review
    from app.standards.models import Standard
    from app.units.models import Membership, Unit

    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(instance),
            "UPLOAD_DIR": str(instance / "uploads"),
        },
    )
    rng = random.Random(808)
    accounts: list[dict] = []
    with app.app_context():
        upgrade()
        today = today_local()
        year = today.year

        def unit(name: str, code: str, kind: UnitKind, parent=None) -> Unit:
            item = Unit(
                name=name, code=code, kind=kind, org_type=kind.org_type, parent=parent, place="Sóc Trăng"
            )
            db.session.add(item)
            db.session.flush()
            item.path = f"{parent.path if parent else '/'}{item.id}/"
            return item

        password_hash = hash_password(PASSWORD)
        names: set[str] = set()

        def person(username: str) -> User:
            while (name := f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}") in names:
                pass
            names.add(name)
            user = User(username=username, email=f"{username}@sonhatky.example", password_hash=password_hash)
            user.set_name(name)
            db.session.add(user)
            return user

        root = unit("Đoàn Khối các Cơ quan tỉnh Sóc Trăng", "DK", UnitKind.SECTOR_UNION)
        grassroots = [
            unit("Đoàn cơ sở Sở Giáo dục và Đào tạo", "DCS-GD", UnitKind.GRASSROOTS_UNION, root),
            unit("Đoàn cơ sở Sở Y tế", "DCS-YT", UnitKind.GRASSROOTS_UNION, root),
        ]
        standards = [
            Standard(unit_id=root.id, year=year, group=ContentGroup.ETHICS, title="Cần, kiệm, liêm, chính"),
            Standard(unit_id=root.id, year=year, group=ContentGroup.DUTIES, title="Chuyên môn tốt"),
        ]
        db.session.add_all(standards)
        db.session.flush()
        built = {"branches": 0, "members": 0, "secretaries": 0, "entries": 0, "reviewed": 0}
        earliest = max(date(year, 1, 1), today - timedelta(days=20))
        for b in range(branches):
            name, parent = BRANCHES[b % len(BRANCHES)]
            branch = unit(
                name if b < len(BRANCHES) else f"{name} {b + 1}",
                f"CD{b + 1:02d}",
                UnitKind.BRANCH,
                grassroots[parent],
            )
            secretary = person(f"lt{b + 1:02d}-bithu")
            db.session.add(Membership(user=secretary, unit=branch, role=Role.SECRETARY))
            accounts.append(
                {
                    "username": secretary.username,
                    "password": PASSWORD,
                    "role": "secretary",
                    "branch_id": branch.id,
                }
            )
            members = []
            for m in range(members_per_branch):
                member = person(f"lt{b + 1:02d}-dv{m + 1:02d}")
                db.session.add(Membership(user=member, unit=branch, role=Role.MEMBER))
                members.append(member)
            db.session.flush()
            db.session.refresh(branch)
            for member in members:
                db.session.refresh(member)
                plan = plans.start_plan(member, member, branch, year)
                plans.save_plan(
                    member,
                    plan,
                    "Còn ngại phát biểu trong sinh hoạt chi đoàn",
                    [
                        plans.CommitmentData(
                            action="Số hóa văn bản đến đúng hạn",
                            measure="100% trong ngày",
                            standard_id=standards[1].id,
                            frequency=Frequency.WEEKLY,
                            deadline=date(year, 12, 31),
                            is_breakthrough=True,
                        ),
                        plans.CommitmentData(
                            action="Tiết kiệm điện, giấy in tại phòng làm việc",
                            measure="Tắt thiết bị khi ra về",
                            standard_id=standards[0].id,
                            frequency=Frequency.WEEKLY,
                            deadline=date(year, 12, 31),
                        ),
                        plans.CommitmentData(
                            action="Tự học 2 giờ mỗi tuần",
                            measure="Ghi nhật ký hằng tuần",
                            standard_id=standards[1].id,
                            frequency=Frequency.WEEKLY,
                            deadline=date(year, 12, 31),
                        ),
                    ],
                )
                plans.submit_plan(member, plan)
                plans.approve_plan(plan, secretary)
                for k in range(6):
                    place, action, result = rng.choice(SEED_TEXTS)
                    deed = max(earliest, today - timedelta(days=rng.randint(0, 20)))
                    entry = journal.save_entry(
                        member,
                        member,
                        branch,
                        journal.EntryData(
                            deed_date=deed,
                            place=place,
                            action=action,
                            result=result,
                            commitment_ids=[rng.choice(plan.commitments).id],
                        ),
                        submit=True,
                    )
                    built["entries"] += 1
                    if k % 2 == 0:
                        review.mark_reviewed(secretary, entry)
                        built["reviewed"] += 1
                accounts.append(
                    {
                        "username": member.username,
                        "password": PASSWORD,
                        "role": "member",
                        "branch_id": branch.id,
                    }
                )
                built["members"] += 1
            built["branches"] += 1
            built["secretaries"] += 1
            db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        db.engine.dispose()
    return accounts, built


# ---- 2. gunicorn ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(url: str, instance: Path, port: int, workers: int, logs: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(instance),
        "UPLOAD_DIR": str(instance / "uploads"),
        # Plain http on loopback: a Secure cookie would never be sent back.
        "SESSION_COOKIE_SECURE": "0",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        # Every simulated person logs in from 127.0.0.1; the per-account limit stays as it is.
        "LOGIN_LIMIT_PER_IP": "500 per 5 minutes",
    }
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(logs / "access.log"),
            # Method, path, status and the time gunicorn spent on the request in ms.
            "--access-logformat",
            '"%(r)s" %(s)s %(M)s',
            "--error-logfile",
            str(logs / "error.log"),
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {logs / 'error.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    stop(process)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def stop(process: subprocess.Popen) -> None:
    """End gunicorn (its own process group: the master and its workers) and wait for it."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def log_in_everyone(port: int, accounts: list[dict]) -> list[float]:
    """Log every account in through the login form (GET it, POST it with its CSRF token) and keep its
    session cookie for locust; returns the login times in ms. Two at a time, one per worker: argon2
    at full strength takes about a second of CPU per login here, so 50 logins at once would only
    measure the queue in front of them."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    def one(account: dict) -> float:
        with requests.Session() as session:
            page = session.get(f"http://127.0.0.1:{port}/login", timeout=60)
            started = time.perf_counter()
            response = session.post(
                f"http://127.0.0.1:{port}/login",
                data={
                    "csrf_token": csrf_token(page.text),
                    "login": account["username"],
                    "password": account["password"],
                },
                allow_redirects=False,
                timeout=60,
            )
            took = (time.perf_counter() - started) * 1000
            if response.status_code != 302:
                raise RuntimeError(f"could not log in {account['username']}: {response.status_code}")
            account["cookies"] = [
                {"name": c.name, "value": c.value, "domain": c.domain, "path": c.path}
                for c in session.cookies
            ]
            return took

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, accounts))


# ---- 3. locust -----------------------------------------------------------------------------------


class LoadSampler:
    """The machine's 1-minute load average every 5 s while locust runs: other jobs on a shared
    machine slow every figure here, and this says how busy it was."""

    def __init__(self) -> None:
        import threading

        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(5):
            try:
                self.samples.append(float(Path("/proc/loadavg").read_text().split()[0]))
            except (OSError, ValueError):
                return

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> str:
        if not self.samples:
            return "not measured"
        mean = sum(self.samples) / len(self.samples)
        return (
            f"{min(self.samples):.1f} to {max(self.samples):.1f} (mean {mean:.1f}) on {os.cpu_count()} CPUs"
        )


def run_locust(port: int, users: int, duration: int, accounts: Path, writes: Path, prefix: Path) -> int:
    env = {**os.environ, "LOADTEST_ACCOUNTS": str(accounts), "LOADTEST_WRITES": str(writes)}
    command = [
        str(BIN / "locust"),
        "-f",
        str(Path(__file__).resolve().parent / "locustfile.py"),
        "--headless",
        "-u",
        str(users),
        "-r",
        "10",
        "--run-time",
        f"{duration}s",
        # People finish what they are doing when the time is up, so no write is cut off half-way.
        "--stop-timeout",
        "30",
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    return subprocess.run(command, env=env, cwd=ROOT, timeout=duration + 180).returncode


def read_stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_failures(prefix: Path) -> list[dict]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_exceptions(prefix: Path) -> list[dict]:
    path = Path(f"{prefix}_exceptions.csv")
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# ---- 4. every write, looked up ----------------------------------------------------------------------


def verify(url: str, writes: dict, uploads: Path) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    """(made, found) for each kind of write; and rows the server wrote that locust never counted."""
    engine = sa.create_engine(normalize_database_url(url))
    result: dict[str, tuple[int, int]] = {}
    uncounted: dict[str, int] = {}
    with engine.connect() as conn:
        made = {w["id"]: w for w in writes["entries"]}
        rows = conn.execute(
            sa.text(
                "SELECT e.id, e.action, e.status, u.username FROM entries e JOIN users u ON u.id = e.user_id "
                "WHERE e.action LIKE '%mã kiểm tra LT-%'"
            )
        ).all()
        by_id = {r.id: r for r in rows}
        found = sum(
            1
            for i, w in made.items()
            if i in by_id and w["marker"] in by_id[i].action and by_id[i].username == w["user"]
        )
        result["entries"] = (len(made), found)
        uncounted["entries"] = len(set(by_id) - set(made))

        evidence = conn.execute(
            sa.text(
                "SELECT entry_id, sha256, stored_name FROM evidence e JOIN entries n ON n.id = e.entry_id "
                "WHERE n.action LIKE '%mã kiểm tra LT-%'"
            )
        ).all()
        on_disk = 0
        stored = {(r.entry_id, r.sha256): r.stored_name for r in evidence}
        for w in writes["evidence"]:
            name = stored.get((w["entry_id"], w["sha256"]))
            path = uploads / "evidence" / name if name else None
            if path and path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == w["sha256"]:
                on_disk += 1
        result["evidence files (row + file, same SHA-256)"] = (len(writes["evidence"]), on_disk)

        comments = conn.execute(
            sa.text("SELECT entry_id, body FROM entry_comments WHERE body LIKE '%(LT-%'")
        ).all()
        bodies = {(r.entry_id, m) for r in comments for m in re.findall(r"LT-[0-9a-f]{12}", r.body)}
        result["comments"] = (
            len(writes["comments"]),
            sum(1 for w in writes["comments"] if (w["entry_id"], w["marker"]) in bodies),
        )
        uncounted["comments"] = len(bodies) - result["comments"][1]

        reviewed_ids = [w["entry_id"] for w in writes["reviewed"]]
        reviewed = set()
        if reviewed_ids:
            reviewed = set(
                conn.execute(
                    sa.text(
                        "SELECT e.id FROM entries e JOIN audit_log a ON a.object_id = e.id "
                        "AND a.object_type = 'entry' AND a.action = 'entry.reviewed' "
                        "WHERE e.status = 'reviewed' AND e.id IN :ids"
                    ).bindparams(sa.bindparam("ids", expanding=True)),
                    {"ids": reviewed_ids},
                ).scalars()
            )
        result["entries marked reviewed (status + audit row)"] = (
            len(reviewed_ids),
            sum(1 for i in reviewed_ids if i in reviewed),
        )
    engine.dispose()
    return result, uncounted


def server_times(logs: Path) -> dict[str, list[float]]:
    """Time spent in gunicorn per request (ms), by method and path with ids replaced by [id]."""
    times: dict[str, list[float]] = {}
    for line in (logs / "access.log").read_text(encoding="utf-8", errors="replace").splitlines():
        match = re.match(r'"(\w+) ([^ ?"]+)[^"]*" \d{3} (\d+)', line)
        if match:
            method, path, ms = match.groups()
            key = f"{method} {re.sub(r'/[0-9]+', '/[id]', path)}"
            times.setdefault(key, []).append(float(ms))
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(share * len(ordered)) - 1)]


def server_log(logs: Path) -> tuple[int, int, int]:
    """Requests answered in gunicorn's access log, of those the 5xx, and tracebacks in its error log."""
    access = (logs / "access.log").read_text(encoding="utf-8", errors="replace")
    error = (logs / "error.log").read_text(encoding="utf-8", errors="replace")
    answered = len(re.findall(r'" \d\d\d ', access))
    return answered, len(re.findall(r'" 5\d\d ', access)), error.count("Traceback")


# ---- 5. the report ---------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{int(memory.split()[0]) / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "?"

    def version(package: str) -> str:
        from importlib.metadata import version as v

        return v(package)

    return {
        "cpu": f"{cpu}, {os.cpu_count()} CPUs",
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "gunicorn": version("gunicorn"),
        "locust": version("locust"),
        "sqlalchemy": version("SQLAlchemy"),
    }


def _ms(value: str) -> str:
    return f"{float(value):.0f} ms" if value not in ("", "N/A") else "–"


def errors_of(stats: list[dict], exceptions: list[dict], http5xx: int, tracebacks: int) -> int:
    total = next(r for r in stats if r["Name"] == "Aggregated")
    return int(total["Failure Count"]) + sum(int(e["Count"]) for e in exceptions) + http5xx + tracebacks


def report(
    args,
    built,
    stats,
    failures,
    exceptions,
    checks,
    uncounted,
    answered,
    http5xx,
    tracebacks,
    pg_version,
    elapsed,
    logins,
    times,
    load,
) -> str:
    total = next(r for r in stats if r["Name"] == "Aggregated")
    info = machine()
    rows = [r for r in stats if r["Name"] != "Aggregated"]
    made = sum(m for m, _ in checks.values())
    found = sum(f for _, f in checks.values())
    failed = errors_of(stats, exceptions, http5xx, tracebacks)
    lines = [
        "# Load test: last result",
        "",
        f"Run by `bench/loadtest.py` on {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} "
        f"(`--users {args.users} --duration {args.duration} --workers {args.workers} --branches {args.branches}`). "
        f"Verdict: **{'PASS' if failed == 0 and found == made else 'FAIL'}**: {failed} errors, "
        f"{found:,} of {made:,} counted writes found.",
        "",
        "## Set-up",
        "",
        f"- gunicorn {info['gunicorn']}, {args.workers} sync workers, production settings (CSRF on, argon2 at "
        "full strength, per-account login limit as configured; per-IP login limit raised to 500 / 5 min since "
        "every simulated person comes from 127.0.0.1), on 127.0.0.1.",
        f"- {pg_version.split(',')[0]} on 127.0.0.1:5432, a throwaway database created and dropped by the script.",
        f"- Data built through the app's services: {built['branches']} chi đoàn, {built['secretaries']} bí thư "
        f"and {built['members']} đoàn viên, each member with an approved plan and {built['entries']} entries in "
        f"all from the last three weeks ({built['reviewed']} already reviewed).",
        f"- locust {info['locust']}: {args.users} simulated people ({built['secretaries']} secretaries, the rest "
        "members), 10 started per second, 1–3 s between actions, for "
        f"{args.duration} s, then 30 s to finish what each was doing (wall time of the locust run: {elapsed:.0f} s). "
        "Each person was logged in once before the run, through the login form (GET it, POST it with its "
        f"CSRF token), two at a time: {len(logins)} logins, median {statistics.median(logins):.0f} ms, "
        f"slowest {max(logins):.0f} ms (argon2 at full strength costs about a second of CPU here); locust "
        "reuses each session cookie as a browser would.",
        "- Members: write an entry (GET the form, POST it with its token; one in four with a 20 KB photo), "
        "read their month, search their diary, open an entry they wrote. Secretaries: open the review queue; "
        "open a member's month from it, comment on a waiting entry and mark it “Đã xem”.",
        "",
        "## Machine",
        "",
        f"- {info['cpu']}, {info['memory']} RAM; {info['os']}; Python {info['python']}, SQLAlchemy "
        f"{info['sqlalchemy']}.",
        "- locust, gunicorn and PostgreSQL share the same CPUs, so the latencies include waiting for the CPU.",
        f"- The machine's load average during the run (other jobs included): {load}.",
        "",
        "## Totals",
        "",
        "| requests | failures | req/s | p50 | p95 | p99 | max | HTTP 5xx in access log | tracebacks in error log |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {int(total['Request Count']):,} | {total['Failure Count']} | {float(total['Requests/s']):.1f} | "
        f"{_ms(total['50%'])} | {_ms(total['95%'])} | {_ms(total['99%'])} | {_ms(total['Max Response Time'])} | "
        f"{http5xx} | {tracebacks} |",
        "",
        f"Times are locust's, from sending a request to the last byte of its answer (redirects followed, so a "
        f"POST includes the page it leads to). gunicorn's access log has {answered:,} answers, the logins before "
        "the run and the requests of the last 30 s included (locust's table stops when the time is up).",
        "",
        "## By request",
        "",
        "| request | count | failures | p50 | p95 | max |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['Type']} {r['Name'].split(' ', 1)[-1]} | {int(r['Request Count']):,} | {r['Failure Count']} | "
            f"{_ms(r['50%'])} | {_ms(r['95%'])} | {_ms(r['Max Response Time'])} |"
        )
    every = [t for values in times.values() for t in values]
    lines += [
        "",
        "## Time inside gunicorn",
        "",
        "From gunicorn's access log (the time a worker spent on each request, queueing before it excluded), "
        f"the whole run: {len(every):,} requests, p50 {percentile(every, 0.5):.0f} ms, p95 "
        f"{percentile(every, 0.95):.0f} ms.",
        "",
        "| request | count | p50 | p95 | max |",
        "|---|---|---|---|---|",
    ]
    for key, values in sorted(times.items(), key=lambda item: -len(item[1])):
        if len(values) >= 5:
            lines.append(
                f"| {key} | {len(values):,} | {percentile(values, 0.5):.0f} ms | {percentile(values, 0.95):.0f} ms | "
                f"{max(values):.0f} ms |"
            )
    lines += [
        "",
        "## Writes made vs found",
        "",
        "Every write locust counted (the app answered with the saved entry or its success message) was looked "
        "up in the database after gunicorn stopped.",
        "",
        "| write | made | found |",
        "|---|---|---|",
    ]
    for label, (made_n, found_n) in checks.items():
        lines.append(f"| {label} | {made_n:,} | {found_n:,} |")
    lines += [
        f"| **all** | **{made:,}** | **{found:,}** |",
        "",
        f"Rows the server wrote that locust did not count (a request cut off at the end of the run): "
        f"entries {uncounted['entries']}, comments {uncounted['comments']}.",
    ]
    if failures or exceptions:
        lines += ["", "## Failures", ""]
        lines += [f"- {f['Method']} {f['Name']}: {f['Error']} ({f['Occurrences']}×)" for f in failures]
        lines += [f"- exception: {e['Message']} ({e['Count']}×)" for e in exceptions]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=120, help="seconds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--branches", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    members_per_branch = max(1, args.users // args.branches - 1)

    with throwaway_postgres("bench_load") as url:
        if url is None:
            print("The load test needs PostgreSQL.")
            return 2
        with tempfile.TemporaryDirectory(prefix="loadtest-") as tmp:
            work = Path(tmp)
            instance = work / "instance"
            started = time.perf_counter()
            accounts, built = seed(url, instance, args.branches, members_per_branch)
            print(f"Built {built} in {time.perf_counter() - started:.1f} s")
            port = free_port()
            server = start_gunicorn(url, instance, port, args.workers, work)
            try:
                logins = log_in_everyone(port, accounts)
                (work / "accounts.json").write_text(
                    json.dumps(accounts, ensure_ascii=False), encoding="utf-8"
                )
                started = time.perf_counter()
                with LoadSampler() as load:
                    code = run_locust(
                        port,
                        args.users,
                        args.duration,
                        work / "accounts.json",
                        work / "writes.json",
                        work / "locust",
                    )
                elapsed = time.perf_counter() - started
            finally:
                stop(server)
            print(f"locust exited with {code}")
            writes = json.loads((work / "writes.json").read_text(encoding="utf-8"))
            checks, uncounted = verify(url, writes, instance / "uploads")
            answered, http5xx, tracebacks = server_log(work)
            engine = sa.create_engine(normalize_database_url(url))
            with engine.connect() as conn:
                pg_version = conn.execute(sa.text("SELECT version()")).scalar()
            engine.dispose()
            stats, exceptions = read_stats(work / "locust"), read_exceptions(work / "locust")
            text = report(
                args,
                built,
                stats,
                read_failures(work / "locust"),
                exceptions,
                checks,
                uncounted,
                answered,
                http5xx,
                tracebacks,
                pg_version,
                elapsed,
                logins,
                server_times(work),
                load.summary(),
            )
            errors = errors_of(stats, exceptions, http5xx, tracebacks)
            if tracebacks:
                print((work / "error.log").read_text(encoding="utf-8", errors="replace")[-5000:])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(text)
    lost = sum(made - found for made, found in checks.values())
    return 1 if errors or lost or code != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
