"""Migrations build the schema from nothing on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.core.db import db
from tests.conftest import _pg_admin_url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """The URL of a database with no tables at all."""
    if request.param not in request.config._db_backends:
        pytest.skip(f"{request.param} is not reachable in this run")
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin_url = _pg_admin_url()
    name = f"sonhatky_migr_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    try:
        yield sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def fresh_app(empty_database, tmp_path):
    application = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": empty_database, "INSTANCE_PATH": str(tmp_path / "instance")}
    )
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def schema_differences(application) -> list:
    """What autogenerate would put in a new migration (nothing, when models and migrations agree)."""
    options = application.extensions["migrate"].configure_args
    with application.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": options.get("compare_type", True), "target_metadata": db.metadata}
        )
        return compare_metadata(context, db.metadata)


def table_names(application) -> set[str]:
    with application.app_context():
        return set(sa.inspect(db.engine).get_table_names())


def test_upgrade_an_empty_database_to_head_without_drift(fresh_app):
    assert table_names(fresh_app) == set()
    with fresh_app.app_context():
        upgrade()
    expected = {table.name for table in db.metadata.sorted_tables}
    assert expected <= table_names(fresh_app)
    assert schema_differences(fresh_app) == []


def test_downgrade_to_nothing_and_up_again(fresh_app):
    with fresh_app.app_context():
        upgrade()
        downgrade(revision="base")
    assert table_names(fresh_app) <= {"alembic_version"}
    with fresh_app.app_context():
        upgrade()
    assert schema_differences(fresh_app) == []


def test_the_migrated_schema_takes_vietnamese_text(fresh_app):
    """A round trip of NFC Vietnamese through the migrated tables (encoding, lengths)."""
    from app.auth.models import User

    with fresh_app.app_context():
        upgrade()
        user = User(username="duyenntm", email="duyen@example.vn")
        user.set_name("Nguyễn Thị Mỹ Duyên" + " Đặng" * 20)
        db.session.add(user)
        db.session.commit()
        db.session.expire_all()
        stored = db.session.scalar(sa.select(User))
        assert stored.full_name.startswith("Nguyễn Thị Mỹ Duyên Đặng")
        assert stored.name_folded.startswith("nguyen thi my duyen dang")
