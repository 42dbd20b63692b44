"""A portable, consistent backup of the database and the uploaded files, and its restore.

The archive is a zip:

    manifest.json          format version, alembic revision, created_at (UTC), dialect,
                           tables (name -> row count, in dependency order), files (path -> sha256, size)
    data/<table>.jsonl     one JSON object per row, values encoded by column type
                           (dates and datetimes ISO 8601, bytes base64, enums as stored strings)
    files/<relative path>  everything under UPLOAD_DIR

All tables are read inside one read transaction (REPEATABLE READ, read only, on PostgreSQL; one
BEGIN … ROLLBACK on SQLite), so the rows form one snapshot. Nothing depends on the dialect: a
SQLite backup restores into PostgreSQL and the other way round.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy.types import TypeDecorator

from app.core.db import db, utcnow
from app.core.rules import RuleError

FORMAT = "sonhatky-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA_PREFIX = "data/"
FILES_PREFIX = "files/"
CHUNK = 64 * 1024
INSERT_BATCH = 500
# A member may not unpack to much more than the manifest says (zip bombs).
MAX_MANIFEST_BYTES = 16 * 1024 * 1024


class BackupError(RuleError):
    """A backup or restore was refused or failed; the message is for the operator."""


# ---- column encoding --------------------------------------------------------------------------


def _kind(column: sa.Column) -> str:
    col_type = column.type
    if isinstance(col_type, TypeDecorator):
        col_type = col_type.impl if isinstance(col_type.impl, sa.types.TypeEngine) else col_type.impl()
    if isinstance(col_type, sa.Enum):
        return "enum"
    if isinstance(col_type, sa.DateTime):
        return "datetime"
    if isinstance(col_type, sa.Date):
        return "date"
    if isinstance(col_type, sa.Time):
        return "time"
    if isinstance(col_type, sa.LargeBinary):
        return "bytes"
    if isinstance(col_type, sa.Boolean):
        return "bool"
    if isinstance(col_type, sa.Numeric) and not isinstance(col_type, sa.Float):
        return "decimal"
    if isinstance(col_type, sa.Integer):
        return "int"
    return "plain"


def _encode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind in ("datetime", "date", "time"):
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "decimal":
        return str(value)
    return value


def _decode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "time":
        return dt.time.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    if kind == "decimal":
        return decimal.Decimal(value)
    return value


def _select(table: sa.Table) -> sa.Select:
    """All rows in primary-key order; enums read as their stored strings (portable and exact)."""
    columns = [sa.type_coerce(c, sa.String).label(c.name) if _kind(c) == "enum" else c for c in table.c]
    order = list(table.primary_key.columns) or list(table.c)
    return sa.select(*columns).order_by(*order)


# ---- helpers ---------------------------------------------------------------------------------


def upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def head_revisions() -> set[str]:
    migrate = current_app.extensions["migrate"]
    return set(ScriptDirectory(migrate.directory).get_heads())


def _current_revision(conn: sa.Connection) -> str | None:
    try:
        rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    except sa.exc.DBAPIError:
        return None
    return ",".join(sorted(rows)) or None


def _iter_upload_files(root: Path) -> Iterator[tuple[str, Path]]:
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            yield path.relative_to(root).as_posix(), path


def safe_relative(name: str) -> PurePosixPath:
    """A member path that stays inside its folder, or BackupError (path traversal)."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or ":" in name.split("/")[0]:
        raise BackupError(f"Tệp sao lưu có đường dẫn không hợp lệ / unsafe path in archive: {name!r}")
    path = PurePosixPath(name)
    if path.is_absolute() or any(part in ("..", "") for part in name.split("/")):
        raise BackupError(f"Tệp sao lưu có đường dẫn không hợp lệ / unsafe path in archive: {name!r}")
    return path


# ---- backup ---------------------------------------------------------------------------------


def _snapshot_connection() -> sa.Connection:
    engine = db.engine
    if engine.dialect.name == "postgresql":
        conn = engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        conn.begin()
        return conn
    conn = engine.connect()
    if engine.dialect.name == "sqlite":
        # pysqlite opens no transaction for SELECTs by itself: one explicit BEGIN holds the snapshot.
        conn.exec_driver_sql("BEGIN")
    else:
        conn.begin()
    return conn


