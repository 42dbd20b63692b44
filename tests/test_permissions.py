"""The access matrix: every URL rule × every position a person can hold × every method.

Each row names an endpoint, a method, how to build the URL (and form data) from the `org`
fixture, and the status each of nine viewers gets. A unit or person someone may not see is a
404 (no hint that it exists); an action on something they may see but not do is a 403;
anonymous visitors of a private page are sent to the login page (302).

The subject of every row is Chi đoàn Văn phòng (`org.branch`) and its member Nguyễn Thị Mỹ
Duyên (`org.member`), so "member" below is the person themselves.

`test_every_url_rule_is_in_the_matrix` fails when the app has a rule this table does not
list: a new view must come with its row.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.auth import services as auth_services
from app.core.db import db
from app.core.enums import Role
from app.mail.services import send_mail
from app.units.models import Membership
from tests.conftest import PASSWORD, build_org
from tests.helpers import DatabaseSnapshot, files_under

ROLES = (
    "anonymous",
    "member",  # the subject person, a đoàn viên of the branch
    "member_same_branch",
    "member_other_branch",
    "secretary",  # of the subject's branch
    "secretary_other_branch",
    "officer_above",  # of the Đoàn Khối over everything
    "officer_sibling",  # of the other Đoàn cơ sở
    "admin",
)
USERNAMES = {
    "member": "doanvien",
    "member_same_branch": "doanvien2",
    "member_other_branch": "doanvienb",
    "secretary": "bithu",
    "secretary_other_branch": "bithub",
    "officer_above": "canbo",
    "officer_sibling": "canbo2",
    "admin": "quantri",
}


def row(*statuses: int) -> dict[str, int]:
    """Statuses in the order of ROLES."""
    assert len(statuses) == len(ROLES)
    return dict(zip(ROLES, statuses, strict=True))


@dataclass
class Case:
    endpoint: str
    method: str
    url: Callable[[SimpleNamespace], str]
    expected: dict[str, int]
    data: Callable[[SimpleNamespace], dict] = field(default=lambda t: {})
    variant: str = ""

    @property
    def id(self) -> str:
        return f"{self.endpoint}{'[' + self.variant + ']' if self.variant else ''}-{self.method}"


NEW_PASSWORD = {"password": "matkhaumoi456", "confirm": "matkhaumoi456"}
NEW_MEMBER = {"new-full_name": "Lý Thị Hồng Nhung", "new-role": "member", "new-submit": "1"}
BRANCH_FORM = {"name": "Chi đoàn Văn phòng Sở", "code": "CDA", "kind": "branch", "place": "Sóc Trăng"}


def plan_form(t) -> dict:
    return {
        "op": "save",
        "lock_version": "1",
        "shortcomings": "Hạn chế",
        "breakthrough-standard_id": str(t.plan_standard),
        "breakthrough-action": "Đột phá",
        "breakthrough-measure": "Đo",
        "breakthrough-frequency": "weekly",
        "breakthrough-deadline": f"31/12/{t.year}",
        "commitments-0-standard_id": str(t.plan_standard),
        "commitments-0-action": "Việc",
        "commitments-0-measure": "Đo",
        "commitments-0-frequency": "weekly",
        "commitments-0-deadline": f"31/12/{t.year}",
    }


def entry_form(t) -> dict:
    from app.core.filters import today_local

    return {
        "deed_date": today_local().strftime("%d/%m/%Y"),
        "action": "Dọn vệ sinh nơi làm việc",
        "save_draft": "Lưu nháp",
    }


def offline_entry(t) -> dict:
    """An entry written on a phone without a signal, as its outbox sends it."""
    import uuid

    return {**entry_form(t), "client_id": str(uuid.uuid4())}


# fmt: off
#                                                                  anon mem  same othr sec  sec2 off  sib  adm
MATRIX = [
    # -- pages for everyone ---------------------------------------------------------------------------
    Case("main.healthz", "GET", lambda t: "/healthz",                 row(200, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("static", "GET", lambda t: "/static/css/app.css",           row(200, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("main.index", "GET", lambda t: "/",                          row(302, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("auth.login", "GET", lambda t: "/login",                     row(200, 302, 302, 302, 302, 302, 302, 302, 302)),
    Case("auth.login", "POST", lambda t: "/login",                    row(200, 302, 302, 302, 302, 302, 302, 302, 302),
         data=lambda t: {"login": "khongco", "password": "sai"}),
    Case("auth.logout", "POST", lambda t: "/logout",                  row(302, 302, 302, 302, 302, 302, 302, 302, 302)),
    Case("auth.change_password", "GET", lambda t: "/account/password", row(302, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("auth.change_password", "POST", lambda t: "/account/password",
                                                                      row(302, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("auth.sign_in_failures", "GET", lambda t: "/account/sign-in-failures",
                                                                      row(302, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("auth.forgot_password", "GET", lambda t: "/forgot-password", row(200, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("auth.forgot_password", "POST", lambda t: "/forgot-password", row(302, 302, 302, 302, 302, 302, 302, 302, 302),
         data=lambda t: {"email": "ai@example.vn"}),
    Case("auth.reset_password", "GET", lambda t: f"/reset-password/{t.reset_token}",
                                                                      row(200, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("auth.reset_password", "POST", lambda t: f"/reset-password/{t.reset_token}",
                                                                      row(302, 302, 302, 302, 302, 302, 302, 302, 302),
         data=lambda t: NEW_PASSWORD),
    Case("auth.reset_password", "GET", lambda t: "/reset-password/forged", row(400, 400, 400, 400, 400, 400, 400, 400, 400),
         variant="bad link"),
    Case("auth.activate", "GET", lambda t: f"/activate/{t.invite_token}", row(200, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("auth.activate", "POST", lambda t: f"/activate/{t.invite_token}", row(302, 302, 302, 302, 302, 302, 302, 302, 302),
         data=lambda t: NEW_PASSWORD),
    Case("auth.activate", "GET", lambda t: "/activate/forged",        row(400, 400, 400, 400, 400, 400, 400, 400, 400),
         variant="bad link"),

    # -- administration -------------------------------------------------------------------------------
    Case("mail.outbox", "GET", lambda t: "/admin/outbox/",            row(302, 403, 403, 403, 403, 403, 403, 403, 200)),
    Case("mail.message", "GET", lambda t: f"/admin/outbox/{t.message_id}",
                                                                      row(302, 403, 403, 403, 403, 403, 403, 403, 200)),

    # -- units ----------------------------------------------------------------------------------------
    Case("units.tree", "GET", lambda t: "/units/",                    row(302, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("units.detail", "GET", lambda t: f"/units/{t.branch}",       row(302, 200, 200, 404, 200, 404, 200, 404, 200)),
    Case("units.create", "GET", lambda t: "/units/new",               row(302, 403, 403, 403, 403, 403, 403, 403, 200),
         variant="root"),
    Case("units.create", "POST", lambda t: "/units/new",              row(302, 403, 403, 403, 403, 403, 403, 403, 302),
         data=lambda t: {"name": "Tỉnh đoàn Sóc Trăng", "code": "TD", "kind": "sector_union"}, variant="root"),
    Case("units.create", "GET", lambda t: f"/units/new?parent_id={t.grassroots}",
                                                                      row(302, 404, 404, 404, 404, 404, 200, 404, 200)),
    Case("units.create", "POST", lambda t: f"/units/new?parent_id={t.grassroots}",
                                                                      row(302, 404, 404, 404, 404, 404, 302, 404, 302),
         data=lambda t: {"name": "Chi đoàn Mới", "code": "CDM", "kind": "branch"}),
    Case("units.edit", "GET", lambda t: f"/units/{t.branch}/edit",    row(302, 403, 403, 404, 403, 404, 200, 404, 200)),
    Case("units.edit", "POST", lambda t: f"/units/{t.branch}/edit",   row(302, 403, 403, 404, 403, 404, 302, 404, 302),
         data=lambda t: BRANCH_FORM),
    Case("units.move", "GET", lambda t: f"/units/{t.branch}/move",    row(302, 403, 403, 404, 403, 404, 403, 404, 200)),
    Case("units.move", "POST", lambda t: f"/units/{t.branch}/move",   row(302, 403, 403, 404, 403, 404, 403, 404, 302),
         data=lambda t: {"parent_id": t.grassroots_other}),

    # -- members of a unit ----------------------------------------------------------------------------
    Case("members.unit_members", "GET", lambda t: f"/units/{t.branch}/members",
                                                                      row(302, 200, 200, 404, 200, 404, 200, 404, 200)),
    Case("members.add", "GET", lambda t: f"/units/{t.branch}/members/add",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 200)),
    Case("members.add", "POST", lambda t: f"/units/{t.branch}/members/add",
                                                                      row(302, 403, 403, 404, 302, 404, 302, 404, 302),
         data=lambda t: NEW_MEMBER),
    Case("members.invitations", "GET", lambda t: "/invitations",     row(302, 200, 200, 200, 200, 200, 200, 200, 200)),
    # Only the invited person (the subject) may answer; for anyone else the invitation does not exist.
    Case("members.answer_invitation", "POST", lambda t: f"/invitations/{t.invitation}/accept",
                                                                      row(302, 302, 404, 404, 404, 404, 404, 404, 404)),
    Case("members.import_start", "GET", lambda t: f"/units/{t.branch}/import",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 200)),
    Case("members.import_start", "POST", lambda t: f"/units/{t.branch}/import",  # no file: the form says so
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 200)),
    Case("members.import_preview", "GET", lambda t: f"/units/{t.branch}/import/preview",  # nothing uploaded
                                                                      row(302, 403, 403, 404, 302, 404, 302, 404, 302)),
    Case("members.import_confirm", "POST", lambda t: f"/units/{t.branch}/import/confirm",
                                                                      row(302, 403, 403, 404, 302, 404, 302, 404, 302)),
    Case("members.import_cancel", "POST", lambda t: f"/units/{t.branch}/import/cancel",
                                                                      row(302, 403, 403, 404, 302, 404, 302, 404, 302)),
    Case("members.import_template", "GET", lambda t: f"/units/{t.branch}/import/template.xlsx",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 200)),

    # -- a membership (the subject's role in the branch) ----------------------------------------------
    Case("members.change_role", "GET", lambda t: f"/memberships/{t.membership}/role",
                                                                      row(302, 404, 404, 404, 200, 404, 200, 404, 200)),
    Case("members.change_role", "POST", lambda t: f"/memberships/{t.membership}/role",
                                                                      row(302, 404, 404, 404, 302, 404, 302, 404, 302),
         data=lambda t: {"role": "deputy_secretary"}),
    Case("members.remove", "POST", lambda t: f"/memberships/{t.membership}/remove",
                                                                      row(302, 404, 404, 404, 302, 404, 302, 404, 302)),

    # -- people ---------------------------------------------------------------------------------------
    Case("members.people", "GET", lambda t: "/people",                row(302, 403, 403, 403, 200, 200, 200, 200, 200)),
    Case("members.profile", "GET", lambda t: f"/people/{t.person}",   row(302, 200, 404, 404, 200, 404, 200, 404, 200)),
    Case("members.edit", "GET", lambda t: f"/people/{t.person}/edit", row(302, 200, 404, 404, 200, 404, 200, 404, 200)),
    Case("members.edit", "POST", lambda t: f"/people/{t.person}/edit", row(302, 302, 404, 404, 302, 404, 302, 404, 302),
         data=lambda t: {"full_name": "Nguyễn Thị Mỹ Duyên", "email": "duyen@example.vn"}),
    Case("members.invite", "POST", lambda t: f"/people/{t.newcomer}/invite",
                                                                      row(302, 404, 404, 404, 302, 404, 302, 404, 302)),
    Case("members.invite", "POST", lambda t: f"/people/{t.person}/invite",  # already activated: a message, no mail
                                                                      row(302, 403, 404, 404, 302, 404, 302, 404, 302),
         variant="self"),
    Case("members.deactivate", "POST", lambda t: f"/people/{t.person}/deactivate",
                                                                      row(302, 403, 404, 404, 302, 404, 302, 404, 302)),
    Case("members.reactivate", "POST", lambda t: f"/people/{t.person}/reactivate",
                                                                      row(302, 403, 404, 404, 302, 404, 302, 404, 302)),

    # -- standards and the annual theme (of the branch, for 2026) -------------------------------------
    Case("standards.index", "GET", lambda t: f"/units/{t.branch}/standards?year=2026",
                                                                      row(302, 200, 200, 404, 200, 404, 200, 404, 200)),
    Case("standards.index", "GET", lambda t: f"/units/{t.branch}/standards?year=abc",
                                                                      row(302, 404, 404, 404, 404, 404, 404, 404, 404),
         variant="bad year"),
    Case("standards.create", "GET", lambda t: f"/units/{t.branch}/standards/new?year=2026",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 200)),
    Case("standards.create", "POST", lambda t: f"/units/{t.branch}/standards/new?year=2026",
                                                                      row(302, 403, 403, 404, 302, 404, 302, 404, 302),
         data=lambda t: {"group": "ethics", "title": "Tiết kiệm điện, nước"}),
    Case("standards.edit", "GET", lambda t: f"/standards/{t.standard}/edit",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 200)),
    Case("standards.edit", "POST", lambda t: f"/standards/{t.standard}/edit",
                                                                      row(302, 403, 403, 404, 302, 404, 302, 404, 302),
         data=lambda t: {"group": "discipline", "title": "Đúng giờ, đúng hạn"}),
    Case("standards.deactivate", "POST", lambda t: f"/standards/{t.standard}/deactivate",
                                                                      row(302, 403, 403, 404, 302, 404, 302, 404, 302)),
    Case("standards.reactivate", "POST", lambda t: f"/standards/{t.standard}/reactivate",
                                                                      row(302, 403, 403, 404, 302, 404, 302, 404, 302)),
    Case("standards.adopt", "POST", lambda t: f"/units/{t.branch}/standards/adopt?year=2026",
                                                                      row(302, 403, 403, 404, 302, 404, 302, 404, 302),
         data=lambda t: {"catalogue": "3-tot"}),
    Case("standards.copy_previous", "POST", lambda t: f"/units/{t.branch}/standards/copy-previous?year=2027",
                                                                      row(302, 403, 403, 404, 302, 404, 302, 404, 302)),
    Case("standards.theme", "GET", lambda t: f"/units/{t.branch}/theme?year=2026",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 200)),
    Case("standards.theme", "POST", lambda t: f"/units/{t.branch}/theme?year=2026",
                                                                      row(302, 403, 403, 404, 302, 404, 302, 404, 302),
         data=lambda t: {"title": "Học tập và làm theo Bác về tự lực, tự cường"}),

    # -- personal plans (the subject's plan is submitted; member2's is an empty draft) -----------------
    Case("plans.index", "GET", lambda t: "/plans",                    row(302, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("plans.start", "GET", lambda t: "/plans/start",              row(302, 200, 200, 200, 200, 200, 403, 403, 403)),
    Case("plans.start", "POST", lambda t: "/plans/start",             row(302, 302, 302, 200, 302, 200, 403, 403, 403),
         data=lambda t: {"unit_id": t.branch, "year": t.year}),
    Case("plans.view", "GET", lambda t: f"/plans/{t.plan}",           row(302, 200, 404, 404, 200, 404, 200, 404, 200)),
    Case("plans.version", "GET", lambda t: f"/plans/{t.plan}/versions/1",
                                                                      row(302, 302, 404, 404, 302, 404, 302, 404, 302)),
    Case("plans.edit", "GET", lambda t: f"/plans/{t.plan}/edit",      row(302, 302, 404, 404, 302, 404, 302, 404, 403),
         variant="submitted"),
    Case("plans.edit", "GET", lambda t: f"/plans/{t.draft}/edit",     row(302, 404, 200, 404, 200, 404, 200, 404, 403)),
    Case("plans.edit", "POST", lambda t: f"/plans/{t.draft}/edit",    row(302, 404, 302, 404, 302, 404, 302, 404, 403),
         data=plan_form),
    Case("plans.submit", "POST", lambda t: f"/plans/{t.draft}/submit", row(302, 404, 302, 404, 302, 404, 302, 404, 403)),
    Case("plans.approve", "POST", lambda t: f"/plans/{t.plan}/approve", row(302, 403, 404, 404, 302, 404, 302, 404, 403)),
    Case("plans.return_plan", "GET", lambda t: f"/plans/{t.plan}/return",
                                                                      row(302, 403, 404, 404, 200, 404, 200, 404, 403)),
    Case("plans.return_plan", "POST", lambda t: f"/plans/{t.plan}/return",
                                                                      row(302, 403, 404, 404, 302, 404, 302, 404, 403),
         data=lambda t: {"reason": "Việc 2 còn chung chung."}),
    Case("plans.revise", "POST", lambda t: f"/plans/{t.plan}/revise", row(302, 302, 404, 404, 302, 404, 302, 404, 403)),
    Case("plans.branch", "GET", lambda t: f"/units/{t.branch}/plans", row(302, 403, 403, 404, 200, 404, 200, 404, 200)),
    Case("plans.start_for", "GET", lambda t: f"/units/{t.branch}/plans/start?user_id={t.newcomer}",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 403)),
    Case("plans.start_for", "POST", lambda t: f"/units/{t.branch}/plans/start?user_id={t.newcomer}",
                                                                      row(302, 403, 403, 404, 302, 404, 302, 404, 403)),

    # -- the diary (the subject's, in the branch; everyone's own where no user_id is given) ------------
    Case("journal.index", "GET", lambda t: "/diary/",                 row(302, 302, 302, 302, 302, 302, 200, 200, 200)),
    Case("journal.index", "GET", lambda t: f"/diary/?user_id={t.person}&unit_id={t.branch}",
                                                                      row(302, 302, 404, 404, 302, 404, 302, 404, 302),
         variant="the subject's"),
    Case("journal.month", "GET", lambda t: f"/diary/{t.year}/5?user_id={t.person}&unit_id={t.branch}",
                                                                      row(302, 200, 404, 404, 200, 404, 200, 404, 200)),
    Case("journal.timeline", "GET", lambda t: f"/diary/timeline?user_id={t.person}&unit_id={t.branch}",
                                                                      row(302, 200, 404, 404, 200, 404, 200, 404, 200)),
    Case("journal.year_view", "GET", lambda t: f"/diary/year/{t.year}?user_id={t.person}&unit_id={t.branch}",
                                                                      row(302, 200, 404, 404, 200, 404, 200, 404, 200)),
    Case("journal.search", "GET", lambda t: f"/diary/search?q=ky+so&user_id={t.person}&unit_id={t.branch}",
                                                                      row(302, 200, 404, 404, 200, 404, 200, 404, 200)),
    Case("journal.new_entry", "GET", lambda t: f"/diary/entries/new?unit_id={t.branch}",
                                                                      row(302, 200, 200, 404, 200, 404, 404, 404, 404)),
    Case("journal.new_entry", "POST", lambda t: f"/diary/entries/new?unit_id={t.branch}",
                                                                      row(302, 302, 302, 404, 302, 404, 404, 404, 404),
         data=entry_form),
    Case("journal.entry", "GET", lambda t: f"/diary/entries/{t.entry}", row(302, 200, 404, 404, 200, 404, 200, 404, 200)),
    Case("journal.edit_entry", "GET", lambda t: f"/diary/entries/{t.entry}/edit",
                                                                      row(302, 200, 404, 404, 403, 404, 403, 404, 403)),
    Case("journal.edit_entry", "POST", lambda t: f"/diary/entries/{t.draft_entry}/edit",
                                                                      row(302, 302, 404, 404, 403, 404, 403, 404, 403),
         data=entry_form),
    Case("journal.submit_entry", "POST", lambda t: f"/diary/entries/{t.draft_entry}/submit",
                                                                      row(302, 302, 404, 404, 403, 404, 403, 404, 403)),
    Case("journal.delete_entry", "POST", lambda t: f"/diary/entries/{t.draft_entry}/delete",
                                                                      row(302, 302, 404, 404, 403, 404, 403, 404, 403)),
    Case("journal.autosave", "POST", lambda t: f"/diary/entries/autosave?unit_id={t.branch}",
                                                                      row(302, 200, 200, 404, 200, 404, 404, 404, 404),
         data=lambda t: {"action": "Đang viết"}),
    # -- working offline (issue 19): the worker, the page it shows, the state, the sending -------------
    Case("offline.service_worker", "GET", lambda t: "/sw.js",         row(200, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("offline.page", "GET", lambda t: "/offline",                 row(200, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("offline.state", "GET", lambda t: "/diary/sync/state",       row(302, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("offline.sync_entry", "POST", lambda t: f"/diary/sync/entries?unit_id={t.branch}",
                                                                      row(302, 200, 200, 404, 200, 404, 403, 404, 403),
         data=offline_entry),
    Case("journal.evidence", "GET", lambda t: f"/diary/evidence/{t.evidence}",
                                                                      row(302, 200, 404, 404, 200, 404, 200, 404, 200)),
    Case("journal.delete_evidence", "POST", lambda t: f"/diary/evidence/{t.evidence}/delete",
                                                                      row(302, 302, 404, 404, 403, 404, 403, 404, 403)),

    # -- the branch dashboard ---------------------------------------------------------------------------
    Case("dashboard.branch", "GET", lambda t: f"/units/{t.branch}/dashboard",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 200)),
    Case("dashboard.branch", "GET", lambda t: f"/units/{t.grassroots}/dashboard",
                                                                      row(302, 404, 404, 404, 404, 404, 200, 404, 200),
         variant="not a branch"),

    # -- reports of upper units: officers of the unit or above, admins, a branch's own secretaries -------
    Case("reports.index", "GET", lambda t: "/reports",                row(302, 403, 403, 403, 302, 302, 302, 302, 200)),
    Case("reports.dashboard", "GET", lambda t: f"/units/{t.branch}/reports",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 200)),
    Case("reports.dashboard", "GET", lambda t: f"/units/{t.grassroots}/reports?period=q1",
                                                                      row(302, 404, 404, 404, 404, 404, 200, 404, 200),
         variant="upper unit"),
    Case("reports.commendations", "GET", lambda t: f"/units/{t.branch}/reports/commendations",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 200)),
    Case("reports.export", "GET", lambda t: f"/units/{t.branch}/reports/export/months.xlsx",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 200)),
    Case("reports.export", "GET", lambda t: f"/units/{t.grassroots}/reports/export/units.csv",
                                                                      row(302, 404, 404, 404, 404, 404, 200, 404, 200),
         variant="upper unit"),
    # everyone's own: who read my diary
    Case("reports.my_reads", "GET", lambda t: "/me/diary-reads",      row(302, 200, 200, 200, 200, 200, 200, 200, 200)),

    # -- notifications: everyone's own; t.notification belongs to the member --------------------------
    Case("notifications.index", "GET", lambda t: "/notifications",   row(302, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("notifications.open", "GET", lambda t: f"/notifications/{t.notification}/open",
                                                                      row(302, 302, 404, 404, 404, 404, 404, 404, 404)),
    Case("notifications.read_all", "POST", lambda t: "/notifications/read-all",
                                                                      row(302, 302, 302, 302, 302, 302, 302, 302, 302)),
    Case("notifications.settings", "GET", lambda t: "/notifications/settings",
                                                                      row(302, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("notifications.settings", "POST", lambda t: "/notifications/settings",
                                                                      row(302, 302, 302, 302, 302, 302, 302, 302, 302),
         data=lambda t: {"channel": "app"}),

    # -- grading --------------------------------------------------------------------------------------
    Case("grading.index", "GET", lambda t: "/grading/",              row(302, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("grading.me", "GET", lambda t: f"/grading/{t.branch}/{t.year}/me",
                                                                      row(302, 200, 200, 404, 200, 404, 404, 404, 404)),
    Case("grading.me", "POST", lambda t: f"/grading/{t.branch}/{t.year}/me",
                                                                      row(302, 302, 302, 404, 302, 404, 404, 404, 404),
         data=lambda t: {"action": "save", "ethics": "Giản dị"}),
    Case("grading.acknowledge", "POST", lambda t: f"/grading/{t.branch}/{t.year}/me/acknowledge",
                                                                      row(302, 302, 302, 404, 302, 404, 404, 404, 404)),
    Case("grading.reconsider", "POST", lambda t: f"/grading/{t.branch}/{t.year}/me/reconsider",
                                                                      row(302, 422, 422, 404, 422, 404, 404, 404, 404),
         data=lambda t: {"rc-reason": "Đề nghị xem xét lại kết quả"}),
    Case("grading.sheet", "GET", lambda t: f"/grading/{t.branch}/{t.year}",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 403)),
    Case("grading.open_round", "POST", lambda t: f"/grading/{t.branch}/{t.year}/open",
                                                                      row(302, 403, 403, 404, 302, 404, 302, 404, 403)),
    Case("grading.propose", "GET", lambda t: f"/grading/{t.branch}/{t.year}/members/{t.person}/propose",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 403)),
    Case("grading.propose", "POST", lambda t: f"/grading/{t.branch}/{t.year}/members/{t.person}/propose",
                                                                      row(302, 403, 403, 404, 422, 404, 422, 404, 403)),
    Case("grading.meeting", "GET", lambda t: f"/grading/{t.branch}/{t.year}/meeting",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 403)),
    Case("grading.meeting", "POST", lambda t: f"/grading/{t.branch}/{t.year}/meeting",
                                                                      row(302, 403, 403, 404, 422, 404, 422, 404, 403)),
    Case("grading.minutes", "GET", lambda t: f"/grading/{t.branch}/{t.year}/minutes",
                                                                      row(302, 403, 403, 404, 302, 404, 302, 404, 403)),
    # Irreversible acts confirm on their own page; a refused act shows that page again (422).
    Case("grading.confirm", "GET", lambda t: f"/grading/{t.branch}/{t.year}/confirm/submit",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 403)),
    Case("grading.confirm", "GET", lambda t: f"/grading/{t.branch}/{t.year}/confirm/ratify",
                                                                      row(302, 403, 403, 404, 403, 404, 200, 404, 403)),
    Case("grading.submit", "POST", lambda t: f"/grading/{t.branch}/{t.year}/submit",
                                                                      row(302, 403, 403, 404, 422, 404, 422, 404, 403)),
    Case("grading.ratify", "POST", lambda t: f"/grading/{t.branch}/{t.year}/ratify",
                                                                      row(302, 403, 403, 404, 403, 404, 422, 404, 403)),
    Case("grading.send_back", "POST", lambda t: f"/grading/{t.branch}/{t.year}/return",
                                                                      row(302, 403, 403, 404, 403, 404, 422, 404, 403),
         data=lambda t: {"reason": "Chưa đủ biên bản"}),
    Case("grading.reopen", "POST", lambda t: f"/grading/{t.branch}/{t.year}/reopen",
                                                                      row(302, 403, 403, 404, 403, 404, 422, 404, 403),
         data=lambda t: {"reason": "Khiếu nại có căn cứ"}),
    Case("grading.answer", "POST", lambda t: f"/grading/{t.branch}/{t.year}/members/{t.person}/answer",
                                                                      row(302, 403, 403, 404, 403, 404, 302, 404, 403),
         data=lambda t: {"answer": "Giữ nguyên"}),
    Case("grading.close_year", "POST", lambda t: f"/grading/{t.branch}/{t.year}/close",
                                                                      row(302, 403, 403, 404, 422, 404, 422, 404, 403)),
    # the year is not closed: the officer above is told so (422); the branch itself never reopens
    Case("grading.reopen_year", "POST", lambda t: f"/grading/{t.branch}/{t.year}/reopen-year",
                                                                      row(302, 403, 403, 404, 403, 404, 422, 404, 403),
         data=lambda t: {"reason": "Bổ sung kết quả khiếu nại"}),
    Case("grading.quarter", "GET", lambda t: f"/grading/{t.branch}/{t.year}/quarters/1",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 403)),
    Case("grading.quarter", "POST", lambda t: f"/grading/{t.branch}/{t.year}/quarters/1",
                                                                      row(302, 403, 403, 404, 302, 404, 302, 404, 403)),
    Case("grading.stats", "GET", lambda t: f"/grading/stats/{t.grassroots}",
                                                                      row(302, 404, 404, 404, 404, 404, 200, 404, 200)),
    Case("grading.frameworks", "GET", lambda t: f"/grading/frameworks/{t.grassroots}",
                                                                      row(302, 404, 404, 404, 404, 404, 200, 404, 200)),
    Case("grading.frameworks", "POST", lambda t: f"/grading/frameworks/{t.grassroots}",
                                                                      row(302, 404, 404, 404, 404, 404, 422, 404, 422)),
    Case("grading.framework_edit", "GET", lambda t: f"/grading/frameworks/{t.root}/{t.own_framework}",
                                                                      row(302, 404, 404, 404, 404, 404, 200, 404, 200)),
    Case("grading.framework_edit", "POST", lambda t: f"/grading/frameworks/{t.root}/{t.own_framework}",
                                                                      row(302, 404, 404, 404, 404, 404, 302, 404, 302),
         data=lambda t: {"name": "Khung đã sửa"}),
    Case("grading.criterion_save", "POST", lambda t: f"/grading/frameworks/{t.root}/{t.own_framework}/criteria",
                                                                      row(302, 404, 404, 404, 404, 404, 302, 404, 302),
         data=lambda t: {"new-text": "Tiêu chí mới"}),
    Case("grading.criterion_delete", "POST",
         lambda t: f"/grading/frameworks/{t.root}/{t.own_framework}/criteria/{t.own_criterion}/delete",
                                                                      row(302, 404, 404, 404, 404, 404, 302, 404, 302)),

    # -- review ---------------------------------------------------------------------------------------
    Case("review.queue", "GET", lambda t: f"/units/{t.branch}/review", row(302, 403, 403, 404, 200, 404, 200, 404, 403)),
    Case("review.month", "GET", lambda t: f"/units/{t.branch}/review/{t.person}/{t.year}/{t.month}",
                                                                      row(302, 403, 404, 404, 200, 404, 200, 404, 403)),
    Case("review.month_comment", "POST", lambda t: f"/units/{t.branch}/review/{t.person}/{t.year}/{t.month}/comment",
                                                                      row(302, 403, 404, 404, 302, 404, 302, 404, 403),
         data=lambda t: {"comment": "Tháng này tích cực.", "lock_version": "0"}),
    Case("review.sign", "POST", lambda t: f"/units/{t.branch}/review/{t.person}/{t.year}/{t.month}/sign",
                                                                      row(302, 403, 404, 404, 302, 404, 302, 404, 403),
         data=lambda t: {"lock_version": "0"}),
    Case("review.reopen", "POST", lambda t: f"/units/{t.branch}/review/{t.person}/{t.year}/{t.month}/reopen",
                                                                      row(302, 403, 404, 404, 302, 404, 302, 404, 403),
         data=lambda t: {"reason": "Bổ sung minh chứng"}),
    Case("review.comment", "POST", lambda t: f"/review/entries/{t.entry}/comment",  # the member replies
                                                                      row(302, 302, 404, 404, 302, 404, 302, 404, 403),
         data=lambda t: {"body": "Cần ghi số liệu cụ thể."}),
    Case("review.mark_reviewed", "POST", lambda t: f"/review/entries/{t.entry}/reviewed",
                                                                      row(302, 403, 404, 404, 302, 404, 302, 404, 403)),
    Case("review.request_revision", "POST", lambda t: f"/review/entries/{t.entry}/revision",
                                                                      row(302, 403, 404, 404, 302, 404, 302, 404, 403),
         data=lambda t: {"reason": "Ghi rõ số máy đã tắt."}),
    Case("review.exemplary", "POST", lambda t: f"/review/entries/{t.entry}/exemplary",
                                                                      row(302, 403, 404, 404, 302, 404, 302, 404, 403),
         data=lambda t: {"note": "Gương sáng"}),
    Case("review.unexemplary", "POST", lambda t: f"/review/entries/{t.entry}/unexemplary",
                                                                      row(302, 403, 404, 404, 302, 404, 302, 404, 403)),
    Case("review.golden_book", "GET", lambda t: f"/units/{t.branch}/golden-book",
                                                                      row(302, 200, 200, 404, 200, 404, 200, 404, 200)),
    # -- PDF documents (issue 6): the subject's book and month, the branch's register and sổ vàng ------
    Case("export.member_documents", "GET", lambda t: f"/units/{t.branch}/members/{t.person}/documents",
                                                                      row(302, 200, 404, 404, 200, 404, 200, 404, 200)),
    Case("export.export_member", "POST", lambda t: f"/units/{t.branch}/members/{t.person}/documents/month",
                                                                      row(302, 200, 404, 404, 200, 404, 200, 404, 200),
         data=lambda t: {"month-year": str(t.year), "month-month": str(t.month)}),
    Case("export.unit_documents", "GET", lambda t: f"/units/{t.branch}/documents",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 200)),
    Case("export.export_unit", "POST", lambda t: f"/units/{t.branch}/documents/golden-book",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 200),
         data=lambda t: {"golden-book-year": str(t.year)}),
    # public: anyone holding a printout checks its number (no diary content is shown)
    Case("export.verify_form", "GET", lambda t: "/verify?number=SNK-2026-000001",
                                                                      row(200, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("export.verify", "GET", lambda t: "/verify/SNK-2026-000001", row(200, 200, 200, 200, 200, 200, 200, 200, 200)),
    # -- audit log ------------------------------------------------------------------------------------
    Case("audit.mine", "GET", lambda t: "/audit/me",                  row(302, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("audit.unit_log", "GET", lambda t: f"/units/{t.branch}/audit",
                                                                      row(302, 403, 403, 404, 403, 404, 200, 404, 200)),
    # -- one's own data: no id in the URL, so nobody can ask for someone else's -------------------------
    Case("mydata.index", "GET", lambda t: "/me/data",                 row(302, 200, 200, 200, 200, 200, 200, 200, 200)),
    Case("mydata.download", "GET", lambda t: "/me/data/download",     row(302, 200, 200, 200, 200, 200, 200, 200, 200)),

    # -- bulk exports: who may export a unit; t.export_job is the secretary's own finished export ------
    Case("jobs.index", "GET", lambda t: "/exports",                   row(302, 403, 403, 403, 200, 200, 200, 200, 200)),
    Case("jobs.unit_exports", "GET", lambda t: f"/units/{t.branch}/exports",
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 200)),
    Case("jobs.unit_exports", "POST", lambda t: f"/units/{t.branch}/exports",  # no year: the form says so
                                                                      row(302, 403, 403, 404, 200, 404, 200, 404, 200)),
    Case("jobs.unit_exports", "GET", lambda t: f"/units/{t.grassroots}/exports",
                                                                      row(302, 404, 404, 404, 404, 404, 200, 404, 200),
         variant="subtree"),
    Case("jobs.job", "GET", lambda t: f"/exports/{t.export_job}",     row(302, 404, 404, 404, 200, 404, 404, 404, 404)),
    Case("jobs.job_progress", "GET", lambda t: f"/exports/{t.export_job}/progress",
                                                                      row(302, 404, 404, 404, 200, 404, 404, 404, 404)),
    Case("jobs.download", "GET", lambda t: f"/exports/{t.export_job}/download",
                                                                      row(302, 404, 404, 404, 200, 404, 404, 404, 404)),
]
# fmt: on


# The matrix has hundreds of cases and the organisation behind them takes a second to build, so it is
# built once per module (per database) in one transaction, with everyone signed in once, and a snapshot
# of every table is put back before each test that follows a write (tests.helpers.DatabaseSnapshot):
# every case still starts from the same organisation, as if it were built afresh.


@dataclass
class Matrix:
    """The organisation's ids for the URLs, and each viewer's session cookie."""

    targets: SimpleNamespace
    cookies: dict[str, tuple]
    snapshot: DatabaseSnapshot


@pytest.fixture(scope="module")
def matrix(app):
    """The organisation every case runs against, built once; see `targets`."""
    from tests.conftest import _empty_database

    _empty_database(app)
    files_before = files_under(Path(app.instance_path))
    moment = os.environ.get("TEST_CLOCK")
    with app.app_context(), travel_to(moment):
        add_user = user_factory()
        targets = build_targets(build_org(add_unit, add_user), add_user)
        cookies = {role: sign_in(app, role) for role in ROLES if role != "anonymous"}
        db.session.remove()
    snapshot = DatabaseSnapshot(db_engine(app), db.metadata)
    snapshot.take(Path(app.instance_path), files_before)
    yield Matrix(targets, cookies, snapshot)
    snapshot.close()


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Replaces conftest's (which empties the database for every test): `targets` puts the module's
    organisation back instead."""
    yield


