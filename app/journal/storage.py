"""Evidence files: type checked by content, size-limited, stored outside static/ under random names."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage

from app.core.numbers import format_number
from app.core.rules import RuleError

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
# A 48 KB PNG can declare 20000×20000 pixels, and every reviewer's browser would decode 400 megapixels.
MAX_EVIDENCE_PIXELS = 40_000_000
MAX_FILES_PER_ENTRY = 5
CHUNK = 64 * 1024

# (magic check, content type, extension): what the bytes are, whatever the name says.
_KINDS = (
    (lambda h: h.startswith(b"\xff\xd8\xff"), "image/jpeg", ".jpg"),
    (lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"), "image/png", ".png"),
    (lambda h: h[:6] in (b"GIF87a", b"GIF89a"), "image/gif", ".gif"),
    (lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP", "image/webp", ".webp"),
    (lambda h: h.startswith(b"%PDF-"), "application/pdf", ".pdf"),
)


class EvidenceError(RuleError):
    """An upload was refused; the message is for the user."""


@dataclass
class StoredFile:
    stored_name: str
    original_name: str
    content_type: str
    size: int
    sha256: str


def evidence_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "evidence"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the first bytes, or None when not an image or PDF."""
    for check, content_type, extension in _KINDS:
        if check(head):
            return content_type, extension
    return None


def clean_filename(name: str | None) -> str:
    """The name shown to people: no path, no control characters, at most 120 characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())[-120:]
    # Nor a leading dot: ".." would read as the folder above, ".htaccess" as a hidden file.
    return name.strip().lstrip(".").strip() or "minh-chung"


def check_upload(upload: FileStorage) -> tuple[str, str]:
    """Check type and size without storing; returns (content type, extension)."""
    stream = upload.stream
    stream.seek(0)
    head = stream.read(16)
    kind = sniff(head)
    name = clean_filename(upload.filename)
    if not head:
        raise EvidenceError(f"Tệp “{name}” trống.")
    if kind is None:
        raise EvidenceError(
            f"Tệp “{name}” không phải ảnh (JPG, PNG, GIF, WebP) hay PDF. Chỉ nhận ảnh và PDF."
        )
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    if size > MAX_EVIDENCE_BYTES:
        megabytes = format_number(size / 1024 / 1024, 1)
        raise EvidenceError(f"Tệp “{name}” nặng {megabytes} MB, vượt quá giới hạn 10 MB.")
    if kind[0].startswith("image/"):
        _check_image(stream, name)
    return kind


def _check_image(stream, name: str) -> None:
    """The image's declared size, read from its header by Pillow (no pixel is decoded), within
    MAX_EVIDENCE_PIXELS; Pillow's own decompression-bomb limits apply on the way."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    stream.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        width = height = MAX_EVIDENCE_PIXELS  # far beyond the limit: refused below
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        # A header Pillow cannot read declares no size to check; such a file is kept as before
        # (its type came from the magic bytes, and it is served sandboxed under a server-made name).
        return
    finally:
        stream.seek(0)
    if width * height > MAX_EVIDENCE_PIXELS:
        size = (
            f"{format_number(width)} × {format_number(height)}"
            if width != MAX_EVIDENCE_PIXELS
            else "hàng trăm triệu"
        )
        raise EvidenceError(
            f"Ảnh “{name}” quá lớn ({size} điểm ảnh; tối đa 40 triệu điểm ảnh). "
            "Hãy chụp lại hoặc thu nhỏ ảnh rồi tải lên."
        )


def download_name(evidence_id: int, content_type: str, deed_date=None) -> str:
    """The name an evidence file is downloaded under, made here from the detected type, never the
    uploader's (a GIF header with an HTML body named report.html must not come back as .html)."""
    extension = next((ext for _check, kind, ext in _KINDS if kind == content_type), ".bin")
    day = f"nhat-ky-{deed_date:%Y-%m-%d}-" if deed_date is not None else ""
    return f"{day}minh-chung-{evidence_id}{extension}"


def store(upload: FileStorage) -> StoredFile:
    """Write a checked upload under a random name; the caller records it."""
    content_type, extension = check_upload(upload)
    stored_name = secrets.token_hex(16) + extension
    digest = hashlib.sha256()
    size = 0
    target = evidence_dir() / stored_name
    with target.open("xb") as out:
        upload.stream.seek(0)
        while chunk := upload.stream.read(CHUNK):
            size += len(chunk)
            digest.update(chunk)
            out.write(chunk)
    return StoredFile(stored_name, clean_filename(upload.filename), content_type, size, digest.hexdigest())


def path_of(stored_name: str) -> Path:
    """The file's path; stored names are generated here, never taken from a request."""
    if "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise ValueError("bad stored name")
    return evidence_dir() / stored_name


def remove(stored_name: str) -> None:
    path = path_of(stored_name)
    path.unlink(missing_ok=True)
