"""`flask seed-demo`: the four demo accounts log in and each sees what their role allows."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.core.db import db
from app.core.enums import Role
from app.synthetic.demo.seed import DEMO_PASSWORD
from app.units.models import Membership, Unit


@pytest.fixture
def demo(app):
    """Seed through the command, as `make run` does; returns the units by code."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Đã tạo tổ chức mẫu" in result.output
    for username in ("admin", "canbo", "bithu", "doanvien"):
        assert username in result.output
    db.session.expire_all()
    return {unit.code: unit.id for unit in db.session.scalars(select(Unit))}


@pytest.fixture
def as_user(client):
    def log_in(username: str):
        client.post("/logout")
        response = client.post("/login", data={"login": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, f"{username} cannot log in with {DEMO_PASSWORD}"
        return client

    return log_in


def status(client, url: str) -> int:
    return client.get(url).status_code


def test_seed_demo_builds_a_lived_in_organisation(demo):
    assert set(demo) == {
        "DK-CQT-ST",
        "DCS-SGDDT",
        "CD-VP-SGDDT",
        "CD-GDTrH",
        "DCS-SYT",
        "CD-BVDK",
        "DB-SGDDT",
        "CB-VP-SGDDT",
    }
    sizes = dict(
        db.session.execute(
            select(Unit.code, func.count())
            .join(Membership, Membership.unit_id == Unit.id)
            .where(Membership.role != Role.OFFICER)
            .group_by(Unit.code)
        ).all()
    )
    assert sizes == {"CD-VP-SGDDT": 16, "CD-GDTrH": 12, "CD-BVDK": 19, "CB-VP-SGDDT": 9}
    usernames = db.session.scalars(select(User.username)).all()
    assert len(usernames) == len(set(usernames))
    doanvien = db.session.scalar(select(User).where(User.username == "doanvien"))
    assert doanvien.full_name == "Nguyễn Thị Mỹ Duyên" and doanvien.is_activated


def test_seed_demo_runs_only_on_an_empty_database(app, demo):
    runner = app.test_cli_runner()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code != 0 and "chỉ tạo dữ liệu mẫu trên cơ sở dữ liệu trống" in again.output
    quiet = runner.invoke(args=["seed-demo", "--if-empty"])
    assert quiet.exit_code == 0 and "không tạo lại" in quiet.output
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 8


def test_doanvien_sees_their_branch_and_nothing_more(demo, as_user):
    client = as_user("doanvien")
    assert status(client, "/") == 200
    assert status(client, f"/units/{demo['CD-VP-SGDDT']}") == 200
    assert status(client, f"/units/{demo['CD-VP-SGDDT']}/members") == 200
    assert status(client, f"/units/{demo['CD-VP-SGDDT']}/members/add") == 403
    assert status(client, "/admin/outbox/") == 403
    assert status(client, "/people") == 403
    for other in ("CD-GDTrH", "CD-BVDK", "DCS-SGDDT", "DK-CQT-ST", "CB-VP-SGDDT"):
        assert status(client, f"/units/{demo[other]}") == 404
    home = client.get("/").get_data(as_text=True)
    assert "Đoàn viên" in home and "Chi đoàn Văn phòng Sở Giáo dục và Đào tạo" in home
    assert "Hộp thư đi" not in home


def test_bithu_manages_their_branch_only(demo, as_user):
    client = as_user("bithu")
    branch = demo["CD-VP-SGDDT"]
    assert status(client, f"/units/{branch}/members/add") == 200
    assert status(client, f"/units/{branch}/import") == 200
    page = client.get(f"/units/{branch}/members", query_string={"q": "nguyen thi my duyen"}).get_data(
        as_text=True
    )
    assert ">Nguyễn Thị Mỹ Duyên</a>" in page and "(1)" in page
    for other in ("CD-GDTrH", "CD-BVDK", "DCS-SGDDT", "DK-CQT-ST", "DB-SGDDT"):
        assert status(client, f"/units/{demo[other]}") == 404
        assert status(client, f"/units/{demo[other]}/members/add") == 404
    # A đảng viên of the Chi bộ: sees it, but does not manage it.
    assert status(client, f"/units/{demo['CB-VP-SGDDT']}") == 200
    assert status(client, f"/units/{demo['CB-VP-SGDDT']}/members/add") == 403
    assert status(client, f"/units/{branch}/edit") == 403
    assert status(client, "/admin/outbox/") == 403
    people = client.get("/people").get_data(as_text=True)
    assert "(16)" in people and "Phạm Văn Hùng" not in people  # the Chi bộ's secretary is not theirs


def test_canbo_sees_the_whole_doan_khoi_and_the_party_committee_they_sit_on(demo, as_user):
    # canbo is an officer of the Đoàn Khối and of the Đảng bộ (to ratify both demo rounds).
    client = as_user("canbo")
    tree = client.get("/units/").get_data(as_text=True)
    for code in (
        "DK-CQT-ST",
        "DCS-SGDDT",
        "CD-VP-SGDDT",
        "CD-GDTrH",
        "DCS-SYT",
        "CD-BVDK",
        "DB-SGDDT",
        "CB-VP-SGDDT",
    ):
        assert status(client, f"/units/{demo[code]}") == 200
        assert f'href="/units/{demo[code]}"' in tree
    assert status(client, f"/units/{demo['CD-BVDK']}/members/add") == 200
    assert status(client, f"/units/new?parent_id={demo['DCS-SYT']}") == 200
    assert status(client, f"/units/{demo['CD-BVDK']}/move") == 403
    assert status(client, "/admin/outbox/") == 403
    # 16 + 12 + 19 members and canbo herself, nobody from the Party
    assert "(56)" in client.get("/people").get_data(as_text=True)  # 48 in the Đoàn Khối, 8 more in the Chi bộ
    # bithu, a member of the Chi bộ, sees the Chi bộ but not the Đảng bộ above it.
    other = as_user("bithu")
    assert status(other, f"/units/{demo['CB-VP-SGDDT']}") == 200
    assert status(other, f"/units/{demo['DB-SGDDT']}") == 404


def test_admin_sees_everything(demo, as_user):
    client = as_user("admin")
    for unit_id in demo.values():
        assert status(client, f"/units/{unit_id}") == 200
        assert status(client, f"/units/{unit_id}/members/add") == 200
    assert status(client, "/admin/outbox/") == 200
    assert status(client, "/units/new") == 200
    assert status(client, f"/units/{demo['CD-BVDK']}/move") == 200
    total = db.session.scalar(select(func.count()).select_from(User))
    assert f"({total})" in client.get("/people").get_data(as_text=True)


def test_demo_search_finds_dat_without_diacritics(demo, as_user):
    client = as_user("admin")
    page = client.get("/people", query_string={"q": "dat"}).get_data(as_text=True)
    names = db.session.scalars(select(User.full_name).where(User.name_folded.contains("dat"))).all()
    assert names, "the demo has somebody called Đạt or Đặng"
    for name in names:
        assert name in page


# ---- flask create-admin ----------------------------------------------------------------------


def test_create_admin_makes_an_account_that_logs_in(app, client):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "QuanTri", "--email", "QT@Example.vn", "--name", "Quản  Trị Viên"],
        input="matkhau-dai-123\nmatkhau-dai-123\n",
    )
    assert result.exit_code == 0, result.output
    assert "Đã tạo quản trị viên quantri." in result.output
    admin = db.session.scalar(select(User).where(User.username == "quantri"))
    assert admin.is_admin and admin.email == "qt@example.vn" and admin.is_activated
    assert (
        client.post("/login", data={"login": "qt@example.vn", "password": "matkhau-dai-123"}).status_code
        == 302
    )
    assert client.get("/admin/outbox/").status_code == 200


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["create-admin", "ab cd"], "matkhau-dai-123", "Tên đăng nhập gồm 2–64 ký tự"),
        (["create-admin", "quantri"], "ngan", "Mật khẩu cần ít nhất 8 ký tự."),
        (["create-admin", "doanvien"], "matkhau-dai-123", "Tên đăng nhập doanvien đã có người dùng."),
        (["create-admin", "moi", "--email", "duyen@example.vn"], "matkhau-dai-123", "đã được dùng"),
    ],
)
def test_create_admin_refusals(app, make_user, args, password, message):
    make_user("doanvien", email="duyen@example.vn")
    result = app.test_cli_runner().invoke(args=args, input=f"{password}\n{password}\n")
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