@pytest.fixture
def targets(app, matrix) -> SimpleNamespace:
    """The organisation as `matrix` built it (restored if the previous case changed it)."""
    matrix.snapshot.restore()
    ctx = app.app_context()
    ctx.push()
    yield matrix.targets
    db.session.remove()
    ctx.pop()


# For modules that build the organisation for each test (tests/test_freeze_matrix.py, which changes
# it): conftest's `org` made in one transaction with these factories, and `org_targets` in it.


@pytest.fixture
def make_unit(app):
    return add_unit


@pytest.fixture
def make_user(app):
    return user_factory()


@pytest.fixture
def org_targets(org, make_user) -> SimpleNamespace:
    """The matrix's targets in this test's own `org` (built afresh, not shared with other tests)."""
    return build_targets(org, make_user)


def db_engine(app):
    with app.app_context():
        return db.engine


@contextmanager
def travel_to(moment: str | None):
    """The dataset is built at the moment the tests run at (TEST_CLOCK, see conftest), or now."""
    if moment is None:
        yield
        return
    import time_machine

    from tests.conftest import _local_moment

    with time_machine.travel(_local_moment(moment), tick=True):
        yield


def sign_in(app, role: str) -> tuple:
    """Log `role` in once; the session cookie stands for them in every case (the snapshot keeps their
    session version, so a case that ends their sessions does not end them for the next case)."""
    client = app.test_client()
    response = client.post("/login", data={"login": USERNAMES[role], "password": PASSWORD})
    assert response.status_code == 302, f"could not log in as {role}"
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name, domain=app.config["SERVER_NAME"])
    assert cookie is not None, f"no session cookie for {role}"
    return cookie.key, cookie.value, cookie.domain, cookie.origin_only, cookie.path


