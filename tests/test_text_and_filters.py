"""Text folding and normalisation, and dates and numbers written the Vietnamese way."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime

import pytest
from flask import render_template_string

from app.core.enums import OrgType, Role, UnitKind
from app.core.filters import vn_date, vn_datetime, vn_long_date, vn_number
from app.core.text import clean_line, fold, nfc
from app.members.services import username_base

# ---- folding for search ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đảng viên", "dang vien"),
        ("ĐOÀN TNCS HỒ CHÍ MINH", "doan tncs ho chi minh"),
        ("Nguyễn Thị Mỹ Duyên", "nguyen thi my duyen"),
        ("Đặng Văn Đạt", "dang van dat"),
        ("đường", "duong"),
        ("Thạch  Thị\tSa   Rinh ", "thach thi sa rinh"),
        ("Phạm Ngọc Ánh", "pham ngoc anh"),
        (unicodedata.normalize("NFD", "Trần Quốc Bảo"), "tran quoc bao"),
        ("Ưu tú, ơn", "uu tu, on"),
        ("a\x00b\x1bc", "abc"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold_removes_diacritics_including_d_with_stroke(text, folded):
    assert fold(text) == folded


def test_nfc_composes_and_drops_control_characters():
    decomposed = unicodedata.normalize("NFD", "Học tập và làm theo")
    assert decomposed != "Học tập và làm theo"
    assert nfc(decomposed) == "Học tập và làm theo"
    assert nfc("dòng 1\r\ndòng 2\rdòng 3\x00\x07") == "dòng 1\ndòng 2\ndòng 3"
    assert nfc("giữ\tTab") == "giữ\tTab"
    assert nfc(None) is None


def test_clean_line_makes_one_tidy_line():
    assert clean_line("  Chi   đoàn\nVăn phòng\x00 ") == "Chi đoàn Văn phòng"
    assert clean_line(None) == ""


@pytest.mark.parametrize(
    ("name", "username"),
    [
        ("Nguyễn Văn An", "annv"),
        ("Trần Quốc Bảo", "baotq"),
        ("Đặng Văn Đạt", "datdv"),
        ("Lý Thị Hồng Nhung", "nhunglth"),
        ("Danh", "danh"),
        ("!!!", "user"),
    ],
)
def test_usernames_are_made_the_vietnamese_way(name, username):
    assert username_base(name) == username


# ---- dates and numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (date(2013, 5, 8), "08/05/2013"),
        (date(2024, 12, 31), "31/12/2024"),
        (None, ""),
        # 20:30 UTC on 31/12 is already 1 January in Vietnam (UTC+7).
        (datetime(2024, 12, 31, 20, 30, tzinfo=UTC), "01/01/2025"),
    ],
)
def test_vn_date(value, text):
    assert vn_date(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (date(2013, 5, 8), "ngày 08 tháng 5 năm 2013"),
        (date(2013, 1, 8), "ngày 08 tháng 01 năm 2013"),
        (date(2013, 2, 28), "ngày 28 tháng 02 năm 2013"),
        (date(2013, 3, 1), "ngày 01 tháng 3 năm 2013"),
        (date(2013, 10, 10), "ngày 10 tháng 10 năm 2013"),
        (date(2013, 12, 9), "ngày 09 tháng 12 năm 2013"),
        (datetime(2013, 5, 7, 18, 0, tzinfo=UTC), "ngày 08 tháng 5 năm 2013"),
        (None, ""),
    ],
)
def test_vn_long_date_as_on_official_documents(value, text):
    assert vn_long_date(value) == text


def test_vn_datetime_is_in_vietnam_time():
    assert vn_datetime(datetime(2013, 5, 8, 7, 5, tzinfo=UTC)) == "08/05/2013 14:05"
    assert vn_datetime(None) == ""


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (1234.5, 1, "1.234,5"),
        (1234567, 0, "1.234.567"),
        (0.5, 2, "0,50"),
        (-1234.56, 1, "-1.234,6"),
        (999, 0, "999"),
        (None, 0, ""),
    ],
)
def test_vn_number(value, decimals, text):
    assert vn_number(value, decimals) == text


def test_filters_are_available_in_templates(app):
    with app.test_request_context():
        rendered = render_template_string(
            "{{ d|vn_date }} | {{ d|vn_long_date }} | {{ n|vn_number(1) }} | {{ t|vn_datetime }}",
            d=date(2013, 5, 8),
            n=1234.5,
            t=datetime(2013, 5, 8, 7, 5, tzinfo=UTC),
        )
    assert rendered == "08/05/2013 | ngày 08 tháng 5 năm 2013 | 1.234,5 | 08/05/2013 14:05"


# ---- labels ----------------------------------------------------------------------------------


def test_enums_are_stored_in_english_and_shown_in_vietnamese():
    assert UnitKind.BRANCH == "branch" and UnitKind.BRANCH.label == "Chi đoàn"
    assert UnitKind.PARTY_CELL.org_type is OrgType.PARTY and UnitKind.PARTY_CELL.is_branch
    assert not UnitKind.GRASSROOTS_UNION.is_branch
    assert Role.MEMBER.label_for(OrgType.PARTY) == "Đảng viên"
    assert Role.MEMBER.label_for(OrgType.YOUTH_UNION) == "Đoàn viên"
    assert Role.SECRETARY.label_for(OrgType.PARTY) == "Bí thư"
    assert OrgType.PARTY.member_label == "đảng viên"
    assert ("branch", "Chi đoàn") in UnitKind.choices()


def test_waiting_days_are_said_the_way_people_say_them():
    from app.core.filters import vn_days

    assert vn_days(0) == "dưới 1 ngày" and vn_days(1) == "1 ngày" and vn_days(1234) == "1.234 ngày"


def test_one_spelling_of_khoa_in_everything_a_user_sees():
    """'khóa' (the tone mark on the o, as the rest of the app writes it), never 'khoá'."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    found = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("app", "templates", "static/js")
        for path in (root / folder).rglob("*")
        if path.suffix in {".py", ".html", ".js", ".txt"}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "khoá" in line.lower()
    ]
    assert not found, found
