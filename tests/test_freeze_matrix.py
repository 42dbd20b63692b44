"""The freeze matrix: every mutating URL rule × every lock state that applies × the roles that could
otherwise do it (DESIGN.md §6 "What freezes what"), like the access matrix of test_permissions.

Each row names a POST rule, how to build its request from the organisation of test_permissions
(`targets`: Chi đoàn Văn phòng, its member Nguyễn Thị Mỹ Duyên with a submitted entry, evidence
and a draft, plans, an open grading round on the Đoàn Khối's own framework), the roles that may
do it while nothing is frozen, and the lock states that freeze its object. The expected answer:

- open: the request passes the lock model (never a 409; what else it answers is the access
  matrix's business);
- in each lock state of the row: 409 with the lock's reason and who may reopen it, and not one
  row of the database changed — and the member's signed month still verifies "authentic and
  current" on its PDF's number after every refused attempt.

A row with no lock states says why none applies. `test_every_mutating_rule_has_a_row` fails when
the app gains a POST/PUT/PATCH/DELETE rule this table does not list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from app.core import locks
from app.core.db import db, utcnow
from app.core.enums import ContentGroup, Role
from app.core.filters import today_local
from tests.conftest import PASSWORD
from tests.test_permissions import (  # noqa: F401 — fixtures: the organisation built in one transaction
    RULES,
    USERNAMES,
    entry_form,
    make_unit,
    make_user,
    offline_entry,
    plan_form,
)
from tests.test_permissions import org_targets as targets  # noqa: F401 — the organisation, fresh per test

OPEN, SIGNED, CLOSED, RATIFIED, IN_USE = (
    "open",
    "signed_month",
    "closed_year",
    "ratified_round",
    "framework_in_use",
)
LOCK_STATES = (SIGNED, CLOSED, RATIFIED, IN_USE)
# What each refusal must say: who may reopen, in the lock's own words (app.core.locks).
REASONS = {
    SIGNED: "mở lại tháng (kèm lý do)",
    CLOSED: "mở lại được năm đã khóa sổ",
    RATIFIED: "mở lại được kết quả đã công nhận",
    IN_USE: "sao chép thành phiên bản mới",
}
ROLE_USERS = {**USERNAMES, "member_no_plan": "doanvien3"}

NO_RECORD = "accounts, units and settings: no lock freezes them"
A_DOCUMENT = "makes a document of the record (a PDF, a ZIP); changes none of it"


@dataclass
class Row:
    endpoint: str
    url: Callable[[SimpleNamespace], str]
    roles: tuple[str, ...]  # who may do it while nothing is frozen
    locks: tuple[str, ...]  # the lock states that freeze its object
    data: Callable[[SimpleNamespace], dict] = field(default=lambda t: {})
    why: str = ""  # when no lock applies
    method: str = "POST"
    # The lock that answers in every state of the row, when it is not the state's own: a framework
    # is frozen by its use (a ratified round, a closed year's round, were submitted on it).
    answered_by: str | None = None
    # What a lock answers: 409 with the reason; the phone's sync answers 422 "refused, with the reason"
    # (409 there means an edit conflict, which the phone resolves with both versions).
    frozen_status: int = 409

    @property
    def id(self) -> str:
        return self.endpoint


def meeting_form(t) -> dict:
    data = {
        "meeting_date": today_local().strftime("%d/%m/%Y"),
        "chair_name": "Trần Quốc Bảo",
        "recorder_name": "Võ Thị Lan",
        "meeting_place": "Hội trường",
    }
    for rating_id, level_id in t.meeting_lines:
        data[f"present-{rating_id}"] = "1"
        data[f"level-{rating_id}"] = str(level_id)
        data[f"agree-{rating_id}"] = "5"
        data[f"total-{rating_id}"] = "5"
    return data


def branch_month(t) -> str:
    return f"/units/{t.branch}/review/{t.person}/{t.year}/{t.month}"


DIARY = (SIGNED, CLOSED)
ROUND = (RATIFIED, CLOSED)
FRAMEWORK = (IN_USE, RATIFIED, CLOSED)

# fmt: off
FREEZE = [
    # -- accounts, units, members, notifications: not records of a period -----------------------------
    Row("auth.login", lambda t: "/login", (), (), why=NO_RECORD),
    Row("auth.logout", lambda t: "/logout", (), (), why=NO_RECORD),
    Row("auth.change_password", lambda t: "/account/password", (), (), why=NO_RECORD),
    Row("auth.forgot_password", lambda t: "/forgot-password", (), (), why=NO_RECORD),
    Row("auth.reset_password", lambda t: "/reset-password/x", (), (), why=NO_RECORD),
    Row("auth.activate", lambda t: "/activate/x", (), (), why=NO_RECORD),
    Row("units.create", lambda t: "/units/new", (), (), why=NO_RECORD),
    Row("units.edit", lambda t: f"/units/{t.branch}/edit", (), (), why=NO_RECORD),
    Row("units.move", lambda t: f"/units/{t.branch}/move", (), (), why=NO_RECORD),
    Row("members.add", lambda t: f"/units/{t.branch}/members/add", (), (), why=NO_RECORD),
    Row("members.import_start", lambda t: f"/units/{t.branch}/import", (), (), why=NO_RECORD),
    Row("members.import_confirm", lambda t: f"/units/{t.branch}/import/confirm", (), (), why=NO_RECORD),
    Row("members.import_cancel", lambda t: f"/units/{t.branch}/import/cancel", (), (), why=NO_RECORD),
    Row("members.change_role", lambda t: f"/memberships/{t.membership}/role", (), (), why=NO_RECORD),
    Row("members.remove", lambda t: f"/memberships/{t.membership}/remove", (), (), why=NO_RECORD),
    Row("members.edit", lambda t: f"/people/{t.person}/edit", (), (), why=NO_RECORD),
    Row("members.invite", lambda t: f"/people/{t.newcomer}/invite", (), (), why=NO_RECORD),
    Row("members.deactivate", lambda t: f"/people/{t.person}/deactivate", (), (), why=NO_RECORD),
    Row("members.reactivate", lambda t: f"/people/{t.person}/reactivate", (), (), why=NO_RECORD),
    Row("members.answer_invitation", lambda t: "/invitations/1/accept", (), (), why=NO_RECORD),
    Row("notifications.read_all", lambda t: "/notifications/read-all", (), (), why=NO_RECORD),
    Row("notifications.settings", lambda t: "/notifications/settings", (), (), why=NO_RECORD),
    Row("export.export_member", lambda t: f"/units/{t.branch}/members/{t.person}/documents/month", (), (), why=A_DOCUMENT),
    Row("export.export_unit", lambda t: f"/units/{t.branch}/documents/golden-book", (), (), why=A_DOCUMENT),
    Row("jobs.unit_exports", lambda t: f"/units/{t.branch}/exports", (), (), why=A_DOCUMENT),

    # -- the diary: the member's entries, by the ENTRY'S own branch --------------------------------------
    Row("journal.new_entry", lambda t: f"/diary/entries/new?unit_id={t.branch}", ("member",), DIARY,
        data=lambda t: {**entry_form(t), "commitment_ids": str(t.commitment)}),
    Row("journal.edit_entry", lambda t: f"/diary/entries/{t.draft_entry}/edit", ("member",), DIARY, data=entry_form),
    Row("journal.submit_entry", lambda t: f"/diary/entries/{t.draft_entry}/submit", ("member",), DIARY),
    Row("journal.delete_entry", lambda t: f"/diary/entries/{t.draft_entry}/delete", ("member",), DIARY),
    Row("journal.autosave", lambda t: f"/diary/entries/autosave?unit_id={t.branch}", ("member",), DIARY,
        data=lambda t: {"entry_id": str(t.draft_entry), "action": "Đang viết thêm"}),
    Row("journal.delete_evidence", lambda t: f"/diary/evidence/{t.evidence}/delete", ("member",), DIARY),
    Row("offline.sync_entry", lambda t: f"/diary/sync/entries?unit_id={t.branch}", ("member",), DIARY,
        data=offline_entry, frozen_status=422),

    # -- review: everything the month's PDF prints ------------------------------------------------------
    Row("review.comment", lambda t: f"/review/entries/{t.entry}/comment", ("member", "secretary"), DIARY,
        data=lambda t: {"body": "Thêm một nhận xét", "back": "entry"}),
    Row("review.mark_reviewed", lambda t: f"/review/entries/{t.entry}/reviewed", ("secretary",), DIARY),
    Row("review.request_revision", lambda t: f"/review/entries/{t.entry}/revision", ("secretary",), DIARY,
        data=lambda t: {"reason": "Ghi rõ số liệu."}),
    Row("review.exemplary", lambda t: f"/review/entries/{t.entry}/exemplary", ("secretary",), DIARY,
        data=lambda t: {"note": "Gương sáng"}),
    Row("review.unexemplary", lambda t: f"/review/entries/{t.entry}/unexemplary", ("secretary",), DIARY),
    Row("review.month_comment", lambda t: f"{branch_month(t)}/comment", ("secretary", "officer_above"), DIARY,
        data=lambda t: {"comment": "Sửa nhận xét tháng", "lock_version": str(t.month_version)}),
    # signing a signed month is not a change of it; in a closed year it is refused
    Row("review.sign", lambda t: f"{branch_month(t)}/sign", ("secretary",), (CLOSED,),
        data=lambda t: {"lock_version": str(t.month_version)}),
    # reopening a signed month is the way out of its lock; a closed year keeps it shut
    Row("review.reopen", lambda t: f"{branch_month(t)}/reopen", ("secretary",), (CLOSED,),
        data=lambda t: {"reason": "Bổ sung minh chứng"}),

    # -- plans of the year ---------------------------------------------------------------------------------
    Row("plans.start", lambda t: "/plans/start", ("member_no_plan",), (CLOSED,),
        data=lambda t: {"unit_id": t.branch, "year": t.year}),
    Row("plans.start_for", lambda t: f"/units/{t.branch}/plans/start?user_id={t.newcomer}&year={t.year}",
        ("secretary",), (CLOSED,)),
    Row("plans.edit", lambda t: f"/plans/{t.draft}/edit", ("member_same_branch", "secretary"), (CLOSED,), data=plan_form),
    Row("plans.submit", lambda t: f"/plans/{t.draft}/submit", ("member_same_branch", "secretary"), (CLOSED,)),
    Row("plans.approve", lambda t: f"/plans/{t.plan}/approve", ("secretary",), (CLOSED,)),
    Row("plans.return_plan", lambda t: f"/plans/{t.plan}/return", ("secretary",), (CLOSED,),
        data=lambda t: {"reason": "Việc 2 còn chung chung."}),
    Row("plans.revise", lambda t: f"/plans/{t.plan}/revise", ("member",), (CLOSED,)),

    # -- standards and the theme of the branch's year -----------------------------------------------------
    Row("standards.create", lambda t: f"/units/{t.branch}/standards/new?year={t.year}", ("secretary", "officer_above"),
        (CLOSED,), data=lambda t: {"group": "ethics", "title": "Tiết kiệm điện, nước"}),
    Row("standards.edit", lambda t: f"/standards/{t.year_standard}/edit", ("secretary", "officer_above"), (CLOSED,),
        data=lambda t: {"group": "discipline", "title": "Đúng giờ, đúng hạn (sửa)"}),
    Row("standards.deactivate", lambda t: f"/standards/{t.year_standard}/deactivate", ("secretary",), (CLOSED,)),
    Row("standards.reactivate", lambda t: f"/standards/{t.year_standard}/reactivate", ("secretary",), (CLOSED,)),
    Row("standards.adopt", lambda t: f"/units/{t.branch}/standards/adopt?year={t.year}", ("secretary",), (CLOSED,),
        data=lambda t: {"catalogue": "3-tot"}),
    Row("standards.copy_previous", lambda t: f"/units/{t.branch}/standards/copy-previous?year={t.year}",
        ("secretary",), (CLOSED,)),
    Row("standards.theme", lambda t: f"/units/{t.branch}/theme?year={t.year}", ("secretary",), (CLOSED,),
        data=lambda t: {"title": "Chuyên đề đã sửa"}),

    # -- grading ------------------------------------------------------------------------------------------
    Row("grading.open_round", lambda t: f"/grading/{t.branch}/{t.year}/open", ("secretary",), (CLOSED,),
        data=lambda t: {"framework_id": str(t.own_framework), "reconsider_days": "10"}),
    Row("grading.me", lambda t: f"/grading/{t.branch}/{t.year}/me", ("member",), ROUND,
        data=lambda t: {"action": "save", "ethics": "Giản dị"}),
    Row("grading.propose", lambda t: f"/grading/{t.branch}/{t.year}/members/{t.person}/propose", ("secretary",),
        ROUND, data=lambda t: {"level_id": str(t.top_level), "comment": "Xuất sắc"}),
    Row("grading.meeting", lambda t: f"/grading/{t.branch}/{t.year}/meeting", ("secretary",), ROUND, data=meeting_form),
    Row("grading.submit", lambda t: f"/grading/{t.branch}/{t.year}/submit", ("secretary",), ROUND),
    Row("grading.ratify", lambda t: f"/grading/{t.branch}/{t.year}/ratify", ("officer_above",), ROUND),
    Row("grading.send_back", lambda t: f"/grading/{t.branch}/{t.year}/return", ("officer_above",), ROUND,
        data=lambda t: {"reason": "Chưa đủ biên bản"}),
    # after ratification the member answers and the level above reopens or answers: only a closed year stops them
    Row("grading.acknowledge", lambda t: f"/grading/{t.branch}/{t.year}/me/acknowledge", ("member",), (CLOSED,)),
    Row("grading.reconsider", lambda t: f"/grading/{t.branch}/{t.year}/me/reconsider", ("member",), (CLOSED,),
        data=lambda t: {"rc-reason": "Đề nghị xem xét lại kết quả của tôi"}),
    Row("grading.reopen", lambda t: f"/grading/{t.branch}/{t.year}/reopen", ("officer_above",), (CLOSED,),
        data=lambda t: {"reason": "Khiếu nại có căn cứ"}),
    Row("grading.answer", lambda t: f"/grading/{t.branch}/{t.year}/members/{t.person}/answer", ("officer_above",),
        (CLOSED,), data=lambda t: {"answer": "Giữ nguyên"}),
    Row("grading.quarter", lambda t: f"/grading/{t.branch}/{t.year}/quarters/1", ("secretary",), (CLOSED,),
        data=lambda t: {f"q-{t.person}": str(t.top_level)}),
    Row("grading.close_year", lambda t: f"/grading/{t.branch}/{t.year}/close", ("secretary", "officer_above"), (CLOSED,)),
    Row("grading.reopen_year", lambda t: f"/grading/{t.branch}/{t.year}/reopen-year", ("officer_above",), (),
        data=lambda t: {"reason": "Bổ sung kết quả khiếu nại"}, why="the way out of a closed year (the level above, with a reason)"),
    Row("grading.frameworks", lambda t: f"/grading/frameworks/{t.root}", ("officer_above",), (),
        data=lambda t: {"source_id": str(t.own_framework), "name": "Khung mới"}, why="a copy is the way to change a framework in use"),
    Row("grading.framework_edit", lambda t: f"/grading/frameworks/{t.root}/{t.own_framework}", ("officer_above",),
        FRAMEWORK, answered_by=IN_USE, data=lambda t: {"name": "Khung đã sửa", f"name-{t.top_level}": "Không hoàn thành nhiệm vụ (sửa sau công nhận)"}),
    Row("grading.criterion_save", lambda t: f"/grading/frameworks/{t.root}/{t.own_framework}/criteria", ("officer_above",),
        FRAMEWORK, answered_by=IN_USE, data=lambda t: {"new-text": "Tiêu chí thêm sau"}),
    Row("grading.criterion_delete",
        lambda t: f"/grading/frameworks/{t.root}/{t.own_framework}/criteria/{t.own_criterion}/delete",
        ("officer_above",), FRAMEWORK, answered_by=IN_USE),
]
# fmt: on


def _state_rows(state: str) -> list[Row]:
    return [row for row in FREEZE if state in row.locks]


# ---- the organisation in each state -----------------------------------------------------------------


@pytest.fixture
def world(org, targets, make_user):  # noqa: F811 — the fixtures imported above
    """test_permissions' targets, plus what the freeze rows need: a member without a plan, a standard
    of this year in the branch, the member's commitment, the framework's levels, the meeting's lines."""
    from app.grading import services as grading
    from app.grading.models import Framework
    from app.plans.models import Plan
    from app.standards.models import Standard

    make_user("doanvien3", org.branch, Role.MEMBER, full_name="Lê Thị Ba")
    standard = Standard(
        unit_id=org.branch.id, year=targets.year, group=ContentGroup.ETHICS, title="Chuẩn mực của chi"
    )
    db.session.add(standard)
    framework = db.session.get(Framework, targets.own_framework)
    grading_round = grading.get_round(org.branch, targets.year)
    grading.sync_members(grading_round)
    db.session.commit()
    top = framework.levels[0]
    plan = db.session.get(Plan, targets.plan)
    targets.year_standard = standard.id
    targets.commitment = plan.commitments[0].id
    targets.top_level = top.id
    targets.meeting_lines = [(r.id, top.id) for r in grading_round.ratings]
    targets.month_version = 0
    return targets


