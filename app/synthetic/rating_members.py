"""A member's rating in a synthetic grading round (app.synthetic.ratings): the self-assessment, the
proposal, the meeting's vote and level, the member's answer, the quarters, and the audit rows and
notifications of each step. Every draw is made whatever the clock says, so the random stream is the
same on any day; only what is past is kept."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from app.core.enums import Tier
from app.core.filters import vn_date
from app.grading.models import STRENGTH_SECTIONS
from app.synthetic import grading_texts
from app.synthetic.rating_scale import RoundFacts, say, split_points, step_tier
from app.synthetic.records import Diary, local_at


@dataclass
class Stage:
    """A step of the rating: when, the level (id, name) and the score it gave, what it said."""

    at: datetime
    level: tuple[int, str]
    score: Decimal | None
    comment: str = ""


@dataclass
class Answer:
    """The meeting's vote and the member's answer to the result."""

    votes_agree: int
    absence: str
    acknowledged_at: datetime | None
    asked_at: datetime | None
    replied_at: datetime | None
    read_at: datetime | None
    reason: str
    reply: str


class MemberRatings:
    """The rows of one member's rating; the _Rater gives the lists, _audit, _note, _points, _facts."""

    def _rating(
        self,
        rng: random.Random,
        r: RoundFacts,
        diary: Diary,
        final: Tier,
        proposed: Tier,
        own: Tier,
        present: bool,
    ) -> None:
        rating_id = self.s.next_id("ratings")
        own_view = self._self_assessment(rng, r, diary, rating_id, own)
        proposal = self._proposal(rng, r, diary, rating_id, proposed)
        # The meeting: the vote and the agreed level (the proposal's score when the level stayed).
        final_score = None
        if r.scale.is_points:
            final_score = proposal.score if proposed is final else r.scale.score(rng, final)
        result = Stage(r.recorded, r.scale.levels[final], final_score)
        answer = self._answer(rng, r, final, own, proposed, present)
        self._rating_row(r, diary, rating_id, proposal, result, answer, present)
        self._trail(rng, r, diary, rating_id, own_view, proposal, result, answer)
        # QĐ 366 rates by quarter too: a short rating after each quarter, the fourth at the meeting.
        if r.scale.has_quarterly:
            self._quarters(rng, r, diary, final)

    def _self_assessment(
        self, rng: random.Random, r: RoundFacts, diary: Diary, rating_id: int, own: Tier
    ) -> Stage:
        """Sent before December: the nine sections (naming the member's own commitments), the level
        or points, entries of last year cited as evidence."""
        s, year, scale = self.s, self.year, r.scale
        days_left = max(1, (date(year, 11, 30) - r.opened.date()).days)
        sent = local_at(
            r.opened.date() + timedelta(days=rng.randint(1, days_left)),
            rng.randint(19, 22),
            rng.randint(0, 59),
        )
        score = scale.score(rng, own) if scale.is_points else None
        level = scale.levels[own]  # on the 100-point scale, the level its score falls in
        sections = self._sections(rng, diary, own)
        self.assessments.append(
            (
                s.next_id("self_assessments"),
                rating_id,
                *(say(text, r.org_type) for text in sections),
                level[0],
                self._points(score),
                s.ts(sent),
                s.ts(sent),
                2,  # created, then saved and sent
            )
        )
        if scale.is_points:
            for (criterion_id, _group, _max), points in zip(
                scale.criteria, split_points(rng, score, scale.maxima), strict=True
            ):
                self.scores.append(
                    (s.next_id("criterion_scores"), rating_id, criterion_id, "self", self._points(points), "")
                )
        for key, _label in STRENGTH_SECTIONS:
            evidence = diary.evidence.get(key, [])
            for entry_id in rng.sample(evidence, rng.randint(0, min(1, len(evidence)))):
                self.citations.append((s.next_id("rating_citations"), rating_id, "self", key, entry_id))
        return Stage(sent, level, score)

    def _sections(self, rng: random.Random, diary: Diary, own: Tier) -> list[str]:
        """The self-assessment's texts: strengths by section (duties by the member's own view),
        shortcomings, causes, what was fixed, the way ahead."""
        commitments: dict[str, list[str]] = {}
        for info in diary.plans.get(self.year, ()):
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
        return sections

    def _proposal(
        self, rng: random.Random, r: RoundFacts, diary: Diary, rating_id: int, proposed: Tier
    ) -> Stage:
        """By whoever reviews the member, in December before the meeting: the level or points, a
        remark on most criteria, an entry as evidence now and then."""
        s, scale = self.s, r.scale
        december = date(self.year, 12, 1)
        at = local_at(
            december + timedelta(days=rng.randint(0, (r.meeting_day - december).days - 1)),
            rng.randint(8, 21),
            rng.randint(0, 59),
        )
        score = scale.score(rng, proposed) if scale.is_points else None
        comment = say(rng.choice(grading_texts.PROPOSAL_COMMENTS[int(proposed)]), r.org_type)
        points = split_points(rng, score, scale.maxima) if scale.is_points else [None] * len(scale.maxima)
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
        return Stage(at, scale.levels[proposed], score, comment)

    def _answer(
        self, rng: random.Random, r: RoundFacts, final: Tier, own: Tier, proposed: Tier, present: bool
    ) -> Answer:
        """The vote, then the answer: a member rated below their own view may ask for reconsideration
        (answered by the unit above); most others acknowledge, all within the days allowed."""
        dissent = 0 if (roll := rng.random()) < 0.75 else 1 if roll < 0.93 else 2
        if proposed is not final or final is Tier.NOT_COMPLETED:
            dissent += rng.randint(0, 2)
        votes_agree = min(r.voters, max(r.voters - dissent, r.voters // 2 + 1))
        absence = "" if present else rng.choice(grading_texts.ABSENCE_REASONS)
        asks = final > own and rng.random() < 0.35
        answer_at = r.ratified + timedelta(minutes=rng.randint(30, (r.reconsider_days - 1) * 24 * 60))
        reply_at = answer_at + timedelta(days=rng.randint(2, 5), hours=rng.randint(0, 4))
        acknowledges = not asks and rng.random() < 0.85
        read_at = r.ratified + timedelta(hours=rng.randint(1, 72)) if rng.random() < 0.85 else None
        reason = rng.choice(grading_texts.RECONSIDERATION_REASONS)
        reply = say(rng.choice(grading_texts.RECONSIDERATION_ANSWERS), r.org_type)
        asked_at = answer_at if asks and answer_at < self.now else None
        return Answer(
            votes_agree=votes_agree,
            absence=absence,
            acknowledged_at=answer_at if acknowledges and answer_at < self.now else None,
            asked_at=asked_at,
            replied_at=reply_at if asked_at and reply_at < self.now else None,
            read_at=read_at,
            reason=reason,
            reply=reply,
        )

    def _rating_row(
        self,
        r: RoundFacts,
        diary: Diary,
        rating_id: int,
        proposal: Stage,
        result: Stage,
        answer: Answer,
        present: bool,
    ) -> None:
        s, a = self.s, answer
        self.ratings.append(
            (
                rating_id,
                r.id,
                diary.user_id,
                proposal.level[0],
                self._points(proposal.score),
                proposal.comment,
                diary.reviewer_id,
                s.ts(proposal.at),
                present,
                a.absence,
                a.votes_agree,
                r.voters,
                result.level[0],
                self._points(result.score),
                s.ts(a.acknowledged_at),
                a.reason if a.asked_at else None,
                s.ts(a.asked_at),
                a.reply if a.replied_at else None,
                s.ts(a.replied_at),
                r.ratifier if a.replied_at else None,
                3
                + bool(a.acknowledged_at or a.asked_at)
                + bool(a.replied_at),  # proposed, met, then answered
            )
        )

    def _trail(
        self,
        rng: random.Random,
        r: RoundFacts,
        diary: Diary,
        rating_id: int,
        own_view: Stage,
        proposal: Stage,
        result: Stage,
        answer: Answer,
    ) -> None:
        """The audit rows of the self-assessment, the proposal and the result; the member told."""
        user_id, unit_id, none = diary.user_id, r.unit_id, self._facts(None, None)
        self._audit(
            user_id,
            "rating.self",
            "ratings",
            rating_id,
            user_id,
            unit_id,
            own_view.at,
            after={**self._facts(own_view.level, own_view.score), "submitted": True},
        )
        self._audit(
            diary.reviewer_id,
            "rating.propose",
            "ratings",
            rating_id,
            user_id,
            unit_id,
            proposal.at,
            before=none,
            after=self._facts(proposal.level, proposal.score),
            reason=proposal.comment[:500],
        )
        self._audit(
            r.secretary.user_id,
            "rating.final",
            "ratings",
            rating_id,
            user_id,
            unit_id,
            result.at,
            before=none,
            after=self._facts(result.level, result.score),
            reason="Kết quả họp xét phân loại",
        )
        self._note(
            user_id,
            f"Kết quả xếp loại năm {self.year} đã được công nhận: {result.level[1]}. Bạn có thể ghi nhận hoặc "
            f"đề nghị xem xét lại đến hết ngày {vn_date(r.deadline)}.",
            f"/grading/{unit_id}/{self.year}/me",
            r.ratified,
            answer.acknowledged_at or answer.asked_at or answer.read_at,
        )
        self._answer_trail(rng, r, diary, rating_id, answer)

    def _answer_trail(
        self, rng: random.Random, r: RoundFacts, diary: Diary, rating_id: int, a: Answer
    ) -> None:
        """The acknowledgement, or the request for reconsideration (the officers told) and its answer."""
        user_id, unit_id, year = diary.user_id, r.unit_id, self.year
        after = {"year": year}
        if a.acknowledged_at:
            self._audit(
                user_id, "rating.ack", "ratings", rating_id, user_id, unit_id, a.acknowledged_at, after=after
            )
        if a.asked_at:
            self._audit(
                user_id,
                "rating.reconsider",
                "ratings",
                rating_id,
                user_id,
                unit_id,
                a.asked_at,
                after=after,
                reason=a.reason,
            )
            for officer in r.officers:
                self._note(
                    officer,
                    f"{diary.name} đề nghị xem xét lại kết quả xếp loại: {a.reason}",
                    f"/grading/{unit_id}/{year}",
                    a.asked_at,
                    a.replied_at,
                )
        if a.replied_at:
            self._audit(
                r.ratifier,
                "rating.answer",
                "ratings",
                rating_id,
                user_id,
                unit_id,
                a.replied_at,
                after=after,
                reason=a.reply,
            )
            self._note(
                user_id,
                f"Cấp trên đã trả lời đề nghị xem xét lại: {a.reply}",
                f"/grading/{unit_id}/{year}/me",
                a.replied_at,
                a.replied_at + timedelta(hours=rng.randint(1, 30)),
            )

    def _quarters(self, rng: random.Random, r: RoundFacts, diary: Diary, final: Tier) -> None:
        """A short rating after each quarter the member was in from its start, the fourth at the meeting."""
        s, year = self.s, self.year
        for quarter in range(1, 5):
            drift = rng.random()
            tier = final if drift < 0.7 else step_tier(final, -1 if drift < 0.8 else 1)
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
                    r.unit_id,
                    diary.user_id,
                    year,
                    quarter,
                    r.scale.levels[tier][0],
                    note,
                    diary.reviewer_id,
                    s.ts(rated_at),
                )
            )
