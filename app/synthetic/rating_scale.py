"""The grading scales the synthetic ratings are drawn on: the tiers' shares, the Party's quota,
points split over criteria, a framework read once as plain values (app.synthetic.ratings)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from app.core.enums import OrgType, Tier
from app.core.text import nfc
from app.grading.models import Framework, FrameworkLevel
from app.synthetic.records import Diary

TIER_WEIGHTS = {Tier.EXCELLENT: 15, Tier.GOOD: 70, Tier.COMPLETED: 12, Tier.NOT_COMPLETED: 3}

WORDS = {
    OrgType.YOUTH_UNION: {"chi": "chi đoàn", "to_chuc": "Đoàn", "member": "đoàn viên"},
    OrgType.PARTY: {"chi": "chi bộ", "to_chuc": "Đảng", "member": "đảng viên"},
}


@cache
def say(template: str, org_type: OrgType) -> str:
    """A text of app.synthetic.grading_texts in the words of the organisation, NFC as the app stores text."""
    return nfc(template.format(**WORDS[org_type])) or ""


def step_tier(tier: Tier, by: int) -> Tier:
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
        tiers[last] = step_tier(capped, 1)
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


class Scale:
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
                better = framework.level_for_tier(step_tier(tier, -1)) if tier is not Tier.EXCELLENT else None
                high = Decimal(better.min_score) - Decimal("0.5") if better else Decimal(98)
                self.bands[tier] = (max(Decimal(level.min_score or 0), high - Decimal("19.5")), high)

    def score(self, rng: random.Random, tier: Tier) -> Decimal:
        """A total score in the band of the tier's level, in half points."""
        low, high = self.bands[tier]
        return Decimal(rng.randint(int(low * 2), int(high * 2))) / 2


@dataclass
class RoundFacts:
    """What a round's ratings share."""

    id: int
    unit_id: int
    scale: Scale
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
