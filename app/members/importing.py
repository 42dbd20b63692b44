"""Importing member lists from .xlsx or .csv: read, check every row, then create the good ones.

The flow is the same for the web page and `flask import-members`:
`detect_kind` + `read_table` turn the bytes into rows under a recognised header (or raise
ImportFileError with a Vietnamese message), `check_rows` validates each row for the acting
user without writing anything, and `import_rows` creates the accounts of the good rows in the
current transaction; the caller commits once, so a list is imported whole or not at all.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
import secrets
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select

from app.auth import services as auth_services
from app.auth.models import User
from app.core import permissions, spreadsheet
from app.core.db import db, utcnow
from app.core.enums import OrgType, Role
from app.core.filters import today_local, vn_date, vn_number
from app.core.rules import RuleError
from app.core.text import clean_line, fold
from app.members.services import MemberError, check_username, generate_username, normalize_email
from app.units.models import Membership, Unit

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A real member list of 5,000 rows unpacks to a few MB; anything far larger is a zip bomb.
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_ZIP_ENTRIES = 2000
# Workbook parts compress 10–20 times; a part that shrank more than this is a bomb (checked on the
# directory, before anything is unpacked).
MAX_COMPRESSION_RATIO = 100
# openpyxl keeps every element of a sheet it has read (about 100 bytes each) until the sheet ends,
# so the number of tags, not of bytes, bounds its memory and time: a 5,000-row list has ~300,000.
MAX_XML_TAGS = 1_000_000
HEADER_SCAN_ROWS = 30
MAX_COLUMNS = 100
# A data row more than this many rows below the previous one is refused (a file that declares
# row 10,000,000 after row 2), and no row may claim a number Excel itself cannot have.
MAX_EMPTY_ROWS = 1000
EXCEL_MAX_ROWS = 1_048_576
PENDING_MAX_AGE = timedelta(hours=1)
KINDS = ("xlsx", "csv")

NAME_MAX = 120
POSITION_MAX = 120
EMAIL_MAX = 254

# ---- errors and results -----------------------------------------------------------------------


class ImportFileError(RuleError):
    """The file as a whole cannot be used; the message is for the user."""


@dataclass
class SourceRow:
    """One non-empty data row: its row number in the file and the raw value of each field."""

    line: int
    values: dict[str, Any]


@dataclass
class SourceTable:
    """The rows found under the header row, and which columns were recognised."""

    header_line: int
    columns: dict[str, str]
    ignored: list[str]
    rows: list[SourceRow]


@dataclass
class RowResult:
    """A checked row: the values to store and what is wrong with it (nothing, when good)."""

    line: int
    full_name: str = ""
    birth_date: date | None = None
    birth_text: str = ""
    email: str | None = None
    email_text: str = ""
    phone: str | None = None
    position: str | None = None
    unit: Unit | None = None
    unit_text: str = ""
    role: Role = Role.MEMBER
    role_text: str = ""
    username: str | None = None
    username_generated: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def role_label(self) -> str:
        org_type = self.unit.org_type if self.unit is not None else OrgType.YOUTH_UNION
        return self.role.label_for(org_type)


@dataclass
class ImportReport:
    """Every row of a file checked against a target unit, in file order."""

    target: Unit
    rows: list[RowResult]
    header_line: int = 1
    columns: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    @property
    def good(self) -> list[RowResult]:
        return [r for r in self.rows if r.ok]

    @property
    def bad(self) -> list[RowResult]:
        return [r for r in self.rows if not r.ok]

    @property
    def fingerprint(self) -> str:
        """Which rows are good: what the user saw in the preview and confirms."""
        lines = ",".join(str(r.line) for r in self.good)
        return hashlib.sha256(lines.encode()).hexdigest()[:32]

    def unit_counts(self) -> list[tuple[Unit, int]]:
        """Good rows per unit, the target first."""
        counts: dict[int, tuple[Unit, int]] = {}
        for row in self.good:
            assert row.unit is not None
            unit, n = counts.get(row.unit.id, (row.unit, 0))
            counts[row.unit.id] = (unit, n + 1)
        return sorted(counts.values(), key=lambda c: (c[0].id != self.target.id, c[0].path))

    def problem_lines(self) -> list[str]:
        """The per-row report as text, one problem a line: "Dòng 12: …"."""
        return [f"Dòng {row.line}: {error}" for row in self.bad for error in row.errors]

    def summary(self) -> str:
        return (
            f"Tổng cộng {_count(len(self.rows))} dòng: {_count(len(self.good))} hợp lệ, "
            f"{_count(len(self.bad))} có lỗi."
        )


def _count(n: int) -> str:
    return vn_number(n)


# ---- reading files ------------------------------------------------------------------------------


def detect_kind(filename: str, data: bytes) -> str:
    """The kind of file, "xlsx" or "csv", from its name checked against its content."""
    ext = os.path.splitext(filename or "")[1].lower()
    if ext == ".xls":
        raise ImportFileError(
            "Tệp .xls (Excel 97–2003) chưa được hỗ trợ: hãy mở tệp bằng Excel và lưu lại dưới dạng .xlsx."
        )
    if ext not in (".xlsx", ".csv"):
        raise ImportFileError("Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv).")
    if not data:
        raise ImportFileError("Tệp trống.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            f"Tệp lớn hơn {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; hãy chia danh sách thành nhiều tệp."
        )
    kind = ext[1:]
    if kind == "xlsx":
        _check_xlsx_container(data)
    return kind


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _check_xlsx_container(data: bytes, count_tags: bool = False) -> None:
    """An .xlsx is a zip holding xl/workbook.xml, of a sane size once unpacked; with `count_tags`,
    its XML parts are also streamed through (64 KB at a time) to count their tags."""
    if data.startswith(_OLE_MAGIC):
        raise ImportFileError(
            "Tệp được đặt mật khẩu hoặc là tệp .xls cũ: hãy lưu lại dưới dạng .xlsx, không đặt mật khẩu."
        )
    if not data.startswith(b"PK\x03\x04"):
        raise ImportFileError(
            "Tệp không phải là tệp Excel .xlsx hợp lệ (có thể chỉ được đổi tên đuôi thành .xlsx)."
        )
    unreadable = "Không đọc được tệp Excel: tệp bị hỏng hoặc không đúng định dạng .xlsx."
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            _check_zip_directory(infos)
            if count_tags:
                _count_xml_tags(archive, infos)
    except ImportFileError:
        raise
    except Exception:  # zipfile, zlib: damaged, encrypted, a CRC that does not match, …
        raise ImportFileError(unreadable) from None


def _check_zip_directory(infos: list[zipfile.ZipInfo]) -> None:
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise ImportFileError("Tệp nén này không phải là tệp Excel .xlsx.")
    if len(infos) > MAX_ZIP_ENTRIES:
        raise ImportFileError(
            f"Tệp Excel có quá nhiều thành phần bên trong (hơn {_count(MAX_ZIP_ENTRIES)}) nên không được mở. "
            "Hãy dùng tệp mẫu hoặc lưu lại danh sách trong một tệp Excel mới."
        )
    # Python's zipfile never inflates a member past its declared size, so the declared sizes bound
    # what openpyxl can read.
    if sum(info.file_size for info in infos) > MAX_UNZIPPED_BYTES:
        raise ImportFileError("Tệp Excel quá lớn khi giải nén; hãy chia danh sách thành nhiều tệp.")
    for info in infos:
        if info.file_size > 1024 * 1024 and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise ImportFileError(
                f"Tệp Excel có phần nén bất thường (giải nén ra lớn gấp hơn {MAX_COMPRESSION_RATIO} lần) nên "
                "không được mở. Hãy mở tệp bằng Excel và lưu lại, hoặc dùng tệp mẫu."
            )


def _count_xml_tags(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    # Every part, whatever its name: openpyxl parses the parts the workbook's relations name, and a
    # picture adds only a few "<" per kilobyte.
    tags = 0
    for info in infos:
        with archive.open(info) as part:
            while chunk := part.read(64 * 1024):
                tags += chunk.count(b"<")
                if tags > MAX_XML_TAGS:
                    raise ImportFileError(
                        "Tệp Excel có quá nhiều ô (kể cả ô trống đã định dạng) nên không được mở. Hãy xóa các "
                        "dòng, cột trống thừa hoặc chia danh sách thành nhiều tệp."
                    )


def read_table(data: bytes, kind: str) -> SourceTable:
    """The data rows under the header row of an .xlsx or .csv file; ImportFileError when unusable."""
    max_rows = int(current_app.config.get("IMPORT_MAX_ROWS", 5000))
    if kind == "xlsx":
        _check_xlsx_container(data, count_tags=True)
        return _read_xlsx(data, max_rows)
    if kind == "csv":
        return _read_csv(data, max_rows)
    raise ImportFileError("Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv).")


def _read_xlsx(data: bytes, max_rows: int) -> SourceTable:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise ImportFileError(
            "Không đọc được tệp Excel: tệp bị hỏng hoặc không đúng định dạng .xlsx."
        ) from None
    try:
        # The first sheet with a recognisable header: lists often have a cover or notes sheet.
        for sheet in workbook.worksheets:
            if not hasattr(sheet, "iter_rows"):
                continue  # a chart sheet
            table = _table_from_rows(_sheet_rows(sheet), max_rows)
            if table is not None:
                return table
    except ImportFileError:
        raise
    except Exception:
        raise ImportFileError(
            "Không đọc được tệp Excel: tệp bị hỏng hoặc không đúng định dạng .xlsx."
        ) from None
    finally:
        workbook.close()
    raise ImportFileError(NO_HEADER_MESSAGE)


def _sheet_rows(sheet) -> Iterator[tuple[int, list[Any]]]:
    """The rows the sheet's XML really holds, numbered as declared, with at most MAX_COLUMNS values.

    openpyxl's own iter_rows fills every row missing between two declared row numbers (and reads
    the declared dimensions): one data row then `<row r="10000000">` walked ten million empty rows.
    Here a row number far beyond the data, or a value far to the right, is refused at once.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    workbook = sheet.parent
    last_data_line = 0
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for line, cells in parser.parse():
            if line > EXCEL_MAX_ROWS:
                raise ImportFileError(
                    f"Tệp khai báo dòng số {_count(line)}, quá giới hạn của Excel: tệp bị hỏng hoặc được "
                    "làm giả. Hãy mở bằng Excel, chép danh sách sang một tệp mới rồi tải lên."
                )
            values: list[Any] = [None] * MAX_COLUMNS
            has_data = False
            for cell in cells:
                value = cell["value"]
                if _is_blank(value):
                    continue  # a formatted empty cell, wherever it is
                column = cell["column"]
                if column > MAX_COLUMNS:
                    raise ImportFileError(
                        f"Dòng {_count(line)} có dữ liệu ở cột thứ {_count(column)}, quá xa so với danh sách "
                        f"(chỉ đọc {MAX_COLUMNS} cột đầu). Hãy xóa các cột thừa bên phải rồi tải lên lại."
                    )
                values[column - 1] = value
                has_data = True
            if has_data:
                if line - last_data_line > MAX_EMPTY_ROWS:
                    raise ImportFileError(
                        f"Giữa dòng {_count(last_data_line)} và dòng {_count(line)} có hơn {_count(MAX_EMPTY_ROWS)} "
                        "dòng trống: hãy xóa các dòng trống thừa (hoặc chia danh sách) rồi tải lên lại."
                    )
                last_data_line = line
            yield line, values


