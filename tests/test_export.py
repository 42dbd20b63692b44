"""PDF documents (issue 6): the member's book, a month, the sổ vàng; their register, verification and signature.

The PDFs are read back the way a person's tools would: `pdftotext` must give the exact Vietnamese
text (NFC) of the entries, the official header and the dates; `pdffonts` must list only embedded
subset fonts (the Liberation Serif shipped in static/fonts); `pdfinfo` gives the page count.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.core.db import db, utcnow
from app.core.enums import ContentGroup, EntryStatus, Frequency, PlanStatus
from app.core.filters import today_local, vn_long_date
from app.export import documents, services
from app.export.models import ExportedDocument
from app.grading import documents as grading_documents
from app.journal import services as journal
from app.plans.models import Commitment, Plan
from app.review import services as review
from app.standards.models import AnnualTheme, Standard
from tests.pdf_checks import assert_archival_and_tagged, structure_roles

POPPLER = all(shutil.which(tool) for tool in ("pdftotext", "pdffonts", "pdfinfo"))
needs_poppler = pytest.mark.skipif(
    not POPPLER,
    reason="poppler-utils (pdftotext, pdffonts, pdfinfo) is not installed: apt-get install poppler-utils",
)

# Last year: plans may still be made for it, and every month of it lies in the past.


def last_year() -> int:
    """Last year by the test's clock (read when the test runs, not at import)."""
    return today_local().year - 1


def year_end() -> date:
    """The last day of last year, by the test's clock."""
    return date(last_year(), 12, 31)


ACTION_1 = "Hướng dẫn chị Lý Thị Hồng Nhung ký số văn bản đến trên hệ thống quản lý văn bản điện tử."
RESULT_1 = "Chị Nhung tự ký số được 12 văn bản; không còn văn bản tồn đọng quá 2 ngày."
LESSON_1 = "Làm mẫu một lần rồi để người mới tự làm — hiệu quả hơn giảng giải."
ACTION_2 = "Tắt đèn, điều hòa, máy tính của phòng khi ra về; nhắc các bạn cùng thực hiện."
ACTION_2_REVISED = "Tắt đèn, điều hòa, máy tính của phòng khi ra về; nhắc 5 bạn trong phòng cùng thực hiện."
ACTION_3 = "Tham gia hiến máu tình nguyện đợt “Giọt hồng tri ân”, vận động thêm hai đoàn viên cùng hiến."
COMMENT = "Việc làm cụ thể, có số liệu rõ ràng. Tiếp tục phát huy!"
REVISION_REASON = "Ghi rõ đã nhắc bao nhiêu bạn, kết quả ra sao."
MONTH_COMMENT = "Tháng này tích cực; cần ghi thêm minh chứng cho các buổi tự học."
EXEMPLARY_NOTE = "Gương sáng về tinh thần tương thân tương ái."


# ---- reading PDFs back ----------------------------------------------------------------------------


