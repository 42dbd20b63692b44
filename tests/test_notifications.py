"""The notification centre, the unread count, the email copy and its preference, plan events."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from app.core.db import db, utcnow
from app.core.enums import ContentGroup, Frequency, Role, UnitKind
from app.core.filters import today_local
from app.mail.models import MailStatus, OutboxMessage
from app.notifications import services
from app.notifications.models import Notification
from app.notifications.services import notify
from app.plans import services as plans
from app.plans.services import CommitmentData
from app.standards.models import Standard
from tests.conftest import free_port, run_queued
from tests.helpers import html


def checked_channel(page: str) -> str:
    [value] = re.findall(r'<input checked[^>]*name="channel"[^>]*value="(\w+)"', page)
    return value


def notes_of(user) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


# ---- the centre ---------------------------------------------------------------------------------


def test_centre_lists_own_notifications_newest_first_with_unread_highlighted(client, org, login):
    old = notify(
        org.member, "comment", "Bí thư đã nhận xét bài ngày 02/03", "Bài viết rất cụ thể.", "/diary/"
    )
    old.created_at = utcnow() - timedelta(days=2)
    old.read_at = utcnow() - timedelta(days=1)
    notify(org.member, "signed", "Tháng 3 đã được ký xác nhận", link="/diary/")
    notify(org.member2, "comment", "Thông báo của người khác")
    db.session.commit()

    login("doanvien")
    page = html(client.get("/notifications"))
    assert "Thông báo của người khác" not in page
    assert page.index("Tháng 3 đã được ký xác nhận") < page.index("Bí thư đã nhận xét bài ngày 02/03")
    assert "Bài viết rất cụ thể." in page
    # Only the unread one is marked as new (for eyes and for screen readers).
    assert page.count(">Mới</span>") == 1 and page.count("Chưa đọc: ") == 1
    assert page.count("bg-warning-subtle") == 1
    assert "/notifications/settings" in page  # linked from the centre
    assert "Đánh dấu tất cả đã đọc" in page


def test_unread_count_in_the_navigation_of_every_page(client, org, login):
    for i in range(3):
        notify(org.member, "comment", f"Nhận xét {i}")
    notify(org.member2, "comment", "Không phải của bạn")
    db.session.commit()
    login("doanvien")
    page = html(client.get("/"))
    assert 'aria-label="Thông báo, 3 chưa đọc"' in page
    assert 'href="/notifications/settings"' in page  # the user menu links the preference too
    login_other = html(client.get("/notifications"))
    assert 'aria-label="Thông báo, 3 chưa đọc"' in login_other

    client.post("/logout")
    login("doanvien2")
    assert 'aria-label="Thông báo, 1 chưa đọc"' in html(client.get("/"))
    client.post("/logout")
    login("bithu")
    page = html(client.get("/"))
    assert 'aria-label="Thông báo"' in page and "chưa đọc" not in page


def test_unread_count_is_one_query_per_page(client, org, login):
    notify(org.member, "comment", "Nhận xét")
    db.session.commit()
    login("doanvien")
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get("/").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    on_notifications = [s for s in statements if "notifications" in s]
    assert len(on_notifications) == 1 and "count(" in on_notifications[0].lower()


def test_anonymous_pages_ask_no_count(client, org):
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        page = html(client.get("/login"))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert not [s for s in statements if "notifications" in s]
    assert "/notifications" not in page


def test_centre_pages(client, org, login):
    for i in range(25):
        note = notify(org.member, "comment", f"Thông báo số {i:02d}")
        note.created_at = utcnow() - timedelta(minutes=100 - i)
    db.session.commit()
    login("doanvien")
    first = html(client.get("/notifications"))
    assert "Thông báo số 24" in first and "Thông báo số 04" not in first and "Trang 1/2" in first
    second = html(client.get("/notifications?page=2"))
    assert "Thông báo số 04" in second and "Thông báo số 24" not in second
    assert client.get("/notifications?page=abc").status_code == 200
    assert client.get("/notifications?page=-3").status_code == 200
    assert "Thông báo số 04" in html(client.get("/notifications?page=99"))  # the last page


def test_empty_centre(client, org, login):
    login("doanvien")
    page = html(client.get("/notifications"))
    assert "Chưa có thông báo nào" in page and "Đánh dấu tất cả đã đọc" not in page


def test_opening_marks_read_and_follows_the_link(client, org, login):
    note = notify(org.member, "comment", "Bí thư đã nhận xét", link="/diary/?unit_id=3")
    other = notify(org.member, "signed", "Tháng đã ký")
    db.session.commit()
    login("doanvien")
    response = client.get(f"/notifications/{note.id}/open")
    assert response.status_code == 302 and response.headers["Location"] == "/diary/?unit_id=3"
    db.session.refresh(note)
    db.session.refresh(other)
    assert note.read_at is not None and other.read_at is None
    assert 'aria-label="Thông báo, 1 chưa đọc"' in html(client.get("/"))
    # Opening it again keeps the first reading time; one without a link leads to the centre.
    first_read = note.read_at
    client.get(f"/notifications/{note.id}/open")
    db.session.refresh(note)
    assert note.read_at == first_read
    response = client.get(f"/notifications/{other.id}/open")
    assert response.headers["Location"] == "/notifications"


def test_someone_elses_notification_is_not_found(client, org, login):
    note = notify(org.member, "comment", "Riêng của đoàn viên", link="/diary/")
    db.session.commit()
    for username in ("doanvien2", "bithu", "canbo", "quantri"):
        login(username)
        assert client.get(f"/notifications/{note.id}/open").status_code == 404
        client.post("/logout")
    db.session.refresh(note)
    assert note.read_at is None
    login("doanvien")
    assert client.get(f"/notifications/{note.id + 1000}/open").status_code == 404


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/dang-nhap",
        "//evil.example/dang-nhap",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "diary/relative",
    ],
)
def test_a_link_to_another_site_is_never_followed(client, org, login, link):
    # Stored directly, as if written by a buggy caller or in the database: opening it is refused.
    note = Notification(user_id=org.member.id, kind="comment", title="Lạ", link=link)
    db.session.add(note)
    db.session.commit()
    login("doanvien")
    response = client.get(f"/notifications/{note.id}/open")
    assert response.status_code == 302 and response.headers["Location"] == "/notifications"
    db.session.refresh(note)
    assert note.read_at is not None
    # notify() does not even store such a link.
    assert notify(org.member, "comment", "Lạ", link=link).link is None


def test_read_all_marks_only_ones_own(client, org, login):
    for i in range(3):
        notify(org.member, "comment", f"Nhận xét {i}")
    mine_read = notify(org.member, "comment", "Đã đọc")
    mine_read.read_at = utcnow() - timedelta(days=1)
    others = notify(org.member2, "comment", "Của người khác")
    db.session.commit()
    login("doanvien")
    response = client.post("/notifications/read-all", follow_redirects=True)
    assert "Đã đánh dấu 3 thông báo là đã đọc." in html(response)
    assert all(n.read_at is not None for n in notes_of(org.member))
    db.session.refresh(others)
    assert others.read_at is None
    again = client.post("/notifications/read-all", follow_redirects=True)
    assert "Không có thông báo chưa đọc." in html(again)


# ---- the preference and the email copy --------------------------------------------------------


def test_settings_choose_in_app_only_and_back(client, org, login):
    login("doanvien")
    page = html(client.get("/notifications/settings"))
    assert "Qua email và trong ứng dụng" in page and "duyen@example.vn" in page
    assert checked_channel(page) == "email"
    response = client.post("/notifications/settings", data={"channel": "app"}, follow_redirects=True)
    assert "bạn chỉ nhận thông báo trong ứng dụng" in html(response)
    db.session.refresh(org.member)
    assert org.member.notify_by_email is False
    assert checked_channel(html(client.get("/notifications/settings"))) == "app"
    client.post("/notifications/settings", data={"channel": "email"})
    db.session.refresh(org.member)
    assert org.member.notify_by_email is True


def test_settings_refuse_an_unknown_choice(client, org, login):
    login("doanvien")
    response = client.post("/notifications/settings", data={"channel": "fax"})
    assert response.status_code == 200
    assert "Vui lòng chọn một mục trong danh sách." in html(response)
    response = client.post("/notifications/settings", data={})
    assert "Vui lòng chọn cách nhận thông báo." in html(response)
    db.session.refresh(org.member)
    assert org.member.notify_by_email is True


def test_settings_say_when_there_is_no_email_address(client, org, login):
    login("doanvien2")
    assert "chưa có địa chỉ email" in html(client.get("/notifications/settings"))


def test_notification_is_emailed_in_plain_vietnamese_with_an_absolute_link(org, smtp_server):
    note = notify(
        org.member,
        "comment",
        "Bí thư đã nhận xét bài nhật ký của bạn",
        "Bài viết cụ thể, có minh chứng.",
        "/diary/entries/7",
    )
    db.session.commit()
    [message] = smtp_server.messages()
    assert message["To"] == "duyen@example.vn"
    assert message["Subject"] == "Bí thư đã nhận xét bài nhật ký của bạn"
    assert message.get_content_type() == "text/plain"
    body = message.get_content()
    assert "Xin chào Nguyễn Thị Mỹ Duyên" in body
    assert "Bài viết cụ thể, có minh chứng." in body
    assert "Xem chi tiết: http://sonhatky.test/diary/entries/7" in body
    assert "hãy đổi tại: http://sonhatky.test/notifications/settings" in body
    assert body.startswith(
        "Xin chào Nguyễn Thị Mỹ Duyên,\n\nBí thư đã nhận xét bài nhật ký của bạn\n\n"
        "Bài viết cụ thể, có minh chứng.\n\nXem chi tiết: http://sonhatky.test/diary/entries/7\n\n-- \n"
    )
    assert note.emailed_at is not None
    assert db.session.scalars(select(OutboxMessage.status)).all() == [MailStatus.SENT]


def test_in_app_only_gets_no_email(org, smtp_server):
    org.member.notify_by_email = False
    db.session.commit()
    note = notify(org.member, "comment", "Nhận xét mới", link="/diary/")
    db.session.commit()
    assert smtp_server.envelopes == [] and note.emailed_at is None
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert notes_of(org.member) == [note]


def test_without_smtp_nothing_is_emailed(org):
    note = notify(org.member, "comment", "Nhận xét mới")
    db.session.commit()
    assert note.emailed_at is None
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_smtp_down_never_breaks_the_action(client, org, login, std, mail_config):
    plan = submitted_plan(org, std)
    mail_config(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)  # nobody listens
    login("bithu")
    response = client.post(f"/plans/{plan.id}/approve", follow_redirects=True)
    assert response.status_code == 200
    assert "Đã duyệt kế hoạch của Nguyễn Thị Mỹ Duyên." in html(response)
    db.session.refresh(plan)
    assert plan.status.value == "approved"
    [note] = [n for n in notes_of(org.member) if n.kind == "plan_approved"]
    assert note.emailed_at is None
    record = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == org.member.id)).one()
    assert record.status is MailStatus.FAILED and "ConnectionRefused" in record.error
    assert "Kế hoạch năm" in record.body


def test_an_unexpected_mail_error_is_kept_as_failed(org, mail_config, monkeypatch):
    from app.mail import services as mail_services

    def broken(message):
        raise ValueError("Header values may not contain linefeed or carriage return characters")

    monkeypatch.setattr(mail_services, "_smtp_send", broken)
    mail_config(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    note = notify(org.member, "comment", "Nhận xét mới", link="/diary/")
    db.session.commit()
    assert note.id and note.emailed_at is None
    record = db.session.scalars(select(OutboxMessage)).one()
    assert record.status is MailStatus.FAILED and record.error.startswith("ValueError")


def test_an_action_does_not_wait_for_the_mail_server(client, org, login, std, smtp_server, waiting_queue):
    """Approving a plan notifies the member; the email copy is queued and sent by the worker after
    the approval is saved, so a slow or absent mail server never holds the secretary's click."""
    plan = submitted_plan(org, std)
    login("bithu")
    response = client.post(f"/plans/{plan.id}/approve", follow_redirects=True)
    assert "Đã duyệt kế hoạch của Nguyễn Thị Mỹ Duyên." in html(response)
    assert smtp_server.envelopes == []  # nothing sent inside the request
    record = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == org.member.id)).one()
    assert record.status is MailStatus.QUEUED
    [note] = [n for n in notes_of(org.member) if n.kind == "plan_approved"]
    assert note.emailed_at is None

    assert run_queued(waiting_queue) == 1
    db.session.expire_all()
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["duyen@example.vn"]]
    assert db.session.get(OutboxMessage, record.id).status is MailStatus.SENT
    assert db.session.get(Notification, note.id).emailed_at is not None
    # Enqueued twice (the periodic retry): sent once.
    from app.mail.tasks import deliver_mail

    deliver_mail(record.id)
    run_queued(waiting_queue)
    assert len(smtp_server.envelopes) == 1


