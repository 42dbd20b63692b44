"""A live server with the demo organisation, and Debian's Chromium driven by Playwright.

Browser tests run once (on SQLite, the embedded default). They are skipped, with the reason
printed, when /usr/bin/chromium or Playwright is missing (`make test` installs Chromium with
apt-get when it can).
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.core.db import db

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app on its own SQLite file, migrated and seeded with the demo, CSRF switched on."""
    from flask_migrate import upgrade

    from app.synthetic.demo.seed import seed_demo

    instance = tmp_path_factory.mktemp("live-instance")
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'live.db'}",
            "INSTANCE_PATH": str(instance),
            "UPLOAD_DIR": str(instance / "uploads"),
            "WTF_CSRF_ENABLED": True,
        },
    )
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
    server = LiveServer(app)
    # Links in emails and QR codes point where the browser can follow them: the server's own address.
    app.config["PUBLIC_BASE_URL"] = server.url
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"Chromium not found at {CHROMIUM}: browser tests skipped (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - depends on the machine
        pytest.skip("Playwright for Python is not installed: browser tests skipped")
    with sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:  # pragma: no cover - depends on the machine
            pytest.skip(f"Chromium did not start ({exc}): browser tests skipped")
        yield chromium
        chromium.close()


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}


@pytest.fixture
def new_page(browser, live_server):
    """new_page(viewport=DESKTOP) -> a page in a fresh context (own cookies), closed afterwards."""
    contexts = []

    def factory(viewport=DESKTOP, **options):
        context = browser.new_context(
            viewport=viewport,
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            base_url=live_server.url,
            **options,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("dialog", lambda dialog: dialog.accept())  # people confirm what they asked for
        page.js_errors = errors
        return page

    yield factory
    for context in contexts:
        context.close()


def login_as(page, username: str, password: str = "demo1234") -> None:
    page.goto("/login")
    page.locator("#login").fill(username)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    # Generous: some tests sign in while an export renders PDFs on the same two cores.
    page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.joinpath("screenshots").mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "screenshots" / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