def add_unit(name, kind, parent=None, code=None, place="Sóc Trăng"):
    """Like conftest's make_unit, without a commit per unit."""
    from app.units.models import Unit

    unit = Unit(name=name, code=code, kind=kind, org_type=kind.org_type, parent=parent, place=place)
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def user_factory():
    """Like conftest's make_user, without a commit per person, and with one password hash for all."""
    from app.auth.models import User

    password_hash = auth_services.hash_password(PASSWORD)

    def add_user(
        username,
        unit=None,
        role=Role.MEMBER,
        *,
        full_name=None,
        email=None,
        is_admin=False,
        password=PASSWORD,
        active=True,
    ):
        user = User(
            username=username,
            email=email,
            is_admin=is_admin,
            is_active=active,
            password_hash=password_hash if password else None,
        )
        user.set_name(full_name or username)
        db.session.add(user)
        if unit is not None:
            db.session.add(Membership(user=user, unit=unit, role=role))
        db.session.flush()
        return user

    return add_user


def build_targets(org, add_user) -> SimpleNamespace:
    """What the URLs point at in `org`: the branch, its member, an invited newcomer, a message,
    links; committed once."""
    newcomer = add_user("moi", org.branch, password=None, email="moi@example.vn", full_name="Sơn Thị Mới")
    message = send_mail("a@example.vn", "Thư", "Nội dung")
    membership = db.session.scalar(
        select(Membership).where(Membership.user_id == org.member.id, Membership.unit_id == org.branch.id)
    )
    assert membership.role is Role.MEMBER
    extra = _diary_targets(org)
    from app.notifications.services import notify

    note = notify(org.member, "comment", "Bí thư đã nhận xét", link="/diary/")
    grading = _grading_targets(org, extra["year"])
    export_job = _export_job_target(org)
    from app.units.models import UnitInvitation

    invitation = UnitInvitation(user_id=org.member.id, unit_id=org.party_cell.id, role=Role.MEMBER)
    db.session.add(invitation)
    db.session.commit()
    return SimpleNamespace(
        **extra,
        **grading,
        notification=note.id,
        export_job=export_job,
        branch=org.branch.id,
        grassroots=org.grassroots.id,
        root=org.root.id,
        grassroots_other=org.grassroots_other.id,
        person=org.member.id,
        newcomer=newcomer.id,
        membership=membership.id,
        invitation=invitation.id,
        message_id=message.id,
        reset_token=auth_services.make_token(org.member, auth_services.PURPOSE_RESET),
        invite_token=auth_services.make_token(newcomer, auth_services.PURPOSE_INVITE),
    )