def pdf_text(data: bytes, tmp_path: Path, *, first: int | None = None, last: int | None = None) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    args = ["pdftotext", "-enc", "UTF-8"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    return subprocess.run([*args, str(path), "-"], check=True, capture_output=True, text=True).stdout


def flat(text: str) -> str:
    """Lines joined: text wraps at the page's width, what matters is the words in order."""
    return " ".join(text.split())


def pdf_fonts(data: bytes, tmp_path: Path) -> list[list[str]]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def pdf_pages(data: bytes, tmp_path: Path) -> int:
    path = tmp_path / "info.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def assert_only_embedded_subset_fonts(data: bytes, tmp_path: Path) -> None:
    rows = pdf_fonts(data, tmp_path)
    assert rows, "no fonts at all"
    for row in rows:
        # name type… encoding emb sub uni object ID: emb and sub are the 5th and 4th from the end.
        name, emb, sub = row[0], row[-5], row[-4]
        assert (emb, sub) == ("yes", "yes"), f"font not embedded as a subset: {row}"
        assert re.fullmatch(r"[A-Z]{6}\+SNK-Serif(-Bold)?(-Italic)?", name), f"unexpected font {name}"


# ---- the diary the documents print ----------------------------------------------------------------


def _plan(org):
    standard = Standard(
        unit_id=org.root.id, year=last_year(), group=ContentGroup.ETHICS, title="Cần, kiệm, liêm, chính"
    )
    db.session.add(standard)
    db.session.add(
        AnnualTheme(unit_id=org.root.id, year=last_year(), title="Xây dựng phong cách làm việc khoa học")
    )
    plan = Plan(
        user_id=org.member.id,
        unit_id=org.branch.id,
        year=last_year(),
        version=1,
        status=PlanStatus.APPROVED,
        shortcomings="Còn để văn bản tồn đọng cuối tuần.",
        created_by_id=org.member.id,
        decided_by_id=org.secretary.id,
        decided_at=datetime(last_year(), 1, 10, 3, 0, tzinfo=UTC),
        created_at=datetime(last_year(), 1, 5, 3, 0, tzinfo=UTC),
    )
    plan.commitments = [
        Commitment(
            standard=standard,
            action="Số hóa toàn bộ văn bản đến của Văn phòng",
            measure="Không tồn quá 2 ngày",
            frequency=Frequency.MONTHLY,
            is_breakthrough=True,
            sort_order=0,
        ),
        Commitment(
            standard=standard,
            action="Tiết kiệm điện, giấy in tại phòng làm việc",
            measure="Tắt thiết bị khi về",
            frequency=Frequency.WEEKLY,
            sort_order=1,
        ),
    ]
    db.session.add(plan)
    db.session.flush()
    for c in plan.commitments:
        c.lineage_id = c.id
    return plan


def _write(org, plan, day: date, action: str, result: str = "", lesson: str = "", commitment: int = 0):
    return journal.save_entry(
        org.member,
        org.member,
        org.branch,
        journal.EntryData(
            deed_date=day,
            place="Văn phòng Sở",
            action=action,
            result=result,
            lesson=lesson,
            commitment_ids=[plan.commitments[commitment].id],
        ),
        submit=True,
        today=year_end(),
    )


@pytest.fixture
def diary(org):
    """Last year's diary of the member: an approved plan, three entries in March and May, a
    comment, a revision request answered by an edit, a commendation, March commented and signed."""
    org.branch.backdate_days = 1000
    db.session.commit()
    plan = _plan(org)
    e1 = _write(org, plan, date(last_year(), 3, 4), ACTION_1, RESULT_1, LESSON_1)
    e2 = _write(
        org, plan, date(last_year(), 3, 18), ACTION_2, "Cả tuần không còn thiết bị để qua đêm.", commitment=1
    )
    e3 = _write(org, plan, date(last_year(), 5, 9), ACTION_3, "Hiến 350 ml máu.", commitment=1)
    db.session.commit()
    review.comment_entry(org.secretary, e1, COMMENT)
    review.request_revision(org.secretary, e2, REVISION_REASON)
    db.session.commit()
    data = journal.EntryData(
        deed_date=e2.deed_date,
        place=e2.place,
        action=ACTION_2_REVISED,
        result=e2.result,
        lesson=e2.lesson,
        commitment_ids=[plan.commitments[1].id],
    )
    journal.save_entry(org.member, org.member, org.branch, data, entry=e2, submit=True, today=year_end())
    db.session.commit()
    review.flag_exemplary(org.secretary, e3, EXEMPLARY_NOTE)
    review.write_month_comment(org.secretary, org.member, org.branch, last_year(), 3, MONTH_COMMENT, None)
    review.sign_off_month(org.secretary, org.member, org.branch, last_year(), 3, today=year_end())
    db.session.commit()
    return {"plan": plan, "entries": [e1, e2, e3]}


def export(client, login, url: str, username: str, data: dict):
    login(username)
    response = client.post(url, data=data)
    return response


def book_url(org, kind="book"):
    return f"/units/{org.branch.id}/members/{org.member.id}/documents/{kind}"


# ---- (a) the book ------------------------------------------------------------------------------


@needs_poppler
def test_member_book_gives_back_the_exact_text_in_the_official_format(client, login, org, diary, tmp_path):
    response = export(client, login, book_url(org), "bithu", {"book-year": str(last_year())})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    pdf = response.data
    assert pdf.startswith(b"%PDF-")
    # Archival and accessible (issue 20): PDF/A-3a, tagged with headings, paragraphs and the table.
    assert_archival_and_tagged(pdf)
    assert {"/H1", "/H2", "/H3", "/P", "/Table"} <= structure_roles(pdf)
    number = response.headers["X-Document-Number"]
    assert re.fullmatch(rf"SNK-{today_local().year}-\d{{6}}", number)

    text = pdf_text(pdf, tmp_path)
    assert unicodedata.is_normalized("NFC", text)
    words = flat(text)
    # The entries, exactly as written, with the secretary's comment, the revision history, the month's sign-off.
    for expected in (
        ACTION_1,
        RESULT_1,
        LESSON_1,
        ACTION_2_REVISED,
        ACTION_3,
        COMMENT,
        REVISION_REASON,
        MONTH_COMMENT,
        EXEMPLARY_NOTE,
    ):
        assert expected in words, expected
    assert f"Trước đó, việc đã làm: “{ACTION_2}”" in words  # the version the revision request was about
    assert "Đã ký xác nhận ngày" in words and "Nội dung tháng hiện nay khớp với bản đã ký." in words
    # The official header: upper unit, issuing unit, ***, the national line, place and date.
    made = today_local()
    header = flat(pdf_text(pdf, tmp_path, first=1, last=1))
    for expected in (
        "ĐOÀN CƠ SỞ SỞ GIÁO DỤC",
        "BCH CHI ĐOÀN VĂN PHÒNG",
        "***",
        "ĐOÀN TNCS HỒ CHÍ MINH",
        f"Sóc Trăng, {vn_long_date(made)}",
        "SỔ NHẬT KÝ LÀM THEO LỜI BÁC",
        f"NĂM {last_year()}",
        "Nguyễn Thị Mỹ Duyên",
        f"Số văn bản: {number}",
    ):
        assert expected in header, expected
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" not in words
    # The plan, the signatures.
    for expected in (
        "Số hóa toàn bộ văn bản đến của Văn phòng",
        "Còn để văn bản tồn đọng cuối tuần.",
        "Xây dựng phong cách làm việc khoa học",
        "TM. BAN CHẤP HÀNH BÍ THƯ",
        "Trần Quốc Bảo",
        "NGƯỜI VIẾT SỔ",
        f"{documents.WEEKDAYS[date(last_year(), 3, 4).weekday()]}, 04/03/{last_year()}",
    ):
        assert expected in words, expected

    assert_only_embedded_subset_fonts(pdf, tmp_path)

    # Structure: every month of the year, a footer "Trang X/Y" on each page, the contents' page numbers right.
    pages = pdf_pages(pdf, tmp_path)
    document = db.session.scalar(select(ExportedDocument).where(ExportedDocument.number == number))
    assert document.page_count == pages and 6 <= pages <= 20
    assert (
        document.kind == "book" and document.subject_user_id == org.member.id and document.year == last_year()
    )
    assert document.created_by_id == org.secretary.id and document.file_size == len(pdf)
    for page in (1, pages):
        assert f"Trang {page}/{pages}" in pdf_text(pdf, tmp_path, first=page, last=page)
    toc = flat(pdf_text(pdf, tmp_path, first=2, last=2))
    assert "MỤC LỤC" in toc
    march = int(re.search(rf"Tháng 3/{last_year()} – 2 bài[ .]*?(\d+)", toc).group(1))
    may = int(re.search(rf"Tháng 5/{last_year()} – 1 bài[ .]*?(\d+)", toc).group(1))
    # Each month starts a page, with its first entry on it.
    assert f"Tháng 3/{last_year()}" in pdf_text(pdf, tmp_path, first=march, last=march)
    assert ACTION_1 in flat(pdf_text(pdf, tmp_path, first=march, last=march))
    assert ACTION_3 in flat(pdf_text(pdf, tmp_path, first=may, last=may))
    for month in range(1, 13):
        assert f"Tháng {month}/{last_year()}" in toc
    # The coverage grid and the closing page.
    assert "MỨC ĐỘ THỰC HIỆN CÁC NỘI DUNG ĐĂNG KÝ" in words and "XÁC NHẬN" in words


@needs_poppler
def test_the_member_downloads_their_own_book_from_their_diary(client, login, org, diary, tmp_path):
    login("doanvien")
    page = client.get(f"/diary/{last_year()}/3")
    assert page.status_code == 200
    link = f"/units/{org.branch.id}/members/{org.member.id}/documents"
    assert link in page.get_data(as_text=True)
    listing = client.get(link)
    assert listing.status_code == 200 and "Chưa có văn bản nào được lập." in listing.get_data(as_text=True)
    response = client.post(book_url(org), data={"book-year": str(last_year())})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    listing = client.get(link).get_data(as_text=True)
    number = response.headers["X-Document-Number"]
    assert number in listing and "Nguyễn Thị Mỹ Duyên" in listing and f"Năm {last_year()}" in listing
    assert "Sổ nhật ký làm theo lời Bác (cả năm)" in listing and f"/verify/{number}" in listing


def test_grading_section_is_printed_only_when_there_is_one(org, diary, monkeypatch):
    subject = documents.Subject(unit=org.branch, year=last_year(), as_of=today_local(), member=org.member)
    assert documents.member_book(subject)["grading"] is None
    html = services.render_html(documents.KINDS["book"], documents.member_book(subject), _meta())
    assert "Tự đánh giá" not in html
    monkeypatch.setattr(
        grading_documents,
        "grading_section",
        lambda member, unit, year: {
            "title": "Tự đánh giá và xếp loại",
            "framework": "Xếp loại đoàn viên theo 4 mức",
            "sections": [{"heading": "Đạo đức, lối sống", "text": "Giản dị", "cited": []}],
            "proposal": [],
            "final_level": "Hoàn thành tốt nhiệm vụ",
        },
    )
    content = documents.member_book(subject)
    html = services.render_html(documents.KINDS["book"], content, _meta())
    assert (
        "V. TỰ ĐÁNH GIÁ VÀ XẾP LOẠI" in html and "Hoàn thành tốt nhiệm vụ" in html and "VI. Xác nhận" in html
    )


def _meta():
    return services.DocumentMeta(
        number="SNK-2026-000001",
        kind="book",
        kind_label="Sổ",
        title="Sổ",
        made_at=utcnow(),
        verify_url="http://x/verify/SNK-2026-000001",
        verify_page="http://x/verify",
        qr="data:,",
        static="/static",
        made_by=None,
        signed=False,
    )


# ---- (b) a month, (c) the sổ vàng, a Party unit ---------------------------------------------------------


@needs_poppler
def test_month_document(client, login, org, diary, tmp_path):
    response = export(
        client,
        login,
        book_url(org, "month"),
        "doanvien",
        {"month-year": str(last_year()), "month-month": "3"},
    )
    assert response.status_code == 200
    pdf = response.data
    assert_archival_and_tagged(pdf)
    text = pdf_text(pdf, tmp_path)
    assert unicodedata.is_normalized("NFC", text)
    words = flat(text)
    assert f"Tháng 3 năm {last_year()}" in words and "ĐOÀN TNCS HỒ CHÍ MINH" in words
    for expected in (
        ACTION_1,
        RESULT_1,
        LESSON_1,
        ACTION_2_REVISED,
        COMMENT,
        MONTH_COMMENT,
        "Các bài nhật ký (2)",
    ):
        assert expected in words, expected
    assert ACTION_3 not in words  # May is not in March's document
    assert f"Sóc Trăng, {vn_long_date(today_local())}" in words
    pages = pdf_pages(pdf, tmp_path)
    assert 1 <= pages <= 4 and f"Trang {pages}/{pages}" in text
    assert_only_embedded_subset_fonts(pdf, tmp_path)
    document = db.session.scalar(select(ExportedDocument))
    assert (document.kind, document.month, document.created_by_id) == ("month", 3, org.member.id)


@needs_poppler
def test_golden_book_document(client, login, org, diary, tmp_path):
    response = export(
        client,
        login,
        f"/units/{org.branch.id}/documents/golden-book",
        "bithu",
        {"golden-book-year": str(last_year())},
    )
    assert response.status_code == 200
    pdf = response.data
    assert_archival_and_tagged(pdf)
    words = flat(pdf_text(pdf, tmp_path))
    for expected in (
        "SỔ VÀNG",
        f"năm {last_year()}",
        "Chi đoàn Văn phòng",
        "Nguyễn Thị Mỹ Duyên",
        ACTION_3,
        EXEMPLARY_NOTE,
        "TM. BAN CHẤP HÀNH",
        "Trần Quốc Bảo",
        f"Tháng 5/{last_year()}",
    ):
        assert expected in words, expected
    assert ACTION_1 not in words  # only commended deeds
    assert_only_embedded_subset_fonts(pdf, tmp_path)
    document = db.session.scalar(select(ExportedDocument))
    assert document.kind == "golden-book" and document.subject_user_id is None
    # The branch page links to the register, which lists it.
    login("bithu")
    assert f"/units/{org.branch.id}/documents" in client.get(f"/units/{org.branch.id}").get_data(as_text=True)
    listing = client.get(f"/units/{org.branch.id}/documents").get_data(as_text=True)
    assert document.number in listing and "Trần Quốc Bảo" in listing


@needs_poppler
def test_party_units_print_the_party_header(org, make_user, tmp_path):
    from app.core.enums import Role

    cell_member = make_user("dangvien", org.party_cell, Role.MEMBER, full_name="Phạm Văn Hùng")
    result = services.export_member_book(None, cell_member, org.party_cell, last_year(), source="cli")
    db.session.commit()
    header = flat(pdf_text(result.pdf, tmp_path, first=1, last=1))
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in header and "ĐOÀN TNCS" not in header
    assert "ĐẢNG BỘ SỞ" in header and "CHI BỘ VĂN PHÒNG" in header and "BCH CHI BỘ" not in header
    words = flat(pdf_text(result.pdf, tmp_path))
    assert f"Chưa có bản đăng ký (kế hoạch cá nhân) năm {last_year()}." in words and "T/M CHI BỘ" in words


# ---- verification ----------------------------------------------------------------------------------


def test_verification_answers_current_changed_and_unknown(client, login, org, diary):
    response = export(client, login, book_url(org), "doanvien", {"book-year": str(last_year())})
    number = response.headers["X-Document-Number"]
    month = export(
        client,
        login,
        book_url(org, "month"),
        "doanvien",
        {"month-year": str(last_year()), "month-month": "5"},
    ).headers["X-Document-Number"]
    client.post("/logout")

    # Anyone holding the paper: authentic and current; only minimal data, no diary content.
    page = client.get(f"/verify/{number}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Văn bản xác thực và còn khớp với hồ sơ hiện nay" in body
    assert "N.T.M.D." in body and "Chi đoàn Văn phòng" in body and f"Năm {last_year()}" in body
    assert "Nguyễn Thị Mỹ Duyên" not in body and ACTION_1 not in body and COMMENT not in body
    typed = client.get("/verify", query_string={"number": f" {number.lower()} "}).get_data(as_text=True)
    assert "Văn bản xác thực và còn khớp với hồ sơ hiện nay" in typed

    # The record changes: the book answers "changed since", with when it was made; March's month stays current
    # only for March (the change is in May).
    entry = diary["entries"][2]
    db.session.refresh(entry)
    review.comment_entry(org.secretary, entry, "Đề nghị nhân rộng.")
    db.session.commit()
    body = client.get(f"/verify/{number}").get_data(as_text=True)
    assert "Văn bản xác thực, nhưng hồ sơ đã thay đổi kể từ khi lập" in body
    made = db.session.scalar(select(ExportedDocument.created_at).where(ExportedDocument.number == number))
    from app.core.filters import vn_datetime

    assert vn_datetime(made) in body
    assert "thay đổi kể từ khi lập" in client.get(f"/verify/{month}").get_data(as_text=True)

    # Unknown and malformed numbers.
    unknown = client.get(f"/verify/SNK-{last_year()}-999999")
    assert unknown.status_code == 200 and "Không tìm thấy văn bản số" in unknown.get_data(as_text=True)
    assert "Văn bản xác thực" not in unknown.get_data(as_text=True)
    bad = client.get("/verify", query_string={"number": "abc"}).get_data(as_text=True)
    assert "Số văn bản có dạng SNK-2026-000123" in bad and 'value="abc"' in bad
    empty = client.get("/verify", query_string={"number": ""}).get_data(as_text=True)
    assert "Vui lòng nhập số văn bản." in empty


def test_verification_uses_the_day_the_document_was_made(org, diary):
    """Coverage and the months shown depend on the day: rebuilding with that day gives the same hash."""
    made = datetime.combine(date(last_year(), 6, 15), datetime.min.time(), tzinfo=UTC)
    result = services.export_member_book(
        None, org.member, org.branch, last_year(), source="cli", made_at=made
    )
    db.session.commit()
    content = result.document
    assert services.verify_document(content.number).status == services.CURRENT
    later = services.export_member_book(None, org.member, org.branch, last_year(), source="cli")
    assert later.document.content_sha256 != content.content_sha256  # a later day shows more months
    assert services.verify_document(later.document.number).status == services.CURRENT


def test_same_record_same_hash_and_numbers_run_on(org, diary):
    first = services.export_member_book(None, org.member, org.branch, last_year(), source="cli")
    second = services.export_member_book(None, org.member, org.branch, last_year(), source="cli")
    db.session.commit()
    assert first.document.content_sha256 == second.document.content_sha256
    assert first.document.number != second.document.number
    assert int(second.document.number[-6:]) == int(first.document.number[-6:]) + 1


# ---- signing ---------------------------------------------------------------------------------------


def _self_signed_p12(path: Path, password: bytes):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Đoàn Khối các Cơ quan tỉnh Sóc Trăng"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Sổ nhật ký làm theo lời Bác"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"snk", key, cert, None, serialization.BestAvailableEncryption(password)
        )
    )
    return cert


