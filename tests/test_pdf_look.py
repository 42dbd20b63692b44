"""The look of the PDFs is fixed: a book rendered from fixed content matches reference page images.

tests/data/pdf_look/book_content.json is a real member's book (the demo member's year as
bench/bench_pdf.py builds it, three months of it) with dates tagged; it is rendered through the
app's own template, stylesheet, fonts and renderer (app.core.pdf.render_pdf) with a fixed number,
date and QR code, rasterised by poppler's pdftoppm and compared with the PNGs committed next to it.
The references were made by the renderer before the speed-ups and the PDF/A switch (issue 20), so
a change of CSS, template or WeasyPrint options that moves a single line of text fails here.

To accept a deliberate change of the look: UPDATE_PDF_LOOK=1 pytest tests/test_pdf_look.py, then
look at the new PNGs before committing them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.pdf_checks import assert_archival_and_tagged

DATA = Path(__file__).parent / "data" / "pdf_look"
DPI = 50
NUMBER = "SNK-2026-000123"
VERIFY_URL = f"https://sonhatky.example.vn/verify/{NUMBER}"

pytestmark = pytest.mark.skipif(
    not shutil.which("pdftoppm"), reason="pdftoppm (poppler-utils) is not installed"
)


def _decode(value: dict):
    if "__date__" in value:
        return date.fromisoformat(value["__date__"])
    if "__datetime__" in value:
        return datetime.fromisoformat(value["__datetime__"])
    return value


def render_fixed_book() -> tuple[bytes, int]:
    """The fixed book as the app renders it (template, stylesheet, fonts, WeasyPrint options)."""
    from app.core.pdf import qr_svg_data_uri, render_pdf
    from app.export import documents, services

    content = json.loads((DATA / "book_content.json").read_text("utf-8"), object_hook=_decode)
    kind = documents.KINDS["book"]
    meta = services.DocumentMeta(
        number=NUMBER,
        kind="book",
        kind_label=kind.label,
        title=f"Sổ nhật ký làm theo lời Bác năm {content['year']} – {content['member']['name']}",
        made_at=datetime(2026, 1, 15, 2, 30, tzinfo=UTC),
        verify_url=VERIFY_URL,
        verify_page="https://sonhatky.example.vn/verify",
        qr=qr_svg_data_uri(VERIFY_URL),
        static="/static",
        made_by="Trần Quốc Bảo",
        signed=False,
    )
    rendered = render_pdf(services.render_html(kind, content, meta))
    return rendered.data, rendered.page_count


def page_images(data: bytes, folder: Path) -> list[Path]:
    """pdftoppm's greyscale PNG of every page, in order."""
    pdf = folder / "book.pdf"
    pdf.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", str(pdf), str(folder / "page")], check=True)
    return sorted(folder.glob("page-*.png"))


def differing_pixels(a: Path, b: Path) -> tuple[int, int]:
    """(pixels that differ by more than a rounding step, all pixels) of two greyscale images."""
    from PIL import Image, ImageChops

    with Image.open(a) as first, Image.open(b) as second:
        if first.size != second.size:
            return first.size[0] * first.size[1], first.size[0] * first.size[1]
        diff = ImageChops.difference(first.convert("L"), second.convert("L"))
        histogram = diff.histogram()
        return sum(histogram[8:]), first.size[0] * first.size[1]


def test_fixed_book_looks_exactly_like_the_reference(app, tmp_path):
    with app.app_context():
        data, pages = render_fixed_book()
    images = page_images(data, tmp_path)
    assert len(images) == pages
    if os.environ.get("UPDATE_PDF_LOOK"):
        for old in DATA.glob("page-*.png"):
            old.unlink()
        for image in images:
            shutil.copy(image, DATA / image.name)
        pytest.skip(f"reference images written: {len(images)} pages")
    references = sorted(DATA.glob("page-*.png"))
    assert [p.name for p in images] == [p.name for p in references], "the page count changed"
    for image, reference in zip(images, references, strict=True):
        changed, total = differing_pixels(image, reference)
        # Exact on one machine; a poppler or FreeType of another version may anti-alias a few
        # edge pixels differently, never whole lines of text (a moved line changes thousands).
        assert changed <= total // 2000, (
            f"{image.name}: {changed} of {total} pixels differ from the reference"
        )


def test_fixed_book_is_archival_and_tagged(app):
    with app.app_context():
        data, _ = render_fixed_book()
    assert_archival_and_tagged(data)


def test_every_element_of_the_documents_has_its_user_agent_rules(app):
    """The documents render with their own user-agent stylesheet (static/css/print/ua.css, a part of
    WeasyPrint's): an element a template starts using needs its rules there, or it would lose its
    defaults (display: block for a <section>, bold for a <th> …)."""
    import re

    from app.export import documents, services

    with app.app_context():
        content = json.loads((DATA / "book_content.json").read_text("utf-8"), object_hook=_decode)
        kind = documents.KINDS["book"]
        meta = services.DocumentMeta(
            number=NUMBER,
            kind="book",
            kind_label=kind.label,
            title="Sổ",
            made_at=datetime(2026, 1, 15, 2, 30, tzinfo=UTC),
            verify_url=VERIFY_URL,
            verify_page=VERIFY_URL,
            qr="data:,",
            static="/static",
            made_by=None,
            signed=False,
        )
        html = services.render_html(kind, content, meta)
        sheet = (Path(app.static_folder) / "css" / "print" / "ua.css").read_text("utf-8")
    templates = Path(app.root_path).parent / "templates"
    for template in ["export/grading_list.html", "export/minutes.html", "export/golden_book.html",
                     "export/month.html", "export/_grading.html", "reports/annual_report.html"]:  # fmt: skip
        path = templates / template
        if path.exists():
            html += path.read_text("utf-8")
    used = set(re.findall(r"<([a-z][a-z0-9]*)[\s>/]", html))
    rules = re.sub(r"/\*.*?\*/", "", sheet, flags=re.S)
    selectors = " , ".join(re.findall(r"([^{}]+)\{[^{}]*\}", rules.split("@page")[0]))
    covered = set(re.findall(r"(?<![-.\w#@:])([a-z][a-z0-9]*)(?=[\s,:\[>.]|$)", selectors))
    inline_by_default = {"span", "a", "img"}  # no rule needed beyond the initial values
    assert used - covered - inline_by_default == set()