def _seal_month(org, t) -> None:
    """Sign the member's month as the app does (SHA-256 of what it holds, draft included): as if
    the draft had been written before the month was signed."""
    from app.journal import services as journal
    from app.review import hashing
    from app.review.models import MonthReview

    entries = journal.month_entries(org.member, org.branch, t.year, t.month)
    review = MonthReview(
        user_id=org.member.id, unit_id=org.branch.id, year=t.year, month=t.month, comment="Tốt."
    )
    content = hashing.canonical_json(
        hashing.month_content(org.member.id, org.branch.id, t.year, t.month, entries, review.comment)
    )
    review.signed_content = content
    review.content_hash = hashing.sha256_hex(content)
    review.signed_at = utcnow()
    review.signed_by_id = org.secretary.id
    db.session.add(review)
    db.session.commit()
    t.month_version = review.lock_version


def _submit_round(org, t):
    from app.grading import services as grading
    from tests.test_grading import finish_meeting, go_ahead

    grading_round = grading.get_round(org.branch, t.year)
    finish_meeting(grading_round, org.secretary)
    grading.submit_round(org.secretary, grading_round, go_ahead(grading_round, "submit"))
    db.session.commit()
    return grading_round


def _ratify_round(org, t):
    from app.grading import services as grading
    from tests.test_grading import go_ahead

    grading_round = _submit_round(org, t)
    grading.ratify_round(org.officer_root, grading_round, go_ahead=go_ahead(grading_round, "ratify"))
    db.session.commit()
    return grading_round


