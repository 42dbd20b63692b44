"""Flask extensions, created once and bound to the app in create_app()."""

from __future__ import annotations

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"

migrate = Migrate()
# Registers csrf_token() for templates. Every POST view validates its FlaskForm (token included),
# so a stale token re-renders the form with what was typed instead of a bare 400 page.
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def _limits_off_for_this_app() -> bool:
    """Each app's RATELIMIT_ENABLED decides, not the last app created in the process.

    Flask-Limiter keeps `enabled` on the shared Limiter object, so creating a second app (a
    test, a CLI command) would switch the limits on or off for the first one.
    """
    return not current_app.config.get("RATELIMIT_ENABLED", True)
