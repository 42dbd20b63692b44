"""flask worker (the task-queue consumer) and flask export-unit (a unit's ZIP, for archiving scripts)."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.core.bounds import MAX_YEAR, MIN_YEAR
from app.core.db import db


@click.command("worker")
@click.option(
    "-w",
    "--workers",
    default=None,
    type=click.IntRange(1, 64),
    help="How many tasks run at once (default: one per CPU core).",
)
@click.option(
    "-k",
    "--worker-type",
    type=click.Choice(["thread", "process"]),
    default="process",
    show_default=True,
    help="Processes (each renders PDFs on a core of its own), or threads (share one core).",
)
@click.option("--no-periodic", is_flag=True, help="Do not run the periodic tasks (another worker does).")
@with_appcontext
def worker_command(workers: int | None, worker_type: str, no_periodic: bool) -> None:
    """Run the task queue's consumer for this app: bulk exports, and deleting expired files.

    SIGTERM stops it after the tasks at hand (systemd's stop); SIGINT (Ctrl-C) stops it at once,
    and the document it interrupts goes back to the queue (the rest of the export goes on).
    """
    from huey.consumer_options import ConsumerConfig

    from app.core.queue import bind_worker_app

    app = current_app._get_current_object()
    # An export is one task per book: with a process per core, one export uses every core.
    workers = workers or min(
        64, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    huey = bind_worker_app(app)
    if worker_type == "process":

        @huey.on_startup("dispose-engine")
        def _fresh_connections() -> None:
            # A forked worker must not share the parent's database connections.
            with app.app_context():
                db.engine.dispose(close=False)

    config = ConsumerConfig(
        workers=workers,
        worker_type=worker_type,
        periodic=not no_periodic,
        # An export waits at most a second for a SQLite queue to be polled (Redis answers at once).
        max_delay=1.0,
        graceful_signal="TERM",
        flush_locks=True,
    )
    config.validate()
    config.setup_logger(logging.getLogger("huey"))
    kind = "luồng" if worker_type == "thread" else "tiến trình"
    click.echo(f"Tiến trình xử lý nền: {workers} {kind} xử lý, hàng đợi {_describe(app)}.")
    huey.create_consumer(**config.values).run()


def _describe(app) -> str:
    from app.core.queue import storage_settings

    storage_class, kwargs = storage_settings(app)
    if "filename" in kwargs:
        return f"SQLite {kwargs['filename']}"
    url = kwargs.get("url", "")
    return f"Redis {url.split('@')[-1]}"  # no password in the log


@click.command("export-unit")
@click.argument("unit_code")
@click.argument("year", type=click.IntRange(MIN_YEAR, MAX_YEAR))
@click.argument("output", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--by", "username", default=None, help="Record the documents as made by this account.")
@with_appcontext
def export_unit_command(unit_code: str, year: int, output: Path, username: str | None) -> None:
    """Write the ZIP of a unit's books for YEAR (a branch, or every branch under a unit), the same
    as the "Xuất sổ hàng loạt" page makes. Exits with status 1 when a document could not be made
    (the ZIP is still written, with the others and the list of what failed)."""
    from app.auth.models import User
    from app.jobs import services
    from app.units.models import Unit

    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise click.ClickException(f"Không có đơn vị mã {unit_code}.")
    actor = None
    if username:
        actor = User.find_by_login(username)
        if actor is None:
            raise click.ClickException(f"Không có tài khoản {username}.")
    if not services.export_branches(unit):
        raise click.ClickException("Đơn vị này chưa có chi đoàn (chi bộ) nào để xuất sổ.")

    class Echo(services.Progress):
        def member_started(self, name: str, number: int, total: int) -> None:
            click.echo(f"[{number}/{total}] {name}")

        def summaries_started(self, branch_name: str) -> None:
            click.echo(f"Tài liệu tổng hợp: {branch_name}")

    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and moved into place, so a script never sees half a ZIP.
    handle, partial = tempfile.mkstemp(prefix=".export-", suffix=".part", dir=output.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            result = services.write_export(unit, year, actor, out, Echo(), source="cli")
        os.replace(partial, output)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    click.echo(f"Đã ghi {output}: {len(result.documents)} tệp PDF, {result.members_total} thành viên.")
    if result.failures:
        for failure in result.failures:
            click.echo(f"  Không xuất được {failure.subject}: {failure.reason}", err=True)
        raise click.ClickException(
            f"{len(result.failures)} tệp không xuất được (danh sách nằm trong tệp ZIP)."
        )