@pytest.fixture
def signing(app, tmp_path):
    password = b"mat-khau-chung-thu"
    cert = _self_signed_p12(tmp_path / "donvi.p12", password)
    app.config.update(
        PDF_SIGNING_P12_PATH=str(tmp_path / "donvi.p12"),
        PDF_SIGNING_P12_PASSWORD=password.decode(),
        PDF_SIGNING_LOCATION="Sóc Trăng",
    )
    yield cert
    for key in ("PDF_SIGNING_P12_PATH", "PDF_SIGNING_P12_PASSWORD", "PDF_SIGNING_LOCATION"):
        app.config.pop(key, None)


def test_configured_certificate_signs_the_pdf_and_the_signature_validates(
    client, login, org, diary, signing, tmp_path
):
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    response = export(
        client,
        login,
        book_url(org, "month"),
        "doanvien",
        {"month-year": str(last_year()), "month-month": "3"},
    )
    assert response.status_code == 200
    pdf = response.data
    reader = PdfFileReader(io.BytesIO(pdf))
    assert len(reader.embedded_signatures) == 1
    signature = reader.embedded_signatures[0]
    root = asn1_x509.Certificate.load(signing.public_bytes(serialization.Encoding.DER))
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root]))
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.coverage.name == "ENTIRE_FILE"
    # The signature is an incremental update of the PDF/A: still archival, still tagged.
    assert_archival_and_tagged(pdf)
    assert "Sổ nhật ký làm theo lời Bác" in status.signing_cert.subject.human_friendly
    document = db.session.scalar(select(ExportedDocument))
    assert document.is_signed and document.file_size == len(pdf)
    if POPPLER:
        assert ACTION_1 in flat(pdf_text(pdf, tmp_path)) and "Văn bản có chữ ký số của đơn vị." in flat(
            pdf_text(pdf, tmp_path)
        )
    if shutil.which("pdfsig"):  # what poppler-based PDF readers show
        path = tmp_path / "signed.pdf"
        path.write_bytes(pdf)
        shown = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
        assert "Signature is Valid." in shown and "Total document signed" in shown
    # A byte changed after signing breaks it.
    tampered = pdf.replace(b"/Producer", b"/Producex", 1)
    broken = validate_pdf_signature(
        PdfFileReader(io.BytesIO(tampered)).embedded_signatures[0], ValidationContext(trust_roots=[root])
    )
    assert tampered != pdf and not broken.intact


