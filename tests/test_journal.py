"""The diary: writing entries, the back-dating window, evidence, drafts, search, calendar, coverage."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.core.db import db, utcnow
from app.core.enums import ContentGroup, EntryStatus, Frequency, PlanStatus
from app.core.filters import today_local
from app.journal import services
from app.journal.models import Entry, Evidence
from app.plans.models import Commitment, Plan
from app.standards.models import Standard

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


@pytest.fixture
def plan(org):
    """An approved plan for the member of branch A with a weekly and a monthly commitment."""
    year = today_local().year
    standard = Standard(unit_id=org.root.id, year=year, group=ContentGroup.ETHICS, title="Cần, kiệm")
    db.session.add(standard)
    p = Plan(
        user_id=org.member.id,
        unit_id=org.branch.id,
        year=year,
        status=PlanStatus.APPROVED,
        shortcomings="Còn ngại phát biểu",
        created_by_id=org.member.id,
        created_at=utcnow().replace(month=1, day=1),
    )
    p.commitments = [
        Commitment(
            standard=standard,
            action="Tiết kiệm điện, giấy in tại phòng làm việc",
            measure="Tắt thiết bị khi ra về",
            frequency=Frequency.WEEKLY,
            sort_order=1,
        ),
        Commitment(
            standard=standard,
            action="Hiến máu tình nguyện",
            measure="Ít nhất 1 lần",
            frequency=Frequency.ONCE,
            sort_order=2,
            is_breakthrough=True,
        ),
    ]
    db.session.add(p)
    db.session.flush()
    for c in p.commitments:
        c.lineage_id = c.id
    db.session.commit()
    return p


def data(plan, **overrides):
    values = dict(
        deed_date=today_local(),
        place="Văn phòng Sở",
        action="Tắt điện, điều hòa khi ra về",
        result="Phòng tiết kiệm điện",
        lesson="Việc nhỏ làm đều",
        commitment_ids=[plan.commitments[0].id],
    )
    values.update(overrides)
    return services.EntryData(**values)


# ---- services ------------------------------------------------------------------------------------


@pytest.mark.clock
def test_submitted_entry_keeps_deed_date_and_time_of_writing(org, plan):
    yesterday = today_local() - timedelta(days=1)
    if yesterday.year != today_local().year:
        # On 1 January yesterday is in last year's diary, and the member made no plan for last year.
        with pytest.raises(services.JournalError, match=f"chưa có kế hoạch cá nhân năm {yesterday.year}"):
            services.save_entry(
                org.member, org.member, org.branch, data(plan, deed_date=yesterday), submit=True
            )
        return
    entry = services.save_entry(
        org.member, org.member, org.branch, data(plan, deed_date=yesterday), submit=True
    )
    db.session.commit()
    assert entry.status is EntryStatus.SUBMITTED and entry.submitted_at is not None
    assert entry.deed_date == yesterday and entry.created_at is not None
    assert entry.is_backdated
    assert entry.unit_id == org.branch.id
    assert [c.id for c in entry.commitments] == [plan.commitments[0].id]


@pytest.mark.clock
@pytest.mark.parametrize(
    ("days_back", "message"),
    [(-1, "không thể ở tương lai"), (31, "Chỉ được ghi lùi tối đa 30 ngày")],
)
def test_deed_date_window(org, plan, days_back, message):
    deed = today_local() - timedelta(days=days_back)
    with pytest.raises(services.JournalError, match=message) as info:
        services.save_entry(org.member, org.member, org.branch, data(plan, deed_date=deed), submit=True)
    assert info.value.field == "deed_date"


@pytest.mark.clock
def test_unit_sets_its_own_backdating_window(org, plan):
    org.branch.backdate_days = 7
    db.session.commit()
    with pytest.raises(services.JournalError, match="tối đa 7 ngày"):
        services.save_entry(
            org.member, org.member, org.branch, data(plan, deed_date=today_local() - timedelta(days=8))
        )
    entry = services.save_entry(
        org.member, org.member, org.branch, data(plan, deed_date=today_local() - timedelta(days=7))
    )
    assert entry.id


@pytest.mark.clock
def test_signed_off_month_refuses_new_entries(org, plan):
    """The journal reads the sign-off from the records (app.core.locks), not from a hook the review
    feature fills when imported: a signed month_reviews row is enough."""
    from app.core.db import utcnow
    from app.core.locks import LockedError
    from app.review.models import MonthReview

    today = today_local()
    db.session.add(
        MonthReview(
            user_id=org.member.id,
            unit_id=org.branch.id,
            year=today.year,
            month=today.month,
            comment="",
            signed_at=utcnow(),
            signed_by_id=org.secretary.id,
            content_hash="0" * 64,
        )
    )
    db.session.commit()
    with pytest.raises(LockedError, match="ký xác nhận") as refused:
        services.save_entry(org.member, org.member, org.branch, data(plan))
    assert refused.value.field == "deed_date"
    assert "mở lại tháng" in refused.value.message


def test_submitting_needs_an_action_and_a_commitment(org, plan):
    with pytest.raises(services.JournalError, match="Vui lòng ghi việc đã làm"):
        services.save_entry(org.member, org.member, org.branch, data(plan, action="  "), submit=True)
    with pytest.raises(services.JournalError, match="ít nhất một việc làm theo"):
        services.save_entry(org.member, org.member, org.branch, data(plan, commitment_ids=[]), submit=True)
    # A commitment of someone else's plan is not accepted either.
    with pytest.raises(services.JournalError, match="ít nhất một việc làm theo"):
        services.save_entry(
            org.member, org.member, org.branch, data(plan, commitment_ids=[999999]), submit=True
        )
    # A draft may be saved without them.
    draft = services.save_entry(org.member, org.member, org.branch, data(plan, commitment_ids=[]))
    assert draft.status is EntryStatus.DRAFT


def test_without_a_plan_the_member_is_told_to_make_one(org):
    with pytest.raises(services.JournalError, match="chưa có kế hoạch cá nhân"):
        services.save_entry(
            org.member2,
            org.member2,
            org.branch,
            services.EntryData(deed_date=today_local(), action="Giúp đồng nghiệp"),
            submit=True,
        )


def test_only_the_member_writes_their_diary(org, plan):
    from werkzeug.exceptions import Forbidden

    with pytest.raises(Forbidden):
        services.save_entry(org.secretary, org.member, org.branch, data(plan))
    entry = services.save_entry(org.member, org.member, org.branch, data(plan))
    with pytest.raises(Forbidden):
        services.save_entry(org.secretary, org.member, org.branch, data(plan), entry=entry)


def test_text_is_stored_nfc_and_search_ignores_diacritics(org, plan):
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Tuyên truyền cho Đảng viên trẻ về tiết kiệm")
    entry = services.save_entry(
        org.member, org.member, org.branch, data(plan, action=decomposed), submit=True
    )
    db.session.commit()
    assert entry.action == unicodedata.normalize("NFC", decomposed)
    for query in ("dang vien", "ĐẢNG VIÊN", "tiet kiem", "Tiết Kiệm", "tuyen truyen dang"):
        assert [e.id for e in services.search(org.member, org.branch, query)] == [entry.id], query
    assert services.search(org.member, org.branch, "hien mau") == []
    # Someone else's diary is not searched.
    assert services.search(org.member2, org.branch, "dang vien") == []
    # LIKE wildcards are taken literally.
    assert services.search(org.member, org.branch, "%") == []


@pytest.mark.clock
def test_week_streak():
    today = date(2026, 11, 25)  # a Wednesday
    weeks_ago = [today - timedelta(days=7 * n) for n in range(4)]
    assert services.week_streak(set(weeks_ago), today) == 4
    # This week not written yet: the streak still counts the weeks before.
    assert services.week_streak(set(weeks_ago[1:]), today) == 3
    # A gap ends it.
    assert services.week_streak({today, today - timedelta(days=14)}, today) == 1
    assert services.week_streak(set(), today) == 0


@pytest.mark.clock
def test_coverage_against_expected_frequency(org, plan):
    weekly, once = plan.commitments
    year = 2026
    today = date(2026, 3, 31)
    plan.year = year
    plan.created_at = datetime(year, 1, 1, tzinfo=UTC)  # expectations start with the plan, not the clock
    db.session.commit()

    def add(day, commitment, status=EntryStatus.SUBMITTED):
        entry = Entry(
            user_id=org.member.id,
            unit_id=org.branch.id,
            deed_date=day,
            action="việc",
            status=status,
            commitments=[commitment],
        )
        db.session.add(entry)

    for d in (1, 8, 15, 22):
        add(date(year, 1, d), weekly)  # January: 4 = enough
    add(date(year, 2, 3), weekly)  # February: 1 of 4 = thin
    add(date(year, 2, 10), weekly, EntryStatus.DRAFT)  # drafts do not count
    add(date(year, 3, 2), once)  # done once in March
    db.session.commit()
    rows = services.coverage(org.member, org.branch, year, today=today)
    weekly_row, once_row = rows
    assert [c.state for c in weekly_row.cells[:4]] == ["full", "thin", "empty", "future"]
    assert [c.count for c in weekly_row.cells[:3]] == [4, 1, 0]
    assert weekly_row.total == 5
    assert once_row.cells[2].state == "full" and once_row.total == 1
    assert once_row.cells[0].state == "none"


@pytest.mark.clock
def test_heatmap_and_day_counts(org, plan):
    day = today_local()
    for _ in range(3):
        services.save_entry(org.member, org.member, org.branch, data(plan, deed_date=day), submit=True)
    db.session.commit()
    counts = services.day_counts(org.member, org.branch, day.year)
    assert counts == {day: 3}
    cells = [c for week in services.heatmap(counts, day.year) for c in week if c]
    assert len(cells) in (365, 366)
    assert next(c for c in cells if c.day == day).level == 3


# ---- views ---------------------------------------------------------------------------------------


def post_entry(client, plan, **fields):
    form = {
        "deed_date": today_local().strftime("%d/%m/%Y"),
        "place": "Hội trường Sở",
        "action": "Tham gia hiến máu tình nguyện đợt 1",
        "result": "Hiến 350 ml",
        "lesson": "",
        "commitment_ids": [str(plan.commitments[1].id)],
        "submit": "Gửi bài",
    }
    form.update(fields)
    return client.post(
        f"/diary/entries/new?unit_id={plan.unit_id}", data=form, content_type="multipart/form-data"
    )


@pytest.mark.clock
def test_member_writes_an_entry_and_sees_it_on_calendar_timeline_and_year(client, login, org, plan):
    login("doanvien")
    response = post_entry(client, plan, evidence=[(io.BytesIO(PNG), "anh hien mau.png")])
    assert response.status_code == 302
    entry = db.session.scalar(select(Entry))
    assert entry.status is EntryStatus.SUBMITTED and len(entry.evidence) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tham gia hiến máu tình nguyện đợt 1" in page and "anh hien mau.png" in page
    today = today_local()
    month = client.get(f"/diary/{today.year}/{today.month}").get_data(as_text=True)
    assert "Tham gia hiến máu tình nguyện đợt 1" in month
    assert "Tham gia hiến máu" in client.get("/diary/timeline").get_data(as_text=True)
    year = client.get(f"/diary/year/{today.year}").get_data(as_text=True)
    assert "Hiến máu tình nguyện" in year and "cov-full" in year
    found = client.get("/diary/search?q=hien mau").get_data(as_text=True)
    assert "Tham gia hiến máu tình nguyện đợt 1" in found


@pytest.mark.clock
def test_a_calendar_day_says_its_entries_and_their_states_in_words(client, login, org, plan):
    login("doanvien")
    today = today_local()
    assert post_entry(client, plan).status_code == 302
    assert (
        post_entry(
            client, plan, action="Dọn vệ sinh nhà văn hóa", submit="", save_draft="Lưu nháp"
        ).status_code
        == 302
    )
    page = client.get(f"/diary/{today.year}/{today.month}").get_data(as_text=True)
    # Read aloud the same at every width (visually hidden text, not an aria-label on a span).
    said = f"Ngày {today.day}, hôm nay, 2 bài, 1 bản nháp, 1 đã gửi"
    assert f'<span class="visually-hidden">{said}</span>' in page
    assert page.count('aria-current="date"') == 1
    assert '<span class="calendar-state">Nháp:</span>' in page  # the draft is told in words, not colour
    assert "THai" not in page and '<span class="d-md-none">T2</span>' in page
    assert '<span class="visually-hidden">Thứ Hai</span>' in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action": ""}, "Vui lòng ghi việc đã làm."),
        # Dates relative to today are read when the test runs (its clock), not when it is collected.
        ({"deed_date": lambda: (today_local() + timedelta(days=1)).isoformat()}, "không thể ở tương lai"),
        (
            {"deed_date": lambda: (today_local() - timedelta(days=45)).isoformat()},
            "Chỉ được ghi lùi tối đa 30 ngày",
        ),
        ({"deed_date": "31/02/2026"}, "Ngày không hợp lệ"),
        ({"deed_date": "2026-13-45"}, "Ngày không hợp lệ"),
        ({"result": "x" * 100_000}, "Tối đa 5.000 ký tự (hiện có 100.000)"),
        ({"commitment_ids": []}, "Chọn ít nhất một việc làm theo"),
    ],
)
def test_bad_input_gets_a_message_and_keeps_the_text(client, login, org, plan, fields, message):
    login("doanvien")
    kept = {"place": "Nhà văn hóa phường 3", "lesson": "Đi sớm 10 phút <b>không</b> trễ"}
    fields = {name: value() if callable(value) else value for name, value in fields.items()}
    response = post_entry(client, plan, **{**kept, **fields})
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 422)
    assert message in html
    assert "Nhà văn hóa phường 3" in html
    assert "Đi sớm 10 phút &lt;b&gt;không&lt;/b&gt; trễ" in html  # kept, and escaped
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (EXE, "anh.jpg", "không phải ảnh"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (11 * 1024 * 1024), "to.png", "vượt quá giới hạn 10 MB"),
        (b"", "rong.pdf", "trống"),
    ],
)
def test_bad_evidence_is_refused_with_the_text_kept(client, login, org, plan, content, name, message):
    login("doanvien")
    response = post_entry(client, plan, evidence=[(io.BytesIO(content), name)])
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and "Tham gia hiến máu tình nguyện đợt 1" in html
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == 0


def test_a_50_mb_file_gets_a_message_not_a_bare_error(client, login, org, plan):
    login("doanvien")
    big = io.BytesIO(b"%PDF-1.4\n" + b"0" * (50 * 1024 * 1024))
    response = post_entry(client, plan, evidence=[(big, "bien-ban.pdf")])
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "vượt quá giới hạn 10 MB" in html and "Tham gia hiến máu tình nguyện đợt 1" in html


def test_evidence_is_stored_under_a_random_name_and_served_only_to_allowed_people(
    app, client, login, org, plan
):
    login("doanvien")
    post_entry(client, plan, evidence=[(io.BytesIO(PDF), "../../etc/passwd.pdf")])
    evidence = db.session.scalar(select(Evidence))
    assert evidence.original_name == "passwd.pdf"
    assert evidence.stored_name.endswith(".pdf") and "passwd" not in evidence.stored_name
    from pathlib import Path

    stored = Path(app.config["UPLOAD_DIR"]) / "evidence" / evidence.stored_name
    assert stored.read_bytes() == PDF
    assert "static" not in str(stored)
    response = client.get(f"/diary/evidence/{evidence.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    for username, status in (
        ("bithu", 200),
        ("canbo", 200),
        ("doanvien2", 404),
        ("bithub", 404),
        ("canbo2", 404),
    ):
        client.post("/logout")
        login(username)
        assert client.get(f"/diary/evidence/{evidence.id}").status_code == status, username


def test_diary_pages_are_private(client, login, org, plan):
    services.save_entry(org.member, org.member, org.branch, data(plan), submit=True)
    db.session.commit()
    entry_id = db.session.scalar(select(Entry.id))
    cases = {"doanvien2": 404, "bithub": 404, "canbo2": 404, "bithu": 200, "phobithu": 200, "canbo": 200}
    for username, status in cases.items():
        login(username)
        assert client.get(f"/diary/entries/{entry_id}").status_code == status, username
        listing = client.get(f"/diary/timeline?user_id={org.member.id}&unit_id={org.branch.id}")
        assert listing.status_code == status, username
        client.post("/logout")
    # Readers cannot edit.
    login("bithu")
    assert client.get(f"/diary/entries/{entry_id}/edit").status_code == 403


def test_autosave_creates_then_updates_one_draft(client, login, org, plan):
    login("doanvien")
    url = f"/diary/entries/autosave?unit_id={org.branch.id}"
    first = client.post(url, data={"deed_date": today_local().isoformat(), "action": "Đang viết"})
    body = first.get_json()
    assert first.status_code == 200 and body["ok"]
    second = client.post(
        url,
        data={
            "deed_date": today_local().isoformat(),
            "action": "Đang viết tiếp",
            "entry_id": body["entry_id"],
            "lock_version": body["lock_version"],
        },
    )
    assert second.get_json()["ok"]
    entries = db.session.scalars(select(Entry)).all()
    assert len(entries) == 1 and entries[0].action == "Đang viết tiếp"
    assert entries[0].status is EntryStatus.DRAFT
    # A stale tab does not overwrite: it is told.
    stale = client.post(
        url,
        data={
            "action": "Bản cũ",
            "entry_id": body["entry_id"],
            "lock_version": body["lock_version"],
        },
    )
    assert stale.status_code == 409 and stale.get_json()["conflict"]
    db.session.expire_all()
    assert db.session.get(Entry, entries[0].id).action == "Đang viết tiếp"


def test_edit_with_a_stale_version_shows_both_and_keeps_the_typing(client, login, org, plan):
    entry = services.save_entry(org.member, org.member, org.branch, data(plan), submit=True)
    db.session.commit()
    login("doanvien")
    old_version = entry.lock_version
    entry.action = "Sửa ở máy khác"
    db.session.commit()
    response = client.post(
        f"/diary/entries/{entry.id}/edit",
        data={
            "deed_date": entry.deed_date.isoformat(),
            "action": "Nội dung tôi đang gõ",
            "commitment_ids": [str(plan.commitments[0].id)],
            "entry_id": entry.id,
            "lock_version": old_version,
            "submit": "Gửi bài",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Nội dung tôi đang gõ" in html and "Sửa ở máy khác" in html
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).action == "Sửa ở máy khác"


def test_user_text_is_never_rendered_as_html(client, login, org, plan):
    services.save_entry(
        org.member,
        org.member,
        org.branch,
        data(plan, action="<script>alert(1)</script>\nDòng hai"),
        submit=True,
    )
    db.session.commit()
    login("doanvien")
    entry_id = db.session.scalar(select(Entry.id))
    html = client.get(f"/diary/entries/{entry_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\nDòng hai" in html


def test_people_without_a_branch_get_a_friendly_page(client, login, org):
    login("canbo")
    response = client.get("/diary/")
    assert response.status_code == 200
    assert "Bạn chưa có sổ nhật ký" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    ["/diary/1999/1", "/diary/2026/13", "/diary/year/3000", "/diary/timeline?before_date=xx&before_id=1"],
)
def test_odd_urls_never_500(client, login, org, path):
    login("doanvien")
    assert client.get(path).status_code in (200, 404)


@pytest.mark.parametrize(
    "path", ["/diary/1999/1", "/diary/2026/13", "/diary/2026/0", "/diary/99999999999/1", "/diary/year/26"]
)
def test_a_year_or_month_outside_the_calendar_is_not_found(client, login, org, path):
    """The URL's year (2000–2100, four digits) and month (1–12) are bounded: 404, never 500."""
    login("doanvien")
    assert client.get(path).status_code == 404


