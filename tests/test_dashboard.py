"""The secretary's branch dashboard: every figure against a count made here, access, odd
arguments, sorting, and a fixed number of queries whatever the branch's size."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Date, event, literal, select

from app.core.db import db, utcnow
from app.core.enums import ContentGroup, EntryStatus, Frequency, PlanStatus, Role, UnitKind
from app.core.filters import today_local, vn_number
from app.dashboard import coverage, services
from app.journal import services as journal
from app.journal.models import Entry
from app.plans.models import Commitment, Plan
from app.review.models import MonthReview
from app.standards.models import Standard
from app.units.models import Membership

IN_DIARY = set(EntryStatus.in_diary())


# ---- building data -------------------------------------------------------------------------------


class Diary:
    """Plans, entries and sign-offs created directly, remembered so tests can count from them."""

    def __init__(self, org):
        self.org = org
        self.entries: list[tuple[int, int, date, EntryStatus]] = []  # user, unit, day, status
        self.signed: set[tuple[int, int, int, int]] = set()  # user, unit, year, month
        self._standards: dict[int, Standard] = {}

    def standard(self, year: int) -> Standard:
        if year not in self._standards:
            s = Standard(unit_id=self.org.root.id, year=year, group=ContentGroup.ETHICS, title="Cần, kiệm")
            db.session.add(s)
            self._standards[year] = s
        return self._standards[year]

    def plan(
        self, user, unit, year, status=PlanStatus.APPROVED, version=1, frequencies=None, created_at=None
    ):
        frequencies = frequencies or [Frequency.WEEKLY, Frequency.MONTHLY, Frequency.ONCE]
        p = Plan(
            user_id=user.id,
            unit_id=unit.id,
            year=year,
            version=version,
            status=status,
            shortcomings="Còn ngại phát biểu",
            created_by_id=user.id,
            created_at=created_at or datetime(year, 1, 1, 2, tzinfo=UTC),
        )
        p.commitments = [
            Commitment(
                standard=self.standard(year),
                action=f"Việc {i}",
                measure="Kiểm tra",
                frequency=f,
                deadline=date(year, 12, 31) if f is Frequency.ONCE else None,
                sort_order=i,
                is_breakthrough=i == 0,
            )
            for i, f in enumerate(frequencies)
        ]
        db.session.add(p)
        db.session.flush()
        for c in p.commitments:
            c.lineage_id = c.id
        return p

    def entry(self, user, unit, day, status=EntryStatus.SUBMITTED, commitments=()):
        db.session.add(
            Entry(
                user_id=user.id,
                unit_id=unit.id,
                deed_date=day,
                action="Việc tốt",
                status=status,
                commitments=list(commitments),
            )
        )
        self.entries.append((user.id, unit.id, day, status))

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
        if signed:
            self.signed.add((user.id, unit.id, year, month))

    # -- the figures, counted from what was created --

    def mine(self, user, unit):
        return [(d, s) for u, n, d, s in self.entries if u == user.id and n == unit.id]

    def month_count(self, user, unit, year, month):
        return sum(
            1 for d, s in self.mine(user, unit) if s in IN_DIARY and (d.year, d.month) == (year, month)
        )

    def last_entry(self, user, unit, as_of):
        days = [d for d, s in self.mine(user, unit) if s in IN_DIARY and d <= as_of]
        return max(days) if days else None

    def waiting(self, user, unit):
        return sum(1 for _, s in self.mine(user, unit) if s is EntryStatus.SUBMITTED)

    def unsigned(self, user, unit, year, before_month):
        months = {
            d.month
            for d, s in self.mine(user, unit)
            if s in IN_DIARY and d.year == year and d.month < before_month
        }
        return sorted(m for m in months if (user.id, unit.id, year, m) not in self.signed)


@pytest.fixture
def diary(org):
    return Diary(org)


def rows_by_user(dashboard):
    return {r.user.id: r for r in dashboard.rows}


def coverage_share(user, unit, year, today):
    """The diary's own coverage() for one member: (full cells, cells so far)."""
    cells = [c for row in journal.coverage(user, unit, year, today=today) for c in row.cells]
    counted = [c for c in cells if c.state in ("full", "thin", "empty")]
    return sum(1 for c in counted if c.state == "full"), len(counted)


