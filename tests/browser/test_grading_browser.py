"""A whole grading round in Chromium with the demo accounts, on both scales: the Chi đoàn on the
Youth Union's four levels, the Chi bộ on the Party's 100 points. Self-assessment with a cited
entry, the secretary's proposal with a citation, the meeting and its minutes, ratification by
`canbo`, the member's acknowledgement, and the shares on the statistics page counted by hand."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.core.db import db
from app.core.enums import RoundStatus, Tier
from app.core.filters import today_local
from app.grading import services
from app.grading.models import GradingRound, Rating
from app.units.models import Unit
from tests.browser.conftest import DESKTOP, PHONE, login_as, screenshot

pytestmark = pytest.mark.browser
YEAR = today_local().year


def _proposals_for_the_rest(live_server, code: str, keep: str) -> int:
    """Proposals for everyone but `keep` (done in the browser), as their reviewers would; the unit id."""
    with live_server.app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == code))
        grading_round = services.get_round(unit, YEAR)
        services.sync_members(grading_round)  # people other tests added to the branch meanwhile
        framework = grading_round.framework
        canbo = db.session.scalar(select(User).where(User.username == "canbo"))
        secretary = next(m.user for m in unit.memberships if m.role.value == "secretary")
        for index, rating in enumerate(services.ratings_of(grading_round)):
            if rating.user.username == keep:
                continue
            actor = secretary if services.can_propose(secretary, rating) else canbo
            tier = Tier.EXCELLENT if index % 6 == 0 else Tier.GOOD if index % 7 else Tier.COMPLETED
            share = {Tier.EXCELLENT: 0.95, Tier.GOOD: 0.8, Tier.COMPLETED: 0.6}[tier]
            points = (
                {c.id: str(round(float(c.max_points) * share, 1)) for c in framework.criteria}
                if framework.is_points
                else {}
            )
            level = framework.level_for_tier(tier)
            services.save_proposal(
                actor,
                rating,
                None if framework.is_points else level.id,
                "Hoàn thành nhiệm vụ, ghi sổ nhật ký đều.",
                points,
                {},
                {},
                None,
            )
        db.session.commit()
        return unit.id


def _share(box, share: float) -> str:
    """A score of `share` of the criterion's maximum, written as people type it (7,5)."""
    maximum = float(box.get_attribute("data-max").replace(",", "."))
    return f"{round(maximum * share * 2) / 2:.1f}".replace(".", ",")


def _fill_self_assessment(page, points: bool) -> None:
    for key, text in {
        "politics": "Học tập đầy đủ các chuyên đề năm.",
        "ethics": "Sống giản dị; tiết kiệm điện, giấy in như đã đăng ký.",
        "work_style": "Đúng giờ, xử lý văn bản đúng hạn.",
        "discipline": "Sinh hoạt đầy đủ, tham gia 100% hoạt động.",
        "duties": "Hoàn thành tốt nhiệm vụ chuyên môn.",
        "shortcomings": "Còn ngại phát biểu.",
    }.items():
        page.locator(f"#{key}").fill(text)
    # Cite the first entry offered for the ethics section (the Chi bộ's demo has no diary yet).
    page.locator("#ethics ~ details summary").first.click()
    if points:
        assert "Chưa có bài nhật ký nào trong năm để dẫn chứng." in page.inner_text("main")
    else:
        page.locator("input[name='cite-ethics']").first.check()
    if points:
        for box in page.locator("input[name^='points-']").all():
            box.fill(_share(box, 0.85))
    else:
        page.locator("#level_id").select_option(label="Hoàn thành tốt nhiệm vụ")
    page.get_by_role("button", name="Gửi bí thư").click()
    assert "Đã gửi bản tự đánh giá cho bí thư." in page.inner_text("main")


