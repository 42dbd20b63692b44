"""The parsed rows of an upload, kept between preview and confirmation (UPLOAD_DIR/imports/, JSON)."""

from __future__ import annotations

import json
import os
import re
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app

from app.core.db import utcnow
from app.members.importing.table import SourceRow, SourceTable

PENDING_MAX_AGE = timedelta(hours=1)
KINDS = ("xlsx", "csv")

# ---- the uploaded file between preview and confirmation --------------------------------------------

_TOKEN_OK = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def _pending_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "imports"


def _pending_file(token: str, kind: str) -> Path | None:
    """The path for a token the server made; None for anything else (never a client's path)."""
    if kind not in KINDS or not isinstance(token, str) or not _TOKEN_OK.match(token):
        return None
    return _pending_dir() / f"{token}.{kind}"


def save_pending(table: SourceTable, kind: str) -> str:
    """Keep the parsed rows of an upload until they are confirmed (preview and confirm read them back
    instead of parsing the file again); returns the token."""
    purge_stale_pending()
    directory = _pending_dir()
    directory.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    path = directory / f"{token}.{kind}"
    # saved_at first: purge_stale_pending reads it from the start of the file.
    document = {
        "saved_at": utcnow().isoformat(),
        "header_line": table.header_line,
        "columns": table.columns,
        "ignored": table.ignored,
        "rows": [[row.line, {k: _encode_cell(v) for k, v in row.values.items()}] for row in table.rows],
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False)
    return token


def load_pending(token: str, kind: str) -> SourceTable | None:
    """The parsed rows of a kept upload, or None when unknown or older than PENDING_MAX_AGE (app clock)."""
    path = _pending_file(token, kind)
    if path is None or not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        saved_at = datetime.fromisoformat(document["saved_at"])
        table = SourceTable(
            header_line=int(document["header_line"]),
            columns=dict(document["columns"]),
            ignored=list(document["ignored"]),
            rows=[
                SourceRow(int(line), {k: _decode_cell(v) for k, v in values.items()})
                for line, values in document["rows"]
            ],
        )
    except (ValueError, KeyError, TypeError):
        path.unlink(missing_ok=True)
        return None
    if utcnow() - saved_at > PENDING_MAX_AGE:
        path.unlink(missing_ok=True)
        return None
    return table


def _encode_cell(value: Any) -> Any:
    """A raw cell value as JSON (dates and times tagged, so they come back as they were read)."""
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # a time or a duration: read as text, as the checks do


def _decode_cell(value: Any) -> Any:
    if isinstance(value, dict):
        if "datetime" in value:
            return datetime.fromisoformat(value["datetime"])
        return date.fromisoformat(value["date"])
    return value


def discard_pending(token: str, kind: str) -> None:
    path = _pending_file(token, kind)
    if path is not None:
        path.unlink(missing_ok=True)


_SAVED_AT = re.compile(r'^\{"saved_at": "([^"]+)"')


def purge_stale_pending() -> int:
    """Delete kept uploads older than PENDING_MAX_AGE (abandoned previews); returns how many."""
    directory = _pending_dir()
    if not directory.is_dir():
        return 0
    limit = utcnow() - PENDING_MAX_AGE
    removed = 0
    for path in directory.iterdir():
        try:
            with path.open("r", encoding="utf-8", errors="replace") as handle:
                match = _SAVED_AT.match(handle.read(80))
            saved_at = datetime.fromisoformat(match.group(1)) if match else None
            if saved_at is None or saved_at < limit:
                path.unlink()
                removed += 1
        except (FileNotFoundError, IsADirectoryError, ValueError):
            continue  # another worker removed it first
    return removed