# ---- the figures ---------------------------------------------------------------------------------


@pytest.mark.clock
def test_every_figure_matches_a_direct_count_for_a_past_year(org, diary):
    """December of last year: the whole year is over, so every figure is fixed."""
    year = today_local().year - 1
    a = org.branch
    p = diary.plan(org.member, a, year)
    weekly, monthly, once = p.commitments
    for day in (2, 9, 16, 23):
        diary.entry(org.member, a, date(year, 1, day), EntryStatus.REVIEWED, [weekly])  # January: full
    diary.entry(org.member, a, date(year, 2, 3), EntryStatus.REVIEWED, [weekly, monthly])  # thin + full
    diary.entry(org.member, a, date(year, 3, 5), EntryStatus.DRAFT, [weekly])  # drafts never count
    diary.entry(org.member, a, date(year, 6, 1), EntryStatus.REVISION, [once])
    diary.entry(org.member, a, date(year, 12, 1), EntryStatus.SUBMITTED, [weekly])
    diary.entry(org.member, a, date(year, 12, 20), EntryStatus.SUBMITTED, [monthly])
    diary.entry(org.member, a, date(year, 12, 28), EntryStatus.DRAFT, [monthly])
    diary.entry(org.member, a, date(year - 1, 5, 5), EntryStatus.SUBMITTED)  # an old one still waits
    diary.sign(org.member, a, year, 1)
    diary.sign(org.member, a, year, 2, signed=False)  # a comment without sign-off is not signed
    # A revised plan: version 2 waits for approval, version 1 stays in force.
    p2 = diary.plan(org.member, a, year, PlanStatus.SUBMITTED, version=2, frequencies=[Frequency.DAILY])
    p2.commitments[0].lineage_id = weekly.id

    diary.plan(org.member2, a, year, PlanStatus.DRAFT, frequencies=[Frequency.MONTHLY])
    diary.entry(org.member2, a, date(year, 7, 14), EntryStatus.SUBMITTED)
    diary.entry(org.member2, a, date(year, 11, 30), EntryStatus.REVIEWED)
    diary.sign(org.member2, a, year, 11)

    diary.entry(org.secretary, a, date(year, 12, 31), EntryStatus.REVIEWED)  # no plan
    # Someone else's branch, and the member's entry in another branch, do not count here.
    diary.entry(org.member_other, org.branch_other, date(year, 12, 10), EntryStatus.SUBMITTED)
    db.session.add(Membership(user=org.member, unit=org.party_cell, role=Role.MEMBER))
    diary.entry(org.member, org.party_cell, date(year, 12, 30), EntryStatus.SUBMITTED)
    db.session.commit()

    as_of = date(year, 12, 31)
    dashboard = services.branch_dashboard(a, year, 12)
    assert dashboard.as_of == as_of
    rows = rows_by_user(dashboard)
    people = [org.secretary, org.deputy, org.member, org.member2]
    assert set(rows) == {u.id for u in people}  # officers are not members
    for u in people:
        r = rows[u.id]
        assert r.month_entries == diary.month_count(u, a, year, 12), u.username
        assert r.last_entry == diary.last_entry(u, a, as_of), u.username
        assert r.waiting == diary.waiting(u, a), u.username
        assert r.unsigned_months == diary.unsigned(u, a, year, 13), u.username
        assert (r.coverage_full, r.coverage_cells) == coverage_share(u, a, year, as_of), u.username
    # The figures written out, so a wrong counter in this file cannot hide a wrong count.
    m = rows[org.member.id]
    assert (m.month_entries, m.last_entry, m.waiting) == (2, date(year, 12, 20), 3)
    assert m.oldest_waiting == date(year - 1, 5, 5)
    assert m.unsigned_months == [2, 6, 12]
    assert m.plan_status is PlanStatus.SUBMITTED and m.plan_version == 2 and m.in_force_version == 1
    assert m.coverage_cells > 0 and 0 < m.coverage < 1
    assert m.silent_days == 11
    assert rows[org.member2.id].plan_status is PlanStatus.DRAFT
    assert rows[org.member2.id].unsigned_months == [7]
    assert rows[org.secretary.id].plan_status is None and rows[org.secretary.id].coverage is None
    assert rows[org.deputy.id].last_entry is None and rows[org.deputy.id].month_entries == 0

    assert dashboard.total == 4
    assert dashboard.wrote == 2  # member and secretary wrote in December
    assert dashboard.waiting == 4 and dashboard.waiting_members == 2
    assert dashboard.unsigned == 5 and dashboard.unsigned_members == 3  # the secretary's December too
    assert dashboard.no_plan == 2  # secretary and deputy


