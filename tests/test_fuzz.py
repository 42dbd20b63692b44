"""Abuse resistance: random and hostile input to every POST form of the app (issue 8, "Abuse").

For each POST row of the access matrix (tests/test_permissions.py) one viewer who may use the
form (the row's status for them is 200 or 302) posts what hypothesis makes of its fields: huge
strings (100 000 characters), control characters and NUL bytes, odd Unicode (RTL marks,
combining marks, emoji, zero-width characters), script tags and template syntax, numbers where
text goes and text where numbers, dates and ids go, missing fields, repeated fields, unknown
fields, and hostile files in file fields.

The properties:
- no answer is a 5xx (in testing a view's exception propagates, so a crash fails with its traceback);
- a redirect is followed and the page it leads to is no 5xx either (it shows what was stored);
- every error shown on an HTML page (next to a field, at the top of a form, in a flash message)
  is in Vietnamese, and no English WTForms message ("This field is required", "Not a valid …")
  appears anywhere in the answer.

The fields of a form are the row's own form data plus the names a crawl of the app's pages finds
in the forms that post to that endpoint (and a few listed by hand for forms no page shows, such
as the autosave request). Each test starts from the access matrix's organisation (built once per
module, put back before each test); each example gets a fresh client. FUZZ_EXAMPLES sets the number of examples per form (default 12).
"""

from __future__ import annotations

import html
import io
import os
import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException

from app.core.db import db
from tests.conftest import PASSWORD
from tests.test_permissions import (  # noqa: F401 (fixtures: the matrix's organisation, built once per module)
    MATRIX,
    PUBLIC_ENDPOINTS,
    ROLES,
    USERNAMES,
    Case,
    _clean_database,
    matrix,
    targets,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
# A failing 100 000-character example makes hypothesis warn that its repr is large; that is the point.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")

# ---- which forms, as whom ----------------------------------------------------------------------

# Who posts: the subject first (their own diary, plan, profile), then those above; anonymous only
# for the forms of signed-out visitors (login, forgotten password, links from emails).
PREFERENCE = (
    "member",
    "secretary",
    "officer_above",
    "admin",
    "member_same_branch",
    "member_other_branch",
    "secretary_other_branch",
    "officer_sibling",
    "anonymous",
)
SIGNED_OUT_FORMS = {"auth.login", "auth.forgot_password", "auth.reset_password", "auth.activate"}


def poster(case: Case) -> str:
    order = ("anonymous", *PREFERENCE[:-1]) if case.endpoint in SIGNED_OUT_FORMS else PREFERENCE
    for role in order:
        if case.expected[role] in (200, 302, 422) and not (
            role == "anonymous" and case.endpoint not in PUBLIC_ENDPOINTS
        ):
            return role
    raise AssertionError(f"nobody may post {case.id}")


POST_CASES = [case for case in MATRIX if case.method == "POST"]

# Fields of forms that no page renders as HTML (posted by scripts) or that a crawl may miss
# because the page shows them only in some states.
ENTRY_FIELDS = {
    "deed_date",
    "place",
    "action",
    "result",
    "lesson",
    "commitment_ids",
    "evidence",
    "entry_id",
    "lock_version",
    "save_draft",
    "submit",
}
KNOWN_FIELDS: dict[str, set[str]] = {
    "journal.autosave": ENTRY_FIELDS,
    "journal.new_entry": ENTRY_FIELDS,
    "journal.edit_entry": ENTRY_FIELDS,
    "offline.sync_entry": ENTRY_FIELDS | {"client_id"},
    "auth.login": {"login", "password", "remember", "submit"},
    "auth.change_password": {"current_password", "password", "confirm", "submit"},
    "auth.reset_password": {"password", "confirm", "submit"},
    "auth.activate": {"password", "confirm", "submit"},
    "auth.forgot_password": {"email", "submit"},
    "members.add": {
        "new-full_name",
        "new-birth_date",
        "new-email",
        "new-phone",
        "new-position",
        "new-role",
        "new-username",
        "new-send_invite",
        "new-submit",
        "existing-login",
        "existing-role",
        "existing-submit",
    },
    "members.edit": {"full_name", "birth_date", "email", "phone", "position", "submit"},
    "members.change_role": {"role", "submit"},
    "members.import_start": {"file"},
    "plans.edit": {
        "op",
        "lock_version",
        "shortcomings",
        *(
            f"breakthrough-{name}"
            for name in ("commitment_id", "standard_id", "action", "measure", "frequency", "deadline")
        ),
        *(
            f"commitments-{i}-{name}"
            for i in (0, 1)
            for name in ("commitment_id", "standard_id", "action", "measure", "frequency", "deadline")
        ),
        # indexes no page would send
        "commitments-99999-action",
        "commitments--1-action",
        "commitments-99999999999999999999-action",
        "commitments-x-deadline",
    },
    "plans.start": {"unit_id", "year", "submit"},
    "plans.return_plan": {"reason", "submit"},
    "review.month_comment": {"comment", "lock_version", "submit"},
    "review.sign": {"lock_version"},
    "review.reopen": {"reason", "submit"},
    "review.comment": {"body", "back", "submit"},
    "review.request_revision": {"reason", "submit"},
    "review.exemplary": {"note", "submit"},
    "standards.create": {"group", "title", "description", "submit"},
    "standards.edit": {"group", "title", "description", "submit"},
    "standards.adopt": {"catalogue", "submit"},
    "standards.theme": {"title", "description", "submit"},
    "units.create": {"name", "code", "kind", "place", "submit"},
    "units.edit": {"name", "code", "kind", "place", "submit"},
    "units.move": {"parent_id", "submit"},
    "notifications.settings": {"channel", "submit"},
}
FILE_FIELDS = {"evidence", "file"}

# ---- field names found by a crawl of the pages -----------------------------------------------------

FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ATTR_RE = re.compile(r'\b(action|method)="([^"]*)"', re.I)
NAME_RE = re.compile(r'<(?:input|textarea|select|button)\b[^>]*?\bname="([^"]+)"([^>]*)', re.I)

_crawled: dict[str, set[str]] = {}
_file_fields: set[str] = set(FILE_FIELDS)


def crawl(app, t: SimpleNamespace) -> dict[str, set[str]]:
    """Field names of every POST form on the matrix's GET pages, by the endpoint they post to.
    Done once per process: the forms do not depend on the database."""
    if _crawled:
        return _crawled
    adapter = app.url_map.bind("sonhatky.test")
    clients: dict[str, object] = {}
    for case in MATRIX:
        if case.method != "GET" or case.endpoint == "static":
            continue
        for role in ("member", "secretary", "officer_above", "admin", "anonymous"):
            if case.expected[role] != 200:
                continue
            if role not in clients:
                client = app.test_client()
                if role != "anonymous":
                    client.post("/login", data={"login": USERNAMES[role], "password": PASSWORD})
                clients[role] = client
            page_url = case.url(t)
            response = clients[role].get(page_url)
            if response.mimetype != "text/html":
                continue
            for attrs, body in FORM_RE.findall(response.get_data(as_text=True)):
                found = dict((k.lower(), v) for k, v in ATTR_RE.findall(attrs))
                if found.get("method", "get").lower() != "post":
                    continue
                action = html.unescape(found.get("action") or page_url)
                try:
                    endpoint, _ = adapter.match(urlsplit(action).path, method="POST")
                except HTTPException:
                    continue
                for name, rest in NAME_RE.findall(body):
                    _crawled.setdefault(endpoint, set()).add(html.unescape(name))
                    if 'type="file"' in rest:
                        _file_fields.add(html.unescape(name))
    db.session.remove()
    return _crawled


# ---- hostile values ----------------------------------------------------------------------------

HUGE = [
    "a" * 100_000,
    "Đoàn viên " * 10_000,
    "<script>alert(1)</script>" * 4_000,
    "\x00" * 100_000,
    "1" * 100_000,
    "\n" * 100_000,
    "😀" * 100_000,
]
HOSTILE = [
    "",
    " ",
    "\t\n\r",
    "\x00",
    "abc\x00def",
    "\x00\x01\x02\x1b[31m\x7f",
    "\r\n\r\nSet-Cookie: x=1",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{ 7*7 }}",
    "{% raw %}",
    "${7*7}",
    "%s%s%s%n",
    "'; DROP TABLE users; --",
    "' OR '1'='1",
    "\u202eTrần\u202c",
    "\u200f\u200e\u200b\u2060\ufeff",
    "e\u0301\u0302\u0303\u0304" * 50,
    "👨‍👩‍👧‍👦🏳️‍🌈",
    "ﷺ",
    "𝕳𝖔",
    "Ω≈ç√",
    "\uffff\ufffe",
    "\u0085\u2028\u2029",
    "../../../../etc/passwd",
    "C:\\Windows\\win.ini",
    "%00",
    "%2e%2e%2f",
    # wrong types: numbers, dates, ids, booleans
    "0",
    "-1",
    "1.5",
    "1e308",
    "NaN",
    "inf",
    "-0",
    "0x10",
    "99999999999999999999999",
    "9223372036854775808",
    "-9223372036854775809",
    "2147483648",
    "true",
    "null",
    "None",
    "[]",
    "{}",
    "31/02/2026",
    "00/00/0000",
    "99/99/99999",
    "2026-13-45",
    "29/02/2027",
    "01/01/0001",
    "31/12/9999",
    "1/1/1",
    "a/b/c",
    "01/01/-2026",
    "member",
    "admin",
    "sector_union",
    "branch",
    "weekly",
    "save",
    "submit",
    "delete",
]

