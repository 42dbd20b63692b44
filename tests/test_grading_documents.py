"""The grading's paper: the book's year-end section, the branch's grading list and the meeting's
minutes as PDFs in the official format, read back with pdftotext; verification notices a rating
changed after the document was made."""

from __future__ import annotations

from datetime import time

import pytest

from app.core.db import db
from app.core.enums import RoundStatus, Tier
from app.core.filters import to_local, today_local, vn_date, vn_long_date
from app.core.numbers import format_percent
from app.export import services as export
from app.grading import services
from tests.pdf_checks import assert_archival_and_tagged, structure_roles
from tests.test_export import flat, needs_poppler, pdf_text
from tests.test_grading import diary, go_ahead, level, rating_of, this_year


@pytest.fixture
def ratified(org):
    entries = diary(org.member, org.branch, org.secretary)
    grading_round = services.open_round(
        org.secretary, org.branch, this_year(), services.default_framework(org.branch)
    )
    rating = rating_of(grading_round, org.member)
    framework = grading_round.framework
    sections = {k: f"Ưu điểm về {k}" for k in ("politics", "ethics", "work_style", "discipline", "duties")}
    sections["ethics"] = "Sống giản dị, tiết kiệm điện, giấy in"
    services.save_self_assessment(
        org.member,
        rating,
        sections,
        level(framework, Tier.GOOD).id,
        {},
        {"ethics": [entries[0].id]},
        None,
        submit=True,
    )
    criterion = framework.criteria[4]
    services.save_proposal(
        org.secretary,
        rating,
        level(framework, Tier.EXCELLENT).id,
        "Ghi nhật ký đều, giúp đồng nghiệp dùng chữ ký số.",
        {},
        {criterion.id: "Hướng dẫn 3 đồng chí"},
        {criterion.id: [entries[2].id]},
        None,
    )
    db.session.commit()
    lines = [
        services.MeetingLine(
            r.id,
            r.user_id != org.member2.id,
            "" if r.user_id != org.member2.id else "Đi công tác",
            3,
            3,
            level(framework, Tier.EXCELLENT if r.id == rating.id else Tier.GOOD).id,
            None,
        )
        for r in grading_round.ratings
    ]
    services.record_meeting(
        org.secretary,
        grading_round,
        today_local(),
        "Phòng họp tầng 2",
        "Trần Quốc Bảo",
        "Võ Thị Lan",
        "Hội nghị thống nhất cao.",
        lines,
        "",
        None,
        minutes_number="07-BB/CĐ",
        start=time(14, 0),
        end=time(16, 30),
        go_ahead=go_ahead(grading_round, "meeting"),
    )
    services.submit_round(org.secretary, grading_round, go_ahead(grading_round, "submit"))
    services.ratify_round(org.officer_root, grading_round, go_ahead=go_ahead(grading_round, "ratify"))
    db.session.commit()
    return grading_round


@needs_poppler
def test_minutes_and_grading_list_read_back_in_vietnamese(org, ratified, tmp_path):
    minutes = export.export_document(org.secretary, "minutes", org.branch, this_year())
    db.session.commit()
    assert_archival_and_tagged(minutes.pdf)
    assert "/Table" in structure_roles(minutes.pdf)
    text = flat(pdf_text(minutes.pdf, tmp_path))
    assert "BIÊN BẢN" in text and "ĐOÀN TNCS HỒ CHÍ MINH" in text and "BCH CHI ĐOÀN VĂN PHÒNG" in text
    assert f"Sóc Trăng, {vn_long_date(today_local())}" in text
    assert "Chủ trì: Trần Quốc Bảo" in text and "Thư ký: Võ Thị Lan" in text
    assert "Đặng Văn Đạt (Đi công tác)" in text
    assert "Nguyễn Thị Mỹ Duyên" in text and "Hoàn thành xuất sắc nhiệm vụ" in text
    total = len(ratified.ratings)
    assert f"Hoàn thành xuất sắc nhiệm vụ: 1 ({format_percent(1, total)})" in text
    assert "TM. BAN CHẤP HÀNH" in text and minutes.document.number in text
    # The minutes' number, the hours, and the framework named without "theo Xếp loại … theo 4 mức".
    assert "*** Số: 07-BB/CĐ" in text
    assert "vào lúc 14 giờ 00" in text and "kết thúc lúc 16 giờ 30 cùng ngày" in text
    assert "theo Xếp loại" not in text and "Khung tiêu chí áp dụng: Xếp loại đoàn viên theo 4 mức" in text
    # The unit that actually ratified (canbo is an officer of Đoàn Khối), with the date.
    ratified_on = vn_date(to_local(ratified.ratified_at))
    assert f"đã được Đoàn Khối các Cơ quan tỉnh công nhận ngày {ratified_on}" in text

    listing = export.export_document(org.officer_root, "grading-list", org.branch, this_year())
    db.session.commit()
    assert_archival_and_tagged(listing.pdf)
    text = flat(pdf_text(listing.pdf, tmp_path))
    assert "DANH SÁCH" in text and f"xếp loại đoàn viên năm {this_year()}" in text
    assert f"Đoàn Khối các Cơ quan tỉnh công nhận ngày {ratified_on}" in text
    assert "Đoàn cơ sở Sở Giáo dục công nhận" not in text
    assert export.verify_document(listing.document.number).status == export.CURRENT