@pytest.mark.clock
def test_months_not_signed_stop_before_the_current_month(org, diary):
    today = today_local()
    a = org.branch
    diary.entry(org.member, a, today, EntryStatus.SUBMITTED)  # this month is not over
    diary.entry(org.member, a, date(today.year, 1, 1), EntryStatus.SUBMITTED)
    db.session.commit()
    row = rows_by_user(services.branch_dashboard(a, today.year, today.month))[org.member.id]
    assert row.unsigned_months == diary.unsigned(org.member, a, today.year, today.month)
    assert today.month not in row.unsigned_months
    # A past month's dashboard only looks at months up to that one.
    row = rows_by_user(services.branch_dashboard(a, today.year - 1, 3))[org.member.id]
    assert row.unsigned_months == []


@pytest.mark.clock
def test_coverage_is_the_diarys_rule_for_every_member(org, diary):
    """The same figure as coverage() member by member, this year so far."""
    today = today_local()
    a = org.branch
    for i, user in enumerate([org.member, org.member2, org.deputy]):
        p = diary.plan(
            user, a, today.year, frequencies=[Frequency.DAILY, Frequency.WEEKLY, Frequency.ONCE][: i + 1]
        )
        for back in range(0, 40, 3 + i):
            day = today - timedelta(days=back)
            if day.year == today.year:
                diary.entry(user, a, day, EntryStatus.SUBMITTED, p.commitments[: back % 3 + 1])
    db.session.commit()
    rows = rows_by_user(services.branch_dashboard(a, today.year, today.month))
    for user in (org.member, org.member2, org.deputy):
        r = rows[user.id]
        assert (r.coverage_full, r.coverage_cells) == coverage_share(user, a, today.year, today), (
            user.username
        )


def test_an_entry_linked_to_two_versions_of_a_commitment_counts_once(org, diary):
    """Entries may keep version 1's commitment and take version 2's (one lineage): the cell
    counts the entry once, as coverage() does."""
    year = today_local().year - 1
    a = org.branch
    p1 = diary.plan(org.member, a, year, frequencies=[Frequency.WEEKLY])
    p2 = diary.plan(org.member, a, year, PlanStatus.SUBMITTED, version=2, frequencies=[Frequency.WEEKLY])
    (old,), (new,) = p1.commitments, p2.commitments
    new.lineage_id = old.id
    for day in (3, 10, 17):  # three entries, each linked to both versions: 3 of 4 a week, "thin"
        diary.entry(org.member, a, date(year, 3, day), EntryStatus.REVIEWED, [old, new])
    diary.entry(org.member, a, date(year, 4, 7), EntryStatus.REVIEWED, [new])
    db.session.commit()

    row = rows_by_user(services.branch_dashboard(a, year, 12))[org.member.id]
    assert (row.coverage_full, row.coverage_cells) == coverage_share(org.member, a, year, date(year, 12, 31))
    assert row.coverage_cells == 12 and row.coverage_full == 0  # March has 3 entries, not 6
    for day in (24, 31):
        diary.entry(org.member, a, date(year, 3, day), EntryStatus.REVIEWED, [old])
    db.session.commit()
    row = rows_by_user(services.branch_dashboard(a, year, 12))[org.member.id]
    assert (row.coverage_full, row.coverage_cells) == (1, 12)  # now 5 in March: full