def write_backup(output: Path) -> dict[str, Any]:
    """Write the archive to `output` (atomically: a temporary file, then a rename); returns the manifest."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".backup-", suffix=".zip.part", dir=output.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        manifest = _write_archive(tmp)
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return manifest


def _write_archive(path: Path) -> dict[str, Any]:
    db.session.remove()
    tables: dict[str, int] = {}
    files: dict[str, dict[str, Any]] = {}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        conn = _snapshot_connection()
        try:
            revision = _current_revision(conn)
            if revision is None:
                raise BackupError(
                    "Cơ sở dữ liệu chưa được khởi tạo (không có alembic_version) / database not migrated."
                )
            dialect = conn.dialect.name
            for table in db.metadata.sorted_tables:
                kinds = {c.name: _kind(c) for c in table.c}
                count = 0
                with zf.open(f"{DATA_PREFIX}{table.name}.jsonl", "w", force_zip64=True) as member:
                    result = conn.execution_options(yield_per=1000).execute(_select(table))
                    for row in result.mappings():
                        record = {name: _encode(kinds[name], row[name]) for name in kinds}
                        member.write(json.dumps(record, ensure_ascii=False, sort_keys=True).encode() + b"\n")
                        count += 1
                tables[table.name] = count
        finally:
            conn.rollback()
            conn.close()
        # Files after the snapshot: every file the snapshot refers to was stored before it.
        for rel, source in _iter_upload_files(upload_dir()):
            digest = hashlib.sha256()
            size = 0
            with source.open("rb") as src, zf.open(FILES_PREFIX + rel, "w", force_zip64=True) as member:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    member.write(chunk)
            files[rel] = {"sha256": digest.hexdigest(), "size": size}
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "alembic_revision": revision,
            "created_at": utcnow().isoformat(),
            "dialect": dialect,
            "tables": tables,
            "table_order": list(tables),
            "files": files,
        }
        zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True))
    return manifest


# ---- restore --------------------------------------------------------------------------------


def _read_manifest(zf: zipfile.ZipFile) -> dict[str, Any]:
    for info in zf.infolist():
        safe_relative(info.filename.rstrip("/") if info.is_dir() else info.filename)
    try:
        info = zf.getinfo(MANIFEST)
    except KeyError:
        raise BackupError("Không phải tệp sao lưu (thiếu manifest.json) / not a backup archive.") from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise BackupError("manifest.json quá lớn / manifest too large.")
    try:
        manifest = json.loads(zf.read(info))
    except ValueError:
        raise BackupError("manifest.json hỏng / manifest is not valid JSON.") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"Định dạng sao lưu không hỗ trợ / unsupported backup format: "
            f"{manifest.get('format')} v{manifest.get('format_version')}"
        )
    known = {t.name for t in db.metadata.sorted_tables}
    unknown = set(manifest.get("tables", {})) - known
    if unknown:
        raise BackupError(f"Bảng không có trong ứng dụng / unknown tables: {', '.join(sorted(unknown))}")
    files = manifest.get("files", {})
    names = set(zf.namelist())
    for rel in files:
        safe_relative(rel)
        if FILES_PREFIX + rel not in names:
            raise BackupError(f"Thiếu tệp trong sao lưu / file missing from archive: {rel}")
    for name in names:
        if (
            name.startswith(FILES_PREFIX)
            and not name.endswith("/")
            and name[len(FILES_PREFIX) :] not in files
        ):
            raise BackupError(f"Tệp không có trong manifest / file not listed in manifest: {name}")
        if name.startswith(DATA_PREFIX) and name[len(DATA_PREFIX) :].removesuffix(
            ".jsonl"
        ) not in manifest.get("tables", {}):
            raise BackupError(f"Dữ liệu không có trong manifest / data not listed in manifest: {name}")
    return manifest


def _verify_files(zf: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    for rel, meta in manifest.get("files", {}).items():
        digest = hashlib.sha256()
        size = 0
        limit = int(meta["size"])
        with zf.open(FILES_PREFIX + rel) as member:
            while chunk := member.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    break
                digest.update(chunk)
        if size != limit or digest.hexdigest() != meta["sha256"]:
            raise BackupError(f"Tệp bị thay đổi (sai SHA-256) / checksum mismatch: {rel}")


def _non_empty_tables(conn: sa.Connection) -> list[str]:
    return [
        table.name
        for table in db.metadata.sorted_tables
        if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None
    ]


def _rows(zf: zipfile.ZipFile, table: sa.Table) -> list[dict[str, Any]]:
    name = f"{DATA_PREFIX}{table.name}.jsonl"
    try:
        raw = zf.open(name)
    except KeyError:
        raise BackupError(f"Thiếu dữ liệu bảng / missing table data: {table.name}") from None
    kinds = {c.name: _kind(c) for c in table.c}
    rows = []
    with raw, io.TextIOWrapper(raw, encoding="utf-8") as text:
        for number, line in enumerate(text, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                extra = set(record) - set(kinds)
                if extra:
                    raise BackupError(
                        f"Cột không có trong bảng / unknown columns in {table.name}: {', '.join(sorted(extra))}"
                    )
                rows.append({key: _decode(kinds[key], value) for key, value in record.items()})
            except BackupError:
                raise  # already says what is wrong (it is a ValueError too, through RuleError)
            except (ValueError, TypeError) as exc:
                raise BackupError(f"Dòng hỏng / bad row {table.name}:{number}: {exc}") from None
    return _parents_first(table, rows)


def _parents_first(table: sa.Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of a self-referencing table (units.parent_id) ordered so every parent comes first."""
    self_fks = [(fk.parent.name, fk.column.name) for fk in table.foreign_keys if fk.column.table is table]
    if not self_fks:
        return rows
    placed: set[tuple[str, Any]] = set()
    ordered: list[dict[str, Any]] = []
    pending = rows
    while pending:
        waiting = []
        for row in pending:
            if all(row.get(child) is None or (parent, row[child]) in placed for child, parent in self_fks):
                ordered.append(row)
                for _child, parent in self_fks:
                    placed.add((parent, row.get(parent)))
            else:
                waiting.append(row)
        if len(waiting) == len(pending):
            ordered.extend(waiting)  # a cycle or a dangling reference: the database will judge
            break
        pending = waiting
    return ordered


