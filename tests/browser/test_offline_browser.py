"""Writing on a phone with no signal (issue 19): the app installs, opens offline from its service
worker, keeps entries with their photos in the browser, and sends them exactly once when the
connection returns; an entry the server refuses stays on the phone with the reason."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.auth.models import User
from app.auth.services import hash_password
from app.core.db import db, utcnow
from app.core.enums import ContentGroup, Frequency, PlanStatus, Role
from app.core.filters import today_local
from app.journal.models import Entry, Evidence
from app.plans.models import Commitment, Plan
from app.standards.models import Standard
from app.units.models import Membership, Unit
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, login_as, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser, live_server, tmp_path):
    """A phone's browser with a profile on disk, as an installed app has (Chromium reports an
    incognito context, such as new_page's, as not installable)."""
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=PHONE,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        base_url=live_server.url,
    )
    context.set_default_timeout(10_000)
    errors: list[str] = []
    context.on("weberror", lambda error: errors.append(str(error.error)))
    context.js_errors = errors
    # Dialogs are answered with context.answer (yes unless a test says otherwise) and kept.
    context.dialogs = []
    context.answer = True

    def answer(dialog):
        context.dialogs.append(dialog.message)
        dialog.accept() if context.answer else dialog.dismiss()

    context.on("dialog", answer)
    yield context
    context.close()


def make_member(live_server, username: str = "didong") -> tuple[int, int]:
    """A member of the demo's Chi đoàn Văn phòng with an approved plan this year, of their own
    (the live server is shared by every browser test: nobody else's month gets signed here)."""
    with live_server.app.app_context():
        demo = db.session.scalar(select(User).where(User.username == "doanvien"))
        unit = db.session.scalar(
            select(Unit).join(Membership).where(Membership.user_id == demo.id, Membership.role == Role.MEMBER)
        )
        user = User(username=username, password_hash=hash_password("demo1234"))
        user.set_name("Lê Thị Di Động")
        db.session.add(user)
        db.session.add(Membership(user=user, unit=unit, role=Role.MEMBER))
        year = today_local().year
        standard = Standard(unit_id=unit.id, year=year, group=ContentGroup.ETHICS, title="Gần dân, giúp dân")
        plan = Plan(
            user=user,
            unit_id=unit.id,
            year=year,
            status=PlanStatus.APPROVED,
            shortcomings="Còn ngại đi cơ sở",
            created_by=user,
            created_at=utcnow().replace(month=1, day=1),
        )
        plan.commitments = [
            Commitment(
                standard=standard,
                action="Đi cơ sở giúp bà con vùng lũ",
                measure="Mỗi tháng một chuyến",
                frequency=Frequency.MONTHLY,
                sort_order=1,
            )
        ]
        db.session.add_all([standard, plan])
        db.session.flush()
        for c in plan.commitments:
            c.lineage_id = c.id
        db.session.commit()
        return user.id, unit.id


def entries_named(live_server, user_id: int, action: str) -> list[tuple[Entry, list[Evidence]]]:
    with live_server.app.app_context():
        rows = db.session.scalars(select(Entry).where(Entry.user_id == user_id, Entry.action == action)).all()
        return [(e, list(e.evidence)) for e in rows]


def photo(tmp_path, name: str) -> str:
    """A 2400×1800 photo, as a phone's camera would make it (bigger than the app keeps)."""
    path = tmp_path / name
    image = Image.new("RGB", (2400, 1800), (30, 120, 200))
    image.paste((220, 40, 40), (600, 400, 1800, 1400))
    image.save(path, "PNG")
    return str(path)


def write_offline(page, action: str, file: str | None) -> None:
    page.goto("/diary/entries/new")
    assert "Viết bài nhật ký" in page.inner_text("main")
    page.locator("#action").fill(action)
    page.locator("#place").fill("Ấp Hòa Phú, xã Long Hưng")
    page.locator("input[name=commitment_ids]").first.check()
    if file:
        page.locator("#evidence").set_input_files(file)
    page.get_by_role("button", name="Gửi bài").click()
    page.wait_for_url("**/diary/")
    assert "Bài sẽ tự gửi khi có mạng" in page.inner_text("main")


