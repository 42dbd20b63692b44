"""Benchmark of the bulk export shared by several consumers (issue 20): a 30-member branch's ZIP.

    .venv/bin/python bench/bench_fanout.py [--redis redis://127.0.0.1:6379/5] [--scenarios 1,2,default]
                                           [--json out.json]

Builds `flask seed-bench --size small` (one chi đoàn of 30 members with a year of diary, ratings)
on a temporary SQLite file, then exports that branch's year exactly as the "Xuất sổ" page does
(app.jobs.services.start_export + enqueue), with real `flask worker` consumer processes:

- `1`: one consumer process (`flask worker -w 1`) on Redis;
- `2`: two consumer processes (`flask worker -w 1`, twice) on the same Redis queue;
- `default`: what `make run` starts: `flask worker` with its defaults (a process per core) on the
  SQLite queue file instance/huey.db.

Each export is timed from the enqueue to the ZIP being ready (the page's progress reaching 100 %).
Every part records the seconds its document took and the peak resident memory of the worker
process that made it, so the report gives the time per book, the speed-up of two consumers over
one (measured in the same run: the machine is shared), the peak RSS per consumer, and a projection
for a province of 75,000 members on N worker machines. Redis database 5 by default; only this
queue's keys are removed (huey.flush), never the database.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.core.db import db  # noqa: E402

PROVINCE_MEMBERS = 75_000
TARGET_SPEEDUP = 1.7
TARGET_DEFAULT_SECONDS = 60.0


def start_consumers(count: int, env: dict, workers: int | None, logs: Path) -> list[subprocess.Popen]:
    processes = []
    for n in range(count):
        command = [sys.executable, "-m", "flask", "worker"]
        if workers:
            command += ["-w", str(workers)]
        if n:
            command.append("--no-periodic")
        log = (logs / f"consumer-{n}.log").open("w")
        processes.append(
            subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        )
    return processes


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def run_scenario(app, name: str, queue_url: str, consumers: int, workers: int | None, tmp: Path, say) -> dict:
    from sqlalchemy import func, select

    from app.auth.models import User
    from app.export.models import ExportedDocument
    from app.jobs import services, tasks
    from app.jobs.models import ExportJob, ExportPart, JobStatus
    from app.units.models import Unit

    app.config.update(HUEY_IMMEDIATE=False, HUEY_URL=queue_url)
    huey = tasks.configure(app)
    huey.flush()  # this queue's keys only (Redis) / this queue file's rows (SQLite)
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "APP_ENV": "testing",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_PATH": app.instance_path,
        "UPLOAD_DIR": app.config["UPLOAD_DIR"],
        "HUEY_URL": queue_url,
        "PUBLIC_BASE_URL": "https://sonhatky.example.vn",
    }
    logs = tmp / f"logs-{name}"
    logs.mkdir(exist_ok=True)
    processes = start_consumers(consumers, env, workers, logs)
    try:
        time.sleep(4)  # the consumers import the app and start polling
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(
                    f"a consumer stopped at start: {(logs / 'consumer-0.log').read_text()[-2000:]}"
                )
        with app.app_context():
            from app.core.enums import Role
            from app.units.models import Membership

            secretary = db.session.scalar(select(User).where(User.username == "bithu"))
            branch = db.session.scalar(
                select(Unit)
                .join(Membership, Membership.unit_id == Unit.id)
                .where(Membership.user_id == secretary.id, Membership.role == Role.SECRETARY)
            )
            year = app.config["BENCH_YEAR"]
            made_before = db.session.scalar(select(func.max(ExportedDocument.id))) or 0
            job, _ = services.start_export(secretary, branch, year)
            db.session.commit()
            job_id, total = job.id, job.members_total
            started = time.perf_counter()
            services.enqueue(job)
            deadline = started + 1800
            status = JobStatus.QUEUED
            while time.perf_counter() < deadline:
                db.session.rollback()
                status = db.session.scalar(select(ExportJob.status).where(ExportJob.id == job_id))
                if status.is_finished:
                    break
                time.sleep(0.25)
            seconds = time.perf_counter() - started
            job = db.session.get(ExportJob, job_id)
            parts = db.session.scalars(select(ExportPart).where(ExportPart.job_id == job_id)).all()
            books = [p for p in parts if p.kind == "book" and p.seconds is not None]
            pages = list(
                db.session.scalars(
                    select(ExportedDocument.page_count).where(
                        ExportedDocument.id > made_before, ExportedDocument.kind == "book"
                    )
                )
            )
            book_cpu = sum(p.cpu_seconds or 0 for p in books)
            per_consumer: dict[str, dict] = {}
            for part in parts:
                if part.claimed_by is None:
                    continue
                entry = per_consumer.setdefault(part.claimed_by, {"documents": 0, "peak_rss_mb": 0.0})
                entry["documents"] += 1
                entry["peak_rss_mb"] = max(entry["peak_rss_mb"], round((part.peak_rss_kb or 0) / 1024, 1))
            result = {
                "scenario": name,
                "queue": queue_url.split("://")[0],
                "consumer_processes": consumers,
                "workers_per_consumer": workers or "default",
                "status": status.value,
                "members": total,
                "documents": job.documents_count,
                "failures": len(job.failures),
                "seconds": round(seconds, 1),
                "book_seconds_median": round(statistics.median(p.seconds for p in books), 2)
                if books
                else None,
                "book_seconds_max": round(max(p.seconds for p in books), 2) if books else None,
                "book_cpu_seconds_median": (
                    round(statistics.median(p.cpu_seconds for p in books), 2) if books else None
                ),
                "book_pages_median": statistics.median(pages) if pages else None,
                "book_pages_total": sum(pages),
                # Pages of the books per CPU second of their making (whatever the number of processes).
                "pages_per_cpu_second": round(sum(pages) / book_cpu, 1) if book_cpu else None,
                # Books in flight on average: the sum of the books' times over the export's time.
                "concurrency": round(sum(p.seconds for p in books) / seconds, 2) if books else None,
                "workers": per_consumer,
                "peak_rss_mb_max": max((w["peak_rss_mb"] for w in per_consumer.values()), default=None),
            }
            db.session.rollback()
    finally:
        stop(processes)
    say(
        f"  {name:8} {consumers} consumer(s): {result['seconds']:.1f} s for {result['members']} books "
        f"({result['status']}, {result['failures']} failures), median book {result['book_pages_median']} pages in "
        f"{result['book_seconds_median']} s ({result['book_cpu_seconds_median']} s CPU; "
        f"{result['pages_per_cpu_second']} pages per CPU second), {result['concurrency']} books in flight on average, "
        f"peak RSS per worker process ≤ {result['peak_rss_mb_max']} MB, {len(result['workers'])} worker process(es)"
    )
    return result


def projection(book_seconds: float, efficiency: float) -> list[dict]:
    """Hours to export every book of a province, on N machines of 2 cores at the measured efficiency."""
    rows = []
    for machines in (1, 2, 4, 8, 16):
        cores = machines * 2
        hours = PROVINCE_MEMBERS * book_seconds / (cores * efficiency) / 3600
        rows.append({"machines": machines, "cores": cores, "hours": round(hours, 1)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"))
    parser.add_argument("--scenarios", default="1,2,default")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()

    def say(message: str) -> None:
        print(message, flush=True)

    results: dict = {"load_start": os.getloadavg()[0], "nproc": os.cpu_count(), "scenarios": {}}
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as folder:
        tmp = Path(folder)
        app = create_app(
            "testing",
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
                "INSTANCE_PATH": str(tmp),
                "UPLOAD_DIR": str(tmp / "uploads"),
                "PUBLIC_BASE_URL": "https://sonhatky.example.vn",
            },
        )
        with app.app_context():
            from flask_migrate import upgrade

            from app.core.filters import today_local
            from app.synthetic import build as seed

            upgrade()
            started = time.perf_counter()
            org = seed.build("small")
            db.session.commit()
            app.config["BENCH_YEAR"] = today_local().year
            say(f"Data: seed-bench small ({org.counts}) built in {time.perf_counter() - started:.0f} s.")
        wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
        for name in wanted:
            if name == "default":
                queue, consumers, workers = f"sqlite:///{tmp / 'huey.db'}", 1, None
            else:
                queue, consumers, workers = args.redis, int(name), 1
            results["scenarios"][name] = run_scenario(app, name, queue, consumers, workers, tmp, say)
    one, two = results["scenarios"].get("1"), results["scenarios"].get("2")
    if one and two and two["seconds"]:
        results["speedup_2_over_1"] = round(one["seconds"] / two["seconds"], 2)
        efficiency = min(1.0, results["speedup_2_over_1"] / 2)
        # From the CPU time of a book: on a machine of its own a worker process gets a whole core.
        book = one["book_cpu_seconds_median"] or one["book_seconds_median"]
        results["projection"] = {
            "members": PROVINCE_MEMBERS,
            "book_cpu_seconds": book,
            "efficiency_per_core": round(efficiency, 2),
            "rows": projection(book, efficiency),
        }
        say(
            f"Speed-up of two consumers over one: {results['speedup_2_over_1']:.2f}× (target ≥ {TARGET_SPEEDUP})"
        )
        for row in results["projection"]["rows"]:
            say(
                f"  province of {PROVINCE_MEMBERS:,} members on {row['machines']} machine(s) of 2 cores: "
                f"≈ {row['hours']} h"
            )
    default = results["scenarios"].get("default")
    if default and default["book_pages_total"] and default["seconds"]:
        # The pages the same export makes in the target's 60 s at the rate it measured: the size of a
        # branch's books (30 members) that make run's defaults export within the target on this machine.
        per_second = default["book_pages_total"] / default["seconds"]
        results["default_fits_pages_per_book"] = int(
            TARGET_DEFAULT_SECONDS * per_second / max(1, default["members"])
        )
        say(
            f"make run's defaults: {default['seconds']:.1f} s (target ≤ {TARGET_DEFAULT_SECONDS:.0f} s) at "
            f"{per_second:.1f} pages/s; within the target for books up to "
            f"≈ {results['default_fits_pages_per_book']} pages each ({default['members']} members)"
        )
    results["load_end"] = os.getloadavg()[0]
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    print("JSON " + json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
