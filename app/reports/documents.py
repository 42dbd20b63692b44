"""The annual summary report of a unit as an official PDF: one more kind of app.export's documents.

Registered with app.export.documents.document_kind (unit scope), so the unit's documents page, the
register, the verification page and `flask export-…` pick it up; nothing of app.export is changed.
Its content is the dashboard's figures for the year (app.reports.services.build_report), as of the
day the document is made, and the year's commendations. Rebuilt with the same day, it gives the
same content as long as the records did not change (verification compares the two).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from app.core.filters import LOCAL_TZ
from app.export.documents import UNIT, Subject, document_kind, unit_info, unit_signature
from app.reports import services
from app.reports.definitions import WRITE_WINDOW_DAYS

KEY = "annual-report"
# The report names the most commended members; the others are counted (the Excel list has all).
NAMED = 50


def _title(subject: Subject) -> str:
    return f"Báo cáo kết quả thực hiện Sổ nhật ký làm theo lời Bác năm {subject.year} – {subject.unit.name}"


def _counts(f: services.Figures) -> dict:
    return {name: getattr(f, name) for name in services.Figures.SUMMED}


@document_kind(
    KEY,
    "Báo cáo tổng kết năm (số liệu sổ nhật ký, điển hình tiên tiến)",
    "reports/annual_report.html",
    scope=UNIT,
    title=_title,
)
def annual_report(subject: Subject) -> dict:
    """The unit's year in figures (members, plans, entries, reviews, sign-offs, commendations, ratings),
    by child unit and by month, and the members commended, as of `subject.as_of`."""
    from app.export.services import ExportError

    period = services.Period(subject.year, "year")
    if period.start > subject.as_of:
        raise ExportError(f"Năm {subject.year} chưa bắt đầu.")
    # "Now" is the end of the day the document is made as of, so a rebuild for verification
    # counts the entries still waiting for review the same way.
    now = datetime.combine(subject.as_of, time(23, 59, 59), tzinfo=LOCAL_TZ)
    report = services.build_report(subject.unit, period, today=subject.as_of, now=now, commit=False)
    data = services.commendations(subject.unit, subject.year, limit=services.EXPORT_LIMIT)
    return {
        "unit": unit_info(subject.unit),
        "year": subject.year,
        "as_of": report.as_of,
        "window_from": report.as_of - timedelta(days=WRITE_WINDOW_DAYS - 1),
        "branches": report.branches,
        "total": _counts(report.total),
        "rows": [
            {"name": r.name, "kind": r.kind.label, "branches": r.branches, **_counts(r.figures)}
            for r in report.rows
            if r.id != subject.unit.id
        ],
        "months": [
            {
                "month": m.month,
                "members": m.members,
                "entries": m.entries,
                "writers": m.writers,
                "review_due": m.review_due,
                "reviewed_in_time": m.reviewed_in_time,
                "month_slots": m.month_slots,
                "months_signed": m.months_signed,
                "exemplary": m.exemplary,
            }
            for m in report.months
        ],
        "ratings": [{"label": r.label, "count": r.count} for r in report.ratings],
        "rated": sum(r.count for r in report.ratings),
        "commended": [
            {
                "name": m.full_name,
                "position": m.position or "",
                "unit": m.unit_name,
                "deeds": [{"title": i.title.rstrip(".;, "), "deed_date": i.deed_date} for i in m.items],
            }
            for m in data.members[:NAMED]
        ],
        "commended_others": max(0, data.people - NAMED),
        "commended_people": data.people,
        "commendation_count": data.total,
        "signatures": [unit_signature(subject.unit)],
    }
