"""The member's year as people live it: a plan changed and approved, entries from a phone,
the calendar, the heatmap, the coverage grid, and search without diacritics."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.core.filters import today_local
from tests.browser.conftest import DESKTOP, PHONE, login_as, screenshot

pytestmark = pytest.mark.browser

NEW_ACTION = "Mỗi tuần hướng dẫn ít nhất một người dân nộp hồ sơ dịch vụ công trực tuyến"


def test_plan_revised_approved_then_entries_from_a_phone(new_page):
    year = today_local().year
    member = new_page(PHONE)
    login_as(member, "doanvien")
    member.get_by_role("link", name="Xem kế hoạch cá nhân").click()
    assert "Đã duyệt" in member.inner_text("main")
    member.get_by_role("button", name="Điều chỉnh kế hoạch").click()
    member.get_by_role("button", name="+ Thêm việc làm theo").click()
    row = member.locator("[data-plan-row]").last
    row.locator("select[name$='standard_id']").select_option(index=1)
    row.locator("textarea[name$='-action']").fill(NEW_ACTION)
    row.locator("textarea[name$='-measure']").fill("Ghi nhật ký mỗi lần hướng dẫn; cuối năm ít nhất 30 hồ sơ")
    row.locator("select[name$='frequency']").select_option("weekly")
    row.locator("input[name$='deadline']").fill(f"31/12/{year}")
    member.get_by_role("button", name="Lưu và gửi duyệt").click()
    text = member.inner_text("main")
    assert "Chờ duyệt" in text and NEW_ACTION in text
    screenshot(member, "plan-submitted-360")

    secretary = new_page(DESKTOP)
    login_as(secretary, "bithu")
    secretary.goto(member.url)
    secretary.get_by_role("button", name="Duyệt kế hoạch").click()
    assert "Đã duyệt" in secretary.inner_text("main")

    # From the home screen, one tap to the form.
    member.goto("/")
    member.get_by_role("link", name="✎ Viết nhật ký").click()
    assert member.locator("#deed_date").input_value() == today_local().strftime("%d/%m/%Y")
    member.locator("#place").fill("Bộ phận một cửa, Sở Giáo dục và Đào tạo")
    member.locator("#action").fill(
        "Hướng dẫn bà Lâm Thị Năm nộp hồ sơ cấp bản sao bằng tốt nghiệp qua dịch vụ công trực tuyến."
    )
    member.locator("#result").fill("Hồ sơ được tiếp nhận ngay trong buổi sáng, bà không phải đi lại.")
    member.get_by_label(NEW_ACTION[:40], exact=False).check()
    screenshot(member, "entry-form-360")
    member.get_by_role("button", name="Gửi bài").click()
    assert "Đã gửi bài nhật ký." in member.inner_text("main")
    assert "Hướng dẫn bà Lâm Thị Năm" in member.inner_text("main")

    # The calendar, the year (heatmap and coverage) and a search without diacritics find it.
    member.get_by_role("link", name="Sổ nhật ký", exact=True).click()
    assert member.locator(".calendar-cell.is-today .calendar-dot").count() == 1
    assert "Hướng dẫn bà Lâm Thị Năm" in member.inner_text("main")
    screenshot(member, "diary-month-360")
    member.get_by_role("link", name="Cả năm").click()
    today_title = member.locator("svg.heatmap title", has_text=today_local().strftime("%d/%m/%Y"))
    count = int(today_title.text_content().split(": ")[1].split()[0])
    assert count >= 1
    today_rect = member.locator(
        "svg.heatmap rect", has=member.locator("title", has_text=today_local().strftime("%d/%m/%Y"))
    )
    assert today_rect.get_attribute("class") != "heat-0"
    coverage_row = member.locator("table.coverage-table tr", has_text=NEW_ACTION[:40])
    assert coverage_row.locator("td.fw-semibold").inner_text() == "1"
    screenshot(member, "diary-year-360")
    member.get_by_role("link", name="Tìm kiếm").click()
    member.locator("#q").fill("dich vu cong truc tuyen ba lam thi nam")
    member.get_by_role("button", name="Tìm").click()
    assert "1 bài khớp" in member.inner_text("main")
    assert member.js_errors == []


def test_bad_entry_keeps_the_text_on_a_phone(new_page):
    member = new_page(PHONE)
    login_as(member, "doanvien")
    member.goto("/diary/entries/new")
    member.locator("#deed_date").fill("01/01/2001")
    member.locator("#action").fill("Dọn vệ sinh khuôn viên cơ quan cùng chi đoàn.")
    member.locator("#lesson").fill("Đông người làm thì nhanh.")
    member.get_by_role("button", name="Gửi bài").click()
    text = member.inner_text("main")
    assert "Chỉ được ghi lùi tối đa 30 ngày" in text
    assert member.locator("#action").input_value() == "Dọn vệ sinh khuôn viên cơ quan cùng chi đoàn."
    assert member.locator("#lesson").input_value() == "Đông người làm thì nhanh."


def test_typing_is_autosaved_as_a_draft(new_page):
    member = new_page(PHONE)
    login_as(member, "doanvien")
    member.goto("/diary/entries/new")
    member.locator("#action").fill("Nhặt được ví, đã trả lại cho người đánh rơi ở bãi xe cơ quan.")
    expect(member.locator("#autosave-status")).to_have_text(re.compile("^Đã lưu nháp"), timeout=15_000)
    entry_id = member.locator("input[name=entry_id]").input_value()
    assert entry_id.isdigit()
    # The browser kept a copy too: reopening the form offers it back.
    member.goto("/diary/entries/new")
    assert member.locator("#restore-box").is_visible()
    member.get_by_role("button", name="Khôi phục").click()
    assert member.locator("#action").input_value().startswith("Nhặt được ví")
    member.goto(f"/diary/entries/{entry_id}")
    assert "Bản nháp" in member.inner_text("main")
