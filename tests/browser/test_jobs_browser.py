"""The secretary exports the demo branch: a real `flask worker` process makes the books while the
page's bar moves by itself; then the ZIP downloads with a PDF per member and the sổ vàng."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from app.core.db import db
from tests.browser.conftest import DESKTOP, PHONE, login_as, screenshot
from tests.conftest import worker_process

pytestmark = pytest.mark.browser

BAR_MOVING = "() => { const b = document.querySelector('progress.job-bar'); return b && b.value > 0 && b.value < b.max; }"


@pytest.fixture
def worker(live_server):
    """The live server queues into a SQLite file that a separate `flask worker` process consumes."""
    folder = Path(live_server.app.instance_path)
    with worker_process(
        live_server.app, folder / "huey-browser.db", folder / "worker-browser.log", stop_timeout=60
    ) as process:
        yield process


def test_the_secretary_exports_the_branch_and_watches_the_bar(new_page, worker, live_server):
    # 16 in the demo; other browser tests sharing the server may have added someone.
    from sqlalchemy import select

    from app.jobs import services as jobs
    from app.units.models import Unit

    with live_server.app.app_context():
        branch = db.session.scalar(select(Unit).where(Unit.code == "CD-VP-SGDDT"))
        branch_size = len(jobs.branch_members(branch))
    page = new_page(DESKTOP)
    login_as(page, "bithu")
    page.get_by_role("link", name="Xuất sổ", exact=True).click()
    page.get_by_role("link", name="Xuất sổ hàng loạt").first.click()
    assert page.get_by_role("heading", name="Xuất sổ hàng loạt").is_visible()
    screenshot(page, "jobs-start-1280")
    page.get_by_label("Năm").select_option("2026")
    page.get_by_role("button", name="Bắt đầu xuất sổ").click()
    page.wait_for_url(re.compile(r"/exports/\d+$"))
    job_url = page.url

    # The bar moves while the page stays as it is: a marker set now survives, so no reload did it.
    page.evaluate("window.notReloaded = true")
    page.wait_for_function(BAR_MOVING, timeout=90_000)
    first = page.locator("progress.job-bar").evaluate("b => b.value")
    assert page.locator("[data-job-status]").inner_text() == "Đang xuất"  # the badge follows too
    screenshot(page, "jobs-progress-1280")

    phone = new_page(PHONE)
    # Signing in writes to the database: on SQLite it waits while the worker registers and renders
    # a member's book (a year of entries in the demo: seconds on a loaded machine).
    phone.set_default_timeout(45_000)
    login_as(phone, "bithu")
    phone.set_default_timeout(10_000)
    phone.goto("/units/3/exports")
    screenshot(phone, "jobs-start-360")
    phone.goto(job_url)  # leave and come back, on another device
    phone.wait_for_function(BAR_MOVING, timeout=60_000)
    screenshot(phone, "jobs-progress-360")

    page.wait_for_function(
        f"() => document.querySelector('progress.job-bar').value > {first}", timeout=60_000
    )
    assert page.evaluate("window.notReloaded === true")
    count = page.locator("[data-progress-count]").inner_text()
    assert re.fullmatch(rf"\d+/{branch_size}", count), count

    # At the end the page reloads itself with the download.
    download_link = page.get_by_role("link", name=re.compile("Tải tệp ZIP"))
    # Sixteen books of a year of entries each (the demo's real year): minutes on a loaded machine.
    download_link.wait_for(timeout=600_000)
    screenshot(page, "jobs-done-1280")
    phone.get_by_role("link", name=re.compile("Tải tệp ZIP")).wait_for(timeout=30_000)
    screenshot(phone, "jobs-done-360")
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename == "Sổ_nhật_ký_Chi_đoàn_Văn_phòng_Sở_Giáo_dục_và_Đào_tạo_2026.zip"
    archive = zipfile.ZipFile(download.path())
    names = archive.namelist()
    assert len([n for n in names if re.match(r"\d\d_.+_2026\.pdf$", n)]) == branch_size
    assert "Sổ_vàng_Chi_đoàn_Văn_phòng_Sở_Giáo_dục_và_Đào_tạo_2026.pdf" in names
    assert all(archive.read(n).startswith(b"%PDF") for n in names)

    page.goto("/exports")
    assert page.get_by_text("Đã xong").first.is_visible()
    screenshot(page, "jobs-list-1280")
    assert not page.js_errors and not phone.js_errors

    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems = []
    for view in (page, phone):
        for path in ("/exports", "/units/3/exports", job_url):
            view.goto(path)
            for violation in axe.run(view).response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    problems.append(
                        f"{path}: {violation['id']} {[n['target'] for n in violation['nodes']][:3]}"
                    )
    assert not problems, "\n".join(problems)