def _diary_targets(org) -> dict:
    """A branch standard, the subject's submitted plan, member2's empty draft plan, the subject's
    submitted entry with an evidence file and a draft entry."""
    import io
    from datetime import date

    from werkzeug.datastructures import FileStorage

    from app.core.enums import ContentGroup, Frequency
    from app.core.filters import today_local
    from app.journal import services as journal
    from app.plans import services as plans
    from app.standards.models import Standard

    year = today_local().year
    standard = Standard(unit_id=org.branch.id, year=2026, group=ContentGroup.DISCIPLINE, title="Đúng giờ")
    plan_standard = Standard(
        unit_id=org.root.id, year=year, group=ContentGroup.ETHICS, title="Cần – chăm chỉ"
    )
    db.session.add_all([standard, plan_standard])
    db.session.flush()
    plan = plans.start_plan(org.member, org.member, org.branch, year)
    plans.save_plan(
        org.member,
        plan,
        "Còn để văn bản tồn đọng",
        [
            plans.CommitmentData(
                action="Số hóa văn bản",
                measure="100% đúng hạn",
                standard_id=plan_standard.id,
                frequency=Frequency.MONTHLY,
                deadline=date(year, 11, 30),
                is_breakthrough=True,
            ),
            plans.CommitmentData(
                action="Tự học 2 giờ mỗi tuần",
                measure="Nhật ký hằng tuần",
                standard_id=plan_standard.id,
                deadline=date(year, 12, 31),
            ),
        ],
    )
    plans.submit_plan(org.member, plan)
    draft = plans.start_plan(org.member2, org.member2, org.branch, year)
    png = FileStorage(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32), filename="anh.png")
    data = journal.EntryData(
        deed_date=today_local(), action="Hướng dẫn đồng nghiệp ký số", commitment_ids=[plan.commitments[0].id]
    )
    entry = journal.save_entry(org.member, org.member, org.branch, data, submit=True, uploads=[png])
    draft_entry = journal.save_entry(org.member, org.member, org.branch, data)
    return {
        "standard": standard.id,
        "plan_standard": plan_standard.id,
        "year": year,
        "plan": plan.id,
        "draft": draft.id,
        "entry": entry.id,
        "draft_entry": draft_entry.id,
        "month": today_local().month,
        "evidence": entry.evidence[0].id,
    }


