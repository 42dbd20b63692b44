"""Bulk exports (app/jobs): the ZIP, progress, failures, expiry, privacy, and a real consumer.

Most tests run with Huey's immediate mode (TestingConfig.HUEY_IMMEDIATE): the task runs in the
test, in an app context of its own. `test_a_real_consumer_does_the_work_outside_the_request`
runs `flask worker` as a separate process against a real SQLite queue file, and the request
that starts the export returns before any of the work is done.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.core import queue
from app.core.db import db, utcnow
from app.core.enums import Role, UnitKind
from app.jobs import documents, services, tasks
from app.jobs.models import ExportFailure, ExportJob, ExportScope, JobStatus
from tests.conftest import worker_process

YEAR = 2026
# org.branch's diary keepers, as services.branch_members orders them (Vietnamese order, by given
# name: Bảo, Duyên, Đạt, Lan).
BRANCH_FILES = [
    "01_Trần_Quốc_Bảo_2026.pdf",
    "02_Nguyễn_Thị_Mỹ_Duyên_2026.pdf",
    "03_Đặng_Văn_Đạt_2026.pdf",
    "04_Võ_Thị_Lan_2026.pdf",
]
GOLDEN = "Sổ_vàng_Chi_đoàn_Văn_phòng_2026.pdf"


@pytest.fixture
def fake_pdfs(monkeypatch):
    """Stand-ins for app/export's renderer: quick 'PDFs' that name whom they are for.

    Returns the list of calls; `fail_for` names members whose book raises.
    """

    class Calls(list):
        fail_for: set[str] = set()

    calls = Calls()

    def book(member, branch, year, actor, source):
        calls.append(("book", member.username, branch.code, actor.username if actor else None, source))
        if member.username in calls.fail_for:
            raise RuntimeError("the renderer broke")
        return f"%PDF-1.7 sổ của {member.full_name} {year}".encode()

    @documents.summary("Sổ vàng")
    def golden(branch, year, actor, source):
        calls.append(("golden", branch.code))
        return f"%PDF-1.7 sổ vàng {branch.name}".encode()

    monkeypatch.setattr(documents, "member_book", book)
    monkeypatch.setattr(documents, "SUMMARY_DOCUMENTS", [golden])
    return calls


def start(client, unit, year=YEAR, follow=False):
    return client.post(f"/units/{unit.id}/exports", data={"year": str(year)}, follow_redirects=follow)


def only_job() -> ExportJob:
    db.session.expire_all()
    return db.session.scalars(select(ExportJob)).one()


def read_zip(response_or_bytes) -> zipfile.ZipFile:
    data = response_or_bytes if isinstance(response_or_bytes, bytes) else response_or_bytes.get_data()
    return zipfile.ZipFile(io.BytesIO(data))


# ---- the ZIP ------------------------------------------------------------------------------------------


def test_branch_export_gives_one_pdf_per_member_and_the_golden_book(client, org, login, fake_pdfs):
    login("bithu")
    response = start(client, org.branch)
    job = only_job()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/exports/{job.id}")
    assert job.status is JobStatus.DONE
    assert (job.members_done, job.members_total, job.documents_count) == (4, 4, 5)
    assert job.requested_by_id == org.secretary.id and job.expires_at > utcnow() + timedelta(hours=47)

    page = client.get(f"/exports/{job.id}").get_data(as_text=True)
    assert "Đã xuất xong 5 tệp PDF" in page and "Tải tệp ZIP" in page

    download = client.get(f"/exports/{job.id}/download")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert (
        "filename*=UTF-8''S%E1%BB%95_nh%E1%BA%ADt_k%C3%BD_Chi_%C4%91o%C3%A0n_V%C4%83n_ph%C3%B2ng_2026.zip"
        in (download.headers["Content-Disposition"])
    )
    archive = read_zip(download)
    assert archive.namelist() == [*BRANCH_FILES, GOLDEN]
    for info in archive.infolist():
        # Vietnamese names are stored as UTF-8 with the flag that tells Windows Explorer so.
        assert info.flag_bits & 0x800, info.filename
        assert archive.read(info).startswith(b"%PDF")
        # A PDF's streams are deflated already: it is stored as it is, not compressed twice.
        assert info.compress_type == zipfile.ZIP_STORED, info.filename
    assert "Nguyễn Thị Mỹ Duyên" in archive.read("02_Nguyễn_Thị_Mỹ_Duyên_2026.pdf").decode()
    # The requester is who the documents are made for, and the register hears it came from a job.
    assert {c[3:] for c in fake_pdfs if c[0] == "book"} == {("bithu", "job")}


def test_an_officer_exports_every_branch_under_a_unit_in_folders(client, org, login, fake_pdfs, make_user):
    make_user("yte1", org.branch_other, full_name="Lê Văn Tâm")
    login("canbo")
    start(client, org.grassroots)
    job = only_job()
    assert job.status is JobStatus.DONE and job.scope.value == "subtree"
    names = read_zip(client.get(f"/exports/{job.id}/download")).namelist()
    # Đoàn cơ sở Sở Giáo dục has two branches (one without members); the other Đoàn cơ sở is not in it.
    assert names == [
        f"01_Chi_đoàn_Phòng_Trung_học/Sổ_vàng_Chi_đoàn_Phòng_Trung_học_{YEAR}.pdf",
        *[f"02_Chi_đoàn_Văn_phòng/{name}" for name in [*BRANCH_FILES, GOLDEN]],
    ]
    assert not any("Tâm" in n for n in names)


def test_file_names_are_safe_on_windows_and_tell_namesakes_apart():
    assert services.safe_name('Nguyễn Văn "An" / Tổ 3: A*B?') == "Nguyễn_Văn_An_Tổ_3_A_B"
    assert services.safe_name("  Lê   Thị\tHoa. ") == "Lê_Thị_Hoa"
    assert services.safe_name("con") == "_con" and services.safe_name("") == "khong_ten"
    # NFD (as typed on a Mac) is stored NFC, so the same name is the same file name.
    assert services.safe_name("Nguye\u0302\u0303n") == "Nguyễn"
    assert services.member_file_name(7, 2, "Nguyễn Văn An", 2026) == "07_Nguyễn_Văn_An_2026.pdf"
    assert services.member_file_name(7, 3, "Nguyễn Văn An", 2026) == "007_Nguyễn_Văn_An_2026.pdf"


def test_the_command_line_makes_the_same_zip_as_the_page(app, client, org, login, fake_pdfs, tmp_path):
    login("bithu")
    start(client, org.branch)
    from_page = read_zip(client.get(f"/exports/{only_job().id}/download"))
    output = tmp_path / "lưu trữ" / "CDA-2026.zip"
    result = app.test_cli_runner().invoke(args=["export-unit", "CDA", str(YEAR), str(output)])
    assert result.exit_code == 0, result.output
    assert "Đã ghi" in result.output and "4 thành viên" in result.output
    from_cli = zipfile.ZipFile(output)
    assert from_cli.namelist() == from_page.namelist()
    assert fake_pdfs[-1] == ("golden", "CDA") and ("book", "doanvien", "CDA", None, "cli") in fake_pdfs


def test_the_command_line_reports_a_failure_and_still_writes_the_rest(app, org, fake_pdfs, tmp_path):
    fake_pdfs.fail_for = {"doanvien"}
    output = tmp_path / "out.zip"
    result = app.test_cli_runner().invoke(args=["export-unit", "CDA", str(YEAR), str(output)])
    assert result.exit_code == 1
    assert "Không xuất được Nguyễn Thị Mỹ Duyên" in result.output
    assert len([n for n in zipfile.ZipFile(output).namelist() if n.endswith(".pdf")]) == 4
    unknown = app.test_cli_runner().invoke(args=["export-unit", "KHONGCO", str(YEAR), str(output)])
    assert unknown.exit_code != 0 and "Không có đơn vị mã KHONGCO" in unknown.output


# ---- progress and failures ------------------------------------------------------------------------------


def test_progress_counts_members_as_the_worker_goes(app, client, org, login, monkeypatch, fake_pdfs):
    """While each book is being made, the JSON the page polls says how many are done so far."""
    login("bithu")
    seen = []
    real_book = documents.member_book

    def watching_book(member, branch, year, actor, source):
        seen.append(client.get(f"/exports/{job_id}/progress").get_json())
        return real_book(member, branch, year, actor, source)

    monkeypatch.setattr(documents, "member_book", watching_book)
    monkeypatch.setattr(services, "enqueue", lambda job: True)  # record the job; it is run below
    start(client, org.branch)
    job_id = only_job().id
    queued = client.get(f"/exports/{job_id}/progress").get_json()
    assert queued["status"] == "queued" and queued["done"] == 0 and queued["total"] == 4
    assert not queued["finished"]

    services.run_export(job_id)

    assert [(s["done"], s["total"], s["status"]) for s in seen] == [(n, 4, "running") for n in range(4)]
    assert [s["percent"] for s in seen] == [0, 25, 50, 75]
    assert seen[1]["stage"] == "Đang tạo sổ của Nguyễn Thị Mỹ Duyên (2/4)"
    done = client.get(f"/exports/{job_id}/progress").get_json()
    assert (done["done"], done["total"], done["percent"], done["finished"]) == (4, 4, 100, True)
    # A finished job's page polls no more.
    assert b"data-progress-url" not in client.get(f"/exports/{job_id}").data


def test_a_running_job_shows_a_progress_bar_for_the_script(client, org, login):
    job = ExportJob(
        requested_by=org.secretary,
        unit=org.branch,
        year=YEAR,
        scope=ExportScope.BRANCH,
        status=JobStatus.RUNNING,
        members_total=12,
        members_done=5,
        stage="Đang tạo sổ của A (6/12)",
    )
    db.session.add(job)
    db.session.commit()
    login("bithu")
    html = client.get(f"/exports/{job.id}").get_data(as_text=True)
    assert f'data-progress-url="/exports/{job.id}/progress"' in html
    assert 'max="12" value="5"' in html and "5/12" in html and "Đang tạo sổ của A (6/12)" in html
    assert '<script src="/static/js/jobs.js">' in html and "<script>" not in html
    listing = client.get("/exports").get_data(as_text=True)
    assert "data-progress-url" in listing and "Đang xuất" in listing


def test_a_failing_member_is_reported_and_the_others_are_exported(client, org, login, fake_pdfs):
    fake_pdfs.fail_for = {"doanvien"}
    login("bithu")
    start(client, org.branch)
    job = only_job()
    assert job.status is JobStatus.DONE and job.members_done == 4 and job.documents_count == 4
    [failure] = job.failures
    assert failure.member_id == org.member.id and failure.subject == "Nguyễn Thị Mỹ Duyên"
    assert failure.reason.startswith("Lỗi khi tạo tệp PDF")

    page = client.get(f"/exports/{job.id}").get_data(as_text=True)
    assert "Không xuất được (1)" in page and "Nguyễn Thị Mỹ Duyên" in page and "Lỗi khi tạo tệp PDF" in page
    archive = read_zip(client.get(f"/exports/{job.id}/download"))
    names = archive.namelist()
    assert "02_Nguyễn_Thị_Mỹ_Duyên_2026.pdf" not in names
    assert [n for n in names if n.endswith(".pdf")] == [
        BRANCH_FILES[0],
        BRANCH_FILES[2],
        BRANCH_FILES[3],
        GOLDEN,
    ]
    report = archive.read(services.FAILURES_FILE).decode("utf-8-sig")
    assert "Nguyễn Thị Mỹ Duyên: Lỗi khi tạo tệp PDF" in report
    assert archive.getinfo(services.FAILURES_FILE).compress_type == zipfile.ZIP_DEFLATED


def test_a_failing_summary_document_is_reported_too(client, org, login, fake_pdfs, monkeypatch):
    @documents.summary("Danh sách xếp loại")
    def broken(branch, year, actor, source):
        raise ValueError("no meeting yet")

    monkeypatch.setattr(documents, "SUMMARY_DOCUMENTS", [*documents.SUMMARY_DOCUMENTS, broken])
    login("bithu")
    start(client, org.branch)
    job = only_job()
    assert job.status is JobStatus.DONE and job.documents_count == 5
    assert [f.subject for f in job.failures] == ["Danh sách xếp loại – Chi đoàn Văn phòng"]


def test_starting_twice_returns_the_running_export(client, org, login, app, monkeypatch):
    monkeypatch.setattr(services, "enqueue", lambda job: True)  # nobody works the queue
    login("bithu")
    first = start(client, org.branch)
    second = start(client, org.branch, follow=True)
    assert first.headers["Location"].endswith(f"/exports/{only_job().id}")
    assert "đang chạy" in second.get_data(as_text=True)
    assert db.session.scalar(select(sa.func.count()).select_from(ExportJob)) == 1


def test_a_bad_year_is_said_next_to_the_field(client, org, login):
    login("bithu")
    response = client.post(f"/units/{org.branch.id}/exports", data={"year": "1990"})
    assert response.status_code == 200
    assert "Vui lòng chọn một mục trong danh sách." in response.get_data(as_text=True)
    assert db.session.scalar(select(sa.func.count()).select_from(ExportJob)) == 0


def test_a_unit_without_branches_cannot_be_exported(client, org, login, make_unit):
    empty = make_unit("Liên chi đoàn Mới", UnitKind.JOINT_BRANCH, org.grassroots, code="LCD")
    login("canbo")
    response = client.post(f"/units/{empty.id}/exports", data={"year": str(YEAR)})
    assert "chưa có chi đoàn (chi bộ) nào" in response.get_data(as_text=True)


def test_an_unreachable_queue_is_said_on_the_page_not_a_500(app, client, org, login):
    saved = dict(app.config)
    app.config.update(HUEY_IMMEDIATE=False, HUEY_URL="redis://127.0.0.1:9/0")  # nothing listens there
    try:
        login("bithu")
        response = start(client, org.branch, follow=True)
    finally:
        app.config.update(HUEY_IMMEDIATE=saved["HUEY_IMMEDIATE"], HUEY_URL=saved["HUEY_URL"])
    assert response.status_code == 200
    assert "hàng đợi xử lý không trả lời" in response.get_data(as_text=True)
    job = only_job()
    assert job.status is JobStatus.FAILED and "hàng đợi" in job.error


# ---- expiry --------------------------------------------------------------------------------------------


@pytest.mark.clock
def test_expired_files_are_deleted_by_the_periodic_task_and_on_access(app, client, org, login, fake_pdfs):
    login("bithu")
    start(client, org.branch)
    start(client, org.branch, year=YEAR - 1)
    db.session.expire_all()
    old, recent = db.session.scalars(select(ExportJob).order_by(ExportJob.id)).all()
    folder = services.export_dir()
    old_file, recent_file = folder / old.result_path, folder / recent.result_path
    assert old_file.is_file() and recent_file.is_file()
    orphan = folder / "export-999-dead.zip.part"  # left by a worker that died
    orphan.write_bytes(b"half")
    os.utime(orphan, (time.time() - 49 * 3600,) * 2)

    old.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    tasks.remove_expired_exports.call_local()  # what the consumer's scheduler runs every 10 minutes
    db.session.expire_all()
    assert old.status is JobStatus.EXPIRED and old.result_path is None and not old_file.exists()
    assert recent.status is JobStatus.DONE and recent_file.is_file()
    assert not orphan.exists()

    response = client.get(f"/exports/{old.id}/download", follow_redirects=True)
    assert "Tệp đã hết hạn và đã bị xóa" in response.get_data(as_text=True)
    assert "hết hạn" in client.get(f"/exports/{old.id}").get_data(as_text=True)

    # On access: a file past its time is gone as soon as someone asks for it.
    recent.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/exports/{recent.id}/download").status_code == 302
    assert not recent_file.exists()
    db.session.expire_all()
    assert recent.status is JobStatus.EXPIRED


@pytest.mark.clock
def test_the_time_to_keep_follows_the_setting(app, client, org, login, fake_pdfs):
    app.config["EXPORT_TTL_HOURS"] = 2
    try:
        login("bithu")
        start(client, org.branch)
    finally:
        app.config["EXPORT_TTL_HOURS"] = 48
    job = only_job()
    assert timedelta(hours=1, minutes=59) < job.expires_at - job.finished_at <= timedelta(hours=2)


@pytest.mark.clock
def test_a_job_whose_worker_died_is_closed(org):
    job = ExportJob(
        requested_by=org.secretary,
        unit=org.branch,
        year=YEAR,
        scope=ExportScope.BRANCH,
        status=JobStatus.RUNNING,
        updated_at=utcnow() - timedelta(hours=1),
    )
    db.session.add(job)
    db.session.commit()
    assert services.fail_stalled() == 1
    assert job.status is JobStatus.FAILED and "gián đoạn" in job.error


# ---- privacy ---------------------------------------------------------------------------------------------


def test_another_user_can_neither_see_nor_download_the_job(app, client, org, login, fake_pdfs):
    login("bithu")
    start(client, org.branch)
    job = only_job()
    # The deputy and the officer above may export the same branch, but this job is not theirs.
    for username in ("phobithu", "canbo", "quantri", "doanvien"):
        other = app.test_client()
        other.post("/login", data={"login": username, "password": "matkhau123"})
        for url in (f"/exports/{job.id}", f"/exports/{job.id}/progress", f"/exports/{job.id}/download"):
            response = other.get(url)
            assert response.status_code == 404, (username, url)
        if username != "doanvien":
            assert f"/exports/{job.id}" not in other.get("/exports").get_data(as_text=True)
            assert f"/exports/{job.id}" not in other.get(f"/units/{org.branch.id}/exports").get_data(
                as_text=True
            )


def test_a_requester_who_lost_the_branch_loses_the_job(client, org, login, fake_pdfs):
    login("bithu")
    start(client, org.branch)
    job = only_job()
    membership = next(m for m in org.secretary.memberships if m.unit_id == org.branch.id)
    membership.role = Role.MEMBER
    db.session.commit()
    assert client.get(f"/exports/{job.id}/download").status_code == 404


# ---- the queue ---------------------------------------------------------------------------------------


def test_the_queue_lives_in_the_instance_folder_or_in_redis(app):
    from huey.storage import RedisStorage, SqliteStorage

    saved = app.config["HUEY_URL"]
    try:
        app.config["HUEY_URL"] = None
        assert queue.storage_settings(app) == (
            SqliteStorage,
            {"filename": str(Path(app.instance_path) / "huey.db")},
        )
        app.config["HUEY_URL"] = "redis://127.0.0.1:6379/3"
        assert queue.storage_settings(app) == (RedisStorage, {"url": "redis://127.0.0.1:6379/3"})
        app.config["HUEY_URL"] = "amqp://nope"
        with pytest.raises(RuntimeError):
            queue.storage_settings(app)
    finally:
        app.config["HUEY_URL"] = saved


def test_a_job_is_queued_in_redis(app, org):
    """Production's queue: the task waits in Redis until a consumer takes it."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"Redis not reachable at {url}")
    saved = dict(app.config)
    app.config.update(HUEY_IMMEDIATE=False, HUEY_URL=url)
    try:
        huey = queue.configure(app)
        huey.flush()
        job, _ = services.start_export(org.secretary, org.branch, YEAR)
        db.session.commit()
        assert services.enqueue(job)
        assert huey.pending_count() == 1
        [task] = huey.pending()
        assert isinstance(task, tasks.run_export_job.task_class) and task.args == (job.id,)
        huey.flush()
    finally:
        app.config.update(HUEY_IMMEDIATE=saved["HUEY_IMMEDIATE"], HUEY_URL=saved["HUEY_URL"])
        queue.configure(app)


