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
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache

from app.core.enums import OrgType, Role, RoundStatus, Tier
from app.core.filters import vn_date
from app.core.text import nfc
from app.grading import catalogue
from app.grading.models import OTHER_SECTIONS, STRENGTH_SECTIONS, Framework, FrameworkLevel
from app.notifications.services import TITLE_MAX
from app.synthetic import grading_texts
from app.synthetic.records import Diary, SyntheticOrg, audit_json, local_at
from app.synthetic.sink import AUDIT_COLUMNS

TIER_WEIGHTS = {Tier.EXCELLENT: 15, Tier.GOOD: 70, Tier.COMPLETED: 12, Tier.NOT_COMPLETED: 3}
PRESENT = 0.93  # share of members at the grading meeting
RECONSIDER_DAYS = (10, 10, 10, 7, 15)

WORDS = {
    OrgType.YOUTH_UNION: {"chi": "chi đoàn", "to_chuc": "Đoàn", "member": "đoàn viên"},
    OrgType.PARTY: {"chi": "chi bộ", "to_chuc": "Đảng", "member": "đảng viên"},
}


@cache
def _say(template: str, org_type: OrgType) -> str:
    """A text of app.synthetic.grading_texts in the words of the organisation, NFC as the app stores text."""
    return nfc(template.format(**WORDS[org_type])) or ""


def seed_ratings(org: SyntheticOrg) -> int:
    """Last year's ratified grading round of every chi đoàn and chi bộ; returns how many ratings."""
    return _Rater(org).run()


def _step(tier: Tier, by: int) -> Tier:
    """The tier `by` steps worse (positive) or better (negative), within the four."""
    return Tier(min(max(int(tier) + by, int(Tier.EXCELLENT)), int(Tier.NOT_COMPLETED)))


def within_quota(counts: Counter, level: FrameworkLevel | None) -> bool:
    """Whether `counts` (tier -> members) keeps `level` within its quota, as quota_warnings reads it."""
    if level is None or not level.quota_percent or not counts.get(level.tier):
        return True
    base = counts.get(Tier(level.quota_of_tier), 0) if level.quota_of_tier else sum(counts.values())
    return counts[level.tier] * 100 <= base * level.quota_percent


def draw_tiers(rng: random.Random, leans: list[float], quota: FrameworkLevel | None) -> list[Tier]:
    """The agreed tiers of a round's members, by TIER_WEIGHTS (a lean above 1 moves weight to the
    top), with the members drawn last at the quota's level moved down a tier until it holds."""
    tiers = [
        rng.choices(
            list(TIER_WEIGHTS),
            weights=[
                TIER_WEIGHTS[Tier.EXCELLENT] * lean,
                TIER_WEIGHTS[Tier.GOOD],
                TIER_WEIGHTS[Tier.COMPLETED] / lean,
                TIER_WEIGHTS[Tier.NOT_COMPLETED] / lean,
            ],
        )[0]
        for lean in leans
    ]
    while not within_quota(Counter(tiers), quota):
        capped = Tier(quota.tier)
        last = max(i for i, tier in enumerate(tiers) if tier is capped)
        tiers[last] = _step(capped, 1)
    return tiers


def split_points(rng: random.Random, total: Decimal, maxima: list[Decimal]) -> list[Decimal]:
    """Points per criterion, in half points, each within its maximum, adding up to `total`."""
    caps = [int(m * 2) for m in maxima]
    goal = int(total * 2)
    share = goal / sum(caps)
    halves = [min(cap, max(0, round(cap * share * rng.uniform(0.94, 1.06)))) for cap in caps]
    order = sorted(range(len(caps)), key=lambda i: -caps[i])
    while gap := goal - sum(halves):
        step = 1 if gap > 0 else -1
        for i in order:  # the biggest criterion with room takes the difference, half a point at a time
            if 0 <= halves[i] + step <= caps[i]:
                halves[i] += step
                break
    return [Decimal(h) / 2 for h in halves]


