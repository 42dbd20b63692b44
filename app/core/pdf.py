"""HTML to PDF with WeasyPrint, a QR code as a data: URI, and the optional PKCS#12 signature.

WeasyPrint fetches nothing but the app's own static files (the print stylesheet and the fonts in
static/fonts) and data: URIs (the QR code): a document never reaches the network or the file
system outside static/, whatever its text says. The fonts are full TTF files declared with
@font-face in static/css/print/document.css; WeasyPrint embeds a subset of each in the PDF. The
user-agent stylesheet is the documents' own, static/css/print/ua.css: WeasyPrint's rules for the
elements the templates use, without the forty selectors it would try on every element (three quarters
of a book's cascade: bench/README.md).

Every document is archival and accessible: PDF/A-3a (ISO 19005-3, level A: conformance claimed in
the XMP metadata, sRGB output intent, fonts embedded) and therefore tagged (a structure tree a
screen reader follows, in the language of <html lang="vi">). PDF_VARIANT in the app's config
names another WeasyPrint variant ("pdf/a-2b", "pdf/ua-1" …), or "" for a plain PDF.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import io
import logging
import mimetypes
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app
from werkzeug.security import safe_join

log = logging.getLogger(__name__)

# Documents are rendered with this base URL: "/static/…" in a template becomes
# https://pdf.invalid/static/…, which the fetcher maps to the static folder. The .invalid
# top-level domain never resolves (RFC 2606), so nothing can leak to a real host.
PDF_BASE_URL = "https://pdf.invalid/"


class RefusedResource(ValueError):
    """A document asked for something other than a static file or a data: URI."""


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves files of one folder under one URL prefix, and data: URIs; refuses the rest."""

        def __init__(self, root: Path, prefix: str) -> None:
            super().__init__(timeout=2, allowed_protocols={"data"}, allow_redirects=False)
            self.root = root.resolve()
            self.prefix = prefix

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith(self.prefix):
                relative = unquote(urlsplit(url).path)[len(urlsplit(self.prefix).path) :]
                found = safe_join(str(self.root), relative)
                if found is not None:
                    path = Path(found).resolve()
                    if path.is_file() and path.is_relative_to(self.root):
                        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                        return URLFetcherResponse(
                            url, body=_read_static(path), headers={"Content-Type": mime}
                        )
            log.warning("PDF rendering refused to fetch %s", url[:200])
            raise RefusedResource(f"Only the app's static files may be used in a document: {url[:200]}")

    return StaticOnlyFetcher


_STATIC_CACHE: dict[tuple[str, float], bytes] = {}
_STATIC_LOCK = threading.Lock()


def _read_static(path: Path) -> bytes:
    """A static file's bytes, kept in memory while unchanged (the fonts are read for every document)."""
    key = (str(path), path.stat().st_mtime)
    with _STATIC_LOCK:
        data = _STATIC_CACHE.get(key)
        if data is None:
            data = path.read_bytes()
            _STATIC_CACHE[key] = data
    return data


def static_fetcher(static_folder: str | Path, static_url_path: str = "/static"):
    """A WeasyPrint URL fetcher that serves only `static_folder` (as `static_url_path`) and data: URIs."""
    prefix = PDF_BASE_URL.rstrip("/") + "/" + static_url_path.strip("/") + "/"
    return _fetcher_class()(Path(static_folder), prefix)


@dataclass
class RenderedPdf:
    data: bytes
    page_count: int


# PDF/A-3 level A: archival (ISO 19005-3) and tagged (level A requires the structure tree).
DEFAULT_VARIANT = "pdf/a-3a"

