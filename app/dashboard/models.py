"""What the branch dashboard keeps counted (app.dashboard.coverage): each member's diary entries
of a year per commitment lineage and month, so the coverage of 30–50 members is read from a few
thousand small rows instead of a year of entries and their links to commitments."""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import db

# lineage_id of the row that counts all the member's diary entries of the month, with or without
# a commitment (it says which months have entries: those are to be signed off).
ALL_ENTRIES = 0


class CoverageCount(db.Model):
    """Diary entries (submitted, sent back, reviewed) of `user_id` in the branch `unit_id`, dated in
    `month` of `year`, that serve a commitment of lineage `lineage_id` (the first version's id) of
    their plans of that year; an entry linked to two versions of one commitment counts once.
    `lineage_id` ALL_ENTRIES: every diary entry of the month."""

    __tablename__ = "coverage_counts"
    __table_args__ = {"sqlite_with_rowid": False}

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    lineage_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    entries: Mapped[int] = mapped_column(default=0)


class StaleCoverage(db.Model):
    """A member's year in a branch whose entries, links or plans changed since it was counted:
    written in the same transaction as the change (once: a member-year is stale or not), claimed
    by the next dashboard of the branch."""

    __tablename__ = "coverage_stale"

    unit_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)


class BuiltCoverage(db.Model):
    """The counts of a branch's year were built from its entries (after which the listener keeps
    them current); a branch-year without this row is built by its next dashboard."""

    __tablename__ = "coverage_built"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
