"""Helpers shared by test modules: reading pages, an approved plan, and a database put back between tests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa


def html(response) -> str:
    """The page's text (the response body decoded)."""
    return response.get_data(as_text=True)


@contextmanager
def statements_run(engine) -> Iterator[list[str]]:
    """The SQL statements run on `engine` inside the block, in order."""
    statements: list[str] = []

    def listener(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


def approved_plan(org, standard_unit=None, commitments=None, **fields):
    """The member's approved plan in their branch for this year (entries need one), committed.

    standard_unit: whose standard the commitments follow (the Đoàn Khối by default); commitments:
    Commitment objects without a standard (default: one, "Hiến máu tình nguyện", once)."""
    from app.core.db import db, utcnow
    from app.core.enums import ContentGroup, Frequency, PlanStatus
    from app.core.filters import today_local
    from app.plans.models import Commitment, Plan
    from app.standards.models import Standard

    year = today_local().year
    unit = standard_unit or org.root
    standard = Standard(unit_id=unit.id, year=year, group=ContentGroup.ETHICS, title="Cần, kiệm")
    db.session.add(standard)
    db.session.flush()
    plan = Plan(
        user_id=org.member.id,
        unit_id=org.branch.id,
        year=year,
        status=PlanStatus.APPROVED,
        created_by_id=org.member.id,
        created_at=utcnow().replace(month=1, day=1),
        **fields,
    )
    plan.commitments = commitments or [Commitment(action="Hiến máu tình nguyện", frequency=Frequency.ONCE)]
    for commitment in plan.commitments:
        commitment.standard = standard
    db.session.add(plan)
    db.session.flush()
    for commitment in plan.commitments:
        commitment.lineage_id = commitment.id
    db.session.commit()
    return plan


# Statements that change no row; anything else marks the database as written.
_READ_ONLY = ("SELECT", "PRAGMA", "SHOW", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")


class DatabaseSnapshot:
    """Every row of every table (and PostgreSQL's id sequences) at one moment, put back on demand.

    For a module whose tests share one expensive dataset: build it once, take a snapshot, and call
    `restore()` before each test. Every statement the engine runs is watched, so `restore()` does
    nothing when no test wrote since the last one; files the dataset made under `files_root` (evidence,
    exports) are put back too when a test deleted or changed them."""

    def __init__(self, engine: sa.Engine, metadata: sa.MetaData) -> None:
        self.engine = engine
        self.tables = list(metadata.sorted_tables)
        self.rows: dict[str, list[dict]] = {}
        self.sequences: dict[str, tuple[int, bool]] = {}
        self.files: dict[Path, Path] = {}
        self.written = False
        self._backup: Path | None = None
        sa.event.listen(engine, "before_cursor_execute", self._watch)

    def _watch(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not self.written and (statement[:40].split(None, 1) or [""])[0].upper() not in _READ_ONLY:
            self.written = True

    def take(self, files_root: Path | None = None, files_before: set[Path] | None = None) -> None:
        """Remember every row now; and the files under `files_root` that are not in `files_before`."""
        with self.engine.connect() as conn:
            for table in self.tables:
                order = list(table.primary_key.columns) or list(table.columns)
                self.rows[table.name] = [
                    dict(row) for row in conn.execute(sa.select(table).order_by(*order)).mappings()
                ]
            if self.engine.dialect.name == "postgresql":
                for table in self.tables:
                    if "id" in table.c and table.c.id.autoincrement is not False:
                        sequence = conn.scalar(
                            sa.text(f"SELECT pg_get_serial_sequence('{table.name}', 'id')")
                        )
                        if sequence:
                            last, called = conn.execute(
                                sa.text(f"SELECT last_value, is_called FROM {sequence}")
                            ).one()
                            self.sequences[sequence] = (last, called)
        if files_root is not None:
            self._backup = Path(tempfile.mkdtemp(prefix="snapshot-files-"))
            for path in files_under(files_root) - (files_before or set()):
                kept = self._backup / path.relative_to(files_root)
                kept.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, kept)
                self.files[path] = kept
        self.written = False

    def restore(self) -> None:
        """Put every table back as it was at `take()`, if anything was written since."""
        if self.written:
            with self.engine.begin() as conn:
                for table in reversed(self.tables):
                    conn.execute(table.delete())
                for table in self.tables:
                    if self.rows[table.name]:
                        conn.execute(table.insert(), self.rows[table.name])
                if self.sequences:
                    calls = ", ".join(
                        f"setval('{name}', {last}, {'true' if called else 'false'})"
                        for name, (last, called) in self.sequences.items()
                    )
                    conn.execute(sa.text(f"SELECT {calls}"))
            self.written = False
            for path, kept in self.files.items():
                if not path.exists() or _stamp(path) != _stamp(kept):
                    path.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(kept, path)

    def rows_now(self) -> dict[str, list[dict]]:
        """Every row as it is now, in the snapshot's shape (to check a restore)."""
        with self.engine.connect() as conn:
            return {
                table.name: [
                    dict(row)
                    for row in conn.execute(
                        sa.select(table).order_by(*(list(table.primary_key.columns) or list(table.columns)))
                    ).mappings()
                ]
                for table in self.tables
            }

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._watch)
        if self._backup is not None:
            shutil.rmtree(self._backup, ignore_errors=True)


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


def files_under(root: Path) -> set[Path]:
    """Every file below `root`."""
    return {path for path in Path(root).rglob("*") if path.is_file()}
