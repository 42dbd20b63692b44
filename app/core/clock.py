"""The one clock: every date and time the app decides with is read here.

Tests move it with time-machine (tests/conftest.py: the `clock` fixture and the `clock` marker), which
moves every reading below at once, in the web process and in the code the tests call directly.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def now_local() -> datetime:
    """The current time in Vietnam."""
    return datetime.now(LOCAL_TZ)


def today_local() -> date:
    """Today's date in Vietnam."""
    return now_local().date()
