"""The synthetic organisation of `flask seed-bench` is data the app accepts as its own (issue 9).

Bulk inserts skip the app's services, so these tests check what the services would have
guaranteed: names and search text folded as the app folds them, signed months whose SHA-256 the
app recomputes and finds intact, entries dated within the back-dating window and tied to their
year's plan, and the pages people open working on it.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.core.db import db, utcnow
from app.core.enums import EntryStatus, Frequency, OrgType, Role, RoundStatus, Tier
from app.core.filters import to_local, today_local
from app.core.text import fold
from app.synthetic.build import build
from app.synthetic.presets import PASSWORD, Preset

TINY = Preset("t-tiny", branches=2, grassroots=2, first_branch=6, party_cells=1, party_only=(2, 2), days=75)


def _login(app, username: str):
    client = app.test_client()
    assert client.post("/login", data={"login": username, "password": PASSWORD}).status_code == 302
    return client


def test_rows_are_what_the_app_would_have_written(app):
    from app.auth.models import User
    from app.core.collation import name_sort_key
    from app.journal.models import Entry
    from app.plans.models import Commitment, Plan
    from app.review.models import MonthReview
    from app.review.services import verify_month

    org = build(TINY, seed=5)
    assert org.counts["entries"] > 500 and len(org.branch_ids) == 2 and org.cell_ids

    for user in db.session.scalars(sa.select(User)):
        assert user.full_name == unicodedata.normalize("NFC", user.full_name)
        assert user.name_folded == fold(user.full_name)
        assert user.name_sort_key == name_sort_key(user.full_name)  # lists of people in Vietnamese order
    # Someone is written with Vietnamese letters, not plain ASCII.
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.full_name.like("%ễ%"))
    ) or (db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.full_name.like("%ị%"))))

    today = today_local()
    entries = db.session.scalars(sa.select(Entry)).all()
    texts = {e.action for e in entries}
    assert len(texts) > 100, "the diary should not repeat a handful of sentences"
    for entry in entries:
        assert entry.search_text == fold(" ".join([entry.place, entry.action, entry.result, entry.lesson]))
        assert entry.deed_date <= today
        written = to_local(entry.created_at).date()
        assert entry.deed_date <= written <= entry.deed_date + timedelta(days=entry.unit.backdate_days)
        if entry.status is not EntryStatus.DRAFT:
            assert entry.submitted_at is not None and entry.commitments
            # Tied to the member's own plan of the deed's year, in that branch.
            for c in entry.commitments:
                plan = db.session.get(Plan, c.plan_id)
                assert (plan.user_id, plan.unit_id, plan.year) == (
                    entry.user_id,
                    entry.unit_id,
                    entry.deed_date.year,
                )
        if entry.status is EntryStatus.REVIEWED:
            assert entry.reviewed_at is not None and entry.reviewed_by_id is not None
    assert {e.status for e in entries} == set(EntryStatus)

    # Every signed month is intact when the app recomputes its SHA-256 (and the audit log agrees).
    signed = db.session.scalars(sa.select(MonthReview).where(MonthReview.signed_at.is_not(None))).all()
    assert signed
    for review in signed:
        assert verify_month(review).ok, (review.user_id, review.year, review.month)
        # Nothing was written, sent or reviewed in a month after it was signed.
        for entry in entries:
            if (entry.user_id, entry.unit_id, entry.deed_date.year, entry.deed_date.month) == (
                review.user_id,
                review.unit_id,
                review.year,
                review.month,
            ):
                assert entry.created_at <= entry.reviewed_at <= review.signed_at
    # Commitments carry their lineage, as the plan service sets it.
    assert not db.session.scalar(
        sa.select(sa.func.count()).select_from(Commitment).where(Commitment.lineage_id.is_(None))
    )


@pytest.mark.clock
def test_pages_open_on_it(app):
    from app.journal.models import Entry
    from app.plans.models import Plan
    from app.review.models import MonthReview

    org = build(TINY, seed=5)
    today = today_local()
    member = db.session.execute(sa.text("SELECT id FROM users WHERE username = 'doanvien'")).scalar_one()
    branch = org.first_branch_id
    entry = db.session.scalar(
        sa.select(Entry).where(Entry.user_id == member).order_by(Entry.id.desc()).limit(1)
    )
    plan = db.session.scalar(sa.select(Plan).where(Plan.user_id == member).limit(1))
    signed = db.session.scalar(
        sa.select(MonthReview)
        .where(MonthReview.signed_at.is_not(None), MonthReview.user_id == member)
        .limit(1)
    )
    db.session.remove()

    doanvien = _login(app, "doanvien")
    for url in (
        f"/diary/{today.year}/{today.month}",
        "/diary/timeline",
        f"/diary/year/{today.year}",
        f"/diary/entries/{entry.id}",
        f"/plans/{plan.id}",
        "/notifications",
    ):
        assert doanvien.get(url).status_code == 200, url
    found = doanvien.get("/diary/search?q=tiet+kiem").get_data(as_text=True)
    assert int(re.search(r"(\d+) bài khớp", found).group(1)) > 5 and "tiết kiệm" in found.lower()

    bithu = _login(app, "bithu")
    for url in (
        f"/units/{branch}/review",
        f"/units/{branch}/dashboard",
        f"/units/{branch}/golden-book",
        f"/units/{branch}/members",
        f"/units/{branch}/review/{member}/{today.year}/{today.month}",
    ):
        assert bithu.get(url).status_code == 200, url
    page = bithu.get(f"/units/{branch}/review/{signed.user_id}/{signed.year}/{signed.month}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Cảnh báo: nội dung tháng đã ký bị thay đổi" not in html
    assert "đã ký" in html.lower()

    canbo = _login(app, "canbo")
    for url in (f"/units/{org.root_id}/review", f"/units/{org.root_id}", "/units/"):
        assert canbo.get(url).status_code == 200, url


@pytest.mark.clock
def test_the_first_branch_is_the_same_at_every_size(app):
    """The benchmark compares one branch, one member, one month at two sizes: they are the same data,
    and so are the branch's ratings of last year."""
    from app.grading.models import GradingRound
    from app.journal.models import Entry

    def first_branch() -> list[tuple]:
        member = db.session.execute(sa.text("SELECT id FROM users WHERE username = 'doanvien'")).scalar_one()
        return [
            (e.deed_date, e.created_at, e.action, e.result, e.status, sorted(c.action for c in e.commitments))
            for e in db.session.scalars(
                sa.select(Entry).where(Entry.user_id == member).order_by(Entry.deed_date, Entry.id)
            )
        ]

    def first_ratings(org) -> list[tuple]:
        grading_round = db.session.scalar(
            sa.select(GradingRound).where(GradingRound.unit_id == org.first_branch_id)
        )
        ratings = sorted(grading_round.ratings, key=lambda r: r.user.username)
        return [
            (
                grading_round.opened_at,
                grading_round.meeting_date,
                grading_round.ratified_at,
                grading_round.chair_name,
            ),
            *(
                (
                    r.user.username,
                    r.self_assessment.level.tier,
                    r.self_assessment.politics,
                    r.self_assessment.submitted_at,
                    r.proposed_level.tier,
                    r.proposal_comment,
                    r.present,
                    r.votes_agree,
                    r.votes_total,
                    r.final_level.tier,
                    r.acknowledged_at,
                    r.reconsideration_reason,
                )
                for r in ratings
            ),
        ]

    # Both builds read one moment: the seed caps what it writes at "now", and the clock ticks on.
    day, now = today_local(), utcnow()
    org = build(
        Preset("a", branches=1, grassroots=1, first_branch=6, party_cells=1, days=40),
        seed=7,
        today=day,
        now=now,
    )
    alone, rated_alone = first_branch(), first_ratings(org)
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    org = build(
        Preset("b", branches=4, grassroots=2, first_branch=6, party_cells=2, days=40),
        seed=7,
        today=day,
        now=now,
    )
    assert first_branch() == alone and alone
    assert first_ratings(org) == rated_alone and len(rated_alone) > 5


