"""Email delivery on the task queue (app.core.queue): a queued message is sent by the worker, and
messages left queued (the queue was down when they were written) are enqueued again."""

from __future__ import annotations

from huey import crontab

from app.core.queue import huey, task_context


@huey.task()
def deliver_mail(message_id: int) -> None:
    """Send a queued email (app.mail.services.deliver)."""
    from app.mail import services

    with task_context():
        services.deliver(message_id)


@huey.periodic_task(crontab(minute="*/5"))
def requeue_stale_mail() -> None:
    """Every five minutes: emails still queued long after they were written, enqueued again."""
    from app.mail import services

    with task_context():
        services.requeue_stale()
