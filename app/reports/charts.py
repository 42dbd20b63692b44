"""Charts drawn on the server as SVG: no JavaScript, nothing from the internet, readable when printed.

Each chart is drawn twice, for a phone (narrow) and for a wide screen; the stylesheet shows one.
Colours come from classes in static/css/reports.css (no inline style: the CSP forbids it). The
charts are pictures of a table the page also shows, so they are hidden from screen readers
(aria-hidden) and the table carries the numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from app.core.filters import vn_number
from app.core.numbers import format_number

NARROW, WIDE = 320, 640


def _nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above `value` (at least 1): the top of the axis."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _fmt(value: float) -> str:
    return vn_number(value, 0 if float(value).is_integer() else 1)


def _svg(width: int, height: int, body: list[str], cls: str) -> str:
    return (
        f'<svg class="rp-chart {cls}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-hidden="true" focusable="false">' + "".join(body) + "</svg>"
    )


@dataclass
class Series:
    name: str
    values: Sequence[float | None]  # shares, 0–1
    cls: str  # "s1", "s2", "s3": the colour


def _frame(width: int, height: int, labels: Sequence[str], top: float, axis: str):
    """The plot area, the horizontal grid with its values, and the labels under the columns."""
    left, right, upper, lower = 34, 8, 14, 22
    plot_w, plot_h = width - left - right, height - upper - lower
    slot = plot_w / max(1, len(labels))
    body = []
    for i in range(5):
        y = upper + plot_h - plot_h * i / 4
        value = top * i / 4
        text = f"{_fmt(value * 100)}%" if axis == "share" else _fmt(value)
        body.append(f'<line class="rp-grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        body.append(f'<text class="rp-axis" x="{left - 4}" y="{y + 3.5:.1f}" text-anchor="end">{text}</text>')
    step = 1 if slot >= 22 else 2
    for i, label in enumerate(labels):
        if i % step == 0:
            x = left + slot * (i + 0.5)
            body.append(
                f'<text class="rp-axis" x="{x:.1f}" y="{height - 6}" text-anchor="middle">{escape(label)}</text>'
            )
    return left, upper, plot_w, plot_h, slot, body


def columns(labels: Sequence[str], values: Sequence[int], width: int, height: int = 190) -> str:
    """A column chart of counts (entries per month), with the value over each column when it fits."""
    top = _nice_max(max(values, default=0))
    left, upper, plot_w, plot_h, slot, body = _frame(width, height, labels, top, "count")
    bar = slot * 0.62
    for i, value in enumerate(values):
        h = plot_h * value / top if top else 0
        x = left + slot * i + (slot - bar) / 2
        y = upper + plot_h - h
        if value:
            body.append(
                f'<rect class="rp-column" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" rx="2"/>'
            )
        if slot >= 40 and value:
            body.append(
                f'<text class="rp-value" x="{x + bar / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{_fmt(value)}</text>'
            )
    return _svg(width, height, body, "rp-columns")


def lines(labels: Sequence[str], series: Sequence[Series], width: int, height: int = 190) -> str:
    """Shares (0–100 %) by month, one line per series; a month without a value leaves a gap."""
    left, upper, plot_w, plot_h, slot, body = _frame(width, height, labels, 1, "share")
    for s in series:
        points: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(s.values):
            if value is None:
                if points[-1]:
                    points.append([])
                continue
            points[-1].append((left + slot * (i + 0.5), upper + plot_h - plot_h * value))
        for run in points:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                body.append(f'<polyline class="rp-line {s.cls}" points="{path}"/>')
            for x, y in run:
                body.append(f'<circle class="rp-dot {s.cls}" cx="{x:.1f}" cy="{y:.1f}" r="3"/>')
    return _svg(width, height, body, "rp-lines")


def both(draw, *args, **kwargs) -> Markup:
    """The chart for a phone and for a wide screen (static/css/reports.css shows one of them)."""
    narrow = draw(*args, width=NARROW, **kwargs).replace('class="rp-chart ', 'class="rp-chart rp-narrow ', 1)
    wide = draw(*args, width=WIDE, **kwargs).replace('class="rp-chart ', 'class="rp-chart rp-wide ', 1)
    return Markup(narrow + wide)


def report_charts(report) -> dict[str, Markup]:
    """The month charts of a report (app.reports.services.Report)."""
    labels = [f"T{m.month}" for m in report.months]
    return {
        "entries": both(columns, labels, [m.entries for m in report.months]),
        "shares": both(
            lines,
            labels,
            [
                Series("Thành viên có ghi trong tháng", [m.writer_share for m in report.months], "s1"),
                Series("Bài được nhận xét trong 7 ngày", [m.reviewed_share for m in report.months], "s2"),
                Series("Tháng đã ký xác nhận", [m.signed_share for m in report.months], "s3"),
            ],
        ),
    }


SERIES_LEGEND = [
    ("s1", "Thành viên có ghi trong tháng"),
    ("s2", "Bài được nhận xét trong 7 ngày"),
    ("s3", "Tháng đã ký xác nhận"),
]


# ---- numbers and bars in the report pages (called once per cell: plain functions, not macros) ----

_NONE = Markup('<span class="text-secondary">—</span>')


def pct(value: float | None) -> Markup:
    """A share (0–1) as the reports write it: "85%", "85,5%"; "—" when there is nothing to share."""
    if value is None:
        return _NONE
    return Markup(format_number(value * 100, 1, trim=True) + "%")


def num(value: float | None, decimals: int = 0) -> Markup:
    """A figure with Vietnamese separators ("1.234", "3,5"); "—" when there is none."""
    if value is None:
        return _NONE
    return Markup(escape(vn_number(value, decimals)))


def bar(value: float | None, cls: str = "") -> Markup:
    """A bar that stretches to its box, 0–1 filled, drawn as SVG and sized by the stylesheet."""
    fill = f'<rect class="rp-bar-fill" width="{min(value, 1) * 100:.2f}" height="10"/>' if value else ""
    return Markup(
        f'<svg class="rp-bar {escape(cls)}" viewBox="0 0 100 10" preserveAspectRatio="none" '
        f'aria-hidden="true" focusable="false"><rect class="rp-bar-track" width="100" height="10"/>'
        f"{fill}</svg>"
    )
