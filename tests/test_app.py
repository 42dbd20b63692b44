"""The app starts, answers its health check and speaks Vietnamese on every error page."""

from __future__ import annotations

import pytest

from app import create_app


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


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