_gc_lock = threading.Lock()
_gc_renders = 0
_gc_saved_threshold: tuple[int, ...] = ()
# While a document renders, a young-generation collection every 100,000 allocations instead of 700.
RENDER_GC_THRESHOLD = (100_000, 50, 100)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector runs seldom while a document renders.

    WeasyPrint allocates millions of small objects (boxes, styles, layout copies) that stay alive
    until the document is written; with the default thresholds the collector walks them again
    and again (every 700 allocations, and the whole heap each time the survivors grow by a
    quarter): about a sixth of a book's time (bench/README.md). Cycles are still collected, only
    less often, so memory stays bounded by about one document. Counted, so that overlapping renders
    in the threads of one process restore the thresholds only when the last one ends.
    """
    global _gc_renders, _gc_saved_threshold
    with _gc_lock:
        if _gc_renders == 0:
            _gc_saved_threshold = gc.get_threshold()
            gc.set_threshold(*RENDER_GC_THRESHOLD)
        _gc_renders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_renders -= 1
            if _gc_renders == 0:
                gc.set_threshold(*_gc_saved_threshold)


def pdf_variant() -> str | None:
    """The PDF variant documents claim (PDF_VARIANT in the config; PDF/A-3a by default)."""
    configured = current_app.config.get("PDF_VARIANT", DEFAULT_VARIANT)
    return configured or None


# ---- the user-agent stylesheet, parsed once per process ----------------------------

UA_STYLESHEET = Path("css") / "print" / "ua.css"
_UA_SHEETS: dict[tuple[str, float], object] = {}


def _ua_sheet(static_folder: str | Path):
    """The documents' own user-agent stylesheet (static/css/print/ua.css), parsed once per process."""
    from weasyprint import CSS
    from weasyprint.html import UA_COUNTER_STYLE

    path = Path(static_folder) / UA_STYLESHEET
    key = (str(path), path.stat().st_mtime)
    sheet = _UA_SHEETS.get(key)
    if sheet is None:
        sheet = CSS(string=path.read_text("utf-8"), counter_style=UA_COUNTER_STYLE)
        _UA_SHEETS.clear()
        _UA_SHEETS[key] = sheet
    return sheet


@functools.cache
def _document_html_class():
    """weasyprint.HTML with the documents' user-agent stylesheet instead of WeasyPrint's whole HTML5 one."""
    from weasyprint import HTML

    class DocumentHTML(HTML):
        ua_sheet = None

        def _ua_stylesheets(self, forms=False):
            return [self.ua_sheet] if self.ua_sheet is not None else super()._ua_stylesheets(forms)

    return DocumentHTML


def render_pdf(html: str) -> RenderedPdf:
    """Render an HTML document (its stylesheet linked as /static/…) to PDF bytes; fonts embedded,
    subset; PDF/A-3a and tagged unless PDF_VARIANT says otherwise."""
    from weasyprint.text.fonts import FontConfiguration

    app = current_app
    fetcher = static_fetcher(app.static_folder, app.static_url_path or "/static")
    variant = pdf_variant()
    with _gc_paused():
        font_config = FontConfiguration()
        source = _document_html_class()(string=html, base_url=PDF_BASE_URL, url_fetcher=fetcher)
        source.ua_sheet = _ua_sheet(app.static_folder)
        document = source.render(font_config=font_config)
        data = document.write_pdf(pdf_variant=variant) if variant else document.write_pdf()
        pages = len(document.pages)
        del document
    return RenderedPdf(data, pages)


# ---- measuring a line of text (to spare WeasyPrint work it need not do) -------------------------------

PT_PER_MM = 72 / 25.4
_ADVANCES: dict[str, tuple[dict[int, int], int]] = {}


def _advances(font_file: str) -> tuple[dict[int, int], int]:
    """(advance width per code point, units per em) of one of the shipped fonts (static/fonts)."""
    cached = _ADVANCES.get(font_file)
    if cached is None:
        from fontTools.ttLib import TTFont

        with TTFont(Path(current_app.static_folder) / "fonts" / font_file, lazy=True) as font:
            metrics = font["hmtx"].metrics
            widths = {code: metrics[name][0] for code, name in font.getBestCmap().items()}
            cached = (widths, font["head"].unitsPerEm)
        _ADVANCES[font_file] = cached
    return cached


