"""Without a mouse and without sight: the member writes an entry and the secretary reviews the
month with Tab, Enter and Space only; every tab stop shows a focus ring of at least 3:1 against
what lies behind it; errors are announced; the calendar reads as text."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.models import User
from app.core.db import db
from app.core.filters import today_local
from app.journal import services as journal
from app.journal.models import Entry
from app.review import services as review
from app.units.models import Membership, Unit
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

# What a sighted keyboard user sees at the focused element: the ring (outline, else the first
# box-shadow) and the colour behind it (the ancestors' backgrounds composited, or the element's
# own when the ring is drawn inside it).
FOCUS_RING_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const parse = (c) => {
    const m = c && c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const cs = getComputedStyle(el);
  let ring = null;
  if (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0) {
    ring = {color: parse(cs.outlineColor), width: parseFloat(cs.outlineWidth),
            inside: parseFloat(cs.outlineOffset) + parseFloat(cs.outlineWidth) <= 0};
  } else if (cs.boxShadow && cs.boxShadow !== "none") {
    const spread = cs.boxShadow.match(/(-?[\\d.]+)px\\s+(-?[\\d.]+)px\\s+(-?[\\d.]+)px\\s+(-?[\\d.]+)px/);
    ring = {color: parse(cs.boxShadow), width: spread ? parseFloat(spread[4]) : 0, inside: false};
  }
  const layers = [];
  let node = ring && ring.inside ? el : el.parentElement;
  while (node && node.nodeType === 1) {
    const bg = parse(getComputedStyle(node).backgroundColor);
    if (bg && bg[3] > 0) { layers.push(bg); if (bg[3] >= 1) break; }
    node = node.parentElement;
  }
  let behind = [255, 255, 255];
  for (const l of layers.reverse()) behind = behind.map((v, i) => l[i] * l[3] + v * (1 - l[3]));
  const name = (el.getAttribute("aria-label") || el.value || el.textContent || "").trim().slice(0, 50);
  return {ring, behind, what: `${el.tagName.toLowerCase()}#${el.id} “${name}”`};
}"""


