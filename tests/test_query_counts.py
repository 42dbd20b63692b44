"""No key page issues more SQL queries because the organisation or the diary grew (issue 9).

The synthetic organisation of app.synthetic is built twice, small and larger — one branch of 5
members with 45 days of entries, then three branches (the first of 9 members) with 80 days
written at a higher rate — and every key page the benchmark times is opened as the person who
uses it, counting its queries. A query per member, per entry or per month would show as a
difference. The benchmark itself (bench/bench_scale.py) compares the same counts at province size.
"""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa

from app.core.db import db
from app.core.filters import today_local
from app.synthetic.build import build
from app.synthetic.presets import PASSWORD, Preset

SMALL = Preset("t-small", branches=1, grassroots=1, first_branch=5, party_cells=1, party_only=(1, 1), days=45)
LARGER = replace(
    SMALL, name="t-larger", branches=3, grassroots=2, first_branch=9, party_cells=2, days=80, rates=(1.2, 1.6)
)

# (name, who, path): the key pages of bench/bench_scale.py.
PAGES = [
    ("tháng của đoàn viên", "doanvien", "/diary/{year}/{month}"),
    ("tìm trong sổ", "doanvien", "/diary/search?q=tiet+kiem"),
    ("hàng chờ nhận xét", "bithu", "/units/{branch}/review"),
    ("màn hình nhận xét tháng", "bithu", "/units/{branch}/review/{member}/{year}/{month}"),
    ("bảng theo dõi chi đoàn", "bithu", "/units/{branch}/dashboard"),
    ("bảng theo dõi Đoàn Khối", "canbo", "/units/{root}/reports"),
    ("thông báo", "bithu", "/notifications"),
    ("trang tầm thường", "doanvien", "/healthz"),
]


def _empty(app) -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def _same_shape(org, member: int, secretary: int) -> None:
    """The member's month has a month comment at both sizes (the synthetic data writes one for
    some months only): pages showing a month review load its reopenings and its people, a fixed
    two queries more — a difference of data, not of size."""
    from app.core.db import utcnow
    from app.review.models import MonthReview

    today = today_local()
    found = db.session.scalar(
        sa.select(MonthReview).where(
            MonthReview.user_id == member,
            MonthReview.unit_id == org.first_branch_id,
            MonthReview.year == today.year,
            MonthReview.month == today.month,
        )
    )
    if found is None:
        db.session.add(
            MonthReview(
                user_id=member,
                unit_id=org.first_branch_id,
                year=today.year,
                month=today.month,
                comment="Ghi đều, cụ thể.",
                comment_by_id=secretary,
                comment_at=utcnow(),
            )
        )
        db.session.commit()


def _queries(client, url: str) -> int:
    """The SQL statements one GET of `url` runs."""
    statements: list[str] = []
    # The test's app context holds one session across requests; a site starts each request afresh.
    db.session.remove()

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, url
    return len(statements)


def _count_pages(app, org) -> dict[str, int]:
    today = today_local()
    member = db.session.execute(sa.text("SELECT id FROM users WHERE username = 'doanvien'")).scalar_one()
    secretary = db.session.execute(sa.text("SELECT id FROM users WHERE username = 'bithu'")).scalar_one()
    _same_shape(org, member, secretary)
    values = {
        "branch": org.first_branch_id,
        "member": member,
        "root": org.root_id,
        "year": today.year,
        "month": today.month,
    }
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    counts = {}
    clients = {}
    for name, who, path in PAGES:
        if "/reports" in path and "reports.dashboard" not in endpoints:
            continue
        if who not in clients:
            clients[who] = app.test_client()
            assert clients[who].post("/login", data={"login": who, "password": PASSWORD}).status_code == 302
        url = path.format(**values)
        client = clients[who]
        db.session.remove()
        assert client.get(url).status_code == 200, url  # warm: lazy caches built, like a running site
        counts[name] = _queries(client, url)
    db.session.remove()
    return counts


def test_key_pages_cost_the_same_queries_at_two_sizes(app):
    small = build(SMALL, seed=3)
    small_entries = small.counts["entries"]
    few = _count_pages(app, small)

    _empty(app)
    larger = build(LARGER, seed=3)
    assert larger.counts["entries"] > 3 * small_entries
    assert len(larger.branch_ids) == 3
    many = _count_pages(app, larger)

    assert many == few
    assert set(few) >= {name for name, _who, path in PAGES if "/reports" not in path}
