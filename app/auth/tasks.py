"""Password resets on the task queue (app.core.queue): the lookup, the token and the email happen in
the worker, so a request's timing tells nothing about which addresses have accounts."""

from __future__ import annotations

from app.core.queue import huey, task_context


@huey.task()
def send_password_reset_to(email: str) -> None:
    """Email a reset link to the account with this address, if any (app.auth.services)."""
    from app.auth import services

    with task_context():
        services.send_reset_to_address(email)