def test_coverage_score_agrees_with_coverage_row():
    from app.journal.services import coverage_row, coverage_score

    class Facts:
        def __init__(self, frequency, deadline):
            self.frequency, self.deadline = frequency, deadline

    rng = random.Random(11)
    year = 2025
    for _ in range(400):
        frequency = rng.choice(list(Frequency))
        deadline = rng.choice(
            [None, date(year, rng.randint(1, 12), rng.randint(1, 28)), date(year + 1, 1, 5)]
        )
        start = date(year, 1, 1) + timedelta(days=rng.randint(0, 200))
        today = date(year, 1, 1) + timedelta(days=rng.randint(0, 420))
        per_month = {m: rng.choice([0, 0, 1, 2, 4, 9]) for m in range(1, 13) if rng.random() < 0.7}
        cells = coverage_row(Facts(frequency, deadline), per_month, year, start, today).cells
        expected = (
            sum(c.state == "full" for c in cells),
            sum(c.state in ("full", "thin", "empty") for c in cells),
        )
        assert coverage_score(frequency, deadline, per_month, year, start, today) == expected


def test_flask_seed_bench_builds_once_and_refuses_a_database_with_data(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-bench", "--size", "small", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "Đã tạo tổ chức “small”" in result.output and "bithu" in result.output
    assert re.search(r"\d[\d.]* bài nhật ký", result.output)
    assert re.search(rf"\d[\d.]* kết quả xếp loại năm {today_local().year - 1}", result.output)
    again = runner.invoke(args=["seed-bench", "--size", "small"])
    assert again.exit_code != 0 and "cơ sở dữ liệu trống" in again.output


# ---- last year's ratings (app.synthetic.ratings) ---------------------------------------------------


def _hand_count(unit_ids: list[int], year: int) -> Counter:
    """(unit, tier) -> ratings, counted row by row from the ratified rounds."""
    from app.grading.models import GradingRound, Rating

    counts: Counter = Counter()
    for rating in db.session.scalars(
        sa.select(Rating)
        .join(GradingRound)
        .where(GradingRound.year == year, GradingRound.unit_id.in_(unit_ids))
    ):
        assert rating.round.status is RoundStatus.RATIFIED
        counts[(rating.round.unit_id, rating.final_level.tier)] += 1
    return counts


@pytest.mark.clock
def test_last_years_ratings_are_ratified_and_agree_with_themselves(app):
    from app.auth.models import User
    from app.core import permissions
    from app.grading import catalogue, services
    from app.grading.models import GradingRound, QuarterRating, Rating
    from app.journal.models import Entry
    from app.reports.services import rating_distribution
    from app.units.models import Membership, Unit

    org = build("small", seed=4)
    today, year = org.today, org.today.year - 1
    units = org.branch_ids + org.cell_ids
    rounds = db.session.scalars(sa.select(GradingRound)).all()
    assert sorted(r.unit_id for r in rounds) == sorted(units)  # exactly one round per branch and cell
    assert org.counts["ratings"] == db.session.scalar(sa.select(sa.func.count(Rating.id))) > 30
    newcomers = 0
    for grading_round in rounds:
        unit = grading_round.unit
        assert grading_round.year == year and grading_round.status is RoundStatus.RATIFIED
        assert grading_round.framework.code == (
            catalogue.YOUTH_CODE if unit.org_type is OrgType.YOUTH_UNION else catalogue.PARTY_CODE
        )
        assert (
            grading_round.opened_at
            < grading_round.meeting_recorded_at
            < grading_round.submitted_at
            < grading_round.ratified_at
            < utcnow()
        )
        assert grading_round.meeting_date.year == year and grading_round.meeting_place
        assert grading_round.chair_name and grading_round.recorder_name and grading_round.meeting_notes
        assert permissions.can_ratify(grading_round.ratified_by, unit)
        assert grading_round.returned_at is None and grading_round.return_reason is None
        # No quota warning, for the proposals or the results.
        assert services.quota_warnings(grading_round, "proposed") == []
        assert services.quota_warnings(grading_round, "final") == []

        # Rated: every member who was in the branch when the round opened; nobody who joined this year.
        joined = {
            m.user_id: m.created_at
            for m in db.session.scalars(
                sa.select(Membership).where(Membership.unit_id == unit.id, Membership.role != Role.OFFICER)
            )
        }
        rated = {r.user_id for r in grading_round.ratings}
        assert rated == {user for user, at in joined.items() if at < grading_round.opened_at}
        assert all(to_local(joined[user]).year < today.year for user in rated)
        newcomers += sum(1 for at in joined.values() if to_local(at).year == today.year)

        present = sum(1 for r in grading_round.ratings if r.present)
        framework = grading_round.framework
        for rating in grading_round.ratings:
            member = db.session.get(User, rating.user_id)
            a = rating.self_assessment
            assert a.submitted_at is not None and all(a.section_text(key) for key in ("politics", "duties"))
            assert (
                grading_round.opened_at
                < a.submitted_at
                < rating.proposed_at
                < grading_round.meeting_recorded_at
            )
            assert rating.proposal_comment and permissions.can_review(rating.proposed_by, member, unit)
            assert rating.final_level is not None and rating.final_level.framework_id == framework.id
            assert rating.votes_total == present and rating.votes_total / 2 < rating.votes_agree <= present
            assert rating.present or rating.absence_reason
            if rating.reconsideration_at is not None:
                assert rating.reconsideration_reason and rating.acknowledged_at is None
            if framework.is_points:
                # Each level agrees with its score, each score with its criterion points.
                for level, score in (
                    (a.level, a.score),
                    (rating.proposed_level, rating.proposed_score),
                    (rating.final_level, rating.final_score),
                ):
                    assert score is not None and framework.level_for_score(score).id == level.id
                for stage, total in (("self", a.score), ("proposal", rating.proposed_score)):
                    lines = [s for s in rating.scores if s.stage == stage]
                    assert len(lines) == len(framework.criteria) and sum(s.points for s in lines) == total
                    maxima = {c.id: c.max_points for c in framework.criteria}
                    assert all(0 <= s.points <= maxima[s.criterion_id] for s in lines)
            else:
                assert a.score is None and rating.proposed_score is None and rating.final_score is None
                assert a.level is not None and rating.proposed_level is not None
            for citation in rating.citations:  # evidence from the member's own diary of that year
                entry = db.session.get(Entry, citation.entry_id)
                assert (entry.user_id, entry.unit_id, entry.deed_date.year) == (rating.user_id, unit.id, year)
                assert entry.status in EntryStatus.in_diary()
        if framework.has_quarterly:
            quarters = db.session.scalars(
                sa.select(QuarterRating).where(QuarterRating.unit_id == unit.id, QuarterRating.year == year)
            ).all()
            assert {(q.user_id, q.quarter) for q in quarters} == {(u, k) for u in rated for k in range(1, 5)}
    if today.timetuple().tm_yday > 12:  # newcomers joined 2-12 days ago: before 13 January, last year
        assert newcomers, "the seed should have someone who joined this year, to show they are not rated"
    # Ratings cite last year's entries, where the seeded days reach back into last year enough to have
    # some (on 31 December the year of days holds only that day of last year).
    last_years_entries = db.session.scalar(
        sa.select(sa.func.count(Entry.id)).where(Entry.deed_date < date(today.year, 1, 1))
    )
    cited = db.session.scalar(sa.select(sa.func.count()).select_from(Rating).where(Rating.citations.any()))
    if last_years_entries > 100:
        assert cited

    # The figures the app shows add up to the rows, counted by hand.
    counts = _hand_count(units, year)
    listed = rating_distribution(sa.select(Unit.id).where(Unit.id.in_(units)), year)
    assert {(rc.unit_id, rc.rank + 1): rc.count for rc in listed} == dict(counts)
    for root_id in (org.root_id, org.party_id):
        root = db.session.get(Unit, root_id)
        stats = services.statistics(root, year)
        expected = Counter()
        for (unit_id, tier), n in counts.items():
            if db.session.get(Unit, unit_id).path.startswith(root.path):
                expected[tier] += n
        assert {t.tier: t.count for t in stats.tiers} == {t: expected[t] for t in Tier}
        assert stats.rounds_ratified == stats.rounds_total > 0


def test_rating_pages_open_on_last_year(app):
    from app.grading import services
    from app.grading.models import GradingRound
    from app.units.models import Unit

    org = build("small", seed=4)
    year = org.today.year - 1
    branch, cell = org.first_branch_id, org.cell_ids[0]
    counts = _hand_count([branch], year)
    member = db.session.execute(sa.text("SELECT id FROM users WHERE username = 'doanvien'")).scalar_one()
    grassroots_officer = next(u for u, what in org.accounts.items() if what.startswith("Cán bộ Đoàn cơ sở"))
    youth = services.statistics(db.session.get(Unit, org.root_id), year)
    assert db.session.scalar(sa.select(GradingRound).where(GradingRound.unit_id == branch)).status is (
        RoundStatus.RATIFIED
    )
    db.session.remove()

    bithu = _login(app, "bithu")
    for url in (
        f"/grading/{branch}/{year}",
        f"/grading/{branch}/{year}/minutes",
        f"/grading/{branch}/{year}/meeting",
        f"/grading/{branch}/{year}/members/{member}/propose",
        f"/grading/{branch}/{year}/me",
        "/audit/me",
        "/notifications",
    ):
        assert bithu.get(url).status_code == 200, url
    page = bithu.get(f"/grading/stats/{branch}?year={year}").get_data(as_text=True)
    rated = int(re.search(r"Đã xếp loại <strong>(\d+)</strong>", page).group(1))
    assert rated == sum(counts.values()) and "Đã được công nhận" in page

    doanvien = _login(app, "doanvien")
    page = doanvien.get(f"/grading/{branch}/{year}/me")
    assert page.status_code == 200 and "Kết quả xếp loại đã được công nhận" in page.get_data(as_text=True)

    for officer in ("canbo", grassroots_officer):
        client = _login(app, officer)
        assert client.get(f"/grading/{branch}/{year}").status_code == 200
        assert client.get(f"/units/{org.first_grassroots_id}/audit").status_code == 200
    canbo = _login(app, "canbo")
    page = canbo.get(f"/grading/stats/{org.root_id}?year={year}").get_data(as_text=True)
    assert int(re.search(r"Đã xếp loại <strong>(\d+)</strong>", page).group(1)) == youth.rated
    dashboard = canbo.get(f"/units/{org.root_id}/reports?year={year}")
    html = dashboard.get_data(as_text=True)
    assert dashboard.status_code == 200 and f"Kết quả xếp loại năm {year}" in html
    assert "Chưa có kết quả xếp loại" not in html
    assert all(t.tier.label in html for t in youth.tiers if t.count)

    party = _login(app, "dangvien00000")
    for url in (
        f"/grading/{cell}/{year}",
        f"/grading/{cell}/{year}/minutes",
        *(f"/grading/{cell}/{year}/quarters/{q}" for q in range(1, 5)),
    ):
        page = party.get(url)
        assert page.status_code == 200 and (
            " selected>" in page.get_data(as_text=True) or "quarters" not in url
        ), url
    assert _login(app, "canbo-dangbo").get(f"/grading/stats/{org.party_id}?year={year}").status_code == 200


def test_rating_levels_are_shared_like_a_province():
    """Over a province's worth of rounds: about 15/70/12/3%, and no round over the Party's quota."""
    from app.grading.models import FrameworkLevel
    from app.synthetic.ratings import draw_tiers, within_quota

    quota = FrameworkLevel(tier=int(Tier.EXCELLENT), quota_percent=20, quota_of_tier=int(Tier.GOOD))
    rng = random.Random(1)
    total: Counter = Counter()
    for _ in range(100):
        rates = [rng.choice((0.6, 0.9, 1.1, 1.4)) for _ in range(rng.randint(14, 46))]
        mean = sum(rates) / len(rates)
        tiers = Counter(draw_tiers(rng, [r / mean for r in rates], quota))
        assert within_quota(tiers, quota) and tiers[Tier.EXCELLENT] * 5 <= tiers[Tier.GOOD]
        total += tiers
    rated = sum(total.values())
    shares = {tier: total[tier] / rated for tier in Tier}
    assert 0.11 <= shares[Tier.EXCELLENT] <= 0.16 and 0.66 <= shares[Tier.GOOD] <= 0.76
    assert 0.09 <= shares[Tier.COMPLETED] <= 0.15 and 0.015 <= shares[Tier.NOT_COMPLETED] <= 0.05