def test_unsigned_without_a_certificate(org, diary):
    from pyhanko.pdf_utils.reader import PdfFileReader

    result = services.export_member_month(None, org.member, org.branch, last_year(), 3, source="cli")
    assert not PdfFileReader(io.BytesIO(result.pdf)).embedded_signatures
    assert not result.document.is_signed


# ---- what WeasyPrint may fetch --------------------------------------------------------------------------


def test_the_renderer_fetches_only_static_files_and_data_uris(app):
    from app.core.pdf import PDF_BASE_URL, RefusedResource, static_fetcher

    fetcher = static_fetcher(app.static_folder)
    css = fetcher(f"{PDF_BASE_URL}static/css/print/document.css")
    assert b"@font-face" in css.read() and css.content_type == "text/css"
    font = fetcher(f"{PDF_BASE_URL}static/fonts/LiberationSerif-Regular.ttf")
    assert len(font.read()) > 300_000
    assert fetcher("data:text/plain;base64,eGlu").read() == b"xin"
    for url in (
        "file:///etc/passwd",
        "http://example.com/logo.png",
        "https://127.0.0.1:5000/static/css/app.css",
        f"{PDF_BASE_URL}static/../config.py",
        f"{PDF_BASE_URL}static/%2e%2e/config.py",
        f"{PDF_BASE_URL}instance/secret_key",
        f"{PDF_BASE_URL}static/fonts/",
    ):
        with pytest.raises(RefusedResource):
            fetcher(url)


