"""One way for a view to run a workflow action: commit when it succeeds, roll back and say why when a
rule refuses it.

Every service's refusal is a `RuleError` (or a subclass named after its feature: `PlanError`,
`ReviewError`, …) whose text is the Vietnamese reason a user reads. Views do not call
`db.session.rollback()` themselves; they call `attempt`:

    outcome = attempt(lambda: services.submit_plan(current_user, plan), success="Đã gửi kế hoạch.")
    if outcome.ok: ...

A frozen record (`app.core.locks.LockedError`) is not a rule the user can satisfy by changing the
form: it is left to propagate to the 409 page, after the rollback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import flash

from app.core.db import db

T = TypeVar("T")


class RuleError(ValueError):
    """A workflow rule refused an action. `str(exc)` is the Vietnamese reason; `field`, when a
    service knows it, names the form field the reason belongs beside."""

    def __init__(self, message: str = "", field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Outcome(Generic[T]):
    """What `attempt` did: the action's result when it succeeded, the refusal when it did not."""

    ok: bool
    value: T | None = None
    error: Exception | None = None

    @property
    def message(self) -> str:
        return str(self.error) if self.error is not None else ""


def attempt(
    action: Callable[[], T],
    *,
    success: str | Callable[[T], str] | None = None,
    errors: list | None = None,
    catch: type[Exception] | tuple[type[Exception], ...] = RuleError,
    failure_category: str = "warning",
) -> Outcome[T]:
    """Run `action`; commit and flash `success` if it returns, roll back and report the reason if it
    raises one of `catch` (RuleError by default).

    The reason goes to `errors` when given (a field's or a form's error list, so it stands next to
    what the user typed and nothing is lost), else to a flash message. Anything else the action
    raises is rolled back and re-raised (LockedError reaches the 409 page).
    """
    try:
        value = action()
    except catch as exc:
        db.session.rollback()
        # Only a rule's reason is for the user; any other caught error (an IntegrityError's SQL) is
        # the caller's to explain from `outcome.error`.
        reason = str(exc) if isinstance(exc, RuleError) else ""
        if errors is not None:
            if reason:
                errors.append(reason)
        elif reason:
            flash(reason, failure_category)
        return Outcome(ok=False, error=exc)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    if success is not None:
        flash(success(value) if callable(success) else success, "success")
    return Outcome(ok=True, value=value)


def place_refusal(form, error: Exception | None, default_field: str) -> None:
    """Put a refusal's reason beside the field the service named (`RuleError.field`), or beside
    `default_field`: for views that ran `attempt(..., errors=[])` and know the form only now."""
    if error is None:
        return
    field = getattr(form, getattr(error, "field", None) or default_field, None)
    if field is None:
        field = getattr(form, default_field)
    field.errors.append(str(error))