def _decode_csv(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError(
                "Không đọc được bảng mã của tệp CSV; hãy lưu lại với bảng mã UTF-8."
            ) from None
    if b"\x00" in data:
        raise ImportFileError("Tệp không phải là tệp CSV dạng văn bản.")
    # UTF-8 first; then files saved by older Vietnamese Windows set-ups (cp1258: the tone marks
    # combine, NFC joins them later).
    for encoding in ("utf-8-sig", "cp1258"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("Không đọc được bảng mã của tệp CSV; hãy lưu lại với bảng mã UTF-8.")


_SEPARATORS_ONLY = re.compile(r"^[ \t;,]+$", re.MULTILINE)


def _bounded_csv_text(text: str) -> str:
    """The text with its empty lines (or lines of bare separators) emptied, and cut where a run of more
    than MAX_EMPTY_ROWS of them begins: refused when anything follows the run, dropped otherwise.
    Plain string operations, so millions of empty lines cost a fraction of a second, not a minute."""
    text = _SEPARATORS_ONLY.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    gap = text.find("\n" * (MAX_EMPTY_ROWS + 2))
    if gap == -1:
        return text
    if text[gap:].strip():
        line = text.count("\n", 0, gap) + 1
        raise ImportFileError(
            f"Sau dòng {_count(line)} có hơn {_count(MAX_EMPTY_ROWS)} dòng trống rồi mới đến dữ liệu: hãy xóa "
            "các dòng trống thừa (hoặc chia danh sách) rồi tải lên lại."
        )
    return text[: gap + 1]


def _read_csv(data: bytes, max_rows: int) -> SourceTable:
    text = _bounded_csv_text(_decode_csv(data))
    best: SourceTable | None = None
    best_score = 0
    try:
        for delimiter in (";", ",", "\t"):
            head = _csv_records(text, delimiter, limit=HEADER_SCAN_ROWS)
            found = _find_header(head)
            if found is not None and len(found[1]) > best_score:
                best_score = len(found[1])
                best = _table_from_rows(_csv_records(text, delimiter), max_rows)
    except csv.Error:
        raise ImportFileError("Không đọc được tệp CSV: tệp bị hỏng hoặc không đúng định dạng.") from None
    if best is None:
        raise ImportFileError(NO_HEADER_MESSAGE)
    return best


def _csv_records(text: str, delimiter: str, limit: int | None = None) -> Iterator[tuple[int, list[Any]]]:
    """Records numbered as a spreadsheet numbers them (a quoted line break stays in its cell)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for line, record in enumerate(reader, start=1):
        if limit is not None and line > limit:
            return
        yield line, record[:MAX_COLUMNS]


# ---- headers ------------------------------------------------------------------------------------

# Header spellings seen in branch lists; matched through header_key (no case, diacritics, spaces,
# punctuation or notes in brackets), so "HỌ VÀ TÊN", "Ho va ten" and "Họ và tên (*)" are one.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "seq": ("STT", "TT", "Số TT", "Số thứ tự"),
    "full_name": (
        "Họ và tên",
        "Họ tên",
        "Họ tên đầy đủ",
        "Họ và tên đoàn viên",
        "Họ tên đoàn viên",
        "Họ và tên đảng viên",
        "Họ tên đảng viên",
        "Họ và tên thành viên",
    ),
    # Some lists split the name: "Họ và tên đệm" | "Tên".
    "family_name": ("Họ", "Họ đệm", "Họ và tên đệm", "Họ và chữ lót", "Họ lót"),
    "given_name": ("Tên",),
    "birth_date": ("Ngày sinh", "Ngày tháng năm sinh", "Sinh ngày", "Năm sinh", "Ngày sinh, năm sinh"),
    "email": ("Email", "E-mail", "Thư điện tử", "Địa chỉ email", "Địa chỉ thư điện tử", "Gmail", "Mail"),
    "phone": (
        "Số điện thoại",
        "SĐT",
        "Điện thoại",
        "ĐT",
        "Số ĐT",
        "Di động",
        "Số di động",
        "ĐTDĐ",
        "Điện thoại di động",
        "Điện thoại liên hệ",
        "SĐT liên hệ",
    ),
    "position": (
        "Chức vụ",
        "Chức danh",
        "Chức vụ, công việc",
        "Công việc",
        "Nghề nghiệp",
        "Chức vụ, nghề nghiệp",
        "Vị trí công tác",
        "Chức vụ chính quyền",
        "Chức vụ chuyên môn",
    ),
    "unit": (
        "Chi đoàn",
        "Đơn vị",
        "Chi bộ",
        "Mã đơn vị",
        "Tên đơn vị",
        "Chi đoàn, chi bộ",
        "Đơn vị sinh hoạt",
        "Chi đoàn sinh hoạt",
        "Chi bộ sinh hoạt",
        "Thuộc chi đoàn",
        "Thuộc chi bộ",
        "Mã đơn vị/tên đơn vị",
    ),
    "username": ("Tên đăng nhập", "Tài khoản", "Tên tài khoản", "Username"),
    "role": (
        "Vai trò",
        "Vai trò trong đơn vị",
        "Chức vụ Đoàn",
        "Chức vụ Đảng",
        "Chức vụ trong Đoàn",
        "Chức vụ trong chi đoàn",
        "Chức vụ trong chi bộ",
    ),
}
NO_HEADER_MESSAGE = (
    f"Không tìm thấy dòng tiêu đề có cột “Họ và tên” trong {HEADER_SCAN_ROWS} dòng đầu của tệp. "
    "Hãy dùng tệp mẫu, hoặc đặt tên cột như “Họ và tên”, “Ngày sinh”, “Email”, “Chi đoàn”."
)


def header_key(text: Any) -> str:
    """A header folded for matching: "Ngày/tháng/năm sinh (*)" -> "ngaythangnamsinh"."""
    if text is None:
        return ""
    value = re.sub(r"\(.*?\)|\[.*?\]", " ", str(text))
    return re.sub(r"[^a-z0-9]", "", fold(value))


_ALIAS_TO_FIELD = {header_key(alias): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}


def _find_header(rows: Iterable[tuple[int, list[Any]]]) -> tuple[int, dict[str, int], list[str]] | None:
    """The first row naming the person and at least one more known column, within the scan window."""
    for line, values in rows:
        if line > HEADER_SCAN_ROWS:
            return None
        columns: dict[str, int] = {}
        ignored: list[str] = []
        for index, value in enumerate(values):
            name = _ALIAS_TO_FIELD.get(header_key(value))
            if name is None:
                if clean_line(_text(value)):
                    ignored.append(clean_line(_text(value)))
            elif name not in columns:
                columns[name] = index
        has_name = "full_name" in columns or {"family_name", "given_name"} <= columns.keys()
        if has_name and len(columns) >= 2:
            return line, columns, ignored
    return None


def _table_from_rows(rows: Iterable[tuple[int, list[Any]]], max_rows: int) -> SourceTable | None:
    """Find the header, then collect the non-empty rows under it (None when there is no header)."""
    iterator = iter(rows)
    head: list[tuple[int, list[Any]]] = []
    for line, values in iterator:
        head.append((line, values))
        if line >= HEADER_SCAN_ROWS:
            break
    found = _find_header(head)
    if found is None:
        return None
    header_line, columns, ignored = found
    if "full_name" in columns:
        columns.pop("family_name", None)
        columns.pop("given_name", None)
    header_values = dict(head)[header_line]
    data_rows: list[SourceRow] = []

    def collect(line: int, values: list[Any]) -> None:
        picked = {name: (values[index] if index < len(values) else None) for name, index in columns.items()}
        if all(_is_blank(v) for name, v in picked.items() if name != "seq"):
            return  # empty, or a numbered line of an unfilled form
        if len(data_rows) >= max_rows:
            raise ImportFileError(
                f"Tệp có hơn {_count(max_rows)} dòng dữ liệu; hãy chia danh sách thành nhiều tệp."
            )
        data_rows.append(SourceRow(line, picked))

    for line, values in head:
        if line > header_line:
            collect(line, values)
    for line, values in iterator:
        collect(line, values)
    if not data_rows:
        raise ImportFileError("Tệp không có dòng dữ liệu nào dưới dòng tiêu đề.")
    return SourceTable(
        header_line=header_line,
        columns={name: clean_line(_text(header_values[index])) for name, index in columns.items()},
        ignored=ignored,
        rows=data_rows,
    )


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    """A cell as text: whole numbers without ".0", dates as dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return vn_date(value.date())  # a naive cell value: no time zone to convert
    if isinstance(value, date):
        return vn_date(value)
    return str(value)


# ---- checking rows -------------------------------------------------------------------------------

_DATE_DMY = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_PHONE_OK = re.compile(r"^\+?[0-9 .()-]{8,20}$")

ROLE_ALIASES: dict[str, Role] = {
    "doan vien": Role.MEMBER,
    "dang vien": Role.MEMBER,
    "thanh vien": Role.MEMBER,
    "dang vien du bi": Role.MEMBER,
    "dang vien chinh thuc": Role.MEMBER,
    "pho bi thu": Role.DEPUTY_SECRETARY,
    "pho bi thu chi doan": Role.DEPUTY_SECRETARY,
    "pho bi thu chi bo": Role.DEPUTY_SECRETARY,
    "bi thu": Role.SECRETARY,
    "bi thu chi doan": Role.SECRETARY,
    "bi thu chi bo": Role.SECRETARY,
    "can bo cap tren": Role.OFFICER,
    "can bo": Role.OFFICER,
}


class _RowProblem(ValueError):
    """A problem with one value; the message is for the user."""


def parse_birth_date(value: Any, today: date | None = None) -> tuple[date | None, str]:
    """(date, as written) from an Excel date cell or "dd/mm/yyyy" text; _RowProblem when wrong."""
    today = today or today_local()
    if _is_blank(value):
        return None, ""
    shown = _text(value).strip()
    parsed: date | None = None
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if value <= 2100:
            raise _RowProblem(
                f"Ngày sinh “{shown}” không hợp lệ: cần ghi đủ ngày, tháng, năm (ví dụ 25/03/1998)."
            )
        parsed = _excel_serial_date(value, shown)
    else:
        text = clean_line(str(value))
        match = _DATE_DMY.match(text)
        if match:
            day, month, year = (int(g) for g in match.groups())
        elif match := _DATE_ISO.match(text):
            year, month, day = (int(g) for g in match.groups())
        else:
            raise _RowProblem(f"Ngày sinh “{shown}” không hợp lệ: hãy ghi ngày/tháng/năm, ví dụ 25/03/1998.")
        try:
            parsed = date(year, month, day)
        except ValueError:
            raise _RowProblem(f"Ngày sinh “{shown}” không hợp lệ: không có ngày này.") from None
    if parsed.year < 1900:
        raise _RowProblem(f"Ngày sinh “{shown}” không hợp lệ: năm sinh phải từ 1900 trở đi.")
    if parsed > today:
        raise _RowProblem(f"Ngày sinh “{shown}” không hợp lệ: ngày ở tương lai.")
    return parsed, shown


def _excel_serial_date(value: float, shown: str) -> date:
    """A date cell read as a plain number (the format was lost)."""
    from openpyxl.utils.datetime import from_excel

    try:
        result = from_excel(value)
    except (ValueError, OverflowError, TypeError):
        raise _RowProblem(f"Ngày sinh “{shown}” không hợp lệ.") from None
    return result.date() if isinstance(result, datetime) else result


def _phone_text(value: Any) -> str:
    """A phone number as written; a number cell that lost its leading zero gets it back."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        digits = str(int(value))
        return "0" + digits if len(digits) == 9 else digits
    return clean_line(_text(value))


def check_phone(text: str) -> str | None:
    if not text:
        return None
    digits = sum(ch.isdigit() for ch in text)
    if not _PHONE_OK.match(text) or not 8 <= digits <= 15:
        raise _RowProblem(
            f"Số điện thoại “{text}” không hợp lệ: chỉ gồm chữ số (8–15 số), có thể có dấu + ở đầu."
        )
    return text


def check_email_format(text: str) -> str | None:
    if not text:
        return None
    email = normalize_email(text)
    try:
        if email is None or len(email) > EMAIL_MAX:
            raise EmailNotValidError("too long")
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise _RowProblem(f"Email “{text}” không hợp lệ (ví dụ: ten@gmail.com).") from None
    return email


def parse_role(text: str) -> Role:
    if not text:
        return Role.MEMBER
    role = ROLE_ALIASES.get(fold(text))
    if role is None:
        raise _RowProblem(f"Vai trò “{text}” không hợp lệ: ghi Đoàn viên, Đảng viên, Phó Bí thư hoặc Bí thư.")
    return role


class _UnitResolver:
    """Finds a row's unit by code or exact name, within what the actor may see."""

    def __init__(self, actor: User, target: Unit):
        self.actor = actor
        self.target = target
        subtree = db.session.scalars(
            select(Unit).where(Unit.path.startswith(target.path, autoescape=True))
        ).all()
        self.by_code = {u.code.upper(): u for u in subtree}
        self.by_name: dict[str, list[Unit]] = {}
        for unit in subtree:
            self.by_name.setdefault(clean_line(unit.name).casefold(), []).append(unit)
        self.cache: dict[str, Unit | str] = {}

    def resolve(self, text: str) -> Unit:
        key = text.casefold()
        if key not in self.cache:
            try:
                self.cache[key] = self._resolve(text)
            except _RowProblem as exc:
                self.cache[key] = str(exc)
        found = self.cache[key]
        if isinstance(found, str):
            raise _RowProblem(found)
        return found

    def _resolve(self, text: str) -> Unit:
        if not text:
            return self._usable(self.target)  # an empty column means the target unit
        unit = self.by_code.get(text.upper())
        if unit is None:
            named = self.by_name.get(text.casefold(), [])
            if len(named) > 1:
                raise _RowProblem(f"Có nhiều đơn vị tên “{text}”: hãy ghi mã đơn vị.")
            unit = named[0] if named else None
        if unit is None:
            elsewhere = db.session.scalars(
                permissions.visible_units(self.actor)
                .where((func.upper(Unit.code) == text.upper()) | (Unit.name == text))
                .limit(1)
            ).first()
            if elsewhere is not None:
                raise _RowProblem(f"Đơn vị “{text}” không thuộc {self.target.name}.")
            raise _RowProblem(f"Không tìm thấy đơn vị “{text}” (hãy ghi mã đơn vị hoặc đúng tên đơn vị).")
        return self._usable(unit)

    def _usable(self, unit: Unit) -> Unit:
        if not permissions.can_manage_members(self.actor, unit):
            raise _RowProblem(f"Bạn không có quyền quản lý thành viên của {unit.name}.")
        if not unit.is_active:
            raise _RowProblem(f"Đơn vị {unit.name} đã ngừng hoạt động.")
        return unit


def _existing(column, values: set[str]) -> set[str]:
    """Which of `values` the (lower-cased) column already holds, asked in chunks."""
    found: set[str] = set()
    items = sorted(values)
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        found.update(db.session.scalars(select(func.lower(column)).where(func.lower(column).in_(chunk))))
    return found


def check_rows(actor: User, target: Unit, table: SourceTable) -> ImportReport:
    """Check every row for `actor` importing into `target`; writes nothing. Who manages `target`."""
    permissions.require(permissions.can_manage_members(actor, target))
    resolver = _UnitResolver(actor, target)
    results: list[RowResult] = []
    for source in table.rows:
        results.append(_check_row(actor, resolver, source))

    emails = {r.email for r in results if r.email}
    usernames = {r.username for r in results if r.username}
    taken_emails = _existing(User.email, emails)
    taken_usernames = _existing(User.username, usernames)
    first_email: dict[str, int] = {}
    first_username: dict[str, int] = {}
    for row in results:
        if row.email:
            if row.email in taken_emails:
                row.errors.append(f"Email “{row.email}” đã được dùng cho một tài khoản khác.")
            elif row.email in first_email:
                row.errors.append(f"Email “{row.email}” trùng với dòng {first_email[row.email]} trong tệp.")
            else:
                first_email[row.email] = row.line
        if row.username:
            if row.username in taken_usernames:
                row.errors.append(f"Tên đăng nhập “{row.username}” đã có người dùng.")
            elif row.username in first_username:
                row.errors.append(
                    f"Tên đăng nhập “{row.username}” trùng với dòng {first_username[row.username]} trong tệp."
                )
            else:
                first_username[row.username] = row.line

    # Logins for the good rows without one, avoiding those given in the file and each other.
    taken = set(usernames)
    for row in results:
        if row.ok and not row.username:
            row.username = generate_username(row.full_name, taken)
            row.username_generated = True
            taken.add(row.username)
    return ImportReport(
        target=target,
        rows=results,
        header_line=table.header_line,
        columns=table.columns,
        ignored=table.ignored,
    )


def _check_row(actor: User, resolver: _UnitResolver, source: SourceRow) -> RowResult:
    values = source.values
    row = RowResult(line=source.line)
    if "full_name" in values:
        row.full_name = clean_line(_text(values.get("full_name")))
    else:
        row.full_name = clean_line(f"{_text(values.get('family_name'))} {_text(values.get('given_name'))}")
    row.email_text = clean_line(_text(values.get("email")))
    row.unit_text = clean_line(_text(values.get("unit")))
    row.role_text = clean_line(_text(values.get("role")))
    row.position = clean_line(_text(values.get("position"))) or None
    phone_text = _phone_text(values.get("phone"))
    username_text = clean_line(_text(values.get("username")))

    def attempt(check, *args):
        try:
            return check(*args)
        except _RowProblem as exc:
            row.errors.append(str(exc))
            return None

    if not row.full_name:
        row.errors.append("Thiếu họ và tên.")
    elif spreadsheet.is_formula_like(row.full_name) or not row.full_name[0].isalpha():
        # "@SUM(1+1)", "=HYPERLINK(…)": a formula, not a name; it would come back live in exports.
        row.errors.append(f"Họ và tên phải bắt đầu bằng một chữ cái (đang ghi “{row.full_name[:40]}”).")
    elif len(row.full_name) > NAME_MAX:
        row.errors.append(f"Họ và tên dài quá {NAME_MAX} ký tự.")
    birth = attempt(parse_birth_date, values.get("birth_date"))
    row.birth_date, row.birth_text = birth if birth else (None, _text(values.get("birth_date")).strip())
    row.email = attempt(check_email_format, row.email_text)
    row.phone = attempt(check_phone, phone_text)
    if row.position and len(row.position) > POSITION_MAX:
        row.errors.append(f"Chức vụ dài quá {POSITION_MAX} ký tự.")
    row.unit = attempt(resolver.resolve, row.unit_text)
    role = attempt(parse_role, row.role_text)
    if role is not None:
        row.role = role
        if row.unit is not None and not permissions.can_assign_role(actor, row.unit, role):
            row.errors.append(
                f"Bạn không thể giao vai trò {role.label_for(row.unit.org_type)} trong {row.unit.name}."
            )
    if username_text:
        try:
            row.username = check_username(username_text)
        except MemberError as exc:
            candidate = username_text.lower()
            if db.session.scalar(select(User.id).where(User.username == candidate)) is not None:
                row.username = candidate  # taken: reported below with the other duplicates
            else:
                row.errors.append(f"{exc} (đang ghi “{username_text}”).")
    return row


# ---- writing ---------------------------------------------------------------------------------------


def import_rows(actor: User, report: ImportReport) -> list[User]:
    """Create an account (not yet activated) and a membership for every good row; the caller commits.

    `report` must come from `check_rows` in the same transaction. Who manages the target unit.
    """
    permissions.require(permissions.can_manage_members(actor, report.target))
    users: list[User] = []
    for row in report.good:
        assert row.unit is not None and row.username
        user = User(
            username=row.username,
            email=row.email,
            birth_date=row.birth_date,
            phone=row.phone,
            position=row.position,
        )
        user.set_name(row.full_name)
        db.session.add(user)
        db.session.add(Membership(user=user, unit=row.unit, role=row.role))
        users.append(user)
    db.session.flush()
    return users


def send_invitations(actor: User, users: list[User]) -> int:
    """Email the activation link to each imported person with an email; returns how many. The
    messages are queued and sent by the worker after the caller commits: an import of hundreds
    of people does not wait on the mail server for each."""
    sent = 0
    for user in users:
        if user.email and auth_services.send_invitation(user, actor, later=True):
            sent += 1
    return sent


def system_actor() -> User:
    """An administrator for command-line imports: a transient account, never added to the session."""
    actor = User(username="he-thong", is_admin=True, is_active=True, memberships=[])
    actor.set_name("Quản trị hệ thống")
    return actor


# ---- the uploaded file between preview and confirmation --------------------------------------------

_TOKEN_OK = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def _pending_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "imports"


def _pending_file(token: str, kind: str) -> Path | None:
    """The path for a token the server made; None for anything else (never a client's path)."""
    if kind not in KINDS or not isinstance(token, str) or not _TOKEN_OK.match(token):
        return None
    return _pending_dir() / f"{token}.{kind}"


def save_pending(table: SourceTable, kind: str) -> str:
    """Keep the parsed rows of an upload until they are confirmed (preview and confirm read them back
    instead of parsing the file again); returns the token."""
    purge_stale_pending()
    directory = _pending_dir()
    directory.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    path = directory / f"{token}.{kind}"
    # saved_at first: purge_stale_pending reads it from the start of the file.
    document = {
        "saved_at": utcnow().isoformat(),
        "header_line": table.header_line,
        "columns": table.columns,
        "ignored": table.ignored,
        "rows": [[row.line, {k: _encode_cell(v) for k, v in row.values.items()}] for row in table.rows],
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False)
    return token


def load_pending(token: str, kind: str) -> SourceTable | None:
    """The parsed rows of a kept upload, or None when unknown or older than PENDING_MAX_AGE (app clock)."""
    path = _pending_file(token, kind)
    if path is None or not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        saved_at = datetime.fromisoformat(document["saved_at"])
        table = SourceTable(
            header_line=int(document["header_line"]),
            columns=dict(document["columns"]),
            ignored=list(document["ignored"]),
            rows=[
                SourceRow(int(line), {k: _decode_cell(v) for k, v in values.items()})
                for line, values in document["rows"]
            ],
        )
    except (ValueError, KeyError, TypeError):
        path.unlink(missing_ok=True)
        return None
    if utcnow() - saved_at > PENDING_MAX_AGE:
        path.unlink(missing_ok=True)
        return None
    return table


def _encode_cell(value: Any) -> Any:
    """A raw cell value as JSON (dates and times tagged, so they come back as they were read)."""
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # a time or a duration: read as text, as the checks do


def _decode_cell(value: Any) -> Any:
    if isinstance(value, dict):
        if "datetime" in value:
            return datetime.fromisoformat(value["datetime"])
        return date.fromisoformat(value["date"])
    return value


def discard_pending(token: str, kind: str) -> None:
    path = _pending_file(token, kind)
    if path is not None:
        path.unlink(missing_ok=True)


_SAVED_AT = re.compile(r'^\{"saved_at": "([^"]+)"')


def purge_stale_pending() -> int:
    """Delete kept uploads older than PENDING_MAX_AGE (abandoned previews); returns how many."""
    directory = _pending_dir()
    if not directory.is_dir():
        return 0
    limit = utcnow() - PENDING_MAX_AGE
    removed = 0
    for path in directory.iterdir():
        try:
            with path.open("r", encoding="utf-8", errors="replace") as handle:
                match = _SAVED_AT.match(handle.read(80))
            saved_at = datetime.fromisoformat(match.group(1)) if match else None
            if saved_at is None or saved_at < limit:
                path.unlink()
                removed += 1
        except (FileNotFoundError, IsADirectoryError, ValueError):
            continue  # another worker removed it first
    return removed


# ---- the template file ---------------------------------------------------------------------------

TEMPLATE_HEADERS = (
    "STT",
    "Họ và tên",
    "Ngày sinh",
    "Email",
    "Số điện thoại",
    "Chức vụ",
    "Chi đoàn",
    "Tên đăng nhập",
    "Vai trò",
)


def subtree_units(actor: User, target: Unit, limit: int = 200) -> list[Unit]:
    """Units a list for `target` may name: the target and the units under it the actor manages."""
    units = db.session.scalars(
        select(Unit)
        .where(Unit.path.startswith(target.path, autoescape=True), Unit.is_active.is_(True))
        .order_by(Unit.path)
        .limit(limit)
    ).all()
    return [u for u in units if permissions.can_manage_members(actor, u)]


def build_template(actor: User, target: Unit) -> bytes:
    """An .xlsx with the headers, one example row and a sheet of instructions and unit codes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    party = target.org_type is OrgType.PARTY
    headers = list(TEMPLATE_HEADERS)
    if party:
        headers[headers.index("Chi đoàn")] = "Chi bộ"
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Danh sách"
    sheet.append(headers)
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="FDE9D9")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    member = "Đảng viên" if party else "Đoàn viên"
    sheet.append(
        [
            1,
            "Nguyễn Văn An",
            date(1998, 3, 25),
            "an.nguyen@example.vn",
            "0912345678",
            "Chuyên viên",
            target.code,
            "",
            member,
        ]
    )
    for row in range(2, 502):
        sheet.cell(row=row, column=3).number_format = "DD/MM/YYYY"
        sheet.cell(row=row, column=5).number_format = "@"  # keep the leading zero
    widths = (6, 28, 13, 30, 16, 26, 22, 18, 14)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[chr(64 + index)].width = width
    sheet.freeze_panes = "A2"
    roles = [
        r.label_for(target.org_type)
        for r in permissions.assignable_roles(actor, target)
        if r is not Role.OFFICER
    ]
    if roles:
        validation = DataValidation(type="list", formula1='"' + ",".join(roles) + '"', allow_blank=True)
        validation.add("I2:I501")
        sheet.add_data_validation(validation)

    notes = workbook.create_sheet("Hướng dẫn")
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 70
    lines = [
        ("Hướng dẫn", ""),
        ("Họ và tên", "Bắt buộc."),
        ("Ngày sinh", "Ngày/tháng/năm, ví dụ 25/03/1998."),
        ("Email", "Để gửi lời mời kích hoạt tài khoản; mỗi người một email khác nhau."),
        ("Số điện thoại", "Chỉ gồm chữ số, có thể có dấu + ở đầu."),
        (headers[6], f"Mã hoặc đúng tên đơn vị; để trống là {target.name}."),
        ("Tên đăng nhập", "Để trống để tự tạo từ họ tên (Nguyễn Văn An → annv)."),
        ("Vai trò", f"{member}, Phó Bí thư hoặc Bí thư; để trống là {member.lower()}."),
        ("", "Xóa dòng ví dụ trước khi nhập. Có thể giữ dòng tiêu đề của danh sách phía trên."),
        ("", ""),
        ("Mã đơn vị", "Tên đơn vị"),
    ]
    for label, text in lines:
        notes.append([label, text])
    notes["A1"].font = notes["A11"].font = notes["B11"].font = bold
    for unit in subtree_units(actor, target):
        spreadsheet.append(notes, [unit.code, unit.name])  # names typed by people: never formulas
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
