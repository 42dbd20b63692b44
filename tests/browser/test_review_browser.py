"""The secretary's month as people do it: resubmission, review on one screen, a revision
request and the highlighted change, a commendation, the month comment and sign-off; the
member sees it all and cannot edit the signed month; the officer reviews the secretary."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.models import User
from app.core.db import db
from app.core.enums import EntryStatus
from app.core.filters import today_local
from app.journal.models import Entry
from tests.browser.conftest import DESKTOP, PHONE, login_as, screenshot

pytestmark = pytest.mark.browser


def last_month():
    day = today_local().replace(day=1) - timedelta(days=1)
    return day.year, day.month


def entries_of(live_server, username, year, month):
    """(id, status, action) of the person's entries that month, oldest first."""
    with live_server.app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        rows = db.session.scalars(
            select(Entry).where(Entry.user_id == user.id).order_by(Entry.deed_date, Entry.id)
        )
        found = [
            (e.id, e.status, e.action) for e in rows if (e.deed_date.year, e.deed_date.month) == (year, month)
        ]
        return user.id, found


def resubmit(page, entry_id, addition):
    page.goto(f"/diary/entries/{entry_id}/edit")
    action = page.locator("#action")
    action.fill(action.input_value() + " " + addition)
    page.get_by_role("button", name="Gửi bài").click()
    # Wait for the entry page to be drawn, not the instant after the click (it failed once under load).
    expect(page.locator("main")).to_contain_text("Đã gửi bài nhật ký.")


def test_a_month_reviewed_and_signed(new_page, live_server):
    year, month = last_month()
    member_id, entries = entries_of(live_server, "doanvien", year, month)
    pending = [e for e in entries if e[1] is EntryStatus.REVISION]
    waiting = [e for e in entries if e[1] is EntryStatus.SUBMITTED]
    assert pending and len(waiting) >= 2, "the demo keeps a revision request and entries waiting last month"

    # The member answers the revision request from a phone.
    member = new_page(PHONE)
    login_as(member, "doanvien")
    resubmit(member, pending[0][0], "Đã bổ sung: 3 đồng nghiệp được hướng dẫn, có ảnh chụp màn hình.")

    # The secretary reviews the month on one screen.
    secretary = new_page(DESKTOP)
    login_as(secretary, "bithu")
    secretary.goto("/units/3")
    secretary.get_by_role("link", name="Xem xét sổ nhật ký").click()
    assert "Nguyễn Thị Mỹ Duyên" in secretary.inner_text("main")
    review_url = f"/units/3/review/{member_id}/{year}/{month}"
    secretary.goto(review_url)
    first = secretary.locator(f"#entry-{pending[0][0]}")
    assert "3 đồng nghiệp được hướng dẫn" in " ".join(first.locator("dd.diff ins").all_inner_texts())
    first.get_by_role("button", name="✓ Đã xem").click()

    asked = secretary.locator(f"#entry-{waiting[0][0]}")
    asked.locator("summary", has_text="Yêu cầu bổ sung").click()
    asked.locator("textarea").first.fill("Ghi rõ kết quả: rút ngắn được bao nhiêu phút mỗi báo cáo?")
    asked.get_by_role("button", name="Gửi yêu cầu bổ sung").click()
    assert "Ghi rõ kết quả" in secretary.locator(f"#entry-{waiting[0][0]}").inner_text()

    # The member sees the request, edits, resubmits; the secretary sees exactly what changed.
    member.goto(f"/diary/entries/{waiting[0][0]}")
    assert "Ghi rõ kết quả" in member.inner_text("main")
    resubmit(member, waiting[0][0], "Mỗi báo cáo tuần nhanh hơn 40 phút.")
    secretary.goto(review_url)
    changed = secretary.locator(f"#entry-{waiting[0][0]}")
    assert "Mỗi báo cáo tuần nhanh hơn 40 phút." in " ".join(changed.locator("dd.diff ins").all_inner_texts())
    screenshot(secretary, "review-month-diff-1280")
    changed.get_by_role("button", name="✓ Đã xem").click()

    commended = secretary.locator(f"#entry-{waiting[1][0]}")
    commended.locator("summary", has_text="Biểu dương").click()
    commended.get_by_role("button", name="Biểu dương, ghi vào sổ vàng").click()

    secretary.locator("#month-review textarea").fill(
        "Tháng này Duyên ghi đều, nội dung cụ thể; cần ghi thêm số liệu kết quả."
    )
    secretary.get_by_role("button", name="Lưu nhận xét tháng").click()
    secretary.get_by_role("button", name=f"Ký xác nhận tháng {month}/{year}").click()
    assert "Đã ký xác nhận" in secretary.inner_text("main")

    # The member sees the comment, the sign-off and the commendation, and cannot edit the month.
    member.goto(f"/diary/{year}/{month}")
    text = member.inner_text("main")
    assert "Tháng này Duyên ghi đều" in text and "Đã ký xác nhận" in text
    member.goto(f"/diary/entries/{waiting[1][0]}")
    assert member.get_by_role("link", name="Sửa", exact=True).count() == 0
    locked = member.goto(f"/diary/entries/{waiting[1][0]}/edit")  # the signed month's lock says why
    assert locked.status == 409 and "ký xác nhận" in member.inner_text("main")
    member.goto("/units/3/golden-book")
    assert waiting[1][2][:40] in member.inner_text("main")
    screenshot(member, "golden-book-360")
    assert member.js_errors == [] and secretary.js_errors == []


def test_the_officer_reviews_the_secretary(new_page, live_server):
    year, month = last_month()
    secretary_id, entries = entries_of(live_server, "bithu", year, month)
    assert entries
    officer = new_page(DESKTOP)
    login_as(officer, "canbo")
    officer.goto(f"/units/3/review/{secretary_id}/{year}/{month}")
    target = officer.locator(f"#entry-{entries[0][0]}")
    target.locator("textarea").last.fill("Bí thư cần ghi thêm việc hướng dẫn đoàn viên mới.")
    target.get_by_role("button", name="Gửi nhận xét").click()
    assert "Bí thư cần ghi thêm việc hướng dẫn đoàn viên mới." in officer.inner_text("main")
    # The secretary cannot review their own diary.
    secretary = new_page(DESKTOP)
    login_as(secretary, "bithu")
    assert secretary.goto(f"/units/3/review/{secretary_id}/{year}/{month}").status in (403, 404)
