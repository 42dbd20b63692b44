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


_TRAILING = " \t\n.,;:–-"


def shorten(text: str | None, limit: int) -> str:
    """Text on one line, at most `limit` characters: cut at the last word that fits, never inside
    a word, then "…" (no punctuation left before it: "Nhà nước…", not "Nhà nước.…")."""
    text = _SPACES.sub(" ", text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and text[limit - 1] != " ":
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(_TRAILING) + "…"


def clause(text: str | None) -> str:
    """Text followed by a colon in print ("Tiêu chí: nhận xét"): without its own final stop."""
    return (text or "").rstrip(_TRAILING)


# Words that begin a new part of an organisation's name: an official header breaks its lines
# before them ("BCH CHI ĐOÀN VĂN PHÒNG / SỞ GIÁO DỤC VÀ ĐÀO TẠO"), never inside a part
# ("GIÁO DỤC VÀ / ĐÀO TẠO"). Longest first: "VĂN PHÒNG" is one part, not "VĂN" + "PHÒNG".
NAME_PARTS = sorted(
    (
        tuple(part.split())
        for part in (
            "SỞ",
            "PHÒNG",
            "VĂN PHÒNG",
            "BỆNH VIỆN",
            "TRƯỜNG",
            "BAN",
            "CỤC",
            "CHI CỤC",
            "ỦY BAN",
            "CÔNG TY",
            "TỔNG CÔNG TY",
            "TRUNG TÂM",
            "CÁC CƠ QUAN",
        )
    ),
    key=len,
    reverse=True,
)
PART_MAX = 30  # a longer part may wrap inside (it would not fit a header line anyway)


def name_parts(name: str | None) -> list[str]:
    """An organisation's name cut into the parts a header line may break between."""
    words = (name or "").split()
    upper = [w.upper() for w in words]
    parts: list[list[str]] = []
    i = 0
    while i < len(words):
        head = next((p for p in NAME_PARTS if tuple(upper[i : i + len(p)]) == p), None)
        # A part starts at a head word, unless it is the first word or the end of "ĐOÀN CƠ SỞ".
        starts = head is not None and i > 0 and not (head == ("SỞ",) and upper[i - 1] == "CƠ")
        if starts or not parts:
            parts.append([])
        size = len(head) if starts and head else 1
        parts[-1].extend(words[i : i + size])
        i += size
    return [" ".join(p) for p in parts]


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
