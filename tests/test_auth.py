"""Logging in and out, passwords, reset links, activation, CSRF, rate limits and cookies."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from app import create_app
from app.auth import services as auth_services
from app.auth.models import User
from app.core.db import db
from app.core.extensions import limiter
from app.core.forms import CSRF_MESSAGE
from app.mail.models import OutboxMessage
from tests.conftest import PASSWORD
from tests.helpers import html

BAD_LOGIN = "Tên đăng nhập, email hoặc mật khẩu không đúng."


def logged_in_as(client) -> str | None:
    """The username the client is logged in as, from the session's login id."""
    with client.session_transaction() as sess:
        login_id = sess.get("_user_id")
    if not login_id:
        return None
    user = db.session.get(User, int(login_id.split(".")[0]))
    return user.username if user else None


def last_link(path_prefix: str) -> str:
    """The path of the newest emailed link starting with `path_prefix` (from the outbox)."""
    message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert message is not None, "no message in the outbox"
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"\S+)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def member(make_user, make_unit):
    unit = make_unit("Chi đoàn Văn phòng")
    return make_user("doanvien", unit, full_name="Nguyễn Thị Mỹ Duyên", email="duyen@example.vn")


# ---- logging in ------------------------------------------------------------------------------


@pytest.mark.parametrize("login_name", ["doanvien", "DoanVien", "duyen@example.vn", " DUYEN@example.VN "])
def test_login_with_username_or_email(client, member, login, login_name):
    response = login(login_name)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    assert logged_in_as(client) == "doanvien"
    home = client.get("/")
    assert home.status_code == 200
    assert "Xin chào, Nguyễn Thị Mỹ Duyên" in html(home)
    assert db.session.get(User, member.id).last_login_at is not None


@pytest.mark.parametrize(
    ("login_name", "password"),
    [("doanvien", "sai-mat-khau"), ("khongco", PASSWORD), ("khongco@example.vn", PASSWORD)],
)
def test_wrong_login_shows_one_message_and_keeps_the_name(client, member, login, login_name, password):
    response = login(login_name, password)
    assert response.status_code == 200
    page = html(response)
    assert BAD_LOGIN in page
    assert f'value="{login_name}"' in page
    assert logged_in_as(client) is None


