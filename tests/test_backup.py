"""flask backup / flask restore: a round trip compares every row and every file."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from app.core.db import db
from app.core.enums import EntryStatus
from app.journal import storage
from app.journal.models import Entry, Evidence
from tests.conftest import _empty_database

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n" + "Nhật ký làm theo lời Bác".encode() + b"\x00\xff" * 100


def _snapshot_rows() -> dict[str, list[dict]]:
    db.session.remove()
    with db.engine.connect() as conn:
        return {
            table.name: [
                dict(row)
                for row in conn.execute(
                    sa.select(table).order_by(*(list(table.primary_key.columns) or list(table.c)))
                ).mappings()
            ]
            for table in db.metadata.sorted_tables
        }


def _snapshot_files(root: Path) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _clear_uploads(app) -> None:
    shutil.rmtree(app.config["UPLOAD_DIR"], ignore_errors=True)


@pytest.fixture
def data(app, org):
    """The org plus entries (one with two evidence files) and a stray upload."""
    _clear_uploads(app)
    entry = Entry(
        user_id=org.member.id,
        unit_id=org.branch.id,
        deed_date=date(2025, 3, 26),
        place="Sóc Trăng",
        action="Hiến máu tình nguyện 🩸",
        result="Hai đơn vị máu",
        lesson='Tương thân tương ái\n"trích dẫn" \\ \t',
        status=EntryStatus.SUBMITTED,
    )
    draft = Entry(user_id=org.member2.id, unit_id=org.branch.id, deed_date=date(2024, 12, 31))
    db.session.add_all([entry, draft])
    db.session.flush()
    for name, content in (("anh.png", PNG), ("bien-ban.pdf", PDF)):
        stored = storage.store(FileStorage(io.BytesIO(content), filename=name))
        db.session.add(
            Evidence(
                entry_id=entry.id,
                stored_name=stored.stored_name,
                original_name=stored.original_name,
                content_type=stored.content_type,
                size=stored.size,
                sha256=stored.sha256,
            )
        )
    db.session.commit()
    nested = Path(app.config["UPLOAD_DIR"]) / "other" / "sub"
    nested.mkdir(parents=True)
    (nested / "ghi-chú.txt").write_bytes("tệp khác".encode())
    yield org
    _clear_uploads(app)


def _backup(app, path: Path):
    result = app.test_cli_runner().invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    return result


def _restore(app, path: Path):
    return app.test_cli_runner().invoke(args=["restore", str(path)])


def test_round_trip_restores_every_row_and_file(app, data, tmp_path):
    upload = Path(app.config["UPLOAD_DIR"])
    member_id, branch_id = data.member.id, data.branch.id
    rows_before = _snapshot_rows()
    files_before = _snapshot_files(upload)
    assert rows_before["evidence"] and rows_before["units"] and len(files_before) == 3

    archive = tmp_path / "sao-luu.zip"
    _backup(app, archive)

    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["format_version"] == 1
        assert manifest["dialect"] == db.engine.dialect.name
        assert manifest["alembic_revision"]
        assert manifest["created_at"].endswith("+00:00")
        assert manifest["table_order"] == [t.name for t in db.metadata.sorted_tables]
        assert manifest["tables"] == {name: len(rows) for name, rows in rows_before.items()}
        assert {rel: m["sha256"] for rel, m in manifest["files"].items()} == {
            rel: hashlib.sha256(content).hexdigest() for rel, content in files_before.items()
        }
        first_entry = json.loads(zf.read("data/entries.jsonl").splitlines()[0])
        assert first_entry["deed_date"] == "2025-03-26"
        assert first_entry["status"] == EntryStatus.SUBMITTED.value

    _empty_database(app)
    _clear_uploads(app)
    assert all(not rows for rows in _snapshot_rows().values())

    result = _restore(app, archive)
    assert result.exit_code == 0, result.output

    assert _snapshot_rows() == rows_before
    assert _snapshot_files(upload) == files_before

    # Ids continue after the restored ones (PostgreSQL sequences were reset).
    entry = Entry(user_id=member_id, unit_id=branch_id, deed_date=date(2025, 5, 19))
    db.session.add(entry)
    db.session.commit()
    assert entry.id > max(row["id"] for row in rows_before["entries"])


def test_restore_refuses_non_empty_database(app, data, tmp_path):
    archive = tmp_path / "b.zip"
    _backup(app, archive)
    _clear_uploads(app)
    before = _snapshot_rows()
    result = _restore(app, archive)
    assert result.exit_code != 0
    assert "trống" in result.output and "non-empty" in result.output
    assert _snapshot_rows() == before
    assert _snapshot_files(Path(app.config["UPLOAD_DIR"])) == {}


def _rewrite(archive: Path, target: Path, change) -> None:
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(target, "w") as out:
        for info in src.infolist():
            name, content = change(info.filename, src.read(info))
            if name is not None:
                out.writestr(name, content)


def _empty_everything(app) -> None:
    _empty_database(app)
    _clear_uploads(app)


def test_tampered_file_is_refused(app, data, tmp_path):
    archive = tmp_path / "b.zip"
    _backup(app, archive)
    bad = tmp_path / "tampered.zip"

    def change(name, content):
        if name.startswith("files/evidence/") and name.endswith(".pdf"):
            return name, content.replace(b"%PDF-1.4", b"%PDF-1.5")
        return name, content

    _rewrite(archive, bad, change)
    _empty_everything(app)
    result = _restore(app, bad)
    assert result.exit_code != 0
    assert "SHA-256" in result.output
    assert all(not rows for rows in _snapshot_rows().values())
    assert _snapshot_files(Path(app.config["UPLOAD_DIR"])) == {}


@pytest.mark.parametrize("evil", ["../evil", "files/../../evil", "/etc/evil", "files/a/../../../evil"])
def test_path_traversal_member_is_refused(app, data, tmp_path, evil):
    archive = tmp_path / "b.zip"
    _backup(app, archive)
    bad = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(bad, "w") as out:
        for info in src.infolist():
            out.writestr(info, src.read(info))
        out.writestr(zipfile.ZipInfo(evil), b"pwned")
    _empty_everything(app)
    result = _restore(app, bad)
    assert result.exit_code != 0
    assert "unsafe path" in result.output
    assert all(not rows for rows in _snapshot_rows().values())
    assert not (tmp_path / "evil").exists()


def test_revision_mismatch_is_refused(app, data, tmp_path):
    archive = tmp_path / "b.zip"
    _backup(app, archive)
    bad = tmp_path / "old.zip"

    def change(name, content):
        if name == "manifest.json":
            manifest = json.loads(content)
            manifest["alembic_revision"] = "0000deadbeef"
            return name, json.dumps(manifest)
        return name, content

    _rewrite(archive, bad, change)
    _empty_everything(app)
    result = _restore(app, bad)
    assert result.exit_code != 0
    assert "alembic revision mismatch" in result.output


def test_not_an_archive_is_refused(app, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    result = _restore(app, junk)
    assert result.exit_code != 0
    assert "zip" in result.output


@pytest.fixture
def other_instance(app, tmp_path, pytestconfig):
    """A fresh, migrated, empty instance on the other database (SQLite ↔ PostgreSQL)."""
    import uuid

    from flask_migrate import upgrade

    from app import create_app
    from tests.conftest import _pg_admin_url

    if app.config["DB_BACKEND"] == "postgresql":
        url, cleanup = f"sqlite:///{tmp_path / 'other.db'}", None
    else:
        if "postgresql" not in pytestconfig._db_backends:
            pytest.skip("PostgreSQL not reachable: no cross-dialect restore")
        admin = sa.create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
        name = f"sonhatky_backup_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
        url = sa.engine.make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)

        def cleanup():
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    instance = tmp_path / "other-instance"
    other = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(instance),
            "UPLOAD_DIR": str(instance / "uploads"),
            "SERVER_NAME": "sonhatky.test",
        },
    )
    with other.app_context():
        upgrade()
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
    if cleanup:
        cleanup()


def test_cross_dialect_round_trip(app, data, tmp_path, other_instance):
    rows_before = _snapshot_rows()
    files_before = _snapshot_files(Path(app.config["UPLOAD_DIR"]))
    archive = tmp_path / "cross.zip"
    _backup(app, archive)
    with other_instance.app_context():
        assert db.engine.dialect.name != app.config["DB_BACKEND"]
        result = other_instance.test_cli_runner().invoke(args=["restore", str(archive)])
        assert result.exit_code == 0, result.output
        assert _snapshot_rows() == rows_before
        assert _snapshot_files(Path(other_instance.config["UPLOAD_DIR"])) == files_before
        db.session.remove()


def test_backup_reads_one_snapshot(app, data, tmp_path, monkeypatch):
    """A write committed while the backup runs is not half in it (PostgreSQL: REPEATABLE READ)."""
    if app.config["DB_BACKEND"] != "postgresql":
        pytest.skip("SQLite writers wait for the reading transaction; nothing can interleave")
    from app.backup import services

    evidence = db.metadata.tables["evidence"]
    names_before = sorted(r["original_name"] for r in _snapshot_rows()["evidence"])
    original_select = services._select

    def select_then_write(table):
        if table.name == "entries":  # read before evidence
            with db.engine.begin() as conn:
                conn.execute(evidence.update().values(original_name="sửa-giữa-chừng.pdf"))
        return original_select(table)

    monkeypatch.setattr(services, "_select", select_then_write)
    archive = tmp_path / "snap.zip"
    _backup(app, archive)
    with zipfile.ZipFile(archive) as zf:
        lines = zf.read("data/evidence.jsonl").decode().splitlines()
    assert sorted(json.loads(line)["original_name"] for line in lines) == names_before