def restore_backup(source: Path) -> dict[str, Any]:
    """Restore an archive into an empty instance; returns the manifest. Raises BackupError."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"Không tìm thấy tệp / file not found: {source}")
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"Tệp sao lưu hỏng / not a valid zip archive: {exc}") from None
    db.session.remove()
    with zf:
        manifest = _read_manifest(zf)
        heads = head_revisions()
        if set((manifest.get("alembic_revision") or "").split(",")) != heads:
            raise BackupError(
                "Phiên bản cơ sở dữ liệu của bản sao lưu khác phiên bản ứng dụng / alembic revision "
                f"mismatch: backup {manifest.get('alembic_revision')}, application {','.join(sorted(heads))}. "
                "Hãy khôi phục bằng đúng phiên bản ứng dụng đã tạo bản sao lưu."
            )
        _verify_files(zf, manifest)
        root = upload_dir()
        existing = [rel for rel in manifest.get("files", {}) if (root / rel).exists()]
        if existing:
            raise BackupError(
                "Thư mục tệp tải lên không trống / upload folder already has files from the backup: "
                + ", ".join(existing[:5])
            )
        written: list[Path] = []
        engine = db.engine
        try:
            with engine.begin() as conn:
                revision = _current_revision(conn)
                if revision is None or set(revision.split(",")) != heads:
                    raise BackupError(
                        f"Cơ sở dữ liệu chưa ở phiên bản mới nhất / database not at head ({revision}); "
                        "chạy `flask db upgrade` trước."
                    )
                busy = _non_empty_tables(conn)
                if busy:
                    raise BackupError(
                        "Chỉ khôi phục vào cơ sở dữ liệu trống; các bảng sau đã có dữ liệu / refusing to "
                        "restore into a non-empty database, tables with rows: " + ", ".join(busy)
                    )
                counts = manifest.get("tables", {})
                for table in db.metadata.sorted_tables:
                    if table.name not in counts:
                        continue
                    rows = _rows(zf, table)
                    if len(rows) != counts[table.name]:
                        raise BackupError(
                            f"Số dòng không khớp / row count mismatch in {table.name}: "
                            f"{len(rows)} ≠ {counts[table.name]}"
                        )
                    for start in range(0, len(rows), INSERT_BATCH):
                        conn.execute(table.insert(), rows[start : start + INSERT_BATCH])
                if engine.dialect.name == "postgresql":
                    _reset_sequences(conn)
                for rel in manifest.get("files", {}):
                    written.append(_extract(zf, rel, root))
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
    return manifest


def _reset_sequences(conn: sa.Connection) -> None:
    for table in db.metadata.sorted_tables:
        if "id" not in table.c or table.c.id.autoincrement is False or not table.c.id.primary_key:
            continue
        sequence = conn.execute(
            sa.text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
        ).scalar()
        if not sequence:
            continue
        top = conn.execute(sa.select(sa.func.max(table.c.id))).scalar()
        if top is None:
            conn.execute(sa.text("SELECT setval(CAST(:seq AS regclass), 1, false)"), {"seq": sequence})
        else:
            conn.execute(
                sa.text("SELECT setval(CAST(:seq AS regclass), :v, true)"), {"seq": sequence, "v": top}
            )


def _extract(zf: zipfile.ZipFile, rel: str, root: Path) -> Path:
    target = root.joinpath(*safe_relative(rel).parts)
    resolved_root = root.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.parent.resolve().is_relative_to(resolved_root):
        raise BackupError(f"Đường dẫn ra ngoài thư mục tải lên / path escapes upload folder: {rel}")
    with zf.open(FILES_PREFIX + rel) as member, target.open("xb") as out:
        while chunk := member.read(CHUNK):
            out.write(chunk)
    return target
