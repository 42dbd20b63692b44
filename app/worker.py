"""The consumer's entry point for Huey's own command: `huey_consumer app.worker.huey`.

Importing this module builds the app from the environment (APP_ENV, DATABASE_URL, HUEY_URL …,
as for the web process) and binds the queue to it, so every task runs in that app's context.
`flask worker` does the same for the app the flask command loads.
"""

from __future__ import annotations

from app import create_app
from app.core.queue import bind_worker_app

app = create_app()
huey = bind_worker_app(app)
