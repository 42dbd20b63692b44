"""The application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from config import BASE_DIR, get_config, instance_secret_key


def create_app(config_name: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app for `config_name` (APP_ENV by default), with optional setting overrides."""
    config_cls = get_config(config_name)
    overrides = overrides or {}
    app = Flask(
        __name__,
        instance_path=overrides.get("INSTANCE_PATH", config_cls.INSTANCE_PATH),
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
    )
    app.config.from_object(config_cls)
    app.config.update(overrides)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite has no connection pool to size.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.pop("pool_size", None)
        options.pop("max_overflow", None)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _ensure_secret_key(app)
    _configure_public_address(app)

    from app.core import bounds, cli, errors, security
    from app.core.db import db
    from app.core.extensions import csrf, limiter, login_manager, migrate
    from app.core.filters import register_filters

    bounds.install(app)
    db.init_app(app)
    # Every model module, so Alembic and the mapper see all tables.
    from app.audit import models as _audit_models  # noqa: F401
    from app.auth import models as _auth_models  # noqa: F401

    # Every task module, so a consumer (flask worker, app.worker) knows every task of the queue.
    from app.auth import tasks as _auth_tasks  # noqa: F401
    from app.export import models as _export_models  # noqa: F401
    from app.jobs import models as _job_models  # noqa: F401
    from app.jobs import tasks as _job_tasks  # noqa: F401
    from app.journal import models as _journal_models  # noqa: F401
    from app.mail import models as _mail_models  # noqa: F401
    from app.mail import tasks as _mail_tasks  # noqa: F401
    from app.notifications import models as _notification_models  # noqa: F401
    from app.plans import models as _plan_models  # noqa: F401
    from app.review import models as _review_models  # noqa: F401
    from app.standards import models as _standard_models  # noqa: F401
    from app.units import models as _unit_models  # noqa: F401

    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True, compare_type=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _tune_sqlite(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    from app.audit.routes import bp as audit_bp
    from app.auth.routes import bp as auth_bp
    from app.dashboard.routes import bp as dashboard_bp
    from app.export.routes import bp as export_bp
    from app.grading.routes import bp as grading_bp
    from app.jobs.routes import bp as jobs_bp
    from app.journal.routes import bp as journal_bp
    from app.mail.routes import bp as mail_bp
    from app.main.routes import bp as main_bp
    from app.members.routes import bp as members_bp
    from app.mydata.routes import bp as mydata_bp
    from app.notifications.routes import bp as notifications_bp
    from app.offline.routes import bp as offline_bp
    from app.plans.routes import bp as plans_bp
    from app.reports.routes import bp as reports_bp
    from app.review.routes import bp as review_bp
    from app.standards.routes import bp as standards_bp
    from app.units.routes import bp as units_bp

    for blueprint in (
        main_bp,
        auth_bp,
        units_bp,
        members_bp,
        mail_bp,
        standards_bp,
        plans_bp,
        journal_bp,
        review_bp,
        notifications_bp,
        dashboard_bp,
        audit_bp,
        grading_bp,
        reports_bp,
        jobs_bp,
        export_bp,
        mydata_bp,
        offline_bp,
    ):
        app.register_blueprint(blueprint)

    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    register_filters(app)
    errors.register(app)
    security.register(app)
    cli.register(app)
    _register_commands(app)
    return app


def _register_commands(app: Flask) -> None:
    """The flask commands: each package keeps its own in its cli.py, and the factory, which sees
    every package, adds them (core's own: app.core.cli)."""
    from app.backup.cli import backup_command, restore_command
    from app.export.cli import export_book_command
    from app.jobs.cli import export_unit_command, worker_command
    from app.members.cli import create_admin_command, import_members_command
    from app.reminders.cli import send_reminders_command
    from app.reports.cli import reports_rebuild_command
    from app.synthetic.cli import seed_bench_command, seed_demo_command

    for command in (
        seed_demo_command,
        create_admin_command,
        import_members_command,
        send_reminders_command,
        backup_command,
        restore_command,
        seed_bench_command,
        worker_command,
        export_unit_command,
        export_book_command,
        reports_rebuild_command,
    ):
        app.cli.add_command(command)


def _tune_sqlite(app: Flask) -> None:
    """WAL lets readers (pages, `flask backup`) and a writer work at once, and a writer waits
    for another instead of failing at once: the embedded default serves several workers. The wait
    (SQLITE_BUSY_TIMEOUT) outlasts the longest write the worker holds (registering a document while
    its PDF renders), so a member's save waits a moment instead of failing."""
    from sqlalchemy import event

    from app.core.db import db

    busy_ms = int(float(app.config.get("SQLITE_BUSY_TIMEOUT", 30)) * 1000)
    with app.app_context():

        @event.listens_for(db.engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.close()


def _configure_public_address(app: Flask) -> None:
    """PUBLIC_BASE_URL is required in production; the Host headers accepted follow from it."""
    from urllib.parse import urlsplit

    base = (app.config.get("PUBLIC_BASE_URL") or "").strip()
    parts = urlsplit(base)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        if app.config["ENV_NAME"] == "production":
            raise RuntimeError(
                "PUBLIC_BASE_URL must be set in production to the address people open, e.g. "
                "https://sonhatky.tinhdoan.vn: every link in emails and QR codes is built from it."
            )
        # Another environment without a usable address: links follow the request (development only).
        app.config["PUBLIC_BASE_URL"] = None
        return
    app.config["PUBLIC_BASE_URL"] = base.rstrip("/")
    if app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = [parts.hostname, *app.config.get("EXTRA_TRUSTED_HOSTS", [])]


def _ensure_secret_key(app: Flask) -> None:
    """Production needs a real SECRET_KEY; elsewhere one is generated once in instance/."""
    key = app.config.get("SECRET_KEY")
    if app.config["ENV_NAME"] == "production":
        if not key or len(key) < 32 or key in {"change-me", "dev", "secret"}:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production "
                '(e.g. python -c "import secrets; print(secrets.token_urlsafe(48))").'
            )
        return
    if not key:
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
