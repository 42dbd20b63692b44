"""Reports of upper units (issue 7): every figure against a count made here from the rows the test
wrote, the breakdown by child unit and the drill-down to a branch, the months, the exports, the
commendations, who read whose diary, and a fixed number of queries whatever the subtree's size."""

from __future__ import annotations

import csv
import io
import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from app.audit.models import DiaryRead
from app.audit.reads import reads_of
from app.core.db import db, utcnow
from app.core.enums import ContentGroup, EntryStatus, PlanStatus, Role, UnitKind
from app.core.filters import today_local, vn_number
from app.journal.models import Entry
from app.plans.models import Commitment, Plan
from app.reports import figures, services
from app.review.models import MonthReview
from app.standards.models import Standard
from app.units.models import Membership, Unit
from tests.pdf_checks import assert_archival_and_tagged

IN_DIARY = set(EntryStatus.in_diary())
DAY = timedelta(days=1)


# ---- building data, and counting it again here -----------------------------------------------------


class World:
    """Rows written directly (plans, entries with their review times, sign-offs), kept so the tests
    count the expected figures from them in plain Python, independently of the report's SQL."""

    def __init__(self, org):
        self.org = org
        self.standards: dict[ContentGroup, Standard] = {}

    def standard(self, group: ContentGroup, year: int) -> Standard:
        if group not in self.standards:
            s = Standard(unit_id=self.org.root.id, year=year, group=group, title=group.label)
            db.session.add(s)
            db.session.flush()
            self.standards[group] = s
        return self.standards[group]

    def plan(self, user, unit, year, status=PlanStatus.APPROVED, version=1, groups=()):
        plan = Plan(
            user_id=user.id,
            unit_id=unit.id,
            year=year,
            version=version,
            status=status,
            shortcomings="",
            created_by_id=user.id,
        )
        plan.commitments = [
            Commitment(action=f"Việc {g.label}", standard_id=self.standard(g, year).id, sort_order=i)
            for i, g in enumerate(groups)
        ]
        db.session.add(plan)
        db.session.flush()
        return plan

    def entry(
        self,
        user,
        unit,
        deed,
        status=EntryStatus.REVIEWED,
        *,
        sent_after=timedelta(hours=20),
        answered_after=None,
        exemplary=False,
        action="Tắt điện khi ra về",
        commitments=(),
    ):
        sent = datetime(deed.year, deed.month, deed.day, 12, tzinfo=UTC) + sent_after
        e = Entry(
            user_id=user.id,
            unit_id=unit.id,
            deed_date=deed,
            action=action,
            status=status,
            search_text="",
            created_at=sent,
            updated_at=sent,
            submitted_at=None if status is EntryStatus.DRAFT else sent,
            is_exemplary=exemplary,
            exemplary_at=sent if exemplary else None,
            exemplary_note="Gương sáng" if exemplary else None,
        )
        if answered_after is not None and status is EntryStatus.REVIEWED:
            e.reviewed_at = sent + answered_after
        if answered_after is not None and status is EntryStatus.REVISION:
            e.revision_requested_at = sent + answered_after
        e.commitments = list(commitments)
        db.session.add(e)
        return e

    def sign(self, user, unit, year, month, signed=True):
        db.session.add(
            MonthReview(
                user_id=user.id,
                unit_id=unit.id,
                year=year,
                month=month,
                comment="Tốt",
                signed_at=utcnow() if signed else None,
            )
        )


@dataclass
class Expected:
    members: int
    approved_plans: int
    wrote_recently: int
    entries: int
    review_due: int
    reviewed_in_time: int
    month_slots: int
    months_signed: int
    exemplary: int
    commended_members: int


ANSWERED = (EntryStatus.REVIEWED, EntryStatus.REVISION)


def _answered(e: Entry):
    if e.status is EntryStatus.REVIEWED:
        return e.reviewed_at
    if e.status is EntryStatus.REVISION:
        return e.revision_requested_at
    return None


def count_expected(branch_ids, year, months, as_of, today, now) -> Expected:
    """The figures of the branches `branch_ids`, counted row by row from everything in the database."""
    members = {
        (m.user_id, m.unit_id)
        for m in db.session.scalars(select(Membership))
        if m.unit_id in branch_ids and m.role is not Role.OFFICER
    }
    entries = [
        e
        for e in db.session.scalars(select(Entry))
        if (e.user_id, e.unit_id) in members and e.status in IN_DIARY and e.deed_date <= as_of
    ]
    start = date(year, months[0], 1)
    in_period = [e for e in entries if e.deed_date >= start]
    approved = {
        (p.user_id, p.unit_id)
        for p in db.session.scalars(select(Plan))
        if p.year == year and p.status is PlanStatus.APPROVED and (p.user_id, p.unit_id) in members
    }
    wrote = {(e.user_id, e.unit_id) for e in entries if (as_of - e.deed_date).days < 30}
    # Due for review: answered (reviewed or sent back), or still waiting 7 days after being sent.
    due = [
        e for e in in_period if e.submitted_at and (e.status in ANSWERED or now - e.submitted_at >= 7 * DAY)
    ]
    in_time = [e for e in due if _answered(e) and _answered(e) - e.submitted_at <= 7 * DAY]
    this_month = date(today.year, today.month, 1)
    slots = {(e.user_id, e.unit_id, e.deed_date.month) for e in in_period if e.deed_date < this_month}
    signed_rows = {
        (r.user_id, r.unit_id, r.month)
        for r in db.session.scalars(select(MonthReview))
        if r.year == year and r.signed_at is not None
    }
    exemplary = [e for e in in_period if e.is_exemplary]
    return Expected(
        members=len(members),
        approved_plans=len(approved),
        wrote_recently=len(wrote),
        entries=len(in_period),
        review_due=len(due),
        reviewed_in_time=len(in_time),
        month_slots=len(slots),
        months_signed=len(slots & signed_rows),
        exemplary=len(exemplary),
        commended_members=len({(e.user_id, e.unit_id) for e in exemplary}),
    )