def test_a_refused_login_puts_the_cursor_on_the_field_its_error_belongs_to(client, member, login):
    fresh = html(client.get("/login"))
    assert re.search(r'<input[^>]*autofocus[^>]*id="login"|<input[^>]*id="login"[^>]*autofocus', fresh)
    page = html(login("doanvien", "sai-mat-khau"))
    # The user name no longer takes the focus; the password box is invalid and names its error,
    # and static/js/app.js puts the cursor there, so a screen reader reads the message.
    assert not re.search(r'<input[^>]*id="login"[^>]*autofocus', page)
    password = re.search(r'<input[^>]*id="password"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in password and 'aria-describedby="password-error"' in password
    assert re.search(r'id="password-error">' + re.escape(BAD_LOGIN), page)


def test_empty_login_form_says_what_is_missing(client):
    response = client.post("/login", data={"login": "", "password": ""})
    page = html(response)
    assert response.status_code == 200
    assert "Vui lòng nhập tên đăng nhập hoặc email." in page
    assert "Vui lòng nhập mật khẩu." in page


def test_passwords_are_hashed_with_argon2id(client, member):
    stored = db.session.get(User, member.id).password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_deactivated_account_cannot_log_in(client, make_user, login):
    make_user("dakhoa", active=False)
    response = login("dakhoa")
    assert BAD_LOGIN in html(response)
    assert logged_in_as(client) is None


def test_account_without_password_cannot_log_in(client, make_user, login):
    make_user("chuakichhoat", password=None)
    for password in ("", "anything"):
        response = login("chuakichhoat", password)
        assert response.status_code == 200
    assert logged_in_as(client) is None


def test_login_follows_only_same_site_next(client, member, login):
    response = client.post("/login?next=/units/", data={"login": "doanvien", "password": PASSWORD})
    assert response.headers["Location"].endswith("/units/")


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "javascript:x"],
)
def test_login_never_redirects_off_site(client, member, target):
    response = client.post(
        "/login", query_string={"next": target}, data={"login": "doanvien", "password": PASSWORD}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil" not in location and "javascript" not in location


def test_logged_in_user_visiting_login_goes_home(client, member, login):
    login("doanvien")
    response = client.get("/login")
    assert response.status_code == 302


def test_login_required_pages_send_anonymous_to_login_with_next(client):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


# ---- logging out -----------------------------------------------------------------------------


def test_logout_is_a_post(client, member, login):
    login("doanvien")
    assert client.get("/logout").status_code == 405
    assert logged_in_as(client) == "doanvien"
    response = client.post("/logout", follow_redirects=True)
    assert response.status_code == 200
    assert "Bạn đã đăng xuất khỏi mọi thiết bị." in html(response)
    assert logged_in_as(client) is None
    assert client.get("/").status_code == 302


def test_logout_when_not_logged_in_goes_to_login(client):
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")


# ---- cookies and sessions --------------------------------------------------------------------


def test_session_cookie_is_httponly_and_samesite_lax(client, member, login):
    response = login("doanvien")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("sonhatky_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in testing and on an intranet without TLS


def test_remember_me_cookie_is_httponly_and_samesite_lax(client, member):
    response = client.post("/login", data={"login": "doanvien", "password": PASSWORD, "remember": "y"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("sonhatky_remember="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure_and_https_is_required(tmp_path):
    prod = create_app(
        "production",
        {
            "SECRET_KEY": "x" * 48,
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "PUBLIC_BASE_URL": "https://sonhatky.example",
        },
    )
    response = prod.test_client().get("/login", base_url="https://sonhatky.example")
    assert response.status_code == 200
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("sonhatky_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert 'name="csrf_token"' in response.get_data(as_text=True)  # CSRF is on outside tests


def test_pages_with_personal_data_are_not_cached(client, member, login):
    login("doanvien")
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_a_session_from_an_older_password_is_ended(client, member, login):
    login("doanvien")
    user = db.session.get(User, member.id)
    user.session_version += 1
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_session_older_than_twelve_hours_is_ended(client, member, login):
    login("doanvien")
    with client.session_transaction() as sess:
        sess["login_at"] = time.time() - 13 * 3600
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("login_id", ["abc", "1", "1.x", "", "999999.1"])
def test_forged_login_ids_are_anonymous(client, member, login_id):
    with client.session_transaction() as sess:
        sess["_user_id"] = login_id
        sess["_fresh"] = True
    assert client.get("/").status_code == 302


# ---- changing the password -------------------------------------------------------------------


def test_change_password_ends_other_sessions(app, client, member, login):
    other_device = app.test_client()
    other_device.post("/login", data={"login": "doanvien", "password": PASSWORD})
    assert other_device.get("/").status_code == 200

    login("doanvien")
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "matkhaumoi456", "confirm": "matkhaumoi456"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Đã đổi mật khẩu." in html(response)
    # This device stays logged in, the other one is out.
    assert client.get("/").status_code == 200
    assert other_device.get("/").status_code == 302
    # The new password works, the old one does not.
    fresh = app.test_client()
    assert fresh.post("/login", data={"login": "doanvien", "password": PASSWORD}).status_code == 200
    assert fresh.post("/login", data={"login": "doanvien", "password": "matkhaumoi456"}).status_code == 302


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        (
            {"current_password": "sai", "password": "matkhaumoi456", "confirm": "matkhaumoi456"},
            "Mật khẩu hiện tại không đúng.",
        ),
        (
            {"current_password": PASSWORD, "password": "ngan", "confirm": "ngan"},
            "Mật khẩu cần từ 8 đến 200 ký tự.",
        ),
        (
            {"current_password": PASSWORD, "password": "matkhaumoi456", "confirm": "matkhaukhac456"},
            "Hai lần nhập mật khẩu không khớp nhau.",
        ),
        (
            {"current_password": PASSWORD, "password": "x" * 201, "confirm": "x" * 201},
            "Mật khẩu cần từ 8 đến 200 ký tự.",
        ),
        ({"current_password": "", "password": "", "confirm": ""}, "Vui lòng nhập mật khẩu hiện tại."),
    ],
)
def test_change_password_refusals_are_next_to_the_field(client, member, login, data, field_message):
    login("doanvien")
    before = db.session.get(User, member.id).password_hash
    response = client.post("/account/password", data=data)
    assert response.status_code == 200
    assert field_message in html(response)
    db.session.expire_all()
    assert db.session.get(User, member.id).password_hash == before


# ---- forgotten password ----------------------------------------------------------------------


def test_reset_password_through_the_emailed_link_works_once(client, member, login):
    response = client.post("/forgot-password", data={"email": "Duyen@Example.vn"}, follow_redirects=True)
    assert "Nếu email này đã đăng ký" in html(response)
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.recipient == "duyen@example.vn"
    assert message.subject == "Đặt lại mật khẩu Sổ nhật ký làm theo lời Bác"
    link = last_link("/reset-password/")

    page = client.get(link)
    assert page.status_code == 200 and "Đặt mật khẩu mới" in html(page)
    response = client.post(
        link, data={"password": "matkhaumoi456", "confirm": "matkhaumoi456"}, follow_redirects=True
    )
    assert "Đã đặt mật khẩu mới. Hãy đăng nhập." in html(response)

    again = client.get(link)
    assert again.status_code == 400
    assert "Liên kết không còn hiệu lực" in html(again)
    assert client.post(link, data={"password": "khac123456", "confirm": "khac123456"}).status_code == 400

    assert login("doanvien", PASSWORD).status_code == 200
    assert login("doanvien", "matkhaumoi456").status_code == 302


def test_reset_link_ends_sessions_of_the_old_password(app, client, member):
    other_device = app.test_client()
    other_device.post("/login", data={"login": "doanvien", "password": PASSWORD})
    token = auth_services.make_token(member, auth_services.PURPOSE_RESET)
    client.post(f"/reset-password/{token}", data={"password": "matkhaumoi456", "confirm": "matkhaumoi456"})
    assert other_device.get("/").status_code == 302


def test_forgot_password_answers_the_same_for_unknown_email(client, member):
    known = client.post("/forgot-password", data={"email": "duyen@example.vn"}, follow_redirects=True)
    unknown = client.post("/forgot-password", data={"email": "ai@example.vn"}, follow_redirects=True)
    name_only = client.post("/forgot-password", data={"email": "doanvien"}, follow_redirects=True)
    for response in (known, unknown, name_only):
        assert response.status_code == 200
        assert "Nếu email này đã đăng ký" in html(response)
    recipients = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert recipients == ["duyen@example.vn"]


def test_no_reset_link_for_a_deactivated_account(client, make_user):
    make_user("dakhoa", email="khoa@example.vn", active=False)
    client.post("/forgot-password", data={"email": "khoa@example.vn"})
    assert db.session.scalars(select(OutboxMessage)).all() == []


@pytest.mark.clock
def test_expired_reset_link_is_refused(client, member, clock):
    token = auth_services.make_token(member, auth_services.PURPOSE_RESET)
    clock.shift(3601)  # the link lives an hour
    response = client.get(f"/reset-password/{token}")
    assert response.status_code == 400
    assert "Liên kết không còn hiệu lực" in html(response)


@pytest.mark.parametrize("token", ["abc", "x" * 500, "eyJ1aWQiOjF9.AAAA.BBBB"])
def test_forged_reset_links_are_refused(client, member, token):
    assert client.get(f"/reset-password/{token}").status_code == 400


def test_an_invitation_link_is_not_a_reset_link(client, member):
    token = auth_services.make_token(member, auth_services.PURPOSE_INVITE)
    assert client.get(f"/reset-password/{token}").status_code == 400


# ---- activation ------------------------------------------------------------------------------


def test_activate_an_invited_account(client, make_user, make_unit):
    unit = make_unit("Chi đoàn Văn phòng")
    person = make_user("moi", unit, password=None, full_name="Sơn Thị Mới", email="moi@example.vn")
    token = auth_services.make_token(person, auth_services.PURPOSE_INVITE)

    page = client.get(f"/activate/{token}")
    assert page.status_code == 200
    assert "Kích hoạt tài khoản" in html(page) and "Sơn Thị Mới" in html(page)
    response = client.post(
        f"/activate/{token}", data={"password": "matkhaumoi456", "confirm": "matkhaumoi456"}
    )
    assert response.status_code == 302
    assert logged_in_as(client) == "moi"
    person = db.session.get(User, person.id)
    assert person.activated_at is not None and person.password_hash.startswith("$argon2id$")

    client.post("/logout")
    assert client.get(f"/activate/{token}").status_code == 400
    assert (
        client.post("/login", data={"login": "moi@example.vn", "password": "matkhaumoi456"}).status_code
        == 302
    )


def test_activation_form_errors_are_vietnamese(client, make_user):
    person = make_user("moi", password=None)
    token = auth_services.make_token(person, auth_services.PURPOSE_INVITE)
    response = client.post(f"/activate/{token}", data={"password": "abc", "confirm": "abd"})
    assert response.status_code == 200
    assert "Mật khẩu cần từ 8 đến 200 ký tự." in html(response)
    assert "Hai lần nhập mật khẩu không khớp nhau." in html(response)
    assert db.session.get(User, person.id).password_hash is None


def test_activation_link_of_a_deactivated_account_is_refused(client, make_user):
    person = make_user("moi", password=None, active=False)
    token = auth_services.make_token(person, auth_services.PURPOSE_INVITE)
    assert client.get(f"/activate/{token}").status_code == 400


# ---- CSRF ------------------------------------------------------------------------------------


@pytest.fixture
def csrf_enabled(app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_login_without_csrf_token_is_refused_and_keeps_what_was_typed(client, member, csrf_enabled):
    response = client.post("/login", data={"login": "doanvien", "password": PASSWORD})
    assert response.status_code == 200
    page = html(response)
    assert CSRF_MESSAGE in page
    assert 'value="doanvien"' in page
    assert logged_in_as(client) is None


def test_form_with_csrf_token_posts(client, member, csrf_enabled):
    page = html(client.get("/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"login": "doanvien", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert logged_in_as(client) == "doanvien"


def test_pages_loaded_at_once_after_sign_in_share_one_form_token(app, client, member, csrf_enabled):
    """A phone loads several pages at once after signing in (the page, the copies the offline
    worker keeps): each answer sets the session cookie and the last one wins. The form token is
    made at sign-in, so a form from any of those pages still posts ("Phiên làm việc đã hết hạn"
    otherwise, seen once from a phone resubmitting an entry)."""
    token_in = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
    token = token_in.search(html(client.get("/login"))).group(1)
    client.post("/login", data={"login": "doanvien", "password": PASSWORD, "csrf_token": token})
    cookie = next(c for c in client._cookies.values() if c.key == app.config["SESSION_COOKIE_NAME"])
    signed_in = cookie.value
    form_token = token_in.search(html(client.get("/notifications/settings"))).group(1)
    # Another page asked at the same moment, with the cookie of the sign-in, answers last.
    client.set_cookie(cookie.key, signed_in, domain=cookie.domain, path=cookie.path)
    client.get("/notifications/settings")
    response = client.post("/notifications/settings", data={"channel": "app", "csrf_token": form_token})
    assert response.status_code == 302, html(response)


def test_logout_without_csrf_token_does_not_log_out(client, member, login, csrf_enabled):
    page = html(client.get("/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"login": "doanvien", "password": PASSWORD, "csrf_token": token})
    client.post("/logout")
    assert logged_in_as(client) == "doanvien"


def test_add_member_without_csrf_token_keeps_the_typed_values(client, org, login, csrf_enabled):
    page = html(client.get("/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"login": "bithu", "password": PASSWORD, "csrf_token": token})
    response = client.post(
        f"/units/{org.branch.id}/members/add",
        data={
            "new-full_name": "Lý Thị Hồng Nhung",
            "new-email": "nhung@example.vn",
            "new-position": "Kế toán",
            "new-role": "member",
            "new-submit": "1",
        },
    )
    assert response.status_code == 200
    page = html(response)
    assert CSRF_MESSAGE in page
    assert 'value="Lý Thị Hồng Nhung"' in page and 'value="nhung@example.vn"' in page
    assert 'value="Kế toán"' in page
    assert db.session.scalar(select(User).where(User.email == "nhung@example.vn")) is None


# ---- rate limits -----------------------------------------------------------------------------


@pytest.fixture
def limited_app(tmp_path, migrated_sqlite):
    """A separate app with rate limits on (the shared Limiter is restored afterwards)."""
    was_enabled = limiter.enabled
    limited = create_app(
        "testing",
        {
            "RATELIMIT_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{migrated_sqlite(tmp_path / 'limited.db')}",
            "INSTANCE_PATH": str(tmp_path),
            "LOGIN_LIMIT_PER_ACCOUNT": "3 per 5 minutes",
            "LOGIN_LIMIT_PER_IP": "6 per 5 minutes",
        },
    )
    with limited.app_context():
        for username in ("doanvien", "bithu"):
            user = User(username=username, password_hash=auth_services.hash_password(PASSWORD))
            user.set_name(username)
            db.session.add(user)
        db.session.commit()
        db.session.remove()
    try:
        yield limited
    finally:
        limiter.reset()
        limiter.enabled = was_enabled
        with limited.app_context():
            db.engine.dispose()


def test_failed_logins_are_limited_per_account(limited_app):
    client = limited_app.test_client()
    for _ in range(3):
        assert client.post("/login", data={"login": "doanvien", "password": "sai"}).status_code == 200
    blocked = client.post("/login", data={"login": "DoanVien", "password": PASSWORD})
    assert blocked.status_code == 429
    page = html(blocked)
    assert "Quá nhiều lần thử" in page and 'lang="vi"' in page
    # Another account from the same address may still log in.
    assert client.post("/login", data={"login": "bithu", "password": PASSWORD}).status_code == 302


def test_successful_logins_do_not_use_up_the_account_limit(limited_app):
    for _ in range(4):
        client = limited_app.test_client()
        assert client.post("/login", data={"login": "doanvien", "password": PASSWORD}).status_code == 302


def test_logins_are_limited_per_address(limited_app):
    client = limited_app.test_client()
    statuses = [
        client.post("/login", data={"login": f"khongco{i}", "password": "sai"}).status_code for i in range(7)
    ]
    assert statuses == [200] * 6 + [429]


def test_rate_limits_of_one_app_do_not_leak_into_another(limited_app, client, member):
    """The Limiter object is shared by every app of the process; each app's setting decides."""
    for i in range(25):
        assert client.post("/login", data={"login": f"doanvien{i % 2}", "password": "sai"}).status_code == 200


@pytest.mark.parametrize(
    ("action", "check"),
    [
        ("deactivate", lambda org: db.session.get(User, org.member.id).is_active),
        ("invite", lambda org: db.session.scalars(select(OutboxMessage)).all() == []),
        ("remove", lambda org: len(db.session.get(User, org.member.id).memberships) == 1),
        ("role", lambda org: db.session.get(User, org.member.id).memberships[0].role.value == "member"),
        ("move", lambda org: db.session.get(type(org.branch), org.branch.id).parent_id == org.grassroots.id),
        ("edit", lambda org: db.session.get(User, org.member.id).full_name == "Nguyễn Thị Mỹ Duyên"),
        ("unit", lambda org: db.session.get(type(org.branch), org.branch.id).name == "Chi đoàn Văn phòng"),
    ],
)
def test_every_action_needs_the_csrf_token(client, org, login, make_user, csrf_enabled, action, check):
    """Logged in before the check was switched on; every state-changing POST is then refused."""
    app = client.application
    app.config["WTF_CSRF_ENABLED"] = False
    login("quantri")
    app.config["WTF_CSRF_ENABLED"] = True
    newcomer = make_user("moi", org.branch, password=None, email="moi@example.vn")
    membership_id = db.session.get(User, org.member.id).memberships[0].id
    url, data = {
        "deactivate": (f"/people/{org.member.id}/deactivate", {}),
        "invite": (f"/people/{newcomer.id}/invite", {}),
        "remove": (f"/memberships/{membership_id}/remove", {}),
        "role": (f"/memberships/{membership_id}/role", {"role": "deputy_secretary"}),
        "move": (f"/units/{org.branch.id}/move", {"parent_id": org.grassroots_other.id}),
        "edit": (f"/people/{org.member.id}/edit", {"full_name": "Tên Bị Đổi"}),
        "unit": (f"/units/{org.branch.id}/edit", {"name": "Tên Bị Đổi", "code": "CDA", "kind": "branch"}),
    }[action]
    response = client.post(url, data=data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert CSRF_MESSAGE in html(response)
        if data.get("full_name") or data.get("name"):
            assert 'value="Tên Bị Đổi"' in html(response)  # what was typed is still there
    db.session.expire_all()
    assert check(org)


@pytest.mark.parametrize(
    ("login_name", "password"),
    [
        ("doan\x00vien", "x"),
        ("doanvien", "mat\x00khau"),
        ("\x1b[31m", "x"),
        ("x" * 300, "x"),
        ("doanvien", "x" * 300),
        ("'; DROP TABLE users; --", "x"),
        ("a@b@c", "x"),
    ],
)
def test_odd_login_input_is_never_an_error(client, member, login_name, password):
    response = client.post("/login", data={"login": login_name, "password": password})
    assert response.status_code in (200, 302)
    if len(login_name) > 254:
        assert "Tối đa 254 ký tự (hiện có 300)." in html(response)
    if len(password) > 200:
        assert "Tối đa 200 ký tự (hiện có 300)." in html(response)


@pytest.mark.parametrize("email", ["duyen\x00@example.vn", "x" * 300, "\x07", "a@b@c"])
def test_odd_forgot_password_input_is_never_an_error(client, member, email):
    response = client.post("/forgot-password", data={"email": email})
    assert response.status_code in (200, 302)


def test_logging_out_ends_the_sessions_on_other_devices(app, org):
    phone, laptop = app.test_client(), app.test_client()
    for device in (phone, laptop):
        assert device.post("/login", data={"login": "doanvien", "password": PASSWORD}).status_code == 302
    assert laptop.get("/").status_code == 200
    response = phone.post("/logout", follow_redirects=True)
    assert "Bạn đã đăng xuất khỏi mọi thiết bị." in response.get_data(as_text=True)
    # The laptop's session was ended on the server.
    assert laptop.get("/").status_code == 302