def test_a_plan_without_commitments_is_a_plan_without_coverage(org, diary):
    """The plans and their commitments come in one query: a plan with none still counts as made."""
    today = today_local()
    a = org.branch
    diary.plan(
        org.member, a, today.year, PlanStatus.DRAFT, frequencies=[Frequency.WEEKLY]
    ).commitments.clear()
    diary.plan(org.member2, a, today.year, PlanStatus.APPROVED, frequencies=[Frequency.MONTHLY])
    diary.plan(org.member2, a, today.year, PlanStatus.DRAFT, version=2).commitments.clear()
    diary.entry(org.member, a, today, EntryStatus.SUBMITTED)
    db.session.commit()

    rows = rows_by_user(services.branch_dashboard(a, today.year, today.month))
    member, member2 = rows[org.member.id], rows[org.member2.id]
    assert member.has_plan and member.plan_status is PlanStatus.DRAFT and member.coverage is None
    assert member.month_entries == 1
    # The approved version 1 stays in force (and gives the coverage) while version 2 is drafted.
    assert (member2.plan_version, member2.in_force_version, member2.plan_status) == (2, 1, PlanStatus.DRAFT)
    assert (member2.coverage_full, member2.coverage_cells) == coverage_share(
        org.member2, a, today.year, today
    )
    assert member2.coverage_cells > 0


def test_coverage_counts_follow_every_change_made_through_the_app(org, diary):
    """The counts are kept per member-year and counted again from what changed (app.dashboard
    .coverage): after the first view, an entry written, moved to another month, linked to other
    commitments, drafted and deleted, a commitment added to a plan, all show in the next view,
    equal to the diary's own coverage() and months."""
    today = today_local()
    a = org.branch
    plan = diary.plan(org.member, a, today.year, frequencies=[Frequency.DAILY, Frequency.WEEKLY])
    first, second = plan.commitments
    diary.entry(org.member, a, today, EntryStatus.SUBMITTED, [first])
    db.session.commit()

    def check():
        dashboard = services.branch_dashboard(a, today.year, today.month)
        row = rows_by_user(dashboard)[org.member.id]
        assert (row.coverage_full, row.coverage_cells) == coverage_share(org.member, a, today.year, today)
        return row

    before = check()
    data = journal.EntryData(deed_date=today, action="Đọc sách cùng con", commitment_ids=[second.id])
    written = journal.save_entry(org.member, org.member, a, data, submit=True)
    db.session.commit()
    after = check()
    assert after.month_entries == before.month_entries + 1
    # Moved back a month (when the branch allows it), then linked to the other commitment.
    data.deed_date = today - timedelta(days=min(a.backdate_days, 20))
    data.commitment_ids = [first.id, second.id]
    journal.save_entry(org.member, org.member, a, data, entry=written)
    db.session.commit()
    check()
    # A draft does not count; deleted, it is gone.
    draft = journal.save_entry(org.member, org.member, a, journal.EntryData(deed_date=today, action="Nháp"))
    db.session.commit()
    assert check().month_entries == after.month_entries - (data.deed_date.month != today.month)
    journal.delete_entry(org.member, draft)
    db.session.commit()
    check()
    # A commitment added to the plan: it has no entries yet, so coverage has more empty cells.
    plan.commitments.append(
        Commitment(
            standard=first.standard,
            action="Việc mới",
            measure="Kiểm tra",
            frequency=Frequency.MONTHLY,
            sort_order=9,
        )
    )
    db.session.commit()
    assert check().coverage_cells > after.coverage_cells
    from app.dashboard.models import StaleCoverage

    assert db.session.query(StaleCoverage).count() == 0


