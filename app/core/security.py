"""Security headers, the user loader and session lifetime checks."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask, g, request, session
from flask_login import AnonymousUserMixin, current_user, logout_user
from sqlalchemy.orm import joinedload

from app.core.db import db, utcnow

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
ABSOLUTE_SESSION_LIFETIME = timedelta(hours=12)


def register(app: Flask) -> None:
    from app.auth.models import User
    from app.core.extensions import login_manager

    @login_manager.user_loader
    def load_user(login_id: str) -> User | None:
        # The id carries the session version: a password change or deactivation ends old sessions.
        user_id, _, version = login_id.partition(".")
        if not re.fullmatch(r"[0-9]{1,9}", user_id) or not re.fullmatch(r"[0-9]{1,9}", version):
            return None
        # With the memberships (and their units) in the same query: every page asks about roles.
        user = db.session.get(User, int(user_id), options=[joinedload(User.memberships)])
        if user is None or not user.is_active or user.session_version != int(version):
            return None
        return user

    @app.before_request
    def enforce_absolute_lifetime() -> None:
        login_at = session.get("login_at")
        if login_at and current_user.is_authenticated:
            age = utcnow().timestamp() - float(login_at)
            if age > ABSOLUTE_SESSION_LIFETIME.total_seconds() and "_remember" not in session:
                logout_user()
                session.clear()

    @app.teardown_request
    def forget_loaded_user(exc: BaseException | None) -> None:
        # Flask-Login caches the user on `g`, which lives as long as the app context. When
        # one app context serves several requests (tests, scripts), the next request must still
        # load its user from its own cookie, so a password change or deactivation takes effect.
        g.pop("_login_user", None)

    def _signed_in() -> bool:
        # Whether this request has a signed-in user, without reading the user's columns again:
        # after a commit (a page that logged a read, a form saved) they are expired, and
        # `current_user.is_authenticated` (Flask-Login's `is_active`) would query the user a
        # second time just to choose a Cache-Control header.
        user = g.get("_login_user")
        if user is None:  # not asked yet in this request: ask now (the cookie decides)
            return bool(current_user.is_authenticated)
        return not isinstance(user, AnonymousUserMixin)

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("HSTS"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if _signed_in() and request.endpoint != "static":
            # Pages and downloads with personal data (PDF, ZIP, Excel, evidence) are kept by no cache,
            # not even the browser's: send_file's own "no-cache" only asks caches to revalidate.
            headers["Cache-Control"] = "no-store"
            headers.pop("ETag", None)
            headers.pop("Last-Modified", None)
        elif "attachment" in headers.get("Content-Disposition", ""):
            headers["Cache-Control"] = "no-store"
        return response
