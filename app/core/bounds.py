"""Every integer read from a URL is bounded, so a huge id is a 404 or "not given", never a 500.

Ids and years are 32-bit INTEGER columns on PostgreSQL, and SQLite refuses Python ints beyond 64 bits
(OverflowError): `/units/99999999999999999999` or `?before_id=99999999999999999999` used to reach the
database. The app's `int` route converter and `request.args.get(..., type=int)` (and `request.form`)
go through the checked parser below instead.
"""

from __future__ import annotations

from datetime import date

from flask import Flask, Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

MAX_INT = 2**31 - 1  # PostgreSQL's INTEGER, the type of every id column
# The years the diary knows: a plan, a book, a grading round or a URL outside them is refused (404 in
# a URL, a message next to the field in a form). The one place these limits are written.
MIN_YEAR, MAX_YEAR = 2000, 2100


def year_in_range(year: int | None) -> bool:
    return year is not None and MIN_YEAR <= year <= MAX_YEAR


def year_asked(year_arg: str | None, today: date) -> int:
    """The year in ?year=: a year of the diary (MIN_YEAR–MAX_YEAR) up to this one; anything else, or
    nothing, is this year (never an error)."""
    try:
        year = int(year_arg) if year_arg else today.year
    except ValueError:
        return today.year
    return year if year_in_range(year) and year <= today.year else today.year


def bounded_int(value: str) -> int:
    """int(value) for a plain decimal number within ±MAX_INT; ValueError otherwise."""
    text = value.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or len(digits) > 10 or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"not a bounded integer: {value[:20]!r}")
    number = int(text)
    if abs(number) > MAX_INT:
        raise ValueError(f"integer out of range: {value[:20]!r}")
    return number


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` with an upper bound: a larger number does not match (404)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (Werkzeug's signature)
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


class YearConverter(IntegerConverter):
    """`<year:year>`: a four-digit year between MIN_YEAR and MAX_YEAR, else the URL does not match (404)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (Werkzeug's signature)
        super().__init__(map, fixed_digits=4, min=MIN_YEAR, max=MAX_YEAR)


class MonthConverter(IntegerConverter):
    """`<month:month>`: 1–12 (written 1 or 01), else 404."""

    regex = r"\d{1,2}"

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (Werkzeug's signature)
        super().__init__(map, min=1, max=12)


class BoundedMultiDict(ImmutableMultiDict):
    """Query and form values whose `get(..., type=int)` only gives integers within ±MAX_INT."""

    def get(self, key, default=None, type=None):  # noqa: A002 (Werkzeug's signature)
        return super().get(key, default, bounded_int if type is int else type)


class BoundedRequest(Request):
    parameter_storage_class = BoundedMultiDict


def install(app: Flask) -> None:
    """Before any blueprint is registered: its rules look the converter up when they are added."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.url_map.converters["year"] = YearConverter
    app.url_map.converters["month"] = MonthConverter
    app.request_class = BoundedRequest