# ---- the demo's year: what a visitor notices ---------------------------------------------------


@pytest.mark.parametrize("moment", ["2026-12-07 10:00", "2027-01-02 08:00", "2026-07-15 21:30"])
def test_the_demo_shows_a_real_year(app, clock, as_user, moment):
    """Every member has an approved plan and a diary; entries in every state; most months signed;
    a few silent for weeks; a round ratified and one in progress; nothing dated in the future."""
    from datetime import timedelta

    from app.core.clock import today_local, utcnow
    from app.core.enums import EntryStatus, PlanStatus, RoundStatus
    from app.grading.models import GradingRound
    from app.journal.models import Entry
    from app.plans.models import Plan
    from app.review.models import MonthReview

    clock.set(moment)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    today, now = today_local(), utcnow()
    year = today.year

    people = db.session.execute(
        select(Membership.user_id, Membership.unit_id).where(Membership.role != Role.OFFICER)
    ).all()
    approved = set(
        db.session.scalars(
            select(Plan.user_id).where(Plan.year == year, Plan.status == PlanStatus.APPROVED)
        ).all()
    )
    assert {user_id for user_id, _ in people} <= approved, "every member has an approved plan this year"
    writers = set(db.session.scalars(select(Entry.user_id).distinct()).all())
    assert {user_id for user_id, _ in people} <= writers, "every member has a diary"
    states = dict(db.session.execute(select(Entry.status, func.count()).group_by(Entry.status)).all())
    for state in EntryStatus:
        assert states.get(state, 0) > 0, f"no entry is {state.label}"
    assert db.session.scalar(select(func.count()).where(Entry.is_exemplary)) > 0
    assert db.session.scalar(select(func.count()).where(Entry.user_id.in_(approved))) > 1000

    # Most months before this one are signed (the last one only half: the meeting is early next month).
    months_with_entries = db.session.execute(
        select(Entry.user_id, Entry.unit_id, func.count()).group_by(Entry.user_id, Entry.unit_id)
    ).all()
    signed = db.session.scalar(select(func.count()).where(MonthReview.signed_at.is_not(None)))
    assert signed >= 2 * len(months_with_entries), "a couple of signed months per diary at least"

    # Nothing happened in the future.
    for column in (Entry.created_at, Entry.submitted_at, Plan.created_at, MonthReview.signed_at):
        latest = db.session.scalar(select(func.max(column)))
        assert latest is None or latest.replace(tzinfo=now.tzinfo) <= now + timedelta(seconds=5), column
    assert db.session.scalar(select(func.max(Entry.deed_date))) <= today

    rounds = {(r.unit.code, r.year): r.status for r in db.session.scalars(select(GradingRound)).all()}
    assert rounds[("CD-BVDK", year)] is RoundStatus.RATIFIED
    assert rounds[("CD-VP-SGDDT", year)] is RoundStatus.OPEN
    assert rounds[("CD-VP-SGDDT", year - 1)] is RoundStatus.RATIFIED
    done = db.session.scalar(
        select(GradingRound).where(GradingRound.year == year, GradingRound.status == RoundStatus.RATIFIED)
    )
    steps = [done.opened_at, done.meeting_recorded_at, done.submitted_at, done.ratified_at]
    steps = [step.replace(tzinfo=now.tzinfo) for step in steps]
    assert steps == sorted(steps) and steps[-1] <= now + timedelta(seconds=5), "the round went in order"

    units = {unit.code: unit.id for unit in db.session.scalars(select(Unit))}
    officer = as_user("canbo")
    sheet = officer.get(f"/grading/{units['CD-BVDK']}/{year}").get_data(as_text=True)
    assert "Đã được công nhận" in sheet
    sheet = officer.get(f"/grading/{units['CD-VP-SGDDT']}/{year}").get_data(as_text=True)
    assert "Đang tự đánh giá, đề xuất" in sheet
    # The secretary's dashboard: somebody has been silent for weeks, entries wait for review.
    secretary = as_user("bithu")
    board = secretary.get(f"/units/{units['CD-VP-SGDDT']}/dashboard").get_data(as_text=True)
    assert "Chưa ghi" in board and "Đã duyệt" in board