def _grading_targets(org, year: int) -> dict:
    """The branch's open grading round for the year, on a framework of the Đoàn Khối's own (with quarters)."""
    from app.grading import services as grading

    own = grading.copy_framework(
        org.officer_root, grading.default_framework(org.branch), org.root, "Khung riêng"
    )
    own.has_quarterly = True
    grading.open_round(org.secretary, org.branch, year, own)
    return {"own_framework": own.id, "own_criterion": own.criteria[0].id}


def _export_job_target(org) -> int:
    """The secretary's finished bulk export of the branch, with its ZIP on disk."""
    from datetime import timedelta

    from app.core.db import utcnow
    from app.jobs import services as jobs
    from app.jobs.models import ExportJob, ExportScope, JobStatus

    folder = jobs.export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "export-matrix.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty ZIP
    job = ExportJob(
        requested_by=org.secretary,
        unit=org.branch,
        year=2026,
        scope=ExportScope.BRANCH,
        status=JobStatus.DONE,
        result_path="export-matrix.zip",
        finished_at=utcnow(),
        expires_at=utcnow() + timedelta(days=1),
    )
    db.session.add(job)
    db.session.flush()
    return job.id


PUBLIC_ENDPOINTS = {
    "static",
    "main.healthz",
    "auth.login",
    "auth.logout",
    "auth.forgot_password",
    "auth.reset_password",
    "auth.activate",
}


