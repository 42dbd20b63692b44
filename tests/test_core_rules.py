"""The shared ways of doing one thing: the action helper, the number formatter, the year/month URLs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import get_flashed_messages

from app.core.db import db
from app.core.locks import CLOSED_YEAR, Lock, LockedError
from app.core.numbers import format_number, format_percent, format_points
from app.core.rules import RuleError, attempt
from app.units.models import Unit


def test_numbers_are_written_the_vietnamese_way():
    assert format_number(1234567) == "1.234.567"
    assert format_number(1234.56, 1) == "1.234,6"
    assert format_number(Decimal("0.05"), 1) == "0,1"  # half up, as people round
    assert format_points(9) == "9"
    assert format_points(Decimal("8.50")) == "8,5"
    assert format_percent(1, 3) == "33,3%"
    assert format_percent(171, 200) == "85,5%"
    assert format_percent(2, 2) == "100%"
    assert format_percent(0, 0) == "0%"
    assert format_number(None) == ""


def _unit_named(name):
    return db.session.scalar(db.select(Unit).where(Unit.name == name))


def test_attempt_commits_on_success_and_flashes(app, make_unit):
    parent = make_unit("Đoàn cơ sở A")
    with app.test_request_context("/"):

        def rename():
            parent.name = "Đoàn cơ sở B"
            return parent.name

        outcome = attempt(rename, success=lambda name: f"Đã đổi tên thành {name}.")
        assert outcome.ok and outcome.value == "Đoàn cơ sở B"
        db.session.expire_all()
        assert _unit_named("Đoàn cơ sở B") is not None
        assert get_flashed_messages(with_categories=True) == [("success", "Đã đổi tên thành Đoàn cơ sở B.")]


def test_attempt_rolls_back_a_refusal_and_puts_the_reason_beside_the_field(app, make_unit):
    unit = make_unit("Chi đoàn 1")
    with app.test_request_context("/"):

        def refused():
            unit.name = "Đổi dở dang"
            db.session.flush()
            raise RuleError("Tên này đã có chi đoàn khác dùng.", "name")

        errors: list[str] = []
        outcome = attempt(refused, success="không được thấy", errors=errors)
        assert not outcome.ok and outcome.error.field == "name"
        assert errors == ["Tên này đã có chi đoàn khác dùng."]
        assert get_flashed_messages() == []
        db.session.expire_all()
        assert _unit_named("Chi đoàn 1") is not None and _unit_named("Đổi dở dang") is None

    with app.test_request_context("/"):
        attempt(refused)  # no field list: the reason is flashed
        assert get_flashed_messages(with_categories=True) == [
            ("warning", "Tên này đã có chi đoàn khác dùng.")
        ]


def test_attempt_lets_a_lock_reach_the_409_page_after_rolling_back(app, make_unit):
    unit = make_unit("Chi đoàn 2")
    with app.test_request_context("/"):

        def frozen():
            unit.name = "Không được lưu"
            db.session.flush()
            raise LockedError(Lock(CLOSED_YEAR, "Năm đã khoá sổ.", "Cấp trên mở lại."))

        with pytest.raises(LockedError):
            attempt(frozen)
        db.session.expire_all()
        assert _unit_named("Không được lưu") is None


@pytest.mark.parametrize(
    ("path", "matches"),
    [
        ("/x/2026/05", True),
        ("/x/2026/12", True),
        ("/x/1999/5", False),
        ("/x/2101/5", False),
        ("/x/2026/13", False),
        ("/x/2026/0", False),
        ("/x/99999999999/1", False),
        ("/x/02026/1", False),
    ],
)
def test_year_and_month_in_urls_are_bounded(app, path, matches):
    from werkzeug.exceptions import NotFound

    adapter = app.url_map.bind("localhost")
    app.url_map.add(app.url_rule_class("/x/<year:year>/<month:month>", endpoint="x_test"))
    try:
        endpoint, values = adapter.match(path)
        assert (
            matches and endpoint == "x_test" and 2000 <= values["year"] <= 2100 and 1 <= values["month"] <= 12
        )
    except NotFound:
        assert not matches
