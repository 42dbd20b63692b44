"""Account workflow: passwords, logins, invitation and reset links."""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_request_context, render_template, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.auth import tasks
from app.auth.models import User
from app.core import queue
from app.core.db import db, utcnow
from app.mail.models import MailStatus
from app.mail.services import send_mail

MIN_PASSWORD_LENGTH = 8


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def set_password(user: User, password: str) -> None:
    """Set a new password and end every other session and emailed link of the user."""
    user.password_hash = hash_password(password)
    user.session_version = (user.session_version or 0) + 1
    if user.activated_at is None:
        user.activated_at = utcnow()


def end_all_sessions(user: User) -> None:
    """Invalidate every session, remember-me cookie and emailed link of the user."""
    user.session_version = (user.session_version or 0) + 1


def check_password(user: User, password: str) -> bool:
    """Whether `password` is the user's; rehashes when the parameters have changed."""
    if not user.password_hash:
        return False
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


# A hash of a fixed password, so a login for an unknown name costs as much as a real one.
_DUMMY_HASH: dict[str, str] = {}


def authenticate(login: str, password: str) -> User | None:
    """The active user with this username or email and password, or None."""
    user = User.find_by_login(login)
    if user is None or not user.password_hash:
        key = repr(_hasher())
        if key not in _DUMMY_HASH:
            _DUMMY_HASH[key] = hash_password("not-a-real-password")
        with contextlib.suppress(VerificationError):
            _hasher().verify(_DUMMY_HASH[key], password)
        return None
    if not check_password(user, password) or not user.is_active:
        return None
    return user


def record_login(user: User) -> None:
    user.last_login_at = utcnow()


# ---- signed links ---------------------------------------------------------------------------

PURPOSE_RESET = "reset-password"
PURPOSE_INVITE = "activate-account"


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"sonhatky.{purpose}")


def make_token(user: User, purpose: str) -> str:
    """A signed link token; it dies when the user's session version changes (password set)."""
    return _serializer(purpose).dumps({"uid": user.id, "v": user.session_version})


def load_token(token: str, purpose: str, max_age: int) -> User | None:
    """The user a still-valid token was made for, or None (expired, used, forged)."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("uid")) if isinstance(data.get("uid"), int) else None
    if user is None or user.session_version != data.get("v") or not user.is_active:
        return None
    return user


def external_url(endpoint: str, **values) -> str:
    """An absolute link for an email or a QR code, always from PUBLIC_BASE_URL (also in the worker,
    which has no request)."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        root = current_app.config.get("APPLICATION_ROOT") or "/"
        path = current_app.url_map.bind("localhost", script_name=root).build(endpoint, values)
    return external_url_for_path(path)


def external_url_for_path(path: str) -> str:
    """An absolute link to a path inside the app, for emails and documents.

    Built from PUBLIC_BASE_URL (required in production, defaulted in development), never from the
    request's Host header: a password-reset link must not follow a Host an attacker sent.
    """
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:  # only an app configured without one outside production
        server = current_app.config.get("SERVER_NAME") or "localhost:5000"
        base = f"{current_app.config.get('PREFERRED_URL_SCHEME', 'http')}://{server}"
    return base.rstrip("/") + path


def invitation_link(user: User) -> str:
    return external_url("auth.activate", token=make_token(user, PURPOSE_INVITE))


def send_invitation(user: User, inviter: User, *, later: bool = False) -> bool:
    """Email the activation link; False when the person has no email address or SMTP failed.
    `later`: queued, sent by the worker after the caller commits (many invitations at once)."""
    if not user.email:
        return False
    days = current_app.config["INVITATION_MAX_AGE"] // 86400
    body = render_template(
        "auth/email/invitation.txt",
        user=user,
        inviter=inviter,
        link=invitation_link(user),
        days=days,
    )
    record = send_mail(
        user.email, "Mời kích hoạt tài khoản Sổ nhật ký làm theo lời Bác", body, user.id, later=later
    )
    return record.status is not MailStatus.FAILED


def request_password_reset(email: str) -> None:
    """Queue the reset email for whoever has `email`: the request does the same work for a known
    and an unknown address (the lookup, the token and the email happen in the worker), so its
    timing tells nothing about which addresses have accounts."""
    try:
        queue.configure(current_app._get_current_object())
        tasks.send_password_reset_to(email)
    except Exception as exc:  # the queue is down: the person asks again later
        current_app.logger.warning("Could not queue a password reset: %s", exc)


def send_reset_to_address(email: str) -> None:
    """The worker's half of request_password_reset: email a link if an active account has `email`."""
    user = User.find_by_login(email) if "@" in email else None
    if user is not None:
        send_password_reset(user)
    db.session.commit()


def send_password_reset(user: User) -> None:
    """Email a reset link to an active user with an email address."""
    if not user.email or not user.is_active:
        return
    link = external_url("auth.reset_password", token=make_token(user, PURPOSE_RESET))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    body = render_template("auth/email/reset.txt", user=user, link=link, minutes=minutes)
    send_mail(user.email, "Đặt lại mật khẩu Sổ nhật ký làm theo lời Bác", body, user.id)
