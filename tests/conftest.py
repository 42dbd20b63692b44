"""Fixtures: the app on every reachable database, a clean database per test, factories.

Tests that use the `app` fixture (directly or through `client`, `make_user`, …) run once per
database: SQLite always, PostgreSQL when TEST_DATABASE_URL (default: postgres on
127.0.0.1:5432, database test) answers. Each PostgreSQL run gets a database of its own,
created and dropped around the session, so parallel runs on one server do not collide.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.core.db import db
from config import normalize_database_url

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Backend:
    name: str
    url: str
    admin_url: str | None = None
    database: str | None = None


def _pg_admin_url() -> str:
    return normalize_database_url(os.environ.get("TEST_DATABASE_URL", PG_DEFAULT))


def _reachable(url: str) -> str | None:
    """None when the database answers, else why not."""
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return None
    except Exception as exc:  # any failure means: not usable for this run
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()


def pytest_configure(config):
    wanted = [b.strip() for b in os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(",")]
    backends = [b for b in ("sqlite", "postgresql") if b in wanted]
    config._db_note = ""
    if "postgresql" in backends:
        problem = _reachable(_pg_admin_url())
        if problem:
            backends.remove("postgresql")
            config._db_note = f"PostgreSQL not reachable ({problem}); ran on SQLite only."
    config._db_backends = backends


def pytest_report_header(config):
    return f"databases: {', '.join(config._db_backends)}"


def pytest_terminal_summary(terminalreporter, config):
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    terminalreporter.write_line(
        "Databases tested: "
        + ", ".join(names[b] for b in config._db_backends)
        + (f"  [{config._db_note}]" if config._db_note else "")
    )


def pytest_collection_modifyitems(config, items):
    """Browser tests last: Playwright's sync API keeps an asyncio loop running in the main thread
    for the rest of the session, and libraries that call asyncio.run() (pyHanko) refuse to run there.

    The clock's edge moments run on SQLite (and on PostgreSQL too with TEST_CLOCK_DATABASES=all):
    PostgreSQL runs every clock test at the real time, which keeps `make test` within its time."""
    if os.environ.get("TEST_CLOCK_DATABASES", "sqlite") != "all":
        moved, kept = [], []
        for item in items:
            params = getattr(getattr(item, "callspec", None), "params", {})
            if params.get("clock_moment") and params.get("db_backend") not in (None, "sqlite"):
                moved.append(item)
            else:
                kept.append(item)
        if moved:
            config.hook.pytest_deselected(items=moved)
            items[:] = kept
    items.sort(key=lambda item: "tests/browser/" in item.nodeid or item.nodeid.startswith("browser/"))


def pytest_generate_tests(metafunc):
    if "db_backend" in metafunc.fixturenames:
        metafunc.parametrize("db_backend", metafunc.config._db_backends, indirect=True, scope="session")
    if metafunc.definition.get_closest_marker("clock"):
        metafunc.parametrize("clock_moment", [None, *CLOCK_MOMENTS], indirect=True, ids=_moment_id)


# ---- the clock ----------------------------------------------------------------------------------
# The app reads the date and the time from app/core/clock.py; time-machine moves that clock (and every
# other reading of it, threads included) for a test. Tests marked `clock` run once at the real time and
# once at each moment below, Vietnam time: the edges of a day, of a year, and a leap day. Setting
# TEST_CLOCK="2028-02-29 23:55" runs every test at that moment instead of the real time.
CLOCK_MOMENTS = [
    f"{day} {hour}"
    for day in ("2027-12-31", "2028-01-01", "2028-02-29")
    for hour in ("00:05", "12:00", "23:55")
]


def _moment_id(value) -> str:
    return "clock-now" if value is None else "clock-" + value.replace(" ", "T")


def _local_moment(text: str):
    from datetime import datetime

    from app.core.clock import LOCAL_TZ

    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


@dataclass
class Clock:
    """The test's handle on the app's clock: set it to a Vietnam-time moment, or move it on."""

    traveller: object

    def set(self, moment) -> None:
        """Go to `moment` (a datetime, or "2028-02-29 23:55" in Vietnam time); time goes on from there."""
        self.traveller.move_to(_local_moment(moment) if isinstance(moment, str) else moment)

    def shift(self, delta) -> None:
        """Move the clock on (or back) by a timedelta or a number of seconds."""
        self.traveller.shift(delta)


@pytest.fixture(autouse=True)
def clock_moment(request):
    """Runs the test at its `clock` moment, or at TEST_CLOCK, or at the real time."""
    moment = getattr(request, "param", None) or os.environ.get("TEST_CLOCK") or None
    if (
        moment is None
        or request.node.get_closest_marker("browser")
        or request.node.get_closest_marker("real_clock")
    ):
        # Browser tests compare the server with Chromium's own clock, and a real worker process keeps
        # the machine's: those run at the real time, on both sides.
        yield None
        return
    import time_machine

    with time_machine.travel(_local_moment(moment), tick=True):
        yield moment


@pytest.fixture
def clock(clock_moment):
    """A clock the test sets: `clock.set("2028-01-01 00:05")`, `clock.shift(timedelta(days=1))`."""
    import time_machine

    from app.core.clock import utcnow

    with time_machine.travel(utcnow(), tick=True) as traveller:
        yield Clock(traveller)


@pytest.fixture(scope="session")
def db_backend(request, tmp_path_factory):
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "test.db"
        yield Backend("sqlite", f"sqlite:///{path}")
        return
    admin_url = _pg_admin_url()
    name = f"sonhatky_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    yield Backend("postgresql", url, admin_url, name)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def app(db_backend, tmp_path_factory):
    """The app on one database, migrated to head once per session."""
    instance = tmp_path_factory.mktemp(f"instance-{db_backend.name}")
    application = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": db_backend.url,
            "INSTANCE_PATH": str(instance),
            "UPLOAD_DIR": str(instance / "uploads"),
            "SERVER_NAME": "sonhatky.test",
        },
    )
    application.config["DB_BACKEND"] = db_backend.name
    with application.app_context():
        if db_backend.name == "sqlite":
            # A test database need not survive a power cut: skip the fsync on every commit.
            @sa.event.listens_for(db.engine, "connect")
            def _fast_sqlite(dbapi_connection, _record):
                dbapi_connection.execute("PRAGMA synchronous=OFF")

            db.engine.dispose()
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """migrated_sqlite(path) puts an SQLite database migrated to head at `path` (a copy of one migrated
    once per session), for tests that run apps of their own, e.g. two workers on one database file."""
    import shutil

    template = tmp_path_factory.mktemp("migrated") / "head.db"
    application = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{template}", "INSTANCE_PATH": str(template.parent)}
    )
    with application.app_context():
        upgrade()
        db.engine.dispose()

    def copy_to(path: Path) -> Path:
        shutil.copyfile(template, path)
        return path

    return copy_to


def _empty_database(application) -> None:
    """Delete every row (faster than TRUNCATE on PostgreSQL for small tables) and restart ids."""
    with application.app_context():
        db.session.remove()
        tables = list(reversed(db.metadata.sorted_tables))
        with db.engine.begin() as conn:
            for table in tables:
                conn.execute(table.delete())
            if db.engine.dialect.name == "postgresql":
                for table in tables:
                    if "id" in table.c and table.c.id.autoincrement is not False:
                        conn.execute(
                            sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), 1, false)")
                        )


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Every test that uses the app starts from an empty (migrated) database."""
    if "app" not in request.fixturenames:
        yield
        return
    application = request.getfixturevalue("app")
    _empty_database(application)
    ctx = application.app_context()
    ctx.push()
    yield
    db.session.remove()
    ctx.pop()


