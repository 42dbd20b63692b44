"""Email: a real SMTP server on loopback, the outbox without SMTP, and SMTP failures."""

from __future__ import annotations

import re

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.auth.models import User
from app.core.db import db
from app.mail.models import MailStatus, OutboxMessage
from app.mail.services import send_mail
from tests.conftest import PASSWORD, Collector, free_port


def link_path(body: str, prefix: str) -> str:
    match = re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"[^\s]+)", body)
    assert match, body
    return match.group(1)


def test_invitation_arrives_by_smtp_and_its_link_activates_the_account(app, client, org, login, smtp_server):
    login("bithu")
    response = client.post(
        f"/units/{org.branch.id}/members/add",
        data={
            "new-full_name": "Lý Thị Hồng Nhung",
            "new-email": "Nhung@Example.vn",
            "new-role": "member",
            "new-send_invite": "y",
            "new-submit": "1",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Lời mời kích hoạt đã gửi tới nhung@example.vn" in response.get_data(as_text=True)

    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["nhung@example.vn"]
    [message] = smtp_server.messages()
    assert message["Subject"] == "Mời kích hoạt tài khoản Sổ nhật ký làm theo lời Bác"
    assert message["To"] == "nhung@example.vn"
    body = message.get_content()
    assert "Xin chào Lý Thị Hồng Nhung" in body and "Trần Quốc Bảo mời bạn" in body
    assert "Tên đăng nhập của bạn: nhunglth" in body
    record = db.session.scalars(select(OutboxMessage)).one()
    assert record.status is MailStatus.SENT and record.sent_at is not None

    path = link_path(body, "/activate/")
    newcomer = app.test_client()
    assert newcomer.get(path).status_code == 200
    response = newcomer.post(path, data={"password": "matkhaumoi456", "confirm": "matkhaumoi456"})
    assert response.status_code == 302
    assert "Chào mừng bạn" in newcomer.get("/").get_data(as_text=True)
    newcomer.post("/logout")
    assert newcomer.post("/login", data={"login": "nhunglth", "password": "matkhaumoi456"}).status_code == 302
    assert newcomer.get(path).status_code == 400  # the link worked once


def test_reset_email_arrives_by_smtp_and_its_link_sets_a_new_password(app, client, org, smtp_server):
    response = client.post("/forgot-password", data={"email": "duyen@example.vn"})
    assert response.status_code == 302
    [message] = smtp_server.messages()
    assert message["To"] == "duyen@example.vn"
    assert message["Subject"] == "Đặt lại mật khẩu Sổ nhật ký làm theo lời Bác"
    body = message.get_content()
    assert "Có yêu cầu đặt lại mật khẩu cho tài khoản doanvien" in body
    path = link_path(body, "/reset-password/")
    assert (
        client.post(path, data={"password": "matkhaumoi456", "confirm": "matkhaumoi456"}).status_code == 302
    )
    assert client.post("/login", data={"login": "doanvien", "password": PASSWORD}).status_code == 200
    assert client.post("/login", data={"login": "doanvien", "password": "matkhaumoi456"}).status_code == 302


def test_smtp_server_down_keeps_the_invitation_in_the_outbox_as_failed(client, org, login, mail_config):
    mail_config(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)  # nobody listens
    login("bithu")
    response = client.post(
        f"/units/{org.branch.id}/members/add",
        data={
            "new-full_name": "Lý Thị Hồng Nhung",
            "new-email": "nhung@example.vn",
            "new-role": "member",
            "new-send_invite": "y",
            "new-submit": "1",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Đã thêm Lý Thị Hồng Nhung" in page
    assert "Lời mời kích hoạt đã gửi" not in page
    assert "Chưa gửi được thư tới nhung@example.vn" in page
    record = db.session.scalars(select(OutboxMessage)).one()
    assert record.status is MailStatus.FAILED
    assert record.error and "ConnectionRefused" in record.error
    assert "/activate/" in record.body
    # The person exists, and the link on their page can still be passed on by hand.
    person = db.session.scalar(select(User).where(User.email == "nhung@example.vn"))
    assert "/activate/" in client.get(f"/people/{person.id}").get_data(as_text=True)


def test_smtp_server_down_during_password_reset_is_not_an_error(client, org, mail_config):
    mail_config(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    response = client.post("/forgot-password", data={"email": "duyen@example.vn"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Nếu email này đã đăng ký" in response.get_data(as_text=True)
    assert db.session.scalars(select(OutboxMessage.status)).all() == [MailStatus.FAILED]


def test_resending_an_invitation_when_smtp_fails_says_so(client, org, login, make_user, mail_config):
    person = make_user("moi", org.branch, password=None, email="moi@example.vn", full_name="Sơn Thị Mới")
    mail_config(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    login("bithu")
    response = client.post(f"/people/{person.id}/invite", follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Đã gửi lời mời" not in page
    assert "Chưa gửi được thư tới moi@example.vn" in page


def test_without_smtp_messages_are_kept_in_the_outbox(client, org, login):
    login("bithu")
    client.post(
        f"/units/{org.branch.id}/members/add",
        data={
            "new-full_name": "Lý Thị Hồng Nhung",
            "new-email": "nhung@example.vn",
            "new-role": "member",
            "new-send_invite": "y",
            "new-submit": "1",
        },
    )
    record = db.session.scalars(select(OutboxMessage)).one()
    assert record.status is MailStatus.STORED and record.sent_at is None
    assert record.recipient == "nhung@example.vn"


def test_administrator_reads_the_outbox(client, org, login):
    first = send_mail("a@example.vn", "Thư thứ nhất", "Nội dung một")
    send_mail("b@example.vn", "Thư thứ hai", "Nội dung hai\nhttp://sonhatky.test/activate/abc")
    db.session.commit()
    login("quantri")
    page = client.get("/admin/outbox/").get_data(as_text=True)
    assert "Hộp thư đi" in page and "(2)" in page
    assert page.index("Thư thứ hai") < page.index("Thư thứ nhất")  # newest first
    assert "Chưa cấu hình máy chủ thư" in page
    message = client.get(f"/admin/outbox/{first.id}")
    assert message.status_code == 200
    assert "Nội dung một" in message.get_data(as_text=True)
    assert client.get(f"/admin/outbox/{first.id + 100}").status_code == 404


def test_outbox_pages(client, org, login):
    for i in range(35):
        send_mail(f"n{i}@example.vn", f"Thư số {i:02d}", "…")
    db.session.commit()
    login("quantri")
    first = client.get("/admin/outbox/").get_data(as_text=True)
    assert "Thư số 34" in first and "Thư số 04" not in first and "Trang 1/2" in first
    second = client.get("/admin/outbox/?page=2").get_data(as_text=True)
    assert "Thư số 04" in second and "Thư số 34" not in second
    assert client.get("/admin/outbox/?page=abc").status_code == 200
    assert client.get("/admin/outbox/?page=-3").status_code == 200


@pytest.mark.parametrize("username", ["canbo", "bithu", "doanvien"])
def test_only_administrators_read_the_outbox(client, org, login, username):
    record = send_mail("a@example.vn", "Thư", "Nội dung")
    db.session.commit()
    login(username)
    assert client.get("/admin/outbox/").status_code == 403
    assert client.get(f"/admin/outbox/{record.id}").status_code == 403


def test_smtp_login_when_a_username_is_set(client, org, mail_config):
    """With MAIL_USERNAME the app authenticates before sending (AUTH over loopback here)."""
    from aiosmtpd.smtp import AuthResult, LoginPassword

    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"sonhatky",
            b"mat-khau-smtp",
        )
        logins.append((mechanism, ok))
        return AuthResult(success=ok)

    handler = Collector()
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    try:
        mail_config(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=port,
            MAIL_TIMEOUT=5,
            MAIL_USERNAME="sonhatky",
            MAIL_PASSWORD="mat-khau-smtp",
        )
        client.post("/forgot-password", data={"email": "duyen@example.vn"})
        assert [ok for _, ok in logins] == [True]
        assert [e.rcpt_tos for e in handler.envelopes] == [["duyen@example.vn"]]

        mail_config(MAIL_PASSWORD="sai")
        client.post("/forgot-password", data={"email": "duyen@example.vn"})
        statuses = db.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)).all()
        assert statuses == [MailStatus.SENT, MailStatus.FAILED]
        assert len(handler.envelopes) == 1
    finally:
        controller.stop()
