"""Year-end grading: frameworks, self-assessment with evidence, proposals, quota, meeting, minutes,
ratification and its lock, the member's answer, closing the year, statistics in Vietnamese format."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditLog
from app.core.db import db, utcnow
from app.core.enums import ContentGroup, EntryStatus, Frequency, PlanStatus, Role, RoundStatus, Tier, UnitKind
from app.core.filters import today_local, vn_long_date
from app.core.locks import LockedError
from app.core.numbers import format_percent
from app.grading import catalogue, services
from app.grading.models import Citation, Framework, Rating, RoundReopening
from app.journal.models import Entry
from app.plans.models import Commitment, Plan
from app.standards.models import Standard


def this_year() -> int:
    """The grading year: this year by the test's clock (read when the test runs, not at import)."""
    return today_local().year


# ---- helpers ------------------------------------------------------------------------------------


def diary(owner, unit, approver, entries=3, group=ContentGroup.ETHICS):
    """An approved plan with one commitment and `entries` submitted entries this year."""
    standard = Standard(unit_id=unit.id, year=this_year(), group=group, title=f"Chuẩn mực {owner.username}")
    plan = Plan(
        user_id=owner.id,
        unit_id=unit.id,
        year=this_year(),
        status=PlanStatus.APPROVED,
        created_by_id=owner.id,
        decided_by_id=approver.id,
    )
    commitment = Commitment(
        standard=standard,
        action="Giúp đồng nghiệp số hóa hồ sơ",
        measure="Mỗi tháng",
        frequency=Frequency.MONTHLY,
    )
    plan.commitments = [commitment]
    db.session.add_all([standard, plan])
    made = []
    for i in range(entries):
        entry = Entry(
            user_id=owner.id,
            unit_id=unit.id,
            deed_date=date(this_year(), 1 + i, 5),
            action=f"Hướng dẫn đồng chí số {i + 1} dùng chữ ký số",
            result="Đã làm được",
            status=EntryStatus.SUBMITTED,
            submitted_at=utcnow(),
        )
        entry.commitments = [commitment]
        db.session.add(entry)
        made.append(entry)
    db.session.commit()
    return made


def open_round(unit, actor, framework=None):
    framework = framework or services.default_framework(unit)
    grading_round = services.open_round(actor, unit, this_year(), framework)
    db.session.commit()
    return grading_round


def rating_of(grading_round, user) -> Rating:
    return next(r for r in grading_round.ratings if r.user_id == user.id)


def level(framework: Framework, tier: Tier):
    return framework.level_for_tier(tier)


def csrf(client, url) -> str:
    html = client.get(url).get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    return found.group(1) if found else ""


