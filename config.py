"""Settings for development, testing and production, read from the environment.

Every value a deployment may change comes from an environment variable of the same name;
the embedded default (no variables set) is SQLite in instance/ with email kept in the
in-app outbox.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance")).resolve()


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def instance_secret_key(instance_dir: Path) -> str:
    """Return the SECRET_KEY kept in instance/, creating it on first run."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    key_file = instance_dir / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way (postgres://, postgresql://)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    """Shared defaults; the embedded set-up (SQLite, outbox email, memory rate limits)."""

    ENV_NAME = "development"
    INSTANCE_PATH = str(INSTANCE_DIR)
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'sonhatky.db'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 20 * 1024 * 1024))

    # Sessions and cookies: HttpOnly and SameSite everywhere, Secure in production.
    SESSION_COOKIE_NAME = "sonhatky_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_NAME = "sonhatky_remember"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    # Idle timeout: the session cookie expires after this long without a request.
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", 120)))
    SESSION_REFRESH_EACH_REQUEST = True

    WTF_CSRF_CHECK_DEFAULT = False  # each form checks its own token (see app/core/extensions.py)
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead, so a long-open form still posts

    # Rate limits (Flask-Limiter): memory by default, Redis when REDIS_URL is set.
    REDIS_URL = os.environ.get("REDIS_URL") or None
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "20 per 5 minutes")
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "8 per 5 minutes")

    # Task queue (Huey) for bulk exports: Redis when HUEY_URL (or REDIS_URL) is set, else a SQLite
    # file in instance/. HUEY_IMMEDIATE runs a task at once in the process that asks (tests only).
    HUEY_URL = os.environ.get("HUEY_URL") or REDIS_URL
    HUEY_IMMEDIATE = _bool("HUEY_IMMEDIATE", False)
    # Finished bulk exports (ZIP files) are deleted this many hours after they were made.
    EXPORT_TTL_HOURS = float(os.environ.get("EXPORT_TTL_HOURS", 48))
    EXPORT_JOB_DIR = os.environ.get("EXPORT_JOB_DIR") or None  # default: instance/export-jobs

    # Email: SMTP when MAIL_SERVER is set, otherwise the in-app outbox only.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", 10))
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Sổ nhật ký làm theo lời Bác <no-reply@localhost>"
    )

    # How many reverse proxies (nginx …) stand in front: their X-Forwarded-For/-Proto headers are
    # trusted that many hops deep, so rate limits see the real client address. 0 = none.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 0))
    # Every link that leaves the request (emails, QR codes, stored export jobs) is built from this one
    # address, never from the Host header an attacker may send. Production refuses to start without it;
    # development defaults to the address `make run` prints (HOST and PORT, passed on by the Makefile).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or None
    # Host headers accepted besides the host of PUBLIC_BASE_URL (comma-separated; ".example.vn" matches
    # every subdomain). Any other Host is answered 400 (Werkzeug's trusted hosts).
    EXTRA_TRUSTED_HOSTS = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()]
    PASSWORD_RESET_MAX_AGE = int(os.environ.get("PASSWORD_RESET_MAX_AGE", 3600))
    INVITATION_MAX_AGE = int(os.environ.get("INVITATION_MAX_AGE", 14 * 24 * 3600))

    # argon2id at OWASP's recommended minimum for a small server: 19 MiB, 2 passes, 1 lane. Measured on
    # the 2-core development container: about 25 ms of CPU per sign-in (the old 64 MiB, t=3, 4 lanes
    # cost about 180 ms of CPU and 0.6 s on a loaded machine). Hashes made with other parameters are
    # upgraded at the owner's next sign-in (app.auth.services.check_password).
    ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", 2))
    ARGON2_MEMORY_COST = int(os.environ.get("ARGON2_MEMORY_COST", 19456))
    ARGON2_PARALLELISM = int(os.environ.get("ARGON2_PARALLELISM", 1))

    # SQLite only: how long a write waits for another process's write (the worker registering a PDF
    # while it renders it) before giving up with "database is locked" (then a 503, never a 500).
    SQLITE_BUSY_TIMEOUT = float(os.environ.get("SQLITE_BUSY_TIMEOUT", 30))

    IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 5000))
    HSTS = False
    SEED_DEMO_ALLOWED = True


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    PUBLIC_BASE_URL = Config.PUBLIC_BASE_URL or (
        f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
    )
    EXTRA_TRUSTED_HOSTS = [*Config.EXTRA_TRUSTED_HOSTS, "localhost", "127.0.0.1"]


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_SERVER = None
    HUEY_IMMEDIATE = True  # exports run inside the test; tests/test_jobs.py also runs a real consumer
    PUBLIC_BASE_URL = "http://sonhatky.test"
    # The test client's default host and the browser tests' live server.
    EXTRA_TRUSTED_HOSTS = ["localhost", "127.0.0.1"]
    # Cheap hashing keeps the suite fast; production uses the defaults above.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    HSTS = True
    SEED_DEMO_ALLOWED = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 10}


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> type[Config]:
    """Pick the settings class from `name` or APP_ENV (development by default)."""
    name = name or os.environ.get("APP_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"APP_ENV must be one of {sorted(CONFIGS)}, not {name!r}") from None