@pytest.fixture
def client(app):
    return app.test_client()


# ---- factories --------------------------------------------------------------------------------


@pytest.fixture
def make_unit(app):
    """make_unit(name, kind=UnitKind.BRANCH, parent=None, code=None) -> Unit (committed)."""
    from app.core.enums import UnitKind
    from app.units.models import Unit

    counter = {"n": 0}

    def factory(name: str, kind=UnitKind.BRANCH, parent=None, code: str | None = None, place="Sóc Trăng"):
        counter["n"] += 1
        unit = Unit(
            name=name,
            code=code or f"U{counter['n']:03d}",
            kind=kind,
            org_type=kind.org_type,
            parent=parent,
            place=place,
        )
        db.session.add(unit)
        db.session.flush()
        unit.path = f"{parent.path if parent else '/'}{unit.id}/"
        db.session.commit()
        return unit

    return factory


PASSWORD = "matkhau123"


@pytest.fixture
def make_user(app):
    """make_user(username, unit=None, role=Role.MEMBER, ...) -> User with password PASSWORD."""
    from app.auth.models import User
    from app.auth.services import hash_password
    from app.core.enums import Role
    from app.units.models import Membership

    def factory(
        username: str,
        unit=None,
        role=Role.MEMBER,
        *,
        full_name: str | None = None,
        email: str | None = None,
        is_admin: bool = False,
        password: str | None = PASSWORD,
        active: bool = True,
    ):
        user = User(
            username=username,
            email=email,
            is_admin=is_admin,
            is_active=active,
            password_hash=hash_password(password) if password else None,
        )
        user.set_name(full_name or f"Người dùng {username}")
        db.session.add(user)
        if unit is not None:
            db.session.add(Membership(user=user, unit=unit, role=role))
        db.session.commit()
        return user

    return factory


