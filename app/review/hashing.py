"""What is signed, in one canonical form: the entry's content as JSON and the month's SHA-256.

The same function describes an entry for a review snapshot and for the month's signature, so
"what changed since it was reviewed" and "what changed since it was signed" compare like with
like. Canonical JSON: sorted keys, no spaces, UTF-8 (NFC text as stored), lists in a fixed order.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from app.journal.models import Entry

# The fields an entry is compared and signed by, with their Vietnamese names.
FIELDS = {
    "deed_date": "Ngày thực hiện",
    "place": "Địa điểm",
    "action": "Việc đã làm",
    "result": "Kết quả",
    "lesson": "Bài học",
    "commitment_ids": "Nội dung đăng ký",
    "evidence": "Minh chứng",
    "status": "Trạng thái",
}


def entry_content(entry: Entry) -> dict[str, Any]:
    """The entry as signed: id, date, text fields, sorted commitment ids, evidence SHA-256s, status."""
    return {
        "id": entry.id,
        "deed_date": entry.deed_date.isoformat(),
        "place": entry.place or "",
        "action": entry.action or "",
        "result": entry.result or "",
        "lesson": entry.lesson or "",
        "commitment_ids": sorted(c.id for c in entry.commitments),
        "evidence": sorted(e.sha256 for e in entry.evidence),
        "status": entry.status.value,
    }


def month_content(
    user_id: int, unit_id: int, year: int, month: int, entries: list[Entry], comment: str
) -> dict[str, Any]:
    """The month as signed: whose, which, every entry (by id) and the month comment."""
    return {
        "member_id": user_id,
        "unit_id": unit_id,
        "year": year,
        "month": month,
        "entries": [entry_content(e) for e in sorted(entries, key=lambda e: e.id)],
        "comment": comment or "",
    }


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def changed_fields(old: dict[str, Any], new: dict[str, Any], ignore: tuple[str, ...] = ()) -> list[str]:
    """Names of the fields (of FIELDS) that differ between two entry contents."""
    return [name for name in FIELDS if name not in ignore and old.get(name) != new.get(name)]
