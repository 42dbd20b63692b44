"""Last year's ratings (xếp loại) of the synthetic organisation, in bulk (issue 9).

    seed_ratings(org) -> int        # build() calls it once the diaries are in; returns the Rating rows

Every chi đoàn and chi bộ of the SyntheticOrg gets the grading round of last year (org.today.year - 1)
that app.grading's workflow leaves behind once it is over: opened by the secretary in November with
the framework the app defaults to (app.grading.catalogue: the Youth Union's four levels for a chi
đoàn, the Party's 100 points of QĐ 366 for a chi bộ), the meeting in December, sent up and ratified
by the officer of the unit above. In it, for each member who was in the branch when the round opened
(whoever joined since, this year's newcomers among them, has no rating, as sync_members would
have it):
- the self-assessment sent: the nine sections of text (naming the member's own commitments of
  last year), entries of last year's diary cited as evidence, the level or, on the 100-point scale,
  the points of each criterion and their total;
- the proposal of whoever reviews the member (the secretary; for the secretary and deputy, the
  officer above), with its comment, criterion lines, cited entries and points;
- the meeting: present or excused, the vote, the agreed level (and score), in the band of its level;
- the member's answer: acknowledged within the reconsideration days, or now and then a request
  for reconsideration that the unit above answered;
- a chi bộ's quarterly ratings (QĐ 366 evaluates by quarter), and the audit rows and notifications
  the services write along the way. No year is closed (no YearClosure).

Levels: about 15% excellent, 70% good, 12% completed, 3% not completed, drawn member by member
(those who write more lean to the top), but in no round more excellent members than the Party's
quota allows (20% of those rated good, counted as app.grading.services.quota_warnings counts), for
the proposals as for the results: no ratified round carries a quota warning.

Determinism: one random.Random per chi đoàn and per chi bộ, seeded from org.seed and the unit's
position (not its id), dates from org.today: the first branch is rated the same in every preset.
The framework rows go through the ORM (catalogue.ensure_shipped, a dozen rows); everything else
through org.sink.insert with ids from sink.next_id.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal

from app.core.enums import OrgType, Role, RoundStatus, Tier
from app.grading import catalogue
from app.grading.models import OTHER_SECTIONS, STRENGTH_SECTIONS
from app.notifications.services import TITLE_MAX
from app.synthetic import grading_texts
from app.synthetic.rating_members import MemberRatings
from app.synthetic.rating_scale import (
    RoundFacts,
    Scale,
    draw_tiers,
    say,
    step_tier,
    within_quota,
)
from app.synthetic.records import Diary, SyntheticOrg, audit_json, local_at
from app.synthetic.sink import AUDIT_COLUMNS

PRESENT = 0.93  # share of members at the grading meeting
RECONSIDER_DAYS = (10, 10, 10, 7, 15)


def seed_ratings(org: SyntheticOrg) -> int:
    """Last year's ratified grading round of every chi đoàn and chi bộ; returns how many ratings."""
    return _Rater(org).run()