def test_entries_written_around_the_app_are_counted_on_first_use_and_after_a_rebuild(org, diary, app):
    """A database filled by bulk inserts (benchmarks) is counted the first time the dashboard of a
    branch-year is seen; a change made around the app afterwards shows after `flask reports-rebuild`."""
    import sqlalchemy as sa

    from app.journal.models import entry_commitments

    year = today_local().year - 1
    a = org.branch
    plan = diary.plan(org.member, a, year, frequencies=[Frequency.MONTHLY])
    db.session.commit()
    first_id = (db.session.scalar(sa.select(sa.func.max(Entry.id))) or 0) + 1
    rows = [
        {
            "id": first_id + i,
            "user_id": org.member.id,
            "unit_id": a.id,
            "deed_date": date(year, 1 + i, 5),
            "action": "Nhập thẳng",
            "status": EntryStatus.REVIEWED,
            "search_text": "",
            "lock_version": 1,
            "is_exemplary": False,
            "created_at": utcnow(),
            "updated_at": utcnow(),
        }
        for i in range(6)
    ]
    db.session.execute(sa.insert(Entry.__table__), rows)  # Core: no ORM events
    db.session.execute(
        sa.insert(entry_commitments),
        [{"entry_id": r["id"], "commitment_id": plan.commitments[0].id} for r in rows],
    )
    db.session.commit()
    row = rows_by_user(services.branch_dashboard(a, year, 12))[org.member.id]
    assert (row.coverage_full, row.coverage_cells) == (6, 12)
    db.session.execute(sa.delete(entry_commitments).where(entry_commitments.c.entry_id == first_id))
    db.session.commit()
    assert rows_by_user(services.branch_dashboard(a, year, 12))[org.member.id].coverage_full == 6  # not seen
    result = app.test_cli_runner().invoke(args=["reports-rebuild"])
    assert result.exit_code == 0, result.output
    row = rows_by_user(services.branch_dashboard(a, year, 12))[org.member.id]
    assert (row.coverage_full, row.coverage_cells) == coverage_share(org.member, a, year, date(year, 12, 31))
    assert row.coverage_full == 5


@pytest.mark.parametrize("day", [date(2025, 1, 31), date(2025, 9, 1), date(2025, 10, 15), date(2024, 12, 31)])
def test_month_of_reads_the_month_on_every_database(app, day):
    """The grouping key of the coverage query: two digits of the stored text on SQLite."""
    assert db.session.scalar(select(coverage.month_of(literal(day, Date)))) == day.month


@pytest.mark.clock
def test_members_silent_for_the_units_days_stand_out(client, login, org, diary):
    """With remind_after_days = 7: 7 days without an entry stands out, 6 does not; someone who
    never wrote counts from the start of the year, even if the account was added today."""
    today = today_local()
    a = org.branch
    a.remind_after_days = 7
    diary.entry(org.member, a, today - timedelta(days=7), EntryStatus.REVIEWED)
    diary.entry(org.member, a, today - timedelta(days=3), EntryStatus.DRAFT)  # a draft is not writing
    diary.entry(org.member2, a, today - timedelta(days=6), EntryStatus.SUBMITTED)
    diary.entry(org.secretary, a, today, EntryStatus.SUBMITTED)
    deputy = db.session.query(Membership).filter_by(user_id=org.deputy.id, unit_id=a.id).one()
    deputy.created_at = utcnow()  # added today, never wrote: silent since 1 January all the same
    db.session.commit()
    never = (today - date(today.year, 1, 1)).days

    dashboard = services.branch_dashboard(a, today.year, today.month)
    rows = rows_by_user(dashboard)
    for user in (org.member, org.member2, org.secretary):
        last = diary.last_entry(user, a, today)
        assert rows[user.id].last_entry == last
        assert rows[user.id].silent_days == (today - last).days
        assert rows[user.id].is_silent == ((today - last).days >= 7)
    assert rows[org.member.id].is_silent and not rows[org.member2.id].is_silent
    assert rows[org.deputy.id].silent_days == never and rows[org.deputy.id].is_silent == (never >= 7)
    assert dashboard.silent == 1 + (never >= 7)
    # Longest silence first, then the others.
    order = [r.user.id for r in dashboard.sorted_rows()]
    if never >= 7:
        assert order[:2] == [org.deputy.id, org.member.id]
        assert [r.user.id for r in dashboard.sorted_rows(show="silent")] == order[:2]

    login("bithu")
    html = client.get(f"/units/{a.id}/dashboard").get_data(as_text=True)
    assert "Chưa ghi 7 ngày" in html
    assert "Chưa ghi 6 ngày" not in html
    assert (f"Chưa ghi {vn_number(never)} ngày" in html) == (never >= 7)
    assert "chưa ghi từ 7 ngày trở lên" in html
    if never >= 7:  # the deputy who never wrote leads; in the year's first week nobody is silent that long
        assert html.index("Võ Thị Lan") < html.index("Nguyễn Thị Mỹ Duyên") < html.index("Đặng Văn Đạt")
    else:
        assert html.index("Nguyễn Thị Mỹ Duyên") < html.index("Võ Thị Lan")
    # Nobody has a plan: all four stand out for that too.
    assert html.count("Chưa có kế hoạch</span>") == 4