safe_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
control_text = st.text(st.characters(categories=("Cc", "Cf", "Zl", "Zp", "Mn")), min_size=1, max_size=20)
numbers = st.one_of(st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True)).map(str)

value = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(HUGE),
    safe_text,
    control_text,
    numbers,
)

HOSTILE_NAMES = [
    "../../evil.png",
    "a\x00.png",
    "",
    ".htaccess",
    "x" * 300 + ".png",
    "ảnh đẹp.xlsx",
    "CON",
    "evil.php.png",
    "<script>.png",
    "..\\..\\win.ini",
    "thành viên.xlsx",
    "zip.zip",
]
HOSTILE_BYTES = [
    b"",
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 32,
    b"PK\x03\x04" + b"\x00" * 60,
    b"PK\x05\x06" + b"\x00" * 18,
    b"%PDF-1.4\n%%EOF",
    b"<html><script>alert(1)</script>",
    b"\xff\xd8\xff\xe0" + b"\x00" * 20,
    b"GIF89a" + b"\x00" * 20,
]
upload = st.builds(
    lambda content, name: (io.BytesIO(content), name),
    st.one_of(st.sampled_from(HOSTILE_BYTES), st.binary(max_size=300)),
    st.sampled_from(HOSTILE_NAMES),
)
MISSING = object()


def field_values(name: str, base: str | None):
    """One field: left out, as the row sends it, hostile, or repeated."""
    options = [st.just(MISSING), value, st.lists(value, min_size=2, max_size=3)]
    if base is not None:
        options.append(st.just(base))
        options.append(st.lists(st.sampled_from([base, "", "0"]), min_size=2, max_size=3))
    if name in _file_fields:
        options.append(upload)
        options.append(st.lists(upload, min_size=2, max_size=3))
    return st.one_of(options)


def form_data(fields: dict[str, str | None]):
    values = st.fixed_dictionaries({name: field_values(name, base) for name, base in sorted(fields.items())})
    extra = st.dictionaries(
        st.one_of(
            st.sampled_from(
                ["id", "user_id", "unit_id", "next", "_method", "csrf_token", "is_admin", "role"]
            ),
            safe_text,
        ),
        value,
        max_size=2,
    )
    return st.builds(
        lambda chosen, more: {**more, **{k: v for k, v in chosen.items() if v is not MISSING}},
        values,
        extra,
    )


# ---- what an answer must not be --------------------------------------------------------------------