@pytest.fixture
def real_queue(app, tmp_path):
    """The app enqueues into a real SQLite queue file, and a `flask worker` process consumes it."""
    with worker_process(app, tmp_path / "huey.db", tmp_path / "worker.log") as worker:
        yield worker


@pytest.mark.real_clock
def test_a_real_consumer_does_the_work_outside_the_request(app, client, org, login, real_queue, tmp_path):
    login("bithu")
    response = start(client, org.branch)
    job = only_job()
    # The request only recorded the job and queued it: not one book was made in it.
    assert response.status_code == 302 and job.status is JobStatus.QUEUED and job.members_done == 0
    deadline = time.monotonic() + 120
    while job.status in (JobStatus.QUEUED, JobStatus.RUNNING) and time.monotonic() < deadline:
        assert real_queue.poll() is None, "the worker stopped"
        time.sleep(0.3)
        db.session.rollback()  # a fresh snapshot: see what the worker committed
        job = only_job()
    assert job.status is JobStatus.DONE, (job.status, job.error, [f.reason for f in job.failures])
    assert job.failures == [] and job.members_done == 4
    archive = read_zip(client.get(f"/exports/{job.id}/download"))
    assert archive.namelist() == [*BRANCH_FILES, GOLDEN]
    book = archive.read(BRANCH_FILES[1])
    assert book.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=book, capture_output=True, check=True
        ).stdout.decode()
        assert "Nguyễn Thị Mỹ Duyên" in text
        # The worker has no request: its QR links still point where the export was asked from.
        assert "http://sonhatky.test/" in text and "localhost" not in text
    # The worker made real, registered documents for the secretary who asked.
    from app.export.models import ExportedDocument

    made = db.session.scalars(select(ExportedDocument).where(ExportedDocument.source == "job")).all()
    assert len(made) == 5 and {d.created_by_id for d in made} == {org.secretary.id}
    assert db.session.scalar(select(sa.func.count()).select_from(ExportFailure)) == 0
    # Shared out through the queue (any consumer may take each part), not made inline by the task
    # that shared the export out: one task per book and summary document, then the packing.
    log = (tmp_path / "worker.log").read_text()
    assert log.count("Executing app.jobs.tasks.make_export_part") == 4 + len(documents.SUMMARY_DOCUMENTS)
    assert log.count("Executing app.jobs.tasks.pack_export_job") == 1


