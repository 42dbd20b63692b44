"""Checking every row of a list for the acting user, without writing anything: names, dates, emails,
phones, units, roles, and duplicates within the file and against existing accounts."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from app.auth.models import User
from app.core import permissions, spreadsheet
from app.core.db import db
from app.core.enums import OrgType, Role
from app.core.filters import today_local
from app.core.numbers import format_number
from app.core.text import clean_line, fold
from app.members.importing.table import SourceRow, SourceTable, cell_text, is_blank
from app.members.services import MemberError, check_username, generate_username, normalize_email
from app.units.models import Unit

NAME_MAX = 120
POSITION_MAX = 120
EMAIL_MAX = 254


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
            f"Tổng cộng {format_number(len(self.rows))} dòng: {format_number(len(self.good))} hợp lệ, "
            f"{format_number(len(self.bad))} có lỗi."
        )


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
    if is_blank(value):
        return None, ""
    shown = cell_text(value).strip()
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
    return clean_line(cell_text(value))


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

    _mark_duplicates(results)
    _assign_usernames(results)
    return ImportReport(
        target=target,
        rows=results,
        header_line=table.header_line,
        columns=table.columns,
        ignored=table.ignored,
    )


def _mark_duplicates(results: list[RowResult]) -> None:
    """An email or a login already taken by an account, or given twice in the file, is a row error."""
    taken_emails = _existing(User.email, {r.email for r in results if r.email})
    taken_usernames = _existing(User.username, {r.username for r in results if r.username})
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


def _assign_usernames(results: list[RowResult]) -> None:
    """Logins for the good rows without one, avoiding those given in the file and each other."""
    taken = {r.username for r in results if r.username}
    for row in results:
        if row.ok and not row.username:
            row.username = generate_username(row.full_name, taken)
            row.username_generated = True
            taken.add(row.username)


def _check_row(actor: User, resolver: _UnitResolver, source: SourceRow) -> RowResult:
    values = source.values
    row = RowResult(line=source.line)
    if "full_name" in values:
        row.full_name = clean_line(cell_text(values.get("full_name")))
    else:
        row.full_name = clean_line(
            f"{cell_text(values.get('family_name'))} {cell_text(values.get('given_name'))}"
        )
    row.email_text = clean_line(cell_text(values.get("email")))
    row.unit_text = clean_line(cell_text(values.get("unit")))
    row.role_text = clean_line(cell_text(values.get("role")))
    row.position = clean_line(cell_text(values.get("position"))) or None
    phone_text = _phone_text(values.get("phone"))
    username_text = clean_line(cell_text(values.get("username")))

    def checked(check, *args):
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
    birth = checked(parse_birth_date, values.get("birth_date"))
    row.birth_date, row.birth_text = birth if birth else (None, cell_text(values.get("birth_date")).strip())
    row.email = checked(check_email_format, row.email_text)
    row.phone = checked(check_phone, phone_text)
    if row.position and len(row.position) > POSITION_MAX:
        row.errors.append(f"Chức vụ dài quá {POSITION_MAX} ký tự.")
    row.unit = checked(resolver.resolve, row.unit_text)
    role = checked(parse_role, row.role_text)
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