def test_an_email_of_a_rolled_back_action_is_never_sent(org, smtp_server, waiting_queue):
    notify(org.member, "comment", "Nhận xét mới", link="/diary/")
    db.session.rollback()
    assert waiting_queue.pending_count() == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_emails_left_queued_are_queued_again_and_sent(app, org, smtp_server, waiting_queue, monkeypatch):
    """The queue was down when the email was written: it stays queued in the outbox, and the
    periodic retry sends it."""
    from app.mail import services as mail_services
    from app.mail import tasks

    def down(*args, **kwargs):
        raise ConnectionError("the queue is down")

    monkeypatch.setattr(tasks, "deliver_mail", down)
    note = notify(org.member, "comment", "Nhận xét mới", link="/diary/")
    db.session.commit()
    record = db.session.scalars(select(OutboxMessage)).one()
    assert record.status is MailStatus.QUEUED and waiting_queue.pending_count() == 0
    monkeypatch.undo()
    assert mail_services.requeue_stale() == 0  # not old yet
    record.created_at = utcnow() - timedelta(minutes=mail_services.QUEUED_RETRY_MINUTES + 1)
    db.session.commit()
    assert mail_services.requeue_stale() == 1
    run_queued(waiting_queue)
    db.session.expire_all()
    assert db.session.get(OutboxMessage, record.id).status is MailStatus.SENT
    assert len(smtp_server.envelopes) == 1
    assert db.session.get(Notification, note.id).emailed_at is not None


