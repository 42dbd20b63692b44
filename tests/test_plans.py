"""The personal plan: lifecycle, locking, versions, who approves, optimistic locking, the overview."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import event, select, update
from werkzeug.exceptions import Forbidden

from app.core.db import db
from app.core.enums import ContentGroup, Frequency, PlanStatus
from app.core.filters import today_local
from app.core.locks import LockedError
from app.plans import services
from app.plans.models import Commitment, Plan
from app.plans.services import CommitmentData, PlanError
from app.standards.models import Standard

STALE = "Kế hoạch đã được thay đổi ở nơi khác"


def html(response) -> str:
    return response.get_data(as_text=True)


@dataclass
class Standards:
    year: int
    ethics: Standard  # set by the Đoàn Khối, applies below
    duties: Standard  # the branch's own
    inactive: Standard
    other_year: Standard
    other_branch: Standard


@pytest.fixture
def std(org) -> Standards:
    year = today_local().year

    def make(unit, title, group=ContentGroup.ETHICS, y=year, active=True):
        s = Standard(unit_id=unit.id, year=y, group=group, title=title, is_active=active)
        db.session.add(s)
        return s

    result = Standards(
        year=year,
        ethics=make(org.root, "Cần – chăm chỉ, siêng năng"),
        duties=make(org.branch, "Chuyên môn tốt", ContentGroup.DUTIES),
        inactive=make(org.root, "Chuẩn mực đã ngừng", active=False),
        other_year=make(org.root, "Chuẩn mực năm khác", y=year - 1),
        other_branch=make(org.branch_other, "Chuẩn mực của chi đoàn khác"),
    )
    db.session.commit()
    return result


def items(std: Standards, n: int = 2, prefix: str = "Việc") -> list[CommitmentData]:
    """A breakthrough item and `n` commitments."""
    rows = [
        CommitmentData(
            action="Số hóa văn bản đến – đi",
            measure="100% văn bản đúng hạn",
            standard_id=std.duties.id,
            frequency=Frequency.MONTHLY,
            deadline=date(std.year, 11, 30),
            is_breakthrough=True,
        )
    ]
    for i in range(n):
        rows.append(
            CommitmentData(
                action=f"{prefix} {i + 1}: mỗi tuần tự học 2 giờ kỹ năng số",
                measure="Ghi nhật ký mỗi tuần",
                standard_id=std.ethics.id,
                frequency=Frequency.WEEKLY,
                deadline=date(std.year, 10, 31),
            )
        )
    return rows


def as_data(plan: Plan) -> list[CommitmentData]:
    return [
        CommitmentData(
            id=c.id,
            action=c.action,
            measure=c.measure,
            standard_id=c.standard_id,
            frequency=c.frequency,
            deadline=c.deadline,
            is_breakthrough=c.is_breakthrough,
        )
        for c in plan.commitments
    ]


def approved_plan(org, std, owner=None, unit=None) -> Plan:
    owner = owner or org.member
    unit = unit or org.branch
    plan = services.start_plan(owner, owner, unit, std.year)
    services.save_plan(owner, plan, "Còn để văn bản tồn đọng", items(std))
    services.submit_plan(owner, plan)
    reviewer = org.officer_root if owner is org.secretary else org.secretary
    services.approve_plan(plan, reviewer)
    db.session.commit()
    return plan


def form_data(std: Standards, *, lock_version, n: int = 2, op: str = "save", **overrides) -> dict:
    """The edit form as a browser posts it."""
    data = {
        "op": op,
        "lock_version": str(lock_version),
        "shortcomings": "Đôi lúc sắp xếp công việc chưa khoa học.",
        "breakthrough-commitment_id": "",
        "breakthrough-standard_id": str(std.duties.id),
        "breakthrough-action": "Số hóa toàn bộ văn bản đến – đi",
        "breakthrough-measure": "100% văn bản cập nhật đúng hạn",
        "breakthrough-frequency": "monthly",
        "breakthrough-deadline": f"{std.year}-11-30",
    }
    for i in range(n):
        data.update(
            {
                f"commitments-{i}-commitment_id": "",
                f"commitments-{i}-standard_id": str(std.ethics.id),
                f"commitments-{i}-action": f"Việc {i + 1}: tiết kiệm điện, giấy in",
                f"commitments-{i}-measure": "Giảm 20% giấy in",
                f"commitments-{i}-frequency": "weekly",
                f"commitments-{i}-deadline": f"{std.year}-12-31",
            }
        )
    data.update(overrides)
    return data


@pytest.fixture
def switch(client, login):
    def do(username: str):
        client.post("/logout")
        login(username)

    return do


# ---- services: the lifecycle ------------------------------------------------------------------


def test_lifecycle_draft_submit_return_edit_submit_approve(org, std):
    member, secretary = org.member, org.secretary
    plan = services.start_plan(member, member, org.branch, std.year)
    assert (plan.version, plan.status, plan.created_by_id) == (1, PlanStatus.DRAFT, member.id)
    assert services.missing_for_submit(plan)
    with pytest.raises(PlanError, match="chưa đủ để gửi duyệt"):
        services.submit_plan(member, plan)

    services.save_plan(member, plan, "  Còn để văn bản tồn đọng cuối tuần  ", items(std))
    assert plan.shortcomings == "Còn để văn bản tồn đọng cuối tuần"
    assert plan.breakthrough.action == "Số hóa văn bản đến – đi"
    assert [c.sort_order for c in plan.commitments] == [0, 1, 2]
    # A first version's commitments start their own lineage.
    assert all(c.lineage_id == c.id for c in plan.commitments)

    services.submit_plan(member, plan)
    assert plan.status is PlanStatus.SUBMITTED and plan.submitted_at is not None
    with pytest.raises(PlanError, match="đang chờ"):
        services.save_plan(member, plan, "x", items(std))
    with pytest.raises(PlanError, match="lý do"):
        services.return_plan(plan, secretary, "   ")
    services.return_plan(plan, secretary, "Việc 2 còn chung chung, cần nói rõ đo bằng gì.")
    assert plan.status is PlanStatus.RETURNED and plan.is_editable
    assert plan.decided_by_id == secretary.id

    lineages = {c.id: c.lineage_id for c in plan.commitments}
    data = as_data(plan)
    data[2].measure = "Hoàn thành 2 khóa học có chứng nhận"
    services.save_plan(member, plan, plan.shortcomings, data)
    assert {c.id: c.lineage_id for c in plan.commitments} == lineages  # edited in place
    services.submit_plan(member, plan)
    services.approve_plan(plan, secretary)
    db.session.commit()
    assert plan.status is PlanStatus.APPROVED and plan.decided_by.full_name == "Trần Quốc Bảo"
    assert services.plan_in_force(member, org.branch, std.year) == plan
    assert services.current_plan(member, org.branch, std.year) == plan


def test_an_approved_plan_is_locked(org, std):
    plan = approved_plan(org, std)
    with pytest.raises(LockedError, match="đã được duyệt nên đã khóa"):
        services.save_plan(org.member, plan, "Sửa lén", items(std))
    with pytest.raises(PlanError, match="đã được duyệt"):
        services.submit_plan(org.member, plan)
    with pytest.raises(PlanError, match="chờ duyệt"):
        services.approve_plan(plan, org.secretary)
    with pytest.raises(PlanError, match="chờ duyệt"):
        services.return_plan(plan, org.secretary, "Muộn rồi")
    db.session.rollback()
    assert db.session.get(Plan, plan.id).shortcomings == "Còn để văn bản tồn đọng"


def test_transitions_only_along_the_allowed_paths(org, std):
    plan = services.start_plan(org.member, org.member, org.branch, std.year)
    services.save_plan(org.member, plan, "Hạn chế", items(std))
    with pytest.raises(PlanError, match="Chỉ duyệt hoặc trả lại"):
        services.approve_plan(plan, org.secretary)
    with pytest.raises(PlanError, match="Chỉ duyệt hoặc trả lại"):
        services.return_plan(plan, org.secretary, "Lý do")
    with pytest.raises(PlanError, match="Chỉ điều chỉnh"):
        services.revise_plan(org.member, plan)
    with pytest.raises(PlanError, match="đã có kế hoạch"):
        services.start_plan(org.member, org.member, org.branch, std.year)
    with pytest.raises(PlanError, match="Chỉ lập được kế hoạch"):
        services.start_plan(org.member, org.member, org.branch, std.year - 5)


def test_content_rules_hold_for_direct_calls(org, std):
    plan = services.start_plan(org.member, org.member, org.branch, std.year)
    no_breakthrough = items(std)[1:]
    cases = [
        ("", items(std), "hạn chế"),
        ("Hạn chế", no_breakthrough, "đúng một nội dung đột phá"),
        ("Hạn chế", items(std, 0), "ít nhất 1 việc"),
        ("Hạn chế", items(std, 11), "Tối đa 10"),
    ]
    for shortcomings, data, message in cases:
        with pytest.raises(PlanError, match=message):
            services.save_plan(org.member, plan, shortcomings, data)
    for bad in ("other_year", "other_branch", "inactive"):
        data = items(std)
        data[1].standard_id = getattr(std, bad).id
        with pytest.raises(PlanError, match="chuẩn mực"):
            services.save_plan(org.member, plan, "Hạn chế", data)
    data = items(std)
    data[1].deadline = date(std.year + 1, 1, 1)
    with pytest.raises(PlanError, match=f"trong năm {std.year}"):
        services.save_plan(org.member, plan, "Hạn chế", data)


# ---- versions -------------------------------------------------------------------------------


def test_revising_makes_a_new_version_and_keeps_lineage(org, std):
    member, secretary = org.member, org.secretary
    v1 = approved_plan(org, std)
    v1_ids = [c.id for c in v1.commitments]

    v2 = services.revise_plan(member, v1)
    db.session.commit()
    assert (v2.version, v2.status, v2.shortcomings) == (2, PlanStatus.DRAFT, v1.shortcomings)
    assert [c.lineage_id for c in v2.commitments] == v1_ids
    assert {c.id for c in v2.commitments}.isdisjoint(v1_ids)
    assert services.current_plan(member, org.branch, std.year) == v2
    assert services.plan_in_force(member, org.branch, std.year) == v1  # still in force
    with pytest.raises(PlanError, match="Đã có phiên bản 2"):
        services.revise_plan(member, v1)  # one working version at a time

    # Change the breakthrough item, drop commitment 2, add a new one.
    data = as_data(v2)
    data[0].action = "Số hóa văn bản và hồ sơ lưu trữ"
    data = [
        data[0],
        data[1],
        CommitmentData(
            action="Hiến máu tình nguyện ít nhất 1 lần",
            measure="Giấy chứng nhận",
            standard_id=std.ethics.id,
            frequency=Frequency.ONCE,
            deadline=date(std.year, 9, 30),
        ),
    ]
    services.save_plan(member, v2, v2.shortcomings, data)
    new = v2.commitments[-1]
    assert new.lineage_id == new.id
    assert v2.commitments[0].lineage_id == v1_ids[0]

    diff = services.compare_versions(v1, v2)
    kinds = {(c.kind, c.commitment.action[:12]) for c in diff.visible_changes}
    assert kinds == {("changed", "Số hóa văn b"), ("added", "Hiến máu tìn"), ("removed", "Việc 2: mỗi ")}
    changed = next(c for c in diff.changes if c.kind == "changed")
    assert changed.fields == ["việc làm"]
    assert diff.unchanged_count == 1 and not diff.shortcomings_changed

    services.submit_plan(member, v2)
    services.approve_plan(v2, secretary)
    db.session.commit()
    assert v1.status is PlanStatus.SUPERSEDED and v2.status is PlanStatus.APPROVED
    assert services.plan_in_force(member, org.branch, std.year) == v2
    assert [v.version for v in services.plan_versions(v2)] == [1, 2]


def test_version_pages_show_history_and_changes(client, org, std, login):
    v1 = approved_plan(org, std)
    v2 = services.revise_plan(org.member, v1)
    data = as_data(v2)
    data[1].action = "Việc 1 đã sửa: mỗi tuần tự học 3 giờ"
    services.save_plan(org.member, v2, v2.shortcomings, data)
    db.session.commit()
    login("doanvien")
    page = html(client.get(f"/plans/{v2.id}"))
    assert "Thay đổi so với phiên bản 1" in page and "Sửa" in page and "đổi việc làm" in page
    assert "Phiên bản 1 (đã duyệt" in page and "vẫn đang áp dụng" in page
    assert f'href="/plans/{v1.id}"' in page
    old = html(client.get(f"/plans/{v1.id}"))
    assert "Bạn đang xem <strong>phiên bản 1</strong>" in old
    response = client.get(f"/plans/{v2.id}/versions/1")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/plans/{v1.id}")
    assert client.get(f"/plans/{v2.id}/versions/7").status_code == 404


def test_a_commitment_with_diary_entries_cannot_be_dropped(org, std):
    from app.journal.models import Entry

    plan = services.start_plan(org.member, org.member, org.branch, std.year)
    services.save_plan(org.member, plan, "Hạn chế", items(std))
    used = plan.commitments[2]
    db.session.add(
        Entry(
            user_id=org.member.id,
            unit_id=org.branch.id,
            deed_date=date(std.year, 3, 1),
            action="Học 2 giờ",
            commitments=[used],
        )
    )
    db.session.commit()
    with pytest.raises(PlanError, match="đã có bài nhật ký"):
        services.save_plan(org.member, plan, "Hạn chế", as_data(plan)[:2])
    db.session.rollback()
    assert len(db.session.get(Plan, plan.id).commitments) == 3


# ---- who may do what ------------------------------------------------------------------------


def test_registering_on_behalf(client, org, std, login, switch):
    plan = services.start_plan(org.secretary, org.member, org.branch, std.year)
    assert plan.user_id == org.member.id and plan.created_by_id == org.secretary.id
    services.save_plan(org.secretary, plan, "Hạn chế", items(std))
    db.session.commit()
    with pytest.raises(Forbidden):
        services.start_plan(org.member2, org.member, org.branch, std.year + 1)
    with pytest.raises(Forbidden):
        services.save_plan(org.member2, plan, "Sửa lén", items(std))
    login("doanvien")
    page = html(client.get("/plans"))
    assert "Do Trần Quốc Bảo lập thay" in page
    assert "Sửa kế hoạch" in page  # the member may still edit the draft

    # Through the branch page: a "Lập thay" link, then a confirming POST.
    switch("bithu")
    branch = html(client.get(f"/units/{org.branch.id}/plans?year={std.year}"))
    assert f"/units/{org.branch.id}/plans/start?user_id={org.member2.id}" in branch
    url = f"/units/{org.branch.id}/plans/start?user_id={org.member2.id}&year={std.year}"
    assert "Lập kế hoạch thay cho Đặng Văn Đạt" in html(client.get(url))
    response = client.post(url)
    created = services.current_plan(org.member2, org.branch, std.year)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/plans/{created.id}/edit")
    assert created.created_by_id == org.secretary.id
    # A plan already there: back to it, nothing new.
    assert client.post(url).headers["Location"].endswith(f"/plans/{created.id}")
    # Someone outside the branch, or an officer membership: 404 / 403.
    assert client.get(f"/units/{org.branch.id}/plans/start?user_id={org.member_other.id}").status_code == 404
    switch("doanvien2")
    assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    ("reviewer", "owner", "allowed"),
    [
        ("secretary", "member", True),
        ("deputy", "member", True),
        ("officer_root", "member", True),
        ("admin", "member", False),
        ("member2", "member", False),
        ("secretary_other", "member", False),
        ("officer_sibling", "member", False),
        ("member", "member", False),
        ("secretary", "secretary", False),
        ("deputy", "secretary", False),
        ("officer_root", "secretary", True),
    ],
)
def test_who_may_approve(org, std, reviewer, owner, allowed):
    owner_user = getattr(org, owner)
    plan = services.start_plan(owner_user, owner_user, org.branch, std.year)
    services.save_plan(owner_user, plan, "Hạn chế", items(std))
    services.submit_plan(owner_user, plan)
    if allowed:
        services.approve_plan(plan, getattr(org, reviewer))
        assert plan.status is PlanStatus.APPROVED
    else:
        with pytest.raises(Forbidden):
            services.approve_plan(plan, getattr(org, reviewer))
        with pytest.raises(Forbidden):
            services.return_plan(plan, getattr(org, reviewer), "Lý do")


@pytest.mark.parametrize(
    ("username", "view", "approve"),
    [
        ("bithu", 200, 302),
        ("phobithu", 200, 302),
        ("canbo", 200, 302),
        ("quantri", 200, 403),  # administrators see, but do not judge conduct
        ("doanvien", 200, 403),  # the owner
        ("doanvien2", 404, 404),  # another member of the branch
        ("bithub", 404, 404),  # the secretary of another branch
        ("doanvienb", 404, 404),
        ("canbo2", 404, 404),  # an officer of another subtree
    ],
)
def test_plan_access_through_the_views(client, org, std, login, username, view, approve):
    plan = services.start_plan(org.member, org.member, org.branch, std.year)
    services.save_plan(org.member, plan, "Hạn chế", items(std))
    services.submit_plan(org.member, plan)
    db.session.commit()
    login(username)
    assert client.get(f"/plans/{plan.id}").status_code == view
    assert client.post(f"/plans/{plan.id}/approve").status_code == approve
    db.session.expire_all()
    expected = PlanStatus.APPROVED if approve == 302 else PlanStatus.SUBMITTED
    assert db.session.get(Plan, plan.id).status is expected


def test_the_secretarys_own_plan_is_approved_above(client, org, std, login, switch):
    plan = services.start_plan(org.secretary, org.secretary, org.branch, std.year)
    services.save_plan(org.secretary, plan, "Hạn chế", items(std))
    services.submit_plan(org.secretary, plan)
    db.session.commit()
    login("bithu")
    page = html(client.get(f"/plans/{plan.id}"))
    assert "Duyệt kế hoạch" not in page
    assert client.post(f"/plans/{plan.id}/approve").status_code == 403
    switch("canbo")
    assert "Duyệt kế hoạch" in html(client.get(f"/plans/{plan.id}"))
    assert client.post(f"/plans/{plan.id}/approve").status_code == 302
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).decided_by_id == org.officer_root.id


# ---- the views: the whole lifecycle -------------------------------------------------------------


def test_lifecycle_through_the_views(client, org, std, login, switch):
    login("doanvien")
    start = client.get("/plans")
    assert start.status_code == 200
    assert f"Bạn chưa có kế hoạch năm {std.year}" in html(start)
    assert "ngắn gọn, dễ làm, dễ kiểm tra" in html(start)

    response = client.post("/plans/start", data={"unit_id": org.branch.id, "year": std.year})
    plan = services.current_plan(org.member, org.branch, std.year)
    assert response.headers["Location"].endswith(f"/plans/{plan.id}/edit")
    edit = html(client.get(f"/plans/{plan.id}/edit"))
    assert 'name="commitments-0-action"' in edit and "Chuyên môn tốt" in edit
    assert "Chuẩn mực đã ngừng" not in edit and "Chuẩn mực của chi đoàn khác" not in edit

    response = client.post(f"/plans/{plan.id}/edit", data=form_data(std, lock_version=plan.lock_version))
    assert response.status_code == 302
    db.session.expire_all()
    assert len(plan.commitments) == 3 and plan.status is PlanStatus.DRAFT
    page = html(client.get(f"/plans/{plan.id}"))
    assert "Đôi lúc sắp xếp công việc chưa khoa học." in page
    assert "Đạo đức, lối sống" in page and "Hằng tuần" in page and f"31/12/{std.year}" in page
    assert client.post(f"/plans/{plan.id}/submit").status_code == 302
    db.session.expire_all()
    assert plan.status is PlanStatus.SUBMITTED

    switch("bithu")
    assert client.get(f"/units/{org.branch.id}/plans").status_code == 200
    response = client.post(f"/plans/{plan.id}/return", data={"reason": "  "})
    assert response.status_code == 200 and "Vui lòng ghi lý do trả lại" in html(response)
    response = client.post(f"/plans/{plan.id}/return", data={"reason": "Việc 2 chưa rõ cách kiểm tra."})
    assert response.status_code == 302

    switch("doanvien")
    page = html(client.get("/plans"))
    assert "Trả lại để sửa" in page and "Việc 2 chưa rõ cách kiểm tra." in page
    db.session.expire_all()
    data = form_data(std, lock_version=plan.lock_version, op="submit")
    for i, c in enumerate(plan.commitments[1:]):
        data[f"commitments-{i}-commitment_id"] = str(c.id)
    data["breakthrough-commitment_id"] = str(plan.commitments[0].id)
    data["commitments-1-measure"] = "Hoàn thành 2 khóa học có chứng nhận"
    kept = {c.id for c in plan.commitments}
    assert client.post(f"/plans/{plan.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert plan.status is PlanStatus.SUBMITTED and {c.id for c in plan.commitments} == kept

    switch("bithu")
    assert client.post(f"/plans/{plan.id}/approve").status_code == 302
    switch("doanvien")
    page = html(client.get("/plans"))
    assert "Đã duyệt" in page and "Trần Quốc Bảo" in page and "Điều chỉnh kế hoạch" in page

    # Locked: the edit page sends back with a message, a POST changes nothing.
    response = client.get(f"/plans/{plan.id}/edit", follow_redirects=True)
    assert "đã khóa" in html(response)
    response = client.post(f"/plans/{plan.id}/edit", data=form_data(std, lock_version=plan.lock_version))
    assert response.status_code == 302
    db.session.expire_all()
    assert plan.commitments[2].measure == "Hoàn thành 2 khóa học có chứng nhận"

    # Revise: v2 opens for editing, v1 stays in force.
    response = client.post(f"/plans/{plan.id}/revise")
    v2 = services.current_plan(org.member, org.branch, std.year)
    assert v2.version == 2 and response.headers["Location"].endswith(f"/plans/{v2.id}/edit")
    assert "Phiên bản 1 (đã duyệt" in html(client.get("/plans"))


def test_an_approved_plan_cannot_be_edited_by_the_secretary_either(client, org, std, login):
    plan = approved_plan(org, std)
    login("bithu")
    response = client.get(f"/plans/{plan.id}/edit")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/plans/{plan.id}")
    login_other = client.post("/logout")
    assert login_other.status_code == 302
    login("quantri")  # may read, never write
    assert client.get(f"/plans/{plan.id}/edit").status_code == 403


# ---- optimistic locking ---------------------------------------------------------------------


def test_two_saves_from_the_same_form_do_not_overwrite(client, org, std, login):
    plan = services.start_plan(org.member, org.member, org.branch, std.year)
    db.session.commit()
    login("doanvien")
    opened = plan.lock_version
    first = form_data(std, lock_version=opened, shortcomings="Bản của thẻ thứ nhất")
    assert client.post(f"/plans/{plan.id}/edit", data=first).status_code == 302
    second = form_data(std, lock_version=opened, shortcomings="Bản của thẻ thứ hai")
    second["commitments-0-action"] = "Việc gõ ở thẻ thứ hai"
    response = client.post(f"/plans/{plan.id}/edit", data=second)
    page = html(response)
    assert response.status_code == 200 and STALE in page
    assert "Bản của thẻ thứ hai" in page and "Việc gõ ở thẻ thứ hai" in page  # typed text kept
    db.session.expire_all()
    assert plan.shortcomings == "Bản của thẻ thứ nhất"
    assert "Việc gõ ở thẻ thứ hai" not in {c.action for c in plan.commitments}
    # The re-rendered form carries the current version: saving again is a deliberate overwrite.
    assert f'value="{plan.lock_version}"' in page
    again = dict(second, lock_version=str(plan.lock_version))
    assert client.post(f"/plans/{plan.id}/edit", data=again).status_code == 302
    db.session.expire_all()
    assert plan.shortcomings == "Bản của thẻ thứ hai"


def other_request(statement) -> None:
    """Run and commit a statement on a connection of its own, like a concurrent request."""
    with db.engine.begin() as conn:
        conn.execute(statement)


def test_stale_data_on_flush_becomes_a_stale_plan_error(org, std):
    plan = services.start_plan(org.member, org.member, org.branch, std.year)
    services.save_plan(org.member, plan, "Lần đầu", items(std))
    db.session.commit()
    opened = plan.lock_version
    # Another request saves (and commits) between our read and our write.
    other_request(
        update(Plan).where(Plan.id == plan.id).values(shortcomings="Ở thẻ khác", lock_version=opened + 1)
    )
    with pytest.raises(services.StalePlanError):
        services.save_plan(org.member, plan, "Lần hai", items(std), lock_version=opened)
    db.session.rollback()
    assert db.session.get(Plan, plan.id).shortcomings == "Ở thẻ khác"


def test_two_reviewers_deciding_at_once_do_not_both_win(org, std):
    plan = services.start_plan(org.member, org.member, org.branch, std.year)
    services.save_plan(org.member, plan, "Hạn chế", items(std))
    services.submit_plan(org.member, plan)
    db.session.commit()
    assert plan.status is PlanStatus.SUBMITTED  # the secretary's page is open
    # The deputy returns it meanwhile.
    other_request(
        update(Plan)
        .where(Plan.id == plan.id)
        .values(status=PlanStatus.RETURNED, lock_version=Plan.lock_version + 1)
    )
    with pytest.raises(services.StalePlanError, match="cùng lúc"):
        services.approve_plan(plan, org.secretary)
    db.session.rollback()
    assert db.session.get(Plan, plan.id).status is PlanStatus.RETURNED


def test_service_refuses_an_old_lock_version(org, std):
    plan = services.start_plan(org.member, org.member, org.branch, std.year)
    opened = plan.lock_version
    services.save_plan(org.member, plan, "Một", items(std), lock_version=opened)
    with pytest.raises(services.StalePlanError, match="thay đổi ở nơi khác"):
        services.save_plan(org.member, plan, "Hai", items(std), lock_version=opened)
    assert plan.shortcomings == "Một"


# ---- the form: validation, rows ---------------------------------------------------------------


@pytest.fixture
def draft(org, std, client, login):
    plan = services.start_plan(org.member, org.member, org.branch, std.year)
    db.session.commit()
    login("doanvien")
    return plan


@pytest.mark.parametrize(
    ("overrides", "message", "kept"),
    [
        ({"commitments-0-action": ""}, "Vui lòng ghi việc sẽ làm.", "Giảm 20% giấy in"),
        ({"commitments-1-measure": "   "}, "Vui lòng ghi cách kiểm tra kết quả", "Việc 2: tiết kiệm"),
        (
            {"commitments-0-standard_id": ""},
            "Vui lòng chọn chuẩn mực mà việc này hướng tới.",
            "Việc 1: tiết kiệm",
        ),
        ({"commitments-0-standard_id": "other_branch"}, "Chuẩn mực này không áp dụng", "Việc 1: tiết kiệm"),
        ({"commitments-0-standard_id": "inactive"}, "Chuẩn mực này không áp dụng", "Việc 1: tiết kiệm"),
        ({"commitments-0-standard_id": "abc"}, "Chuẩn mực này không áp dụng", "Việc 1: tiết kiệm"),
        ({"commitments-0-deadline": "NEXT-01-15"}, "Thời hạn phải trong năm", "Việc 1: tiết kiệm"),
        ({"commitments-0-deadline": ""}, "Vui lòng ghi thời hạn hoàn thành.", "Việc 1: tiết kiệm"),
        ({"commitments-0-deadline": "15/13/2026"}, "Ngày không hợp lệ", "Việc 1: tiết kiệm"),
        ({"commitments-0-frequency": "yearly"}, "Vui lòng chọn một mục trong danh sách.", "Việc 1"),
        ({"breakthrough-action": ""}, "Vui lòng ghi việc sẽ làm.", "100% văn bản cập nhật"),
        ({"shortcomings": ""}, "Vui lòng ghi những hạn chế", "Việc 1: tiết kiệm"),
        ({"shortcomings": "x" * 100_000}, "Tối đa 3.000 ký tự (hiện có 100.000).", "Việc 1: tiết kiệm"),
        ({"commitments-0-action": "y" * 100_000}, "Tối đa 1.000 ký tự (hiện có 100.000).", "Giảm 20%"),
        ({"commitments-0-measure": "z" * 501}, "Tối đa 500 ký tự (hiện có 501).", "Việc 1: tiết kiệm"),
        ("eleven", "Tối đa 10 việc làm theo (đang có 11)", "Việc 11: tiết kiệm"),
        ("none", "Cần ít nhất 1 việc làm theo ngoài nội dung đột phá.", "Số hóa toàn bộ"),
    ],
)
def test_plan_form_refusals_are_vietnamese_and_keep_the_text(client, std, draft, overrides, message, kept):
    if overrides == "eleven":
        data = form_data(std, lock_version=draft.lock_version, n=11)
    elif overrides == "none":
        data = form_data(std, lock_version=draft.lock_version, n=0)
    else:
        data = form_data(std, lock_version=draft.lock_version)
        for key, value in overrides.items():
            if key.endswith("standard_id") and value in ("other_branch", "inactive"):
                value = str(getattr(std, value).id)
            if key.endswith("deadline"):
                value = value.replace("NEXT", str(std.year + 1))
            data[key] = value
    response = client.post(f"/plans/{draft.id}/edit", data=data)
    page = html(response)
    assert response.status_code == 200
    assert message in page
    assert kept in page
    db.session.expire_all()
    assert draft.commitments == [] and draft.shortcomings == ""


def test_blank_rows_are_dropped_and_text_is_stored_nfc(client, std, draft):
    data = form_data(std, lock_version=draft.lock_version)
    data["shortcomings"] = unicodedata.normalize("NFD", "Còn ngại phát biểu trong sinh hoạt\r\nĐi trễ")
    data["commitments-0-action"] = unicodedata.normalize("NFD", "Phát biểu ý kiến ở mỗi buổi sinh hoạt")
    data.update(
        {
            "commitments-5-commitment_id": "",
            "commitments-5-standard_id": "",
            "commitments-5-action": "",
            "commitments-5-measure": "  ",
            "commitments-5-frequency": "weekly",
            "commitments-5-deadline": f"{std.year}-12-31",
        }
    )
    assert client.post(f"/plans/{draft.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert draft.shortcomings == "Còn ngại phát biểu trong sinh hoạt\nĐi trễ"
    assert draft.commitments[1].action == "Phát biểu ý kiến ở mỗi buổi sinh hoạt"
    assert len(draft.commitments) == 3


def test_rows_are_added_and_removed_without_javascript(client, std, draft):
    data = form_data(std, lock_version=draft.lock_version, op="add")
    data["commitments-1-action"] = "Việc thứ hai đang gõ dở"
    page = html(client.post(f"/plans/{draft.id}/edit", data=data))
    assert 'name="commitments-2-action"' in page and "Việc thứ hai đang gõ dở" in page
    assert "Vui lòng" not in page  # adding a row is not a save: no refusals yet

    data = form_data(std, lock_version=draft.lock_version, op="remove-0")
    data["commitments-1-action"] = "Việc còn lại"
    page = html(client.post(f"/plans/{draft.id}/edit", data=data))
    assert 'name="commitments-1-action"' not in page and "Việc còn lại" in page

    data = form_data(std, lock_version=draft.lock_version, n=10, op="add")
    page = html(client.post(f"/plans/{draft.id}/edit", data=data))
    assert "Đã đủ 10 việc làm theo" in page and 'name="commitments-10-action"' not in page
    db.session.expire_all()
    assert draft.commitments == []


def test_the_edit_page_works_on_a_phone_and_without_inline_script(client, std, draft):
    page = html(client.get(f"/plans/{draft.id}/edit"))
    assert "<script>" not in page and "onclick" not in page and "style=" not in page
    assert "js/plan-form.js" in page and 'id="plan-row-template"' in page
    assert "commitments-__index__-action" in page
    # Fields stack on small screens (Bootstrap's col-12, side by side only from sm/md up).
    assert page.count('class="col-12 col-md-6"') >= 4


# ---- the member's page ----------------------------------------------------------------------


def test_plan_page_defaults_and_choices(client, org, std, login, make_user, make_unit):
    from app.core.enums import Role

    login("doanvien")
    page = html(client.get("/plans"))
    assert "Chi đoàn Văn phòng" in page and str(std.year) in page
    # A past year outside the start window: no start button.
    page = html(client.get(f"/plans?year={std.year - 3}"))
    assert "không còn lập kế hoạch mới được" in page
    # Someone without a branch.
    client.post("/logout")
    login("canbo")
    assert "không sinh hoạt ở chi đoàn" in html(client.get("/plans"))
    assert client.post("/plans/start", data={"unit_id": org.branch.id, "year": std.year}).status_code == 403
    # A member of both a Đoàn branch and a Chi bộ picks between them.
    client.post("/logout")
    both = make_user("haivaitro", org.branch, Role.MEMBER, full_name="Lê Văn Hai")
    from app.units.models import Membership

    db.session.add(Membership(user=both, unit=org.party_cell, role=Role.MEMBER))
    db.session.commit()
    login("haivaitro")
    page = html(client.get("/plans"))
    assert 'id="pick-unit"' in page and "Chi bộ Văn phòng" in page
    page = html(client.get(f"/plans?unit_id={org.party_cell.id}"))
    assert "Chi bộ Văn phòng" in page and "đảng viên" in page


def test_starting_twice_goes_to_the_existing_plan(client, org, std, draft):
    response = client.post("/plans/start", data={"unit_id": org.branch.id, "year": std.year})
    assert response.headers["Location"].endswith(f"/plans/{draft.id}")
    response = client.post("/plans/start", data={"unit_id": org.branch_other.id, "year": std.year})
    assert response.status_code == 200 and "Vui lòng chọn một mục trong danh sách." in html(response)


# ---- the branch overview ------------------------------------------------------------------------


def test_branch_overview_counts_in_two_queries(org, std, make_user):
    from app.core.enums import Role

    for i in range(6):
        make_user(f"them{i}", org.branch, Role.MEMBER, full_name=f"Thành viên {i}")
    approved_plan(org, std)  # member: approved
    p2 = services.start_plan(org.member2, org.member2, org.branch, std.year)  # member2: submitted
    services.save_plan(org.member2, p2, "Hạn chế", items(std))
    services.submit_plan(org.member2, p2)
    services.start_plan(org.deputy, org.deputy, org.branch, std.year)  # deputy: draft
    sec = approved_plan(org, std, owner=org.secretary)
    services.revise_plan(org.secretary, sec)  # secretary: v2 draft, v1 in force
    db.session.commit()
    branch_id, secretary_id, other_id = org.branch.id, org.secretary.id, org.branch_other.id
    db.session.close()  # as in a new request: nothing loaded but the viewer
    from app.auth.models import User
    from app.units.models import Unit

    branch = db.session.get(Unit, branch_id)
    viewer = db.session.get(User, secretary_id)

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        overview = services.branch_plan_overview(branch, std.year)
        seen = [(r.user.full_name, r.status_key, r.in_force_version) for r in overview.rows]
        for r in overview.rows:
            # Permission questions per row need no further queries.
            from app.core import permissions

            permissions.can_register_plan_for(viewer, r.user, branch)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) <= 2, statements
    assert seen[0] == ("Trần Quốc Bảo", "draft", 1)  # the secretary first
    assert seen[1] == ("Võ Thị Lan", "draft", None)
    assert overview.total == 10 and overview.in_force == 2
    assert overview.counts == {"none": 6, "draft": 2, "submitted": 1, "approved": 1}
    assert services.branch_plan_overview(branch, std.year + 1).counts == {"none": 10}
    assert services.branch_plan_overview(db.session.get(Unit, other_id), std.year).total == 2


def test_branch_page(client, org, std, login, switch):
    approved_plan(org, std)
    login("bithu")
    page = html(client.get(f"/units/{org.branch.id}/plans?year={std.year}"))
    assert "Nguyễn Thị Mỹ Duyên" in page and "Đặng Văn Đạt" in page
    assert "Đã duyệt: 1" in page and "Chưa lập: 3" in page
    assert "Lập thay" in page
    assert "Lâm Thị Ngọc Hân" not in page  # officers are not members of the branch
    assert client.get(f"/units/{org.branch_other.id}/plans").status_code == 404
    assert client.get(f"/units/{org.grassroots.id}/plans").status_code == 404  # not a branch
    switch("doanvien")
    assert client.get(f"/units/{org.branch.id}/plans").status_code == 403
    switch("canbo")
    assert client.get(f"/units/{org.branch.id}/plans").status_code == 200


# ---- the demo ---------------------------------------------------------------------------------


def test_seed_demo_plan(org, std):
    plan = services.seed_demo_plan(org.member, org.branch, std.year, org.secretary, [std.ethics, std.duties])
    db.session.commit()
    assert plan.status is PlanStatus.APPROVED and plan.decided_by_id == org.secretary.id
    assert plan.shortcomings.count("\n") >= 1
    assert plan.breakthrough is not None
    others = [c for c in plan.commitments if not c.is_breakthrough]
    assert 4 <= len(others) <= 5
    assert all(c.lineage_id == c.id and c.standard is not None for c in plan.commitments)
    assert all(c.deadline.year == std.year for c in plan.commitments)
    assert any("hiến máu" in c.action for c in others)
    assert services.plan_in_force(org.member, org.branch, std.year) == plan
    assert db.session.scalar(select(Commitment.id).where(Commitment.plan_id == plan.id)) is not None