@needs_poppler
def test_the_book_prints_the_self_assessment_with_citations_and_the_result(org, ratified, tmp_path):
    book = export.export_member_book(org.member, org.member, org.branch, this_year())
    db.session.commit()
    text = flat(pdf_text(book.pdf, tmp_path))
    assert "TỰ ĐÁNH GIÁ VÀ XẾP LOẠI NĂM" in text
    assert "Sống giản dị, tiết kiệm điện, giấy in" in text
    assert "Dẫn chứng: bài ngày 05/01/" in text and "Hướng dẫn đồng chí số 1 dùng chữ ký số" in text
    assert "Hướng dẫn 3 đồng chí" in text  # the secretary's comment on the criterion
    assert "Hoàn thành xuất sắc nhiệm vụ (3/3 tán thành)" in text
    ratified_on = vn_date(to_local(ratified.ratified_at))
    assert f"Đã được Đoàn Khối các Cơ quan tỉnh công nhận ngày {ratified_on}" in text
    assert "Đoàn cơ sở Sở Giáo dục công nhận" not in text

    # The unit above reopens and the meeting changes the level: the printed book is no longer current.
    services.reopen_round(org.officer_root, ratified, "Xem xét lại theo đề nghị")
    db.session.commit()
    grading_round = services.get_round(org.branch, this_year())
    lines = [
        services.MeetingLine(r.id, True, "", 3, 3, level(grading_round.framework, Tier.GOOD).id, None)
        for r in grading_round.ratings
    ]
    services.record_meeting(
        org.secretary,
        grading_round,
        today_local(),
        "",
        "A",
        "B",
        "",
        lines,
        "Xét lại",
        None,
        go_ahead=go_ahead(grading_round, "meeting"),
    )
    db.session.commit()
    assert export.verify_document(book.document.number).status == export.CHANGED


def test_no_minutes_before_the_meeting(org, client, login):
    services.open_round(org.secretary, org.branch, this_year(), services.default_framework(org.branch))
    db.session.commit()
    login("bithu")
    assert client.get(f"/units/{org.branch.id}/documents").status_code == 200
    response = client.post(f"/units/{org.branch.id}/documents/minutes", data={"minutes-year": this_year()})
    assert response.status_code == 400
    assert "Chưa ghi kết quả họp xét phân loại" in response.get_data(as_text=True)
    assert services.get_round(org.branch, this_year()).status is RoundStatus.OPEN


def test_bulk_export_holds_the_grading_documents(org, ratified):
    from app.jobs.documents import SUMMARY_DOCUMENTS, call_summary, summary_title

    made = {
        summary_title(m): call_summary(m, org.branch, this_year(), org.secretary, "job")
        for m in SUMMARY_DOCUMENTS
    }
    assert made["Danh sách xếp loại"] is not None and made["Biên bản họp xét phân loại"] is not None
    assert made["Danh sách xếp loại"].content.startswith(b"%PDF")


@needs_poppler
def test_the_book_cites_titles_cut_between_words_and_never_doubles_a_stop(org, ratified, tmp_path):
    """A cited entry's title longer than the line is cut after a whole word, with "…"; a criterion
    ending in a full stop is followed by its comment without "…nước.: …"."""
    from sqlalchemy import select

    from app.grading.models import Citation
    from app.journal.models import Entry

    cited = db.session.scalars(select(Citation).where(Citation.stage == "proposal")).first()
    entry = db.session.get(Entry, cited.entry_id)
    entry.action = (
        "Hướng dẫn chị Lý Thị Hồng Nhung và hai đồng chí mới về phòng cách ký số văn bản đến trên hệ "
        "thống quản lý văn bản điện tử của Sở, kiểm tra lại từng bước cho đến khi tự làm được"
    )
    criterion = ratified.framework.criteria[4]
    criterion.text = criterion.text.rstrip(".") + "."
    db.session.commit()
    book = export.export_member_book(org.member, org.member, org.branch, this_year())
    db.session.commit()
    text = flat(pdf_text(book.pdf, tmp_path))
    assert ".:" not in text
    assert f"{flat(criterion.text).rstrip('.')}: Hướng dẫn 3 đồng chí" in text
    quoted = text.split("Dẫn chứng: bài ngày ")[-1].split("”")[0]
    assert quoted.endswith("…") and "hệ thống quản lý văn bản" in quoted, quoted
    kept = quoted.split("“", 1)[1].removesuffix("…")
    assert entry.action.startswith(kept) and entry.action[len(kept)] == " ", "cut between two words"