def test_a_long_title_is_shortened(org):
    note = notify(org.member, "comment", "Nhận xét " * 60)
    db.session.commit()
    assert len(note.title) == 255 and note.title.endswith("…")


# ---- plan events --------------------------------------------------------------------------------


@pytest.fixture
def std(org) -> dict:
    year = today_local().year
    ethics = Standard(unit_id=org.root.id, year=year, group=ContentGroup.ETHICS, title="Cần, kiệm")
    cell = Standard(unit_id=org.party_cell.id, year=year, group=ContentGroup.ETHICS, title="Liêm, chính")
    db.session.add_all([ethics, cell])
    db.session.commit()
    return {"year": year, "youth": ethics, "party": cell}


def submitted_plan(org, std, owner=None, unit=None, actor=None):
    owner = owner or org.member
    unit = unit or org.branch
    actor = actor or owner
    standard = std["party"] if unit.kind is UnitKind.PARTY_CELL else std["youth"]
    plan = plans.start_plan(actor, owner, unit, std["year"])
    rows = [
        CommitmentData(
            action=action,
            measure="Có minh chứng",
            standard_id=standard.id,
            frequency=Frequency.MONTHLY,
            deadline=date(std["year"], 12, 31),
            is_breakthrough=breakthrough,
        )
        for action, breakthrough in (("Số hóa văn bản", True), ("Tự học kỹ năng số", False))
    ]
    plans.save_plan(actor, plan, "Còn để văn bản tồn đọng", rows)
    plans.submit_plan(actor, plan)
    db.session.commit()
    return plan


