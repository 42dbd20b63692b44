"""Sign-ins against the real gunicorn, as `make run` starts it (2 workers, 4 threads, SQLite, development).

    .venv/bin/python bench/bench_login.py [--port 5016] [--people 50] [--compare-old]

1. Builds a SQLite database of its own (a temporary instance folder) with `--people` accounts whose
   passwords are hashed at the configured argon2id cost (or, with --compare-old, also once more at
   the old cost: 64 MiB, t=3, 4 lanes).
2. Starts `gunicorn --workers 2 --threads 4 wsgi:app` on 127.0.0.1:PORT with APP_ENV=development and
   no REDIS_URL: the login limits are held in the database, which both workers share.
3. Throttle: 30 wrong passwords for one account, alternating its username and its email, each on a
   new connection (so they spread over both workers); prints each status and where the first 429 came.
4. Meeting: `--people` people sign in at the same moment (one thread each, each fetching the form and
   posting it with its CSRF token, as a browser does); prints the wall time until the last is in and
   the median / 95th percentile of one sign-in.

Not part of `make test`. Figures of a run are in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import csrf_token  # noqa: E402

PASSWORD = "matkhau-thu-2026"
OLD_COST = {"ARGON2_TIME_COST": "3", "ARGON2_MEMORY_COST": "65536", "ARGON2_PARALLELISM": "4"}


def build_database(instance: Path, people: int, cost: dict[str, str]) -> None:
    """Migrate a fresh SQLite database and add the accounts (hashed at `cost`)."""
    env = {**os.environ, **cost}
    script = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from flask_migrate import upgrade
from app import create_app
from app.auth.models import User
from app.auth.services import hash_password
from app.core.db import db
app = create_app("development", {{"INSTANCE_PATH": {str(instance)!r},
    "SQLALCHEMY_DATABASE_URI": "sqlite:///{instance / "sonhatky.db"}"}})
with app.app_context():
    upgrade()
    digest = hash_password({PASSWORD!r})
    for i in range({people}):
        user = User(username=f"nguoi{{i:02d}}", email=f"nguoi{{i:02d}}@example.vn", password_hash=digest)
        user.set_name(f"Người dùng {{i:02d}}")
        db.session.add(user)
    db.session.commit()
"""
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=ROOT, capture_output=True)


def start_gunicorn(instance: Path, port: int, cost: dict[str, str]) -> subprocess.Popen:
    env = {
        **os.environ,
        **cost,
        "APP_ENV": "development",
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'sonhatky.db'}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "SECRET_KEY": secrets.token_urlsafe(48),
    }
    env.pop("REDIS_URL", None)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    process = subprocess.Popen(
        [gunicorn, "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(instance / "gunicorn.log").open("w"),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
            return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError("gunicorn did not start; see " + str(instance / "gunicorn.log"))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Stop at the login's answer: 302 is a sign-in, 200 the form again, 429 refused."""

    def redirect_request(self, *args, **kwargs):
        return None


def sign_in(base: str, login: str, password: str) -> tuple[int, float]:
    """(status, seconds) of one sign-in through the form, on a connection and cookie jar of its own."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect())
    page = opener.open(f"{base}/login", timeout=60).read().decode()
    data = urllib.parse.urlencode({"login": login, "password": password, "csrf_token": csrf_token(page)})
    started = time.perf_counter()
    try:
        with opener.open(f"{base}/login", data=data.encode(), timeout=120) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.perf_counter() - started


def throttle_demo(base: str) -> list[int]:
    statuses = []
    for attempt in range(30):
        login = "nguoi00" if attempt % 2 == 0 else "NGUOI00@example.vn"
        statuses.append(sign_in(base, login, f"sai-{attempt}")[0])
    return statuses


def worker_cpu_seconds(master: int) -> float:
    """CPU time (user + system) used so far by gunicorn's workers: what the machine's load does not change."""
    children = subprocess.run(["ps", "--ppid", str(master), "-o", "pid="], capture_output=True, text=True)
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in children.stdout.split():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def meeting(base: str, people: int) -> tuple[float, list[float], list[int]]:
    results: list[tuple[int, float]] = [(0, 0.0)] * people
    barrier = threading.Barrier(people)

    def one(i: int) -> None:
        barrier.wait()
        # nguoi00 is the throttle demo's account (locked for five minutes): the others sign in.
        results[i] = sign_in(base, f"nguoi{i + 1:02d}", PASSWORD)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(people)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return wall, sorted(seconds for _, seconds in results), [status for status, _ in results]


def run(port: int, people: int, cost: dict[str, str], label: str, demo: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-login-") as folder:
        instance = Path(folder)
        build_database(instance, people + 1, cost)
        process = start_gunicorn(instance, port, cost)
        base = f"http://127.0.0.1:{port}"
        try:
            if demo:
                statuses = throttle_demo(base)
                first = statuses.index(429) + 1 if 429 in statuses else None
                print("30 wrong passwords, username and email alternating, over both workers:")
                print("  statuses:", " ".join(map(str, statuses)))
                print(f"  first 429 at attempt {first}" if first else "  NEVER answered 429")
            cpu_before = worker_cpu_seconds(process.pid)
            wall, times, statuses = meeting(base, people)
            cpu = worker_cpu_seconds(process.pid) - cpu_before
            ok = statuses.count(302)
            if ok != people:
                print("  statuses:", {s: statuses.count(s) for s in set(statuses)})
            print(
                f"{people} sign-ins at once ({label}): {ok} signed in, last one in after {wall:.1f} s; "
                f"the workers used {cpu:.1f} s of CPU ({cpu / people * 1000:.0f} ms a sign-in, form included)"
            )
            print(
                f"  one sign-in: median {statistics.median(times) * 1000:.0f} ms, "
                f"p95 {times[int(0.95 * (len(times) - 1))] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms"
            )
        finally:
            process.terminate()
            process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5016)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--compare-old", action="store_true", help="also time the old argon2 cost")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; gunicorn 2 workers × 4 threads; SQLite; no Redis")
    run(args.port, args.people, {}, "argon2id 19 MiB, t=2, p=1", demo=True)
    if args.compare_old:
        run(args.port, args.people, OLD_COST, "old cost: 64 MiB, t=3, p=4", demo=False)


if __name__ == "__main__":
    main()