def text_width_pt(text: str, font_file: str, size_pt: float) -> float:
    """The width of `text` set in one of the shipped fonts, without kerning (which only narrows
    Liberation Serif's pairs); a character the font lacks counts as a full em."""
    widths, em = _advances(font_file)
    return sum(widths.get(ord(ch), em) for ch in text) * size_pt / em


# The content width of a document page (A4, 30 mm left and 20 mm right margins).
CONTENT_WIDTH_PT = (210 - 30 - 20) * PT_PER_MM


def entry_head_fits(status: str, day: str) -> bool:
    """Whether an entry's heading (day and place in bold 13 pt) fits on one line beside its status
    (italic 11.5 pt, 3 mm apart), with room to spare: then the print stylesheet places the status
    absolutely (.entry-head.one-line) instead of floating it, which sets the same pixels (tests/
    test_pdf_look.py) without the float making WeasyPrint re-measure every later line of the page.
    A heading that might wrap keeps the float, whose wrapping is the reference."""
    day_width = text_width_pt(day, "LiberationSerif-Bold.ttf", 13)
    status_width = text_width_pt(status, "LiberationSerif-Italic.ttf", 11.5)
    spare = 12 + 0.02 * (day_width + status_width)
    return day_width + status_width + 3 * PT_PER_MM + spare <= CONTENT_WIDTH_PT


def qr_svg_data_uri(text: str) -> str:
    """A QR code of `text` as an SVG data: URI (medium error correction; sized by the stylesheet)."""
    import segno

    return segno.make(text, error="m").svg_data_uri(border=0, omitsize=True, dark="#000")


# ---- digital signature (PKCS#12) -------------------------------------------------------------------


@dataclass
class SigningConfig:
    p12_path: str
    password: bytes | None
    location: str | None = None


def signing_config() -> SigningConfig | None:
    """The organisation's certificate, when PDF_SIGNING_P12_PATH is configured (app config or environment)."""
    import os

    config = current_app.config
    path = config.get("PDF_SIGNING_P12_PATH") or os.environ.get("PDF_SIGNING_P12_PATH")
    if not path:
        return None
    password = config.get("PDF_SIGNING_P12_PASSWORD")
    if password is None:
        password = os.environ.get("PDF_SIGNING_P12_PASSWORD")
    if isinstance(password, str):
        password = password.encode("utf-8")
    location = config.get("PDF_SIGNING_LOCATION") or os.environ.get("PDF_SIGNING_LOCATION")
    return SigningConfig(path, password or None, location)


_SIGNERS: dict[tuple[str, float], object] = {}


def _signer(config: SigningConfig):
    from pyhanko.sign import signers

    key = (config.p12_path, Path(config.p12_path).stat().st_mtime)
    signer = _SIGNERS.get(key)
    if signer is None:
        signer = signers.SimpleSigner.load_pkcs12(config.p12_path, passphrase=config.password)
        if signer is None:
            raise ValueError(f"Cannot read the PKCS#12 certificate {config.p12_path} (wrong password?)")
        _SIGNERS.clear()
        _SIGNERS[key] = signer
    return signer


def sign_pdf(data: bytes, config: SigningConfig, reason: str) -> bytes:
    """The PDF with a PAdES signature by the organisation's certificate (an incremental update)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    metadata = signers.PdfSignatureMetadata(
        field_name="ChuKySo",
        reason=reason,
        location=config.location,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    signer = _signer(config)

    def sign() -> bytes:
        return signers.sign_pdf(writer, metadata, signer=signer).getvalue()

    # pyHanko runs its own asyncio loop; where this thread already has one running (a server or
    # tool driving an event loop), sign in a short-lived thread of its own instead of failing.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return sign()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(sign).result()
