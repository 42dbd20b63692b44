"""Text normalisation: NFC storage and diacritic folding for search."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def nfc(text: str | None) -> str | None:
    """Text as stored: NFC, without control characters, CRLF turned into LF."""
    if text is None:
        return None
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def clean_line(text: str | None) -> str:
    """A one-line value (a name, a code): NFC, spaces collapsed, trimmed."""
    return _SPACES.sub(" ", nfc(text or "") or "").strip()


def fold(text: str | None) -> str:
    """Lowercase without diacritics, đ/Đ included: "Đảng viên" -> "dang vien".

    Control characters go too: folded text is compared in SQL, and PostgreSQL refuses NUL.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFD", _CONTROL.sub("", text).replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", text.lower()).strip()