# ---- one task per document: every consumer shares an export (issue 20) ----------------------------------


def _dead_pid() -> int:
    """The id of a process that has just ended (as a worker killed mid-book leaves behind)."""
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_an_export_is_one_task_per_document_and_a_last_one_packs_the_zip(
    client, org, login, fake_pdfs, waiting_queue
):
    from tests.conftest import run_queued

    login("bithu")
    start(client, org.branch)
    job = only_job()
    [first] = waiting_queue.pending()
    assert isinstance(first, tasks.run_export_job.task_class)
    waiting_queue.execute(waiting_queue.dequeue())
    # Shared out: one task per member's book and per summary document, for any consumer to take.
    pending = waiting_queue.pending()
    assert len(pending) == 5 and all(isinstance(t, tasks.make_export_part.task_class) for t in pending)
    db.session.rollback()
    assert only_job().status is JobStatus.RUNNING and only_job().members_done == 0
    # Two books made (by whichever worker): the progress counts them, whoever made them.
    waiting_queue.execute(waiting_queue.dequeue())
    waiting_queue.execute(waiting_queue.dequeue())
    db.session.rollback()  # a fresh snapshot: see what the workers committed
    progress = client.get(f"/exports/{job.id}/progress").get_json()
    assert (progress["done"], progress["total"], progress["status"]) == (2, 4, "running")
    assert run_queued(waiting_queue) == 4  # two books, the sổ vàng, then the packing task
    db.session.rollback()
    job = only_job()
    assert job.status is JobStatus.DONE and job.members_done == 4 and job.documents_count == 5
    archive = read_zip(client.get(f"/exports/{job.id}/download"))
    assert archive.namelist() == [*BRANCH_FILES, GOLDEN]
    assert archive.read(BRANCH_FILES[1]).decode() == "%PDF-1.7 sổ của Nguyễn Thị Mỹ Duyên 2026"
    # The parts' files are gone once packed; each part says who made it, how long, how much memory.
    assert not list(services.export_dir().glob(f"export-{job.id}-parts/*"))
    assert all(p.claimed_by and p.seconds is not None and p.peak_rss_kb > 0 for p in job.parts)