def test_a_members_plan_tells_the_secretary_and_deputies(org, std):
    plan = submitted_plan(org, std)
    told = {n.user_id: n for n in db.session.scalars(select(Notification))}
    assert set(told) == {org.secretary.id, org.deputy.id}
    note = told[org.secretary.id]
    assert note.kind == "plan_submitted"
    assert note.title == f"Nguyễn Thị Mỹ Duyên gửi kế hoạch năm {std['year']} chờ duyệt"
    assert note.link == f"/plans/{plan.id}"
    assert "Chi đoàn Văn phòng" in note.body


def test_a_secretarys_own_plan_tells_the_officers_of_the_nearest_unit_above(org, std, make_user):
    plan = submitted_plan(org, std, owner=org.secretary)
    assert {n.user_id for n in db.session.scalars(select(Notification))} == {org.officer_root.id}
    assert plan.status.value == "submitted"
    # With officers at the Đoàn cơ sở, they are told (not the Đoàn Khối above them).
    near = make_user("canbocs", org.grassroots, Role.OFFICER, full_name="Lê Văn Cơ Sở")
    make_user("canbocs_nghi", org.grassroots, Role.OFFICER, active=False)
    db.session.execute(Notification.__table__.delete())
    submitted_plan(org, std, owner=org.deputy)
    assert {n.user_id for n in db.session.scalars(select(Notification))} == {near.id}


