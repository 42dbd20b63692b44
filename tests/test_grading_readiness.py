"""Grading without friction (issue 17): the readiness panel, going ahead with a recorded reason,
confirmation pages for irreversible acts, the meeting form that starts from the proposals, the
warning when a self-assessed level is out of line with the diary, the unit that ratified."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import select

from app.audit.models import AuditLog
from app.core.db import db
from app.core.enums import Role, RoundStatus, Tier
from app.core.filters import today_local
from app.grading import services
from app.grading.models import StepConfirmation
from tests.test_grading import (
    browser_form,
    csrf,
    diary,
    finish_meeting,
    go_ahead,
    level,
    open_round,
    rating_of,
    this_year,
)

STRENGTHS = {k: "Tốt" for k in ("politics", "ethics", "work_style", "discipline", "duties")}


def self_assess(member, grading_round, tier: Tier):
    rating = rating_of(grading_round, member)
    services.save_self_assessment(
        member, rating, STRENGTHS, level(grading_round.framework, tier).id, {}, {}, None, submit=True
    )
    db.session.commit()
    return rating


def propose(secretary, grading_round, member, tier: Tier):
    rating = rating_of(grading_round, member)
    services.save_proposal(
        secretary, rating, level(grading_round.framework, tier).id, "Có dẫn chứng", {}, {}, {}, None
    )
    db.session.commit()
    return rating


def complete_branch(org):
    """Branch A with everything in place for everyone: plans, entries, self-assessments, proposals."""
    people = [org.secretary, org.deputy, org.member, org.member2]
    for person in people:
        diary(person, org.branch, org.secretary, entries=4)
    grading_round = open_round(org.branch, org.secretary)
    for person in people:
        self_assess(person, grading_round, Tier.GOOD)
    for person in people:
        rating = rating_of(grading_round, person)
        reviewer = next(
            u for u in (org.secretary, org.deputy, org.officer_root) if services.can_propose(u, rating)
        )
        propose(reviewer, grading_round, person, Tier.GOOD)
    return grading_round


def lines_as_proposed(grading_round):
    """Everyone present, 4 of 4 in favour, the proposed level (else "Hoàn thành tốt")."""
    good = level(grading_round.framework, Tier.GOOD).id
    return [
        services.MeetingLine(r.id, True, "", 4, 4, r.proposed_level_id or good, None)
        for r in grading_round.ratings
    ]


def record(grading_round, actor, **kwargs):
    return services.record_meeting(
        actor,
        grading_round,
        today_local(),
        "Hội trường",
        actor.full_name,
        "Thư ký",
        "",
        lines_as_proposed(grading_round),
        "",
        None,
        **kwargs,
    )


# ---- the readiness panel ---------------------------------------------------------------------------


def test_readiness_names_who_has_no_self_assessment_proposal_plan_or_entries(org):
    diary(org.member, org.branch, org.secretary, entries=3)
    grading_round = open_round(org.branch, org.secretary)
    self_assess(org.member, grading_round, Tier.GOOD)
    propose(org.secretary, grading_round, org.member, Tier.GOOD)
    ready = services.readiness(grading_round)
    assert ready.step == "meeting" and ready.members == 4 and ready.missing
    gaps = {g.key: g.names for g in ready.gaps}
    others = sorted(["Trần Quốc Bảo", "Võ Thị Lan", "Đặng Văn Đạt"])
    for key in ("self", "proposal", "plan", "entries"):
        assert sorted(gaps[key]) == others, key
    assert "final" not in gaps  # the meeting has not been held: not missing yet
    assert ready.lines[0].startswith("Chưa gửi bản tự đánh giá (3): ")
    # After the meeting, submission also names who has no agreed level; nothing else changed.
    assert "final" in {g.key for g in services.readiness(grading_round, "submit").gaps}


def test_readiness_counts_quota_breaches_as_missing(org, make_user):
    secretary = make_user("bithucb", org.party_cell, Role.SECRETARY)
    members = [make_user(f"dv{i}", org.party_cell, Role.MEMBER) for i in range(4)]
    grading_round = open_round(org.party_cell, secretary)
    for r in grading_round.ratings:
        tier = Tier.EXCELLENT if r.user_id in (members[0].id, members[1].id) else Tier.GOOD
        r.proposed_level = level(grading_round.framework, tier)
    db.session.commit()
    ready = services.readiness(grading_round, "meeting")
    assert len(ready.quota) == 1 and "vượt tỷ lệ tối đa 20%" in ready.quota[0]
    assert any(line.startswith("Vượt tỷ lệ: ") for line in ready.lines)


def test_a_complete_branch_goes_through_without_any_confirmation(org):
    grading_round = complete_branch(org)
    ready = services.readiness(grading_round)
    assert not ready.missing and ready.token == ""
    record(grading_round, org.secretary)
    services.submit_round(org.secretary, grading_round)
    services.ratify_round(org.officer_root, grading_round)
    db.session.commit()
    assert grading_round.status is RoundStatus.RATIFIED
    assert db.session.scalars(select(StepConfirmation)).all() == []


# ---- going ahead anyway, with a recorded reason ---------------------------------------------------


def test_each_step_goes_ahead_only_with_a_confirmation_and_a_reason(org):
    grading_round = open_round(org.branch, org.secretary)
    # No confirmation: refused, naming what is missing, nothing recorded.
    with pytest.raises(services.GradingError) as error:
        record(grading_round, org.secretary)
    assert error.value.field == "go_ahead" and "4 chưa gửi bản tự đánh giá" in error.value.message
    db.session.rollback()
    # A confirmation given for another list (the page was stale): asked again.
    with pytest.raises(services.GradingError) as error:
        record(grading_round, org.secretary, go_ahead=services.GoAhead("Lý do", "0123456789abcdef"))
    assert error.value.field == "go_ahead" and "đã thay đổi từ lúc bạn xem" in error.value.message
    db.session.rollback()
    # The right list but no reason.
    token = services.readiness(grading_round, "meeting").token
    with pytest.raises(services.GradingError) as error:
        record(grading_round, org.secretary, go_ahead=services.GoAhead("  ", token))
    assert error.value.field == "go_ahead_reason"
    db.session.rollback()
    assert services.get_round(org.branch, this_year()).meeting_recorded_at is None
    # With both, the meeting is recorded and the confirmation kept with what was missing.
    grading_round = services.get_round(org.branch, this_year())
    record(grading_round, org.secretary, go_ahead=services.GoAhead("Chi đã họp, hồ sơ bổ sung sau", token))
    db.session.commit()
    (kept,) = services.confirmations(grading_round)
    assert kept.step == "meeting" and kept.reason == "Chi đã họp, hồ sơ bổ sung sau"
    assert kept.confirmed_by_id == org.secretary.id and "Chưa gửi bản tự đánh giá (4)" in kept.missing
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "round.go_ahead"))
    assert row.reason == "Chi đã họp, hồ sơ bổ sung sau" and row.actor_id == org.secretary.id
    # Submission and ratification ask again, each for itself.
    with pytest.raises(services.GradingError) as error:
        services.submit_round(org.secretary, grading_round)
    assert error.value.field == "go_ahead"
    db.session.rollback()
    grading_round = services.get_round(org.branch, this_year())
    services.submit_round(org.secretary, grading_round, go_ahead(grading_round, "submit"))
    db.session.commit()
    with pytest.raises(services.GradingError):
        services.ratify_round(org.officer_root, grading_round)
    db.session.rollback()
    grading_round = services.get_round(org.branch, this_year())
    services.ratify_round(org.officer_root, grading_round, go_ahead=go_ahead(grading_round, "ratify"))
    db.session.commit()
    assert [c.step for c in services.confirmations(grading_round)] == ["meeting", "submit", "ratify"]


def test_the_round_page_and_the_audit_log_show_the_confirmations(org, client, login):
    from app.audit.services import describe

    grading_round = open_round(org.branch, org.secretary)
    finish_meeting(grading_round, org.secretary)
    login("bithu")
    html = client.get(f"/grading/{org.branch.id}/{this_year()}").get_data(as_text=True)
    assert "Trước khi gửi cấp trên công nhận" in html and "Chưa có kế hoạch được duyệt: 4" in html
    assert "Các bước đã làm khi còn thiếu" in html
    assert "vẫn ghi kết quả họp xét, lý do: “Chi đã thống nhất, hồ sơ bổ sung sau”" in html
    assert "<li>Chưa gửi bản tự đánh giá (4): " in html
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "round.go_ahead"))
    item = describe(row)
    assert item.text == f"xác nhận vẫn ghi kết quả họp xét năm {this_year()} khi còn thiếu"
    assert "Chưa gửi bản tự đánh giá (4)" in item.changes[0].after


# ---- confirmation pages for irreversible acts --------------------------------------------------------


def test_irreversible_acts_confirm_on_their_own_page(org, client, login):
    grading_round = complete_branch(org)
    record(grading_round, org.secretary)
    db.session.commit()
    sheet = f"/grading/{org.branch.id}/{this_year()}"
    login("bithu")
    html = client.get(sheet).get_data(as_text=True)
    # The sheet links to the confirmation; it holds no form that submits straight away.
    assert f'href="{sheet}/confirm/submit"' in html and f'action="{sheet}/submit"' not in html
    page = client.get(f"{sheet}/confirm/submit")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Việc này không tự hoàn tác được." in text
    assert "<script>" not in text  # works without inline scripts (the CSP forbids them)
    assert "Đủ hồ sơ: cả 4 người" in text and "Xác nhận gửi cấp trên" in text
    assert client.get(f"{sheet}/confirm/ratify").status_code == 403
    assert client.get(f"{sheet}/confirm/nothing").status_code == 404
    response = client.post(f"{sheet}/submit", data=browser_form(text, "/submit"))
    assert response.status_code == 302
    client.post("/logout", data={"csrf_token": csrf(client, "/")})

    login("canbo")
    # Returning needs a reason, said next to the field; what was typed elsewhere stays.
    page = client.get(f"{sheet}/confirm/return").get_data(as_text=True)
    data = browser_form(page, "/return")
    response = client.post(f"{sheet}/return", data=data)
    assert response.status_code == 422 and "Vui lòng ghi lý do trả lại." in response.get_data(as_text=True)
    assert services.get_round(org.branch, this_year()).status is RoundStatus.SUBMITTED
    page = client.get(f"{sheet}/confirm/ratify").get_data(as_text=True)
    assert "Kết quả sẽ ghi là do <strong>Đoàn Khối các Cơ quan tỉnh</strong> công nhận." in page
    assert client.post(f"{sheet}/ratify", data=browser_form(page, "/ratify")).status_code == 302
    db.session.expire_all()
    assert services.get_round(org.branch, this_year()).status is RoundStatus.RATIFIED
    # Closing the year, too.
    page = client.get(f"{sheet}/confirm/close").get_data(as_text=True)
    assert "Khóa sổ năm" in page and "Xác nhận khóa sổ" in page
    assert client.post(f"{sheet}/close", data=browser_form(page, "/close")).status_code == 302
    assert services.year_closure(org.branch, this_year()) is not None


def test_the_ratifying_unit_is_the_officers_nearest_unit(org, make_user):
    grassroots_officer = make_user("canbocs", org.grassroots, Role.OFFICER, full_name="Lý Thị Mai")
    assert services.ratifying_unit_of(grassroots_officer, org.branch).id == org.grassroots.id
    assert services.ratifying_unit_of(org.officer_root, org.branch).id == org.root.id
    grading_round = open_round(org.branch, org.secretary)
    finish_meeting(grading_round, org.secretary)
    services.submit_round(org.secretary, grading_round, go_ahead(grading_round, "submit"))
    services.ratify_round(grassroots_officer, grading_round, go_ahead=go_ahead(grading_round, "ratify"))
    db.session.commit()
    assert services.ratified_by_unit(grading_round).name == "Đoàn cơ sở Sở Giáo dục"
    services.reopen_round(grassroots_officer, grading_round, "Xem xét lại")
    db.session.commit()
    assert grading_round.ratified_unit_id is None and services.ratified_by_unit(grading_round) is None


# ---- the meeting form -----------------------------------------------------------------------------


def _meeting_page(client, org):
    url = f"/grading/{org.branch.id}/{this_year()}/meeting"
    return url, client.get(url).get_data(as_text=True)


def test_the_meeting_form_starts_from_the_proposals_and_votes_once_for_all(org, client, login):
    grading_round = complete_branch(org)
    excellent = level(grading_round.framework, Tier.EXCELLENT)
    propose(org.secretary, grading_round, org.member, Tier.EXCELLENT)
    login("bithu")
    url, page = _meeting_page(client, org)
    data = browser_form(page, "minutes_number")
    rows = {data[k]: k.split("-")[1] for k in data if k.endswith("-rating_id")}
    mine, other = (
        rows[str(rating_of(grading_round, org.member).id)],
        rows[str(rating_of(grading_round, org.member2).id)],
    )
    assert data[f"lines-{mine}-level_id"] == str(excellent.id)  # agreed level = proposal
    assert all(data.get(f"lines-{i}-present") == "y" for i in rows.values())  # everyone present
    assert data["minutes_number"] == "01-BB/CĐ" and data["chair_name"] == "Trần Quốc Bảo"
    # The secretary touches only: recorder, hours, the common vote, one absentee, one own vote.
    data.update(
        {
            "recorder_name": "Võ Thị Lan",
            "meeting_start": "14:00",
            "meeting_end": "15:30",
            "all_votes_agree": "3",
            "all_votes_total": "3",
            f"lines-{other}-votes_agree": "2",
            f"lines-{other}-votes_total": "3",
        }
    )
    del data[f"lines-{other}-present"]
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    db.session.expire_all()
    grading_round = services.get_round(org.branch, this_year())
    by_user = {r.user_id: r for r in grading_round.ratings}
    assert by_user[org.member.id].final_level_id == excellent.id
    assert (by_user[org.member.id].votes_agree, by_user[org.member.id].votes_total) == (3, 3)
    assert (by_user[org.member2.id].votes_agree, by_user[org.member2.id].votes_total) == (2, 3)
    assert by_user[org.member2.id].present is False
    assert str(grading_round.meeting_start) == "14:00:00" and grading_round.minutes_number == "01-BB/CĐ"


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"meeting_start": "25:99"}, "meeting_start", "Giờ không hợp lệ: hãy ghi giờ:phút theo 24 giờ"),
        ({"meeting_start": "chiều"}, "meeting_start", "Giờ không hợp lệ"),
        (
            {"meeting_start": "16:00", "meeting_end": "15:00"},
            "meeting_end",
            "Giờ kết thúc phải sau giờ bắt đầu.",
        ),
        ({"meeting_end": ""}, "meeting_end", "Vui lòng ghi giờ kết thúc"),
        ({"minutes_number": ""}, "minutes_number", "Vui lòng ghi số biên bản"),
        (
            {"all_votes_agree": "5", "all_votes_total": "4"},
            "all_votes_total",
            "Số tán thành không được lớn hơn",
        ),
        ({"all_votes_agree": "3"}, "all_votes_total", "Ghi cả số tán thành và số biểu quyết"),
        ({"lines-0-votes_agree": "ba"}, "lines-0-votes_agree", "Vui lòng nhập một số nguyên."),
        ({"lines-0-level_id": ""}, "lines-0-level_id", "Vui lòng chọn mức đã thống nhất cho"),
        ({"lines-0-level_id": "999999"}, "lines-0-level_id", "Vui lòng chọn một mức trong danh sách."),
        ({"all_votes_agree": "9", "all_votes_total": "9"}, "lines-0-votes_total", "nhiều hơn số có mặt"),
    ],
)
def test_meeting_errors_are_in_vietnamese_next_to_the_field_and_keep_what_was_typed(
    org, client, login, change, field, message
):
    complete_branch(org)
    login("bithu")
    url, page = _meeting_page(client, org)
    data = browser_form(page, "minutes_number")
    data.update({"recorder_name": "Thư ký Lưu Ý", "meeting_start": "14:00", "meeting_end": "15:00"})
    data.update(change)
    response = client.post(url, data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    found = body.split(f'id="{field}-error"', 1)
    assert len(found) == 2 and message in found[1][:300], body[-3000:]
    assert 'value="Thư ký Lưu Ý"' in body
    assert services.get_round(org.branch, this_year()).meeting_recorded_at is None


def test_a_member_who_joined_after_the_page_was_shown_gets_a_line(org, client, login, make_user):
    grading_round = complete_branch(org)
    login("bithu")
    url, page = _meeting_page(client, org)
    data = browser_form(page, "minutes_number")
    data.update({"recorder_name": "B", "meeting_start": "14:00", "meeting_end": "15:00"})
    make_user("moi", org.branch, Role.MEMBER, full_name="Phan Văn Mới")
    services.sync_members(grading_round)
    db.session.commit()
    response = client.post(url, data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Phan Văn Mới" in body
    assert "Vui lòng chọn mức đã thống nhất cho Phan Văn Mới" in body


# ---- the self-assessment out of line with the diary ----------------------------------------------


def test_excellent_with_no_entries_warns_the_member_and_the_secretary(org, client, login):
    grading_round = open_round(org.branch, org.secretary)
    self_assess(org.member, grading_round, Tier.EXCELLENT)
    warning = "Tự xếp loại “Hoàn thành xuất sắc nhiệm vụ” nhưng sổ nhật ký năm nay chưa có bài nào"
    login("doanvien")
    assert warning in client.get(f"/grading/{org.branch.id}/{this_year()}/me").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf(client, "/")})
    login("bithu")
    sheet = client.get(f"/grading/{org.branch.id}/{this_year()}").get_data(as_text=True)
    assert "Chưa tương xứng với sổ nhật ký" in sheet and warning in sheet  # the badge's title
    assert (
        'Tự xếp loại chưa tương xứng với sổ nhật ký: 1</strong> — <span class="small">Nguyễn Thị Mỹ Duyên'
        in sheet
    )
    page = client.get(f"/grading/{org.branch.id}/{this_year()}/members/{org.member.id}/propose")
    assert warning in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "tier, entries, months, warned",
    [
        (Tier.EXCELLENT, 0, 0, True),
        (Tier.EXCELLENT, 3, 3, True),
        (Tier.EXCELLENT, 10, 5, True),
        (Tier.EXCELLENT, 10, 6, False),
        (Tier.GOOD, 0, 0, True),
        (Tier.GOOD, 3, 2, False),
        (Tier.COMPLETED, 0, 0, False),
    ],
)
def test_the_diary_warning_rule(org, tier, entries, months, warned):
    framework = services.default_framework(org.branch)
    assert (services.diary_warning(level(framework, tier), entries, months) is not None) is warned


def test_a_full_diary_raises_no_warning(org, client, login):
    diary(org.member, org.branch, org.secretary, entries=10)
    grading_round = open_round(org.branch, org.secretary)
    self_assess(org.member, grading_round, Tier.EXCELLENT)
    login("doanvien")
    html = client.get(f"/grading/{org.branch.id}/{this_year()}/me").get_data(as_text=True)
    assert "diary-warning" not in html


# ---- wording ----------------------------------------------------------------------------------------


def test_the_proposal_page_links_to_the_members_diary_not_the_queue(org, client, login):
    open_round(org.branch, org.secretary)
    login("bithu")
    html = client.get(f"/grading/{org.branch.id}/{this_year()}/members/{org.member.id}/propose").get_data(
        as_text=True
    )
    assert "Sổ nhật ký của chi" not in html
    month = today_local().month
    href = f"/units/{org.branch.id}/review/{org.member.id}/{this_year()}/{month}"
    assert f'href="{href}">Sổ nhật ký của Nguyễn Thị Mỹ Duyên</a>' in html
    assert client.get(href).status_code == 200


def test_the_web_minutes_have_a_number_hours_and_plain_wording(org, client, login):
    grading_round = complete_branch(org)
    record(grading_round, org.secretary, minutes_number="03-BB/CĐ", start=time(8, 5), end=time(9, 40))
    db.session.commit()
    login("bithu")
    html = client.get(f"/grading/{org.branch.id}/{this_year()}/minutes").get_data(as_text=True)
    assert "Số: 03-BB/CĐ" in html and "vào lúc 08 giờ 05" in html and "kết thúc lúc 09 giờ 40" in html
    assert "theo Xếp loại" not in html and "Khung tiêu chí áp dụng:" in html


@pytest.mark.parametrize(
    "tamper",
    [
        {"lines-0-rating_id": "abc"},
        {"lines-0-rating_id": "999999"},
        {"lines-0-level_id": "None"},
        {"lines-0-level_id": "x" * 50},
        {"lines-0-votes_total": "9" * 40},
        {"lines-0-present": "\x00"},
        {"lines-700-rating_id": "1", "lines-700-level_id": "1"},
        {"meeting_start": "99999999999999999999:00"},
        {"gaps_token": "<script>"},
    ],
)
def test_a_tampered_meeting_post_never_answers_500(org, client, login, tamper):
    complete_branch(org)
    login("bithu")
    url, page = _meeting_page(client, org)
    data = browser_form(page, "minutes_number")
    data.update({"recorder_name": "B", "meeting_start": "14:00", "meeting_end": "15:00"})
    data.update(tamper)
    response = client.post(url, data=data)
    assert response.status_code in (302, 422), response.status_code