def test_the_longest_books_are_queued_first_and_the_zip_keeps_its_order(
    client, org, login, fake_pdfs, waiting_queue
):
    """Two consumers finish together when the long books start first (a book's time grows with
    its entries): the parts are queued by the member's entries in the year, summaries last."""
    from datetime import date

    from app.core.enums import EntryStatus
    from app.jobs.models import ExportPart
    from app.journal.models import Entry
    from tests.conftest import run_queued

    def entries(user, count, year=YEAR):
        for day in range(1, count + 1):
            db.session.add(
                Entry(
                    user_id=user.id,
                    unit_id=org.branch.id,
                    deed_date=date(year, 3, day),
                    action="Tắt điện khi ra về",
                    status=EntryStatus.SUBMITTED,
                    search_text="",
                )
            )

    entries(org.member2, 2)
    entries(org.member, 5)
    entries(org.secretary, 9, year=YEAR - 1)  # another year's entries do not make this book long
    db.session.commit()
    login("bithu")
    start(client, org.branch)
    job = only_job()
    waiting_queue.execute(waiting_queue.dequeue())
    parts = {p.id: p for p in db.session.scalars(select(ExportPart).where(ExportPart.job_id == job.id))}
    queued = [parts[task.args[0]] for task in waiting_queue.pending()]
    assert [p.member_id for p in queued[:2]] == [org.member.id, org.member2.id]
    assert [p.kind for p in queued] == ["book", "book", "book", "book", "summary"]
    run_queued(waiting_queue)
    db.session.rollback()
    archive = read_zip(client.get(f"/exports/{only_job().id}/download"))
    assert archive.namelist() == [*BRANCH_FILES, GOLDEN]


