"""The period a report covers: a year, a quarter or a month, as ?year=&period= asks for it."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from app.core.bounds import year_asked
from app.core.filters import today_local

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True)
class Period:
    """A year, a quarter (number 1–4) or a month (number 1–12) of a year."""

    year: int
    kind: str  # "year", "quarter", "month"
    number: int = 0

    @property
    def key(self) -> str:
        """As the query string has it: "year", "q2", "m5"."""
        return {"year": "year", "quarter": f"q{self.number}", "month": f"m{self.number}"}[self.kind]

    @property
    def months(self) -> list[int]:
        if self.kind == "quarter":
            return [3 * self.number - 2, 3 * self.number - 1, 3 * self.number]
        if self.kind == "month":
            return [self.number]
        return list(range(1, 13))

    @property
    def start(self) -> date:
        return date(self.year, self.months[0], 1)

    @property
    def end(self) -> date:
        last = self.months[-1]
        return date(self.year, last, calendar.monthrange(self.year, last)[1])

    @property
    def label(self) -> str:
        """ "năm 2026", "quý II năm 2026", "tháng 5 năm 2026"."""
        if self.kind == "quarter":
            return f"quý {ROMAN[self.number]} năm {self.year}"
        if self.kind == "month":
            return f"tháng {self.number} năm {self.year}"
        return f"năm {self.year}"

    @property
    def short_label(self) -> str:
        if self.kind == "quarter":
            return f"Quý {ROMAN[self.number]}/{self.year}"
        if self.kind == "month":
            return f"Tháng {self.number}/{self.year}"
        return f"Năm {self.year}"


PERIOD_CHOICES = (
    [("year", "Cả năm")]
    + [(f"q{q}", f"Quý {ROMAN[q]}") for q in range(1, 5)]
    + [(f"m{m}", f"Tháng {m}") for m in range(1, 13)]
)


def parse_period(year_arg: str | None, period_arg: str | None, today: date | None = None) -> Period:
    """The period asked for by ?year=&period= (year, q1–q4, m1–m12). Anything odd gives the
    current year; a period that has not started gives the current one of the same kind."""
    today = today or today_local()
    period = _period_of(year_asked(year_arg, today), (period_arg or "year").strip().lower())
    if period.start > today:
        number = today.month if period.kind == "month" else (today.month - 1) // 3 + 1
        period = Period(today.year, period.kind, number if period.kind != "year" else 0)
    return period


def _period_of(year: int, key: str) -> Period:
    """The period of `year` a key names ("q2", "m5"); the whole year for anything else."""
    if len(key) >= 2 and key[0] in "qm" and key[1:].isdigit():
        number = int(key[1:])
        if key[0] == "q" and 1 <= number <= 4:
            return Period(year, "quarter", number)
        if key[0] == "m" and 1 <= number <= 12:
            return Period(year, "month", number)
    return Period(year, "year")


def report_years(today: date | None = None) -> list[int]:
    today = today or today_local()
    return list(range(today.year, today.year - 6, -1))