def test_entries_written_offline_reach_the_server_once(phone, live_server, tmp_path):
    user_id, unit_id = make_member(live_server)
    context = phone
    page = context.pages[0] if context.pages else context.new_page()
    login_as(page, "didong")
    page.goto("/diary/")
    # The worker has taken over and kept the pages a member needs without a signal.
    expect(page.locator("html")).to_have_attribute("data-offline-ready", "1", timeout=30_000)
    cdp = context.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []

    # No signal: the app still opens, and two entries with a photo each are kept on the phone.
    context.set_offline(True)
    page.reload()
    assert "Tháng" in page.inner_text("main")
    write_offline(page, "Giúp bà con ấp Hòa Phú kê cao đồ đạc trước lũ", photo(tmp_path, "lu-1.png"))
    write_offline(page, "Phát 40 phần quà cho hộ nghèo vùng lũ", photo(tmp_path, "lu-2.png"))
    waiting = page.locator("#offline-pending .offline-entry")
    expect(waiting).to_have_count(2)  # drawn from IndexedDB after the page loads: wait for it
    assert waiting.first.inner_text().count("Chưa gửi — sẽ tự gửi khi có mạng") == 1
    state = page.locator("#offline-status")
    expect(state).to_have_attribute("data-waiting", "2")
    expect(state).to_have_attribute("aria-label", re.compile("Đang ngoại tuyến.*2 bài chờ gửi"))
    assert "Đang ngoại tuyến" in state.inner_text() and "2 bài chờ gửi" in state.inner_text()
    screenshot(page, "offline-month-waiting-360")
    # A page the phone has not kept says it needs a connection.
    page.goto("/units/")
    assert "Trang này cần kết nối mạng" in page.inner_text("main")
    page.close()

    # Closed and opened again, still offline: the entries are still there.
    page = context.new_page()
    page.goto("/diary/")
    expect(page.locator("#offline-pending .offline-entry")).to_have_count(2)
    assert entries_named(live_server, user_id, "Phát 40 phần quà cho hộ nghèo vùng lũ") == []

    # The connection returns: both reach the server, once each, with their photo made smaller.
    context.set_offline(False)
    expect(page.locator("#offline-status")).to_have_attribute("data-waiting", "0", timeout=30_000)
    for action in ("Giúp bà con ấp Hòa Phú kê cao đồ đạc trước lũ", "Phát 40 phần quà cho hộ nghèo vùng lũ"):
        found = entries_named(live_server, user_id, action)
        assert len(found) == 1, action
        entry, evidence = found[0]
        assert entry.status.value == "submitted" and entry.client_id
        assert len(evidence) == 1 and evidence[0].content_type == "image/jpeg"
        with live_server.app.app_context():
            from app.journal import storage

            with Image.open(storage.path_of(evidence[0].stored_name)) as image:
                assert max(image.size) == 1600
    expect(page.locator("#offline-status")).to_contain_text("Đồng bộ lần cuối")
    # Sending again (the page and the worker both try) made nothing more.
    page.evaluate("SNKOutbox.flush()")
    with live_server.app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Entry).where(Entry.user_id == user_id))
    assert count == 2

    # A third entry written offline, into the month the secretary signs meanwhile: refused with
    # the reason, and kept on the phone to be fixed.
    context.set_offline(True)
    write_offline(page, "Dọn bùn ở trường tiểu học sau lũ", photo(tmp_path, "lu-3.png"))
    with live_server.app.app_context():
        from app.review import services as review

        secretary = db.session.scalar(select(User).where(User.username == "bithu"))
        member = db.session.get(User, user_id)
        today = today_local()
        review.sign_off_month(secretary, member, db.session.get(Unit, unit_id), today.year, today.month)
        db.session.commit()
    context.set_offline(False)
    expect(page.locator("#offline-status")).to_have_attribute("data-stuck", "1", timeout=30_000)
    page.reload()
    refused = page.locator("#offline-pending .offline-entry.is-refused")
    expect(refused).to_have_count(1)
    text = refused.inner_text()
    assert "Không gửi được" in text and "ký xác nhận" in text and "mở lại tháng" in text
    assert refused.get_by_role("link", name="Sửa lại bài").count() == 1
    assert entries_named(live_server, user_id, "Dọn bùn ở trường tiểu học sau lũ") == []
    screenshot(page, "offline-refused-360")

    # "Sửa lại bài" opens the form with what was kept and the reason next to the date.
    refused.get_by_role("link", name="Sửa lại bài").click()
    expect(page.locator("#action")).to_have_value("Dọn bùn ở trường tiểu học sau lũ")
    expect(page.locator("#deed_date-offline-error")).to_contain_text("ký xác nhận")
    assert "Đã có 1 tệp minh chứng trên máy" in page.inner_text("main")
    # The member gives up on it: removed from the phone.
    page.goto("/diary/timeline")
    page.locator("#offline-pending").get_by_role("button", name="Xóa khỏi máy").click()
    expect(page.locator("#offline-pending .offline-entry")).to_have_count(0)
    expect(page.locator("#offline-status")).to_have_attribute("data-stuck", "0")
    assert context.js_errors == []