def test_a_plan_registered_on_behalf_does_not_tell_whoever_sent_it(org, std):
    submitted_plan(org, std, owner=org.member2, actor=org.secretary)
    [note] = db.session.scalars(select(Notification)).all()
    assert note.user_id == org.deputy.id
    assert "Trần Quốc Bảo gửi thay." in note.body


def test_a_branch_without_secretary_sends_plans_up(org, std, make_user):
    member = make_user("dangvien", org.party_cell, Role.MEMBER, full_name="Lý Văn Đảng")
    officer = make_user("bithudangbo", org.party_cell.parent, Role.OFFICER)
    submitted_plan(org, std, owner=member, unit=org.party_cell)
    assert [n.user_id for n in db.session.scalars(select(Notification))] == [officer.id]


def test_approving_tells_the_member(client, org, std, login):
    plan = submitted_plan(org, std)
    login("bithu")
    client.post(f"/plans/{plan.id}/approve")
    [note] = [n for n in notes_of(org.member)]
    assert note.kind == "plan_approved"
    assert note.title == f"Kế hoạch năm {std['year']} của bạn đã được duyệt"
    assert "Trần Quốc Bảo đã duyệt" in note.body and note.link == f"/plans/{plan.id}"


def test_returning_tells_the_member_with_the_reason(client, org, std, login):
    plan = submitted_plan(org, std)
    login("phobithu")
    client.post(f"/plans/{plan.id}/return", data={"reason": "Cách kiểm tra chưa đo được; hãy ghi số cụ thể."})
    [note] = notes_of(org.member)
    assert note.kind == "plan_returned"
    assert note.title == f"Kế hoạch năm {std['year']} của bạn được trả lại để sửa"
    assert "Lý do: Cách kiểm tra chưa đo được; hãy ghi số cụ thể." in note.body
    # The member sees it in the centre, and opening it leads to the plan.
    client.post("/logout")
    login("doanvien")
    assert "Cách kiểm tra chưa đo được" in html(client.get("/notifications"))
    assert client.get(f"/notifications/{note.id}/open").headers["Location"] == f"/plans/{plan.id}"


def test_plan_events_are_emailed_by_choice(org, std, smtp_server):
    org.secretary.email = "bithu@example.vn"
    org.deputy.email = "phobithu@example.vn"
    org.deputy.notify_by_email = False
    db.session.commit()
    plan = submitted_plan(org, std)
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["bithu@example.vn"]]
    plans.return_plan(plan, org.secretary, "Thiếu minh chứng.")
    db.session.commit()
    assert smtp_server.envelopes[-1].rcpt_tos == ["duyen@example.vn"]
    body = smtp_server.messages()[-1].get_content()
    assert "Lý do: Thiếu minh chứng." in body and f"http://sonhatky.test/plans/{plan.id}" in body


def test_reviewers_to_notify_is_one_query(org):
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    member = org.member
    _ = member.memberships  # loaded with the user already
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        people = services.reviewers_to_notify(member, org.branch)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert {p.id for p in people} == {org.secretary.id, org.deputy.id}
    assert len(statements) == 1
