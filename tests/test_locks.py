"""Record integrity (issue 15): the five attacks of the issue replayed over HTTP, each refused with a
clear message and leaving the data unchanged, with the member's signed month still verifying
"authentic and current" on its PDF's number after every refused attempt; the way out of each lock
(reopening with a reason, a copy of a framework); `flask check-integrity`.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditLog
from app.core import locks
from app.core.db import db
from app.core.enums import EntryStatus, Frequency, RoundStatus
from app.export import services as export
from app.grading import services as grading
from app.grading.models import Criterion, Framework, FrameworkLevel, GradingRound, Rating
from app.journal import services as journal
from app.journal.models import Entry
from app.plans import services as plans
from app.plans.models import Plan
from app.review import services as review
from app.review.models import EntryComment, MonthReview
from app.standards.models import Standard
from tests.test_grading import diary, finish_meeting, go_ahead, rating_of, this_year


def still_current(number: str) -> None:
    answer = export.verify_document(number)
    assert answer.status == export.CURRENT, f"{number}: {answer.status}"


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.fixture
def signed(org):
    """The member's January signed by the secretary, and the month's PDF made then."""
    entries = diary(org.member, org.branch, org.secretary, entries=2)
    review.sign_off_month(org.secretary, org.member, org.branch, this_year(), 1)
    db.session.commit()
    number = export.export_member_month(org.secretary, org.member, org.branch, this_year(), 1).document.number
    db.session.commit()
    still_current(number)
    return SimpleNamespace(entry=entries[0], february=entries[1], number=number)


def ratified_round(org, framework=None) -> GradingRound:
    grading_round = grading.open_round(
        org.secretary, org.branch, this_year(), framework or grading.default_framework(org.branch)
    )
    db.session.commit()
    finish_meeting(grading_round, org.secretary)
    grading.submit_round(org.secretary, grading_round, go_ahead(grading_round, "submit"))
    grading.ratify_round(org.officer_root, grading_round, go_ahead=go_ahead(grading_round, "ratify"))
    db.session.commit()
    return grading_round


# ---- 1. the framework a ratified round used ------------------------------------------------------------


def test_1_a_ratified_rounds_framework_is_not_edited_but_can_be_copied(org, client, login, signed):
    own = grading.copy_framework(
        org.officer_root, grading.default_framework(org.branch), org.root, "Khung riêng"
    )
    db.session.commit()
    grading_round = ratified_round(org, own)
    listing = export.export_document(
        org.officer_root, "grading-list", org.branch, this_year()
    ).document.number
    db.session.commit()
    bottom = own.levels[-1]
    names = [lv.name for lv in own.levels]
    criteria = count(Criterion, Criterion.framework_id == own.id)

    login("canbo")
    page = f"/grading/frameworks/{org.root.id}/{own.id}"
    renamed = client.post(
        page, data={"name": own.name, f"name-{bottom.id}": "Không hoàn thành nhiệm vụ (sửa sau công nhận)"}
    )
    body = renamed.get_data(as_text=True)
    assert renamed.status_code == 409
    assert "đang được dùng cho kết quả xếp loại năm" in body and "Sao chép thành phiên bản mới để sửa" in body
    still_current(signed.number)
    added = client.post(f"{page}/criteria", data={"new-text": "Tiêu chí thêm sau công nhận"})
    assert added.status_code == 409 and "sao chép thành phiên bản mới" in added.get_data(as_text=True)
    still_current(signed.number)
    deleted = client.post(f"{page}/criteria/{own.criteria[0].id}/delete")
    assert deleted.status_code == 409
    still_current(signed.number)
    db.session.expire_all()
    assert [lv.name for lv in db.session.get(Framework, own.id).levels] == names
    assert count(Criterion, Criterion.framework_id == own.id) == criteria
    still_current(listing)
    # The page offers a copy instead; the copy is editable and the round keeps the version it used.
    shown = client.get(page).get_data(as_text=True)
    assert 'data-lock="framework_in_use"' in shown and f'name="source_id" value="{own.id}"' in shown
    copied = client.post(
        f"/grading/frameworks/{org.root.id}", data={"source_id": own.id, "name": "Khung riêng 2"}
    )
    assert copied.status_code == 302
    copy = db.session.scalar(select(Framework).where(Framework.name == "Khung riêng 2"))
    copy_bottom = copy.levels[-1]
    edited = client.post(
        f"/grading/frameworks/{org.root.id}/{copy.id}",
        data={"name": copy.name, f"name-{copy_bottom.id}": "Chưa hoàn thành"},
    )
    assert edited.status_code == 302
    db.session.expire_all()
    assert db.session.get(FrameworkLevel, copy_bottom.id).name == "Chưa hoàn thành"
    assert db.session.get(GradingRound, grading_round.id).framework_id == own.id
    assert db.session.get(FrameworkLevel, bottom.id).name == names[-1]
    still_current(listing)
    still_current(signed.number)


# ---- 2. a closed year is read-only --------------------------------------------------------------------


def _submitted_plan(member, unit, standard) -> Plan:
    plan = plans.start_plan(member, member, unit, this_year())
    plans.save_plan(
        member,
        plan,
        "Còn chậm",
        [
            plans.CommitmentData(
                action="Đột phá",
                measure="Đo",
                standard_id=standard.id,
                frequency=Frequency.MONTHLY,
                deadline=date(this_year(), 12, 31),
                is_breakthrough=True,
            ),
            plans.CommitmentData(
                action="Việc", measure="Đo", standard_id=standard.id, deadline=date(this_year(), 12, 31)
            ),
        ],
    )
    plans.submit_plan(member, plan)
    return plan


def test_2_a_closed_year_refuses_every_change_of_that_year(org, client, login, signed):
    standard = db.session.scalar(
        select(Standard).where(Standard.unit_id == org.branch.id, Standard.year == this_year())
    )
    if this_year() not in plans.plan_years():
        pytest.skip("plans of this year are not open today")
    other = _submitted_plan(org.member2, org.branch, standard)
    db.session.commit()
    grading_round = ratified_round(org)
    grading.close_year(org.secretary, org.branch, this_year())
    db.session.commit()
    approved = plans.plan_in_force(org.member, org.branch, this_year())
    rating = rating_of(grading_round, org.member)
    before = {
        "plans": count(Plan, Plan.unit_id == org.branch.id),
        "comments": count(EntryComment),
        "exemplary": count(Entry, Entry.is_exemplary.is_(True)),
        "standard": standard.title,
        "other": other.status,
    }

    def refused(response, reason="mở lại được năm đã khóa sổ"):
        assert response.status_code == 409, response.status_code
        assert reason in response.get_data(as_text=True)
        still_current(signed.number)

    login("doanvien2")
    refused(client.post(f"/plans/{other.id}/edit", data={"op": "save", "shortcomings": "Sửa sau khóa sổ"}))
    refused(client.post(f"/plans/{other.id}/submit"))
    client.post("/logout")
    login("doanvien")
    refused(client.post(f"/plans/{approved.id}/revise"))
    refused(
        client.post(
            f"/review/entries/{signed.february.id}/comment", data={"body": "Trả lời", "back": "entry"}
        )
    )
    refused(
        client.post(
            f"/grading/{org.branch.id}/{this_year()}/me/reconsider",
            data={"rc-reason": "Đề nghị xem xét lại kết quả"},
        )
    )
    client.post("/logout")
    login("bithu")
    refused(client.post(f"/plans/{other.id}/approve"))
    refused(
        client.post(
            f"/review/entries/{signed.february.id}/comment", data={"body": "Nhận xét", "back": "entry"}
        )
    )
    refused(client.post(f"/review/entries/{signed.february.id}/exemplary", data={"note": "Gương sáng"}))
    refused(
        client.post(
            f"/standards/{standard.id}/edit", data={"group": "discipline", "title": "Sửa sau khóa sổ"}
        )
    )
    client.post("/logout")
    login("canbo")
    refused(
        client.post(
            f"/grading/{org.branch.id}/{this_year()}/members/{org.member.id}/answer",
            data={"answer": "Giữ nguyên"},
        )
    )
    db.session.expire_all()
    after = {
        "plans": count(Plan, Plan.unit_id == org.branch.id),
        "comments": count(EntryComment),
        "exemplary": count(Entry, Entry.is_exemplary.is_(True)),
        "standard": db.session.get(Standard, standard.id).title,
        "other": db.session.get(Plan, other.id).status,
    }
    assert after == before
    assert db.session.get(Rating, rating.id).reconsideration_at is None


def test_reopening_a_closed_year_is_the_upper_levels_act_with_a_reason(org, client, login, signed):
    ratified_round(org)
    grading.close_year(org.secretary, org.branch, this_year())
    db.session.commit()
    sheet = f"/grading/{org.branch.id}/{this_year()}"
    login("bithu")
    assert "Mở lại năm" not in client.get(sheet).get_data(as_text=True)
    assert client.post(f"{sheet}/reopen-year", data={"reason": "Tôi muốn sửa"}).status_code == 403
    client.post("/logout")
    login("canbo")
    assert f"Mở lại năm {this_year()}" in client.get(sheet).get_data(as_text=True)
    assert client.post(f"{sheet}/reopen-year", data={"reason": ""}).status_code == 422
    assert locks.is_year_closed(org.branch.id, this_year())
    reopened = client.post(
        f"{sheet}/reopen-year", data={"reason": "Bổ sung kết quả khiếu nại được chấp nhận"}
    )
    assert reopened.status_code == 302
    assert not locks.is_year_closed(org.branch.id, this_year())
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "year.reopen"))
    assert row.reason == "Bổ sung kết quả khiếu nại được chấp nhận" and row.actor_id == org.officer_root.id
    assert "mở lại năm" in client.get(f"/units/{org.branch.id}/audit").get_data(as_text=True)


# ---- 3. an entry is checked against its own branch --------------------------------------------------------


def test_3_a_draft_is_not_moved_into_a_signed_month_through_another_branch(
    org, client, login, clock, make_user
):
    from app.core.enums import Role
    from app.units.models import Membership

    clock.set("2026-06-15 10:00")
    org.branch.backdate_days = 60
    db.session.add(Membership(user=org.member, unit=org.branch_sibling, role=Role.MEMBER))
    db.session.commit()
    may = journal.save_entry(
        org.member,
        org.member,
        org.branch,
        journal.EntryData(deed_date=date(2026, 5, 20), action="Tháng 5"),
        submit=False,
    )
    may.status = EntryStatus.SUBMITTED
    db.session.commit()
    review.sign_off_month(org.secretary, org.member, org.branch, 2026, 5)
    db.session.commit()
    number = export.export_member_month(org.secretary, org.member, org.branch, 2026, 5).document.number
    draft = journal.save_entry(
        org.member, org.member, org.branch, journal.EntryData(deed_date=date(2026, 6, 10), action="Nháp")
    )
    db.session.commit()
    still_current(number)

    login("doanvien")
    moved = client.post(
        f"/diary/entries/autosave?unit_id={org.branch_sibling.id}",
        data={"entry_id": str(draft.id), "deed_date": "20/05/2026", "action": "Nháp chuyển sang tháng đã ký"},
    )
    assert (
        moved.status_code == 409
        and "ký xác nhận" in moved.json["message"]
        and moved.json["locked"] == "signed_month"
    )
    still_current(number)
    edited = client.post(
        f"/diary/entries/{draft.id}/edit",
        data={"deed_date": "20/05/2026", "action": "Chuyển ngày", "save_draft": "1"},
    )
    assert edited.status_code == 409 and "Chuyển ngày" in edited.get_data(as_text=True)  # the text is kept
    still_current(number)
    # The draft continued from the other branch's form is not this draft: it stays where it was.
    client.post(
        f"/diary/entries/new?unit_id={org.branch_sibling.id}",
        data={
            "entry_id": str(draft.id),
            "deed_date": "20/05/2026",
            "action": "Viết ở chi đoàn kia",
            "save_draft": "1",
        },
    )
    still_current(number)
    db.session.expire_all()
    kept = db.session.get(Entry, draft.id)
    assert (kept.deed_date, kept.unit_id, kept.action) == (date(2026, 6, 10), org.branch.id, "Nháp")
    assert count(Entry, Entry.unit_id == org.branch.id, Entry.deed_date == date(2026, 5, 20)) == 1
    # The service is the guard whatever unit the caller names (the offline sync endpoint calls it too).
    with pytest.raises(locks.LockedError):
        journal.autosave_draft(
            org.member,
            org.member,
            org.branch_sibling,
            journal.EntryData(deed_date=date(2026, 5, 21), action="x"),
            db.session.get(Entry, draft.id),
        )
    db.session.rollback()
    still_current(number)


# ---- 4. a signed month refuses everything its PDF prints ------------------------------------------------


def test_4_a_signed_month_refuses_comments_and_everything_its_pdf_prints(org, client, login, signed):
    entry = signed.entry
    comments = count(EntryComment)
    month_page = f"/units/{org.branch.id}/review/{org.member.id}/{this_year()}/1"

    def refused(response):
        body = response.json["message"] if response.is_json else response.get_data(as_text=True)
        assert response.status_code == 409 and "ký xác nhận" in body and "mở lại tháng" in body, (
            response.status_code
        )
        still_current(signed.number)

    login("bithu")
    page = client.get(month_page).get_data(as_text=True)
    assert 'data-lock="signed_month"' in page and f"/review/entries/{entry.id}/comment" not in page
    refused(
        client.post(
            f"/review/entries/{entry.id}/comment", data={"body": "Nhận xét sau khi ký", "back": "entry"}
        )
    )
    refused(client.post(f"/review/entries/{entry.id}/revision", data={"reason": "Bổ sung"}))
    refused(client.post(f"/review/entries/{entry.id}/exemplary", data={"note": "Gương sáng"}))
    refused(client.post(f"/review/entries/{entry.id}/unexemplary"))
    refused(client.post(f"{month_page}/comment", data={"comment": "Sửa nhận xét tháng", "lock_version": "2"}))
    client.post("/logout")
    login("doanvien")
    assert f"/review/entries/{entry.id}/comment" not in client.get(f"/diary/entries/{entry.id}").get_data(
        as_text=True
    )
    refused(
        client.post(
            f"/review/entries/{entry.id}/comment", data={"body": "Trả lời sau khi ký", "back": "entry"}
        )
    )
    refused(
        client.post(
            f"/diary/entries/{entry.id}/edit", data={"deed_date": f"05/01/{this_year()}", "action": "Sửa"}
        )
    )
    assert count(EntryComment) == comments
    client.post("/logout")

    # Reopened with a reason, the month takes the comment; the old PDF then says "changed since"
    # and shows the reopening.
    login("bithu")
    assert client.post(f"{month_page}/reopen", data={"reason": "Bổ sung nhận xét"}).status_code == 302
    assert (
        client.post(
            f"/review/entries/{entry.id}/comment", data={"body": "Nhận xét bổ sung", "back": "entry"}
        ).status_code
        == 302
    )
    assert export.verify_document(signed.number).status == export.CHANGED
    answer = client.get(f"/verify/{signed.number}").get_data(as_text=True)
    assert (
        "hồ sơ đã thay đổi kể từ khi lập" in answer
        and f"Tháng 1/{this_year()} đã ký xác nhận được mở lại" in answer
    )
    assert "Bổ sung nhận xét" not in answer  # the reason stays in the unit's records


# ---- 5. the lock fails closed in any process -----------------------------------------------------------


def test_5_a_process_that_never_imports_the_review_feature_sees_the_signed_month(app, org, signed):
    """A CLI command, the worker, a script: nothing registers a hook, the records answer."""
    script = textwrap.dedent(
        f"""
        import sys
        from flask import Flask
        from app.core.db import db
        probe = Flask("probe")
        probe.config["SQLALCHEMY_DATABASE_URI"] = {app.config["SQLALCHEMY_DATABASE_URI"]!r}
        db.init_app(probe)
        import importlib, pathlib
        for models in sorted(pathlib.Path("app").glob("*/models.py")):  # models may be imported by anyone
            importlib.import_module(".".join(models.with_suffix("").parts))
        from app.core import locks
        from app.journal import services as journal
        from app.auth.models import User
        from app.units.models import Unit
        with probe.app_context():
            member = db.session.get(User, {org.member.id})
            unit = db.session.get(Unit, {org.branch.id})
            print(journal.month_is_signed_off(member, unit, {this_year()}, 1), locks.is_month_signed({org.member.id}, {org.branch.id}, {this_year()}, 1))
            print("app.review.services" in sys.modules)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "False"]
    assert not hasattr(journal, "_SIGN_OFF_CHECK") and not hasattr(journal, "register_sign_off_check")