class _Scale:
    """A framework as plain values, read once: its levels by tier, its criteria, the bands of points."""

    def __init__(self, framework: Framework):
        self.framework = framework
        self.id = framework.id
        self.name = framework.name
        self.is_points = framework.is_points
        self.has_quarterly = framework.has_quarterly
        self.levels = {Tier(lv.tier): (lv.id, lv.name) for lv in framework.levels}
        # (id, content group, max points) of each criterion, in the framework's order.
        self.criteria = [
            (c.id, c.content_group.value if c.content_group else "", c.max_points) for c in framework.criteria
        ]
        self.maxima = [c[2] for c in self.criteria]
        # The total scores of each tier's level: from its minimum to just below the next level's.
        self.bands: dict[Tier, tuple[Decimal, Decimal]] = {}
        if self.is_points:
            for tier in Tier:
                level = framework.level_for_tier(tier)
                better = framework.level_for_tier(_step(tier, -1)) if tier is not Tier.EXCELLENT else None
                high = Decimal(better.min_score) - Decimal("0.5") if better else Decimal(98)
                self.bands[tier] = (max(Decimal(level.min_score or 0), high - Decimal("19.5")), high)

    def score(self, rng: random.Random, tier: Tier) -> Decimal:
        """A total score in the band of the tier's level, in half points."""
        low, high = self.bands[tier]
        return Decimal(rng.randint(int(low * 2), int(high * 2))) / 2


@dataclass
class _Round:
    """What a round's ratings share."""

    id: int
    unit_id: int
    scale: _Scale
    org_type: OrgType
    secretary: Diary
    ratifier: int
    officers: list[int]
    voters: int
    opened: datetime
    meeting_day: date
    recorded: datetime
    ratified: datetime
    reconsider_days: int
    deadline: date