def test_home_screen_app_reaches_the_entry_form_quickly(client, login, org, plan):
    manifest = client.get("/static/manifest.webmanifest").get_json(force=True)
    assert manifest["lang"] == "vi" and manifest["display"] == "standalone"
    assert {"url": "/diary/entries/new"}.items() <= manifest["shortcuts"][0].items()
    login("doanvien")
    home = client.get("/").get_data(as_text=True)
    # The app opens on the home page, whose first button is the form.
    assert f'href="/diary/entries/new?unit_id={org.branch.id}"' in home
    assert client.get(f"/diary/entries/new?unit_id={org.branch.id}").status_code == 200


def test_an_entry_keeps_its_commitments_when_a_new_plan_version_is_approved(org, plan):
    from app.plans import services as plans

    entry = services.save_entry(org.member, org.member, org.branch, data(plan), submit=True)
    db.session.commit()
    revised = plans.revise_plan(org.member, plan)
    db.session.flush()
    revised.status = PlanStatus.APPROVED
    plan.status = PlanStatus.SUPERSEDED
    db.session.commit()
    assert plan.commitments[0].id not in {c.id for c in revised.commitments}
    # Editing the entry keeps the commitment of version 1 it was written against.
    edited = services.save_entry(
        org.member, org.member, org.branch, data(plan, action="Đã bổ sung số liệu"), entry=entry, submit=True
    )
    assert [c.id for c in edited.commitments] == [plan.commitments[0].id]
    # And it still counts for the commitment in the approved version (same lineage).
    row = next(
        r
        for r in services.coverage(org.member, org.branch, today_local().year)
        if r.commitment.lineage_id == plan.commitments[0].lineage_id
    )
    assert row.total == 1


def test_the_form_says_whether_it_writes_edits_a_draft_or_edits_an_entry(client, login, org, plan):
    login("doanvien")
    h1 = re.compile(r"<h1[^>]*>([^<]*)</h1>")
    page = client.get(f"/diary/entries/new?unit_id={org.branch.id}").get_data(as_text=True)
    assert h1.search(page).group(1) == "Viết bài nhật ký" and "<title>Viết bài nhật ký" in page
    draft = services.save_entry(org.member, org.member, org.branch, data(plan), submit=False)
    sent = services.save_entry(
        org.member, org.member, org.branch, data(plan, action="Dọn vệ sinh"), submit=True
    )
    db.session.commit()
    page = client.get(f"/diary/entries/{draft.id}/edit").get_data(as_text=True)
    assert h1.search(page).group(1) == "Sửa bản nháp" and "<title>Sửa bản nháp" in page
    page = client.get(f"/diary/entries/{sent.id}/edit").get_data(as_text=True)
    assert h1.search(page).group(1) == "Sửa bài nhật ký"
