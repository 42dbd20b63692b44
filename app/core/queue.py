"""The task queue (Huey): the one `huey` instance every package's tasks are declared on, and where
it lives.

Where the queue lives follows the app's settings (`configure`): Redis when HUEY_URL or
REDIS_URL is set (production, several web and task processes); otherwise a SQLite file in the
instance folder (instance/huey.db), the embedded default. With HUEY_IMMEDIATE (the tests) a
task runs at once in the process that enqueues it.

The web process only enqueues. A consumer runs the tasks, outside any request:

    flask worker                    # this app's settings (what `make run` starts)
    huey_consumer app.worker.huey   # the same through Huey's own command

Each package declares its own tasks in its `tasks.py` (app.jobs.tasks: exports; app.mail.tasks:
email delivery; app.auth.tasks: password resets); create_app imports them all, so a consumer
knows every task. Every task runs in an app context of its own (`task_context`), so it has a
database session of its own: the consumer's app (`bind_worker_app`), or in immediate mode the
app that enqueued it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.storage import BlackHoleStorage, RedisStorage, SqliteStorage

QUEUE_NAME = "sonhatky"


class UnconfiguredStorage(BlackHoleStorage):
    """The storage before `configure` has run: using the queue then is a programming error."""

    def _refuse(self, *args, **kwargs):
        raise RuntimeError(
            "The task queue is not configured: call app.core.queue.configure(app) first "
            "(run the consumer as `flask worker` or `huey_consumer app.worker.huey`)."
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


def worker_app() -> Flask | None:
    """The consumer's app (None outside a consumer)."""
    return _worker_app