ENGLISH = (
    "This field is required",
    "Not a valid",
    "Invalid Choice",
    "Invalid choice",
    "Invalid value",
    "Field must be",
    "Invalid email",
    "Invalid input",
    "Please enter",
    "The CSRF token",
    "is not a valid",
    "Internal Server Error",
    "Traceback (most recent call last)",
    "Selected file",
    "File required",
    "Field cannot be longer",
)
VIETNAMESE = re.compile("[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.I)
MESSAGE_RES = (
    re.compile(r'<div class="invalid-feedback"[^>]*>(.*?)</div>', re.S),
    re.compile(r'<div class="alert[^"]*"[^>]*role="alert"[^>]*>(.*?)</div>', re.S),
)
TAG_RE = re.compile(r"<[^>]+>")


def problems_in(response, where: str) -> list[str]:
    wrong = []
    if response.status_code >= 500:
        wrong.append(f"{where}: {response.status_code}")
    if response.mimetype not in ("text/html", "application/json"):
        return wrong
    text = response.get_data(as_text=True)
    wrong.extend(f"{where}: English message {phrase!r}" for phrase in ENGLISH if phrase in text)
    if response.mimetype == "text/html":
        for pattern in MESSAGE_RES:
            for raw in pattern.findall(text):
                message = html.unescape(TAG_RE.sub("", raw)).strip()
                if message and not VIETNAMESE.search(message):
                    wrong.append(f"{where}: message not in Vietnamese: {message[:200]!r}")
    return wrong


EXPLICIT = (
    lambda names, base: {},  # nothing at all
    lambda names, base: dict.fromkeys(names, "1" * 100_000),  # a 100 000-digit number everywhere
    lambda names, base: dict.fromkeys(names, "a" * 100_000),
    lambda names, base: dict.fromkeys(names, "\x00"),
    lambda names, base: dict.fromkeys(names, "99999999999999999999999"),
    lambda names, base: dict.fromkeys(names, "-1"),
    lambda names, base: dict.fromkeys(names, "<script>alert(1)</script>"),
    lambda names, base: {n: [b or "1", "x"] for n, b in base.items()},  # every field twice
)


def describe(data: dict) -> dict:
    """The posted data, short enough to read in a failure report."""

    def short(v):
        if isinstance(v, list):
            return [short(x) for x in v]
        if isinstance(v, tuple):
            return ("<file>", v[1][:60], len(v[0].getvalue()))
        return v if len(v) <= 60 else f"{v[:20]!r}… ({len(v)} chars)"

    return {k: short(v) for k, v in data.items()}


# ---- the test ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", POST_CASES, ids=[c.id + f"-{poster(c)}" for c in POST_CASES])
def test_hostile_input_never_breaks_a_form(app, targets, case):  # noqa: F811
    role = poster(case)
    fields: dict[str, str | None] = {name: None for name in crawl(app, targets).get(case.endpoint, ())}
    fields.update({name: None for name in KNOWN_FIELDS.get(case.endpoint, ())})
    fields.update({k: (v if isinstance(v, str) else str(v)) for k, v in case.data(targets).items()})
    url = case.url(targets)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        # No shrinking: a 100 000-character example shrinks for minutes; the failure message
        # already names the endpoint and a readable digest of what was posted.
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )
    @given(data=form_data(fields))
    def post(data):
        client = app.test_client()
        if role != "anonymous":
            logged_in = client.post("/login", data={"login": USERNAMES[role], "password": PASSWORD})
            assert logged_in.status_code == 302, f"could not log in as {role}"
        where = f"POST {url} as {role} with {describe(data)}"
        try:
            response = client.post(url, data=data, follow_redirects=True)
            wrong = problems_in(response, where)
            for earlier in response.history:
                wrong.extend(problems_in(earlier, where))
        finally:
            db.session.rollback()
            db.session.remove()
        assert not wrong, "\n".join(wrong)

    # Every form also gets the same few blunt examples, so the run does not depend on luck.
    names = sorted(fields)
    for blunt in EXPLICIT:
        post = example(data=blunt(names, fields))(post)
    # the row's own data with one field a 100 000-digit number: reaches the code past validation
    for name in names:
        valid = {n: b or "" for n, b in fields.items()}
        post = example(data={**valid, name: "9" * 100_000})(post)
    post()


