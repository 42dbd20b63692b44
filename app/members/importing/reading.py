"""Reading an uploaded .xlsx or .csv into a SourceTable, refusing files that are not what they claim or
that would cost the server far more than a real member list (zip bombs, millions of empty rows)."""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from flask import current_app

from app.core.numbers import format_number
from app.members.importing.table import (
    NO_HEADER_MESSAGE,
    ImportFileError,
    SourceTable,
    find_header,
    is_blank,
    table_from_rows,
)

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
            f"Tệp Excel có quá nhiều thành phần bên trong (hơn {format_number(MAX_ZIP_ENTRIES)}) nên không được mở. "
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
            table = table_from_rows(_sheet_rows(sheet), max_rows)
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
                    f"Tệp khai báo dòng số {format_number(line)}, quá giới hạn của Excel: tệp bị hỏng hoặc được "
                    "làm giả. Hãy mở bằng Excel, chép danh sách sang một tệp mới rồi tải lên."
                )
            values: list[Any] = [None] * MAX_COLUMNS
            has_data = False
            for cell in cells:
                value = cell["value"]
                if is_blank(value):
                    continue  # a formatted empty cell, wherever it is
                column = cell["column"]
                if column > MAX_COLUMNS:
                    raise ImportFileError(
                        f"Dòng {format_number(line)} có dữ liệu ở cột thứ {format_number(column)}, quá xa so với danh sách "
                        f"(chỉ đọc {MAX_COLUMNS} cột đầu). Hãy xóa các cột thừa bên phải rồi tải lên lại."
                    )
                values[column - 1] = value
                has_data = True
            if has_data:
                if line - last_data_line > MAX_EMPTY_ROWS:
                    raise ImportFileError(
                        f"Giữa dòng {format_number(last_data_line)} và dòng {format_number(line)} có hơn {format_number(MAX_EMPTY_ROWS)} "
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
            f"Sau dòng {format_number(line)} có hơn {format_number(MAX_EMPTY_ROWS)} dòng trống rồi mới đến dữ liệu: hãy xóa "
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
            found = find_header(head)
            if found is not None and len(found[1]) > best_score:
                best_score = len(found[1])
                best = table_from_rows(_csv_records(text, delimiter), max_rows)
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