def figures_of(f: services.Figures) -> Expected:
    return Expected(**{name: getattr(f, name) for name in Expected.__dataclass_fields__})


def branches_under(unit) -> set[int]:
    return {
        u.id for u in db.session.scalars(select(Unit)) if u.path.startswith(unit.path) and u.kind.is_branch
    }


@pytest.fixture
def world(org, make_user):
    """A past year (complete: every month is over) of diaries in the org's branches, random but
    seeded, with every case the definitions distinguish; and a few rows that must not count."""
    w = World(org)
    year = today_local().year - 1
    rng = random.Random(7)
    a, a2, b = org.branch, org.branch_sibling, org.branch_other
    extra_a2 = [make_user(f"a2_{i}", a2, full_name=f"Thành Viên A2 {i}") for i in range(3)]
    people = [
        (org.secretary, a),
        (org.deputy, a),
        (org.member, a),
        (org.member2, a),
        (org.secretary_other, b),
        (org.member_other, b),
        *[(u, a2) for u in extra_a2],
    ]
    # Plans: approved, a newer approved version over a superseded one, submitted, draft, none,
    # and an approved plan of another year.
    w.plan(org.member, a, year, groups=[ContentGroup.ETHICS, ContentGroup.DUTIES])
    w.plan(org.deputy, a, year, PlanStatus.SUPERSEDED, 1)
    w.plan(org.deputy, a, year, PlanStatus.APPROVED, 2)
    w.plan(org.member2, a, year, PlanStatus.SUBMITTED)
    w.plan(org.member2, a, year - 1, PlanStatus.APPROVED)
    w.plan(org.secretary_other, b, year)
    w.plan(org.member_other, b, year, PlanStatus.DRAFT)
    w.plan(extra_a2[0], a2, year)
    statuses = [EntryStatus.REVIEWED] * 6 + [EntryStatus.SUBMITTED, EntryStatus.REVISION, EntryStatus.DRAFT]
    for user, unit in people:
        if user is extra_a2[2]:
            continue  # never wrote
        day = date(year, 1, 1) + timedelta(days=rng.randint(0, 20))
        while day.year == year:
            status = rng.choice(statuses)
            answered = timedelta(hours=rng.choice([2, 30, 100, 160, 170, 180, 300, 600]))
            w.entry(
                user,
                unit,
                day,
                status,
                sent_after=timedelta(hours=rng.randint(0, 60)),
                answered_after=answered if rng.random() < 0.9 else None,
                exemplary=status is not EntryStatus.DRAFT and rng.random() < 0.06,
            )
            day += timedelta(days=rng.choice([3, 5, 8, 13, 21]))
    db.session.flush()
    written = {(e.user_id, e.unit_id, e.deed_date.month) for e in db.session.scalars(select(Entry))}
    for user_id, unit_id, month in sorted(written):
        if rng.random() < 0.7:
            db.session.add(
                MonthReview(
                    user_id=user_id,
                    unit_id=unit_id,
                    year=year,
                    month=month,
                    comment="",
                    signed_at=utcnow() if rng.random() < 0.85 else None,
                )
            )
    # A signed month without entries is not a month to sign.
    w.sign(extra_a2[2], a2, year, 6)
    # Must not count: someone who left branch A (membership removed), an officer, the Party cell.
    gone = make_user("daroi", a, full_name="Người Đã Chuyển Đi")
    w.entry(gone, a, date(year, 3, 3))
    db.session.delete(db.session.scalar(select(Membership).where(Membership.user_id == gone.id)))
    cell_member = make_user("dangvien", org.party_cell, full_name="Đảng Viên Chi Bộ")
    w.entry(cell_member, org.party_cell, date(year, 3, 4))
    db.session.commit()
    w.year = year
    w.extra_a2 = extra_a2
    return w


# ---- the figures ------------------------------------------------------------------------------------


PERIODS = ["year", "q1", "q3", "m2", "m12"]


@pytest.mark.parametrize("key", PERIODS)
def test_every_figure_is_the_count_from_the_rows(org, world, key):
    period = services.parse_period(str(world.year), key)
    today, now = today_local(), utcnow()
    report = services.build_report(org.root, period, today=today, now=now)
    as_of = period.end
    assert report.as_of == as_of
    expected = count_expected(branches_under(org.root), world.year, period.months, as_of, today, now)
    assert figures_of(report.total) == expected
    assert expected.entries and expected.review_due and expected.month_slots, (
        "the data must exercise the figures"
    )
    # Each child unit: everything under it.
    rows = {r.id: r for r in report.rows}
    assert set(rows) == {org.grassroots.id, org.grassroots_other.id}
    for child in (org.grassroots, org.grassroots_other):
        assert figures_of(rows[child.id].figures) == count_expected(
            branches_under(child), world.year, period.months, as_of, today, now
        )
    assert rows[org.grassroots.id].branches == 2 and report.branches == 3