class _FormReader(HTMLParser):
    """What a browser would post from each form of a page: inputs, ticked boxes, selected options."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict]] = []
        self._select: str | None = None
        self._option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append((a.get("action") or "", {}))
        if not self.forms:
            return
        data = self.forms[-1][1]
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    data[name] = a.get("value", "on")
            elif kind not in ("submit", "button"):
                data[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
            data.setdefault(name, None)
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if data.get(self._select) is None or "selected" in a:
                data[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, text):
        if self._textarea and self.forms:
            self.forms[-1][1][self._textarea] += (
                text.lstrip("\n") if not self.forms[-1][1][self._textarea] else text
            )


def browser_form(html: str, key: str) -> dict:
    """The fields of the first form that posts to a URL containing `key`, or that has a field `key`."""
    reader = _FormReader()
    reader.feed(html)
    for action, data in reader.forms:
        if (action and key in action) or key in data:
            return data
    raise AssertionError(f"no form for {key}")


def go_ahead(grading_round, step: str):
    """The confirmation a secretary or officer gives to go ahead with what is missing now (if any)."""
    ready = services.readiness(grading_round, step)
    return services.GoAhead("Chi đã thống nhất, hồ sơ bổ sung sau", ready.token) if ready.missing else None


def finish_meeting(grading_round, actor, tiers: dict[int, Tier] | None = None):
    framework = grading_round.framework
    lines = []
    for r in grading_round.ratings:
        tier = (tiers or {}).get(r.user_id, Tier.GOOD)
        n = len(grading_round.ratings)
        lines.append(services.MeetingLine(r.id, True, "", n, n, level(framework, tier).id, None))
    services.record_meeting(
        actor,
        grading_round,
        today_local(),
        "Hội trường",
        actor.full_name,
        "Thư ký",
        "",
        lines,
        "",
        None,
        go_ahead=go_ahead(grading_round, "meeting"),
    )
    db.session.commit()


# ---- frameworks as data -----------------------------------------------------------------------------


def test_shipped_frameworks_are_ready_and_chosen_by_org_type(org):
    youth = services.default_framework(org.branch)
    party = services.default_framework(org.party_cell)
    assert youth.code == catalogue.YOUTH_CODE and not youth.is_points
    assert [lv.name for lv in youth.levels] == [
        "Hoàn thành xuất sắc nhiệm vụ",
        "Hoàn thành tốt nhiệm vụ",
        "Hoàn thành nhiệm vụ",
        "Không hoàn thành nhiệm vụ",
    ]
    assert party.code == catalogue.PARTY_CODE and party.is_points and party.has_quarterly
    assert party.max_points == Decimal(100)
    assert sum(c.max_points for c in party.criteria if c.group_name.startswith("I.")) == 30
    # ≥ 90, 70–<90, 50–<70, < 50
    assert party.level_for_score(Decimal("90")).tier == Tier.EXCELLENT
    assert party.level_for_score(Decimal("89.9")).tier == Tier.GOOD
    assert party.level_for_score(Decimal("70")).tier == Tier.GOOD
    assert party.level_for_score(Decimal("69.5")).tier == Tier.COMPLETED
    assert party.level_for_score(Decimal("50")).tier == Tier.COMPLETED
    assert party.level_for_score(Decimal("49.9")).tier == Tier.NOT_COMPLETED
    # Shipped once, however often asked.
    services.frameworks_for(org.branch)
    assert db.session.scalar(select(func.count(Framework.id))) == 2


def test_a_unit_copies_a_framework_and_edits_criteria_without_code(org, client, login):
    login("canbo")
    url = f"/grading/frameworks/{org.root.id}"
    token = csrf(client, url)
    shipped = services.default_framework(org.branch)
    response = client.post(
        url, data={"csrf_token": token, "source_id": shipped.id, "name": "Khung Đoàn Khối 2026"}
    )
    assert response.status_code == 302
    own = db.session.scalar(select(Framework).where(Framework.unit_id == org.root.id))
    assert own.name == "Khung Đoàn Khối 2026" and len(own.criteria) == len(shipped.criteria)
    # The branch below is offered the copy first.
    assert services.default_framework(org.branch).id == own.id
    edit_url = f"/grading/frameworks/{org.root.id}/{own.id}"
    response = client.post(
        f"{edit_url}/criteria",
        data={
            "new-csrf_token": csrf(client, edit_url),
            "new-group_name": "Tiêu chí riêng",
            "new-content_group": "duties",
            "new-text": "Tham gia hiến máu tình nguyện",
            "new-max_points": "",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert any(c.text == "Tham gia hiến máu tình nguyện" for c in own.criteria)
    # Shipped frameworks stay as shipped: a POST to edit one is refused.
    response = client.post(
        f"/grading/frameworks/{org.root.id}/{shipped.id}", data={"csrf_token": token, "name": "x"}
    )
    assert response.status_code == 403
    # A secretary of a branch cannot touch the Đoàn Khối's framework.
    client.post("/logout", data={"csrf_token": token})
    login("bithu")
    assert client.get(f"/grading/frameworks/{org.root.id}").status_code == 404


def test_framework_errors_stand_next_to_the_field_and_keep_what_was_typed(org, client, login):
    login("canbo")
    own = services.copy_framework(
        org.officer_root, services.default_framework(org.branch.parent), org.root, "Khung chấm điểm"
    )
    db.session.commit()
    edit_url = f"/grading/frameworks/{org.root.id}/{own.id}"
    level = own.levels[0]
    # A quota that is not a percentage: said beside it, and the level's new name typed is kept.
    response = client.post(
        edit_url,
        data={
            "csrf_token": csrf(client, edit_url),
            "name": own.name,
            f"name-{level.id}": "Mức mới",
            f"quota-{level.id}": "150",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="quota-{level.id}-error"' in body and "Tỷ lệ phải từ 0 đến 100%." in body
    assert 'value="Mức mới"' in body
    # A new criterion without its text: the reason beside the field, the group typed still there.
    response = client.post(
        f"{edit_url}/criteria",
        data={"new-csrf_token": csrf(client, edit_url), "new-group_name": "Nhóm đang gõ", "new-text": ""},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="new-text-error"' in body and "Vui lòng nhập nội dung tiêu chí." in body
    assert "Nhóm đang gõ" in body
    db.session.expire_all()
    assert level.name != "Mức mới" and not any(c.group_name == "Nhóm đang gõ" for c in own.criteria)


# ---- the round, end to end over HTTP ----------------------------------------------------------------


@pytest.mark.clock
def test_a_whole_youth_union_round_over_http(org, client, login):
    entries = diary(org.member, org.branch, org.secretary)
    other = diary(org.member_other, org.branch_other, org.secretary_other, entries=1)
    diary(org.member2, org.branch, org.secretary, entries=1)

    # The secretary opens the round.
    login("bithu")
    sheet = f"/grading/{org.branch.id}/{this_year()}"
    page = client.get(sheet)
    assert page.status_code == 200 and "Mở đợt đánh giá" in page.get_data(as_text=True)
    framework = services.default_framework(org.branch)
    response = client.post(
        f"{sheet}/open",
        data={"csrf_token": csrf(client, sheet), "framework_id": framework.id, "reconsider_days": 7},
    )
    assert response.status_code == 302
    client.post("/logout", data={"csrf_token": csrf(client, "/")})

    # The member's self-assessment opens with the diary's evidence.
    login("doanvien")
    me = f"/grading/{org.branch.id}/{this_year()}/me"
    html = client.get(me).get_data(as_text=True)
    assert "Sổ nhật ký năm" in html and "Hướng dẫn đồng chí số 2 dùng chữ ký số" in html
    token = csrf(client, me)
    good = level(framework, Tier.GOOD)
    form = {
        "csrf_token": token,
        "lock_version": "",
        "politics": "Gương mẫu chấp hành",
        "ethics": "Giản dị, trung thực",
        "work_style": "Đúng giờ",
        "discipline": "Sinh hoạt đầy đủ",
        "duties": "Hoàn thành tốt chuyên môn",
        "shortcomings": "Còn ngại phát biểu",
        "level_id": good.id,
        "action": "submit",
        "cite-ethics": [str(entries[0].id), str(entries[1].id), str(other[0].id)],
    }
    # Missing a strength section: a Vietnamese message next to it, and what was typed is kept.
    response = client.post(me, data={**form, "duties": ""})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Vui lòng viết phần ưu điểm: thực hiện nhiệm vụ" in body and "Giản dị, trung thực" in body
    response = client.post(me, data=form)
    assert response.status_code == 302
    grading_round = services.get_round(org.branch, this_year())
    rating = rating_of(grading_round, org.member)
    assert rating.self_assessment.submitted_at is not None and rating.self_assessment.level_id == good.id
    # Citing someone else's entry is silently impossible: only the member's own entries are kept.
    assert sorted(rating.cited("self", "ethics")) == sorted([entries[0].id, entries[1].id])
    client.post("/logout", data={"csrf_token": token})

    # The secretary proposes a level citing entries per criterion.
    login("bithu")
    propose = f"{sheet}/members/{org.member.id}/propose"
    html = client.get(propose).get_data(as_text=True)
    assert "Giản dị, trung thực" in html  # the self-assessment is shown beside the form
    criterion = framework.criteria[1]
    excellent = level(framework, Tier.EXCELLENT)
    response = client.post(
        propose,
        data={
            "csrf_token": csrf(client, propose),
            "lock_version": rating.lock_version,
            "level_id": excellent.id,
            "comment": "Ghi nhật ký đều, giúp 3 đồng chí dùng chữ ký số.",
            f"comment-{criterion.id}": "Gương mẫu",
            f"cite-{criterion.id}": [str(entries[2].id)],
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    rating = db.session.get(Rating, rating.id)
    assert rating.proposed_level_id == excellent.id
    assert rating.cited("proposal", f"c{criterion.id}") == [entries[2].id]

    # The meeting starts from the proposals: the member's agreed level is the proposal, everyone is
    # present; the secretary sets the votes once for all and picks levels where no proposal exists.
    meeting = f"{sheet}/meeting"
    data = browser_form(client.get(meeting).get_data(as_text=True), "minutes_number")
    lines = {data[f"lines-{i}-rating_id"]: i for i in range(len(grading_round.ratings))}
    mine = lines[str(rating.id)]
    assert data[f"lines-{mine}-level_id"] == str(excellent.id) and data[f"lines-{mine}-present"] == "y"
    data.update(
        {
            "meeting_place": "Phòng họp tầng 2",
            "chair_name": "Trần Quốc Bảo",
            "recorder_name": "Võ Thị Lan",
            "meeting_notes": "Thống nhất cao.",
            "meeting_start": "14:00",
            "meeting_end": "16:30",
            "minutes_number": "05-BB/CĐ",
            "all_votes_agree": "3",
            "all_votes_total": "4",
        }
    )
    for i in lines.values():
        data[f"lines-{i}-level_id"] = data[f"lines-{i}-level_id"] or str(good.id)
    # Self-assessments and proposals are missing: the meeting asks for a confirmation with a reason,
    # and keeps what was typed.
    response = client.post(meeting, data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Chưa có đề xuất của bí thư" in body
    assert "Vui lòng ghi lý do vẫn" not in body and "hãy đánh dấu xác nhận và ghi lý do" in body
    assert 'value="Võ Thị Lan"' in body and 'value="05-BB/CĐ"' in body
    data = browser_form(body, "minutes_number")
    data.update({"go_ahead": "y", "go_ahead_reason": "Chi đã thống nhất, bổ sung hồ sơ sau"})
    response = client.post(meeting, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    minutes = client.get(f"{sheet}/minutes").get_data(as_text=True)
    assert "BIÊN BẢN" in minutes and "Nguyễn Thị Mỹ Duyên" in minutes and "Phòng họp tầng 2" in minutes
    assert vn_long_date(today_local()) in minutes  # "ngày 01 tháng 02 năm 2028": months 1-2 take a zero
    assert "ĐOÀN TNCS HỒ CHÍ MINH" in minutes
    assert (
        "Số: 05-BB/CĐ" in minutes and "vào lúc 14 giờ 00" in minutes and "kết thúc lúc 16 giờ 30" in minutes
    )
    db.session.expire_all()
    assert {r.votes_agree for r in services.get_round(org.branch, this_year()).ratings} == {3}
    # Sending up confirms first, on a page of its own.
    confirm = client.get(f"{sheet}/confirm/submit").get_data(as_text=True)
    assert "Gửi kết quả lên cấp trên công nhận" in confirm and "Chưa gửi bản tự đánh giá" in confirm
    data = browser_form(confirm, "/submit")
    response = client.post(f"{sheet}/submit", data=data)
    assert response.status_code == 422  # the gaps were not confirmed
    data.update({"go_ahead": "y", "go_ahead_reason": "Đã họp, chi thống nhất gửi"})
    response = client.post(f"{sheet}/submit", data=data)
    assert response.status_code == 302
    # The secretary cannot ratify their own branch's result.
    assert client.get(f"{sheet}/confirm/ratify").status_code == 403
    assert client.post(f"{sheet}/ratify", data={"csrf_token": csrf(client, sheet)}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf(client, "/")})

    # The unit above ratifies, after a confirmation page that says on whose behalf.
    login("canbo")
    assert f"/grading/{org.branch.id}/{this_year()}" in client.get("/grading/").get_data(as_text=True)
    confirm = client.get(f"{sheet}/confirm/ratify").get_data(as_text=True)
    assert f"do <strong>{org.root.name}</strong> công nhận" in confirm
    data = browser_form(confirm, "/ratify")
    data.update({"go_ahead": "y", "go_ahead_reason": "Chi đã họp đủ; kế hoạch bổ sung sau"})
    response = client.post(f"{sheet}/ratify", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    grading_round = services.get_round(org.branch, this_year())
    assert grading_round.status is RoundStatus.RATIFIED and grading_round.ratified_unit_id == org.root.id
    client.post("/logout", data={"csrf_token": csrf(client, "/")})

    # The member sees the result and acknowledges it.
    login("doanvien")
    html = client.get(me).get_data(as_text=True)
    assert "Kết quả xếp loại đã được công nhận" in html and "Hoàn thành xuất sắc nhiệm vụ" in html
    response = client.post(f"{me}/acknowledge", data={"csrf_token": csrf(client, me)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Rating, rating.id).acknowledged_at is not None


def test_a_party_cell_round_on_the_100_point_scale(org, make_user):
    officer = make_user("canbodang", org.party_cell.parent, Role.OFFICER)
    secretary = make_user("bithuchibo", org.party_cell, Role.SECRETARY)
    member = make_user("dangvien", org.party_cell, Role.MEMBER, full_name="Lê Văn Đảng")
    diary(member, org.party_cell, secretary)
    grading_round = open_round(org.party_cell, secretary)
    framework = grading_round.framework
    rating = rating_of(grading_round, member)
    points = {c.id: str(c.max_points - 1) for c in framework.criteria}  # 100 − 7 = 93
    services.save_self_assessment(
        member,
        rating,
        {k: "Tốt" for k in ("politics", "ethics", "work_style", "discipline", "duties")},
        None,
        points,
        {},
        None,
        submit=True,
    )
    assert rating.self_assessment.score == Decimal(93) and rating.self_assessment.level.tier == Tier.EXCELLENT
    # A score above a criterion's maximum is refused, naming the field.
    bad = dict(points)
    first = framework.criteria[0]
    bad[first.id] = "8,5" if first.max_points == 8 else "999"
    with pytest.raises(services.GradingError) as error:
        services.save_proposal(secretary, rating, None, "Nhận xét", bad, {}, {}, None)
    assert error.value.field == f"points-{first.id}" and "Điểm phải từ 0 đến" in error.value.message
    db.session.rollback()
    rating = db.session.get(Rating, rating.id)
    proposal = {
        c.id: str(c.max_points) if c.content_group is ContentGroup.DUTIES else "5" for c in framework.criteria
    }
    services.save_proposal(secretary, rating, None, "Hoàn thành tốt", proposal, {}, {}, None)
    db.session.commit()
    assert rating.proposed_score == Decimal(70 + 4 * 5) and rating.proposed_level.tier == Tier.EXCELLENT
    lines = [
        services.MeetingLine(r.id, True, "", 2, 2, None, "85,5" if r.id == rating.id else "75")
        for r in grading_round.ratings
    ]
    services.record_meeting(
        secretary,
        grading_round,
        today_local(),
        "",
        "Chủ trì",
        "Thư ký",
        "",
        lines,
        "",
        None,
        go_ahead=go_ahead(grading_round, "meeting"),
    )
    assert rating.final_score == Decimal("85.5") and rating.final_level.tier == Tier.GOOD
    services.submit_round(secretary, grading_round, go_ahead(grading_round, "submit"))
    services.ratify_round(officer, grading_round, go_ahead=go_ahead(grading_round, "ratify"))
    db.session.commit()
    assert grading_round.status is RoundStatus.RATIFIED


# ---- the lock after ratification ----------------------------------------------------------------


def _ratified(org):
    grading_round = open_round(org.branch, org.secretary)
    finish_meeting(grading_round, org.secretary)
    services.submit_round(org.secretary, grading_round, go_ahead(grading_round, "submit"))
    services.ratify_round(org.officer_root, grading_round, go_ahead=go_ahead(grading_round, "ratify"))
    db.session.commit()
    return grading_round


@pytest.mark.parametrize("who", ["secretary", "deputy", "officer_root", "admin", "member"])
def test_a_ratified_rating_cannot_be_changed_by_any_role(org, who):
    grading_round = _ratified(org)
    actor = getattr(org, who)
    rating = rating_of(grading_round, org.member)
    framework = grading_round.framework
    attempts = [
        lambda: services.save_proposal(
            actor, rating, level(framework, Tier.EXCELLENT).id, "x", {}, {}, {}, None
        ),
        lambda: finish_meeting(grading_round, actor, {org.member.id: Tier.EXCELLENT}),
        lambda: services.save_self_assessment(actor, rating, {}, None, {}, {}, None, submit=False),
        lambda: services.submit_round(actor, grading_round, go_ahead(grading_round, "submit")),
    ]
    for attempt in attempts:
        with pytest.raises((services.GradingError, LockedError)):
            attempt()
        db.session.rollback()
    db.session.expire_all()
    assert rating_of(services.get_round(org.branch, this_year()), org.member).final_level.tier == Tier.GOOD


def test_only_the_recorded_reopening_unlocks_a_ratified_round(org, client, login):
    grading_round = _ratified(org)
    # Over HTTP the secretary's meeting post is refused with a message, and nothing changes.
    login("bithu")
    sheet = f"/grading/{org.branch.id}/{this_year()}"
    rating = rating_of(grading_round, org.member)
    data = {
        "csrf_token": csrf(client, f"{sheet}/meeting"),
        "meeting_date": today_local().strftime("%d/%m/%Y"),
        "chair_name": "A",
        "recorder_name": "B",
        f"present-{rating.id}": "1",
        f"level-{rating.id}": str(level(grading_round.framework, Tier.EXCELLENT).id),
    }
    response = client.post(f"{sheet}/meeting", data=data)
    assert response.status_code == 409 and "đã được cấp trên công nhận" in response.get_data(as_text=True)
    # The secretary cannot reopen; without a reason the officer cannot either.
    assert (
        client.post(f"{sheet}/reopen", data={"csrf_token": csrf(client, sheet), "reason": "x"}).status_code
        == 403
    )
    client.post("/logout", data={"csrf_token": csrf(client, "/")})
    login("canbo")
    response = client.post(f"{sheet}/reopen", data={"csrf_token": csrf(client, sheet), "reason": ""})
    assert response.status_code == 422 and "Vui lòng ghi lý do" in response.get_data(as_text=True)
    response = client.post(
        f"{sheet}/reopen", data={"csrf_token": csrf(client, sheet), "reason": "Đoàn viên khiếu nại có căn cứ"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    grading_round = services.get_round(org.branch, this_year())
    assert grading_round.status is RoundStatus.RETURNED
    reopening = db.session.scalar(select(RoundReopening))
    assert (
        reopening.reason == "Đoàn viên khiếu nại có căn cứ"
        and reopening.reopened_by_id == org.officer_root.id
    )
    # Now the branch may change the result, and must say why; the audit log keeps who and why.
    rating = rating_of(grading_round, org.member)
    lines = [
        services.MeetingLine(
            r.id,
            True,
            "",
            1,
            1,
            level(grading_round.framework, Tier.EXCELLENT if r.id == rating.id else Tier.GOOD).id,
            None,
        )
        for r in grading_round.ratings
    ]
    with pytest.raises(services.GradingError) as error:
        services.record_meeting(
            org.secretary,
            grading_round,
            today_local(),
            "",
            "A",
            "B",
            "",
            lines,
            "",
            None,
            go_ahead=go_ahead(grading_round, "meeting"),
        )
    assert error.value.field == "change_reason"
    db.session.rollback()
    grading_round = services.get_round(org.branch, this_year())
    services.record_meeting(
        org.secretary,
        grading_round,
        today_local(),
        "",
        "A",
        "B",
        "",
        lines,
        "Xét lại theo ý kiến cấp trên",
        None,
        go_ahead=go_ahead(grading_round, "meeting"),
    )
    db.session.commit()
    row = db.session.scalar(
        select(AuditLog).where(
            AuditLog.action == "rating.final", AuditLog.reason == "Xét lại theo ý kiến cấp trên"
        )
    )
    assert row is not None and row.actor_id == org.secretary.id and row.subject_user_id == org.member.id
    assert "Hoàn thành xuất sắc" in row.after and "Hoàn thành tốt" in row.before


@pytest.mark.clock
def test_the_member_answers_within_the_deadline_only(org):
    grading_round = _ratified(org)
    rating = rating_of(grading_round, org.member)
    with pytest.raises(services.GradingError) as error:
        services.request_reconsideration(org.member, rating, "ngắn")
    assert error.value.field == "reason"
    assert not services.can_answer_result(org.member2, rating)  # someone else's result
    late = services.reconsider_deadline(grading_round) + timedelta(days=1)
    assert not services.can_answer_result(org.member, rating, today=late)
    services.request_reconsideration(
        org.member, rating, "Em tham gia đủ 100% hoạt động, đề nghị xem xét lại."
    )
    db.session.commit()
    with pytest.raises(services.GradingError):
        services.acknowledge(org.member, rating)  # answered once
    db.session.rollback()
    # The year cannot close while a request waits; the unit above answers it.
    with pytest.raises(services.GradingError):
        services.close_year(org.secretary, org.branch, this_year())
    db.session.rollback()
    with pytest.raises(services.GradingError):
        services.answer_reconsideration(org.secretary, rating, "Giữ nguyên")
    db.session.rollback()
    services.answer_reconsideration(org.officer_root, rating, "Giữ nguyên kết quả vì tỷ lệ tham gia 85%.")
    db.session.commit()
    assert rating.reconsideration_answered_by_id == org.officer_root.id


def test_two_tabs_saving_a_proposal_get_a_clear_conflict(org):
    grading_round = open_round(org.branch, org.secretary)
    rating = rating_of(grading_round, org.member)
    framework = grading_round.framework
    opened_at = rating.lock_version
    services.save_proposal(
        org.secretary, rating, level(framework, Tier.GOOD).id, "Tab một", {}, {}, {}, opened_at
    )
    db.session.commit()
    with pytest.raises(services.StaleRating) as error:
        services.save_proposal(
            org.deputy, rating, level(framework, Tier.EXCELLENT).id, "Tab hai", {}, {}, {}, opened_at
        )
    assert "vừa được người khác thay đổi" in error.value.message
    db.session.rollback()
    assert db.session.get(Rating, rating.id).proposal_comment == "Tab một"


def test_a_proposal_page_left_open_while_another_saved_says_so_and_keeps_the_text(org, client, login):
    grading_round = open_round(org.branch, org.secretary)
    rating = rating_of(grading_round, org.member)
    framework = grading_round.framework
    db.session.commit()
    login("bithu")
    propose = f"/grading/{org.branch.id}/{this_year()}/members/{org.member.id}/propose"
    page = client.get(propose).get_data(as_text=True)
    shown = re.search(r'name="lock_version" type="hidden" value="(\d+)"', page).group(1)
    assert page.count('name="lock_version"') == 1  # the version the page was drawn from, once
    # The other tab saves first.
    services.save_proposal(org.deputy, rating, level(framework, Tier.GOOD).id, "Tab một", {}, {}, {}, None)
    db.session.commit()
    response = client.post(
        propose,
        data={
            "csrf_token": csrf(client, propose),
            "lock_version": shown,
            "level_id": level(framework, Tier.EXCELLENT).id,
            "comment": "Nhận xét của tab hai",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "vừa được người khác thay đổi" in body and "Nhận xét của tab hai" in body and "Tab một" in body
    db.session.expire_all()
    assert db.session.get(Rating, rating.id).proposal_comment == "Tab một"


# ---- quota and figures in Vietnamese ---------------------------------------------------------------


@pytest.mark.parametrize(
    "part, whole, text",
    [
        (855, 1000, "85,5%"),
        (132, 1000, "13,2%"),
        (13, 1000, "1,3%"),
        (1, 3, "33,3%"),
        (2, 3, "66,7%"),
        (1, 8, "12,5%"),
        (1, 1, "100%"),
        (0, 5, "0%"),
        (0, 0, "0%"),
        (1, 16, "6,3%"),
    ],
)
def test_percentages_are_written_the_vietnamese_way(part, whole, text):
    assert format_percent(part, whole) == text


def test_quota_warning_names_the_rule_and_changes_nothing(org, make_user):
    secretary = make_user("bithucb", org.party_cell, Role.SECRETARY)
    members = [make_user(f"dv{i}", org.party_cell, Role.MEMBER) for i in range(6)]
    grading_round = open_round(org.party_cell, secretary)
    framework = grading_round.framework
    tiers = {members[0].id: Tier.EXCELLENT, members[1].id: Tier.EXCELLENT}
    for r in grading_round.ratings:
        r.proposed_level = level(framework, tiers.get(r.user_id, Tier.GOOD))
    db.session.commit()
    # 2 excellent > 20% of 5 good (1 person): warned, in Vietnamese numbers.
    warnings = services.quota_warnings(grading_round, "proposed")
    assert len(warnings) == 1
    assert "Hoàn thành xuất sắc nhiệm vụ”: 2 người, vượt tỷ lệ tối đa 20%" in warnings[0]
    assert "không quá 1,0 người" in warnings[0]
    assert sum(1 for r in grading_round.ratings if r.proposed_level.tier == Tier.EXCELLENT) == 2  # unchanged
    rating_of(grading_round, members[1]).proposed_level = level(framework, Tier.GOOD)
    db.session.commit()
    assert services.quota_warnings(grading_round, "proposed") == []


def test_statistics_over_a_subtree_match_a_count_by_hand(org, make_user):
    # Branch A: 2 excellent, 1 good (ratified). Branch B: 1 completed (ratified). Sibling: not ratified.
    for i in range(1):
        make_user(f"a{i}", org.branch, Role.MEMBER)
    round_a = open_round(org.branch, org.secretary)
    finish_meeting(round_a, org.secretary, {org.member.id: Tier.EXCELLENT, org.member2.id: Tier.EXCELLENT})
    services.submit_round(org.secretary, round_a, go_ahead(round_a, "submit"))
    services.ratify_round(org.officer_root, round_a, go_ahead=go_ahead(round_a, "ratify"))
    round_b = open_round(org.branch_other, org.secretary_other)
    finish_meeting(round_b, org.secretary_other, {r.user_id: Tier.COMPLETED for r in round_b.ratings})
    services.submit_round(org.secretary_other, round_b, go_ahead(round_b, "submit"))
    services.ratify_round(org.officer_root, round_b, go_ahead=go_ahead(round_b, "ratify"))
    db.session.commit()
    stats = services.statistics(org.root, this_year())
    by_hand: dict[Tier, int] = {}
    for grading_round in (round_a, round_b):
        for r in grading_round.ratings:
            by_hand[Tier(r.final_level.tier)] = by_hand.get(Tier(r.final_level.tier), 0) + 1
    total = sum(by_hand.values())
    assert stats.rated == total == len(round_a.ratings) + len(round_b.ratings)
    for t in stats.tiers:
        assert t.count == by_hand.get(t.tier, 0)
        assert t.share == format_percent(by_hand.get(t.tier, 0), total)
    children = {child.id: (n, counts) for child, n, counts in stats.by_child}
    assert children[org.grassroots.id][0] == len(round_a.ratings)
    assert children[org.grassroots_other.id][0] == len(round_b.ratings)
    assert stats.rounds_ratified == 2


def test_statistics_page_shows_shares_and_is_for_officers(org, client, login):
    _ratified(org)
    login("canbo")
    html = client.get(f"/grading/stats/{org.root.id}?year={this_year()}").get_data(as_text=True)
    n = len(services.get_round(org.branch, this_year()).ratings)
    assert f"{n} <span" in html or f">{n}<" in html
    assert "100%" in html and "Hoàn thành tốt nhiệm vụ" in html
    client.post("/logout", data={"csrf_token": csrf(client, "/")})
    login("doanvien")
    assert client.get(f"/grading/stats/{org.branch.id}?year={this_year()}").status_code == 403


# ---- closing the year ------------------------------------------------------------------------------


@pytest.mark.clock
def test_closing_the_year_freezes_it_and_prepares_the_next(org):
    from app.journal import services as journal
    from app.plans import services as plans

    entries = diary(org.member, org.branch, org.secretary)
    standard = Standard(
        unit_id=org.branch.id, year=this_year(), group=ContentGroup.DUTIES, title="Chuẩn mực của chi"
    )
    db.session.add(standard)
    db.session.commit()
    with pytest.raises(services.GradingError):
        services.close_year(org.secretary, org.branch, this_year())  # not ratified yet
    db.session.rollback()
    _ratified(org)
    with pytest.raises(services.GradingError):
        services.close_year(org.member, org.branch, this_year())
    db.session.rollback()
    services.close_year(org.secretary, org.branch, this_year())
    db.session.commit()
    # Nothing of the year changes any more.
    assert not journal.can_edit_entry(org.member, entries[0])
    with pytest.raises(LockedError) as error:
        journal.check_deed_date(
            org.member, org.branch, date(this_year(), 1, 5), today=date(this_year(), 1, 20)
        )
    assert "đã khóa sổ" in str(error.value)
    plan = plans.plan_in_force(org.member, org.branch, this_year())
    assert not plans.can_revise_plan(org.member, plan)
    # The branch's own standards go on into next year.
    carried = db.session.scalars(
        select(Standard).where(Standard.unit_id == org.branch.id, Standard.year == this_year() + 1)
    ).all()
    assert [s.title for s in carried if s.title == "Chuẩn mực của chi"] == ["Chuẩn mực của chi"]
    with pytest.raises(LockedError):
        services.close_year(org.secretary, org.branch, this_year())


@pytest.mark.clock
def test_next_years_plan_starts_from_last_years(org):
    from app.plans import services as plans

    diary(org.member, org.branch, org.secretary, entries=0)
    if this_year() + 1 not in plans.plan_years():
        pytest.skip("next year is not open for plans today")
    plan = plans.start_plan_from_previous(org.member, org.member, org.branch, this_year() + 1)
    db.session.commit()
    assert plan.status is PlanStatus.DRAFT and plan.year == this_year() + 1
    assert [c.action for c in plan.commitments] == ["Giúp đồng nghiệp số hóa hồ sơ"]


# ---- who may see what ---------------------------------------------------------------------------------


def test_sheets_and_self_assessments_are_scoped(org, client, login):
    open_round(org.branch, org.secretary)
    login("doanvien")
    assert client.get(f"/grading/{org.branch.id}/{this_year()}").status_code == 403
    assert client.get(f"/grading/{org.branch_other.id}/{this_year()}/me").status_code == 404
    assert (
        client.get(f"/grading/{org.branch.id}/{this_year()}/members/{org.member2.id}/propose").status_code
        == 403
    )
    client.post("/logout", data={"csrf_token": csrf(client, "/")})
    login("bithub")
    assert client.get(f"/grading/{org.branch.id}/{this_year()}").status_code == 404
    assert db.session.scalar(select(func.count(Citation.id))) == 0


def test_grading_pages_exist_for_a_grassroots_unit_only_as_statistics(org, client, login):
    login("canbo")
    assert client.get(f"/grading/{org.grassroots.id}/{this_year()}").status_code == 404
    assert client.get(f"/grading/stats/{org.grassroots.id}").status_code == 200
    assert org.grassroots.kind is UnitKind.GRASSROOTS_UNION


def test_the_audit_log_says_rating_changes_in_vietnamese(org, client, login):
    from app.audit.services import describe

    grading_round = _ratified(org)
    row = db.session.scalar(
        select(AuditLog).where(AuditLog.action == "rating.final", AuditLog.subject_user_id == org.member.id)
    )
    item = describe(row)
    assert item.text == f"ghi kết quả họp xét phân loại năm {this_year()}"
    assert [(c.label, c.after) for c in item.changes] == [("Mức xếp loại", "Hoàn thành tốt nhiệm vụ")]
    login("doanvien")
    html = client.get("/audit/me").get_data(as_text=True)
    assert (
        f"công nhận kết quả xếp loại năm {this_year()}" not in html
    )  # the round's rows are about the branch
    assert f"ghi kết quả họp xét phân loại năm {this_year()}" in html
    assert grading_round.status is RoundStatus.RATIFIED


def test_quarterly_ratings_on_the_party_scale(org, client, login, make_user):
    secretary = make_user("bithucb2", org.party_cell, Role.SECRETARY)
    member = make_user("dangvien2", org.party_cell, Role.MEMBER, full_name="Thạch Thị Quý")
    grading_round = open_round(org.party_cell, secretary)
    good = level(grading_round.framework, Tier.GOOD)
    login("bithucb2")
    url = f"/grading/{org.party_cell.id}/{this_year()}/quarters/2"
    assert "Thạch Thị Quý" in client.get(url).get_data(as_text=True)
    response = client.post(
        url,
        data={
            "csrf_token": csrf(client, url),
            f"q-{member.id}": good.id,
            f"note-{member.id}": "Hoàn thành tốt nhiệm vụ quý",
        },
    )
    assert response.status_code == 302
    saved = services.quarter_ratings(org.party_cell, this_year(), 2)
    assert saved[member.id].level_id == good.id and saved[member.id].comment == "Hoàn thành tốt nhiệm vụ quý"
    assert secretary.id not in saved  # nobody rates themselves
    assert client.get(f"/grading/{org.party_cell.id}/{this_year()}/quarters/5").status_code == 404


def test_the_members_own_data_download_holds_their_result(org, client, login):
    import json

    _ratified(org)
    login("doanvien")
    data = json.loads(client.get("/me/data/download").get_data(as_text=True))
    (mine,) = [r for r in data["ratings"] if r.get("result")]
    assert mine["year"] == this_year() and mine["result"]["level"] == "Hoàn thành tốt nhiệm vụ"
    assert mine["result"]["ratified_by"] == org.officer_root.full_name
    assert len(data["ratings"]) == 1  # nobody else's result


def test_the_upper_dashboard_shows_the_ratified_distribution(org, client, login):
    from app.reports import services as reports

    grading_round = open_round(org.branch, org.secretary)
    finish_meeting(grading_round, org.secretary, {org.member.id: Tier.EXCELLENT})
    services.submit_round(org.secretary, grading_round, go_ahead(grading_round, "submit"))
    db.session.commit()
    period = reports.parse_period(str(this_year()), "year")
    assert reports.build_report(org.root, period).ratings == []  # not ratified yet
    services.ratify_round(org.officer_root, grading_round, go_ahead=go_ahead(grading_round, "ratify"))
    db.session.commit()
    report = reports.build_report(org.root, period)
    total = len(grading_round.ratings)
    assert [(r.label, r.count) for r in report.ratings] == [
        ("Hoàn thành xuất sắc nhiệm vụ", 1),
        ("Hoàn thành tốt nhiệm vụ", total - 1),
    ]
    login("canbo")
    html = client.get(f"/units/{org.root.id}/reports?year={this_year()}").get_data(as_text=True)
    assert "Chưa có kết quả xếp loại" not in html and "Hoàn thành xuất sắc nhiệm vụ" in html


def test_the_unit_above_is_told_of_a_submission_and_members_of_the_ratification(org):
    from app.notifications.models import Notification

    def titles(user):
        return [
            n.title for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id))
        ]

    grading_round = open_round(org.branch, org.secretary)
    finish_meeting(grading_round, org.secretary)
    services.submit_round(org.secretary, grading_round, go_ahead(grading_round, "submit"))
    db.session.commit()
    assert any("gửi kết quả xếp loại" in t for t in titles(org.officer_root))
    assert titles(org.officer_sibling) == []  # an officer of another Đoàn cơ sở is not told
    services.ratify_round(org.officer_root, grading_round, go_ahead=go_ahead(grading_round, "ratify"))
    db.session.commit()
    assert any("đã được công nhận: Hoàn thành tốt nhiệm vụ" in t for t in titles(org.member))


def test_the_grading_sheet_lists_members_by_given_name_in_vietnamese_order(org, client, login, make_user):
    """Not by family name: Duyên (D) before Đạt (Đ), Lan, then the newcomers by given name."""
    from app.core.enums import Role

    make_user("an", org.branch, Role.MEMBER, full_name="Trương Văn An", password=None)
    make_user("uyen", org.branch, Role.MEMBER, full_name="Âu Thị Uyên", password=None)
    grading_round = open_round(org.branch, org.secretary)
    db.session.commit()
    expected = [
        "Trương Văn An",
        "Trần Quốc Bảo",
        "Nguyễn Thị Mỹ Duyên",
        "Đặng Văn Đạt",
        "Võ Thị Lan",
        "Âu Thị Uyên",
    ]
    listed = [r.user.full_name for r in services.ratings_of(grading_round)]
    assert listed == expected
    login("bithu")
    page = client.get(f"/grading/{org.branch.id}/{grading_round.year}").get_data(as_text=True)
    table = page[page.index("<table") :]  # (the secretary's own name is in the menu too)
    assert sorted(expected, key=table.index) == expected


def test_the_grading_home_names_the_secretarys_units_in_plain_words(org, client, login):
    login("bithu")
    page = client.get("/grading/").get_data(as_text=True)
    assert "Đơn vị tôi phụ trách" in page and "Chi tôi phụ trách" not in page
    assert org.branch.name in page
