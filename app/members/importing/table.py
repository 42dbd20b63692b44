"""A member list as rows under a recognised header: the shapes every step passes along, and the
header row found among the first rows of a file (spellings from real branch lists)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.core.filters import vn_date
from app.core.numbers import format_number
from app.core.rules import RuleError
from app.core.text import clean_line, fold

HEADER_SCAN_ROWS = 30

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


def find_header(rows: Iterable[tuple[int, list[Any]]]) -> tuple[int, dict[str, int], list[str]] | None:
    """The first row naming the person and at least one more known column, within the scan window."""
    for line, values in rows:
        if line > HEADER_SCAN_ROWS:
            return None
        columns: dict[str, int] = {}
        ignored: list[str] = []
        for index, value in enumerate(values):
            name = _ALIAS_TO_FIELD.get(header_key(value))
            if name is None:
                if clean_line(cell_text(value)):
                    ignored.append(clean_line(cell_text(value)))
            elif name not in columns:
                columns[name] = index
        has_name = "full_name" in columns or {"family_name", "given_name"} <= columns.keys()
        if has_name and len(columns) >= 2:
            return line, columns, ignored
    return None


def table_from_rows(rows: Iterable[tuple[int, list[Any]]], max_rows: int) -> SourceTable | None:
    """Find the header, then collect the non-empty rows under it (None when there is no header)."""
    iterator = iter(rows)
    head: list[tuple[int, list[Any]]] = []
    for line, values in iterator:
        head.append((line, values))
        if line >= HEADER_SCAN_ROWS:
            break
    found = find_header(head)
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
        if all(is_blank(v) for name, v in picked.items() if name != "seq"):
            return  # empty, or a numbered line of an unfilled form
        if len(data_rows) >= max_rows:
            raise ImportFileError(
                f"Tệp có hơn {format_number(max_rows)} dòng dữ liệu; hãy chia danh sách thành nhiều tệp."
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
        columns={name: clean_line(cell_text(header_values[index])) for name, index in columns.items()},
        ignored=ignored,
        rows=data_rows,
    )


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Any) -> str:
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
