"""Layout on a phone and a desktop (issue 17): no page the issue's fixes touch scrolls sideways at
360 px, the app's title stays on one line at 1280 px, and the new-entry form shows each
commitment in full (it cut them mid-word, even at 1280 px)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.core.db import db
from app.core.enums import EntryStatus
from app.core.filters import today_local
from app.journal import services as journal
from app.journal.models import Entry
from app.units.models import Unit
from tests.browser.conftest import DESKTOP, PHONE, login_as, screenshot

pytestmark = pytest.mark.browser


def _ids(live_server) -> dict:
    with live_server.app.app_context():
        units = {u.code: u.id for u in db.session.scalars(select(Unit))}
        member = db.session.scalar(select(User).where(User.username == "doanvien"))
        branch = db.session.get(Unit, units["CD-VP-SGDDT"])
        draft = db.session.scalar(
            select(Entry.id).where(Entry.user_id == member.id, Entry.status == EntryStatus.DRAFT)
        )
        commitments = [c.label for c in journal.available_commitments(member, branch, today_local().year)]
        return {"units": units, "draft": draft, "commitments": commitments}


def _pages(ids) -> dict[str, list[str]]:
    u, year = ids["units"], today_local().year
    return {
        # The demo's draft (another test may have sent it meanwhile).
        "doanvien": ["/", "/diary/entries/new"]
        + ([f"/diary/entries/{ids['draft']}/edit"] if ids["draft"] else []),
        "bithu": [
            "/",
            f"/units/{u['CD-VP-SGDDT']}/dashboard",
            f"/units/{u['CD-VP-SGDDT']}/review",
            f"/units/{u['CD-VP-SGDDT']}/members",
            "/people",
            "/grading/",
            f"/grading/{u['CD-VP-SGDDT']}/{year}",
        ],
        "canbo": [
            "/",
            f"/units/{u['DK-CQT-ST']}/reports",
            f"/units/{u['DCS-SGDDT']}/review",
            f"/grading/{u['CD-BVDK']}/{year}",
            "/grading/",
        ],
    }


def test_no_page_scrolls_sideways_on_a_phone(new_page, live_server):
    ids = _ids(live_server)
    too_wide = []
    for username, paths in _pages(ids).items():
        page = new_page(PHONE)
        login_as(page, username)
        for path in paths:
            response = page.goto(path)
            assert response.status == 200, (username, path, response.status)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide.append(f"{username} {path}: {width} px")
        screenshot(page, f"layout-{username}-360")
        assert page.js_errors == []
    assert not too_wide, too_wide


@pytest.mark.parametrize("username", ["admin", "canbo", "bithu", "doanvien", "bithuchibo"])
def test_the_title_stays_on_one_line_at_1280_px(new_page, username):
    page = new_page(DESKTOP)
    login_as(page, username)
    brand = page.locator(".app-navbar .navbar-brand")
    height, line = page.evaluate(
        "el => [el.getBoundingClientRect().height, parseFloat(getComputedStyle(el).lineHeight)]",
        brand.element_handle(),
    )
    assert height < 1.5 * line, f"the title takes {height:.0f} px for a line of {line:.0f} px"
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "360"])
def test_the_entry_form_shows_every_commitment_whole(new_page, live_server, viewport):
    ids = _ids(live_server)
    assert any(len(text) > 80 for text in ids["commitments"]), "the demo has long commitments"
    page = new_page(viewport)
    login_as(page, "doanvien")
    page.goto("/diary/entries/new")
    labels = page.locator("fieldset .form-check-label")
    shown = [" ".join(t.replace("★ Đột phá: ", "").split()) for t in labels.all_inner_texts()]
    assert shown == ids["commitments"]
    for label in labels.all():
        # Wrapped onto more lines where needed, never clipped: what is there is what shows.
        clipped = page.evaluate("el => el.scrollWidth > el.clientWidth + 1", label.element_handle())
        assert not clipped, label.inner_text()
    counter = page.locator("#action-count")
    assert counter.inner_text() == "0/5.000 ký tự"
    page.locator("#action").fill("Hướng dẫn đồng nghiệp")
    assert counter.inner_text() == "21/5.000 ký tự"
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_the_diary_tabs_show_every_tab_whole_on_a_phone(new_page):
    """At 360 px the four diary tabs wrap; none ends past the screen's edge ("Tìm kiếm" was cut)."""
    page = new_page(PHONE)
    login_as(page, "doanvien")
    page.goto(f"/diary/year/{today_local().year}")
    right_edges = page.locator(".diary-tabs .nav-link").evaluate_all(
        "links => links.map(link => link.getBoundingClientRect().right)"
    )
    assert len(right_edges) == 4 and max(right_edges) <= PHONE["width"], right_edges