def luminance(rgb) -> float:
    def channel(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


class Keyboard:
    """Tab, Enter and Space (and typing into fields), measuring the focus ring at every stop."""

    def __init__(self, page):
        self.page = page
        self.stops: list[tuple[str, float]] = []

    def measure(self) -> None:
        info = self.page.evaluate(FOCUS_RING_JS)
        if info is None:
            return
        ring = info["ring"]
        if ring is None or ring["color"] is None or ring["width"] < 2:
            self.stops.append((info["what"], 0.0))
            return
        *rgb, alpha = ring["color"]
        shown = [c * alpha + v * (1 - alpha) for c, v in zip(rgb, info["behind"], strict=True)]
        self.stops.append((info["what"], contrast(shown, info["behind"])))

    def focused(self, selector: str) -> bool:
        return self.page.evaluate(
            "(s) => !!document.activeElement && document.activeElement.matches(s)", selector
        )

    def tab_to(self, selector: str, limit: int = 200) -> None:
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            self.measure()
            if self.focused(selector):
                return
        raise AssertionError(f"{selector} not reached in {limit} presses of Tab")

    def press(self, key: str) -> None:
        """Enter or Space on what has the focus (no navigation expected)."""
        assert key in ("Enter", "Space")
        self.page.keyboard.press(key)

    def follow(self, key: str = "Enter") -> None:
        """Enter or Space on a link or a submit button: waits for the next page."""
        assert key in ("Enter", "Space")
        with self.page.expect_navigation(timeout=30_000):
            self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def faint(self) -> list[str]:
        return [f"{what}: {ratio:.2f}:1" for what, ratio in self.stops if ratio < 3]

    def sweep(self, limit: int = 300) -> int:
        """Tab through the whole page once, measuring every stop; returns how many there were."""
        self.page.evaluate("document.activeElement && document.activeElement.blur()")
        for count in range(limit):
            self.page.keyboard.press("Tab")
            seen = self.page.evaluate(
                """() => { const el = document.activeElement;
                   if (!el || el === document.body || el.dataset.a11ySeen) return true;
                   el.dataset.a11ySeen = "1"; return false; }"""
            )
            if seen:
                return count
            self.measure()
        return limit


def assert_error_announced(page, keys: Keyboard, message: str) -> None:
    """After a refused submit the cursor is on the field, which names the error as its description."""
    keys.measure()
    focused = page.locator("*:focus")
    expect(focused).to_have_attribute("aria-invalid", "true")
    expect(focused).to_have_accessible_description(re.compile(re.escape(message)))


def _member_facts(live_server):
    """doanvien's branch, a day this month or last with no entry that the member may still
    write for (within the back-dating window, month not signed), and the ids needed."""
    with live_server.app.app_context():
        member = db.session.scalar(select(User).where(User.username == "doanvien"))
        unit = db.session.scalar(
            select(Unit)
            .join(Membership, Membership.unit_id == Unit.id)
            .where(Membership.user_id == member.id)
        )
        today = today_local()
        earliest = max(
            journal.earliest_deed_date(unit), (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        )
        written = set(
            db.session.scalars(
                select(Entry.deed_date).where(
                    Entry.user_id == member.id, Entry.unit_id == unit.id, Entry.deed_date >= earliest
                )
            )
        )
        day = today
        while day >= earliest:
            signed = review.get_month_review(member, unit, day.year, day.month)
            if day not in written and not (signed and signed.is_signed):
                return member.id, unit.id, day
            day -= timedelta(days=1)
    pytest.skip("no free day in the back-dating window for the demo member")


def _entries_on(live_server, member_id: int, day: date):
    with live_server.app.app_context():
        rows = db.session.scalars(select(Entry).where(Entry.user_id == member_id, Entry.deed_date == day))
        return sorted((e.id, e.status.value) for e in rows)


def _login(page, keys: Keyboard, username: str, password: str = "demo1234") -> None:
    page.goto("/login")
    keys.measure()  # the cursor starts in the user name box
    assert keys.focused("#login")
    keys.type(username)
    keys.tab_to("#password")
    keys.type(password)
    keys.follow("Enter")


def test_write_and_review_an_entry_with_the_keyboard_only(new_page, live_server):
    member_id, unit_id, day = _member_facts(live_server)
    today = today_local()
    page = new_page(DESKTOP)
    keys = Keyboard(page)

    # A wrong password: the cursor goes to the password box, which reads out the error.
    _login(page, keys, "doanvien", "sai-mat-khau")
    assert_error_announced(page, keys, "Tên đăng nhập, email hoặc mật khẩu không đúng.")
    keys.type("demo1234")
    keys.follow("Enter")
    assert "/login" not in page.url

    # To the diary, to the month of the free day, and its "+" (write on that day).
    keys.tab_to("a.nav-link[href='/diary/']")
    keys.follow("Enter")
    if (day.year, day.month) != (today.year, today.month):
        keys.tab_to("a[aria-label^='Tháng trước']")
        keys.follow("Enter")
    keys.tab_to(f"a[aria-label='Viết bài ngày {day:%d/%m/%Y}']")
    keys.follow("Enter")
    expect(page.locator("#deed_date")).to_have_value(f"{day:%d/%m/%Y}")

    # Sent with nothing written: refused, and the error is read out where the cursor lands.
    keys.tab_to("input[type=submit][name=submit]")
    keys.follow("Enter")
    assert_error_announced(page, keys, "Vui lòng ghi việc đã làm.")
    keys.type("Hướng dẫn hai đồng nghiệp ký số văn bản đi bằng bàn phím, không cần chuột.")
    expect(page.locator("#autosave-status")).to_have_text(re.compile("^Đã lưu nháp"), timeout=15_000)
    keys.tab_to("input[name=commitment_ids]")
    keys.press("Space")
    expect(page.locator("input[name=commitment_ids]").first).to_be_checked()
    keys.tab_to("input[type=submit][name=submit]")
    keys.follow("Enter")
    expect(page.locator("main")).to_contain_text("Đã gửi bài nhật ký.")

    # A second entry the same day, kept as a draft.
    keys.tab_to("a.nav-link[href='/diary/']")
    keys.follow("Enter")
    keys.tab_to("a.btn[href^='/diary/entries/new']")
    keys.follow("Enter")
    keys.tab_to("#deed_date")  # tabbing into a box selects what it holds: typing replaces it
    keys.type(f"{day:%d/%m/%Y}")
    keys.tab_to("#action")
    keys.type("Tắt điện, quạt phòng họp sau buổi sinh hoạt chi đoàn.")
    expect(page.locator("#autosave-status")).to_have_text(re.compile("^Đã lưu nháp"), timeout=15_000)
    keys.tab_to("input[type=submit][name=save_draft]")
    keys.follow("Enter")
    expect(page.locator("main")).to_contain_text("Đã lưu nháp.")
    written = _entries_on(live_server, member_id, day)
    assert sorted(status for _, status in written) == ["draft", "submitted"], written

    # The day reads as text, at both widths: "Ngày 10, 2 bài, 1 bản nháp, 1 đã gửi".
    said = "hôm nay, " if day == today else ""
    expected = f'cell "Ngày {day.day}, {said}2 bài, 1 bản nháp, 1 đã gửi'
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        page.goto(f"/diary/{day.year}/{day.month}")
        cell = page.get_by_role("cell", name=re.compile(rf"^Ngày {day.day}, "))
        assert expected in cell.aria_snapshot(), cell.aria_snapshot()
        if day == today:
            expect(cell).to_have_attribute("aria-current", "date")
        headers = page.get_by_role("columnheader")
        expect(headers.first).to_have_accessible_name("Thứ Hai")
        expect(headers.last).to_have_accessible_name("Chủ Nhật")
        shown = [t.strip() for t in page.locator(".calendar-head [aria-hidden=true]").all_inner_texts()]
        if viewport is PHONE:
            assert shown == ["T2", "T3", "T4", "T5", "T6", "T7", "CN"]

    # The secretary reviews the month with the keyboard.
    entry_id = next(i for i, status in written if status == "submitted")
    secretary = new_page(DESKTOP)
    boss = Keyboard(secretary)
    _login(secretary, boss, "bithu")
    secretary.goto(f"/units/{unit_id}/review/{member_id}/{day.year}/{day.month}")
    box = secretary.locator(f"#body-{entry_id}")
    expect(box).to_have_accessible_name(re.compile(rf"^Nhận xét Ngày {day:%d/%m/%Y}"))
    send = secretary.locator(f"#comment-send-{entry_id}")
    expect(send).to_have_accessible_name(re.compile(rf"^Gửi nhận xét Ngày {day:%d/%m/%Y}"))
    boss.tab_to(f"#comment-send-{entry_id}")
    boss.follow("Enter")  # nothing written yet
    assert_error_announced(secretary, boss, "Vui lòng ghi nội dung nhận xét.")
    boss.type("Việc làm cụ thể, có kết quả rõ. Lần sau đính kèm ảnh minh chứng.")
    boss.tab_to(f"#comment-send-{entry_id}")
    boss.follow("Enter")
    expect(secretary.locator(f"#entry-{entry_id}")).to_contain_text("Lần sau đính kèm ảnh minh chứng.")
    boss.tab_to(f"#reviewed-{entry_id}")
    boss.follow("Space")
    expect(secretary.locator(f"#entry-{entry_id}")).to_contain_text("Đã xem xét")

    stops = keys.stops + boss.stops
    assert len(stops) >= 30, len(stops)
    faint = keys.faint() + boss.faint()
    assert not faint, "focus rings under 3:1:\n" + "\n".join(faint)
    assert page.js_errors == [] and secretary.js_errors == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_year_page_fits_a_phone_and_reads_by_month(new_page, viewport):
    page = new_page(viewport)
    page.goto("/login")
    page.locator("#login").fill("doanvien")
    page.locator("#password").fill("demo1234")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)
    year = today_local().year
    page.goto(f"/diary/year/{year}")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    # Each square of the heatmap stays readable (≥ 9 px), the table scrolls in its own box.
    smallest = page.evaluate(
        "Math.min(...[...document.querySelectorAll('svg.heatmap rect')].map(r => r.getBoundingClientRect().width))"
    )
    assert smallest >= 9, smallest
    expect(page.locator("main")).to_contain_text(re.compile(rf"Năm {year}: \d+ bài\. Tháng 1: \d+ bài;"))
    expect(page.get_by_role("region", name="Bảng mức độ thực hiện theo tháng")).to_be_visible()


def test_titles_and_pagination_tell_pages_apart(new_page, live_server):
    with live_server.app.app_context():
        cell_id = db.session.scalar(select(Unit.id).where(Unit.code == "CB-VP-SGDDT"))
    secretary = new_page(DESKTOP)
    secretary.goto("/login")
    secretary.locator("#login").fill("bithu")
    secretary.locator("#password").fill("demo1234")
    secretary.keyboard.press("Enter")
    secretary.wait_for_url(lambda url: "/login" not in url, timeout=30_000)
    secretary.goto("/diary/")
    youth = secretary.title()
    secretary.goto(f"/diary/?unit_id={cell_id}")
    party = secretary.title()
    assert youth != party and "Chi đoàn" in youth and "Chi bộ" in party, (youth, party)

    page = new_page(DESKTOP)
    page.goto("/login")
    page.locator("#login").fill("admin")
    page.locator("#password").fill("demo1234")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)
    page.goto("/people")
    first = page.title()
    pages = page.get_by_role("navigation", name="Phân trang")
    expect(pages.get_by_text("Trước")).to_be_visible()
    expect(pages.get_by_role("link", name="Trước")).to_have_count(0)  # text, not a link to ?page=0
    pages.get_by_role("link", name="Sau").click()
    assert page.title() != first and "trang 2" in page.title()


