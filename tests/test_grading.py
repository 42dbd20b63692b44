"""Year-end grading: frameworks, self-assessment with evidence, proposals, quota, meeting, minutes,
ratification and its lock, the member's answer, closing the year, statistics in Vietnamese format."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditLog
from app.core.db import db, utcnow
from app.core.enums import ContentGroup, EntryStatus, Frequency, PlanStatus, Role, RoundStatus, Tier, UnitKind
from app.core.filters import today_local
from app.grading import catalogue, services
from app.grading.models import Citation, Framework, Rating, RoundReopening
from app.journal.models import Entry
from app.plans.models import Commitment, Plan
from app.standards.models import Standard

YEAR = today_local().year


# ---- helpers ------------------------------------------------------------------------------------


def diary(owner, unit, approver, entries=3, group=ContentGroup.ETHICS):
    """An approved plan with one commitment and `entries` submitted entries this year."""
    standard = Standard(unit_id=unit.id, year=YEAR, group=group, title=f"Chuẩn mực {owner.username}")
    plan = Plan(
        user_id=owner.id,
        unit_id=unit.id,
        year=YEAR,
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
            deed_date=date(YEAR, 1 + i, 5),
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
    grading_round = services.open_round(actor, unit, YEAR, framework)
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


def finish_meeting(grading_round, actor, tiers: dict[int, Tier] | None = None):
    framework = grading_round.framework
    lines = []
    for r in grading_round.ratings:
        tier = (tiers or {}).get(r.user_id, Tier.GOOD)
        n = len(grading_round.ratings)
        lines.append(services.MeetingLine(r.id, True, "", n, n, level(framework, tier).id, None))
    services.record_meeting(
        actor, grading_round, today_local(), "Hội trường", actor.full_name, "Thư ký", "", lines, "", None
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


# ---- the round, end to end over HTTP ----------------------------------------------------------------


def test_a_whole_youth_union_round_over_http(org, client, login):
    entries = diary(org.member, org.branch, org.secretary)
    other = diary(org.member_other, org.branch_other, org.secretary_other, entries=1)
    diary(org.member2, org.branch, org.secretary, entries=1)

    # The secretary opens the round.
    login("bithu")
    sheet = f"/grading/{org.branch.id}/{YEAR}"
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
    me = f"/grading/{org.branch.id}/{YEAR}/me"
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
    grading_round = services.get_round(org.branch, YEAR)
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

    # The meeting: attendance, votes, the agreed level; the minutes follow.
    meeting = f"{sheet}/meeting"
    data = {
        "csrf_token": csrf(client, meeting),
        "lock_version": grading_round.lock_version,
        "meeting_date": today_local().strftime("%d/%m/%Y"),
        "meeting_place": "Phòng họp tầng 2",
        "chair_name": "Trần Quốc Bảo",
        "recorder_name": "Võ Thị Lan",
        "meeting_notes": "Thống nhất cao.",
    }
    for r in grading_round.ratings:
        data[f"present-{r.id}"] = "1"
        data[f"agree-{r.id}"] = "3"
        data[f"total-{r.id}"] = "4"
        data[f"level-{r.id}"] = str(excellent.id if r.user_id == org.member.id else good.id)
    response = client.post(meeting, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    minutes = client.get(f"{sheet}/minutes").get_data(as_text=True)
    assert "BIÊN BẢN" in minutes and "Nguyễn Thị Mỹ Duyên" in minutes and "Phòng họp tầng 2" in minutes
    d = today_local()
    assert f"ngày {d.day:02d} tháng {d.month}" in minutes or f"ngày {d.day} tháng {d.month}" in minutes
    assert "ĐOÀN TNCS HỒ CHÍ MINH" in minutes
    response = client.post(f"{sheet}/submit", data={"csrf_token": csrf(client, sheet)})
    assert response.status_code == 302
    # The secretary cannot ratify their own branch's result.
    assert client.post(f"{sheet}/ratify", data={"csrf_token": csrf(client, sheet)}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf(client, "/")})

    # The unit above ratifies.
    login("canbo")
    assert f"/grading/{org.branch.id}/{YEAR}" in client.get("/grading/").get_data(as_text=True)
    response = client.post(
        f"{sheet}/ratify",
        data={
            "csrf_token": csrf(client, sheet),
            "lock_version": services.get_round(org.branch, YEAR).lock_version,
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert services.get_round(org.branch, YEAR).status is RoundStatus.RATIFIED
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
        secretary, grading_round, today_local(), "", "Chủ trì", "Thư ký", "", lines, "", None
    )
    assert rating.final_score == Decimal("85.5") and rating.final_level.tier == Tier.GOOD
    services.submit_round(secretary, grading_round)
    services.ratify_round(officer, grading_round)
    db.session.commit()
    assert grading_round.status is RoundStatus.RATIFIED


# ---- the lock after ratification ----------------------------------------------------------------


def _ratified(org):
    grading_round = open_round(org.branch, org.secretary)
    finish_meeting(grading_round, org.secretary)
    services.submit_round(org.secretary, grading_round)
    services.ratify_round(org.officer_root, grading_round)
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
        lambda: services.submit_round(actor, grading_round),
    ]
    for attempt in attempts:
        with pytest.raises(services.GradingError):
            attempt()
        db.session.rollback()
    db.session.expire_all()
    assert rating_of(services.get_round(org.branch, YEAR), org.member).final_level.tier == Tier.GOOD


def test_only_the_recorded_reopening_unlocks_a_ratified_round(org, client, login):
    grading_round = _ratified(org)
    # Over HTTP the secretary's meeting post is refused with a message, and nothing changes.
    login("bithu")
    sheet = f"/grading/{org.branch.id}/{YEAR}"
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
    assert response.status_code == 422 and "đã được cấp trên công nhận" in response.get_data(as_text=True)
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
    grading_round = services.get_round(org.branch, YEAR)
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
            org.secretary, grading_round, today_local(), "", "A", "B", "", lines, "", None
        )
    assert error.value.field == "change_reason"
    db.session.rollback()
    grading_round = services.get_round(org.branch, YEAR)
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
    )
    db.session.commit()
    row = db.session.scalar(
        select(AuditLog).where(
            AuditLog.action == "rating.final", AuditLog.reason == "Xét lại theo ý kiến cấp trên"
        )
    )
    assert row is not None and row.actor_id == org.secretary.id and row.subject_user_id == org.member.id
    assert "Hoàn thành xuất sắc" in row.after and "Hoàn thành tốt" in row.before


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
        services.close_year(org.secretary, org.branch, YEAR)
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
    assert services.percent(part, whole) == text


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
    services.submit_round(org.secretary, round_a)
    services.ratify_round(org.officer_root, round_a)
    round_b = open_round(org.branch_other, org.secretary_other)
    finish_meeting(round_b, org.secretary_other, {r.user_id: Tier.COMPLETED for r in round_b.ratings})
    services.submit_round(org.secretary_other, round_b)
    services.ratify_round(org.officer_root, round_b)
    db.session.commit()
    stats = services.statistics(org.root, YEAR)
    by_hand: dict[Tier, int] = {}
    for grading_round in (round_a, round_b):
        for r in grading_round.ratings:
            by_hand[Tier(r.final_level.tier)] = by_hand.get(Tier(r.final_level.tier), 0) + 1
    total = sum(by_hand.values())
    assert stats.rated == total == len(round_a.ratings) + len(round_b.ratings)
    for t in stats.tiers:
        assert t.count == by_hand.get(t.tier, 0)
        assert t.share == services.percent(by_hand.get(t.tier, 0), total)
    children = {child.id: (n, counts) for child, n, counts in stats.by_child}
    assert children[org.grassroots.id][0] == len(round_a.ratings)
    assert children[org.grassroots_other.id][0] == len(round_b.ratings)
    assert stats.rounds_ratified == 2


def test_statistics_page_shows_shares_and_is_for_officers(org, client, login):
    _ratified(org)
    login("canbo")
    html = client.get(f"/grading/stats/{org.root.id}?year={YEAR}").get_data(as_text=True)
    n = len(services.get_round(org.branch, YEAR).ratings)
    assert f"{n} <span" in html or f">{n}<" in html
    assert "100%" in html and "Hoàn thành tốt nhiệm vụ" in html
    client.post("/logout", data={"csrf_token": csrf(client, "/")})
    login("doanvien")
    assert client.get(f"/grading/stats/{org.branch.id}?year={YEAR}").status_code == 403


# ---- closing the year ------------------------------------------------------------------------------


def test_closing_the_year_freezes_it_and_prepares_the_next(org):
    from app.journal import services as journal
    from app.plans import services as plans

    entries = diary(org.member, org.branch, org.secretary)
    standard = Standard(
        unit_id=org.branch.id, year=YEAR, group=ContentGroup.DUTIES, title="Chuẩn mực của chi"
    )
    db.session.add(standard)
    db.session.commit()
    with pytest.raises(services.GradingError):
        services.close_year(org.secretary, org.branch, YEAR)  # not ratified yet
    db.session.rollback()
    _ratified(org)
    with pytest.raises(services.GradingError):
        services.close_year(org.member, org.branch, YEAR)
    db.session.rollback()
    services.close_year(org.secretary, org.branch, YEAR)
    db.session.commit()
    # Nothing of the year changes any more.
    assert not journal.can_edit_entry(org.member, entries[0])
    with pytest.raises(journal.JournalError) as error:
        journal.check_deed_date(org.member, org.branch, date(YEAR, 1, 5), today=date(YEAR, 1, 20))
    assert "đã khóa sổ" in str(error.value)
    plan = plans.plan_in_force(org.member, org.branch, YEAR)
    assert not plans.can_revise_plan(org.member, plan)
    # The branch's own standards go on into next year.
    carried = db.session.scalars(
        select(Standard).where(Standard.unit_id == org.branch.id, Standard.year == YEAR + 1)
    ).all()
    assert [s.title for s in carried if s.title == "Chuẩn mực của chi"] == ["Chuẩn mực của chi"]
    with pytest.raises(services.GradingError):
        services.close_year(org.secretary, org.branch, YEAR)


def test_next_years_plan_starts_from_last_years(org):
    from app.plans import services as plans

    diary(org.member, org.branch, org.secretary, entries=0)
    if YEAR + 1 not in plans.plan_years():
        pytest.skip("next year is not open for plans today")
    plan = plans.start_plan_from_previous(org.member, org.member, org.branch, YEAR + 1)
    db.session.commit()
    assert plan.status is PlanStatus.DRAFT and plan.year == YEAR + 1
    assert [c.action for c in plan.commitments] == ["Giúp đồng nghiệp số hóa hồ sơ"]


# ---- who may see what ---------------------------------------------------------------------------------


def test_sheets_and_self_assessments_are_scoped(org, client, login):
    open_round(org.branch, org.secretary)
    login("doanvien")
    assert client.get(f"/grading/{org.branch.id}/{YEAR}").status_code == 403
    assert client.get(f"/grading/{org.branch_other.id}/{YEAR}/me").status_code == 404
    assert client.get(f"/grading/{org.branch.id}/{YEAR}/members/{org.member2.id}/propose").status_code == 403
    client.post("/logout", data={"csrf_token": csrf(client, "/")})
    login("bithub")
    assert client.get(f"/grading/{org.branch.id}/{YEAR}").status_code == 404
    assert db.session.scalar(select(func.count(Citation.id))) == 0


def test_grading_pages_exist_for_a_grassroots_unit_only_as_statistics(org, client, login):
    login("canbo")
    assert client.get(f"/grading/{org.grassroots.id}/{YEAR}").status_code == 404
    assert client.get(f"/grading/stats/{org.grassroots.id}").status_code == 200
    assert org.grassroots.kind is UnitKind.GRASSROOTS_UNION


def test_the_audit_log_says_rating_changes_in_vietnamese(org, client, login):
    from app.audit.services import describe

    grading_round = _ratified(org)
    row = db.session.scalar(
        select(AuditLog).where(AuditLog.action == "rating.final", AuditLog.subject_user_id == org.member.id)
    )
    item = describe(row)
    assert item.text == f"ghi kết quả họp xét phân loại năm {YEAR}"
    assert [(c.label, c.after) for c in item.changes] == [("Mức xếp loại", "Hoàn thành tốt nhiệm vụ")]
    login("doanvien")
    html = client.get("/audit/me").get_data(as_text=True)
    assert f"công nhận kết quả xếp loại năm {YEAR}" not in html  # the round's rows are about the branch
    assert f"ghi kết quả họp xét phân loại năm {YEAR}" in html
    assert grading_round.status is RoundStatus.RATIFIED


def test_quarterly_ratings_on_the_party_scale(org, client, login, make_user):
    secretary = make_user("bithucb2", org.party_cell, Role.SECRETARY)
    member = make_user("dangvien2", org.party_cell, Role.MEMBER, full_name="Thạch Thị Quý")
    grading_round = open_round(org.party_cell, secretary)
    good = level(grading_round.framework, Tier.GOOD)
    login("bithucb2")
    url = f"/grading/{org.party_cell.id}/{YEAR}/quarters/2"
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
    saved = services.quarter_ratings(org.party_cell, YEAR, 2)
    assert saved[member.id].level_id == good.id and saved[member.id].comment == "Hoàn thành tốt nhiệm vụ quý"
    assert secretary.id not in saved  # nobody rates themselves
    assert client.get(f"/grading/{org.party_cell.id}/{YEAR}/quarters/5").status_code == 404


def test_the_members_own_data_download_holds_their_result(org, client, login):
    import json

    _ratified(org)
    login("doanvien")
    data = json.loads(client.get("/me/data/download").get_data(as_text=True))
    (mine,) = [r for r in data["ratings"] if r.get("result")]
    assert mine["year"] == YEAR and mine["result"]["level"] == "Hoàn thành tốt nhiệm vụ"
    assert mine["result"]["ratified_by"] == org.officer_root.full_name
    assert len(data["ratings"]) == 1  # nobody else's result


def test_the_upper_dashboard_shows_the_ratified_distribution(org, client, login):
    from app.reports import services as reports

    grading_round = open_round(org.branch, org.secretary)
    finish_meeting(grading_round, org.secretary, {org.member.id: Tier.EXCELLENT})
    services.submit_round(org.secretary, grading_round)
    db.session.commit()
    period = reports.parse_period(str(YEAR), "year")
    assert reports.build_report(org.root, period).ratings == []  # not ratified yet
    services.ratify_round(org.officer_root, grading_round)
    db.session.commit()
    report = reports.build_report(org.root, period)
    total = len(grading_round.ratings)
    assert [(r.label, r.count) for r in report.ratings] == [
        ("Hoàn thành xuất sắc nhiệm vụ", 1),
        ("Hoàn thành tốt nhiệm vụ", total - 1),
    ]
    login("canbo")
    html = client.get(f"/units/{org.root.id}/reports?year={YEAR}").get_data(as_text=True)
    assert "Chưa có kết quả xếp loại" not in html and "Hoàn thành xuất sắc nhiệm vụ" in html


def test_the_unit_above_is_told_of_a_submission_and_members_of_the_ratification(org):
    from app.notifications.models import Notification

    def titles(user):
        return [
            n.title for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id))
        ]

    grading_round = open_round(org.branch, org.secretary)
    finish_meeting(grading_round, org.secretary)
    services.submit_round(org.secretary, grading_round)
    db.session.commit()
    assert any("gửi kết quả xếp loại" in t for t in titles(org.officer_root))
    assert titles(org.officer_sibling) == []  # an officer of another Đoàn cơ sở is not told
    services.ratify_round(org.officer_root, grading_round)
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
