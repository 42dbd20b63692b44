"""Figures counted once and kept current by stale rows: the one mechanism behind the report figures
(app.reports.stats) and the branch dashboard's coverage counts (app.dashboard.coverage).

A summary table holds what would take seconds to add up from the diary on every view. It stays
current in three steps, each the same for every such table:

- an ORM listener (after_flush) asks the table's `collect` function which keys (a member-month, a
  member-year, …) the flushed objects touched, and writes one stale row per key in the same
  transaction as the change: every write of the app goes through the ORM;
- before a page reads the figures, `refresh` runs the table's recomputation, which `claim`s the
  stale rows of what it is about to read (DELETE … RETURNING, under a transaction-level advisory
  lock on PostgreSQL, so two refreshes never interleave) and counts those keys again; a part never
  counted (no `built` row: a database filled by bulk inserts that bypass the ORM) is counted whole
  and marked built;
- on SQLite the single writer does the same, and a refresh that collides with another gives way to
  it (IntegrityError: the other's rows stand).

`flask reports-rebuild` forgets the stale and built rows (`forget`) with the figures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, delete, event, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.db import db

Key = tuple
Collect = Callable[[Session, list[Any]], Iterable[Key]]


class SummaryCache:
    """One summary table's stale and built rows.

    `stale`: the model of the stale rows, whose columns `keys` name a key; `built`: the model of the
    (unit_id, year) parts counted at least once; `lock_key`: the PostgreSQL advisory lock of its
    refreshes; `label`: the table's figures in the log ("Coverage counts")."""

    def __init__(self, *, stale: type, keys: tuple[str, ...], built: type, lock_key: int, label: str) -> None:
        self.stale, self.keys, self.built = stale, keys, built
        self.lock_key, self.label = lock_key, label
        self._collect: Collect | None = None
        event.listen(Session, "after_flush", self._after_flush)

    # ---- marking stale ----------------------------------------------------------------------------

    def marks(self, collect: Collect) -> Collect:
        """Decorator: `collect(session, objects)` gives the keys the flushed `objects` (new, changed
        and deleted) make stale; it may run queries of its own on `session.connection()`."""
        self._collect = collect
        return collect

    def _after_flush(self, session: Session, _context) -> None:
        if self._collect is None:
            return
        objects = list(chain(session.new, session.dirty, session.deleted))
        keys = sorted(set(self._collect(session, objects)))
        if keys:
            connection = session.connection()
            # A key already stale stays stale once (a table keyed by the key ignores the repeat).
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            connection.execute(
                dialect.insert(self.stale.__table__).on_conflict_do_nothing(),
                [dict(zip(self.keys, key, strict=True)) for key in keys],
            )

    # ---- reading and claiming ---------------------------------------------------------------------

    def first_stale(self, *where: ColumnElement) -> Any:
        """A scalar subquery: a stale key's first column among `where`, or NULL (nothing stale)."""
        column = getattr(self.stale, self.keys[0])
        return select(column).where(*where).limit(1).scalar_subquery()

    def is_built(self, unit_id: int, year: int) -> Any:
        """A scalar subquery: the year when the part (unit, year) was counted at least once, or NULL."""
        B = self.built
        return select(B.year).where(B.unit_id == unit_id, B.year == year).scalar_subquery()

    def claim(self, *where: ColumnElement, returning: tuple[str, ...] | None = None) -> list:
        """Take the stale rows among `where` (deleted, returned as tuples of `returning`, the key by
        default) under the table's lock: what they name is to be counted again now."""
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(select(func.pg_advisory_xact_lock(self.lock_key)))
        columns = [getattr(self.stale, name) for name in (returning or self.keys)]
        return db.session.execute(delete(self.stale).where(*where).returning(*columns)).all()

    def built_parts(self, unit_ids: Select | list[int], years: Iterable[int]) -> set[tuple[int, int]]:
        """(unit, year) among `unit_ids` and `years` counted at least once."""
        B = self.built
        return set(
            db.session.execute(
                select(B.unit_id, B.year).where(B.unit_id.in_(unit_ids), B.year.in_(sorted(set(years))))
            ).all()
        )

    def mark_built(self, parts: Iterable[tuple[int, int]], **values) -> None:
        """The (unit, year) `parts` were counted whole (`values`: the built table's other columns)."""
        rows = [{"unit_id": unit_id, "year": year, **values} for unit_id, year in parts]
        if rows:
            db.session.execute(insert(self.built.__table__), rows)

    # ---- refreshing -------------------------------------------------------------------------------

    def refresh(self, recompute: Callable[[], None], *, commit: bool = True) -> None:
        """Run `recompute` (which claims and counts again) and commit — or, with commit=False (inside
        someone else's transaction, such as a document being made), in a savepoint that the caller's
        commit keeps. A collision with another refresh (SQLite) gives way: theirs stand."""
        try:
            if commit:
                recompute()
                db.session.commit()
            else:
                with db.session.begin_nested():
                    recompute()
        except IntegrityError as exc:
            if commit:
                db.session.rollback()
            current_app.logger.warning("%s refreshed elsewhere at the same time: %s", self.label, exc.orig)

    def forget(self) -> None:
        """Drop every stale and built row: each part is counted again on first use."""
        db.session.execute(delete(self.built))
        db.session.execute(delete(self.stale))
