"""Numbers as Vietnamese readers write them: a dot between thousands and a comma before decimals
(1.234,5), in pages, documents and spreadsheets alike. The one formatter; templates reach it through
the `vn_number`, `vn_percent` and `vn_points` filters."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def format_number(value: float | int | Decimal | None, decimals: int = 0, *, trim: bool = False) -> str:
    """1.234,5 — `trim` drops a zero fraction (8,0 → 8), as points are written."""
    if value is None:
        return ""
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    exact = exact.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)  # 0,05 → 0,1 as people round
    text = f"{exact:,.{decimals}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    if trim and decimals:
        text = text.rstrip("0").removesuffix(",") if "," in text else text
    return text


def format_points(value: float | int | Decimal | None) -> str:
    """A score to one decimal without a zero fraction: 8,5 and 9 (not 9,0)."""
    return format_number(value, 1, trim=True)


def format_percent(part: int, whole: int, decimals: int = 1) -> str:
    """part/whole as "42,9%"; "0%" of nothing (an empty branch), never a division by zero."""
    if not whole:
        return "0%"
    return f"{format_number(Decimal(part) * 100 / Decimal(whole), decimals, trim=True)}%"
