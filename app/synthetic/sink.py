"""Writing rows in bulk: COPY on PostgreSQL, executemany on SQLite, ids given by the generator."""

from __future__ import annotations

import time as _time
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from enum import Enum
from itertools import islice

import sqlalchemy as sa

from app.core.db import db

# The columns of an audit row, in the order the generators build its tuple (app.audit's AuditLog).
AUDIT_COLUMNS = (
    "id",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "subject_user_id",
    "unit_id",
    "before",
    "after",
    "reason",
    "created_at",
)


class Sink:
    """Bulk inserts on the session's connection: COPY on PostgreSQL, executemany on SQLite.

    Values are given the way the database stores them (`date()`/`ts()` convert for SQLite,
    which keeps dates and UTC timestamps as text); enums as their values.
    """

    BATCH = 50_000

    def __init__(self, now: datetime):
        self.connection = db.session.connection()
        self.dialect = self.connection.dialect.name
        self.raw = self.connection.connection.dbapi_connection
        self.sqlite = self.dialect == "sqlite"
        self.now = now
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}  # spent inserting, by table (generating rows included)
        self._next: dict[str, int] = {}

    # conversions ----------------------------------------------------------------------------
    def date(self, value: date | None):
        if value is None or not self.sqlite:
            return value
        return value.isoformat()

    def ts(self, value: datetime | None):
        """A UTC timestamp as the column type stores it (naive UTC text on SQLite)."""
        if value is None or not self.sqlite:
            return value
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return value.isoformat(" ", "microseconds")[:26]  # without the "+00:00"

    def next_id(self, table: str, count: int = 1) -> int:
        """The first of `count` fresh ids of `table` (after what the table already holds)."""
        if table not in self._next:
            t = db.metadata.tables[table]
            current = self.connection.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0
            self._next[table] = current + 1
        first = self._next[table]
        self._next[table] += count
        return first

    def _fill(self, table: sa.Table, columns: Sequence[str]) -> tuple[list[str], tuple]:
        """Columns not given that need a value (NOT NULL, no server default): their Python default."""
        extra_names, extra_values = [], []
        for column in table.columns:
            if column.name in columns or column.nullable or column.server_default is not None:
                continue
            default = column.default
            if default is None:
                raise ValueError(f"{table.name}.{column.name} needs a value")
            value = default.arg
            if callable(value):
                value = self.now
            if isinstance(value, Enum):
                value = value.value
            if isinstance(value, datetime):
                value = self.ts(value)
            extra_names.append(column.name)
            extra_values.append(value)
        return extra_names, tuple(extra_values)

    def insert(self, table_name: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        """Insert `rows` (tuples in the order of `columns`); returns how many."""
        table = db.metadata.tables[table_name]
        extra_names, extra = self._fill(table, columns)
        names = list(columns) + extra_names
        quoted = ", ".join(f'"{name}"' for name in names)
        count = 0
        started = _time.perf_counter()
        if self.sqlite:
            sql = f'INSERT INTO "{table_name}" ({quoted}) VALUES ({", ".join("?" * len(names))})'
            iterator = iter(rows)
            while batch := list(islice(iterator, self.BATCH)):
                if extra:
                    batch = [row + extra for row in batch]
                self.raw.executemany(sql, batch)
                count += len(batch)
        else:
            cursor = self.raw.cursor()
            with cursor.copy(f'COPY "{table_name}" ({quoted}) FROM STDIN') as copy:
                write = copy.write_row
                for row in rows:
                    write(row + extra if extra else row)
                    count += 1
            cursor.close()
        self.counts[table_name] = self.counts.get(table_name, 0) + count
        self.seconds[table_name] = self.seconds.get(table_name, 0.0) + _time.perf_counter() - started
        return count

    # The big tables take their secondary indexes (and, on PostgreSQL, foreign keys) after the
    # load: building an index once is much cheaper than keeping it up to date row by row. The
    # ratings' tables too: tens of thousands of rows with four or five foreign keys each, whose
    # row-by-row checks cost more than checking each key once at the end.
    BIG_TABLES = (
        "entries",
        "entry_commitments",
        "entry_snapshots",
        "entry_comments",
        "notifications",
        "audit_log",
        "month_reviews",
        "ratings",
        "self_assessments",
        "criterion_scores",
        "rating_citations",
    )

    def defer_indexes(self) -> None:
        """Drop the big tables' secondary indexes and foreign keys, keeping their exact definitions."""
        run = self.connection.exec_driver_sql
        tables = [t for t in self.BIG_TABLES if t in db.metadata.tables]
        if self.sqlite:
            marks = ", ".join("?" * len(tables))
            self._indexes = run(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({marks})",
                tuple(tables),
            ).all()
            self._foreign_keys = []
        else:
            self._foreign_keys = run(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "WHERE c.contype = 'f' AND (c.conrelid::regclass::text = ANY(%(t)s) "
                "OR c.confrelid::regclass::text = ANY(%(t)s))",
                {"t": tables},
            ).all()
            self._indexes = run(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid::regclass::text = ANY(%(t)s) AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                {"t": tables},
            ).all()
            for table, name, _definition in self._foreign_keys:
                run(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in self._indexes:
            run(f"DROP INDEX {name}" if not self.sqlite else f'DROP INDEX "{name}"')

    def restore_indexes(self) -> None:
        run = self.connection.exec_driver_sql
        for _name, definition in self._indexes:
            run(definition)
        for table, name, definition in self._foreign_keys:
            run(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')

    def finish(self) -> None:
        """The deferred indexes back; PostgreSQL: every sequence moved past the ids given here."""
        self.restore_indexes()
        if self.sqlite:
            return
        for name, table in db.metadata.tables.items():
            if "id" in table.c and name in self._next:
                self.connection.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), :v, false)"),
                    {"v": self._next[name]},
                )
