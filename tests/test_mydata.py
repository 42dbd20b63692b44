""" "Dữ liệu của tôi": a person downloads everything about themselves, and nothing about anyone else."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.core.db import db
from app.core.enums import ContentGroup, Frequency
from app.core.filters import today_local
from app.journal import services as journal
from app.notifications.models import Notification
from app.notifications.services import notify
from app.plans import services as plans
from app.review import services as review
from app.standards.models import Standard

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%%EOF\n"


def _plan_and_entry(owner, secretary, unit, standard, year, texts: dict[str, str]):
    """An approved plan, a second version waiting, an entry with evidence that was commented on,
    sent back for revision, and a month comment from the secretary."""
    plan = plans.start_plan(owner, owner, unit, year)
    plans.save_plan(
        owner,
        plan,
        texts["shortcomings"],
        [
            plans.CommitmentData(
                action=texts["commitment"],
                measure="Đo bằng nhật ký",
                standard_id=standard.id,
                frequency=Frequency.WEEKLY,
                deadline=date(year, 12, 31),
                is_breakthrough=True,
            ),
            plans.CommitmentData(
                action="Tự học 2 giờ mỗi tuần",
                measure="Nhật ký hằng tuần",
                standard_id=standard.id,
                deadline=date(year, 12, 31),
            ),
        ],
    )
    plans.submit_plan(owner, plan)
    plans.approve_plan(plan, secretary)
    second = plans.revise_plan(owner, plan)
    plans.submit_plan(owner, second)
    data = journal.EntryData(
        deed_date=today_local(),
        place=texts["place"],
        action=texts["action"],
        result="Hoàn thành",
        lesson="Việc nhỏ làm đều",
        commitment_ids=[plan.commitments[0].id],
    )
    photo = FileStorage(io.BytesIO(PNG), filename=texts["file"])
    entry = journal.save_entry(owner, owner, unit, data, submit=True, uploads=[photo])
    review.comment_entry(secretary, entry, texts["comment"])
    review.request_revision(secretary, entry, texts["revision"])
    today = today_local()
    review.write_month_comment(secretary, owner, unit, today.year, today.month, texts["month"], None)
    notify(owner, "comment", texts["notification"], link="/diary/")
    db.session.commit()
    return plan, second, entry


MINE = {
    "shortcomings": "Còn ngại phát biểu trước đông người",
    "commitment": "Hướng dẫn đồng nghiệp dùng chữ ký số",
    "place": "Phòng Tổ chức cán bộ, Sở Giáo dục và Đào tạo",
    "action": "Hướng dẫn 3 đồng nghiệp ký số văn bản – “làm trước, nói sau”",
    "file": "Ảnh buổi hướng dẫn.png",
    "comment": "Ghi rõ tên văn bản đã ký số.",
    "revision": "Bổ sung số văn bản cụ thể.",
    "month": "Tháng này Duyên tích cực, có tinh thần giúp đỡ đồng nghiệp.",
    "notification": "Bí thư đã nhận xét bài ngày hôm nay",
}
THEIRS = {
    "shortcomings": "BÍ-MẬT-HẠN-CHẾ của Đạt",
    "commitment": "BÍ-MẬT-VIỆC-LÀM của Đạt",
    "place": "BÍ-MẬT-ĐỊA-ĐIỂM của Đạt",
    "action": "BÍ-MẬT-BÀI-VIẾT của Đạt",
    "file": "BÍ-MẬT-ẢNH-của-Đạt.png",
    "comment": "BÍ-MẬT-NHẬN-XÉT cho Đạt",
    "revision": "BÍ-MẬT-YÊU-CẦU cho Đạt",
    "month": "BÍ-MẬT-THÁNG của Đạt",
    "notification": "BÍ-MẬT-THÔNG-BÁO của Đạt",
}


@pytest.fixture
def diaries(org):
    """The member's record and, in the same branch, member2's, each full of distinctive text."""
    year = today_local().year
    standard = Standard(
        unit_id=org.root.id, year=year, group=ContentGroup.ETHICS, title="Cần, kiệm, liêm, chính"
    )
    db.session.add(standard)
    db.session.flush()
    mine = _plan_and_entry(org.member, org.secretary, org.branch, standard, year, MINE)
    theirs = _plan_and_entry(org.member2, org.secretary, org.branch, standard, year, THEIRS)
    return mine, theirs


def download(client):
    response = client.get("/me/data/download")
    assert response.status_code == 200
    return response, json.loads(response.data.decode("utf-8"))


def test_the_page_lists_what_the_file_holds_and_leads_to_the_book(client, login, org, diaries):
    login("doanvien")
    html = client.get("/me/data").get_data(as_text=True)
    assert "Dữ liệu của tôi" in html and 'href="/me/data/download"' in html
    assert "2 kế hoạch cá nhân" in html and "1 bài nhật ký" in html
    # The book as PDF: the member's own documents page in their branch, where it is made.
    book = f"/units/{org.branch.id}/members/{org.member.id}/documents"
    assert "Sổ nhật ký bản PDF" in html and f'href="{book}"' in html
    assert client.get(book).status_code == 200
    # Reachable from the account menu on every page.
    assert 'href="/me/data"' in client.get("/").get_data(as_text=True)


def test_the_download_holds_everything_about_the_member(client, login, org, diaries):
    (plan, second, entry), _ = diaries
    login("doanvien")
    response, data = download(client)
    assert data["format"] == "sonhatky-du-lieu-ca-nhan"
    account = data["account"]
    assert account["username"] == "doanvien" and account["full_name"] == "Nguyễn Thị Mỹ Duyên"
    assert account["email"] == "duyen@example.vn" and account["last_login_at"]
    assert [(m["unit"]["name"], m["role_label"]) for m in data["memberships"]] == [
        ("Chi đoàn Văn phòng", "Đoàn viên")
    ]
    # Every version of the plan, with its commitments.
    assert [(p["version"], p["status_label"]) for p in data["plans"]] == [(1, "Đã duyệt"), (2, "Chờ duyệt")]
    assert data["plans"][0]["decided_by"] == "Trần Quốc Bảo"
    assert data["plans"][0]["shortcomings"] == MINE["shortcomings"]
    assert [c["action"] for c in data["plans"][1]["commitments"]] == [
        MINE["commitment"],
        "Tự học 2 giờ mỗi tuần",
    ]
    # The entry, its evidence metadata, the comments and the revision request.
    [item] = data["entries"]
    assert item["action"] == MINE["action"] and item["place"] == MINE["place"]
    assert item["status_label"] == "Cần bổ sung, chỉnh sửa" and item["revision_reason"] == MINE["revision"]
    [photo] = item["evidence"]
    assert photo["file_name"] == MINE["file"] and photo["content_type"] == "image/png"
    assert photo["size_bytes"] == len(PNG) and len(photo["sha256"]) == 64
    assert client.get(photo["download_path"]).data == PNG
    assert [(c["author"], c["body"]) for c in item["comments"]] == [("Trần Quốc Bảo", MINE["comment"])]
    assert item["review_snapshots"] and item["review_snapshots"][0]["content"]["action"] == MINE["action"]
    # The month comment, the notifications and the audit log about the member.
    [month] = data["month_reviews"]
    assert month["comment"] == MINE["month"] and month["comment_by"] == "Trần Quốc Bảo"
    assert MINE["notification"] in [n["title"] for n in data["notifications"]]
    described = [row["description"] for row in data["audit_log"]]
    assert any(d.startswith("nhận xét bài ngày") for d in described)
    assert any(d.startswith("yêu cầu bổ sung") for d in described)
    assert any(d.startswith("nhận xét tháng") for d in described)


def test_another_members_data_never_appears(client, login, org, diaries):
    login("doanvien")
    response, data = download(client)
    text = response.data.decode("utf-8")
    for value in THEIRS.values():
        assert value not in text
    assert "Đặng Văn Đạt" not in text and "doanvien2" not in text
    assert all(e["id"] != diaries[1][2].id for e in data["entries"])
    # And the other way round: member2 sees only theirs.
    client.post("/logout")
    login("doanvien2")
    text = download(client)[0].data.decode("utf-8")
    assert THEIRS["action"] in text
    for value in MINE.values():
        assert value not in text
    assert "Nguyễn Thị Mỹ Duyên" not in text and "duyen@example.vn" not in text


def test_the_secretary_gets_their_own_record_not_the_branchs(client, login, org, diaries):
    """The secretary reviewed both members: what they wrote on others' records stays out of their file.
    Their notifications are theirs (the inbox they read), so a "new entry" notice still quotes it."""
    login("bithu")
    response, data = download(client)
    assert data["account"]["username"] == "bithu" and data["entries"] == [] and data["plans"] == []
    assert data["month_reviews"] == [] and data["audit_log"] == []
    without_inbox = json.dumps({k: v for k, v in data.items() if k != "notifications"}, ensure_ascii=False)
    for texts in (MINE, THEIRS):
        for key in ("comment", "revision", "month", "shortcomings", "place"):
            assert texts[key] not in response.data.decode("utf-8")
        assert texts["action"] not in without_inbox
    own = db.session.scalars(select(Notification.title).where(Notification.user_id == org.secretary.id)).all()
    assert own and sorted(n["title"] for n in data["notifications"]) == sorted(own)


def test_no_password_hash_or_session_version(client, login, org, diaries):
    login("doanvien")
    response, data = download(client)
    text = response.data.decode("utf-8")
    assert "password" not in text and "session_version" not in text and "$argon2" not in text
    assert org.member.password_hash not in text


def test_vietnamese_text_is_kept_as_written(client, login, org, diaries):
    login("doanvien")
    response, data = download(client)
    text = response.data.decode("utf-8")
    # Written out in UTF-8, not as \u escapes, and NFC as typed.
    assert "Hướng dẫn 3 đồng nghiệp ký số văn bản – “làm trước, nói sau”" in text
    assert "\\u" not in text
    assert data["entries"][0]["action"] == MINE["action"]
    assert response.mimetype == "application/json" and response.mimetype_params.get("charset") == "utf-8"


def test_the_file_name_is_sensible(client, login, org, diaries):
    login("doanvien")
    response, _ = download(client)
    disposition = response.headers["Content-Disposition"]
    expected = f"du-lieu-cua-toi-nguyen-thi-my-duyen-{today_local().isoformat()}.json"
    assert disposition == f'attachment; filename="{expected}"'
    assert response.headers["Cache-Control"] == "no-store"


def test_a_person_without_a_diary_gets_a_file_too(client, login, org):
    login("canbo")
    response, data = download(client)
    assert data["account"]["full_name"] == "Lâm Thị Ngọc Hân"
    assert data["memberships"][0]["role_label"] == "Cán bộ cấp trên"
    assert data["entries"] == [] and data["plans"] == [] and data["month_reviews"] == []
    assert "lam-thi-ngoc-han" in response.headers["Content-Disposition"]


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in ("/me/data", "/me/data/download"):
        response = client.get(url)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
