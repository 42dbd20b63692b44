"""What the generator keeps while it builds: the organisation, each diary, each entry of a month,
and the canonical JSON the app hashes, written without loading a row."""

from __future__ import annotations

import calendar
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from app.core.enums import EntryStatus, Role
from app.core.text import fold, nfc
from app.synthetic.presets import Preset
from app.synthetic.sink import Sink
from app.synthetic.themes import EntryText, Theme


@dataclass
class Pooled:
    """A diary text ready to store: the fields, their folded search text, the JSON of each field."""

    text: EntryText
    search_text: str
    title: str
    json_fields: str  # '"action":…,' parts of the canonical JSON, see entry_json


@dataclass
class CommitmentInfo:
    id: int
    standard_id: int
    theme: Theme
    weight: float


@dataclass
class Diary:
    """One person's diary in one branch (a person in a chi đoàn and a chi bộ keeps two)."""

    user_id: int
    name: str
    unit_id: int
    role: Role
    joined: date
    rng: random.Random
    rate: float
    reviewer_id: int | None = None  # who reviews and signs it
    notify_ids: list[int] = field(default_factory=list)  # who is told about each entry
    silent_from: date | None = None
    newcomer: bool = False
    plans: dict[int, list[CommitmentInfo]] = field(default_factory=dict)  # year -> commitments in force
    cumulative: dict[int, list[float]] = field(default_factory=dict)  # year -> cumulative weights
    signed_months: dict[tuple[int, int], datetime] = field(default_factory=dict)
    # Last year's entries a self-assessment cites (app.synthetic.ratings): the latest few ids
    # per content group ("politics", …) of the commitment each entry is tied to first.
    evidence: dict[str, list[int]] = field(default_factory=dict)
    # Years whose plan and entries another generator writes (the demo's hand-written tour).
    written_elsewhere: frozenset[int] = frozenset()


@dataclass
class SyntheticOrg:
    """What was built: ids for the benchmark, counts, and what the ratings (app.synthetic.ratings) need."""

    preset: Preset
    seed: int
    today: date
    now: datetime
    root_id: int = 0
    party_id: int = 0
    first_branch_id: int = 0
    first_grassroots_id: int = 0
    branch_ids: list[int] = field(default_factory=list)
    cell_ids: list[int] = field(default_factory=list)
    diaries: list[Diary] = field(default_factory=list)
    unit_names: dict[int, str] = field(default_factory=dict)
    # chi đoàn / chi bộ -> the officers of the units above it, nearest first: the first reviews
    # its secretaries and ratifies its results, all of them are told when results are sent up.
    officers_above: dict[int, list[int]] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)  # username -> what they are
    counts: dict[str, int] = field(default_factory=dict)
    sink: Sink | None = None


_VIETNAM = timedelta(hours=7)  # Asia/Ho_Chi_Minh: UTC+7 all year (no daylight saving since 1975)


def local_at(day: date, hour: int, minute: int = 0) -> datetime:
    """That day at that time in Vietnam, in UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - _VIETNAM


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def audit_json(value: dict) -> str:
    """As app.audit.services._json writes before/after."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _title(action: str) -> str:
    first = action.strip().splitlines()[0] if action.strip() else "(chưa có nội dung)"
    return first if len(first) <= 90 else first[:87] + "…"


def pool_item(text: EntryText) -> Pooled:
    text = EntryText(*(nfc(part) or "" for part in (text.place, text.action, text.result, text.lesson)))
    search = fold(" ".join([text.place, text.action, text.result, text.lesson]))
    return Pooled(text, search, _title(text.action), "")


def entry_json(entry_id: int, deed: date, pooled: EntryText, commitment_ids, status: str) -> str:
    """hashing.canonical_json(hashing.entry_content(entry)), without loading the entry."""
    return _dumps(
        {
            "id": entry_id,
            "deed_date": deed.isoformat(),
            "place": pooled.place,
            "action": pooled.action,
            "result": pooled.result,
            "lesson": pooled.lesson,
            "commitment_ids": sorted(commitment_ids),
            "evidence": [],
            "status": status,
        }
    )


def month_json(
    user_id: int, unit_id: int, year: int, month: int, entry_jsons: list[str], comment: str
) -> str:
    """hashing.canonical_json(hashing.month_content(...)) from the entries' canonical JSON (by id)."""
    return (
        f'{{"comment":{_dumps(comment)},"entries":[{",".join(entry_jsons)}],"member_id":{user_id},'
        f'"month":{month},"unit_id":{unit_id},"year":{year}}}'
    )


class DraftEntry:
    """An entry while its month is generated (slots: a province holds ~90,000 of them at once)."""

    __slots__ = (
        "id",
        "diary",
        "deed",
        "created",
        "text",
        "commitments",
        "status",
        "submitted",
        "reviewed",
        "revision_at",
        "revision_reason",
        "resubmitted",
        "exemplary",
        "comment",
        "reply",
        "json",
    )

    def __init__(self, diary: int, deed: date, created: datetime, text: Pooled, commitments: list[int]):
        self.id = 0
        self.diary = diary
        self.deed = deed
        self.created = created
        self.text = text
        self.commitments = commitments
        self.status = EntryStatus.SUBMITTED
        self.submitted = self.reviewed = self.revision_at = None
        self.revision_reason = self.exemplary = self.comment = self.reply = self.json = None
        self.resubmitted = False