def test_shares_on_the_page_and_the_drill_down_to_a_branch(client, login, org, world):
    login("canbo")
    today, now = today_local(), utcnow()
    html = client.get(f"/units/{org.root.id}/reports?year={world.year}&period=year").get_data(as_text=True)
    expected = count_expected(
        branches_under(org.grassroots), world.year, list(range(1, 13)), date(world.year, 12, 31), today, now
    )
    row = re.search(rf'<tr data-unit="{org.grassroots.id}">(.*?)</tr>', html, re.S).group(1)
    assert cell(row, "members") == vn_number(expected.members)
    assert cell(row, "plan").startswith(pct(expected.approved_plans, expected.members))
    assert cell(row, "entries") == vn_number(expected.entries)
    assert cell(row, "per_member") == vn_number(expected.entries / expected.members, 1)
    assert cell(row, "reviewed").startswith(pct(expected.reviewed_in_time, expected.review_due))
    assert f"{expected.reviewed_in_time}/{expected.review_due}" in cell(row, "reviewed")
    assert f"{expected.months_signed}/{expected.month_slots}" in cell(row, "signed")
    assert cell(row, "exemplary").startswith(vn_number(expected.exemplary))
    assert "Chưa có kết quả xếp loại" in html
    assert html.count('class="rp-chart ') == 4  # two month charts, each for a phone and a wide screen

    # Drill down: the Đoàn cơ sở, then its branch, then the branch's own dashboard.
    down = f"/units/{org.grassroots.id}/reports?year={world.year}&amp;period=year"
    assert f'href="{down}"' in html
    html = client.get(down.replace("&amp;", "&")).get_data(as_text=True)
    assert f'<tr data-unit="{org.branch.id}">' in html and f'<tr data-unit="{org.branch_sibling.id}">' in html
    assert f'href="/units/{org.branch.id}/reports?year={world.year}&amp;period=year"' in html
    branch_page = client.get(f"/units/{org.branch.id}/reports?year={world.year}&period=year")
    text = branch_page.get_data(as_text=True)
    assert branch_page.status_code == 200
    link = re.search(r'href="(/units/\d+/dashboard\?[^"]+)"', text).group(1).replace("&amp;", "&")
    assert link.startswith(f"/units/{org.branch.id}/dashboard")
    assert client.get(link).status_code == 200
    expected_a = count_expected(
        {org.branch.id}, world.year, list(range(1, 13)), date(world.year, 12, 31), today, now
    )
    tile = re.search(r'data-figure="members">\s*<span class="rp-tile-value">([^<]+)<', text).group(1)
    assert tile == vn_number(expected_a.members)