def check(client, case: Case, role: str, t: SimpleNamespace, cookie: tuple | None) -> str | None:
    """Make the case's request as `role` (signed in with `cookie`); None when the answer is the
    expected one, else why not."""
    if cookie is not None:
        key, value, domain, origin_only, path = cookie
        client.set_cookie(key, value, domain=domain, origin_only=origin_only, path=path)
    url = case.url(t)
    response = client.open(url, method=case.method, data=case.data(t))
    expected = case.expected[role]
    where = f"{case.method} {url} as {role}"
    if response.status_code != expected:
        return f"{where}: {response.status_code}, expected {expected}"
    body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
    if expected == 403 and "Không có quyền truy cập" not in body:
        return f"{where}: 403 without the Vietnamese error page"
    if expected == 404 and "Không tìm thấy trang" not in body:
        return f"{where}: 404 without the Vietnamese error page"
    if (
        expected == 302
        and role == "anonymous"
        and case.endpoint not in PUBLIC_ENDPOINTS
        and "/login?next=" not in response.headers["Location"]
    ):
        return f"{where}: sent to {response.headers['Location']}, not to the login page"
    return None


def is_refusal(case: Case, role: str) -> bool:
    """Whether the role is turned away (so the request cannot have changed anything)."""
    expected = case.expected[role]
    if expected in (400, 403, 404, 405):
        return True
    return role == "anonymous" and expected == 302 and case.endpoint not in PUBLIC_ENDPOINTS


