"""The task queue (Huey) and its tasks: bulk exports, and removing the files that have expired.

Where the queue lives follows the app's settings (`configure`): Redis when HUEY_URL or
REDIS_URL is set (production, several web and task processes); otherwise a SQLite file in the
instance folder (instance/huey.db), the embedded default. With HUEY_IMMEDIATE (the tests) a
task runs at once in the process that enqueues it.

The web process only enqueues. A consumer runs the tasks, outside any request:

    flask worker                        # this app's settings (what `make run` starts)
    huey_consumer app.jobs.worker.huey  # the same through Huey's own command

Every task runs in an app context of its own, so it has a database session of its own: the
consumer's app (`bind_worker_app`), or in immediate mode the app that enqueued it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab, signals
from huey.storage import BlackHoleStorage, RedisStorage, SqliteStorage

QUEUE_NAME = "sonhatky"


class UnconfiguredStorage(BlackHoleStorage):
    """The storage before `configure` has run: using the queue then is a programming error."""

    def _refuse(self, *args, **kwargs):
        raise RuntimeError(
            "The task queue is not configured: call app.jobs.tasks.configure(app) first "
            "(run the consumer as `flask worker` or `huey_consumer app.jobs.worker.huey`)."
        )

    enqueue = dequeue = _refuse


huey = Huey(QUEUE_NAME, results=False, storage_class=UnconfiguredStorage)

_lock = threading.Lock()
_configured_key: tuple | None = None
_worker_app: Flask | None = None


def storage_settings(app: Flask) -> tuple[type, dict[str, Any]]:
    """The storage class and its arguments for the app: Redis at HUEY_URL (REDIS_URL by default),
    a SQLite file when HUEY_URL is sqlite:///PATH, else instance/huey.db."""
    url = app.config.get("HUEY_URL") or ""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage, {"url": url}
    if url.startswith("sqlite:///"):
        return SqliteStorage, {"filename": url[len("sqlite:///") :]}
    if url:
        raise RuntimeError(f"HUEY_URL must be redis://…, rediss://…, unix://… or sqlite:///PATH, not {url!r}")
    return SqliteStorage, {"filename": str(Path(app.instance_path) / "huey.db")}


def configure(app: Flask, *, immediate: bool | None = None) -> Huey:
    """Point the queue at the app's storage; cheap when nothing changed (called before each enqueue).

    `immediate` defaults to the app's HUEY_IMMEDIATE; a consumer passes False.
    """
    global _configured_key
    storage_class, kwargs = storage_settings(app)
    if immediate is None:
        # In a consumer, tasks enqueued by tasks (an export's parts) go to the queue for every
        # consumer to share, whatever HUEY_IMMEDIATE says: never run inline in the worker.
        immediate = False if _worker_app is not None else bool(app.config.get("HUEY_IMMEDIATE"))
    key = (storage_class, tuple(sorted(kwargs.items())), immediate)
    with _lock:
        if key != _configured_key:
            old = huey.storage
            huey.storage_class = storage_class
            huey.storage_kwargs = kwargs
            huey._immediate = immediate  # the property's setter would build a storage we replace anyway
            huey.storage = huey.create_storage()
            old.close()
            _configured_key = key
    return huey


def bind_worker_app(app: Flask) -> Huey:
    """Make `app` the one tasks run in when no app context is active (a consumer's threads)."""
    global _worker_app
    _worker_app = app
    return configure(app, immediate=False)


@contextmanager
def task_context() -> Iterator[Flask]:
    """A fresh app context for a task: the enqueuing app in immediate mode, else the consumer's."""
    if has_app_context():
        app = current_app._get_current_object()
    elif _worker_app is not None:
        app = _worker_app
    else:
        raise RuntimeError("No app for the task: start the consumer with `flask worker`.")
    with app.app_context():
        yield app


@huey.task()
def run_export_job(job_id: int) -> None:
    """Share an export job out into one task per document (app.jobs.services.run_export)."""
    from app.jobs import services

    with task_context():
        services.run_export(job_id)


@huey.task()
def make_export_part(part_id: int) -> None:
    """Make one document of an export: a member's book or a summary (app.jobs.services.run_part)."""
    from app.jobs import services

    with task_context():
        services.run_part(part_id)


@huey.task()
def pack_export_job(job_id: int) -> None:
    """Pack an export's documents into its ZIP (app.jobs.services.pack_export)."""
    from app.jobs import services

    with task_context():
        services.pack_export(job_id)


@huey.periodic_task(crontab(minute="*"))
def recover_export_parts() -> None:
    """Every minute: the parts whose worker died go back to the queue for the others."""
    from app.jobs import services

    with task_context():
        services.recover_parts()


@huey.task()
def deliver_mail(message_id: int) -> None:
    """Send a queued email (app.mail.services.deliver)."""
    from app.mail import services

    with task_context():
        services.deliver(message_id)


@huey.task()
def send_password_reset_to(email: str) -> None:
    """Email a reset link to the account with this address, if any (app.auth.services)."""
    from app.auth import services

    with task_context():
        services.send_reset_to_address(email)


@huey.periodic_task(crontab(minute="*/5"))
def requeue_stale_mail() -> None:
    """Every five minutes: emails still queued long after they were written, enqueued again."""
    from app.mail import services

    with task_context():
        services.requeue_stale()


@huey.periodic_task(crontab(minute="*/10"))
def remove_expired_exports() -> None:
    """Every ten minutes: delete the ZIPs past their time, and fail the jobs a dead worker left."""
    from app.jobs import services

    with task_context():
        services.remove_expired()
        services.fail_stalled()


@huey.signal(signals.SIGNAL_INTERRUPTED)
def _export_interrupted(signal: str, task, *args, **kwargs) -> None:
    """A consumer stopped at once (Ctrl-C, SIGINT) in the middle of an export's task: the document
    it was making goes back to the queue (only that one); a job stopped while being shared out is
    marked interrupted."""
    from app.jobs import services

    if _worker_app is None or not task.args:
        return
    handlers = {
        run_export_job.task_class: services.mark_interrupted,
        make_export_part.task_class: services.part_interrupted,
        pack_export_job.task_class: services.packing_interrupted,
    }
    handler = handlers.get(type(task))
    if handler is None:
        return
    with _worker_app.app_context():
        try:
            handler(task.args[0])
        except Exception:  # the queue or the database gone too: the periodic checks take over
            _worker_app.logger.exception("Could not hand back the interrupted task %s", task)