def cell(row_html: str, col: str) -> str:
    """The text of a table cell, tags taken out and spaces collapsed."""
    inner = re.search(rf'data-col="{col}">(.*?)</td>', row_html, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", inner).split())


def pct(part: int, whole: int) -> str:
    value = part / whole * 100
    return vn_number(value, 0 if round(value * 10) % 10 == 0 else 1) + "%"


@pytest.mark.clock
def test_months_of_the_year(org, world):
    period = services.parse_period(str(world.year), "q2")
    today, now = today_local(), utcnow()
    report = services.build_report(org.root, period, today=today, now=now)
    assert [m.month for m in report.months] == list(range(1, 13))
    branches = branches_under(org.root)
    for m in report.months:
        last = services.Period(world.year, "month", m.month).end
        one = count_expected(branches, world.year, [m.month], last, today, now)
        writers = {  # members (of a branch) who wrote that month
            (e.user_id, e.unit_id)
            for e in db.session.scalars(select(Entry))
            if e.unit_id in branches
            and e.status in IN_DIARY
            and (e.deed_date.year, e.deed_date.month) == (world.year, m.month)
            and e.user.username != "daroi"
        }
        assert m.entries == one.entries
        assert m.writers == len(writers)
        assert (m.review_due, m.reviewed_in_time) == (one.review_due, one.reviewed_in_time)
        assert (m.month_slots, m.months_signed) == (one.month_slots, one.months_signed)
        assert m.exemplary == one.exemplary
        assert m.members == one.members == report.total.members
    assert (
        sum(m.entries for m in report.months)
        == count_expected(
            branches, world.year, list(range(1, 13)), date(world.year, 12, 31), today, now
        ).entries
    )


@pytest.mark.clock
def test_this_year_counts_the_last_30_days_and_only_months_that_are_over(org, make_user):
    """As of today: who wrote in the 30 days up to today, entries not yet due for review, and the
    current month not counted among months to sign."""
    today, now = today_local(), utcnow()
    w = World(org)
    a = org.branch
    within = [today, today - 29 * DAY]
    outside = [today - 30 * DAY, today - 45 * DAY]
    w.entry(org.member, a, within[0], EntryStatus.SUBMITTED, sent_after=timedelta(0))  # not due yet
    w.entry(org.member2, a, within[1], EntryStatus.REVIEWED, answered_after=timedelta(days=1))
    w.entry(org.deputy, a, outside[0], EntryStatus.REVIEWED, answered_after=timedelta(days=8))
    w.entry(org.secretary, a, outside[1], EntryStatus.SUBMITTED)  # waiting > 7 days: due, late
    w.entry(org.member_other, org.branch_other, today, EntryStatus.DRAFT)  # a draft: nothing
    db.session.commit()
    period = services.parse_period(None, "year")
    assert period.year == today.year
    report = services.build_report(org.root, period, today=today, now=now)
    assert report.as_of == today
    in_year = [d for d in within + outside if d.year == today.year]
    expected = count_expected(branches_under(org.root), today.year, list(range(1, 13)), today, today, now)
    assert figures_of(report.total) == expected
    assert report.total.wrote_recently == len(within)  # the last 30 days, even across New Year
    assert report.total.entries == len(in_year)
    assert all(m.month <= today.month for m in report.months)


def test_the_rating_distribution_comes_from_one_function(client, login, org, world, monkeypatch):
    assert services.rating_distribution(services.subtree_branch_ids(org.root), world.year) == []

    def fake(unit_ids_subquery, year):
        ids = set(db.session.scalars(unit_ids_subquery))
        rows = [
            services.RatingCount(org.branch.id, "excellent", 0, "Hoàn thành xuất sắc nhiệm vụ", 2),
            services.RatingCount(org.branch.id, "good", 1, "Hoàn thành tốt nhiệm vụ", 1),
            services.RatingCount(org.branch_other.id, "good", 1, "Hoàn thành tốt nhiệm vụ", 1),
        ]
        return [r for r in rows if r.unit_id in ids and year == world.year]

    monkeypatch.setattr(figures, "rating_distribution", fake)  # where build_report finds it
    report = services.build_report(org.root, services.parse_period(str(world.year), "year"))
    assert [(r.label, r.count, r.share) for r in report.ratings] == [
        ("Hoàn thành xuất sắc nhiệm vụ", 2, 0.5),
        ("Hoàn thành tốt nhiệm vụ", 2, 0.5),
    ]
    rows = {r.id: r for r in report.rows}
    assert rows[org.grassroots.id].figures.ratings == {"excellent": 2, "good": 1}
    login("canbo")
    html = client.get(f"/units/{org.root.id}/reports?year={world.year}").get_data(as_text=True)
    assert "Chưa có kết quả xếp loại" not in html
    assert "Hoàn thành xuất sắc nhiệm vụ: 50%" in html


@pytest.mark.clock
def test_odd_arguments_show_the_current_year(client, login, org):
    login("canbo")
    for query in ("year=abc&period=zz", "year=1999", "year=2999&period=m13", "period=q9", "period=m0"):
        response = client.get(f"/units/{org.root.id}/reports?{query}")
        assert response.status_code == 200, query
        assert f"Tình hình thực hiện năm {today_local().year}" in response.get_data(as_text=True)
    assert services.parse_period("2020", "q2").label == "quý II năm 2020"
    assert services.parse_period("2020", "m5").label == "tháng 5 năm 2020"
    future = services.parse_period(str(today_local().year), "m12", today=date(today_local().year, 3, 9))
    assert (future.kind, future.number) == ("month", 3)


def test_the_number_of_queries_does_not_grow_with_the_subtree(
    client, login, org, world, make_unit, make_user
):
    login("canbo")
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def queries():
        url = f"/units/{org.root.id}/reports?year={world.year}"
        client.get(url)
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return list(statements)

    before = queries()
    for i in range(6):
        g = make_unit(f"Đoàn cơ sở Thêm {i}", UnitKind.GRASSROOTS_UNION, org.root, code=f"G{i}")
        for j in range(3):
            branch = make_unit(f"Chi đoàn Thêm {i}-{j}", UnitKind.BRANCH, g, code=f"B{i}{j}")
            for k in range(4):
                user = make_user(f"u{i}{j}{k}", branch)
                World(org).entry(user, branch, date(world.year, 5, 1 + k))
    db.session.commit()
    after = queries()
    assert len(after) == len(before), "\n---\n".join(after)
    assert len(after) <= 12


# ---- exports ----------------------------------------------------------------------------------------


def sheet_rows(ws):
    """{first cell: {header: value}} under the header row (the row whose first cell is `first`)."""
    rows = list(ws.iter_rows(values_only=True))
    index = next(i for i, r in enumerate(rows) if r[0] in ("Đơn vị", "Tháng", "Mức xếp loại", "Họ và tên"))
    headers = rows[index]
    return {r[0]: dict(zip(headers, r, strict=True)) for r in rows[index + 1 :] if r[0] is not None}


def test_the_excel_workbook_matches_the_page(client, login, org, world):
    login("canbo")
    today, now = today_local(), utcnow()
    response = client.get(f"/units/{org.root.id}/reports/export/all.xlsx?year={world.year}&period=q3")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment;" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames == ["Theo đơn vị", "Theo tháng", "Xếp loại"]
    ws = wb["Theo đơn vị"]
    assert ws["A1"].value == org.root.name
    assert f"quý III năm {world.year}" in ws["A3"].value
    units = sheet_rows(ws)
    page = client.get(f"/units/{org.root.id}/reports?year={world.year}&period=q3").get_data(as_text=True)
    for child in (org.grassroots, org.grassroots_other):
        e = count_expected(branches_under(child), world.year, [7, 8, 9], date(world.year, 9, 30), today, now)
        row = units[child.name]
        assert row["Thành viên"] == e.members
        assert row["Có kế hoạch được duyệt"] == e.approved_plans
        assert row["Tỉ lệ có kế hoạch được duyệt"] == pytest.approx(e.approved_plans / e.members)
        assert row["Ghi nhật ký trong 30 ngày"] == e.wrote_recently
        assert row["Bài nhật ký trong kỳ"] == e.entries
        assert row["Bài đến hạn nhận xét"] == e.review_due
        assert row["Bài được nhận xét trong 7 ngày"] == e.reviewed_in_time
        assert row["Tháng có bài cần ký"] == e.month_slots
        assert row["Tháng đã ký xác nhận"] == e.months_signed
        assert row["Bài được biểu dương"] == e.exemplary
        assert row["Thành viên được biểu dương"] == e.commended_members
        # The same figures as the page shows.
        html_row = re.search(rf'<tr data-unit="{child.id}">(.*?)</tr>', page, re.S).group(1)
        assert cell(html_row, "members") == vn_number(row["Thành viên"])
        assert cell(html_row, "entries") == vn_number(row["Bài nhật ký trong kỳ"])
    total = units["Tổng cộng"]
    e = count_expected(branches_under(org.root), world.year, [7, 8, 9], date(world.year, 9, 30), today, now)
    assert (total["Thành viên"], total["Bài nhật ký trong kỳ"]) == (e.members, e.entries)
    header = next(r for r in ws.iter_rows() if r[0].value == "Đơn vị")
    share_column = [c.value for c in header].index("Tỉ lệ có kế hoạch được duyệt") + 1
    assert ws.cell(row=header[0].row + 1, column=share_column).number_format == "0.0%"
    months = sheet_rows(wb["Theo tháng"])
    assert len(months) == 12
    assert (
        months[f"Tháng 8/{world.year}"]["Bài nhật ký"]
        == count_expected(
            branches_under(org.root), world.year, [8], date(world.year, 8, 31), today, now
        ).entries
    )
    assert sheet_rows(wb["Xếp loại"]) == {
        "(không có dữ liệu)": {"Mức xếp loại": "(không có dữ liệu)", "Số thành viên": None, "Tỉ lệ": None}
    }


def test_csv_is_utf8_with_bom_and_vietnamese_headers(client, login, org, world):
    login("canbo")
    response = client.get(f"/units/{org.grassroots.id}/reports/export/units.csv?year={world.year}&period=m6")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    by_name = {r["Đơn vị"]: r for r in rows}
    today, now = today_local(), utcnow()
    e = count_expected({org.branch.id}, world.year, [6], date(world.year, 6, 30), today, now)
    row = by_name[org.branch.name]
    assert int(row["Thành viên"]) == e.members
    assert int(row["Bài nhật ký trong kỳ"]) == e.entries
    assert float(row["Tỉ lệ có kế hoạch được duyệt (%)"]) == pytest.approx(
        100 * e.approved_plans / e.members, abs=0.05
    )
    assert set(by_name) == {org.branch.name, org.branch_sibling.name, "Tổng cộng"}
    assert client.get(f"/units/{org.root.id}/reports/export/all.csv").status_code == 404
    assert client.get(f"/units/{org.root.id}/reports/export/nothing.xlsx").status_code == 404
    assert (
        client.get(f"/units/{org.branch.id}/reports/export/units.xlsx").status_code == 404
    )  # a branch has none


# ---- commendations -----------------------------------------------------------------------------------


def test_commendations_filter_and_read_like_a_report(client, login, org, world):
    year = world.year
    plan = db.session.scalar(select(Plan).where(Plan.user_id == org.member.id, Plan.year == year))
    ethics, duties = plan.commitments
    w = World(org)
    w.entry(
        org.member,
        org.branch,
        date(year, 4, 2),
        exemplary=True,
        commitments=[ethics],
        action="Hiến máu tình nguyện lần thứ ba\nTại bệnh viện tỉnh",
    )
    w.entry(
        org.member,
        org.branch,
        date(year, 4, 20),
        exemplary=True,
        commitments=[duties],
        action="Số hóa 300 hồ sơ lưu trữ",
    )
    w.entry(
        org.member_other,
        org.branch_other,
        date(year, 4, 9),
        exemplary=True,
        action="Trực cấp cứu thay đồng nghiệp",
    )
    db.session.commit()
    login("canbo")
    april = [
        e
        for e in db.session.scalars(select(Entry))
        if e.is_exemplary
        and e.status in IN_DIARY
        and e.deed_date.month == 4
        and e.deed_date.year == year
        and e.unit_id in branches_under(org.root)
        and e.user.username != "daroi"
    ]
    data = services.commendations(org.root, year, 4)
    assert data.total == len(april)
    assert {i.entry_id for i in data.items} == {e.id for e in april}
    html = client.get(f"/units/{org.root.id}/reports/commendations?year={year}&month=4").get_data(
        as_text=True
    )
    assert "Nguyễn Thị Mỹ Duyên" in html and "Kim Thị Thảo" in html
    assert "“Hiến máu tình nguyện lần thứ ba” (ngày 02/04/" in html
    text = data.report_text()
    assert text.startswith("- ") and text.endswith(".")
    assert "Nguyễn Thị Mỹ Duyên, Chi đoàn Văn phòng với việc làm theo lời Bác:" in text

    by_group = services.commendations(org.root, year, 4, group=ContentGroup.DUTIES)
    assert [i.title for i in by_group.items] == ["Số hóa 300 hồ sơ lưu trữ"]
    html = client.get(
        f"/units/{org.root.id}/reports/commendations?year={year}&month=4&group=ethics"
    ).get_data(as_text=True)
    assert "Hiến máu tình nguyện" in html and "Số hóa 300 hồ sơ" not in html

    only_b = client.get(
        f"/units/{org.root.id}/reports/commendations?year={year}&scope={org.grassroots_other.id}"
    )
    text = only_b.get_data(as_text=True)
    assert "Trực cấp cứu thay đồng nghiệp" in text and "Hiến máu tình nguyện" not in text
    # The sổ vàng of each branch with commendations that year.
    html = client.get(f"/units/{org.root.id}/reports/commendations?year={year}").get_data(as_text=True)
    assert f'href="/units/{org.branch.id}/golden-book?year={year}"' in html
    assert f'href="/units/{org.branch_other.id}/golden-book?year={year}"' in html
    # A unit outside the subtree is ignored as a filter, never shown.
    sibling = client.get(
        f"/units/{org.grassroots.id}/reports/commendations?year={year}&scope={org.branch_other.id}"
    )
    assert "Trực cấp cứu thay đồng nghiệp" not in sibling.get_data(as_text=True)

    xlsx = client.get(f"/units/{org.root.id}/reports/export/commendations.xlsx?year={year}&month=4")
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    header = rows.index(next(r for r in rows if r[0] == "Họ và tên"))
    names = [r[0] for r in rows[header + 1 :]]
    assert sorted(names) == sorted(e.user.full_name for e in april)
    assert rows[header][:4] == ("Họ và tên", "Chức vụ", "Đơn vị", "Ngày thực hiện")


# ---- who read whose diary ---------------------------------------------------------------------------


@pytest.fixture
def diary(org):
    from app.journal import services as journal
    from app.plans import services as plans

    year = today_local().year
    s = Standard(unit_id=org.root.id, year=year, group=ContentGroup.ETHICS, title="Cần")
    db.session.add(s)
    db.session.flush()
    plan = plans.start_plan(org.member, org.member, org.branch, year)
    plans.save_plan(
        org.member,
        plan,
        "Còn ngại phát biểu",
        [
            plans.CommitmentData(
                action="Tự học",
                measure="Nhật ký",
                standard_id=s.id,
                is_breakthrough=True,
                deadline=date(year, 12, 31),
            ),
            plans.CommitmentData(
                action="Tiết kiệm điện", measure="Tắt đèn", standard_id=s.id, deadline=date(year, 12, 31)
            ),
        ],
    )
    entry = journal.save_entry(
        org.member,
        org.member,
        org.branch,
        journal.EntryData(
            deed_date=today_local(),
            action="Hướng dẫn đồng nghiệp ký số",
            commitment_ids=[plan.commitments[0].id],
        ),
        submit=True,
    )
    db.session.commit()
    return plan, entry


def test_an_officer_reading_a_diary_is_shown_to_the_member(client, login, org, diary):
    plan, entry = diary
    today = today_local()
    login("canbo")
    month_url = f"/diary/{today.year}/{today.month}?user_id={org.member.id}&unit_id={org.branch.id}"
    for url in (
        month_url,
        f"/diary/entries/{entry.id}",
        f"/plans/{plan.id}",
        f"/units/{org.branch.id}/review/{org.member.id}/{today.year}/{today.month}",
    ):
        assert client.get(url).status_code == 200, url
    reads = list(db.session.scalars(select(DiaryRead).order_by(DiaryRead.id)))
    assert [r.what for r in reads] == ["month", "entry", "plan", "review"]
    assert {(r.reader_id, r.owner_id, r.unit_id) for r in reads} == {
        (org.officer_root.id, org.member.id, org.branch.id)
    }
    assert reads[0].reader_capacity == f"Cán bộ {org.root.name}"

    client.post("/logout")
    login("doanvien")
    client.get(month_url.split("?")[0])  # the member reading their own diary: not logged
    client.get(f"/diary/entries/{entry.id}")
    assert db.session.query(DiaryRead).count() == 4
    html = client.get("/me/diary-reads").get_data(as_text=True)
    assert "Ai đã xem nhật ký của tôi" in html
    assert html.count("Lâm Thị Ngọc Hân") == 4
    assert f"Cán bộ {org.root.name}" in html
    assert f"sổ nhật ký tháng {today.month}/{today.year}" in html
    assert f"bài nhật ký ngày {today:%d/%m/%Y}" in html
    assert f"kế hoạch năm {today.year}" in html
    nav = client.get("/").get_data(as_text=True)
    assert 'href="/me/diary-reads"' in nav


def test_an_officer_opening_a_plan_to_edit_it_reads_it_and_is_shown(client, login, org, diary):
    """The plan's edit page shows the whole plan: an officer above who opens it has read the
    member's plan, as on the plan's own page; the branch's secretary doing so is not logged."""
    plan, _entry = diary
    login("canbo")
    assert client.get(f"/plans/{plan.id}/edit").status_code == 200
    reads = list(db.session.scalars(select(DiaryRead)))
    assert [(r.what, r.object_id, r.owner_id) for r in reads] == [("plan", plan.id, org.member.id)]
    client.post("/logout")
    login("bithu")
    assert client.get(f"/plans/{plan.id}/edit").status_code == 200
    assert db.session.query(DiaryRead).count() == 1


def test_secretaries_reading_their_branch_are_not_logged_administrators_are(client, login, org, diary):
    plan, entry = diary
    login("bithu")
    assert client.get(f"/diary/entries/{entry.id}").status_code == 200
    assert client.get(f"/plans/{plan.id}").status_code == 200
    assert db.session.query(DiaryRead).count() == 0
    client.post("/logout")
    login("quantri")
    assert client.get(f"/diary/entries/{entry.id}").status_code == 200
    read = db.session.scalar(select(DiaryRead))
    assert (read.reader_id, read.reader_capacity, read.what) == (org.admin.id, "Quản trị hệ thống", "entry")
    # A refused read is not a read.
    client.post("/logout")
    login("canbo2")
    assert client.get(f"/diary/entries/{entry.id}").status_code == 404
    assert db.session.query(DiaryRead).count() == 1


def test_repeated_reads_are_shown_once_with_how_many_times(client, login, org, diary):
    _, entry = diary
    login("canbo")
    for _ in range(3):
        client.get(f"/diary/entries/{entry.id}")
    items, more = reads_of(org.member)
    assert [(i.reader_name, i.times) for i in items] == [("Lâm Thị Ngọc Hân", 3)] and more is None
    html = client.get("/me/diary-reads")
    assert html.status_code == 200
    client.post("/logout")
    login("doanvien")
    assert "3 lần" in client.get("/me/diary-reads").get_data(as_text=True)


# ---- navigation -------------------------------------------------------------------------------------


def test_navigation_and_the_report_index(client, login, org):
    login("canbo")
    assert 'href="/reports"' in client.get("/").get_data(as_text=True)
    response = client.get("/reports")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/units/{org.root.id}/reports"
    )
    client.post("/logout")
    login("doanvien")
    assert 'href="/reports"' not in client.get("/").get_data(as_text=True)
    assert client.get("/reports").status_code == 403
    client.post("/logout")
    login("quantri")
    html = client.get("/reports").get_data(as_text=True)
    assert org.root.name in html and "Đảng bộ Sở" in html


