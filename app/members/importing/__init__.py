"""Importing member lists from .xlsx or .csv: read, check every row, then create the good ones.

The flow is the same for the web page and `flask import-members`:
`detect_kind` + `read_table` (reading) turn the bytes into rows under a recognised header (table),
or raise ImportFileError with a Vietnamese message; `check_rows` (validating) checks each row for
the acting user without writing anything; between preview and confirmation the parsed rows wait
in a file (pending); `import_rows` (applying) creates the accounts of the good rows in the current
transaction; the caller commits once, so a list is imported whole or not at all. The template a
unit fills in comes from `build_template` (template).

Callers use the names below through this package (`importing.read_table(...)`), so a test may
replace one of them here.
"""

from app.members.importing.applying import import_rows, send_invitations, system_actor
from app.members.importing.pending import (
    KINDS,
    PENDING_MAX_AGE,
    discard_pending,
    load_pending,
    purge_stale_pending,
    save_pending,
)
from app.members.importing.reading import (
    EXCEL_MAX_ROWS,
    MAX_COLUMNS,
    MAX_COMPRESSION_RATIO,
    MAX_EMPTY_ROWS,
    MAX_UNZIPPED_BYTES,
    MAX_UPLOAD_BYTES,
    MAX_XML_TAGS,
    MAX_ZIP_ENTRIES,
    detect_kind,
    read_table,
)
from app.members.importing.table import (
    HEADER_ALIASES,
    HEADER_SCAN_ROWS,
    NO_HEADER_MESSAGE,
    ImportFileError,
    SourceRow,
    SourceTable,
    header_key,
)
from app.members.importing.template import TEMPLATE_HEADERS, build_template, subtree_units
from app.members.importing.validating import (
    EMAIL_MAX,
    NAME_MAX,
    POSITION_MAX,
    ROLE_ALIASES,
    ImportReport,
    RowResult,
    check_email_format,
    check_phone,
    check_rows,
    parse_birth_date,
    parse_role,
)

__all__ = [
    "EMAIL_MAX",
    "EXCEL_MAX_ROWS",
    "HEADER_ALIASES",
    "HEADER_SCAN_ROWS",
    "KINDS",
    "MAX_COLUMNS",
    "MAX_COMPRESSION_RATIO",
    "MAX_EMPTY_ROWS",
    "MAX_UNZIPPED_BYTES",
    "MAX_UPLOAD_BYTES",
    "MAX_XML_TAGS",
    "MAX_ZIP_ENTRIES",
    "NAME_MAX",
    "NO_HEADER_MESSAGE",
    "PENDING_MAX_AGE",
    "POSITION_MAX",
    "ROLE_ALIASES",
    "TEMPLATE_HEADERS",
    "ImportFileError",
    "ImportReport",
    "RowResult",
    "SourceRow",
    "SourceTable",
    "build_template",
    "check_email_format",
    "check_phone",
    "check_rows",
    "detect_kind",
    "discard_pending",
    "header_key",
    "import_rows",
    "load_pending",
    "parse_birth_date",
    "parse_role",
    "purge_stale_pending",
    "read_table",
    "save_pending",
    "send_invitations",
    "subtree_units",
    "system_actor",
]
