"""The .xlsx template a unit downloads to fill in its member list."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import select

from app.auth.models import User
from app.core import permissions, spreadsheet
from app.core.db import db
from app.core.enums import OrgType, Role
from app.units.models import Unit

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