# ---- the member-month figures stay current -------------------------------------------------------


def assert_matches_the_rows(unit, period_key="year", year=None):
    year = year or today_local().year
    period = services.parse_period(str(year), period_key)
    today, now = today_local(), utcnow()
    report = services.build_report(unit, period, today=today, now=now)
    expected = count_expected(branches_under(unit), period.year, period.months, report.as_of, today, now)
    assert figures_of(report.total) == expected
    return report


def test_changes_made_through_the_app_show_at_once(org, diary):
    """The figures are kept per member-month and refreshed from what changed: every change the
    app makes (review, commendation, a new entry, a moved deed date, a sign-off, a member who
    leaves) shows in the next report."""
    from app.journal import services as journal
    from app.review import services as review

    plan, entry = diary
    first = assert_matches_the_rows(org.root)
    assert first.total.entries == 1 and first.total.review_due == 0
    review.mark_reviewed(org.secretary, entry)
    db.session.commit()
    assert assert_matches_the_rows(org.root).total.reviewed_in_time == 1
    review.flag_exemplary(org.secretary, entry, "Gương sáng")
    db.session.commit()
    assert assert_matches_the_rows(org.root).total.exemplary == 1

    def days_back(days: int) -> date:
        """A day before today within this year: the plan is this year's (on 1 January: today)."""
        return max(today_local() - days * DAY, date(today_local().year, 1, 1))

    data = journal.EntryData(
        deed_date=days_back(3),
        action="Dọn vệ sinh phòng họp",
        commitment_ids=[plan.commitments[1].id],
    )
    second = journal.save_entry(org.member, org.member, org.branch, data, submit=True)
    db.session.commit()
    assert_matches_the_rows(org.root, year=second.deed_date.year)
    # The deed date moved 20 days back: out of one month (perhaps) and into another.
    data.deed_date = days_back(20)
    journal.save_entry(org.member, org.member, org.branch, data, entry=second)
    db.session.commit()
    assert_matches_the_rows(org.root, year=data.deed_date.year)
    assert_matches_the_rows(org.root)
    # A past month written and signed off with the review service.
    last_year = today_local().year - 1
    w = World(org)
    w.entry(org.member2, org.branch, date(last_year, 10, 3), EntryStatus.SUBMITTED)
    db.session.commit()
    before = assert_matches_the_rows(org.root, year=last_year)
    assert (before.total.month_slots, before.total.months_signed) == (1, 0)
    review.sign_off_month(org.secretary, org.member2, org.branch, last_year, 10)
    db.session.commit()
    after = assert_matches_the_rows(org.root, year=last_year)
    assert (after.total.month_slots, after.total.months_signed) == (1, 1)
    assert after.total.reviewed_in_time + after.total.review_due > 0
    # Someone leaves the branch: their months no longer count.
    db.session.delete(db.session.scalar(select(Membership).where(Membership.user_id == org.member2.id)))
    db.session.commit()
    assert assert_matches_the_rows(org.root, year=last_year).total.entries == 0
    from app.reports.models import StaleMemberMonth

    assert db.session.query(StaleMemberMonth).count() == 0


