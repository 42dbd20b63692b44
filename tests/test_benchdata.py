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
from datetime import date, timedelta

import sqlalchemy as sa

from app.benchdata.seed import PASSWORD, Preset, build
from app.core.db import db
from app.core.enums import EntryStatus, Frequency
from app.core.filters import to_local, today_local
from app.core.text import fold

TINY = Preset("t-tiny", branches=2, grassroots=2, first_branch=6, party_cells=1, party_only=(2, 2), days=75)


def _login(app, username: str):
    client = app.test_client()
    assert client.post("/login", data={"login": username, "password": PASSWORD}).status_code == 302
    return client


def test_rows_are_what_the_app_would_have_written(app):
    from app.auth.models import User
    from app.journal.models import Entry
    from app.plans.models import Commitment, Plan
    from app.review.models import MonthReview
    from app.review.services import verify_month

    org = build(TINY, seed=5)
    assert org.counts["entries"] > 500 and len(org.branch_ids) == 2 and org.cell_ids

    for user in db.session.scalars(sa.select(User)):
        assert user.full_name == unicodedata.normalize("NFC", user.full_name)
        assert user.name_folded == fold(user.full_name)
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


def test_the_first_branch_is_the_same_at_every_size(app):
    """The benchmark compares one branch, one member, one month at two sizes: they are the same data."""
    from app.journal.models import Entry

    def first_branch() -> list[tuple]:
        member = db.session.execute(sa.text("SELECT id FROM users WHERE username = 'doanvien'")).scalar_one()
        return [
            (e.deed_date, e.created_at, e.action, e.result, e.status, sorted(c.action for c in e.commitments))
            for e in db.session.scalars(
                sa.select(Entry).where(Entry.user_id == member).order_by(Entry.deed_date, Entry.id)
            )
        ]

    day = today_local()
    build(Preset("a", branches=1, grassroots=1, first_branch=6, party_cells=1, days=40), seed=7, today=day)
    alone = first_branch()
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    build(Preset("b", branches=4, grassroots=2, first_branch=6, party_cells=2, days=40), seed=7, today=day)
    assert first_branch() == alone and alone


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
    again = runner.invoke(args=["seed-bench", "--size", "small"])
    assert again.exit_code != 0 and "cơ sở dữ liệu trống" in again.output