def test_what_members_type_is_printed_as_text(org, diary):
    entry = diary["entries"][0]
    entry.action = 'Thử <img src="file:///etc/hostname"> & <b>đậm</b>'
    db.session.commit()
    subject = documents.Subject(unit=org.branch, year=last_year(), as_of=today_local(), member=org.member)
    html = services.render_html(documents.KINDS["book"], documents.member_book(subject), _meta())
    assert "Thử &lt;img src=&#34;file:///etc/hostname&#34;&gt; &amp; &lt;b&gt;đậm&lt;/b&gt;" in html
    assert '<img src="file:' not in html


def test_raw_html_given_to_the_renderer_fetches_nothing_outside_static(app, monkeypatch):
    """Even HTML that asks for local files or the network gets only what the fetcher allows."""
    from app.core import pdf

    asked = []
    real = pdf.static_fetcher

    def spy(*args, **kwargs):
        fetcher = real(*args, **kwargs)
        original = fetcher.fetch

        def fetch(url, headers=None):
            asked.append(url)
            return original(url, headers)

        fetcher.fetch = fetch
        return fetcher

    monkeypatch.setattr(pdf, "static_fetcher", spy)
    html = (
        '<html><head><link rel="stylesheet" href="/static/css/print/document.css"></head><body>'
        '<img src="file:///etc/hostname"><img src="http://example.com/x.png"><p>Xin chào</p></body></html>'
    )
    rendered = pdf.render_pdf(html)
    assert rendered.page_count == 1
    assert any(u.endswith("document.css") for u in asked)
    assert "file:///etc/hostname" in asked  # asked, and refused (the test above)