def test_a_new_member_and_an_approved_plan_show_at_once(org, make_user):
    """Members and approved plans are kept per branch and year (report_branch_years): a person who
    joins, and a plan approved through the app, are in the next report."""
    from app.plans import services as plans

    before = assert_matches_the_rows(org.root)
    newcomer = make_user("moivao", org.branch)
    db.session.commit()
    joined = assert_matches_the_rows(org.root)
    assert joined.total.members == before.total.members + 1
    plan = World(org).plan(newcomer, org.branch, today_local().year, status=PlanStatus.SUBMITTED)
    db.session.commit()
    assert assert_matches_the_rows(org.root).total.approved_plans == before.total.approved_plans
    plans.approve_plan(plan, org.secretary)
    db.session.commit()
    assert assert_matches_the_rows(org.root).total.approved_plans == before.total.approved_plans + 1


@pytest.mark.clock
def test_figures_that_move_with_the_clock_are_counted_again_when_it_moves(org, world, clock):
    """The branch rows keep what the clock alone changes only until it changes it: an entry waiting
    for review turns due 7 days after it was sent, and a report seen after that moment counts it,
    as a count made row by row for that moment does."""
    from app.core.filters import LOCAL_TZ
    from app.reports.models import UnitYearStats

    today = today_local()
    noon = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    sent = utcnow() - 7 * DAY + timedelta(minutes=30)
    World(org).entry(org.member, org.branch, today, EntryStatus.SUBMITTED, sent_after=sent - noon)
    db.session.commit()
    period = services.parse_period(None, None)
    branch_ids = branches_under(org.root)

    def report_at(moment):
        clock.set(moment)
        report = services.build_report(org.root, period)
        expected = count_expected(
            branch_ids, period.year, period.months, report.as_of, today_local(), utcnow()
        )
        assert figures_of(report.total) == expected
        return report

    now = utcnow()
    before = report_at(now)
    row = db.session.scalar(
        select(UnitYearStats).where(UnitYearStats.unit_id == org.branch.id, UnitYearStats.year == period.year)
    )
    assert row.valid_until <= sent + 7 * DAY  # the branch's figures end when that entry turns due
    after = report_at(now + timedelta(hours=1))
    assert after.total.review_due == before.total.review_due + 1
    # The next day the 30-day window has moved: the branch rows are computed again for that day.
    report_at(now + DAY)
    db.session.expire_all()
    row = db.session.scalar(
        select(UnitYearStats).where(UnitYearStats.unit_id == org.branch.id, UnitYearStats.year == period.year)
    )
    assert row.computed_on == (now + DAY).astimezone(LOCAL_TZ).date()


