"""Diary workflow and the views computed from it; the caller commits.

Rules (DESIGN.md §4 step 3 and the issue): the date of a deed is never in the future and at
most `unit.backdate_days` days back; an entry serves at least one commitment of the member's
plan; drafts are saved as people type; the time of writing is kept beside the deed's date.

The rooms (callers import this package, not the rooms):
- rules: limits, JournalError, EntryData, the deed's date, the plan's commitments an entry serves;
- writing: save_entry, autosave_draft, delete_entry, delete_evidence, telling the reviewers;
- reading: a month's entries, the timeline, search, day counts, streak, heatmap;
- coverage: commitment × month against the expected frequency.
"""

from app.journal.services.coverage import (
    COVERAGE_LEGEND,
    EXPECTED_PER_MONTH,
    CoverageCell,
    CoverageRow,
    coverage,
    coverage_row,
    coverage_score,
)
from app.journal.services.reading import (
    HeatCell,
    day_counts,
    diary_entries,
    heatmap,
    month_entries,
    search,
    timeline_page,
    week_streak,
)
from app.journal.services.rules import (
    MAX_ACTION,
    MAX_LESSON,
    MAX_PLACE,
    MAX_RESULT,
    EntryData,
    JournalError,
    available_commitments,
    check_deed_date,
    earliest_deed_date,
    month_is_signed_off,
    working_plan,
    year_plans,
)
from app.journal.services.writing import (
    autosave_draft,
    can_edit_entry,
    delete_entry,
    delete_evidence,
    is_author,
    save_entry,
)

__all__ = [
    "COVERAGE_LEGEND",
    "EXPECTED_PER_MONTH",
    "MAX_ACTION",
    "MAX_LESSON",
    "MAX_PLACE",
    "MAX_RESULT",
    "CoverageCell",
    "CoverageRow",
    "EntryData",
    "HeatCell",
    "JournalError",
    "autosave_draft",
    "available_commitments",
    "can_edit_entry",
    "check_deed_date",
    "coverage",
    "coverage_row",
    "coverage_score",
    "day_counts",
    "delete_entry",
    "delete_evidence",
    "diary_entries",
    "earliest_deed_date",
    "heatmap",
    "is_author",
    "month_entries",
    "month_is_signed_off",
    "save_entry",
    "search",
    "timeline_page",
    "week_streak",
    "working_plan",
    "year_plans",
]
