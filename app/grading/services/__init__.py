"""The year-end grading workflow: plain functions that take the acting user.

Every change to a rating is written to the audit log with who and why. A ratified round is
locked: nothing here changes it until the unit above records a reopening (`reopen_round`).

One module per step of the year (frameworks → rounds → diary → assessment → readiness → meeting →
ratification → closing; quarters and statistics beside them). The names other packages and the
tests use are gathered here, so `from app.grading import services` reaches all of them.
Permission questions are app.core.permissions' (`can_run_grading`, `can_ratify`, `can_reopen_year`).
"""

from .assessment import can_propose, can_self_assess, quota_warnings, save_proposal, save_self_assessment
from .base import REASON_MAX, TEXT_MAX, GradingError, StaleRating
from .closing import close_year, reopen_year, year_closure
from .diary import CitableEntry, DiaryYear, diary_year
from .frameworks import (
    LevelData,
    can_edit_framework,
    copy_framework,
    default_framework,
    delete_criterion,
    framework_in_use,
    frameworks_for,
    get_framework,
    save_criterion,
    update_framework,
)
from .meeting import MeetingLine, meeting_lock_message, record_meeting
from .quarters import quarter_ratings, save_quarter_ratings
from .ratification import (
    acknowledge,
    answer_reconsideration,
    can_answer_result,
    ratified_by_unit,
    ratify_round,
    ratifying_unit_of,
    reconsider_deadline,
    reopen_round,
    reopenings,
    request_reconsideration,
    return_round,
    submit_round,
)
from .readiness import STEPS, GoAhead, Readiness, confirmations, diary_warning, readiness, summary_count
from .rounds import branch_members, get_round, member_rating, open_round, ratings_of, sync_members
from .statistics import Statistics, TierCount, pending_ratification, round_tiers, rounds_under, statistics

__all__ = [
    "REASON_MAX",
    "STEPS",
    "TEXT_MAX",
    "CitableEntry",
    "DiaryYear",
    "GoAhead",
    "GradingError",
    "LevelData",
    "MeetingLine",
    "Readiness",
    "StaleRating",
    "Statistics",
    "TierCount",
    "acknowledge",
    "answer_reconsideration",
    "branch_members",
    "can_answer_result",
    "can_edit_framework",
    "can_propose",
    "can_self_assess",
    "close_year",
    "confirmations",
    "copy_framework",
    "default_framework",
    "delete_criterion",
    "diary_warning",
    "diary_year",
    "framework_in_use",
    "frameworks_for",
    "get_framework",
    "get_round",
    "meeting_lock_message",
    "member_rating",
    "open_round",
    "pending_ratification",
    "quarter_ratings",
    "quota_warnings",
    "ratified_by_unit",
    "ratify_round",
    "ratifying_unit_of",
    "ratings_of",
    "readiness",
    "reconsider_deadline",
    "record_meeting",
    "reopen_round",
    "reopen_year",
    "reopenings",
    "request_reconsideration",
    "return_round",
    "round_tiers",
    "rounds_under",
    "save_criterion",
    "save_proposal",
    "save_quarter_ratings",
    "save_self_assessment",
    "statistics",
    "submit_round",
    "summary_count",
    "sync_members",
    "update_framework",
    "year_closure",
]