def put_in_state(state: str, org, t) -> None:
    from app.grading import services as grading

    if state == SIGNED:
        _seal_month(org, t)
        assert locks.is_month_signed(org.member.id, org.branch.id, t.year, t.month)
    elif state == IN_USE:
        _submit_round(org, t)
    elif state == RATIFIED:
        _ratify_round(org, t)
    elif state == CLOSED:
        _seal_month(org, t)
        _ratify_round(org, t)
        grading.close_year(org.secretary, org.branch, t.year)
        db.session.commit()
        assert locks.is_year_closed(org.branch.id, t.year)


# ---- what "unchanged" means ------------------------------------------------------------------------------


def fingerprint() -> dict[str, str]:
    """A digest of every row of every table, read on a connection of its own (what is committed)."""
    db.session.rollback()
    digest = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = conn.execute(table.select().order_by(*table.primary_key.columns)).all()
            digest[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digest


def _clients(app, roles) -> dict:
    clients = {}
    for role in roles:
        client = app.test_client()
        response = client.post("/login", data={"login": ROLE_USERS[role], "password": PASSWORD})
        assert response.status_code == 302, f"could not log in as {role}"
        clients[role] = client
    return clients


# ---- the matrix -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", LOCK_STATES)
def test_frozen(app, org, world, state):
    """Every row that the state freezes, as every role that could otherwise do it: 409 with the
    lock's reason, nothing changed, and the signed month's PDF still authentic and current."""
    from app.export import services as export

    t = world
    put_in_state(state, org, t)
    rows = _state_rows(state)
    assert rows, state
    clients = _clients(app, {role for row in rows for role in row.roles})
    pdf = None
    if state in (SIGNED, CLOSED):
        pdf = export.export_member_month(
            org.secretary, org.member, org.branch, t.year, t.month
        ).document.number
        db.session.commit()
    before = fingerprint()
    wrong = []
    for row in rows:
        for role in row.roles:
            url = row.url(t)
            response = clients[role].open(url, method=row.method, data=row.data(t))
            body = response.json["message"] if response.is_json else response.get_data(as_text=True)
            where = f"{row.method} {url} as {role} in {state}"
            if response.status_code != row.frozen_status:
                wrong.append(f"{where}: {response.status_code}, expected {row.frozen_status}")
            elif (reason := REASONS[row.answered_by or state]) not in body:
                wrong.append(f"{where}: {row.frozen_status} without the lock's reason ({reason!r})")
            after = fingerprint()
            if after != before:
                changed = sorted(name for name in after if after[name] != before[name])
                wrong.append(f"{where}: changed {', '.join(changed)}")
                before = after
            if pdf is not None and export.verify_document(pdf).status != export.CURRENT:
                wrong.append(f"{where}: the signed month's PDF no longer verifies as current")
                pdf = None
    assert not wrong, "\n".join(wrong)


OPEN_ROWS = [row for row in FREEZE if row.roles]


@pytest.mark.parametrize("row", OPEN_ROWS, ids=[row.id for row in OPEN_ROWS])
def test_open(app, org, world, row):
    """Nothing frozen: the lock model lets every role that may do it through (never refused by a lock)."""
    t = world
    wrong = []
    for role, client in _clients(app, row.roles).items():
        response = client.open(row.url(t), method=row.method, data=row.data(t))
        body = response.get_data(as_text=True)
        # A 409 may be a conflict with an edit made meanwhile (the role before saved first); a lock
        # refusal says who may reopen.
        refused = response.status_code == row.frozen_status and (
            "locked" in body or any(r in body for r in REASONS.values())
        )
        if refused or response.status_code >= 500:
            wrong.append(f"{row.method} {row.url(t)} as {role}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def test_every_mutating_rule_has_a_row():
    """A new POST/PUT/PATCH/DELETE rule fails here until the table says which locks freeze it."""
    in_app = {
        (endpoint, method) for rules in RULES.values() for endpoint, method in rules if method in MUTATING
    }
    in_table = {(row.endpoint, row.method) for row in FREEZE}
    missing = sorted(in_app - in_table)
    assert not missing, "Mutating rules without a row in the freeze matrix: " + ", ".join(
        f"{method} {endpoint}" for endpoint, method in missing
    )
    stale = sorted(in_table - in_app)
    assert not stale, "Freeze rows for rules the app no longer has: " + ", ".join(
        f"{m} {e}" for e, m in stale
    )


def test_every_row_says_what_freezes_it_or_why_nothing_does():
    for row in FREEZE:
        assert set(row.locks) <= set(LOCK_STATES), row.id
        assert row.locks or row.why, f"{row.id}: no lock state and no reason why none applies"
        assert not row.locks or row.roles, (
            f"{row.id}: a frozen row needs the roles that could otherwise do it"
        )
