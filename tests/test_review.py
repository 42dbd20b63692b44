"""The secretary's month: queue, comments, revision requests, commendation, sign-off, freezing, tampering."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.core.db import db, utcnow
from app.core.enums import ContentGroup, EntryStatus, Frequency, PlanStatus
from app.core.filters import today_local
from app.core.locks import LockedError
from app.journal import services as journal
from app.journal.models import Entry
from app.notifications.models import Notification
from app.plans.models import Commitment, Plan
from app.review import services
from app.review.models import EntrySnapshot, MonthReview
from app.standards.models import Standard

# ---- helpers ------------------------------------------------------------------------------------


def make_plan(owner, unit, approver, status=PlanStatus.APPROVED, version=1):
    """An approved plan with one weekly commitment for `owner` in `unit`, this year."""
    year = today_local().year
    standard = db.session.scalar(select(Standard).where(Standard.year == year))
    if standard is None:
        standard = Standard(unit_id=unit.id, year=year, group=ContentGroup.ETHICS, title="Cần, kiệm")
        db.session.add(standard)
    plan = Plan(
        user_id=owner.id,
        unit_id=unit.id,
        year=year,
        version=version,
        status=status,
        created_by_id=owner.id,
        decided_by_id=approver.id,
        created_at=utcnow().replace(month=1, day=1),
        submitted_at=utcnow() if status is PlanStatus.SUBMITTED else None,
    )
    plan.commitments = [
        Commitment(
            standard=standard,
            action="Tiết kiệm điện, giấy in tại phòng làm việc",
            measure="Tắt thiết bị khi ra về",
            frequency=Frequency.WEEKLY,
            sort_order=1,
        ),
        Commitment(
            standard=standard,
            action="Hướng dẫn đồng nghiệp dùng chữ ký số",
            measure="Mỗi tháng 1 người",
            frequency=Frequency.MONTHLY,
            sort_order=2,
        ),
    ]
    db.session.add(plan)
    db.session.flush()
    for c in plan.commitments:
        c.lineage_id = c.id
    db.session.commit()
    return plan


def write(owner, unit, plan, *, action="Tắt điện, điều hòa khi ra về", submit=True, day=None, commitment=0):
    entry = journal.save_entry(
        owner,
        owner,
        unit,
        journal.EntryData(
            deed_date=day or today_local(),
            place="Văn phòng Sở",
            action=action,
            result="Phòng tiết kiệm điện",
            lesson="Việc nhỏ làm đều",
            commitment_ids=[plan.commitments[commitment].id],
        ),
        submit=submit,
    )
    db.session.commit()
    return entry


def notes(user, kind=None):
    stmt = select(Notification).where(Notification.user_id == user.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.session.scalars(stmt.order_by(Notification.id)))


@pytest.fixture
def plans(org):
    """Approved plans for the member, the second member, the deputy and the secretary of branch A."""
    return {
        "member": make_plan(org.member, org.branch, org.secretary),
        "member2": make_plan(org.member2, org.branch, org.secretary),
        "deputy": make_plan(org.deputy, org.branch, org.officer_root),
        "secretary": make_plan(org.secretary, org.branch, org.officer_root),
    }


def review_url(org, owner=None, day=None):
    day = day or today_local()
    owner = owner or org.member
    return f"/units/{org.branch.id}/review/{owner.id}/{day.year}/{day.month}"


# ---- the whole flow through the services --------------------------------------------------------


def test_whole_flow_through_services(org, plans):
    today = today_local()
    entry = write(org.member, org.branch, plans["member"])
    # Submitting tells the branch's secretary and deputy, with a link to the review screen.
    for reviewer in (org.secretary, org.deputy):
        [note] = notes(reviewer, "submitted")
        assert "Nguyễn Thị Mỹ Duyên gửi bài nhật ký ngày" in note.title
        assert (
            note.link
            == f"/units/{org.branch.id}/review/{org.member.id}/{today.year}/{today.month}#entry-{entry.id}"
        )
    assert not notes(org.officer_root)

    services.comment_entry(org.secretary, entry, "Bài viết cụ thể, nên ghi thêm số liệu.")
    db.session.commit()
    [note] = notes(org.member, "comment")
    assert note.title == f"Trần Quốc Bảo đã nhận xét bài ngày {today:%d/%m/%Y}"
    # The member replies; the secretary who commented is told.
    services.comment_entry(org.member, entry, "Em sẽ bổ sung ạ.")
    db.session.commit()
    assert notes(org.secretary, "comment")[-1].title.startswith("Nguyễn Thị Mỹ Duyên đã trả lời nhận xét")

    with pytest.raises(services.ReviewError, match="Vui lòng ghi rõ"):
        services.request_revision(org.secretary, entry, "   ")
    services.request_revision(org.secretary, entry, "Ghi rõ số thiết bị đã tắt.")
    db.session.commit()
    assert entry.status is EntryStatus.REVISION and entry.revision_reason == "Ghi rõ số thiết bị đã tắt."
    assert notes(org.member, "revision")[-1].body.endswith("Ghi rõ số thiết bị đã tắt.")
    snapshot = db.session.scalar(select(EntrySnapshot).where(EntrySnapshot.entry_id == entry.id))
    assert snapshot.reason == "revision"

    # The member edits and sends it again: the reviewers see exactly what changed.
    journal.save_entry(
        org.member,
        org.member,
        org.branch,
        journal.EntryData(
            deed_date=entry.deed_date,
            place="Văn phòng Sở",
            action="Tắt 12 máy tính, điều hòa khi ra về",
            result="Phòng tiết kiệm điện",
            lesson="Việc nhỏ làm đều",
            commitment_ids=[plans["member"].commitments[0].id],
        ),
        entry=entry,
        submit=True,
    )
    db.session.commit()
    assert entry.status is EntryStatus.SUBMITTED
    assert notes(org.secretary, "resubmitted")[-1].title == (
        f"Nguyễn Thị Mỹ Duyên đã bổ sung bài ngày {today:%d/%m/%Y} theo yêu cầu"
    )
    queue = services.review_queue(org.secretary, org.branch)
    assert [i.id for i in queue.items] == [entry.id] and queue.items[0].resubmitted
    diff = services.latest_diff(entry)
    assert [f.label for f in diff.fields] == ["Việc đã làm"]
    html = str(diff.fields[0].html)
    assert html == "Tắt <del>điện,</del><ins>12 máy tính,</ins> điều hòa khi ra về"

    edited_at = entry.updated_at
    services.mark_reviewed(org.secretary, entry)
    services.flag_exemplary(org.secretary, entry, "Gương tiết kiệm cho cả chi đoàn")
    db.session.commit()
    assert entry.status is EntryStatus.REVIEWED and entry.reviewed_by_id == org.secretary.id
    assert entry.updated_at == edited_at  # a review is not an edit of what the member wrote
    assert entry.is_exemplary and notes(org.member, "exemplary")
    assert services.review_queue(org.secretary, org.branch).items == []
    found, people, _, total = services.golden_book(org.branch, today.year)
    assert [e.id for e in found] == [entry.id] and total == 1 and org.secretary.id in people

    review = services.write_month_comment(
        org.secretary, org.member, org.branch, today.year, today.month, "Tháng này tích cực.", 0
    )
    db.session.commit()
    review = services.sign_off_month(
        org.secretary, org.member, org.branch, today.year, today.month, review.lock_version
    )
    db.session.commit()
    assert review.is_signed and len(review.content_hash) == 64
    assert notes(org.member, "signed")[-1].title == f"Tháng {today.month}/{today.year} đã được ký xác nhận"
    assert services.verify_month(review).ok

    # Frozen: no edit, no new entry dated into the month.
    assert not journal.can_edit_entry(org.member, entry)
    with pytest.raises(LockedError, match="ký xác nhận"):
        write(org.member, org.branch, plans["member"])
    with pytest.raises(LockedError, match="đã được Trần Quốc Bảo ký xác nhận"):
        services.request_revision(org.secretary, entry, "Thêm ảnh")
    with pytest.raises(LockedError, match="đã được Trần Quốc Bảo ký xác nhận"):
        services.write_month_comment(
            org.secretary, org.member, org.branch, today.year, today.month, "Sửa", None
        )

    with pytest.raises(services.ReviewError, match="lý do"):
        services.reopen_month(org.secretary, review, "")
    reopening = services.reopen_month(org.secretary, review, "Đoàn viên bổ sung minh chứng hiến máu")
    db.session.commit()
    assert not review.is_signed and reopening.previous_hash and reopening.previous_signed_at
    assert journal.can_edit_entry(org.member, entry)


def test_editing_a_reviewed_entry_sends_it_back_for_review(org, plans):
    entry = write(org.member, org.branch, plans["member"])
    services.mark_reviewed(org.secretary, entry)
    db.session.commit()
    reviewed_at = entry.updated_at
    # Saving the same content changes nothing.
    journal.save_entry(
        org.member,
        org.member,
        org.branch,
        journal.EntryData(
            entry.deed_date,
            entry.place,
            entry.action,
            entry.result,
            entry.lesson,
            [c.id for c in entry.commitments],
        ),
        entry=entry,
    )
    db.session.commit()
    assert entry.status is EntryStatus.REVIEWED and entry.updated_at == reviewed_at
    journal.autosave_draft(
        org.member,
        org.member,
        org.branch,
        journal.EntryData(
            entry.deed_date,
            entry.place,
            entry.action + " Thêm ý.",
            entry.result,
            entry.lesson,
            [c.id for c in entry.commitments],
        ),
        entry,
    )
    db.session.commit()
    assert entry.status is EntryStatus.SUBMITTED
    assert notes(org.secretary, "submitted")[-1].title.endswith("(bài đã xem trước đó)")
    item = services.review_queue(org.secretary, org.branch).items[0]
    assert item.edited_after_review and not item.resubmitted
    assert str(services.latest_diff(entry).fields[0].html).endswith("ra về<ins> Thêm ý.</ins>")


def test_diff_escapes_what_members_type(org, plans):
    entry = write(org.member, org.branch, plans["member"])
    services.request_revision(org.secretary, entry, "Ghi rõ hơn")
    db.session.commit()
    entry.action = 'Tắt điện <script>alert("x")</script> & <b>đậm</b>'
    db.session.commit()
    html = str(services.latest_diff(entry).fields[0].html)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html


@pytest.mark.clock
def test_sign_off_waits_for_revisions_and_drafts(org, plans):
    today = today_local()
    entry = write(org.member, org.branch, plans["member"])
    services.request_revision(org.secretary, entry, "Thêm kết quả cụ thể")
    db.session.commit()
    with pytest.raises(services.ReviewError, match="1 bài đang chờ bổ sung"):
        services.sign_off_month(org.secretary, org.member, org.branch, today.year, today.month)
    services.mark_reviewed(org.secretary, entry)  # the reviewer withdraws the request
    write(org.member, org.branch, plans["member"], submit=False, action="Đang viết")
    with pytest.raises(services.ReviewError, match="1 bản nháp chưa gửi"):
        services.sign_off_month(org.secretary, org.member, org.branch, today.year, today.month)
    next_month = (today.replace(day=28) + timedelta(days=5)).replace(day=1)
    with pytest.raises(services.ReviewError, match="chưa bắt đầu"):
        services.sign_off_month(org.secretary, org.member, org.branch, next_month.year, next_month.month)


@pytest.mark.clock
def test_sign_off_marks_waiting_entries_reviewed_and_snapshots_them(org, plans):
    today = today_local()
    first = write(org.member, org.branch, plans["member"])
    second = write(org.member, org.branch, plans["member"], action="Hướng dẫn chị Lan ký số", commitment=1)
    review = services.sign_off_month(org.secretary, org.member, org.branch, today.year, today.month)
    db.session.commit()
    assert {first.status, second.status} == {EntryStatus.REVIEWED}
    reasons = db.session.scalars(select(EntrySnapshot.reason).where(EntrySnapshot.entry_id == first.id)).all()
    assert reasons == ["signed"]
    assert f'"id":{first.id}' in review.signed_content and review.content_hash
    assert services.review_queue(org.secretary, org.branch).items == []


def test_month_comment_conflict_is_refused(org, plans):
    today = today_local()
    first = services.write_month_comment(
        org.secretary, org.member, org.branch, today.year, today.month, "A", 0
    )
    db.session.commit()
    version = first.lock_version
    services.write_month_comment(org.deputy, org.member, org.branch, today.year, today.month, "B", version)
    db.session.commit()
    with pytest.raises(services.MonthConflict) as info:
        services.write_month_comment(
            org.secretary, org.member, org.branch, today.year, today.month, "C", version
        )
    assert info.value.saved.comment == "B"


def test_who_reviews_whom_in_services(org, plans):
    member_entry = write(org.member, org.branch, plans["member"])
    secretary_entry = write(org.secretary, org.branch, plans["secretary"])
    # Submitting a secretary's entry tells the officers over the branch, not the deputy.
    assert [n.title for n in notes(org.officer_root, "submitted")] == [
        f"Trần Quốc Bảo gửi bài nhật ký ngày {today_local():%d/%m/%Y}"
    ]
    assert all("Trần Quốc Bảo" not in n.title for n in notes(org.deputy))
    for actor, entry in (
        (org.secretary, secretary_entry),  # not one's own diary
        (org.deputy, secretary_entry),  # a deputy does not review the secretary
        (org.admin, member_entry),  # administrators review nobody
        (org.officer_sibling, member_entry),
        (org.secretary_other, member_entry),
        (org.member2, member_entry),
    ):
        with pytest.raises(Exception) as info:
            services.mark_reviewed(actor, entry)
        assert getattr(info.value, "code", None) == 403
    services.mark_reviewed(org.officer_root, secretary_entry)
    services.mark_reviewed(org.deputy, member_entry)
    db.session.commit()
    assert secretary_entry.reviewed_by_id == org.officer_root.id


# ---- the queue ----------------------------------------------------------------------------------


@pytest.mark.clock
def test_queue_lists_what_the_viewer_reviews_oldest_first(org, plans):
    older = write(org.member2, org.branch, plans["member2"])
    older.submitted_at = utcnow() - timedelta(days=5)
    newer = write(org.member, org.branch, plans["member"])
    write(org.deputy, org.branch, plans["deputy"])
    own = write(org.secretary, org.branch, plans["secretary"])
    waiting = make_plan(org.member2, org.branch, org.secretary, PlanStatus.SUBMITTED, version=2)

    queue = services.review_queue(org.secretary, org.branch)
    assert [i.id for i in queue.items] == [older.id, newer.id]
    assert [i.age_days for i in queue.items] == [5, 0]
    assert [p.id for p in queue.plans] == [waiting.id]
    assert [g.member_id for g in queue.by_member] == [org.member2.id, org.member.id]
    # The officer over the branch sees everyone's, the secretary's own included.
    officer = services.review_queue(org.officer_root, org.branch)
    assert own.id in {i.id for i in officer.items} and len(officer.items) == 4
    # Filtered by member.
    assert [i.id for i in services.review_queue(org.secretary, org.branch, org.member.id).items] == [newer.id]


def test_queue_page(client, login, org, plans):
    old = write(org.member, org.branch, plans["member"])
    old.submitted_at = utcnow() - timedelta(days=5)
    db.session.commit()
    write(org.secretary, org.branch, plans["secretary"], action="Bài riêng của bí thư")
    login("bithu")
    page = client.get(f"/units/{org.branch.id}/review")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "chờ 5 ngày" in html and "Tắt điện, điều hòa khi ra về" in html
    assert "Bài riêng của bí thư" not in html
    assert f"/units/{org.branch.id}/review/{org.member.id}/" in html
    filtered = client.get(f"/units/{org.branch.id}/review?member={org.member2.id}").get_data(as_text=True)
    assert "Không còn bài nào chờ xem xét" in filtered

    client.post("/logout")
    login("canbo")
    html = client.get(f"/units/{org.branch.id}/review").get_data(as_text=True)
    assert "Bài riêng của bí thư" in html and "kể cả sổ của bí thư" in html
    # From the unit above, the officer sees the secretaries' own entries across branches.
    upper = client.get(f"/units/{org.grassroots.id}/review").get_data(as_text=True)
    assert "Bài riêng của bí thư" in upper and "Tắt điện, điều hòa khi ra về" not in upper
    assert org.branch.name in upper


def test_an_entry_sent_today_waits_less_than_a_day_not_0_days(client, login, org, plans):
    write(org.member, org.branch, plans["member"])
    write(org.secretary, org.branch, plans["secretary"], action="Bài riêng của bí thư")
    login("bithu")
    html = client.get(f"/units/{org.branch.id}/review").get_data(as_text=True)
    assert "chờ dưới 1 ngày" in html and "chờ 0 ngày" not in html
    client.post("/logout")
    login("canbo")
    upper = client.get(f"/units/{org.grassroots.id}/review").get_data(as_text=True)
    assert "chờ dưới 1 ngày" in upper and "chờ 0 ngày" not in upper


def test_queue_runs_a_fixed_number_of_queries(app, client, login, org, plans):
    """No query per row: the queue costs the same with 3 entries as with 30."""

    def count_queries() -> int:
        statements = []

        def listener(conn, cursor, statement, *args):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/units/{org.branch.id}/review").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    login("bithu")
    for _ in range(3):
        write(org.member, org.branch, plans["member"])
    few = count_queries()
    for owner in (org.member, org.member2):
        for _ in range(12):
            write(owner, org.branch, plans["member" if owner is org.member else "member2"])
    assert count_queries() == few


# ---- the month screen through the client ------------------------------------------------------


@pytest.mark.clock
def test_whole_flow_through_the_client(client, login, org, plans):
    today = today_local()
    login("doanvien")
    response = client.post(
        f"/diary/entries/new?unit_id={org.branch.id}",
        data={
            "deed_date": today.strftime("%d/%m/%Y"),
            "place": "Văn phòng Sở",
            "action": "Tắt điện khi ra về",
            "result": "Tiết kiệm điện",
            "commitment_ids": str(plans["member"].commitments[0].id),
            "submit": "Gửi bài",
        },
    )
    assert response.status_code == 302
    entry = db.session.scalar(select(Entry).where(Entry.user_id == org.member.id))
    client.post("/logout")

    login("bithu")
    screen = client.get(review_url(org))
    html = screen.get_data(as_text=True)
    assert screen.status_code == 200
    assert f'id="entry-{entry.id}"' in html and "Tiết kiệm điện, giấy in" in html  # plan beside entries
    # Vietnamese order: Duyên (D) comes before Đạt (Đ), so the next member is Đặng Văn Đạt.
    assert 'data-hotkey="j"' in html and 'rel="next"' in html and 'rel="prev"' not in html
    assert "Đặng Văn Đạt ›" in html
    response = client.post(f"/review/entries/{entry.id}/comment", data={"body": "Cần ghi số liệu cụ thể."})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#entry-{entry.id}")
    # A revision request without a reason is refused next to the field, and nothing changes.
    refused = client.post(f"/review/entries/{entry.id}/revision", data={"reason": "  "})
    assert refused.status_code == 422
    assert "Vui lòng ghi rõ cần bổ sung" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).status is EntryStatus.SUBMITTED
    response = client.post(f"/review/entries/{entry.id}/revision", data={"reason": "Ghi số máy đã tắt."})
    assert response.status_code == 302
    client.post("/logout")

    login("doanvien")
    page = client.get(f"/diary/entries/{entry.id}").get_data(as_text=True)
    assert "Cần bổ sung, chỉnh sửa" in page and "Ghi số máy đã tắt." in page
    assert f"/diary/entries/{entry.id}/edit" in page and "Cần ghi số liệu cụ thể." in page
    reply = client.post(
        f"/review/entries/{entry.id}/comment", data={"body": "Dạ em sửa ngay.", "back": "entry"}
    )
    assert reply.headers["Location"].endswith(f"/diary/entries/{entry.id}#comments")
    response = client.post(
        f"/diary/entries/{entry.id}/edit",
        data={
            "deed_date": today.strftime("%d/%m/%Y"),
            "place": "Văn phòng Sở",
            "action": "Tắt 12 máy tính khi ra về",
            "result": "Tiết kiệm điện",
            "commitment_ids": str(plans["member"].commitments[0].id),
            "submit": "Gửi bài",
            "entry_id": str(entry.id),
            "lock_version": str(db.session.get(Entry, entry.id).lock_version),
        },
    )
    assert response.status_code == 302
    client.post("/logout")

    login("bithu")
    html = client.get(review_url(org)).get_data(as_text=True)
    assert "Đã sửa so với lần yêu cầu bổ sung" in html and "<ins>12 máy tính</ins>" in html
    assert client.post(f"/review/entries/{entry.id}/reviewed").status_code == 302
    assert (
        client.post(f"/review/entries/{entry.id}/exemplary", data={"note": "Gương sáng"}).status_code == 302
    )
    response = client.post(review_url(org) + "/comment", data={"comment": "Tháng tốt.", "lock_version": "0"})
    assert response.status_code == 302
    version = db.session.scalar(select(MonthReview.lock_version))
    assert client.post(review_url(org) + "/sign", data={"lock_version": str(version)}).status_code == 302
    client.post("/logout")

    login("doanvien")
    month_page = client.get(f"/diary/{today.year}/{today.month}").get_data(as_text=True)
    assert f"Đã ký xác nhận ngày {today:%d/%m/%Y}" in month_page and "Trần Quốc Bảo" in month_page
    assert "Tháng tốt." in month_page and "Cảnh báo" not in month_page
    entry_page = client.get(f"/diary/entries/{entry.id}").get_data(as_text=True)
    assert f"/diary/entries/{entry.id}/edit" not in entry_page and "★ Được biểu dương" in entry_page
    locked = client.get(f"/diary/entries/{entry.id}/edit")  # refused with the reason: 409
    assert locked.status_code == 409 and "mở lại tháng" in locked.get_data(as_text=True)
    blocked = client.post(
        f"/diary/entries/new?unit_id={org.branch.id}",
        data={
            "deed_date": today.strftime("%d/%m/%Y"),
            "action": "Thêm",
            "submit": "Gửi bài",
            "commitment_ids": str(plans["member"].commitments[0].id),
        },
    )
    assert blocked.status_code == 409 and "đã được Trần Quốc Bảo ký xác nhận" in blocked.get_data(
        as_text=True
    )
    assert f"/diary/entries/new?date={today.isoformat()}" not in month_page
    client.post("/logout")

    login("bithu")
    refused = client.post(review_url(org) + "/reopen", data={"reason": ""})
    assert refused.status_code == 422 and "Vui lòng ghi lý do mở lại tháng." in refused.get_data(as_text=True)
    assert client.post(review_url(org) + "/reopen", data={"reason": "Bổ sung minh chứng"}).status_code == 302
    client.post("/logout")

    login("doanvien")
    month_page = client.get(f"/diary/{today.year}/{today.month}").get_data(as_text=True)
    assert "Tháng đã được mở lại" in month_page and "Bổ sung minh chứng" in month_page
    assert client.get(f"/diary/entries/{entry.id}/edit").status_code == 200


@pytest.mark.clock
def test_tampering_after_sign_off_is_reported_on_the_month(client, login, org, plans):
    today = today_local()
    entry = write(org.member, org.branch, plans["member"])
    untouched = write(org.member, org.branch, plans["member"], action="Hướng dẫn chị Lan ký số", commitment=1)
    services.sign_off_month(org.secretary, org.member, org.branch, today.year, today.month)
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE entries SET action = :a WHERE id = :i"), {"a": "Việc khác hẳn", "i": entry.id}
        )
    db.session.expire_all()
    review = db.session.scalar(select(MonthReview))
    result = services.verify_month(review)
    assert not result.ok and [c.entry_id for c in result.changed] == [entry.id]
    assert result.changed[0].fields == ["Việc đã làm"] and untouched.id not in {
        c.entry_id for c in result.changed
    }

    warning = "Cảnh báo: nội dung tháng đã ký bị thay đổi"
    named = f"Đã bị sửa: bài ngày {today:%d/%m/%Y} «Việc khác hẳn» (Việc đã làm)"
    for username, url in (
        ("doanvien", f"/diary/{today.year}/{today.month}"),
        ("bithu", review_url(org)),
        ("canbo", f"/diary/{today.year}/{today.month}?unit_id={org.branch.id}&user_id={org.member.id}"),
    ):
        login(username)
        html = client.get(url).get_data(as_text=True)
        assert warning in html and named in html, username
        client.post("/logout")


def test_rewriting_the_month_and_its_hash_together_is_still_caught(org, plans):
    """Someone with database access who also recomputes the signature is caught by the audit log."""
    from app.review import hashing

    today = today_local()
    entry = write(org.member, org.branch, plans["member"])
    review = services.sign_off_month(org.secretary, org.member, org.branch, today.year, today.month)
    db.session.commit()
    forged = hashing.month_content(
        org.member.id, org.branch.id, today.year, today.month, [entry], review.comment
    )
    forged["entries"][0]["action"] = "Việc khác hẳn"
    content = hashing.canonical_json(forged)
    db.session.commit()  # nothing of ours holds a lock while the raw statements run
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE entries SET action = :a WHERE id = :i"), {"a": "Việc khác hẳn", "i": entry.id}
        )
        conn.execute(
            sa.text("UPDATE month_reviews SET content_hash = :h, signed_content = :c"),
            {"h": hashing.sha256_hex(content), "c": content},
        )
    db.session.expire_all()
    result = services.verify_month(db.session.get(MonthReview, review.id))
    assert not result.ok and result.record_altered
    # The forged signature matches the entries; the snapshots taken at signing still name the entry.
    assert [(c.entry_id, c.fields) for c in result.changed] == [(entry.id, ["Việc đã làm"])]


def test_tampering_with_the_stored_hash_is_reported(org, plans):
    today = today_local()
    write(org.member, org.branch, plans["member"])
    review = services.sign_off_month(org.secretary, org.member, org.branch, today.year, today.month)
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE month_reviews SET content_hash = :h"), {"h": "0" * 64})
    db.session.expire_all()
    assert services.verify_month(db.session.get(MonthReview, review.id)).record_altered


@pytest.mark.parametrize(
    ("username", "owner", "status"),
    [
        ("bithu", "member", 200),
        ("phobithu", "member", 200),
        ("bithu", "secretary", 403),  # not one's own diary
        ("phobithu", "secretary", 403),  # a deputy reads, but does not review, the secretary
        ("canbo", "secretary", 200),  # the officer over the branch reviews the secretary
        ("canbo", "member", 200),
        ("canbo2", "member", 404),  # an officer of a sibling unit
        ("canbo2", "secretary", 404),
        ("doanvienb", "member", 404),  # a member of another branch
        ("doanvien2", "member", 404),
        ("doanvien", "member", 403),  # one's own month is read in the diary, not reviewed
        ("quantri", "member", 403),  # administrators review nobody
        ("bithub", "member", 404),
    ],
)
def test_who_may_open_a_month_review(client, login, org, username, owner, status):
    login(username)
    assert client.get(review_url(org, getattr(org, owner))).status_code == status


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("bithu", 200),
        ("phobithu", 200),
        ("canbo", 200),
        ("doanvien", 403),
        ("canbo2", 404),
        ("doanvienb", 404),
        ("quantri", 403),
    ],
)
def test_who_may_open_the_queue(client, login, org, username, status):
    login(username)
    assert client.get(f"/units/{org.branch.id}/review").status_code == status


def test_entry_actions_refuse_who_may_not(client, login, org, plans):
    entry = write(org.member, org.branch, plans["member"])
    for username, status in (("doanvien2", 404), ("doanvienb", 404), ("canbo2", 404), ("quantri", 403)):
        login(username)
        for action in ("reviewed", "exemplary", "unexemplary", "revision", "comment"):
            response = client.post(f"/review/entries/{entry.id}/{action}", data={"reason": "x", "body": "x"})
            assert response.status_code == status, (username, action)
        client.post("/logout")
    login("doanvien")
    assert client.post(f"/review/entries/{entry.id}/reviewed").status_code == 403
    assert client.post(f"/review/entries/{entry.id}/comment", data={"body": "Trả lời"}).status_code == 302


def test_a_huge_comment_is_refused_with_a_message_and_kept(client, login, org, plans):
    entry = write(org.member, org.branch, plans["member"])
    login("bithu")
    text = "Nhận xét rất dài. " * 6000  # 108.000 characters
    response = client.post(f"/review/entries/{entry.id}/comment", data={"body": text})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tối đa 3.000 ký tự" in html and text.strip()[:500] in html
    assert not services.entry_comments(entry)
    huge_reason = client.post(f"/review/entries/{entry.id}/revision", data={"reason": "x" * 100_000})
    assert huge_reason.status_code == 422 and "Tối đa 2.000 ký tự" in huge_reason.get_data(as_text=True)
    huge_month = client.post(
        review_url(org) + "/comment", data={"comment": "y" * 100_000, "lock_version": "0"}
    )
    assert huge_month.status_code == 422 and "Tối đa 5.000 ký tự" in huge_month.get_data(as_text=True)


def test_month_comment_conflict_shows_both_versions(client, login, org, plans):
    login("bithu")
    client.post(review_url(org) + "/comment", data={"comment": "Bản đầu tiên", "lock_version": "0"})
    response = client.post(review_url(org) + "/comment", data={"comment": "Bản của tôi", "lock_version": "0"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Bản đầu tiên" in html and "Bản của tôi" in html and "vừa được lưu ở nơi khác" in html


def test_month_screen_loads_what_the_journal_and_the_queue_load(org, plans):
    """The month screen's own loaders, one query each, return what journal.month_entries and
    journal.year_plans, the latest snapshots and reviewable_members return."""
    from app.auth.models import User
    from app.units.models import Unit

    today = today_local()
    plan = plans["member"]
    both = journal.save_entry(
        org.member,
        org.member,
        org.branch,
        journal.EntryData(
            deed_date=today,
            action="Hai nội dung một lúc",
            commitment_ids=[c.id for c in plan.commitments],
        ),
        submit=True,
    )
    db.session.commit()
    sent_back = write(org.member, org.branch, plan)
    reviewed = write(org.member, org.branch, plan, commitment=1)
    write(org.member, org.branch, plan, submit=False)  # a draft: loaded too, as the journal does
    services.request_revision(org.secretary, sent_back, "Ghi rõ số liệu")
    services.mark_reviewed(org.secretary, reviewed)
    services.mark_reviewed(org.secretary, both)
    db.session.commit()
    journal.save_entry(
        org.member,
        org.member,
        org.branch,
        journal.EntryData(
            deed_date=today, action="Đã bổ sung số liệu", commitment_ids=[plan.commitments[0].id]
        ),
        entry=sent_back,
        submit=True,
    )
    db.session.commit()
    member_id, branch_id = org.member.id, org.branch.id

    def fresh():
        """The member and the branch in an empty session: each loader loads everything itself."""
        db.session.expunge_all()
        return db.session.get(User, member_id), db.session.get(Unit, branch_id)

    entries, latest = services.month_entries_with_snapshots(*fresh(), today.year, today.month)
    got = [(e.id, [c.id for c in e.commitments], [v.id for v in e.evidence]) for e in entries]
    latest = {entry_id: snap.id for entry_id, snap in latest.items()}
    expected = journal.month_entries(*fresh(), today.year, today.month)
    assert got == [(e.id, sorted(c.id for c in e.commitments), [v.id for v in e.evidence]) for e in expected]
    assert len(got) == 4 and len(got[-1][1]) == 2
    newest = db.session.execute(
        select(EntrySnapshot.entry_id, sa.func.max(EntrySnapshot.id)).group_by(EntrySnapshot.entry_id)
    ).all()
    assert latest == dict(newest) and len(latest) == 3

    versions = [(p.id, [c.id for c in p.commitments]) for p in services.year_plans(*fresh(), today.year)]
    assert versions == [
        (p.id, [c.id for c in p.commitments]) for p in journal.year_plans(*fresh(), today.year)
    ]

    db.session.expunge_all()
    branch = db.session.get(Unit, branch_id)
    # The secretary and the deputy review the members, the officer above everyone, others nobody.
    for username, count in (("bithu", 2), ("phobithu", 2), ("canbo", 4), ("doanvien", 0), ("quantri", 0)):
        viewer = db.session.scalar(select(User).where(User.username == username))
        names = [(r.id, r.full_name) for r in services.reviewable_names(viewer, branch)]
        assert names == [(u.id, u.full_name) for u in services.reviewable_members(viewer, branch)]
        assert len(names) == count


def test_month_screen_runs_a_fixed_number_of_queries(app, client, login, org, plans):
    """No query per entry, comment, snapshot or member: the month screen costs the same with one
    entry as with a month of them, commented on, sent back and reviewed."""
    from app.auth.models import User
    from app.review.routes import BLANK_ID
    from app.units.models import Unit

    def count_queries() -> tuple[int, str]:
        statements = []

        def listener(conn, cursor, statement, *args):
            statements.append(statement)

        db.session.remove()  # a fresh session, as each request of a running site has
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            response = client.get(url)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        assert response.status_code == 200
        return len(statements), response.get_data(as_text=True)

    today = today_local()
    ids = (org.secretary.id, org.member.id, org.branch.id, plans["member"].id)
    url = review_url(org)
    write(org.member, org.branch, plans["member"])
    services.write_month_comment(
        org.secretary, org.member, org.branch, today.year, today.month, "Ghi đều.", 0
    )
    db.session.commit()
    login("bithu")
    few = count_queries()[0]

    for i in range(12):
        secretary, member = db.session.get(User, ids[0]), db.session.get(User, ids[1])
        branch, plan = db.session.get(Unit, ids[2]), db.session.get(Plan, ids[3])
        entry = write(member, branch, plan, action=f"Việc thứ {i}", commitment=i % 2)
        services.comment_entry(secretary, entry, f"Nhận xét {i}")
        services.comment_entry(member, entry, f"Trả lời {i}")
        if i % 3 == 0:
            services.request_revision(secretary, entry, "Bổ sung số liệu")
        elif i % 3 == 1:
            services.mark_reviewed(secretary, entry)
        db.session.commit()
    many, html = count_queries()
    assert html.count('<article class="card mb-3 review-entry"') == 13 and "Trả lời 11" in html
    assert str(BLANK_ID) not in html  # every copied form and link got its entry's id
    assert many == few
    # Three for the login and the layout; seven for the screen (the member, the entries with their
    # commitments, evidence and latest snapshots, the month's comment and reopenings, the names
    # around the member, the plan, the coverage, the comments); one for the month's lock
    # (app.core.locks: is the year closed, is the month signed — asked at once), which decides
    # which buttons are shown.
    assert few <= 11


def test_a_refused_form_keeps_its_text_among_the_copied_forms(client, login, org, plans):
    """Every entry gets a copy of the blank forms with its own id; the refused one is shown with
    the text that was sent, unchanged, even where it looks like the id that stands in the copies."""
    from app.review.routes import BLANK_ID

    first = write(org.member, org.branch, plans["member"])
    second = write(org.member, org.branch, plans["member"], action="Việc thứ hai")
    login("bithu")
    text = f"Ghi rõ mã {BLANK_ID} của văn bản. " * 80  # over the 2.000 characters allowed
    response = client.post(f"/review/entries/{first.id}/revision", data={"reason": text})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Tối đa 2.000 ký tự" in html
    assert text.strip() in html and html.count(str(BLANK_ID)) == text.count(str(BLANK_ID))
    for entry in (first, second):
        assert f'action="/review/entries/{entry.id}/revision"' in html
        assert f'id="reason-{entry.id}"' in html and f'id="body-{entry.id}"' in html
        assert f'action="/review/entries/{entry.id}/reviewed"' in html
    assert html.count("<details open>") == 1


def test_odd_review_urls_never_500(client, login, org):
    login("bithu")
    for url in (
        f"/units/{org.branch.id}/review/{org.member.id}/1999/5",
        f"/units/{org.branch.id}/review/{org.member.id}/2026/13",
        f"/units/{org.branch.id}/review/999999/2026/5",
        f"/units/{org.grassroots.id}/review/{org.member.id}/2026/5",
        "/review/entries/999999/comment",
    ):
        assert client.get(url).status_code in (404, 405)
    assert client.post("/review/entries/999999/comment", data={"body": "x"}).status_code == 404
    for action in ("comment", "sign", "reopen"):  # the forms of a month outside the calendar
        for period in ("2026/13", "1999/5", "2026/0"):
            url = f"/units/{org.branch.id}/review/{org.member.id}/{period}/{action}"
            assert client.post(url, data={"comment": "x", "reason": "x"}).status_code == 404


# ---- the sổ vàng -------------------------------------------------------------------------------


def test_golden_book_is_read_by_the_branch_and_the_units_above(client, login, org, plans):
    entry = write(org.member, org.branch, plans["member"], action="Hiến máu tình nguyện lần thứ 5")
    services.flag_exemplary(org.secretary, entry, "Tấm gương cho chi đoàn")
    db.session.commit()
    year = today_local().year
    for username, unit, status in (
        ("doanvien2", org.branch, 200),
        ("doanvien", org.branch, 200),
        ("canbo", org.branch, 200),
        ("canbo", org.root, 200),  # an upper unit lists its branches' deeds
        ("doanvienb", org.branch, 404),
        ("canbo2", org.branch, 404),
    ):
        login(username)
        response = client.get(f"/units/{unit.id}/golden-book?year={year}")
        assert response.status_code == status, (username, unit.name)
        if status == 200:
            html = response.get_data(as_text=True)
            assert "Hiến máu tình nguyện lần thứ 5" in html and "Tấm gương cho chi đoàn" in html
            assert "Biểu dương bởi Trần Quốc Bảo" in html
        client.post("/logout")
    login("bithub")
    html = client.get(f"/units/{org.branch_other.id}/golden-book").get_data(as_text=True)
    assert "Hiến máu" not in html