@pytest.fixture
def login(client):
    """login(username, password=PASSWORD) logs the test client in and returns the response."""

    def do_login(username: str, password: str = PASSWORD, follow_redirects: bool = False):
        return client.post(
            "/login",
            data={"login": username, "password": password},
            follow_redirects=follow_redirects,
        )

    return do_login


@dataclass
class Org:
    """A small organisation with one person in every position the access rules distinguish."""

    root: object
    grassroots: object
    grassroots_other: object
    branch: object
    branch_sibling: object
    branch_other: object
    party_cell: object
    admin: object
    officer_root: object
    officer_sibling: object
    secretary: object
    deputy: object
    member: object
    member2: object
    secretary_other: object
    member_other: object


@pytest.fixture
def org(make_unit, make_user):
    """Đoàn Khối → (Đoàn cơ sở 1 → Chi đoàn A, A2), (Đoàn cơ sở 2 → Chi đoàn B); Đảng bộ → Chi bộ."""
    return build_org(make_unit, make_user)


def build_org(make_unit, make_user) -> Org:
    """The `org` fixture's organisation, made with the given factories."""
    from app.core.enums import Role, UnitKind

    root = make_unit("Đoàn Khối các Cơ quan tỉnh", UnitKind.SECTOR_UNION, code="DK")
    g1 = make_unit("Đoàn cơ sở Sở Giáo dục", UnitKind.GRASSROOTS_UNION, root, code="DCS1")
    g2 = make_unit("Đoàn cơ sở Sở Y tế", UnitKind.GRASSROOTS_UNION, root, code="DCS2")
    a = make_unit("Chi đoàn Văn phòng", UnitKind.BRANCH, g1, code="CDA")
    a2 = make_unit("Chi đoàn Phòng Trung học", UnitKind.BRANCH, g1, code="CDA2")
    b = make_unit("Chi đoàn Bệnh viện", UnitKind.BRANCH, g2, code="CDB")
    party = make_unit("Đảng bộ Sở", UnitKind.PARTY_COMMITTEE, code="DB")
    cell = make_unit("Chi bộ Văn phòng", UnitKind.PARTY_CELL, party, code="CB")
    return Org(
        root=root,
        grassroots=g1,
        grassroots_other=g2,
        branch=a,
        branch_sibling=a2,
        branch_other=b,
        party_cell=cell,
        admin=make_user("quantri", is_admin=True, full_name="Quản Trị Viên"),
        officer_root=make_user("canbo", root, Role.OFFICER, full_name="Lâm Thị Ngọc Hân"),
        officer_sibling=make_user("canbo2", g2, Role.OFFICER, full_name="Sơn Văn Tài"),
        secretary=make_user("bithu", a, Role.SECRETARY, full_name="Trần Quốc Bảo"),
        deputy=make_user("phobithu", a, Role.DEPUTY_SECRETARY, full_name="Võ Thị Lan"),
        member=make_user(
            "doanvien", a, Role.MEMBER, full_name="Nguyễn Thị Mỹ Duyên", email="duyen@example.vn"
        ),
        member2=make_user("doanvien2", a, Role.MEMBER, full_name="Đặng Văn Đạt"),
        secretary_other=make_user("bithub", b, Role.SECRETARY, full_name="Huỳnh Thanh Hải"),
        member_other=make_user("doanvienb", b, Role.MEMBER, full_name="Kim Thị Thảo"),
    )


