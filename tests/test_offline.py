"""Entries written offline and sent later (issue 19): the sync endpoint applies each once, keeps
every diary rule (back-dating, signed month, closed year, the entry's own branch, file checks),
answers a refusal with its reason and an edit of a changed entry with both versions; the
service worker and the offline page are served as a browser needs them."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.db import db
from app.core.filters import today_local
from app.grading.models import YearClosure
from app.journal import services as journal
from app.journal import storage
from app.journal.models import Entry, Evidence
from app.offline import services
from app.review import services as review
from tests.test_journal import EXE, PNG, data, plan  # noqa: F401 (plan: the member's approved plan)


def sync(client, unit_id, client_id=None, **fields):
    form = {
        "client_id": client_id or str(uuid.uuid4()),
        "deed_date": today_local().strftime("%d/%m/%Y"),
        "place": "Ấp Hòa Phú",
        "action": "Giúp bà con kê cao đồ đạc trước lũ",
        "result": "12 hộ",
        "lesson": "",
        "save_draft": "Lưu nháp",
    }
    form.update(fields)
    return client.post(
        f"/diary/sync/entries?unit_id={unit_id}", data=form, content_type="multipart/form-data"
    )


def stored_files() -> set[str]:
    return {path.name for path in storage.evidence_dir().iterdir()}


def entry_count(user) -> int:
    return db.session.scalar(select(func.count()).select_from(Entry).where(Entry.user_id == user.id))


def test_an_entry_sent_twice_is_one_entry_with_its_photo(client, login, org, plan):  # noqa: F811
    login("doanvien")
    files_before = stored_files()
    client_id = str(uuid.uuid4())
    fields = {"commitment_ids": [str(plan.commitments[0].id)], "submit": "Gửi bài"}
    first = sync(client, org.branch.id, client_id, evidence=(io.BytesIO(PNG), "lu.png"), **fields)
    assert first.status_code == 200 and first.json["applied"] is True
    again = sync(client, org.branch.id, client_id.upper(), evidence=(io.BytesIO(PNG), "lu.png"), **fields)
    assert again.status_code == 200 and again.json["applied"] is False
    assert again.json["entry_id"] == first.json["entry_id"]
    entry = db.session.get(Entry, first.json["entry_id"])
    assert entry_count(org.member) == 1 and entry.client_id == client_id
    assert entry.status.value == "submitted" and [c.id for c in entry.commitments] == [plan.commitments[0].id]
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == 1
    assert stored_files() - files_before == {entry.evidence[0].stored_name}


def test_two_sendings_at_once_make_one_entry_and_leave_no_stray_file(client, login, org, plan, monkeypatch):  # noqa: F811
    """The page and the service worker both send: the second finds nothing yet, then loses the race."""
    login("doanvien")
    client_id = str(uuid.uuid4())
    assert sync(client, org.branch.id, client_id).status_code == 200
    files_before = stored_files()
    real = services.find_synced
    calls = []

    def not_yet(owner, wanted):
        calls.append(wanted)
        return None if len(calls) == 1 else real(owner, wanted)

    monkeypatch.setattr(services, "find_synced", not_yet)
    raced = sync(client, org.branch.id, client_id, evidence=(io.BytesIO(PNG), "lu.png"))
    assert raced.status_code == 200 and raced.json["applied"] is False
    assert entry_count(org.member) == 1
    assert stored_files() == files_before


def test_the_same_client_id_from_another_person_is_their_own_entry(client, login, org, plan):  # noqa: F811
    client_id = str(uuid.uuid4())
    login("doanvien")
    mine = sync(client, org.branch.id, client_id)
    client.post("/logout")
    login("doanvien2")
    theirs = sync(client, org.branch.id, client_id)
    assert theirs.status_code == 200 and theirs.json["applied"] is True
    assert theirs.json["entry_id"] != mine.json["entry_id"]


def test_a_month_signed_meanwhile_refuses_the_entry_with_the_reason(client, login, org, plan):  # noqa: F811
    today = today_local()
    review.sign_off_month(org.secretary, org.member, org.branch, today.year, today.month)
    db.session.commit()
    login("doanvien")
    response = sync(client, org.branch.id, commitment_ids=[str(plan.commitments[0].id)])
    assert response.status_code == 422
    assert response.json["refused"] is True and response.json["field"] == "deed_date"
    message = response.json["message"]
    assert f"Tháng {today.month}/{today.year}" in message and "ký xác nhận" in message
    assert entry_count(org.member) == 0


def test_a_closed_year_refuses_the_entry(client, login, org, plan):  # noqa: F811
    db.session.add(
        YearClosure(unit_id=org.branch.id, year=today_local().year, closed_by_id=org.officer_root.id)
    )
    db.session.commit()
    login("doanvien")
    response = sync(client, org.branch.id, commitment_ids=[str(plan.commitments[0].id)])
    assert response.status_code == 422 and "đã khóa sổ" in response.json["message"]
    assert entry_count(org.member) == 0


@pytest.mark.clock
@pytest.mark.parametrize(
    ("days_back", "message"),
    [(-1, "không thể ở tương lai"), (31, "Chỉ được ghi lùi tối đa")],
)
def test_the_back_dating_window_still_applies(client, login, org, plan, days_back, message):  # noqa: F811
    login("doanvien")
    day = today_local() - timedelta(days=days_back)
    response = sync(client, org.branch.id, deed_date=day.strftime("%d/%m/%Y"))
    assert response.status_code == 422 and message in response.json["message"]
    assert entry_count(org.member) == 0


def test_refusals_say_why_in_vietnamese(client, login, org, plan):  # noqa: F811
    login("doanvien")
    files_before = stored_files()
    bad_file = sync(client, org.branch.id, evidence=(io.BytesIO(EXE), "anh.jpg"))
    assert bad_file.status_code == 422 and bad_file.json["field"] == "evidence"
    assert "không phải ảnh" in bad_file.json["message"]
    no_commitment = sync(client, org.branch.id, submit="Gửi bài")
    assert no_commitment.status_code == 422 and "việc làm theo" in no_commitment.json["message"]
    bad_date = sync(client, org.branch.id, deed_date="31/02/2026")
    assert bad_date.status_code == 422 and bad_date.json["field"] == "deed_date"
    assert sync(client, org.branch.id, client_id="không-phải-uuid").status_code == 400
    # Another branch's diary: not the member's to write (the unit is not even visible).
    assert sync(client, org.branch_other.id).status_code == 404
    assert entry_count(org.member) == 0
    assert stored_files() == files_before


def test_an_officer_above_cannot_write_into_a_branch_diary(client, login, org):
    login("canbo")
    response = client.post(
        f"/diary/sync/entries?unit_id={org.branch.id}",
        data={"client_id": str(uuid.uuid4()), "action": "Viết hộ"},
        headers={"Accept": "application/json"},
    )
    # The app's error answer, in JSON for the phone, which keeps the entry with this message.
    assert response.status_code == 403 and response.json["message"].startswith(
        "Tài khoản của bạn không có quyền"
    )


def test_an_offline_edit_of_an_entry_changed_meanwhile_is_a_conflict(client, login, org, plan):  # noqa: F811
    entry = journal.save_entry(org.member, org.member, org.branch, data(plan), submit=True)
    db.session.commit()
    opened_at = entry.lock_version
    # Meanwhile, on the computer at the office:
    journal.save_entry(
        org.member, org.member, org.branch, data(plan, result="Tiết kiệm 10% tiền điện"), entry=entry
    )
    db.session.commit()
    login("doanvien")
    phone = {
        "entry_id": str(entry.id),
        "lock_version": str(opened_at),
        "action": "Tắt điện, điều hòa khi ra về — sửa trên điện thoại",
        "commitment_ids": [str(plan.commitments[0].id)],
    }
    client_id = str(uuid.uuid4())
    conflict = sync(client, org.branch.id, client_id, **phone)
    assert conflict.status_code == 409 and conflict.json["conflict"] is True
    server = conflict.json["server"]
    assert server["result"] == "Tiết kiệm 10% tiền điện" and server["lock_version"] == entry.lock_version
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).action == "Tắt điện, điều hòa khi ra về"  # not overwritten

    # The member saw both and keeps theirs: sent on the server's version, it applies.
    kept = sync(client, org.branch.id, client_id, **{**phone, "lock_version": str(server["lock_version"])})
    assert kept.status_code == 200 and kept.json["applied"] is True
    # The answer was lost and the phone sends it once more: nothing changes, no conflict.
    again = sync(client, org.branch.id, client_id, **{**phone, "lock_version": str(server["lock_version"])})
    assert again.status_code == 200 and again.json["applied"] is False
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).action.endswith("sửa trên điện thoại")
    assert entry_count(org.member) == 1


def test_an_offline_edit_stays_in_the_entry_s_own_branch(client, login, org, plan):  # noqa: F811
    entry = journal.save_entry(org.member, org.member, org.branch, data(plan), submit=True)
    db.session.commit()
    login("doanvien")
    fields = {"entry_id": str(entry.id), "lock_version": str(entry.lock_version), "place": "Nhà văn hóa ấp"}
    response = sync(client, org.branch_other.id, commitment_ids=[str(plan.commitments[0].id)], **fields)
    assert response.status_code == 200
    db.session.expire_all()
    edited = db.session.get(Entry, entry.id)
    assert edited.unit_id == org.branch.id and edited.place == "Nhà văn hóa ấp"


def test_an_offline_edit_into_a_signed_month_is_refused(client, login, org, plan):  # noqa: F811
    entry = journal.save_entry(org.member, org.member, org.branch, data(plan), submit=True)
    db.session.commit()
    today = today_local()
    review.sign_off_month(org.secretary, org.member, org.branch, today.year, today.month)
    db.session.commit()
    login("doanvien")
    response = sync(client, org.branch.id, entry_id=str(entry.id), lock_version=str(entry.lock_version))
    assert response.status_code == 422 and "ký xác nhận" in response.json["message"]
    # Someone else's entry id finds nothing.
    client.post("/logout")
    login("doanvien2")
    assert sync(client, org.branch.id, entry_id=str(entry.id), lock_version="1").status_code == 404


def test_the_service_worker_is_served_from_the_root_with_its_version(client, app):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    body = response.get_data(as_text=True)
    version = services.worker_version(app.static_folder)
    assert body.startswith(f'self.SNK_VERSION = "{version}";')
    assert '"/static/js/outbox.js"' in body and '"/offline"' in body
    for name in services.SHELL_FILES:
        assert client.get(f"/static/{name}").status_code == 200, name


def test_the_worker_version_changes_with_any_shell_file(tmp_path):
    for name in ("sw.js", *services.SHELL_FILES):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("// " + name)
    before = services.worker_version(str(tmp_path))
    (tmp_path / "css/app.css").write_text("body { color: red }")
    services.worker_version.cache_clear()
    assert services.worker_version(str(tmp_path)) != before


def test_the_offline_page_says_it_needs_a_connection_and_holds_nothing_personal(client, login, org):
    login("doanvien")
    page = client.get("/offline").get_data(as_text=True)
    assert "Trang này cần kết nối mạng" in page
    assert "Nguyễn Thị Mỹ Duyên" not in page and "csrf_token" not in page


def test_the_state_names_the_pages_to_keep_and_a_fresh_token(client, login, org, plan):  # noqa: F811
    login("doanvien")
    state = client.get("/diary/sync/state").json
    today = today_local()
    assert state["user_id"] == org.member.id and state["csrf_token"]
    assert f"/diary/entries/new?unit_id={org.branch.id}" in state["warm"]
    assert f"/diary/{today.year}/{today.month}" in state["warm"] and "/diary/" in state["warm"]
    client.post("/logout")
    login("canbo")  # no diary of their own: nothing to keep
    assert client.get("/diary/sync/state").json["warm"] == []


def test_pages_show_where_waiting_entries_go_and_the_state(client, login, org, plan):  # noqa: F811
    login("doanvien")
    today = today_local()
    month = client.get(f"/diary/{today.year}/{today.month}").get_data(as_text=True)
    assert 'id="offline-pending"' in month and f'data-unit-id="{org.branch.id}"' in month
    assert 'id="offline-status"' in month and 'role="status"' in month
    assert 'id="offline-pending"' in client.get("/diary/timeline").get_data(as_text=True)
    # Someone else's diary has no place for this phone's entries.
    client.post("/logout")
    login("bithu")
    other = client.get(f"/diary/{today.year}/{today.month}?user_id={org.member.id}&unit_id={org.branch.id}")
    assert 'id="offline-pending"' not in other.get_data(as_text=True)


def test_a_stale_form_token_is_tried_again_not_refused(client, login, org, app, monkeypatch):
    login("doanvien")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    stale = sync(client, org.branch.id, csrf_token="het-han")
    assert stale.status_code == 400 and stale.json["retry"] is True and "refused" not in stale.json
    token = client.get("/diary/sync/state").json["csrf_token"]
    assert sync(client, org.branch.id, csrf_token=token).status_code == 200