def _round(new_page, live_server, *, code, secretary, member, points, name):
    unit_id = _proposals_for_the_rest(live_server, code, keep=member)
    sheet = f"/grading/{unit_id}/{YEAR}"

    # The member writes the self-assessment on a phone, prefilled with the diary's evidence.
    phone = new_page(PHONE)
    login_as(phone, member)
    phone.goto("/grading/")
    phone.goto(f"{sheet}/me")
    assert "Sổ nhật ký năm" in phone.inner_text("main")
    screenshot(phone, f"grading-{name}-self-360")
    _fill_self_assessment(phone, points)

    # The secretary proposes, citing an entry, then records the meeting.
    desk = new_page(DESKTOP)
    login_as(desk, secretary)
    desk.goto(sheet)
    screenshot(desk, f"grading-{name}-sheet-1280")
    with live_server.app.app_context():
        member_id = db.session.scalar(select(User.id).where(User.username == member))
    desk.goto(f"{sheet}/members/{member_id}/propose")
    assert "Sổ nhật ký năm" in desk.inner_text("main")
    first_box = desk.locator("details.cite-box").first
    first_box.locator("summary").click()
    if not points:
        first_box.locator("input[type=checkbox]").first.check()
    if points:
        for box in desk.locator("input[name^='points-']").all():
            box.fill(_share(box, 0.95))
    else:
        desk.locator("#level_id").select_option(label="Hoàn thành xuất sắc nhiệm vụ")
    desk.locator("#comment").fill("Ghi sổ nhật ký đều đặn, có việc làm được biểu dương.")
    desk.get_by_role("button", name="Lưu đề xuất").click()
    assert "Đã lưu đề xuất xếp loại" in desk.inner_text("main")
    screenshot(desk, f"grading-{name}-propose-1280")

    desk.get_by_role("link", name="Ghi kết quả họp xét").click()
    desk.locator("#meeting_date").fill(today_local().strftime("%d/%m/%Y"))
    desk.locator("#recorder_name").fill("Võ Thị Lan")
    desk.get_by_role("button", name="Ghi kết quả và lập biên bản").click()
    text = desk.inner_text("main")
    assert "BIÊN BẢN" in text and "Kết quả xếp loại" in text, text[:500]
    screenshot(desk, f"grading-{name}-minutes-1280")
    desk.get_by_role("link", name="Về bảng xếp loại").click()
    desk.get_by_role("button", name="Gửi cấp trên công nhận").click()
    assert "Đã gửi kết quả lên cấp trên" in desk.inner_text("main")

    # canbo ratifies.
    officer = new_page(DESKTOP)
    login_as(officer, "canbo")
    officer.goto("/grading/")
    officer.locator(f"a[href='{sheet}']").first.click()
    officer.get_by_role("button", name="Công nhận kết quả").click()
    assert "Đã công nhận kết quả" in officer.inner_text("main")

    # The member sees the result and acknowledges it.
    phone.goto(f"{sheet}/me")
    assert "Kết quả xếp loại đã được công nhận" in phone.inner_text("main")
    screenshot(phone, f"grading-{name}-result-360")
    phone.get_by_role("button", name="Ghi nhận kết quả").click()
    assert "Bạn đã ghi nhận kết quả xếp loại." in phone.inner_text("main")
    return unit_id, officer


def test_a_whole_round_on_both_scales(new_page, live_server):
    branch_id, officer = _round(
        new_page,
        live_server,
        code="CD-VP-SGDDT",
        secretary="bithu",
        member="doanvien",
        points=False,
        name="doan",
    )
    cell_id, officer = _round(
        new_page,
        live_server,
        code="CB-VP-SGDDT",
        secretary="bithuchibo",
        member="bithu",
        points=True,
        name="dang",
    )

    # The shares on the statistics page equal a count made by hand from the ratified results of
    # the Đoàn Khối's chi đoàn this year (the demo's hospital branch was ratified already).
    with live_server.app.app_context():
        root = db.session.get(Unit, branch_id).parent.parent
        under = select(Unit.id).where(Unit.path.startswith(root.path))
        rows = db.session.scalars(
            select(Rating)
            .join(Rating.round)
            .where(GradingRound.unit_id.in_(under), GradingRound.year == YEAR)
            .where(GradingRound.status == RoundStatus.RATIFIED)
        )
        counts: dict[int, int] = {}
        for r in rows:
            counts[r.final_level.tier] = counts.get(r.final_level.tier, 0) + 1
        total = sum(counts.values())
        root_id = root.id
    officer.goto(f"/grading/stats/{root_id}?year={YEAR}")
    text = officer.inner_text("main")
    for tier, count in counts.items():
        exact = (Decimal(count) * 100 / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)
        share = f"{exact}".replace(".", ",").removesuffix(",0") + "%"
        assert f"{count} ({share})" in text, (tier, count, share)
    screenshot(officer, "grading-stats-1280")
    officer.set_viewport_size(PHONE)
    officer.goto(f"/grading/{cell_id}/{YEAR}/minutes")
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in officer.inner_text("main")
    screenshot(officer, "grading-dang-minutes-360")