def test_a_branch_moved_to_another_unit_is_counted_there_at_once(org, world):
    """The rows of the units above the branches add up their children: a branch moved under
    another Đoàn cơ sở leaves the first one's figures and joins the other's in the next report."""
    period = services.parse_period(str(world.year), "year")

    def by_child():
        report = services.build_report(org.root, period)
        today, now = today_local(), utcnow()
        for row in report.rows:
            child = db.session.get(Unit, row.id)
            expected = count_expected(
                branches_under(child), period.year, period.months, report.as_of, today, now
            )
            assert figures_of(row.figures) == expected, child.name
        return {r.id: r for r in report.rows}

    before = by_child()
    from app.units.services import move_unit

    move_unit(org.admin, org.branch_sibling, org.grassroots_other)
    db.session.commit()
    after = by_child()
    assert after[org.grassroots.id].branches == before[org.grassroots.id].branches - 1
    assert after[org.grassroots_other.id].branches == before[org.grassroots_other.id].branches + 1


def test_a_report_for_another_moment_counts_the_clock_live(org, world):
    """A document dated earlier (or any moment other than now) does not read the branch rows'
    clock-bound figures: it counts them for its own moment, the same as the row-by-row count."""
    period = services.parse_period(str(world.year), "year")
    today, now = today_local(), utcnow()
    current = services.build_report(org.root, period)
    # Three days on (not back: on 1 January three days back is inside the world's year, before some
    # of its entries were written, which the row-by-row count below does not model).
    later = now + 3 * DAY
    day = today + 3 * DAY
    report = services.build_report(org.root, period, today=day, now=later)
    expected = count_expected(branches_under(org.root), period.year, period.months, report.as_of, day, later)
    assert figures_of(report.total) == expected
    assert figures_of(current.total) == count_expected(
        branches_under(org.root), period.year, period.months, current.as_of, today, now
    )