# ---- flask check-integrity ------------------------------------------------------------------------------


def test_check_integrity_lists_data_written_after_a_lock_and_changes_nothing(app, org, signed):
    runner = app.test_cli_runner()
    clean = runner.invoke(args=["check-integrity"])
    assert clean.exit_code == 0 and "Không thấy dữ liệu nào vi phạm khóa" in clean.output
    # A comment written straight into the table after the sign-off, as before this change.
    signed_at = db.session.scalar(select(MonthReview.signed_at).where(MonthReview.user_id == org.member.id))
    from datetime import timedelta

    db.session.add(
        EntryComment(
            entry_id=signed.entry.id,
            author_id=org.secretary.id,
            body="Muộn",
            created_at=signed_at + timedelta(hours=2),
        )
    )
    db.session.commit()
    comments = count(EntryComment)
    found = runner.invoke(args=["check-integrity"])
    assert found.exit_code == 1
    assert "[tháng đã ký] Chi đoàn Văn phòng (CDA)" in found.output
    assert (
        f"tháng 1/{this_year()} · Nguyễn Thị Mỹ Duyên: 1 nhận xét trên bài được thêm sau khi ký"
        in found.output
    )
    assert "Mở lại tháng (kèm lý do" in found.output
    assert count(EntryComment) == comments
    assert (
        db.session.scalar(select(MonthReview.signed_at).where(MonthReview.user_id == org.member.id))
        == signed_at
    )


def test_the_lock_says_who_froze_it_and_who_may_reopen(org, signed):
    lock = locks.entry_lock(signed.entry)
    assert lock.kind == locks.SIGNED_MONTH
    assert (
        f"Tháng 1/{this_year()} của Nguyễn Thị Mỹ Duyên ở Chi đoàn Văn phòng đã được Trần Quốc Bảo ký xác nhận"
        in lock.what
    )
    assert locks.entry_lock(signed.february) is None
    grading_round = ratified_round(org)
    assert locks.round_lock(grading_round).kind == locks.RATIFIED_ROUND
    assert locks.framework_lock(grading_round.framework).kind == locks.FRAMEWORK_IN_USE
    grading.close_year(org.secretary, org.branch, this_year())
    db.session.commit()
    assert locks.entry_lock(signed.february).kind == locks.CLOSED_YEAR  # the year before the month
    assert locks.round_lock(grading_round).kind == locks.CLOSED_YEAR
    assert grading_round.status is RoundStatus.RATIFIED