# ---- forms, CLI --------------------------------------------------------------------------------------


def test_bad_choices_get_a_message_and_nothing_is_registered(client, login, org, diary):
    login("doanvien")
    response = client.post(book_url(org), data={"book-year": "abc"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "Vui lòng chọn một mục trong danh sách." in body
    response = client.post(book_url(org, "month"), data={"month-year": str(last_year()), "month-month": "13"})
    assert response.status_code == 400
    assert client.post(book_url(org, "nothing"), data={}).status_code == 404
    assert (
        client.post(f"/units/{org.branch.id}/documents/book", data={}).status_code == 403
    )  # member: not a manager
    assert db.session.scalar(select(ExportedDocument)) is None


@needs_poppler
def test_cli_export_book(app, org, diary, tmp_path):
    out = tmp_path / "so.pdf"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export-book", "doanvien", str(last_year()), str(out)])
    assert result.exit_code == 0, result.output
    assert "SNK-" in result.output and "trang" in result.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and ACTION_1 in flat(pdf_text(data, tmp_path))
    document = db.session.scalar(select(ExportedDocument))
    assert document.source == "cli" and document.created_by_id is None and document.file_size == len(data)
    assert services.verify_document(document.number).status == services.CURRENT
    missing = runner.invoke(args=["export-book", "khongco", str(last_year()), str(tmp_path / "x.pdf")])
    assert missing.exit_code != 0 and "Không có tài khoản khongco" in missing.output
    officer = runner.invoke(args=["export-book", "canbo", str(last_year()), str(tmp_path / "x.pdf")])
    assert officer.exit_code != 0 and "không ghi sổ nhật ký" in officer.output


def test_entries_in_revision_and_drafts(org, diary):
    """Drafts are not in the book; an entry waiting for revision is, with its status."""
    plan = diary["plan"]
    journal.save_entry(
        org.member,
        org.member,
        org.branch,
        journal.EntryData(
            deed_date=date(last_year(), 5, 20),
            action="Bản nháp chưa gửi",
            commitment_ids=[plan.commitments[0].id],
        ),
        today=year_end(),
    )
    db.session.commit()
    content = documents.member_book(
        documents.Subject(unit=org.branch, year=last_year(), as_of=today_local(), member=org.member)
    )
    actions = [e["action"] for m in content["months"] for e in m["entries"]]
    assert "Bản nháp chưa gửi" not in actions and ACTION_2_REVISED in actions
    assert content["entry_count"] == 3
    statuses = {e["action"]: e["status"] for m in content["months"] for e in m["entries"]}
    assert statuses[ACTION_1] == EntryStatus.REVIEWED.label


def test_signing_works_where_an_event_loop_is_already_running(app, signing):
    """pyHanko runs asyncio itself; a caller inside a running loop (a browser driver, an async
    server) must still get a signed PDF, not a 500."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from weasyprint import HTML

    from app.core import pdf

    config = pdf.signing_config()
    unsigned = HTML(string="<p>Xin chào</p>").write_pdf()

    async def inside_a_loop() -> bytes:
        return pdf.sign_pdf(unsigned, config, "Kiểm tra")

    # A thread of its own, so the test also runs after the browser tests' Playwright loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        signed = pool.submit(asyncio.run, inside_a_loop()).result()
    assert signed.startswith(b"%PDF") and b"/ByteRange" in signed


# ---- nothing cut mid-word, no doubled punctuation (issue 17) --------------------------------------

LONG_COMMITMENT = (
    "Tiết kiệm điện, giấy in tại phòng làm việc: tắt đèn, quạt, máy tính khi ra về và nhắc cả phòng cùng làm"
)


@needs_poppler
def test_the_month_pdf_prints_names_and_commitments_whole(client, login, org, diary, tmp_path):
    """The header breaks "BCH CHI ĐOÀN VĂN PHÒNG / SỞ GIÁO DỤC VÀ ĐÀO TẠO" between the parts of the
    name, not "GIÁO DỤC VÀ / ĐÀO TẠO"; "Nội dung đã đăng ký" and "Thực hiện nội dung" print the
    commitment in full (they cut it at 77 characters, inside a word)."""
    org.branch.name = "Chi đoàn Văn phòng Sở Giáo dục và Đào tạo"
    org.grassroots.name = "Đoàn cơ sở Sở Giáo dục và Đào tạo"
    diary["plan"].commitments[1].action = LONG_COMMITMENT
    db.session.commit()
    response = export(
        client,
        login,
        book_url(org, "month"),
        "doanvien",
        {"month-year": str(last_year()), "month-month": "5"},
    )
    assert response.status_code == 200
    text = pdf_text(response.data, tmp_path)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "SỞ GIÁO DỤC VÀ ĐÀO TẠO" in lines, [line for line in lines if "SỞ" in line]
    assert not any(line.endswith("GIÁO DỤC VÀ") or line.startswith("ĐÀO TẠO") for line in lines)
    words = flat(text)
    assert LONG_COMMITMENT in words.split("Nội dung đã đăng ký:")[1].split("Các bài nhật ký")[0]
    assert f"Thực hiện nội dung: {LONG_COMMITMENT}" in words
    assert "…" not in words


def test_shortened_titles_end_between_words_with_an_ellipsis():
    from app.core.text import clause, shorten

    title = "Kiên định lý tưởng, chấp hành chủ trương của Đảng, pháp luật của Nhà nước. Lập trường vững"
    assert shorten(title, 200) == title
    assert shorten(title, 62) == "Kiên định lý tưởng, chấp hành chủ trương của Đảng, pháp luật…"
    assert shorten(title, 77) == "Kiên định lý tưởng, chấp hành chủ trương của Đảng, pháp luật của Nhà nước…"
    assert all(len(shorten(title, n)) <= n for n in range(10, 100))
    assert clause("pháp luật của Nhà nước.") + ": Lập trường" == "pháp luật của Nhà nước: Lập trường"
