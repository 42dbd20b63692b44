"""The report tables as Excel (.xlsx, Vietnamese headers) and CSV (UTF-8 with BOM).

Each table is a list of columns (header, how to read the value, what kind of number) over the
same objects the page shows, so a file and the page cannot disagree. In the workbook, shares are
numbers between 0 and 1 shown as percentages and counts are integers; in CSV, shares are
percentages with one decimal and a dot ("85.5"), the form every spreadsheet and script reads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.core import spreadsheet
from app.core.filters import vn_date
from app.reports.services import Commendations, Figures, Report

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"


@dataclass
class Column:
    header: str
    value: Callable[[Any], Any]
    kind: str = "int"  # "int", "share" (0–1), "decimal", "text", "date"
    width: int = 14


@dataclass
class Table:
    key: str
    title: str  # the sheet's title, ≤ 31 characters
    heading: str  # the line above the table
    columns: list[Column]
    rows: list[Any]
    total: Any = None  # a last row ("Tổng cộng"), read by the same columns

    def values(self, item: Any) -> list[Any]:
        return [c.value(item) for c in self.columns]


def _figure_columns(first: Column) -> list[Column]:
    """The columns of a table of Figures (by unit): `first` names the row."""

    def f(item) -> Figures:
        return item.figures

    return [
        first,
        Column("Số đơn vị cơ sở (chi đoàn, chi bộ)", lambda r: r.branches, width=12),
        Column("Thành viên", lambda r: f(r).members, width=11),
        Column("Có kế hoạch được duyệt", lambda r: f(r).approved_plans, width=12),
        Column("Tỉ lệ có kế hoạch được duyệt", lambda r: f(r).plan_share, "share", 12),
        Column("Ghi nhật ký trong 30 ngày", lambda r: f(r).wrote_recently, width=12),
        Column("Tỉ lệ ghi nhật ký trong 30 ngày", lambda r: f(r).wrote_share, "share", 12),
        Column("Bài nhật ký trong kỳ", lambda r: f(r).entries, width=11),
        Column("Bài nhật ký bình quân mỗi thành viên", lambda r: f(r).entries_per_member, "decimal", 12),
        Column("Bài đến hạn nhận xét", lambda r: f(r).review_due, width=11),
        Column("Bài được nhận xét trong 7 ngày", lambda r: f(r).reviewed_in_time, width=12),
        Column("Tỉ lệ nhận xét trong 7 ngày", lambda r: f(r).reviewed_share, "share", 12),
        Column("Tháng có bài cần ký", lambda r: f(r).month_slots, width=11),
        Column("Tháng đã ký xác nhận", lambda r: f(r).months_signed, width=11),
        Column("Tỉ lệ tháng đã ký", lambda r: f(r).signed_share, "share", 11),
        Column("Bài được biểu dương", lambda r: f(r).exemplary, width=11),
        Column("Thành viên được biểu dương", lambda r: f(r).commended_members, width=12),
    ]


@dataclass
class _TotalRow:
    figures: Figures
    branches: int


def units_table(report: Report) -> Table:
    rows = report.rows
    return Table(
        "units",
        "Theo đơn vị",
        f"Số liệu theo đơn vị trực thuộc – {report.period.label}",
        _figure_columns(Column("Đơn vị", lambda r: getattr(r, "name", "Tổng cộng"), "text", 40)),
        rows,
        _TotalRow(report.total, report.branches),
    )


def months_table(report: Report) -> Table:
    return Table(
        "months",
        "Theo tháng",
        f"Diễn biến theo tháng – năm {report.period.year}",
        [
            Column("Tháng", lambda m: f"Tháng {m.month}/{report.period.year}", "text", 14),
            Column("Thành viên", lambda m: m.members, width=11),
            Column("Bài nhật ký", lambda m: m.entries, width=11),
            Column("Thành viên có ghi trong tháng", lambda m: m.writers, width=13),
            Column("Tỉ lệ thành viên có ghi", lambda m: m.writer_share, "share", 12),
            Column("Bài đến hạn nhận xét", lambda m: m.review_due, width=11),
            Column("Bài được nhận xét trong 7 ngày", lambda m: m.reviewed_in_time, width=12),
            Column("Tỉ lệ nhận xét trong 7 ngày", lambda m: m.reviewed_share, "share", 12),
            Column("Tháng có bài cần ký", lambda m: m.month_slots, width=11),
            Column("Tháng đã ký xác nhận", lambda m: m.months_signed, width=11),
            Column("Tỉ lệ tháng đã ký", lambda m: m.signed_share, "share", 11),
            Column("Bài được biểu dương", lambda m: m.exemplary, width=11),
        ],
        report.months,
    )


def ratings_table(report: Report) -> Table:
    return Table(
        "ratings",
        "Xếp loại",
        f"Kết quả xếp loại năm {report.period.year}",
        [
            Column("Mức xếp loại", lambda r: r.label, "text", 36),
            Column("Số thành viên", lambda r: r.count, width=13),
            Column("Tỉ lệ", lambda r: r.share, "share", 11),
        ],
        report.ratings,
    )


def commendations_table(data: Commendations) -> Table:
    return Table(
        "commendations",
        "Biểu dương",
        "Việc làm được biểu dương" + (f" tháng {data.month}" if data.month else "") + f" năm {data.year}",
        [
            Column("Họ và tên", lambda c: c.full_name, "text", 26),
            Column("Chức vụ", lambda c: c.position or "", "text", 24),
            Column("Đơn vị", lambda c: c.unit_name, "text", 34),
            Column("Ngày thực hiện", lambda c: c.deed_date, "date", 13),
            Column("Việc đã làm", lambda c: c.action, "text", 60),
            Column("Kết quả", lambda c: c.result, "text", 40),
            Column("Nhóm nội dung", lambda c: "; ".join(g.label for g in c.groups), "text", 26),
            Column("Lời biểu dương", lambda c: c.note or "", "text", 40),
        ],
        data.items,
    )


def report_tables(report: Report) -> list[Table]:
    tables = [months_table(report), ratings_table(report)]
    if not report.unit.kind.is_branch:
        tables.insert(0, units_table(report))
    return tables


# ---- writing ------------------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", start_color="FBECEC")
FORMATS = {"share": "0.0%", "decimal": "0.0", "int": "#,##0", "date": "DD/MM/YYYY"}


def _sheet(wb: Workbook, table: Table, heading_lines: list[str]) -> None:
    ws = wb.create_sheet(table.title[:31])
    for i, line in enumerate([*heading_lines, table.heading], start=1):
        spreadsheet.write(ws, i, 1, line).font = Font(bold=i == 1)
    header_row = len(heading_lines) + 3
    for col, column in enumerate(table.columns, start=1):
        cell = spreadsheet.write(ws, header_row, col, column.header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(col)].width = column.width
    items = list(table.rows) + ([table.total] if table.total is not None else [])
    for r, item in enumerate(items, start=header_row + 1):
        for col, (column, value) in enumerate(zip(table.columns, table.values(item), strict=True), start=1):
            cell = spreadsheet.write(ws, r, col, value)  # names, positions, deeds: user text
            if column.kind in FORMATS and value is not None:
                cell.number_format = FORMATS[column.kind]
            if column.kind == "text":
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            if table.total is not None and item is table.total:
                cell.font = Font(bold=True)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=2)
    if not items:
        ws.cell(row=header_row + 1, column=1, value="(không có dữ liệu)")


def to_xlsx(tables: list[Table], heading_lines: list[str]) -> bytes:
    """A workbook with one sheet per table: the heading lines, then the table under its header row."""
    wb = Workbook()
    wb.remove(wb.active)
    for table in tables:
        _sheet(wb, table, heading_lines)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _csv_value(kind: str, value: Any) -> Any:
    if value is None:
        return ""
    if kind == "share":
        return f"{value * 100:.1f}"
    if kind == "decimal":
        return f"{value:.1f}"
    if kind == "date" and isinstance(value, date):
        return vn_date(value)
    return value


def to_csv(table: Table) -> bytes:
    """The table as CSV: UTF-8 with a BOM (so Excel reads the diacritics right), comma-separated,
    one header row; shares in percent ("Tỉ lệ … (%)")."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header + (" (%)" if c.kind == "share" else "") for c in table.columns])
    items = list(table.rows) + ([table.total] if table.total is not None else [])
    for item in items:
        writer.writerow(
            [
                spreadsheet.csv_field(_csv_value(c.kind, v))
                for c, v in zip(table.columns, table.values(item), strict=True)
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
