"""Importing member lists: reading files, the per-row report, access, confirmation, the CLI."""

from __future__ import annotations

import io
import os
import re
import unicodedata
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.auth.models import User
from app.core.db import db
from app.core.enums import Role
from app.core.text import fold
from app.mail.models import MailStatus, OutboxMessage
from app.members import importing
from app.units.models import Membership

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ["STT", "Họ và tên", "Ngày sinh", "Email", "Số điện thoại", "Chức vụ", "Chi đoàn"]

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Thạch",
    "Sơn",
]
MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Thanh", "Quốc", "Hữu", "Thị Mỹ", "Đức", "Hoàng", "Thị Kim", "Công"]
GIVEN = [
    "An",
    "Bình",
    "Châu",
    "Dũng",
    "Duyên",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hiếu",
    "Hoa",
    "Hùng",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Ngân",
    "Nhung",
    "Phúc",
    "Quân",
    "Quyên",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Tuấn",
    "Uyên",
    "Vy",
    "Yến",
    "Đạt",
    "Ánh",
    "Ước",
    "Ý",
]


def vn_name(i: int) -> str:
    return f"{FAMILY[i % len(FAMILY)]} {MIDDLE[(i // 3) % len(MIDDLE)]} {GIVEN[(i * 7) % len(GIVEN)]}"