def test_a_worker_that_dies_mid_book_leaves_only_that_book_to_redo(
    client, org, login, fake_pdfs, waiting_queue
):
    import socket

    from app.jobs.models import ExportPart, PartStatus
    from tests.conftest import run_queued

    login("bithu")
    start(client, org.branch)
    waiting_queue.execute(waiting_queue.dequeue())  # shared out
    # A worker takes Duyên's book and is killed (SIGKILL, the machine lost) before it finishes:
    # its task is gone from the queue, the part says it is running in a process that is no more.
    waiting_queue.dequeue()
    waiting_queue.dequeue()
    duyen = db.session.scalar(select(ExportPart).where(ExportPart.position == 2))
    duyen.status = PartStatus.RUNNING
    duyen.attempts = 1
    duyen.claimed_by = f"{socket.gethostname()[:100]}:{_dead_pid()}"
    duyen.claimed_at = utcnow()
    db.session.commit()
    # Part 1 was dequeued too and never ran: it is a lost message, left for the stall check below.
    assert run_queued(waiting_queue) == 3  # the other two books and the sổ vàng: no packing yet
    db.session.rollback()
    job = only_job()
    assert job.status is JobStatus.RUNNING and job.members_done == 2
    made = len(fake_pdfs)

    # The periodic check sees the dead process at once and queues that book again, only that one.
    assert services.recover_parts() == 1
    assert run_queued(waiting_queue) == 1
    assert len(fake_pdfs) == made + 1 and fake_pdfs[-1][1] == "doanvien"
    # The lost message of part 1: after STALL_AFTER without progress its task is queued again.
    db.session.rollback()
    only_job().updated_at = utcnow() - services.STALL_AFTER - timedelta(minutes=1)
    db.session.commit()
    assert services.fail_stalled() == 0
    assert run_queued(waiting_queue) == 2  # Đạt's book, then the packing
    db.session.rollback()
    job = only_job()
    assert job.status is JobStatus.DONE and job.members_done == 4 and job.failures == []
    assert read_zip(client.get(f"/exports/{job.id}/download")).namelist() == [*BRANCH_FILES, GOLDEN]
    assert db.session.get(ExportPart, duyen.id).attempts == 2
    # Every book made once, by the workers that lived (the killed attempt left nothing behind).
    assert sorted(c[1] for c in fake_pdfs if c[0] == "book") == ["bithu", "doanvien", "doanvien2", "phobithu"]


