"""The login throttle: failed sign-ins counted per account and per client address.

The count must hold across every worker process (gunicorn runs two under `make run`, more in
production), so it never lives in a worker's memory. With REDIS_URL set the counters are Redis
moving windows (the `limits` library Flask-Limiter is built on). Without Redis the failures table
itself is the counter: every failed sign-in is written there anyway, so its owner can see it, and
one indexed COUNT over the last few minutes is cheap, needs no extra service and is shared by every
process that shares the database. The account is the user id the typed name resolves to, so the
username and the email of one account share one limit.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from flask import current_app
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import delete, func, select

from app.auth.models import LoginFailure, User
from app.core.db import db, utcnow

KEEP_FAILURES = timedelta(days=90)  # how long an owner can look back at failed sign-ins
REDIS_PREFIX = "sonhatky-login"


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _limits() -> tuple[RateLimitItem, RateLimitItem]:
    cfg = current_app.config
    return parse(cfg["LOGIN_LIMIT_PER_ACCOUNT"]), parse(cfg["LOGIN_LIMIT_PER_IP"])


@cache
def _redis_limiter(url: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(url, key_prefix=REDIS_PREFIX))


def _redis() -> MovingWindowRateLimiter | None:
    # LOGIN_THROTTLE_REDIS_URL (not documented) lets a test use a Redis of its own for the counters only.
    url = current_app.config.get("LOGIN_THROTTLE_REDIS_URL", current_app.config.get("REDIS_URL"))
    return _redis_limiter(url) if url else None


def _keys(user: User | None, address: str) -> list[tuple[RateLimitItem, str]]:
    per_account, per_address = _limits()
    keys = [(per_address, f"address:{address}")]
    if user is not None:
        keys.append((per_account, f"account:{user.id}"))
    return keys


def is_blocked(user: User | None, address: str) -> bool:
    """Whether a sign-in for `user` (None: no such account) from `address` must wait."""
    if not _enabled():
        return False
    limiter = _redis()
    if limiter is not None:
        try:
            return any(not limiter.test(item, key) for item, key in _keys(user, address))
        except Exception as exc:  # Redis down: the database still counts (never a 500 at the login)
            current_app.logger.warning(
                "Login throttle: Redis unavailable (%s); counting in the database", exc
            )
    per_account, per_address = _limits()
    if _failures_since(LoginFailure.address == address, per_address) >= per_address.amount:
        return True
    return (
        user is not None
        and _failures_since(LoginFailure.user_id == user.id, per_account) >= per_account.amount
    )


def _failures_since(condition, item: RateLimitItem) -> int:
    since = utcnow() - timedelta(seconds=item.get_expiry())
    return db.session.scalar(select(func.count()).where(condition, LoginFailure.at >= since)) or 0


def record_failure(user: User | None, address: str) -> None:
    """Write down a failed sign-in (the owner sees it) and count it; the caller commits."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - KEEP_FAILURES))
    db.session.add(LoginFailure(user_id=user.id if user else None, address=(address or "")[:45]))
    db.session.flush()
    limiter = _redis() if _enabled() else None
    if limiter is not None:
        try:
            for item, key in _keys(user, address):
                limiter.hit(item, key)
        except Exception as exc:  # the failure is in the database all the same
            current_app.logger.warning("Login throttle: Redis unavailable (%s)", exc)


def failures_of(user: User, limit: int = 50) -> list[LoginFailure]:
    """The user's own failed sign-ins, newest first (for their account page)."""
    return list(
        db.session.scalars(
            select(LoginFailure)
            .where(LoginFailure.user_id == user.id)
            .order_by(LoginFailure.at.desc(), LoginFailure.id.desc())
            .limit(limit)
        )
    )


def failures_since(user: User, since) -> int:
    """How many failed sign-ins the account had after `since` (None: ever)."""
    query = select(func.count()).where(LoginFailure.user_id == user.id)
    if since is not None:
        query = query.where(LoginFailure.at > since)
    return db.session.scalar(query) or 0