class _Rater:
    def __init__(self, org: SyntheticOrg):
        self.org = org
        self.s = org.sink
        self.year = org.today.year - 1
        self.now = org.now
        shipped = catalogue.ensure_shipped()
        self.scales = {
            OrgType.YOUTH_UNION: _Scale(shipped[catalogue.YOUTH_CODE]),
            OrgType.PARTY: _Scale(shipped[catalogue.PARTY_CODE]),
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
        """What app.grading.services._rating_facts records of a level (id, name) and score."""
        return {
            "year": self.year,
            "level": level[1] if level else None,
            "score": f"{score:.1f}" if score is not None else None,
        }

    # a round ---------------------------------------------------------------------------------------
    def _round(self, unit_id: int, members: list[Diary], rng: random.Random, org_type: OrgType) -> None:
        if not members:
            return
        s, year = self.s, self.year
        scale = self.scales[org_type]
        secretary = next((d for d in members if d.role is Role.SECRETARY), members[0])
        recorder = next((d for d in members if d.role is Role.DEPUTY_SECRETARY), None) or next(
            (d for d in members if d is not secretary), secretary
        )
        officers = self.org.officers_above[unit_id]

        # November: opened (after the earliest members joined), self-assessments by the end of the
        # month; December: proposals, the meeting, sent up, ratified.
        opened_day = max(
            date(year, 11, rng.randint(8, 20)), min(d.joined for d in members) + timedelta(days=1)
        )
        meeting_day = date(year, 12, rng.randint(10, 19))
        opened = local_at(opened_day, rng.randint(8, 10), rng.randint(0, 59))
        recorded = local_at(meeting_day, rng.randint(16, 17), rng.randint(0, 59))
        sent_day = meeting_day + timedelta(days=rng.randint(1, 3))
        submitted = local_at(sent_day, rng.randint(8, 10), rng.randint(0, 59))
        ratified_day = sent_day + timedelta(days=rng.randint(2, 6))
        ratified = local_at(ratified_day, rng.randint(9, 16), rng.randint(0, 59))
        reconsider_days = rng.choice(RECONSIDER_DAYS)

        rated = [d for d in members if d.joined < opened_day]
        if not rated:
            return
        mean_rate = sum(d.rate for d in rated) / len(rated)
        finals = draw_tiers(rng, [d.rate / mean_rate for d in rated], self.quota)
        proposed = [
            _step(t, -1) if (r := rng.random()) < 0.04 else _step(t, 1) if r < 0.06 else t for t in finals
        ]
        # The proposals keep within the quota too: where they would not, the proposal was the result.
        while not within_quota(Counter(proposed), self.quota):
            changed = [i for i, (p, f) in enumerate(zip(proposed, finals, strict=True)) if p is not f]
            changed.sort(key=lambda i: proposed[i] is not Tier(self.quota.tier))
            proposed[changed[0]] = finals[changed[0]]
        own = [_step(t, -1) if (r := rng.random()) < 0.17 else _step(t, 1) if r < 0.22 else t for t in finals]
        present = [d is secretary or d is recorder or rng.random() < PRESENT for d in rated]

        r = _Round(
            id=s.next_id("grading_rounds"),
            unit_id=unit_id,
            scale=scale,
            org_type=org_type,
            secretary=secretary,
            ratifier=officers[0],
            officers=officers,
            voters=sum(present),
            opened=opened,
            meeting_day=meeting_day,
            recorded=recorded,
            ratified=ratified,
            reconsider_days=reconsider_days,
            deadline=ratified_day + timedelta(days=reconsider_days),
        )
        self.rounds.append(
            (
                r.id,
                unit_id,
                year,
                scale.id,
                RoundStatus.RATIFIED.value,
                secretary.user_id,
                s.ts(opened),
                reconsider_days,
                s.date(meeting_day),
                rng.choice(grading_texts.MEETING_PLACES),
                secretary.name,
                recorder.name,
                _say(rng.choice(grading_texts.MEETING_NOTES), org_type),
                s.ts(recorded),
                s.ts(submitted),
                None,
                None,
                s.ts(ratified),
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
            opened,
            after={"year": year, "framework": scale.name},
        )
        self._audit(
            secretary.user_id, "round.submit", "grading_rounds", r.id, None, unit_id, submitted, after=after
        )
        self._audit(r.ratifier, "round.ratify", "grading_rounds", r.id, None, unit_id, ratified, after=after)
        unit_name = self.org.unit_names.get(unit_id, "")
        for officer in officers:
            self._note(
                officer,
                f"{unit_name} gửi kết quả xếp loại năm {year} để công nhận.",
                f"/grading/{unit_id}/{year}",
                submitted,
                submitted + timedelta(hours=rng.randint(1, 40)),
            )
        for n, diary in enumerate(rated):
            self._rating(rng, r, diary, finals[n], proposed[n], own[n], present[n])

    # a member's rating -----------------------------------------------------------------------------
    def _rating(
        self,
        rng: random.Random,
        r: _Round,
        diary: Diary,
        final: Tier,
        proposed: Tier,
        own: Tier,
        present: bool,
    ) -> None:
        s, year, scale = self.s, self.year, r.scale
        user_id = diary.user_id
        rating_id = s.next_id("ratings")
        scored = scale.is_points

        # The self-assessment, sent before December.
        days_left = max(1, (date(year, 11, 30) - r.opened.date()).days)
        self_sent = local_at(
            r.opened.date() + timedelta(days=rng.randint(1, days_left)),
            rng.randint(19, 22),
            rng.randint(0, 59),
        )
        self_score = scale.score(rng, own) if scored else None
        self_level = scale.levels[own]  # on the 100-point scale, the level its score falls in
        commitments: dict[str, list[str]] = {}
        for info in diary.plans.get(year, ()):
            commitments.setdefault(info.theme.group.value, []).append(info.theme.action.rstrip("."))
        sections = []
        for key, _label in STRENGTH_SECTIONS:
            if key == "duties":
                band = "high" if own is Tier.EXCELLENT else "good" if own is Tier.GOOD else "low"
                text = rng.choice(grading_texts.SELF_DUTIES[band])
            else:
                text = rng.choice(grading_texts.SELF_STRENGTHS[key])
            if commitments.get(key):
                text += " " + grading_texts.SELF_COMMITMENT.format(action=rng.choice(commitments[key]))
            sections.append(text)
        for pool in (
            grading_texts.SELF_SHORTCOMINGS,
            grading_texts.SELF_CAUSES,
            grading_texts.SELF_FIXED,
            grading_texts.SELF_DIRECTION,
        ):
            sections.append(rng.choice(pool))
        self.assessments.append(
            (
                s.next_id("self_assessments"),
                rating_id,
                *(_say(text, r.org_type) for text in sections),
                self_level[0],
                self._points(self_score),
                s.ts(self_sent),
                s.ts(self_sent),
                2,  # created, then saved and sent
            )
        )
        if scored:
            for (criterion_id, _group, _max), points in zip(
                scale.criteria, split_points(rng, self_score, scale.maxima), strict=True
            ):
                self.scores.append(
                    (s.next_id("criterion_scores"), rating_id, criterion_id, "self", self._points(points), "")
                )
        for key, _label in STRENGTH_SECTIONS:
            evidence = diary.evidence.get(key, [])
            for entry_id in rng.sample(evidence, rng.randint(0, min(1, len(evidence)))):
                self.citations.append((s.next_id("rating_citations"), rating_id, "self", key, entry_id))

        # The proposal, by whoever reviews the member, in December before the meeting.
        proposer = diary.reviewer_id
        december = date(year, 12, 1)
        proposed_at = local_at(
            december + timedelta(days=rng.randint(0, (r.meeting_day - december).days - 1)),
            rng.randint(8, 21),
            rng.randint(0, 59),
        )
        proposed_score = scale.score(rng, proposed) if scored else None
        proposed_level = scale.levels[proposed]
        proposal_comment = _say(rng.choice(grading_texts.PROPOSAL_COMMENTS[int(proposed)]), r.org_type)
        points = split_points(rng, proposed_score, scale.maxima) if scored else [None] * len(scale.maxima)
        cited_groups = set()
        for (criterion_id, group, _max), criterion_points in zip(scale.criteria, points, strict=True):
            remarks = grading_texts.CRITERION_COMMENTS.get(group, [""])
            remark = remarks[0] if proposed <= Tier.GOOD else remarks[-1]
            self.scores.append(
                (
                    s.next_id("criterion_scores"),
                    rating_id,
                    criterion_id,
                    "proposal",
                    self._points(criterion_points),
                    remark if rng.random() < 0.6 else "",
                )
            )
            evidence = diary.evidence.get(group, [])
            if evidence and group not in cited_groups and rng.random() < 0.5:
                cited_groups.add(group)  # an entry as evidence for the group's first criterion
                self.citations.append(
                    (
                        s.next_id("rating_citations"),
                        rating_id,
                        "proposal",
                        f"c{criterion_id}",
                        rng.choice(evidence),
                    )
                )

        # The meeting: the vote and the agreed level (the proposal's score when the level stayed).
        final_score = None
        if scored:
            final_score = proposed_score if proposed is final else scale.score(rng, final)
        final_level = scale.levels[final]
        dissent = 0 if (roll := rng.random()) < 0.75 else 1 if roll < 0.93 else 2
        if proposed is not final or final is Tier.NOT_COMPLETED:
            dissent += rng.randint(0, 2)
        votes_agree = min(r.voters, max(r.voters - dissent, r.voters // 2 + 1))
        absence = "" if present else rng.choice(grading_texts.ABSENCE_REASONS)

        # The answer: a member rated below their own view may ask for reconsideration (answered by
        # the unit above); most others acknowledge, all within the days allowed. Everything is drawn
        # whatever the clock says, so the stream stays the same; only what is past is kept.
        asks = final > own and rng.random() < 0.35
        answer_at = r.ratified + timedelta(minutes=rng.randint(30, (r.reconsider_days - 1) * 24 * 60))
        reply_at = answer_at + timedelta(days=rng.randint(2, 5), hours=rng.randint(0, 4))
        acknowledges = not asks and rng.random() < 0.85
        read_at = r.ratified + timedelta(hours=rng.randint(1, 72)) if rng.random() < 0.85 else None
        reason = rng.choice(grading_texts.RECONSIDERATION_REASONS)
        reply = _say(rng.choice(grading_texts.RECONSIDERATION_ANSWERS), r.org_type)
        acknowledged_at = answer_at if acknowledges and answer_at < self.now else None
        asked_at = answer_at if asks and answer_at < self.now else None
        replied_at = reply_at if asked_at and reply_at < self.now else None

        self.ratings.append(
            (
                rating_id,
                r.id,
                user_id,
                proposed_level[0],
                self._points(proposed_score),
                proposal_comment,
                proposer,
                s.ts(proposed_at),
                present,
                absence,
                votes_agree,
                r.voters,
                final_level[0],
                self._points(final_score),
                s.ts(acknowledged_at),
                reason if asked_at else None,
                s.ts(asked_at),
                reply if replied_at else None,
                s.ts(replied_at),
                r.ratifier if replied_at else None,
                3 + bool(acknowledged_at or asked_at) + bool(replied_at),  # proposed, met, then answered
            )
        )

        unit_id, none = r.unit_id, self._facts(None, None)
        self._audit(
            user_id,
            "rating.self",
            "ratings",
            rating_id,
            user_id,
            unit_id,
            self_sent,
            after={**self._facts(self_level, self_score), "submitted": True},
        )
        self._audit(
            proposer,
            "rating.propose",
            "ratings",
            rating_id,
            user_id,
            unit_id,
            proposed_at,
            before=none,
            after=self._facts(proposed_level, proposed_score),
            reason=proposal_comment[:500],
        )
        self._audit(
            r.secretary.user_id,
            "rating.final",
            "ratings",
            rating_id,
            user_id,
            unit_id,
            r.recorded,
            before=none,
            after=self._facts(final_level, final_score),
            reason="Kết quả họp xét phân loại",
        )
        me = f"/grading/{unit_id}/{year}/me"
        self._note(
            user_id,
            f"Kết quả xếp loại năm {year} đã được công nhận: {final_level[1]}. Bạn có thể ghi nhận hoặc "
            f"đề nghị xem xét lại đến hết ngày {vn_date(r.deadline)}.",
            me,
            r.ratified,
            acknowledged_at or asked_at or read_at,
        )
        after = {"year": year}
        if acknowledged_at:
            self._audit(
                user_id, "rating.ack", "ratings", rating_id, user_id, unit_id, acknowledged_at, after=after
            )
        if asked_at:
            self._audit(
                user_id,
                "rating.reconsider",
                "ratings",
                rating_id,
                user_id,
                unit_id,
                asked_at,
                after=after,
                reason=reason,
            )
            for officer in r.officers:
                self._note(
                    officer,
                    f"{diary.name} đề nghị xem xét lại kết quả xếp loại: {reason}",
                    f"/grading/{unit_id}/{year}",
                    asked_at,
                    replied_at,
                )
        if replied_at:
            self._audit(
                r.ratifier,
                "rating.answer",
                "ratings",
                rating_id,
                user_id,
                unit_id,
                replied_at,
                after=after,
                reason=reply,
            )
            self._note(
                user_id,
                f"Cấp trên đã trả lời đề nghị xem xét lại: {reply}",
                me,
                replied_at,
                replied_at + timedelta(hours=rng.randint(1, 30)),
            )

        # QĐ 366 rates by quarter too: a short rating after each quarter, the fourth at the meeting.
        if scale.has_quarterly:
            for quarter in range(1, 5):
                drift = rng.random()
                tier = final if drift < 0.7 else _step(final, -1 if drift < 0.8 else 1)
                rated_at = local_at(
                    date(year, 3 * quarter + 1, rng.randint(3, 15)) if quarter < 4 else r.meeting_day,
                    rng.randint(14, 17) if quarter < 4 else 18,
                    rng.randint(0, 59),
                )
                note = rng.choice(grading_texts.QUARTER_COMMENTS)
                if diary.joined >= date(year, 3 * quarter - 2, 1):
                    continue  # not yet a member when the quarter began
                self.quarters.append(
                    (
                        s.next_id("quarter_ratings"),
                        unit_id,
                        user_id,
                        year,
                        quarter,
                        scale.levels[tier][0],
                        note,
                        diary.reviewer_id,
                        s.ts(rated_at),
                    )
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