# ---- email: a real SMTP server on loopback -------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Collector:
    """An aiosmtpd handler that keeps every envelope it receives."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        import email
        from email import policy

        return [email.message_from_bytes(e.original_content, policy=policy.default) for e in self.envelopes]


@pytest.fixture
def mail_config(app):
    """mail_config(MAIL_SERVER=…, …) for one test; the old settings come back afterwards."""
    keys = ("MAIL_SERVER", "MAIL_PORT", "MAIL_TIMEOUT", "MAIL_USERNAME", "MAIL_PASSWORD")
    saved = {key: app.config[key] for key in keys}
    yield app.config.update
    app.config.update(saved)


@pytest.fixture
def smtp_server(mail_config):
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that the app is pointed at; yields its Collector."""
    from aiosmtpd.controller import Controller

    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    mail_config(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=5)
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def waiting_queue(app, tmp_path):
    """The task queue as in production: tasks wait in a queue file until a worker (or the test,
    with run_queued) runs them."""
    from app.core.queue import configure, huey

    saved = {key: app.config[key] for key in ("HUEY_IMMEDIATE", "HUEY_URL")}
    app.config.update(HUEY_IMMEDIATE=False, HUEY_URL=f"sqlite:///{tmp_path / 'huey.db'}")
    configure(app)
    try:
        yield huey
    finally:
        huey.flush()
        app.config.update(saved)
        configure(app)


def run_queued(huey) -> int:
    """What a worker does: run every waiting task; returns how many ran."""
    ran = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran


@contextmanager
def worker_process(app, queue_file: Path, log_path: Path, stop_timeout: int = 20):
    """The app enqueues into the SQLite queue `queue_file`, and a separate `flask worker` process,
    with the app's database and folders, consumes it; its output is printed at the end (pytest
    shows it when the test fails)."""
    import subprocess
    import sys

    from app.core import queue
    from config import BASE_DIR

    saved = {key: app.config[key] for key in ("HUEY_IMMEDIATE", "HUEY_URL")}
    app.config.update(HUEY_IMMEDIATE=False, HUEY_URL=f"sqlite:///{queue_file}")
    log = log_path.open("w+")
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "APP_ENV": "testing",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_PATH": app.instance_path,
        "UPLOAD_DIR": app.config["UPLOAD_DIR"],
        "HUEY_URL": f"sqlite:///{queue_file}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "worker"], cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        yield process
    finally:
        process.terminate()  # SIGTERM: stop after the task at hand
        try:
            process.wait(timeout=stop_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
        app.config.update(saved)
        queue.configure(app)
        log.seek(0)
        print(log.read())
        log.close()
