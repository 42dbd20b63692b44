"""The audit log: every review action is written, and read back by whom it concerns and the officers above."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit import services as audit
from app.audit.models import AuditLog
from app.core.db import db
from app.core.filters import today_local
from app.review import services
from tests.test_review import make_plan, write


@pytest.fixture
def reviewed(org):
    """The member's month with one of every review action, signed and reopened."""
    today = today_local()
    plan = make_plan(org.member, org.branch, org.secretary)
    entry = write(org.member, org.branch, plan)
    services.comment_entry(org.secretary, entry, "Ghi thêm số liệu.")
    services.request_revision(org.secretary, entry, "Ghi số máy đã tắt.")
    services.mark_reviewed(org.secretary, entry)
    services.flag_exemplary(org.secretary, entry, "Gương sáng")
    services.write_month_comment(
        org.secretary, org.member, org.branch, today.year, today.month, "Tích cực.", 0
    )
    review = services.sign_off_month(org.secretary, org.member, org.branch, today.year, today.month)
    services.reopen_month(org.secretary, review, "Bổ sung minh chứng")
    db.session.commit()
    return entry


def test_every_review_action_writes_a_row(org, reviewed):
    rows = db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert [r.action for r in rows] == [
        "entry.comment",
        "entry.revision",
        "entry.reviewed",
        "entry.exemplary",
        "month.comment",
        "month.sign",
        "month.reopen",
    ]
    assert {r.actor_id for r in rows} == {org.secretary.id}
    assert {r.subject_user_id for r in rows} == {org.member.id}
    assert {r.unit_id for r in rows} == {org.branch.id}
    revision = rows[1]
    assert revision.reason == "Ghi số máy đã tắt." and revision.object_id == reviewed.id
    assert '"status": "submitted"' in revision.before and '"status": "revision"' in revision.after


def test_descriptions_in_vietnamese(org, reviewed):
    today = today_local()
    items, more = audit.page(audit.subject_log(org.member), None)
    texts = [i.text for i in items]
    assert not more
    day = f"{today:%d/%m/%Y}"
    assert texts == [
        f"mở lại tháng {today.month}/{today.year}",
        f"ký xác nhận tháng {today.month}/{today.year}",
        f"nhận xét tháng {today.month}/{today.year}",
        f"biểu dương bài ngày {day}",
        f"đánh dấu đã xem bài ngày {day}",
        f"yêu cầu bổ sung bài ngày {day}",
        f"nhận xét bài ngày {day}",
    ]
    assert items[0].reason == "Bổ sung minh chứng"
    revision = items[5]
    assert [(c.label, c.before, c.after) for c in revision.changes] == [
        ("Trạng thái", "Đã gửi", "Cần bổ sung, chỉnh sửa")
    ]


def test_member_reads_their_own_log(client, login, org, reviewed):
    today = today_local()
    login("doanvien")
    html = client.get("/audit/me").get_data(as_text=True)
    assert f"nhận xét bài ngày {today:%d/%m/%Y}" in html
    assert "yêu cầu bổ sung" in html and "biểu dương" in html
    assert f"ký xác nhận tháng {today.month}/{today.year}" in html
    assert (
        f"mở lại tháng {today.month}/{today.year}" in html
        and 'lý do: <span class="text-pre">Bổ sung minh chứng' in html
    )
    assert "Trần Quốc Bảo" in html
    client.post("/logout")
    login("doanvien2")
    html = client.get("/audit/me").get_data(as_text=True)
    assert "Chưa có thao tác nào" in html and "Bổ sung minh chứng" not in html


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("canbo", 200),
        ("quantri", 200),
        ("bithu", 403),
        ("doanvien", 403),
        ("doanvien2", 403),
        ("canbo2", 404),
        ("doanvienb", 404),
        ("bithub", 404),
    ],
)
def test_unit_log_is_for_officers_above(client, login, org, reviewed, username, status):
    login(username)
    response = client.get(f"/units/{org.branch.id}/audit")
    assert response.status_code == status
    if status == 200:
        assert "Nguyễn Thị Mỹ Duyên" in response.get_data(as_text=True)


def test_upper_unit_log_covers_its_branches(client, login, org, reviewed):
    login("canbo")
    assert "Bổ sung minh chứng" in client.get(f"/units/{org.root.id}/audit").get_data(as_text=True)
    assert "Bổ sung minh chứng" not in client.get(f"/units/{org.grassroots_other.id}/audit").get_data(
        as_text=True
    )


def test_log_is_paged_newest_first(client, login, org):
    plan = make_plan(org.member, org.branch, org.secretary)
    entry = write(org.member, org.branch, plan)
    for n in range(audit.PAGE_SIZE + 5):
        services.comment_entry(org.secretary, entry, f"Nhận xét số {n}")
    db.session.commit()
    login("doanvien")
    first = client.get("/audit/me").get_data(as_text=True)
    assert f"Nhận xét số {audit.PAGE_SIZE + 4}" in first and "Nhận xét số 4<" not in first
    last_id = db.session.scalar(
        select(AuditLog.id).order_by(AuditLog.id.desc()).offset(audit.PAGE_SIZE - 1).limit(1)
    )
    assert f"/audit/me?before={last_id}" in first
    second = client.get(f"/audit/me?before={last_id}").get_data(as_text=True)
    assert "Nhận xét số 4<" in second and "Nhận xét số 0<" in second and "Cũ hơn" not in second
    assert client.get("/audit/me?before=abc").status_code == 200