def test_rows_written_around_the_app_are_counted_on_first_use(org, world):
    """A database filled by bulk inserts (benchmarks, `flask seed-bench`) bypasses the app: the
    figures of a branch-year are built from its entries the first time a report needs them, and
    `flask reports-rebuild` starts again from the entries."""
    import sqlalchemy as sa

    from app.reports import stats

    assert_matches_the_rows(org.root, year=world.year)
    first_id = db.session.scalar(sa.select(sa.func.max(Entry.id))) + 1
    rows = [
        {
            "id": first_id + i,
            "user_id": org.member_other.id,
            "unit_id": org.branch_other.id,
            "deed_date": date(world.year + 1, 2, 1 + i),
            "action": "Bài nhập thẳng",
            "status": EntryStatus.REVIEWED,
            "search_text": "",
            "created_at": utcnow(),
            "updated_at": utcnow(),
            "submitted_at": utcnow(),
            "lock_version": 1,
            "is_exemplary": False,
        }
        for i in range(5)
    ]
    db.session.execute(sa.insert(Entry.__table__), rows)  # Core: no ORM events
    db.session.commit()
    if date(world.year + 1, 2, 5) <= today_local():  # those days have come
        report = assert_matches_the_rows(org.root, "m2", year=world.year + 1)
        assert report.total.entries >= 5
    # Changed around the app after being built: stale until rebuilt.
    db.session.execute(sa.update(Entry.__table__).where(Entry.id == first_id).values(is_exemplary=True))
    db.session.commit()
    stats.rebuild_all()
    if date(world.year + 1, 2, 5) <= today_local():  # those days have come
        assert assert_matches_the_rows(org.root, "m2", year=world.year + 1).total.exemplary >= 1
    assert_matches_the_rows(org.root, year=world.year)


# ---- the annual report as an official PDF (a kind of app.export's documents) -------------------------


def test_the_annual_report_button_posts_what_the_export_expects(app, client, login, org, world):
    """With CSRF on (as in production) the report page's "Báo cáo năm (PDF)" form gives a PDF, not
    400 "Phiên làm việc đã hết hạn": it posts every field the export form reads, its token included."""
    import re

    login("canbo")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        html = client.get(f"/units/{org.root.id}/reports?year={world.year}").get_data(as_text=True)
        action = f"/units/{org.root.id}/documents/annual-report"
        form = re.search(rf'<form method="post" action="{action}">(.*?)</form>', html, re.S).group(1)
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
        assert str(world.year) in fields.values()
        response = client.post(action, data=fields)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.data.startswith(b"%PDF")


def test_the_annual_report_pdf_has_the_figures_and_verifies(client, login, org, world):
    from app.export import services as export
    from app.export.documents import KINDS, Subject
    from app.export.models import ExportedDocument
    from app.reports.documents import annual_report

    assert KINDS["annual-report"].scope == "unit"
    today, now = today_local(), utcnow()
    content = annual_report(Subject(unit=org.root, year=world.year, as_of=today))
    expected = count_expected(
        branches_under(org.root), world.year, list(range(1, 13)), date(world.year, 12, 31), today, now
    )
    assert {k: content["total"][k] for k in Expected.__dataclass_fields__} == expected.__dict__
    assert [r["name"] for r in content["rows"]] == ["Đoàn cơ sở Sở Giáo dục", "Đoàn cơ sở Sở Y tế"]
    assert content["commendation_count"] == expected.exemplary

    login("canbo")
    html = client.get(f"/units/{org.root.id}/reports?year={world.year}").get_data(as_text=True)
    assert f'action="/units/{org.root.id}/documents/annual-report"' in html
    response = client.post(
        f"/units/{org.root.id}/documents/annual-report", data={"annual-report-year": world.year}
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert_archival_and_tagged(response.data)
    document = db.session.scalar(select(ExportedDocument).where(ExportedDocument.kind == "annual-report"))
    assert export.verify_document(document.number).status == export.CURRENT
    entry = db.session.scalar(
        select(Entry)
        .where(
            Entry.unit_id == org.branch.id,
            Entry.is_exemplary.is_(False),
            Entry.status == EntryStatus.REVIEWED,
        )
        .limit(1)
    )
    entry.is_exemplary = True
    db.session.commit()
    assert export.verify_document(document.number).status == export.CHANGED
    # A member may not make the unit's documents.
    client.post("/logout")
    login("doanvien")
    assert (
        client.post(
            f"/units/{org.root.id}/documents/annual-report", data={"annual-report-year": world.year}
        ).status_code
        == 404
    )
