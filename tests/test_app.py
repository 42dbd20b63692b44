"""The app starts, answers its health check and speaks Vietnamese on every error page."""

from __future__ import annotations

import pytest

from app import create_app
from tests.helpers import statements_run


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_of_a_signed_in_user_reads_the_user_once(client, org, login):
    """The check commits nothing: a commit would expire the signed-in user and the response's
    headers would read them from the database a second time, on every probe."""
    from app.core.db import db

    login("doanvien")
    db.session.remove()  # the test's app context keeps one session; a real request starts afresh
    with statements_run(db.engine) as statements:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["database"] == "ok"
    users = [s for s in statements if "FROM users" in s]
    assert len(users) == 1, statements
    assert len(statements) == 2, statements


def test_a_page_that_commits_does_not_read_the_signed_in_user_again_for_its_headers(
    migrated_sqlite, tmp_path
):
    """A commit expires the signed-in user; the response's Cache-Control (no-store for a signed-in
    user) is chosen without reading them from the database a second time."""
    from app.auth.models import User
    from app.auth.services import hash_password
    from app.core.db import db

    database = migrated_sqlite(tmp_path / "app.db")
    fresh = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "INSTANCE_PATH": str(tmp_path)}
    )

    @fresh.route("/_saves")
    def saves():
        db.session.commit()  # as a page that logs a read or saves a form
        return "ok"

    with fresh.app_context():
        user = User(username="hoa", is_active=True, password_hash=hash_password("matkhau123"))
        user.set_name("Lê Thị Hoa")
        db.session.add(user)
        db.session.commit()
        client = fresh.test_client()
        assert client.post("/login", data={"login": "hoa", "password": "matkhau123"}).status_code == 302
        db.session.remove()
        with statements_run(db.engine) as statements:
            response = client.get("/_saves")
        db.engine.dispose()
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert len([s for s in statements if "FROM users" in s]) == 1, statements


def test_healthz_says_503_when_the_database_cannot_be_opened(tmp_path):
    missing = tmp_path / "no-such-folder" / "app.db"
    fresh = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}", "INSTANCE_PATH": str(tmp_path)}
    )
    response = fresh.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}


def test_login_page_is_vietnamese_and_served_without_internet(client):
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'lang="vi"' in html and "Đăng nhập" in html and "Tên đăng nhập hoặc email" in html
    assert "cdn" not in html.lower() and "https://" not in html


def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("path", "method", "status", "text"),
    [
        ("/khong-co-trang-nay", "get", 404, "Không tìm thấy trang"),
        ("/logout", "get", 405, "Phương thức không được hỗ trợ"),
    ],
)
def test_error_pages_are_vietnamese(client, path, method, status, text):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert text in response.get_data(as_text=True)


def test_unexpected_error_gives_vietnamese_500(tmp_path):
    fresh = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_PATH": str(tmp_path)})

    @fresh.route("/_boom")
    def boom():
        raise RuntimeError("boom")

    response = fresh.test_client().get("/_boom")
    assert response.status_code == 500
    assert "Lỗi hệ thống" in response.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch, tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", {"SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path)})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", {"SECRET_KEY": "short", "INSTANCE_PATH": str(tmp_path)})


def test_production_has_secure_cookies_and_no_demo(tmp_path):
    prod = create_app(
        "production",
        {
            "SECRET_KEY": "x" * 48,
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "PUBLIC_BASE_URL": "https://sonhatky.example",
        },
    )
    assert prod.config["SESSION_COOKIE_SECURE"] and prod.config["REMEMBER_COOKIE_SECURE"]
    assert prod.config["SESSION_COOKIE_HTTPONLY"] and prod.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    result = prod.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "production" in result.output


def test_development_generates_and_keeps_a_secret_key(tmp_path):
    first = create_app("development", {"SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path)})
    second = create_app("development", {"SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path)})
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").exists()


def test_behind_a_trusted_proxy_the_client_address_is_the_real_one(tmp_path):
    from flask import request

    proxied = create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_PATH": str(tmp_path), "TRUSTED_PROXIES": 1},
    )

    @proxied.route("/_ip")
    def ip():
        return request.remote_addr

    response = proxied.test_client().get("/_ip", headers={"X-Forwarded-For": "203.0.113.7"})
    assert response.get_data(as_text=True) == "203.0.113.7"
