"""The export tasks (bulk exports, and removing the files that have expired), on the one task queue
(app.core.queue: where it lives, the consumer, each task's app context)."""

from __future__ import annotations

from huey import crontab, signals

# `configure` too, as the export services call it from here (tasks.configure, then tasks.<task>).
from app.core.queue import configure, huey, task_context, worker_app  # noqa: F401


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

    app = worker_app()
    if app is None or not task.args:
        return
    handlers = {
        run_export_job.task_class: services.mark_interrupted,
        make_export_part.task_class: services.part_interrupted,
        pack_export_job.task_class: services.packing_interrupted,
    }
    handler = handlers.get(type(task))
    if handler is None:
        return
    with app.app_context():
        try:
            handler(task.args[0])
        except Exception:  # the queue or the database gone too: the periodic checks take over
            app.logger.exception("Could not hand back the interrupted task %s", task)
