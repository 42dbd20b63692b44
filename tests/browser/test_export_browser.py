"""PDF documents as people use them: the member downloads a month from their diary on a phone, the
register lists it, anyone checks its number on the public page; the secretary's register of the branch."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DESKTOP, PHONE, login_as, screenshot

pytestmark = pytest.mark.browser


def test_download_a_month_and_check_its_number(new_page, live_server):
    phone = new_page(PHONE)
    login_as(phone, "doanvien")
    phone.goto("/diary/")
    phone.get_by_role("link", name="Xuất PDF").click()
    phone.wait_for_url(re.compile(r"/units/\d+/members/\d+/documents$"))
    assert "Chưa có văn bản nào được lập." in phone.inner_text("main")
    screenshot(phone, "export-member-360")

    month_form = phone.locator("form", has_text="một tháng")
    month_form.get_by_label("Tháng").select_option(label="Tháng 9")
    with phone.expect_download(timeout=60_000) as download_info:
        month_form.get_by_role("button", name="Tải PDF").click()
    download = download_info.value
    assert re.fullmatch(
        r"so-nhat-ky-lam-theo-loi-bac-thang-9-\d{4}-nguyen-thi-my-duyen-SNK-\d{4}-\d{6}\.pdf",
        download.suggested_filename,
    )
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    number = re.search(r"SNK-\d{4}-\d{6}", download.suggested_filename).group(0)

    phone.reload()
    main = phone.inner_text("main")
    assert number in main and "Nguyễn Thị Mỹ Duyên" in main and "Tháng 9/" in main and "(một tháng)" in main
    screenshot(phone, "export-member-listed-360")

    # Anyone holding the paper checks the number (no login), by the QR link or by typing it.
    visitor = new_page(DESKTOP)
    visitor.goto("/verify")
    visitor.get_by_label(re.compile("Số văn bản")).fill(number.lower())
    visitor.get_by_role("button", name="Kiểm tra").click()
    assert "Văn bản xác thực và còn khớp với hồ sơ hiện nay" in visitor.inner_text("main")
    assert "N.T.M.D." in visitor.inner_text("main")
    screenshot(visitor, "export-verify-1280")
    visitor.goto("/verify/SNK-2020-000999")
    assert "Không tìm thấy văn bản số SNK-2020-000999" in visitor.inner_text("main")
    assert not phone.js_errors and not visitor.js_errors


def test_branch_register_and_accessibility(new_page):
    page = new_page(DESKTOP)
    login_as(page, "bithu")
    page.goto("/units/3")
    page.get_by_role("link", name="Văn bản PDF").click()
    page.wait_for_url(re.compile(r"/units/3/documents$"))
    assert "Sổ vàng" in page.inner_text("main")
    screenshot(page, "export-unit-1280")

    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems = []
    phone = new_page(PHONE)
    login_as(phone, "bithu")
    for view in (page, phone):
        for path in (
            "/units/3/documents",
            "/units/3/members/4/documents",
            "/verify",
            "/verify/SNK-2020-000999",
        ):
            view.goto(path)
            for violation in axe.run(view).response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    problems.append(
                        f"{path}: {violation['id']} {[n['target'] for n in violation['nodes']][:3]}"
                    )
    screenshot(phone, "export-unit-360")
    assert not problems, "\n".join(problems)
