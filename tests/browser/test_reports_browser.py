"""Reports of upper units as `canbo` uses them on the demo: the Đoàn Khối dashboard with its
charts, the drill-down to a branch and its dashboard, the Excel file against the page, the
commendations; and `doanvien` seeing that `canbo` read their diary."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from app.core.filters import today_local
from tests.browser.conftest import DESKTOP, PHONE, login_as, screenshot

pytestmark = pytest.mark.browser


def _doan_khoi_members(live_server, branch_code: str | None = None) -> int:
    from sqlalchemy import func, select

    from app.core.db import db
    from app.core.enums import Role, UnitKind
    from app.units.models import Membership, Unit

    with live_server.app.app_context():
        return db.session.scalar(
            select(func.count(func.distinct(Membership.user_id)))
            .join(Unit, Unit.id == Membership.unit_id)
            .where(Unit.kind == UnitKind.BRANCH, Membership.role != Role.OFFICER)
            .where(Unit.code == branch_code if branch_code else Unit.id.is_not(None))
        )


def tile(page, figure: str) -> str:
    return page.locator(f'[data-figure="{figure}"] .rp-tile-value').inner_text().strip()


def test_the_dashboard_drill_down_and_the_excel_file(new_page, live_server):
    page = new_page(DESKTOP)
    login_as(page, "canbo")
    page.get_by_role("link", name="Báo cáo", exact=True).click()
    # canbo is an officer of the Đoàn Khối and of the Đảng ủy: the list of both comes first.
    page.get_by_role("link", name="Đoàn Khối các Cơ quan tỉnh Sóc Trăng").click()
    page.wait_for_url(re.compile(r"/units/\d+/reports$"))
    main = page.inner_text("main")
    assert f"Tình hình thực hiện năm {today_local().year}" in main
    assert "Đoàn cơ sở Sở Giáo dục và Đào tạo" in main and "Đoàn cơ sở Sở Y tế" in main
    # 16 + 12 + 19 members in the demo's three chi đoàn, plus anyone other browser tests added.
    assert tile(page, "members") == str(_doan_khoi_members(live_server))
    assert int(tile(page, "entries").replace(".", "")) > 0  # 5.321: a year of the demo's diaries
    assert page.locator("svg.rp-wide").first.is_visible()  # the charts are drawn
    assert page.locator("#rp-units tbody tr").count() == 2
    screenshot(page, "reports-dashboard-1280")

    # The Excel file has the page's figures.
    with page.expect_download() as info:
        page.get_by_role("link", name="Tải báo cáo Excel").click()
    workbook = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    rows = list(workbook["Theo đơn vị"].iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r[0] == "Đơn vị")
    columns = rows[header]
    total = dict(zip(columns, next(r for r in rows if r[0] == "Tổng cộng"), strict=True))
    assert str(total["Thành viên"]) == tile(page, "members")
    assert f"{total['Bài nhật ký trong kỳ']:,}".replace(",", ".") == tile(page, "entries")
    for r in rows[header + 1 :]:
        if r[0] and r[0] != "Tổng cộng":
            cells = page.locator(f'#rp-units tr:has(th a:text-is("{r[0]}")) td[data-col="members"]')
            assert cells.inner_text().strip() == str(r[columns.index("Thành viên")])

    # Drill down: Đoàn cơ sở → chi đoàn → the branch's own dashboard.
    page.locator("#rp-units").get_by_role("link", name="Đoàn cơ sở Sở Giáo dục và Đào tạo").click()
    assert "Chi đoàn Văn phòng Sở Giáo dục và Đào tạo" in page.inner_text("#rp-units")
    page.locator("#rp-units").get_by_role("link", name="Chi đoàn Văn phòng Sở Giáo dục và Đào tạo").click()
    assert tile(page, "members") == str(_doan_khoi_members(live_server, "CD-VP-SGDDT"))
    screenshot(page, "reports-branch-1280")
    page.get_by_role("link", name="Bảng theo dõi chi đoàn", exact=True).click()
    page.wait_for_url(re.compile(r"/units/\d+/dashboard"))
    assert "Nguyễn Thị Mỹ Duyên" in page.inner_text("main")
    assert page.js_errors == []


def test_the_dashboard_and_commendations_on_a_phone(new_page):
    phone = new_page(PHONE)
    login_as(phone, "canbo")
    phone.goto("/units/1/reports")
    assert phone.locator("svg.rp-narrow").first.is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360, "nothing wider than the phone"
    screenshot(phone, "reports-dashboard-360")
    phone.get_by_role("link", name="★ Biểu dương, điển hình").click()
    text = phone.inner_text("main")
    assert "Điển hình tiên tiến" in text
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "reports-commendations-360")

    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems = []
    desktop = new_page(DESKTOP)
    login_as(desktop, "canbo")
    for view in (desktop, phone):
        for path in ("/units/1/reports", "/units/1/reports/commendations", "/units/3/reports"):
            view.goto(path)
            for violation in axe.run(view).response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    problems.append(
                        f"{path}: {violation['id']} {[n['target'] for n in violation['nodes']][:3]}"
                    )
    desktop.goto("/units/1/reports/commendations")
    screenshot(desktop, "reports-commendations-1280")
    assert not problems, "\n".join(problems)


def test_the_member_sees_who_read_their_diary(new_page):
    officer = new_page(DESKTOP)
    login_as(officer, "canbo")
    officer.goto("/units/3/dashboard")
    row = officer.locator("tr", has_text="Nguyễn Thị Mỹ Duyên")
    row.get_by_role("link", name="Sổ nhật ký").click()
    officer.wait_for_url(re.compile(r"/diary/\d+/\d+\?"))

    member = new_page(PHONE)
    login_as(member, "doanvien")
    member.get_by_role("button", name="Mở menu").click()
    member.get_by_role("button", name="Nguyễn Thị Mỹ Duyên").click()
    member.get_by_role("link", name="Ai đã xem nhật ký của tôi").click()
    # Read the page once it is the one asked for, not the home page still showing while it loads.
    expect(member.get_by_role("heading", level=1)).to_have_text("Ai đã xem nhật ký của tôi")
    expect(member.locator("main")).to_contain_text("Lâm Thị Ngọc Hân")
    text = member.inner_text("main")
    today = today_local()
    assert "Lâm Thị Ngọc Hân" in text
    assert f"sổ nhật ký tháng {today.month}/{today.year}" in text
    assert "Cán bộ Đoàn Khối các Cơ quan tỉnh Sóc Trăng" in text
    screenshot(member, "reports-who-read-360")
    assert member.js_errors == [] and officer.js_errors == []
