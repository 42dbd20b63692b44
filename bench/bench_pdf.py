"""Benchmark of the PDF book: a member's one-year book (≈ 60 pages) against bare WeasyPrint.

    .venv/bin/python bench/bench_pdf.py [--passes 2] [--density 1.2] [--runs 3] [--all-cores]

Builds the demo organisation on a temporary SQLite file, then a full year (the year before last —
the demo itself fills the last twelve months —, all twelve months) for the demo member `doanvien`: an approved plan, entries with the demo's texts (the demo's
year generator run `--passes` times at `--density` times its rhythm: about 160 entries by default), two secretary's comments, a month comment and the sign-off for every
month, one deed in the sổ vàng. Then, pinned to one CPU core (unless --all-cores), it makes the
book `--runs` times exactly as the app does (app.export.services.export_member_book: content from
the database, template, WeasyPrint with the print stylesheet and the shipped fonts, QR code,
register row) and, in the same run, renders *the same text* with bare WeasyPrint (every string of
the book's content as a plain paragraph, A4, the same margins and size, the default serif font,
no stylesheet of ours), and the book's own HTML as the app rendered it when issue 20 was filed
(WeasyPrint's user-agent stylesheet, floated statuses, default garbage collector, plain PDF,
fontTools subsetting), interleaved with renders as now. It prints pages per second for all three,
the book/bare ratio, the speed-up since issue 20, the time per stage of the book and both
wall-clock and CPU time (the machine is shared: CPU time is the steadier figure).
The target (issue 6): a one-year book of about 60 pages in under 6 s on one core.
Not part of `make test`; the database is only SQLite (rendering does not depend on it).
"""

from __future__ import annotations

import argparse
import gc
import html
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app  # noqa: E402
from app.core.db import db  # noqa: E402

TARGET_SECONDS = 6.0


def build_year(passes: int, density: float) -> tuple[object, object, int]:
    """The demo organisation, and a full year of the demo member's diary the year before last (the
    demo's own year generator already fills the last twelve months)."""
    from sqlalchemy import select

    from app.auth.models import User
    from app.core.filters import today_local
    from app.plans.services import seed_demo_plan
    from app.review import services as review
    from app.standards.services import applicable_standards, seed_demo_standards
    from app.synthetic.demo import diary
    from app.synthetic.demo.seed import seed_demo
    from app.units.models import Unit

    seed_demo()
    db.session.commit()
    year = today_local().year - 2
    member = db.session.scalar(select(User).where(User.username == "doanvien"))
    secretary = db.session.scalar(select(User).where(User.username == "bithu"))
    branch = db.session.scalar(select(Unit).where(Unit.code == "CD-VP-SGDDT"))
    root = db.session.scalar(select(Unit).where(Unit.code == "DK-CQT-ST"))
    seed_demo_standards(root, branch, year)
    plan = seed_demo_plan(member, branch, year, secretary, applicable_standards(branch, year))
    plan.created_at = diary._local(date(year, 1, 5), 9)
    plan.decided_at = diary._local(date(year, 1, 9), 15)
    rng = random.Random(2026)
    for _ in range(passes):
        diary.seed_member_year(member, branch, plan, date(year, 12, 31), rng, density=density)
    db.session.flush()
    clock = diary._Backdate()

    def commend_in_july(entries, _meeting) -> None:
        # A signed month takes nothing more: the deed for the sổ vàng is commended before July's sign-off.
        if entries[0].deed_date.month == 7:
            review.flag_exemplary(secretary, entries[0], "Việc làm cụ thể, lan tỏa trong chi đoàn.")

    diary._review_history(
        member,
        secretary,
        branch,
        diary._months(date(year, 1, 1), date(year, 12, 31)),
        clock,
        rng,
        comments=True,
        before_sign=commend_in_july,
    )
    db.session.commit()
    return member, branch, year