def test_sorting_by_name_last_entry_and_waiting(org, diary):
    today = today_local()
    a = org.branch
    diary.entry(org.member, a, today - timedelta(days=2), EntryStatus.SUBMITTED)
    diary.entry(org.member, a, today - timedelta(days=2), EntryStatus.SUBMITTED)
    diary.entry(org.member2, a, today - timedelta(days=5), EntryStatus.SUBMITTED)
    diary.entry(org.secretary, a, today, EntryStatus.REVIEWED)
    db.session.commit()
    dashboard = services.branch_dashboard(a, today.year, today.month)

    def names(sort):
        return [r.user.full_name for r in dashboard.sorted_rows(sort)]

    # By given name, the Vietnamese way (d before đ): Bảo, Duyên, Đạt, Lan.
    assert names("name") == ["Trần Quốc Bảo", "Nguyễn Thị Mỹ Duyên", "Đặng Văn Đạt", "Võ Thị Lan"]
    assert names("last") == ["Võ Thị Lan", "Đặng Văn Đạt", "Nguyễn Thị Mỹ Duyên", "Trần Quốc Bảo"]
    assert names("waiting")[:2] == ["Nguyễn Thị Mỹ Duyên", "Đặng Văn Đạt"]
    assert names("bogus") == names("attention")


@pytest.mark.clock
def test_the_page_shows_the_figures_and_links(client, login, org, diary):
    today = today_local()
    a = org.branch
    diary.plan(org.member, a, today.year)
    diary.entry(org.member, a, today, EntryStatus.SUBMITTED)
    diary.entry(org.member, a, date(today.year - 1, 12, 5), EntryStatus.SUBMITTED)
    db.session.commit()
    login("bithu")
    response = client.get(f"/units/{a.id}/dashboard")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"Theo dõi tháng {today.month}/{today.year}" in html
    assert "css/dashboard.css" in html
    assert 'class="table table-hover bg-white table-members table-responsive-cards' in html
    assert 'data-label="Chờ nhận xét"' in html
    assert f"/diary/{today.year}/{today.month}?user_id={org.member.id}&amp;unit_id={a.id}" in html
    # The month review of a member; the secretary's own month is reviewed one level up.
    assert f"/units/{a.id}/review/{org.member.id}/{today.year}/{today.month}" in html
    assert f"/units/{a.id}/review/{org.secretary.id}/{today.year}/{today.month}" not in html
    # The waiting count opens the month of the oldest waiting entry.
    assert f"/units/{a.id}/review/{org.member.id}/{today.year - 1}/12" in html
    assert "Đã duyệt" in html and "Chưa lập" in html
    # CSP: no inline styles or scripts.
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    # An officer above reviews the secretary's month.
    client.post("/logout")
    login("canbo")
    html = client.get(f"/units/{a.id}/dashboard").get_data(as_text=True)
    assert f"/units/{a.id}/review/{org.secretary.id}/{today.year}/{today.month}" in html


