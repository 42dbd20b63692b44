"""What the province-scale fixes changed in the pages (issue 9), checked against direct counts.

The review queue lists a page of the oldest waiting entries and continues after the last one
(?after=<id>, keyset pagination), its table by member is counted in SQL; the month screen renders
each blank per-entry form once and gives every entry its own copy.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.core.db import db
from app.core.enums import EntryStatus
from app.core.filters import today_local
from app.synthetic.build import build
from app.synthetic.presets import PASSWORD, Preset

BRANCH = Preset(
    "t-pages", branches=1, grassroots=1, first_branch=8, party_cells=1, party_only=(1, 1), days=50
)


def _login(app, username: str):
    client = app.test_client()
    assert client.post("/login", data={"login": username, "password": PASSWORD}).status_code == 302
    return client


def test_queue_pages_through_every_waiting_entry_oldest_first(app, monkeypatch):
    from app.auth.models import User
    from app.journal.models import Entry
    from app.review import services
    from app.units.models import Unit

    org = build(BRANCH, seed=4)
    secretary = db.session.scalar(sa.select(User).where(User.username == "bithu"))
    unit = db.session.get(Unit, org.first_branch_id)
    queue = services.review_queue(secretary, unit)
    everyone = [i.id for i in queue.items]
    assert len(everyone) > 12

    # The same entries, five at a time, each page after the last entry of the one before.
    pages, after = [], None
    while True:
        page = services.review_queue(secretary, unit, limit=5, after=after)
        pages += [i.id for i in page.items]
        assert page.total == len(everyone)
        if not page.more:
            break
        after = page.items[-1].id
    assert pages == everyone

    # The table by member is counted in SQL, over everything waiting, oldest member first.
    direct = dict(
        db.session.execute(
            sa.select(Entry.user_id, sa.func.count())
            .where(
                Entry.unit_id == unit.id,
                Entry.status == EntryStatus.SUBMITTED,
                Entry.user_id.in_([m.id for m in queue.members]),
            )
            .group_by(Entry.user_id)
        ).all()
    )
    assert {g.member_id: g.waiting for g in queue.by_member} == direct
    first = {i.user_id: i for i in reversed(queue.items)}
    for g in queue.by_member:
        assert g.oldest.id == first[g.member_id].id
    db.session.remove()

    # Through the page (here 10 a page): the link to the next ones, which continue the list.
    from app.review import routes

    monkeypatch.setattr(routes, "QUEUE_SHOWN", 10)
    client = _login(app, "bithu")
    html = client.get(f"/units/{org.first_branch_id}/review").get_data(as_text=True)
    assert (
        f"{len(everyone)} bài chờ" in html
        and f"Đang hiện 10 bài chờ lâu nhất trong {len(everyone)} bài" in html
    )
    link = re.search(r'href="([^"]*after=(\d+)[^"]*)"', html)
    assert link and int(link.group(2)) == everyone[9]
    following = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    listed = following.split('id="entries-title"')[1].split('id="plans-title"')[0]
    assert re.findall(r"#entry-(\d+)", listed) == [str(i) for i in everyone[10:20]]
    assert "Về các bài chờ lâu nhất" in following


def test_month_screen_gives_every_entry_its_own_forms(app, clock):
    clock.set("2026-11-18 10:00")  # mid-month: this month already has entries (not so on the 1st)
    org = build(BRANCH, seed=4)
    today = today_local()
    member = db.session.execute(sa.text("SELECT id FROM users WHERE username = 'doanvien'")).scalar_one()
    entries = db.session.execute(
        sa.text(
            "SELECT id, status FROM entries WHERE user_id = :u AND unit_id = :b AND status != 'draft' "
            "AND deed_date >= :first"
        ),
        {"u": member, "b": org.first_branch_id, "first": today.replace(day=1)},
    ).all()
    db.session.remove()
    assert entries

    html = (
        _login(app, "bithu")
        .get(f"/units/{org.first_branch_id}/review/{member}/{today.year}/{today.month}")
        .get_data(as_text=True)
    )
    assert "2000000000" not in html
    for entry_id, status in entries:
        assert f'action="/review/entries/{entry_id}/comment"' in html
        assert f'id="body-{entry_id}"' in html and f'for="body-{entry_id}"' in html
        if status in ("submitted", "reviewed"):
            assert (
                f'action="/review/entries/{entry_id}/revision"' in html and f'id="reason-{entry_id}"' in html
            )
        if status != "revision":
            assert f'id="note-{entry_id}"' in html or f"/review/entries/{entry_id}/unexemplary" in html