def test_every_post_row_is_fuzzed():
    """Each POST rule of the matrix has a viewer who may post to it (so none is left out)."""
    assert {case.endpoint for case in POST_CASES} == {
        case.endpoint for case in MATRIX if case.method == "POST"
    }
    assert all(poster(case) in ROLES for case in POST_CASES)


# ---- hostile integers in paths and query strings (issue 16) -----------------------------------------

APP_DIR = Path(__file__).resolve().parents[1] / "app"
ARG_RE = re.compile(r"""request\.args\.get\(\s*["'](\w+)["']""")
HUGE_INTEGERS = ["99999999999999999999", "-2147483649", "9223372036854775808", "1" * 5000, "-1", "0"]
HOSTILE_DATES = ["9999-12-31", "0001-01-01", "99999-01-01"]


def query_names() -> set[str]:
    """Every query-string name the app reads (request.args.get("…") anywhere under app/)."""
    return {name for path in APP_DIR.rglob("*.py") for name in ARG_RE.findall(path.read_text())}


GET_CASES = [case for case in MATRIX if case.method == "GET" and case.endpoint != "static"]


def reader(case: Case) -> str:
    for role in ("member", "secretary", "officer_above", "admin", "anonymous"):
        if case.expected[role] == 200:
            return role
    return "anonymous"


def test_the_attack_urls_answer_without_a_server_error(app, targets):  # noqa: F811
    """The two URLs of the attack report (OverflowError before the bounded parser)."""
    client = app.test_client()
    client.post("/login", data={"login": USERNAMES["officer_above"], "password": PASSWORD})
    for url in (
        "/diary/timeline?before_date=9999-12-31&before_id=99999999999999999999",
        f"/units/{targets.branch}/reports/commendations?scope=99999999999999999999",
        "/units/99999999999999999999",
        f"/units/{targets.branch}/reports/commendations?scope=-99999999999999999999&month=99999999999999999999",
    ):
        assert client.get(url).status_code < 500, url


@pytest.mark.parametrize("case", GET_CASES, ids=[c.id + f"-{reader(c)}" for c in GET_CASES])
def test_hostile_integers_never_break_a_page(app, targets, case):  # noqa: F811
    """Every query-string name the app reads, and every integer in the path, set to integers far
    beyond any column (and dates beyond any calendar): no answer is a server error."""
    role = reader(case)
    client = app.test_client()
    if role != "anonymous":
        client.post("/login", data={"login": USERNAMES[role], "password": PASSWORD})
    path, _, query = case.url(targets).partition("?")
    names = sorted(query_names())
    wrong = []
    for value in HUGE_INTEGERS:
        params = dict(parse_qsl(query))
        params.update({name: (HOSTILE_DATES[0] if "date" in name else value) for name in names})
        url = f"{path}?{urlencode(params)}"
        if (status := client.get(url).status_code) >= 500:
            wrong.append(f"{url[:300]}: {status}")
        for match in re.finditer(r"(?<=/)\d+(?=/|$)", path):
            url = path[: match.start()] + value + path[match.end() :]
            if (status := client.get(url).status_code) >= 500:
                wrong.append(f"{url[:300]}: {status}")
        db.session.rollback()
    for day in HOSTILE_DATES:
        params = {name: day for name in names if "date" in name or name in {"date", "day"}}
        url = f"{path}?{urlencode({**dict(parse_qsl(query)), **params})}"
        if (status := client.get(url).status_code) >= 500:
            wrong.append(f"{url[:300]}: {status}")
    db.session.remove()
    assert not wrong, "\n".join(wrong)


def test_every_query_integer_is_fuzzed():
    """The names above come from the source, so a new ?name= is fuzzed without editing this file."""
    names = query_names()
    assert {"before_id", "before_date", "scope", "page", "year", "month", "user_id", "unit_id"} <= names