@pytest.mark.clock
def test_a_past_month_and_a_filter_keep_their_arguments(client, login, org, diary):
    year = today_local().year - 1
    diary.entry(org.member, org.branch, date(year, 3, 10), EntryStatus.SUBMITTED)
    db.session.commit()
    login("bithu")
    html = client.get(
        f"/units/{org.branch.id}/dashboard?year={year}&month=3&show=waiting&sort=name"
    ).get_data(as_text=True)
    assert f"Theo dõi tháng 3/{year}" in html
    assert "31/03/" + str(year) in html
    assert "Nguyễn Thị Mỹ Duyên" in html and "Đặng Văn Đạt" not in html  # only those with entries waiting
    assert f"year={year}&amp;month=4&amp;sort=name&amp;show=waiting" in html
    assert "Về tháng này" in html


# ---- access --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "status"),
    [
        (None, 302),
        ("doanvien", 403),  # a member of the branch
        ("doanvien2", 403),
        ("doanvienb", 404),  # a member of another branch
        ("bithu", 200),
        ("phobithu", 200),
        ("bithub", 404),  # the secretary of another branch
        ("canbo", 200),  # an officer above
        ("canbo2", 404),  # an officer of a sibling unit
        ("quantri", 200),
    ],
)
def test_who_sees_the_dashboard(client, login, org, username, status):
    if username:
        login(username)
    response = client.get(f"/units/{org.branch.id}/dashboard")
    assert response.status_code == status
    if status == 403:
        assert "Không có quyền truy cập" in response.get_data(as_text=True)
    if status == 302:
        assert "/login?next=" in response.headers["Location"]


def test_a_unit_that_is_not_a_branch_gets_a_list_of_its_branches(client, login, org):
    login("canbo")
    response = client.get(f"/units/{org.grassroots.id}/dashboard")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Bảng theo dõi đoàn viên được lập cho từng chi đoàn" in html
    assert f"/units/{org.branch.id}/dashboard" in html and f"/units/{org.branch_sibling.id}/dashboard" in html
    assert f"/units/{org.branch_other.id}/dashboard" not in html  # under the other Đoàn cơ sở
    html = client.get(f"/units/{org.root.id}/dashboard").get_data(as_text=True)
    assert f"/units/{org.branch_other.id}/dashboard" in html  # the whole subtree
    client.post("/logout")
    login("bithu")  # sees their own branch, not the Đoàn cơ sở
    assert client.get(f"/units/{org.grassroots.id}/dashboard").status_code == 404


def test_a_party_cell_has_a_dashboard_too(client, login, org, make_user):
    make_user("bithuchibo", org.party_cell, Role.SECRETARY, full_name="Lê Văn Chí")
    make_user("dangvien", org.party_cell, Role.MEMBER, full_name="Phạm Thị Hoa")
    login("bithuchibo")
    html = client.get(f"/units/{org.party_cell.id}/dashboard").get_data(as_text=True)
    assert "Phạm Thị Hoa" in html and "Đảng viên" in html


@pytest.mark.parametrize(
    "query",
    [
        "year=abc",
        "month=13",
        "month=0",
        "month=-1",
        "month=abc",
        "year=1999&month=5",
        "year=3000&month=1",
        "year=99999999999999999999999",
        "year=&month=",
        "sort=bogus&show=bogus",
        "year=2024&month=2&sort=last",
        "month=1.5",
        "year=%00",
    ],
)
def test_odd_query_arguments_never_fail(client, login, org, query):
    login("bithu")
    response = client.get(f"/units/{org.branch.id}/dashboard?{query}")
    assert response.status_code == 200


@pytest.mark.clock
def test_parse_period():
    today = date(2026, 5, 17)
    assert services.parse_period(None, None, today) == (2026, 5)
    assert services.parse_period("2025", "13", today) == (2025, 12)
    assert services.parse_period("2025", "2", today) == (2025, 2)
    assert services.parse_period("2026", "6", today) == (2026, 5)  # the future is not there yet
    assert services.parse_period("abc", "3", today) == (2026, 3)
    assert services.parse_period("1999", "3", today) == (2026, 3)