class _Rater(MemberRatings):
    """Gathers every round's rows (a round at a time, then its members), then inserts them."""

    def __init__(self, org: SyntheticOrg):
        self.org = org
        self.s = org.sink
        self.year = org.today.year - 1
        self.now = org.now
        shipped = catalogue.ensure_shipped()
        self.scales = {
            OrgType.YOUTH_UNION: Scale(shipped[catalogue.YOUTH_CODE]),
            OrgType.PARTY: Scale(shipped[catalogue.PARTY_CODE]),
        }
        # The Party's quota (excellent at most 20% of good) holds in every round, chi đoàn included.
        party = shipped[catalogue.PARTY_CODE]
        self.quota = next((lv for lv in party.levels if lv.quota_percent), None)
        self._json: dict[tuple, str] = {}
        self.rounds: list[tuple] = []
        self.ratings: list[tuple] = []
        self.assessments: list[tuple] = []
        self.scores: list[tuple] = []
        self.citations: list[tuple] = []
        self.quarters: list[tuple] = []
        self.audits: list[tuple] = []
        self.notes: list[tuple] = []

    def run(self) -> int:
        by_unit: dict[int, list[Diary]] = {}
        for diary in self.org.diaries:
            by_unit.setdefault(diary.unit_id, []).append(diary)
        seed = self.org.seed
        for b, unit_id in enumerate(self.org.branch_ids):
            rng = random.Random(f"{seed}:ratings:branch:{b}")
            self._round(unit_id, by_unit.get(unit_id, []), rng, OrgType.YOUTH_UNION)
        for c, unit_id in enumerate(self.org.cell_ids):
            rng = random.Random(f"{seed}:ratings:cell:{c}")
            self._round(unit_id, by_unit.get(unit_id, []), rng, OrgType.PARTY)
        self._insert()
        return len(self.ratings)

    # helpers ---------------------------------------------------------------------------------------
    def _points(self, value: Decimal | None):
        """Numeric(5, 1) as the driver takes it (SQLite: a float, as SQLAlchemy would bind it)."""
        if value is None or not self.s.sqlite:
            return value
        return float(value)

    def _dumps(self, value: dict | None) -> str | None:
        """audit_json, once for each of the few different values."""
        if value is None:
            return None
        key = tuple(sorted(value.items()))
        if key not in self._json:
            self._json[key] = audit_json(value)
        return self._json[key]

    def _audit(
        self,
        actor: int,
        action: str,
        object_type: str,
        object_id: int,
        subject: int | None,
        unit_id: int,
        at: datetime,
        before: dict | None = None,
        after: dict | None = None,
        reason: str | None = None,
    ) -> None:
        """An audit row as app.audit.services.record writes it."""
        s = self.s
        self.audits.append(
            (
                s.next_id("audit_log"),
                actor,
                action,
                object_type,
                object_id,
                subject,
                unit_id,
                self._dumps(before),
                self._dumps(after),
                reason,
                s.ts(at),
            )
        )

    def _note(self, user_id: int, title: str, link: str, at: datetime, read_at: datetime | None) -> None:
        """A notification as app.notifications.services.notify writes it (kind "grading")."""
        s = self.s
        if len(title) > TITLE_MAX:
            title = title[: TITLE_MAX - 1] + "…"
        read = read_at if read_at is not None and read_at < self.now else None
        self.notes.append(
            (s.next_id("notifications"), user_id, "grading", title, "", link, s.ts(at), s.ts(read))
        )

    def _facts(self, level: tuple[int, str] | None, score: Decimal | None) -> dict:
        """What app.grading.services.assessment._rating_facts records of a level (id, name) and score."""
        return {
            "year": self.year,
            "level": level[1] if level else None,
            "score": f"{score:.1f}" if score is not None else None,
        }

    # a round ---------------------------------------------------------------------------------------
    def _round(self, unit_id: int, members: list[Diary], rng: random.Random, org_type: OrgType) -> None:
        """The unit's round of last year, ratified, and the rating of each member it rated."""
        if not members:
            return
        secretary = next((d for d in members if d.role is Role.SECRETARY), members[0])
        recorder = next((d for d in members if d.role is Role.DEPUTY_SECRETARY), None) or next(
            (d for d in members if d is not secretary), secretary
        )
        officers = self.org.officers_above[unit_id]
        when = _Calendar(rng, self.year, members)
        rated = [d for d in members if d.joined < when.opened_day]
        if not rated:
            return
        finals, proposed, own = self._tiers(rng, rated)
        present = [d is secretary or d is recorder or rng.random() < PRESENT for d in rated]
        r = RoundFacts(
            id=self.s.next_id("grading_rounds"),
            unit_id=unit_id,
            scale=self.scales[org_type],
            org_type=org_type,
            secretary=secretary,
            ratifier=officers[0],
            officers=officers,
            voters=sum(present),
            opened=when.opened,
            meeting_day=when.meeting_day,
            recorded=when.recorded,
            ratified=when.ratified,
            reconsider_days=when.reconsider_days,
            deadline=when.ratified_day + timedelta(days=when.reconsider_days),
        )
        self._round_rows(rng, r, recorder, when.submitted)
        for n, diary in enumerate(rated):
            self._rating(rng, r, diary, finals[n], proposed[n], own[n], present[n])

    def _tiers(self, rng: random.Random, rated: list[Diary]) -> tuple[list[Tier], list[Tier], list[Tier]]:
        """The agreed tiers (those who write more lean to the top), the proposals (a few a tier off,
        within the quota too) and each member's own view (more often a tier off)."""
        mean_rate = sum(d.rate for d in rated) / len(rated)
        finals = draw_tiers(rng, [d.rate / mean_rate for d in rated], self.quota)
        proposed = [
            step_tier(t, -1) if (r := rng.random()) < 0.04 else step_tier(t, 1) if r < 0.06 else t
            for t in finals
        ]
        # The proposals keep within the quota too: where they would not, the proposal was the result.
        while not within_quota(Counter(proposed), self.quota):
            changed = [i for i, (p, f) in enumerate(zip(proposed, finals, strict=True)) if p is not f]
            changed.sort(key=lambda i: proposed[i] is not Tier(self.quota.tier))
            proposed[changed[0]] = finals[changed[0]]
        own = [
            step_tier(t, -1) if (r := rng.random()) < 0.17 else step_tier(t, 1) if r < 0.22 else t
            for t in finals
        ]
        return finals, proposed, own

    def _round_rows(self, rng: random.Random, r: RoundFacts, recorder: Diary, submitted: datetime) -> None:
        """The round's row, its audit rows (opened, sent up, ratified), the officers told."""
        s, year, unit_id, secretary = self.s, self.year, r.unit_id, r.secretary
        self.rounds.append(
            (
                r.id,
                unit_id,
                year,
                r.scale.id,
                RoundStatus.RATIFIED.value,
                secretary.user_id,
                s.ts(r.opened),
                r.reconsider_days,
                s.date(r.meeting_day),
                rng.choice(grading_texts.MEETING_PLACES),
                secretary.name,
                recorder.name,
                say(rng.choice(grading_texts.MEETING_NOTES), r.org_type),
                s.ts(r.recorded),
                s.ts(submitted),
                None,
                None,
                s.ts(r.ratified),
                r.ratifier,
                4,  # opened, meeting recorded, sent up, ratified
            )
        )
        after = {"year": year}
        self._audit(
            secretary.user_id,
            "round.open",
            "grading_rounds",
            r.id,
            None,
            unit_id,
            r.opened,
            after={"year": year, "framework": r.scale.name},
        )
        self._audit(
            secretary.user_id, "round.submit", "grading_rounds", r.id, None, unit_id, submitted, after=after
        )
        self._audit(
            r.ratifier, "round.ratify", "grading_rounds", r.id, None, unit_id, r.ratified, after=after
        )
        unit_name = self.org.unit_names.get(unit_id, "")
        for officer in r.officers:
            self._note(
                officer,
                f"{unit_name} gửi kết quả xếp loại năm {year} để công nhận.",
                f"/grading/{unit_id}/{year}",
                submitted,
                submitted + timedelta(hours=rng.randint(1, 40)),
            )

    # writing ---------------------------------------------------------------------------------------
    def _insert(self) -> None:
        s = self.s
        s.insert(
            "grading_rounds",
            (
                "id",
                "unit_id",
                "year",
                "framework_id",
                "status",
                "opened_by_id",
                "opened_at",
                "reconsider_days",
                "meeting_date",
                "meeting_place",
                "chair_name",
                "recorder_name",
                "meeting_notes",
                "meeting_recorded_at",
                "submitted_at",
                "returned_at",
                "return_reason",
                "ratified_at",
                "ratified_by_id",
                "lock_version",
            ),
            self.rounds,
        )
        s.insert(
            "ratings",
            (
                "id",
                "round_id",
                "user_id",
                "proposed_level_id",
                "proposed_score",
                "proposal_comment",
                "proposed_by_id",
                "proposed_at",
                "present",
                "absence_reason",
                "votes_agree",
                "votes_total",
                "final_level_id",
                "final_score",
                "acknowledged_at",
                "reconsideration_reason",
                "reconsideration_at",
                "reconsideration_answer",
                "reconsideration_answered_at",
                "reconsideration_answered_by_id",
                "lock_version",
            ),
            self.ratings,
        )
        s.insert(
            "self_assessments",
            (
                "id",
                "rating_id",
                *(key for key, _label in STRENGTH_SECTIONS + OTHER_SECTIONS),
                "level_id",
                "score",
                "submitted_at",
                "updated_at",
                "lock_version",
            ),
            self.assessments,
        )
        s.insert(
            "criterion_scores", ("id", "rating_id", "criterion_id", "stage", "points", "comment"), self.scores
        )
        s.insert("rating_citations", ("id", "rating_id", "stage", "section", "entry_id"), self.citations)
        s.insert(
            "quarter_ratings",
            ("id", "unit_id", "user_id", "year", "quarter", "level_id", "comment", "rated_by_id", "rated_at"),
            self.quarters,
        )
        s.insert(
            "audit_log",
            AUDIT_COLUMNS,
            self.audits,
        )
        s.insert(
            "notifications",
            ("id", "user_id", "kind", "title", "body", "link", "created_at", "read_at"),
            self.notes,
        )


class _Calendar:
    """A round's days: opened in November (after the earliest members joined), self-assessments by
    the end of the month; in December the proposals, the meeting, sent up, ratified."""

    def __init__(self, rng: random.Random, year: int, members: list[Diary]):
        self.opened_day = max(
            date(year, 11, rng.randint(8, 20)), min(d.joined for d in members) + timedelta(days=1)
        )
        self.meeting_day = date(year, 12, rng.randint(10, 19))
        self.opened = local_at(self.opened_day, rng.randint(8, 10), rng.randint(0, 59))
        self.recorded = local_at(self.meeting_day, rng.randint(16, 17), rng.randint(0, 59))
        sent_day = self.meeting_day + timedelta(days=rng.randint(1, 3))
        self.submitted = local_at(sent_day, rng.randint(8, 10), rng.randint(0, 59))
        self.ratified_day = sent_day + timedelta(days=rng.randint(2, 6))
        self.ratified = local_at(self.ratified_day, rng.randint(9, 16), rng.randint(0, 59))
        self.reconsider_days = rng.choice(RECONSIDER_DAYS)