def test_a_book_that_kills_its_worker_every_time_is_given_up_and_listed(
    client, org, login, fake_pdfs, waiting_queue
):
    import socket

    from app.jobs.models import ExportPart, PartStatus
    from tests.conftest import run_queued

    login("bithu")
    start(client, org.branch)
    waiting_queue.execute(waiting_queue.dequeue())  # shared out
    waiting_queue.execute(waiting_queue.dequeue())  # Đạt's book
    waiting_queue.dequeue()  # Duyên's book, taken by a worker killed for the third time
    duyen = db.session.scalar(select(ExportPart).where(ExportPart.position == 2))
    duyen.status, duyen.attempts = PartStatus.RUNNING, ExportPart.MAX_ATTEMPTS
    duyen.claimed_by = f"{socket.gethostname()[:100]}:{_dead_pid()}"
    db.session.commit()
    assert run_queued(waiting_queue) == 3
    assert services.recover_parts() == 1
    assert run_queued(waiting_queue) == 1  # the packing
    db.session.rollback()
    job = only_job()
    assert job.status is JobStatus.DONE and job.members_done == 4
    [failure] = job.failures
    assert failure.subject == "Nguyễn Thị Mỹ Duyên" and "dừng giữa chừng nhiều lần" in failure.reason
    archive = read_zip(client.get(f"/exports/{job.id}/download"))
    assert BRANCH_FILES[1] not in archive.namelist()
    assert "Nguyễn Thị Mỹ Duyên: Tiến trình xử lý nền dừng" in archive.read(services.FAILURES_FILE).decode(
        "utf-8-sig"
    )