def groups() -> list[tuple[Case, tuple[str, ...], str]]:
    """The matrix as tests. A GET changes nothing that matters here, and neither does a refused
    POST, so those viewers share one organisation (each with a fresh client); every viewer whose
    POST goes through gets an organisation of their own, since it may change what the next sees."""
    result = []
    for case in MATRIX:
        if case.method == "GET":
            result.append((case, ROLES, "all"))
            continue
        refused = tuple(role for role in ROLES if is_refusal(case, role))
        if refused:
            result.append((case, refused, "refused"))
        result.extend((case, (role,), role) for role in ROLES if role not in refused)
    return result


GROUPS = groups()


@pytest.mark.parametrize(
    ("case", "roles"), [g[:2] for g in GROUPS], ids=[f"{g[0].id}-{g[2]}" for g in GROUPS]
)
def test_access(app, matrix, targets, case, roles):
    wrong = [
        problem
        for role in roles
        if (problem := check(app.test_client(), case, role, targets, matrix.cookies.get(role)))
    ]
    assert not wrong, "\n".join(wrong)


def _rules_by_blueprint() -> dict[str, set[tuple[str, str]]]:
    """(endpoint, method) of every URL rule, by blueprint, from an app without a database."""
    from app import create_app

    application = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_PATH": tempfile.gettempdir()}
    )
    rules: dict[str, set[tuple[str, str]]] = {}
    for rule in application.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0] or "app"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            rules.setdefault(blueprint, set()).add((rule.endpoint, method))
    return rules


RULES = _rules_by_blueprint()


@pytest.mark.parametrize("blueprint", sorted(RULES))
def test_every_url_rule_is_in_the_matrix(blueprint):
    """A view without a row here fails (per blueprint, so a feature's owner sees their own failure):
    add its row to MATRIX, and think about who may open it."""
    in_matrix = {(case.endpoint, case.method) for case in MATRIX}
    missing = sorted(RULES[blueprint] - in_matrix)
    assert not missing, "URL rules without a row in the access matrix: " + ", ".join(
        f"{method} {endpoint}" for endpoint, method in missing
    )


def test_every_matrix_row_is_a_rule_of_the_app():
    in_app = {pair for rules in RULES.values() for pair in rules}
    stale = sorted({(case.endpoint, case.method) for case in MATRIX} - in_app)
    assert not stale, "Matrix rows for rules the app no longer has: " + ", ".join(
        f"{method} {endpoint}" for endpoint, method in stale
    )
