"""Jinja filters: dates and numbers the way Vietnamese people write them."""

from __future__ import annotations

from datetime import date, datetime, time

from flask import Flask, has_request_context
from markupsafe import Markup, escape

from app.core.clock import LOCAL_TZ
from app.core.clock import today_local as today_local  # re-exported: views read today from here
from app.core.numbers import format_number, format_percent, format_points
from app.core.text import PART_MAX, clause, name_parts, shorten


def to_local(value: datetime) -> datetime:
    """A UTC timestamp in Vietnam's time zone."""
    return value.astimezone(LOCAL_TZ)


def vn_date(value: date | datetime | None) -> str:
    """08/05/2013."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return value.strftime("%d/%m/%Y")


def vn_datetime(value: datetime | None) -> str:
    """08/05/2013 14:05, in Vietnam's time."""
    if value is None:
        return ""
    return to_local(value).strftime("%d/%m/%Y %H:%M")


def vn_long_date(value: date | datetime | None) -> str:
    """ "ngày 08 tháng 5 năm 2013": days below 10 and months 1–2 take a leading zero.

    Nghị định 30/2020/NĐ-CP (and the Youth Union's Hướng dẫn 29-HD/TWĐTN-VP before it) write
    the day with two digits below 10 and the months January and February as 01, 02, so that
    nobody can add a digit afterwards; other months stand as they are.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


def vn_number(value: float | int | None, decimals: int = 0) -> str:
    """1.234,5: dot for thousands, comma for decimals (app.core.numbers, the one formatter)."""
    return format_number(value, decimals)


def vn_time(value: time | None) -> str:
    """ "14 giờ 05", as minutes write the hour of a meeting."""
    if value is None:
        return ""
    return f"{value.hour:02d} giờ {value.minute:02d}"


def vn_days(days: int | None) -> str:
    """How long something has waited, in whole days: "dưới 1 ngày" rather than "0 ngày"."""
    if days is None:
        return ""
    return "dưới 1 ngày" if days < 1 else f"{vn_number(days)} ngày"


def header_name(name: str | None) -> Markup:
    """An organisation's name for an official header: its parts kept whole, lines broken between
    them (app.core.text.name_parts)."""
    spans = [
        Markup('<span class="name-part">{}</span>').format(part) if len(part) <= PART_MAX else escape(part)
        for part in name_parts(name)
    ]
    return Markup(" ").join(spans)


def register_filters(app: Flask) -> None:
    """Filters, and the permission helpers templates ask (the same functions views use)."""
    from flask_login import current_user

    from app.core import permissions

    app.jinja_env.filters.update(
        vn_date=vn_date,
        vn_datetime=vn_datetime,
        vn_long_date=vn_long_date,
        vn_number=vn_number,
        vn_percent=format_percent,
        vn_points=format_points,
        vn_time=vn_time,
        vn_days=vn_days,
        clause=clause,
        header_name=header_name,
        shorten=shorten,
    )
    app.jinja_env.globals.update(permissions.TEMPLATE_HELPERS)
    # The print templates ask whether an entry's heading fits on one line (app/core/pdf.py).
    from app.core.pdf import entry_head_fits

    app.jinja_env.globals["entry_head_fits"] = entry_head_fits

    @app.context_processor
    def template_context() -> dict:
        nav_manages_units = nav_has_diary = False
        # No request in the worker (emails it renders): no signed-in user, no navigation.
        if has_request_context() and current_user.is_authenticated:
            nav_has_diary = bool(permissions.diary_memberships(current_user))
            nav_manages_units = current_user.is_admin or any(
                m.role.manages_branch or m.role.value == "officer" for m in current_user.memberships
            )
        # The navigation's unread count (nav_unread) comes from app.notifications.routes.
        return {
            "today": today_local(),
            "nav_manages_units": nav_manages_units,
            "nav_has_diary": nav_has_diary,
        }