def test_an_offline_edit_of_an_entry_changed_meanwhile_shows_both(phone, live_server):
    from app.journal import services as journal

    user_id, unit_id = make_member(live_server, "didong2")
    with live_server.app.app_context():
        member, unit = db.session.get(User, user_id), db.session.get(Unit, unit_id)
        plan = db.session.scalar(select(Plan).where(Plan.user_id == user_id))
        data = journal.EntryData(
            deed_date=today_local(), action="Sửa mái nhà cho cụ Tư", commitment_ids=[plan.commitments[0].id]
        )
        entry_id = journal.save_entry(member, member, unit, data, submit=True).id
        db.session.commit()
    page = phone.pages[0] if phone.pages else phone.new_page()
    login_as(page, "didong2")
    page.goto("/diary/")
    expect(page.locator("html")).to_have_attribute("data-offline-ready", "1", timeout=30_000)
    page.goto(f"/diary/entries/{entry_id}/edit")  # opened once with a signal: kept for offline use
    for _ in range(50):
        if page.evaluate("caches.open('snk-pages').then(c => c.match(location.href)).then(Boolean)"):
            break
        page.wait_for_timeout(100)

    phone.set_offline(True)
    page.reload()
    page.locator("#result").fill("Mái không còn dột trước mùa mưa")
    page.get_by_role("button", name="Gửi bài").click()
    page.wait_for_url("**/diary/")
    # Meanwhile the same entry is edited on the office computer.
    with live_server.app.app_context():
        entry = db.session.get(Entry, entry_id)
        data.lesson = "Hỏi trước khi làm"
        journal.save_entry(entry.user, entry.user, entry.unit, data, entry=entry)
        db.session.commit()

    phone.set_offline(False)
    expect(page.locator("#offline-status")).to_have_attribute("data-stuck", "1", timeout=30_000)
    page.goto("/diary/timeline")
    conflict = page.locator("#offline-pending .offline-entry.is-conflict")
    text = conflict.inner_text()
    assert "Bản trên máy chủ" in text and "Hỏi trước khi làm" in text
    assert "Bản bạn sửa trên máy này" in text and "Mái không còn dột trước mùa mưa" in text
    with live_server.app.app_context():
        assert db.session.get(Entry, entry_id).result == ""  # nothing overwritten
    screenshot(page, "offline-conflict-360")

    conflict.get_by_role("button", name="Giữ bản của tôi").click()
    expect(page.locator("#offline-status")).to_have_attribute("data-stuck", "0", timeout=30_000)
    expect(page.locator("#offline-status")).to_have_attribute("data-waiting", "0", timeout=30_000)
    with live_server.app.app_context():
        kept = db.session.get(Entry, entry_id)
        assert kept.result == "Mái không còn dột trước mùa mưa" and kept.lesson == ""
    assert phone.js_errors == []


def test_logging_out_warns_about_unsent_entries_then_forgets_them(phone, live_server, tmp_path):
    make_member(live_server, "didong3")
    page = phone.pages[0] if phone.pages else phone.new_page()
    login_as(page, "didong3")
    page.goto("/diary/")
    expect(page.locator("html")).to_have_attribute("data-offline-ready", "1", timeout=30_000)
    phone.set_offline(True)
    write_offline(page, "Chở nước sạch cho điểm trường", photo(tmp_path, "nuoc.png"))

    def log_out():
        # The "Đăng xuất" button of the account menu (the menu itself is Bootstrap's).
        page.locator("form[action='/logout']").evaluate("form => form.requestSubmit()")

    phone.answer = False  # "not now": nothing is removed
    log_out()
    # The warning comes once the outbox has been counted (IndexedDB, asynchronous): wait for it.
    for _ in range(100):
        if phone.dialogs:
            break
        page.wait_for_timeout(100)
    expect(page.locator("#offline-status")).to_have_attribute("data-waiting", "1")
    assert phone.dialogs and "Còn 1 bài chưa gửi" in phone.dialogs[-1]
    assert "sẽ bị xóa khỏi máy" in phone.dialogs[-1]
    assert page.evaluate("caches.has('snk-pages')")

    phone.answer = True
    # Offline, the logout itself cannot reach the server; it is posted once this phone has
    # forgotten the person's pages and entries.
    with page.expect_event("requestfailed", lambda request: request.url.endswith("/logout")):
        log_out()
    page = phone.new_page()
    page.goto("/offline")  # from the worker's shell: the pages and entries of that person are gone
    assert not page.evaluate("caches.has('snk-pages')")
    left = page.evaluate(
        "new Promise(r => indexedDB.open('sonhatky-offline').onsuccess = e => "
        "e.target.result.transaction('outbox').objectStore('outbox').count().onsuccess = c => r(c.target.result))"
    )
    assert left == 0


def test_a_new_version_is_announced_and_replaces_the_old_shell(phone, live_server, monkeypatch):
    from app.offline import services

    page = phone.pages[0] if phone.pages else phone.new_page()
    page.goto("/login")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    for _ in range(50):
        if page.evaluate("!!navigator.serviceWorker.controller"):
            break
        page.wait_for_timeout(100)
    first = [name for name in page.evaluate("caches.keys()") if name.startswith("snk-shell-")]
    assert len(first) == 1

    # A new release: a shell file changed, so the worker's first line does too.
    monkeypatch.setattr(services, "worker_version", lambda folder: "phien-ban-moi")
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    banner = page.locator("#app-update")
    expect(banner).to_contain_text("Đã có phiên bản mới của ứng dụng.")
    assert banner.get_attribute("role") == "status"
    with page.expect_navigation():
        banner.get_by_role("button", name="Tải lại để dùng").click()
    for _ in range(50):
        shells = [name for name in page.evaluate("caches.keys()") if name.startswith("snk-shell-")]
        if shells == ["snk-shell-phien-ban-moi"]:
            break
        page.wait_for_timeout(100)
    assert shells == ["snk-shell-phien-ban-moi"]  # the old version's cache is gone
    assert page.locator("#app-update").count() == 0
    assert phone.js_errors == []