def xlsx_bytes(rows: list[list], headers: list[str] | None = None, title: bool = True) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append(["DANH SÁCH ĐOÀN VIÊN ĐOÀN CƠ SỞ SỞ GIÁO DỤC"])
        sheet.append([])
    sheet.append(headers or HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# Row index -> what is wrong with it; each index's spreadsheet row is index + 4 (title, blank, header).
BAD = {
    10: ("birth", "ngày 5 tháng 3", "Ngày sinh “ngày 5 tháng 3” không hợp lệ"),
    40: ("birth", "31/02/2000", "Ngày sinh “31/02/2000” không hợp lệ"),
    70: ("birth", "01/01/2090", "ngày ở tương lai"),
    100: ("email", "dv005@sogd.edu.vn", "trùng với dòng 9 trong tệp"),
    130: ("email", "Duyen@Example.vn", "đã được dùng cho một tài khoản khác"),
    160: ("unit", "XYZ-999", "Không tìm thấy đơn vị “XYZ-999”"),
    190: ("unit", "CDB", "Đơn vị “CDB” không thuộc Đoàn cơ sở Sở Giáo dục"),
    220: ("name", "", "Thiếu họ và tên"),
    250: ("email", "khong-phai-email", "Email “khong-phai-email” không hợp lệ"),
    280: ("phone", "12345", "Số điện thoại “12345” không hợp lệ"),
}
FIRST_LINE = 4


def unit_cell(i: int) -> str:
    """A fifth of the rows go to Chi đoàn Văn phòng by code, a fifth to Phòng Trung học by name."""
    return {0: "CDA", 1: "Chi đoàn Phòng Trung học"}.get(i % 5, "")


def birth_cell(i: int):
    day, month, year = 1 + i % 28, 1 + i % 12, 1985 + i % 20
    return [
        date(year, month, day),
        f"{day:02d}/{month:02d}/{year}",
        f"{day}-{month}-{year}",
        f"{day:02d}.{month:02d}.{year}",
    ][i % 4]


def member_rows(n: int = 300) -> list[list]:
    rows = []
    for i in range(n):
        row = {
            "name": vn_name(i),
            "birth": birth_cell(i),
            "email": f"dv{i:03d}@sogd.edu.vn",
            "phone": 912345000 + i if i % 3 == 0 else f"0987 654 {i:03d}",
            "unit": unit_cell(i),
        }
        if i in BAD:
            kind, value, _ = BAD[i]
            row[kind] = value
        rows.append(
            [
                i + 1,
                row["name"],
                row["birth"],
                row["email"],
                row["phone"],
                "Giáo viên" if i % 2 else "Chuyên viên",
                row["unit"],
            ]
        )
    return rows


def bad_lines() -> set[int]:
    return {i + FIRST_LINE for i in BAD}


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def members_of(unit) -> int:
    return db.session.scalar(select(func.count(Membership.id)).where(Membership.unit_id == unit.id))


def upload(client, unit, data: bytes, filename: str):
    return client.post(
        f"/units/{unit.id}/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def reported_lines(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'<tr class="row-error[^"]*" data-line="(\d+)"', html)}


def fingerprint(html: str) -> str:
    return re.search(r'name="fingerprint" type="hidden" value="([0-9a-f]+)"', html).group(1)


# ---- the 300-row list ---------------------------------------------------------------------------


def test_preview_reports_exactly_the_bad_rows_and_writes_nothing(client, login, org):
    login("canbo")
    before = user_count()
    response = upload(client, org.grassroots, xlsx_bytes(member_rows()), "danh-sach.xlsx")
    assert response.status_code == 302
    response = client.get(response.headers["Location"])
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert reported_lines(html) == bad_lines()
    for _kind, _value, message in BAD.values():
        assert message in html
    assert "Nhập 290 người hợp lệ" in html
    assert user_count() == before


def test_check_rows_gives_one_vietnamese_message_per_problem(app, org):
    table = importing.read_table(xlsx_bytes(member_rows()), "xlsx")
    assert table.header_line == 3
    report = importing.check_rows(org.officer_root, org.grassroots, table)
    assert {r.line for r in report.bad} == bad_lines()
    assert len(report.good) == 290
    by_line = {r.line: r for r in report.bad}
    for index, (_kind, _value, message) in BAD.items():
        assert any(message in e for e in by_line[index + FIRST_LINE].errors), by_line[
            index + FIRST_LINE
        ].errors
    assert "Dòng 44: Ngày sinh “31/02/2000” không hợp lệ: không có ngày này." in report.problem_lines()
    good = {r.line: r for r in report.good}
    # A number cell that lost the phone's leading zero gets it back; text dates in every shape.
    assert good[FIRST_LINE + 3].phone == "0912345003"
    assert good[FIRST_LINE + 1].birth_date == date(1986, 2, 2)
    assert good[FIRST_LINE + 2].birth_date == date(1987, 3, 3)
    assert good[FIRST_LINE + 3].birth_date == date(1988, 4, 4)
    assert good[FIRST_LINE + 5].unit == org.branch
    assert good[FIRST_LINE + 6].unit == org.branch_sibling
    assert good[FIRST_LINE + 7].unit == org.grassroots
    assert len({r.username for r in report.good}) == 290


def test_confirm_imports_the_good_rows_in_their_units_and_invites(client, login, org, app):
    login("canbo")
    before = user_count()
    in_a, in_a2, in_g = members_of(org.branch), members_of(org.branch_sibling), members_of(org.grassroots)
    upload(client, org.grassroots, xlsx_bytes(member_rows()), "danh-sach.xlsx")
    html = client.get(f"/units/{org.grassroots.id}/import/preview").get_data(as_text=True)
    with client.session_transaction() as s:
        token = s["member_import"]["token"]
    kept = Path(app.config["UPLOAD_DIR"]) / "imports" / f"{token}.xlsx"
    assert kept.is_file()

    response = client.post(
        f"/units/{org.grassroots.id}/import/confirm",
        data={"send_invites": "y", "fingerprint": fingerprint(html)},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Đã nhập 290 người" in page
    assert reported_lines(page) == bad_lines()  # the rows left out are listed again
    assert user_count() == before + 290

    good = [i for i in range(300) if i not in BAD]
    assert members_of(org.branch) == in_a + sum(1 for i in good if unit_cell(i) == "CDA")
    assert members_of(org.branch_sibling) == in_a2 + sum(1 for i in good if unit_cell(i).startswith("Chi"))
    assert members_of(org.grassroots) == in_g + sum(1 for i in good if unit_cell(i) == "")
    for i in BAD:
        if BAD[i][0] != "email":
            assert db.session.scalar(select(User).where(User.email == f"dv{i:03d}@sogd.edu.vn")) is None
    person = db.session.scalar(select(User).where(User.email == "dv003@sogd.edu.vn"))
    assert person.full_name == vn_name(3) and person.name_folded == fold(vn_name(3))
    assert person.birth_date == date(1988, 4, 4) and person.phone == "0912345003"
    assert person.password_hash is None and person.memberships[0].role is Role.MEMBER
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 290

    assert not kept.exists()
    with client.session_transaction() as s:
        assert "member_import" not in s
    again = client.post(f"/units/{org.grassroots.id}/import/confirm", data={"fingerprint": fingerprint(html)})
    assert again.status_code == 302 and user_count() == before + 290


def test_confirm_without_invitations_sends_nothing(client, login, org):
    login("bithu")
    upload(client, org.branch, xlsx_bytes(member_rows(12)), "ds.xlsx")
    html = client.get(f"/units/{org.branch.id}/import/preview").get_data(as_text=True)
    response = client.post(f"/units/{org.branch.id}/import/confirm", data={"fingerprint": fingerprint(html)})
    assert response.status_code == 200
    # Rows naming Chi đoàn Phòng Trung học are not the secretary's to fill; row 10 has a bad date.
    assert "Đã nhập 8 người" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_invitations_of_an_import_are_sent_by_the_worker(client, login, org, smtp_server, waiting_queue):
    """Hundreds of invitations must not wait on the mail server inside the request: they are
    queued with the import and the worker sends them, one each."""
    from tests.conftest import run_queued

    login("bithu")
    upload(client, org.branch, xlsx_bytes(member_rows(12)), "ds.xlsx")
    html = client.get(f"/units/{org.branch.id}/import/preview").get_data(as_text=True)
    response = client.post(
        f"/units/{org.branch.id}/import/confirm", data={"send_invites": "y", "fingerprint": fingerprint(html)}
    )
    page = response.get_data(as_text=True)
    assert "Đã nhập 8 người" in page and "Lời mời kích hoạt được gửi tới 8 người có email." in page
    assert smtp_server.envelopes == []
    assert run_queued(waiting_queue) == 8
    assert len(smtp_server.envelopes) == 8
    db.session.expire_all()
    assert set(db.session.scalars(select(OutboxMessage.status))) == {MailStatus.SENT}


def test_confirm_checks_again_and_stops_when_the_good_rows_changed(client, login, org, make_user):
    login("canbo")
    upload(client, org.grassroots, xlsx_bytes(member_rows(20)), "ds.xlsx")
    html = client.get(f"/units/{org.grassroots.id}/import/preview").get_data(as_text=True)
    assert "Nhập 19 người hợp lệ" in html
    make_user("nguoikhac", email="dv002@sogd.edu.vn")
    before = user_count()
    response = client.post(
        f"/units/{org.grassroots.id}/import/confirm", data={"fingerprint": fingerprint(html)}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Dữ liệu đã thay đổi" in page
    assert FIRST_LINE + 2 in reported_lines(page) and "Nhập 18 người hợp lệ" in page
    assert user_count() == before
    response = client.post(
        f"/units/{org.grassroots.id}/import/confirm", data={"fingerprint": fingerprint(page)}
    )
    assert "Đã nhập 18 người" in response.get_data(as_text=True)
    assert user_count() == before + 18


def test_a_failure_while_writing_leaves_nothing_half_imported(client, login, org, monkeypatch):
    login("canbo")
    upload(client, org.grassroots, xlsx_bytes(member_rows(20)), "ds.xlsx")
    html = client.get(f"/units/{org.grassroots.id}/import/preview").get_data(as_text=True)
    before = user_count()
    real_check = importing.check_rows

    def check_then_race(actor, target, table):
        report = real_check(actor, target, table)
        # Another request takes the last row's login after the check: the flush must fail.
        other = User(username=report.good[-1].username)
        other.set_name("Người khác")
        db.session.add(other)
        return report

    monkeypatch.setattr(importing, "check_rows", check_then_race)
    response = client.post(
        f"/units/{org.grassroots.id}/import/confirm", data={"fingerprint": fingerprint(html)}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/import/preview")
    assert user_count() == before


# ---- CSV ----------------------------------------------------------------------------------------


def test_csv_with_bom_and_semicolons(client, login, org):
    text = (
        "\ufeffSTT;Họ và tên;Ngày sinh;Email;SĐT;Chi đoàn;Vai trò\r\n"
        "1;Nguyễn Văn An;25/03/1998;an.nguyen@sogd.edu.vn;0912 345 678;CDA;Đoàn viên\r\n"
        "2;Trần Thị Bích Ngọc;5/7/2000;NGOC@SOGD.EDU.VN;;Chi đoàn Văn phòng;phó bí thư\r\n"
        ";;;;;;\r\n"
        "3;Lê Hoàng Phúc;31/04/1999;phuc@sogd.edu.vn;;;\r\n"
    )
    login("bithu")
    response = upload(client, org.branch, text.encode("utf-8"), "danh sach.csv")
    assert response.status_code == 302
    html = client.get(f"/units/{org.branch.id}/import/preview").get_data(as_text=True)
    assert reported_lines(html) == {5}
    assert "Ngày sinh “31/04/1999” không hợp lệ" in html
    response = client.post(f"/units/{org.branch.id}/import/confirm", data={"fingerprint": fingerprint(html)})
    assert "Đã nhập 2 người" in response.get_data(as_text=True)
    ngoc = db.session.scalar(select(User).where(User.email == "ngoc@sogd.edu.vn"))
    assert ngoc.full_name == "Trần Thị Bích Ngọc" and ngoc.birth_date == date(2000, 7, 5)
    assert ngoc.memberships[0].unit == org.branch and ngoc.memberships[0].role is Role.DEPUTY_SECRETARY
    an = db.session.scalar(select(User).where(User.username == "annv"))
    assert an.phone == "0912 345 678" and an.birth_date == date(1998, 3, 25)


def test_csv_plain_utf8_with_commas_title_and_header_variants(app, org):
    text = (
        "DANH SÁCH ĐOÀN VIÊN CHI ĐOÀN VĂN PHÒNG,,,,,\n"
        ",,,,,\n"
        "TT,Họ tên,Ngày tháng năm sinh,E-mail,Điện thoại,Chức vụ,Đơn vị,Dân tộc\n"
        '1,Sơn Thị Sa Rươl,12.09.1996,sarual@gmail.com,+84 912 000 111,"Chuyên viên, Phòng Tổ chức",CDA,Khmer\n'
        "2,Thạch Văn Đa Ra,1996-01-30,,,,, Khmer\n"
    )
    table = importing.read_table(text.encode("utf-8"), "csv")
    assert table.header_line == 3 and table.ignored == ["Dân tộc"]
    report = importing.check_rows(org.officer_root, org.grassroots, table)
    assert [r.line for r in report.good] == [4, 5]
    first, second = report.good
    assert first.position == "Chuyên viên, Phòng Tổ chức" and first.unit == org.branch
    assert first.birth_date == date(1996, 9, 12) and first.phone == "+84 912 000 111"
    assert second.unit == org.grassroots and second.birth_date == date(1996, 1, 30)


def _cp1258(text: str) -> bytes:
    """Encode as old Vietnamese Windows did: base letters precomposed, tone marks combining."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in tones))
            out += (base + "".join(p for p in parts if p in tones)).encode("cp1258")
    return out


def test_csv_in_windows_1258_and_split_name_columns(app, org):
    data = _cp1258("Họ và tên đệm;Tên;Ngày sinh\nNguyễn Thị Mỹ;Duyên;01/02/2001\n")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    report = importing.check_rows(org.admin, org.branch, importing.read_table(data, "csv"))
    assert report.good[0].full_name == "Nguyễn Thị Mỹ Duyên"
    assert unicodedata.is_normalized("NFC", report.good[0].full_name)


def test_duplicate_usernames_roles_and_units_for_a_secretary(app, org):
    text = (
        "Họ và tên;Tên đăng nhập;Vai trò;Chi đoàn\n"
        "Võ Văn Kiệt;doanvien;;\n"  # 2 taken in the database
        "Lê Thị Hồng Gấm;gamlth;;\n"  # 3
        "Lê Thị Hồng Gấm;GAMLTH;;\n"  # 4 repeats line 3
        "Trương Định;a b;;\n"  # 5 not a login
        "Phan Văn Trị;;Bí thư;\n"  # 6 a secretary cannot give this
        "Phạm Hùng;;Chủ tịch;\n"  # 7 not a role
        "Nguyễn Thị Định;;Phó Bí thư;Chi đoàn Văn phòng\n"  # 8 fine
        "Tôn Đức Thắng;;;CDA2\n"  # 9 a unit the secretary cannot see
        "Hoàng Văn Thụ;;;CDB\n"  # 10 idem
    )
    report = importing.check_rows(org.secretary, org.branch, importing.read_table(text.encode(), "csv"))
    errors = {r.line: " ".join(r.errors) for r in report.bad}
    assert set(errors) == {2, 4, 5, 6, 7, 9, 10}
    assert "Tên đăng nhập “doanvien” đã có người dùng" in errors[2]
    assert "trùng với dòng 3 trong tệp" in errors[4]
    assert "Tên đăng nhập gồm 2–64 ký tự" in errors[5]
    assert "Bạn không thể giao vai trò Bí thư trong Chi đoàn Văn phòng" in errors[6]
    assert "Vai trò “Chủ tịch” không hợp lệ" in errors[7]
    assert "Không tìm thấy đơn vị “CDA2”" in errors[9] and "Không tìm thấy đơn vị “CDB”" in errors[10]
    assert [r.role for r in report.good] == [Role.MEMBER, Role.DEPUTY_SECRETARY]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(1998, 3, 25), date(1998, 3, 25)),
        (datetime(1998, 3, 25), date(1998, 3, 25)),
        ("25/03/1998", date(1998, 3, 25)),
        ("5/3/1998", date(1998, 3, 5)),
        ("25-03-1998", date(1998, 3, 25)),
        ("25.03.1998", date(1998, 3, 25)),
        ("1998-03-25", date(1998, 3, 25)),
        ("25/03/1998 00:00:00", date(1998, 3, 25)),
        (35879, date(1998, 3, 25)),  # a date cell that lost its format
        ("", None),
    ],
)
def test_birth_dates_accepted(value, expected):
    assert importing.parse_birth_date(value)[0] == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("31/02/2000", "không có ngày này"),
        ("29/02/2001", "không có ngày này"),
        ("12/31/1999", "không có ngày này"),
        ("01/01/1899", "từ 1900"),
        (date(1850, 1, 1), "từ 1900"),
        ("01/01/2999", "tương lai"),
        ("abc", "ngày/tháng/năm"),
        ("25/03/98", "ngày/tháng/năm"),
        (1998, "đủ ngày, tháng, năm"),
    ],
)
def test_birth_dates_rejected(value, message):
    with pytest.raises(ValueError, match=message):
        importing.parse_birth_date(value)


def test_header_names_ignore_case_diacritics_and_spacing():
    assert importing.header_key("  NGÀY / THÁNG / NĂM SINH (*)") == "ngaythangnamsinh"
    assert importing.header_key("Số ĐT") == "sodt"
    assert importing.header_key("Họ  và   tên") == "hovaten"


# ---- access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "unit_attr", "status"),
    [
        ("doanvien", "branch", 403),
        ("bithub", "branch", 404),
        ("canbo2", "grassroots", 404),
        ("bithu", "branch", 200),
        ("phobithu", "branch", 200),
        ("canbo", "grassroots", 200),
        ("quantri", "root", 200),
    ],
)
def test_who_may_open_the_import(client, login, org, username, unit_attr, status):
    login(username)
    unit = getattr(org, unit_attr)
    assert client.get(f"/units/{unit.id}/import").status_code == status
    assert client.get(f"/units/{unit.id}/import/template.xlsx").status_code == status
    assert client.get(f"/units/{unit.id}/import/preview").status_code == (302 if status == 200 else status)


def test_a_member_cannot_post_an_upload_or_confirm(client, login, org):
    login("doanvien")
    before = user_count()
    assert upload(client, org.branch, xlsx_bytes(member_rows(3)), "ds.xlsx").status_code == 403
    assert client.post(f"/units/{org.branch.id}/import/confirm", data={"fingerprint": "x"}).status_code == 403
    assert user_count() == before


def test_secretary_imports_into_their_branch_and_other_units_are_reported(client, login, org):
    rows = [
        [1, "Lý Thị Mai", "02/03/1999", "mai@x.vn", "", "", ""],
        [2, "Đào Duy Từ", "", "", "", "", "CDA"],
        [3, "Kim Thị Thảo", "", "", "", "", "CDA2"],
        [4, "Huỳnh Tấn Phát", "", "", "", "", "Chi đoàn Bệnh viện"],
    ]
    login("bithu")
    upload(client, org.branch, xlsx_bytes(rows), "ds.xlsx")
    html = client.get(f"/units/{org.branch.id}/import/preview").get_data(as_text=True)
    assert reported_lines(html) == {6, 7}
    assert "Không tìm thấy đơn vị “Chi đoàn Bệnh viện”" in html
    response = client.post(f"/units/{org.branch.id}/import/confirm", data={"fingerprint": fingerprint(html)})
    assert "Đã nhập 2 người" in response.get_data(as_text=True)
    names = set(
        db.session.scalars(select(User.full_name).join(Membership).where(Membership.unit_id == org.branch.id))
    )
    assert {"Lý Thị Mai", "Đào Duy Từ"} <= names


def test_the_kept_file_is_bound_to_the_user_and_never_a_client_path(client, login, org, app):
    login("bithu")
    upload(client, org.branch, xlsx_bytes(member_rows(3)), "ds.xlsx")
    with client.session_transaction() as s:
        s["member_import"] = dict(s["member_import"], user_id=org.deputy.id)
    assert client.get(f"/units/{org.branch.id}/import/preview").status_code == 302
    secret = Path(app.config["UPLOAD_DIR"]).parent / "secret.csv"
    secret.write_text("Họ và tên;Email\nKẻ Lạ;la@x.vn\n", encoding="utf-8")
    for token in ("../secret", "../../secret", "/etc/passwd"):
        with client.session_transaction() as s:
            s["member_import"] = {
                "token": token,
                "kind": "csv",
                "unit_id": org.branch.id,
                "user_id": org.secretary.id,
            }
        response = client.get(f"/units/{org.branch.id}/import/preview")
        assert response.status_code == 302 and response.headers["Location"].endswith("/import")
    assert importing.load_pending("../secret", "csv") is None


def test_cancel_deletes_the_kept_file(client, login, org, app):
    login("bithu")
    upload(client, org.branch, xlsx_bytes(member_rows(3)), "ds.xlsx")
    with client.session_transaction() as s:
        token = s["member_import"]["token"]
    kept = Path(app.config["UPLOAD_DIR"]) / "imports" / f"{token}.xlsx"
    assert kept.is_file()
    assert client.post(f"/units/{org.branch.id}/import/cancel").status_code == 302
    assert not kept.exists()


def test_kept_files_older_than_an_hour_are_removed(app, clock):
    """Their age is read on the app's clock (saved inside the file), so the test moves time."""
    from datetime import timedelta

    table = importing.read_table("Họ và tên;Email\nAn;an@example.vn\n".encode(), "csv")
    token = importing.save_pending(table, "csv")
    path = Path(app.config["UPLOAD_DIR"]) / "imports" / f"{token}.csv"
    assert importing.load_pending(token, "csv").rows[0].values["full_name"] == "An"
    clock.shift(timedelta(minutes=59))
    assert importing.load_pending(token, "csv") is not None
    clock.shift(timedelta(minutes=2))
    assert importing.load_pending(token, "csv") is None and not path.exists()
    token = importing.save_pending(table, "csv")
    path = Path(app.config["UPLOAD_DIR"]) / "imports" / f"{token}.csv"
    clock.shift(timedelta(hours=2))
    assert importing.purge_stale_pending() >= 1 and not path.exists()


# ---- files that are not member lists ---------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(60):
                member.write(chunk)
    return buffer.getvalue()


BAD_FILES = [
    (
        "virus.xlsx",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + os.urandom(2000),
        "không phải là tệp Excel .xlsx hợp lệ",
    ),
    ("trong.xlsx", b"", "Tệp trống"),
    ("trong.csv", b"", "Tệp trống"),
    ("nen.xlsx", _zip({"readme.txt": b"hello"}), "Tệp nén này không phải là tệp Excel .xlsx"),
    (
        "hong.xlsx",
        _zip({"xl/workbook.xml": b"<not xml", "[Content_Types].xml": b"??"}),
        "Không đọc được tệp Excel",
    ),
    ("cu.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "Excel 97–2003"),
    ("matkhau.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "đặt mật khẩu"),
    ("anh.png", b"\x89PNG\r\n\x1a\n", "Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv)"),
    ("khong-tieu-de.csv", b"a;b;c\n1;2;3\n", "Không tìm thấy dòng tiêu đề"),
    ("nhi-phan.csv", b"\x00\x01\x02binary", "không phải là tệp CSV"),
    ("chi-tieu-de.xlsx", xlsx_bytes([]), "không có dòng dữ liệu"),
    ("qua-lon.csv", b"Ho va ten;Email\n" + b"x" * (5 * 1024 * 1024), "lớn hơn 5 MB"),
]


@pytest.mark.parametrize(("filename", "data", "message"), BAD_FILES, ids=[f[0] for f in BAD_FILES])
def test_unusable_files_give_a_clear_message_next_to_the_field(client, login, org, filename, data, message):
    login("bithu")
    response = upload(client, org.branch, data, filename)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html and 'id="file-error"' in html
    with client.session_transaction() as s:
        assert "member_import" not in s


def test_zip_bomb_is_refused_before_opening(client, login, org):
    login("bithu")
    response = upload(client, org.branch, _zip_bomb(), "bom.xlsx")
    assert response.status_code == 200
    assert "quá lớn khi giải nén" in response.get_data(as_text=True)


def test_no_file_chosen(client, login, org):
    login("bithu")
    response = client.post(f"/units/{org.branch.id}/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 200 and "Vui lòng chọn tệp" in response.get_data(as_text=True)


def test_too_many_rows(client, login, org, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 5)
    login("bithu")
    response = upload(client, org.branch, xlsx_bytes(member_rows(6)), "ds.xlsx")
    assert response.status_code == 200
    assert "hơn 5 dòng dữ liệu" in response.get_data(as_text=True)


# ---- the template -------------------------------------------------------------------------------


def test_template_download_has_the_headers_and_imports_as_is(client, login, org):
    login("bithu")
    response = client.get(f"/units/{org.branch.id}/import/template.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    headers = [c.value for c in workbook.worksheets[0][1]]
    for name in ("STT", "Họ và tên", "Ngày sinh", "Email", "Số điện thoại", "Chức vụ", "Chi đoàn", "Vai trò"):
        assert name in headers
    assert workbook.worksheets[0]["B2"].value == "Nguyễn Văn An"
    upload(client, org.branch, response.data, "mau.xlsx")
    html = client.get(f"/units/{org.branch.id}/import/preview").get_data(as_text=True)
    assert "Nhập 1 người hợp lệ" in html and not reported_lines(html)


def test_upload_page_links_the_template(client, login, org):
    login("bithu")
    html = client.get(f"/units/{org.branch.id}/import").get_data(as_text=True)
    assert f"/units/{org.branch.id}/import/template.xlsx" in html
    assert 'enctype="multipart/form-data"' in html and "style=" not in html


# ---- the command line -----------------------------------------------------------------------------


def test_cli_dry_run_prints_the_report_and_writes_nothing(app, org, tmp_path):
    path = tmp_path / "danh-sach.xlsx"
    path.write_bytes(xlsx_bytes(member_rows()))
    before = user_count()
    result = app.test_cli_runner().invoke(args=["import-members", str(path), "--unit", "DCS1", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Dòng 44: Ngày sinh “31/02/2000” không hợp lệ" in result.output
    assert "Dòng 14: Ngày sinh “ngày 5 tháng 3” không hợp lệ" in result.output
    assert "Dòng 194: Đơn vị “CDB” không thuộc Đoàn cơ sở Sở Giáo dục" in result.output
    assert "Tổng cộng 300 dòng: 290 hợp lệ, 10 có lỗi." in result.output
    assert {int(n) for n in re.findall(r"^Dòng (\d+):", result.output, re.M)} == bad_lines()
    assert user_count() == before


def test_cli_writes_the_good_rows(app, org, tmp_path):
    path = tmp_path / "danh-sach.xlsx"
    path.write_bytes(xlsx_bytes(member_rows()))
    before = user_count()
    result = app.test_cli_runner().invoke(args=["import-members", str(path), "--unit", "dcs1"])
    assert result.exit_code == 0, result.output
    assert "Đã nhập 290 người" in result.output
    assert user_count() == before + 290
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_cli_unknown_unit_or_unreadable_file_exits_non_zero(app, org, tmp_path):
    before = user_count()
    good = tmp_path / "ds.xlsx"
    good.write_bytes(xlsx_bytes(member_rows(3)))
    result = app.test_cli_runner().invoke(args=["import-members", str(good), "--unit", "KHONGCO"])
    assert result.exit_code != 0 and "Không có đơn vị mã “KHONGCO”" in result.output
    broken = tmp_path / "virus.xlsx"
    broken.write_bytes(b"MZ" + b"\0" * 100)
    result = app.test_cli_runner().invoke(args=["import-members", str(broken), "--unit", "CDA"])
    assert result.exit_code != 0 and "không phải là tệp Excel" in result.output
    assert user_count() == before


def test_units_named_twice_and_inactive_units(app, org, make_unit):
    from app.core.enums import UnitKind

    make_unit("Chi đoàn Kỹ thuật", UnitKind.BRANCH, org.grassroots, code="KT1")
    second = make_unit("Chi đoàn Kỹ thuật", UnitKind.BRANCH, org.grassroots, code="KT2")
    closed = make_unit("Chi đoàn Giải thể", UnitKind.BRANCH, org.grassroots, code="GT")
    closed.is_active = False
    db.session.commit()
    text = "Họ và tên;Chi đoàn\nA Lý;Chi đoàn Kỹ thuật\nB Lý;kt2\nC Lý;GT\nD Lý;chi đoàn văn phòng\n"
    report = importing.check_rows(
        org.officer_root, org.grassroots, importing.read_table(text.encode(), "csv")
    )
    errors = {r.line: " ".join(r.errors) for r in report.bad}
    assert "Có nhiều đơn vị tên “Chi đoàn Kỹ thuật”: hãy ghi mã đơn vị" in errors[2]
    assert "Chi đoàn Giải thể đã ngừng hoạt động" in errors[4]
    assert [(r.line, r.unit) for r in report.good] == [(3, second), (5, org.branch)]


def test_csv_saved_as_unicode_text_by_excel(app, org):
    data = "Họ và tên\tNgày sinh\tĐiện thoại\r\nChâu Ngọc Ánh\t08/05/2001\t0299 3822 123\r\n".encode("utf-16")
    report = importing.check_rows(org.admin, org.branch, importing.read_table(data, "csv"))
    assert report.good[0].full_name == "Châu Ngọc Ánh" and report.good[0].phone == "0299 3822 123"