# ---- a fixed number of queries ---------------------------------------------------------------------


def _branch_with_members(diary, make_unit, make_user, org, size: int, tag: str):
    today = today_local()
    unit = make_unit(f"Chi đoàn {tag}", UnitKind.BRANCH, org.grassroots)
    for i in range(size):
        user = make_user(
            f"{tag}{i}", unit, Role.SECRETARY if i == 0 else Role.MEMBER, full_name=f"Đoàn Viên {tag} {i}"
        )
        if i % 4 != 3:
            p = diary.plan(user, unit, today.year)
            if i % 2:
                diary.plan(user, unit, today.year, PlanStatus.DRAFT, version=2)
            for back in (0, 9, 40, 75):
                day = today - timedelta(days=back + i % 5)
                if day.year == today.year:
                    status = EntryStatus.SUBMITTED if back % 2 else EntryStatus.REVIEWED
                    diary.entry(user, unit, day, status, p.commitments[:2])
            if today.month > 1:
                diary.sign(user, unit, today.year, 1)
    db.session.commit()
    return unit


def test_the_number_of_queries_does_not_grow_with_the_branch(
    app, client, login, org, diary, make_unit, make_user
):
    small = _branch_with_members(diary, make_unit, make_user, org, 3, "nho")
    large = _branch_with_members(diary, make_unit, make_user, org, 20, "lon")
    login("quantri")
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def queries_for(unit):
        client.get(f"/units/{unit.id}/dashboard")  # warm: the same work is not counted twice
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = client.get(f"/units/{unit.id}/dashboard")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert response.status_code == 200
        return list(statements)

    in_small = queries_for(small)
    in_large = queries_for(large)
    html = client.get(f"/units/{large.id}/dashboard").get_data(as_text=True)
    assert html.count('<th scope="row"') == 20
    assert len(in_small) == len(in_large), "\n---\n".join(in_large)
    assert len(in_large) <= 12


# ---- the home page of secretaries and officers ---------------------------------------------------


def test_the_secretarys_home_counts_entries_waiting(client, login, org, diary):
    today = today_local()
    a = org.branch
    for user, status in [
        (org.member, EntryStatus.SUBMITTED),
        (org.member, EntryStatus.SUBMITTED),
        (org.member2, EntryStatus.SUBMITTED),
        (org.member2, EntryStatus.REVIEWED),
        (org.member2, EntryStatus.DRAFT),
        (org.secretary, EntryStatus.SUBMITTED),  # their own: reviewed one level up
    ]:
        diary.entry(user, a, today, status)
    diary.plan(org.member, a, today.year, status=PlanStatus.SUBMITTED)
    db.session.commit()
    login("bithu")
    text = re.sub(r"<[^>]+>|\s+", " ", client.get("/").get_data(as_text=True))
    text = re.sub(r" +", " ", text)
    assert "Chờ bạn xem xét – Chi đoàn Văn phòng" in text
    assert "3 bài nhật ký chờ nhận xét · 1 kế hoạch chờ duyệt" in text


def test_the_officers_home_counts_the_people_below_each_unit(client, login, org, make_user):
    """'0 người' for a Đoàn Khối whose members all sit in its chi đoàn: the subtree counts."""
    make_user("dva2", org.branch_sibling, full_name="Lý Văn Tâm")
    login("canbo")
    page = client.get("/").get_data(as_text=True)

    def people(unit) -> int:
        row = re.search(rf'href="/units/{unit.id}">[^<]*</a>.*?([\d.]+) người', page, re.S)
        return int(row.group(1).replace(".", ""))

    # Chi đoàn A: 4, A2: 1, B: 2 (officers not counted)
    assert people(org.root) == 7
    assert people(org.grassroots) == 5
    assert people(org.branch) == 4