SWEEP = {
    None: ["/login"],
    "doanvien": ["/", "/diary/", "/diary/entries/new", "/plans"],
    "bithu": ["/units/3/review", "/units/3/dashboard", "/units/3/members"],
    "admin": ["/units/", "/people"],
}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_tab_stop_of_the_main_pages_shows_its_focus(new_page, viewport):
    faint, total = [], 0
    for account, paths in SWEEP.items():
        page = new_page(viewport)
        if account:
            page.goto("/login")
            page.locator("#login").fill(account)
            page.locator("#password").fill("demo1234")
            page.keyboard.press("Enter")
            page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)
        for path in paths:
            page.goto(path)
            keys = Keyboard(page)
            total += keys.sweep()
            faint += [f"{account} {path}: {stop}" for stop in keys.faint()]
        if viewport is PHONE and account:  # the collapsed menu, opened from the keyboard
            keys = Keyboard(page)
            keys.tab_to(".navbar-toggler")
            keys.press("Enter")
            expect(page.locator("#mainNav")).to_be_visible()
            keys.tab_to("#mainNav a.dropdown-toggle")
            faint += [f"{account} menu: {stop}" for stop in keys.faint()]
    assert total > 100, total
    assert not faint, "focus rings under 3:1:\n" + "\n".join(faint)