def strings(value) -> list[str]:
    """Every text of a document's content, in order (what bare WeasyPrint renders)."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings(v)]
    return []


BARE_STYLE = (
    "@page { size: A4; margin: 20mm 20mm 20mm 30mm } "
    "body { font-family: serif; font-size: 13pt; line-height: 1.35 } p { margin: 0 0 2.5mm; white-space: pre-line }"
)


def bare_render(texts: list[str]) -> tuple[int, float, float]:
    """Bare WeasyPrint on the same text: (pages, wall seconds, CPU seconds)."""
    from weasyprint import HTML

    body = "".join(f"<p>{html.escape(t)}</p>" for t in texts)
    source = f"<!doctype html><html lang='vi'><head><meta charset='utf-8'><style>{BARE_STYLE}</style></head><body>{body}</body></html>"
    wall, cpu = time.perf_counter(), time.process_time()
    document = HTML(string=source).render()
    document.write_pdf()
    return len(document.pages), time.perf_counter() - wall, time.process_time() - cpu


def render_as_before(page_html: str) -> tuple[int, float, float]:
    """The same book HTML rendered as the app rendered it when issue 20 was filed: WeasyPrint's own
    user-agent stylesheet, the status of every entry heading floated, the garbage collector at its
    default thresholds, a plain PDF (no PDF/A, no tags) and the fonts subset by fontTools (no
    HarfBuzz-Subset library). (pages, wall seconds, CPU seconds)."""
    import logging

    import weasyprint.pdf.fonts as pdf_fonts
    from flask import current_app
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from app.core.pdf import PDF_BASE_URL, static_fetcher

    source = page_html.replace('class="entry-head one-line"', 'class="entry-head"')
    fetcher = static_fetcher(current_app.static_folder, current_app.static_url_path or "/static")
    saved, pdf_fonts.harfbuzz_subset = pdf_fonts.harfbuzz_subset, None
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)  # fontTools' subsetting warns that it is the fallback
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        document = HTML(string=source, base_url=PDF_BASE_URL, url_fetcher=fetcher).render(
            font_config=FontConfiguration()
        )
        document.write_pdf()
        return len(document.pages), time.perf_counter() - wall, time.process_time() - cpu
    finally:
        pdf_fonts.harfbuzz_subset = saved
        logger.setLevel(level)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=2, help="how many times the demo's year generator runs")
    parser.add_argument(
        "--density", type=float, default=1.2, help="× the demo's rhythm of entries, each pass"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--all-cores", action="store_true", help="do not pin the process to one core")
    args = parser.parse_args()
    if not args.all_cores and hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        print(f"Pinned to CPU core {core}.")

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            "testing",
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.db'}",
                "INSTANCE_PATH": tmp,
                "UPLOAD_DIR": str(Path(tmp) / "uploads"),
            },
        )
        with app.app_context():
            from flask_migrate import upgrade

            from app.core.filters import today_local
            from app.core.pdf import render_pdf
            from app.export import documents, services

            upgrade()
            started = time.perf_counter()
            member, branch, year = build_year(args.passes, args.density)
            print(
                f"Data: the demo organisation and a full year ({year}) for {member.full_name}, "
                f"built in {time.perf_counter() - started:.1f} s."
            )
            import weasyprint  # noqa: F401  (imported once, outside the timings, as in a running server)

            # Warm-up: templates compiled, fonts read, WeasyPrint's caches filled.
            services.export_member_book(None, member, branch, year, source="cli")
            kind = documents.KINDS["book"]
            subject = documents.Subject(unit=branch, year=year, as_of=today_local(), member=member)

            book_wall, book_cpu, stages = [], [], {"content": [], "template": [], "weasyprint": []}
            pages = 0
            for _ in range(args.runs):
                wall, cpu = time.perf_counter(), time.process_time()
                result = services.export_member_book(None, member, branch, year, source="cli")
                book_wall.append(time.perf_counter() - wall)
                book_cpu.append(time.process_time() - cpu)
                pages = result.page_count
                # The stages, measured apart.
                t0 = time.perf_counter()
                content = kind.build(subject)
                t1 = time.perf_counter()
                page_html = services.render_html(kind, content, _meta(services, result))
                t2 = time.perf_counter()
                render_pdf(page_html)
                t3 = time.perf_counter()
                stages["content"].append(t1 - t0)
                stages["template"].append(t2 - t1)
                stages["weasyprint"].append(t3 - t2)
            db.session.rollback()

            # The same HTML as it was rendered before issue 20, interleaved with renders as now.
            page_html = services.render_html(kind, content, _meta(services, result))
            render_as_before(page_html)  # warm-up
            before_wall, before_cpu, now_cpu = [], [], []
            for _ in range(args.runs):
                gc.collect()  # neither starts with the other's garbage still in memory
                _, w, c = render_as_before(page_html)
                before_wall.append(w)
                before_cpu.append(c)
                gc.collect()
                cpu = time.process_time()
                render_pdf(page_html)
                now_cpu.append(time.process_time() - cpu)

            texts = strings(content)
            bare_pages, bare_wall, bare_cpu = [], [], []
            bare_render(texts)  # warm-up
            for _ in range(args.runs):
                p, w, c = bare_render(texts)
                bare_pages.append(p)
                bare_wall.append(w)
                bare_cpu.append(c)

    med = statistics.median
    book_rate, bare_rate = pages / med(book_wall), bare_pages[0] / med(bare_wall)
    book_rate_cpu, bare_rate_cpu = pages / med(book_cpu), bare_pages[0] / med(bare_cpu)
    entries = content["entry_count"]
    chars = sum(len(t) for t in texts)
    print()
    print(
        f"One-year book: {pages} pages, {entries} entries, {chars:,} characters of text; median of {args.runs} runs"
    )
    print(f"{'':34}{'wall s':>9}{'CPU s':>9}{'pages/s (wall)':>16}{'pages/s (CPU)':>15}")
    print(
        f"{'book (export_member_book)':34}{med(book_wall):9.2f}{med(book_cpu):9.2f}{book_rate:16.1f}{book_rate_cpu:15.1f}"
    )
    print(
        f"{'bare WeasyPrint, same text':34}{med(bare_wall):9.2f}{med(bare_cpu):9.2f}{bare_rate:16.1f}{bare_rate_cpu:15.1f}"
        f"   ({bare_pages[0]} pages)"
    )
    print(
        f"{'same HTML as before issue 20':34}{med(before_wall):9.2f}{med(before_cpu):9.2f}"
        f"{pages / med(before_wall):16.1f}{pages / med(before_cpu):15.1f}"
    )
    print(
        f"ratio book / bare (pages per second): {book_rate / bare_rate:.2f} wall, {book_rate_cpu / bare_rate_cpu:.2f} CPU"
    )
    print(
        f"speed-up since issue 20 (the same HTML rendered as before and as now, interleaved; CPU): "
        f"{med(before_cpu) / med(now_cpu):.2f}x ({med(before_cpu):.2f} s -> {med(now_cpu):.2f} s)"
    )
    print("book stages (wall, median): " + ", ".join(f"{k} {med(v):.2f} s" for k, v in stages.items()))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"target: a one-year book in under {TARGET_SECONDS:.0f} s on one core: {med(book_cpu):.2f} s of CPU "
        f"({'OK' if med(book_cpu) < TARGET_SECONDS else 'OVER'}), {med(book_wall):.2f} s wall "
        f"({'OK' if med(book_wall) < TARGET_SECONDS else 'OVER'}; load average {load:.1f} on {os.cpu_count()} "
        "CPUs: wall time above CPU time is time spent waiting for the core)"
    )


def _meta(services, result):
    from app.core.pdf import qr_svg_data_uri

    document = result.document
    return services.DocumentMeta(
        number=document.number,
        kind="book",
        kind_label="",
        title="",
        made_at=document.created_at,
        verify_url="http://localhost/verify",
        verify_page="http://localhost/verify",
        qr=qr_svg_data_uri("http://localhost/verify/" + document.number),
        static="/static",
        made_by=None,
        signed=False,
    )


if __name__ == "__main__":
    main()
