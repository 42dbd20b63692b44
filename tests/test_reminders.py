"""flask send-reminders: one digest per person per day, checked against a real SMTP server."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event, func, select, update

from app.core.db import db
from app.core.enums import EntryStatus, Role
from app.core.filters import LOCAL_TZ, today_local
from app.journal.models import Entry
from app.mail.models import MailStatus, OutboxMessage
from app.notifications.models import Notification, ReminderDigest
from app.reminders import services
from app.units.models import Membership
from tests.conftest import free_port

DAY = date(2026, 3, 16)

# Reminders count days in Vietnam: every test also runs at the edges of a day and a year.
pytestmark = pytest.mark.clock


def at(days_ago: int, day: date = DAY) -> datetime:
    """Noon in Vietnam `days_ago` days before `day`, as a UTC timestamp."""
    return datetime.combine(day - timedelta(days=days_ago), time(12), tzinfo=LOCAL_TZ).astimezone(UTC)


def joined(days_ago: int, *users, day: date = DAY) -> None:
    """Set when the users (everyone by default) joined their units."""
    stmt = update(Membership).values(created_at=at(days_ago, day))
    if users:
        stmt = stmt.where(Membership.user_id.in_([u.id for u in users]))
    db.session.execute(stmt)
    db.session.commit()


def write(
    user, unit, days_ago: int, status=EntryStatus.DRAFT, submitted_days_ago: int | None = None
) -> Entry:
    """An entry written `days_ago` days before DAY (and submitted then, unless told otherwise)."""
    entry = Entry(
        user_id=user.id,
        unit_id=unit.id,
        deed_date=DAY - timedelta(days=days_ago),
        action="Tắt điện khi ra về",
        status=status,
        created_at=at(days_ago),
    )
    if status is not EntryStatus.DRAFT:
        entry.submitted_at = at(days_ago if submitted_days_ago is None else submitted_days_ago)
    db.session.add(entry)
    db.session.commit()
    return entry


def run(app, *args: str):
    result = app.test_cli_runner().invoke(args=["send-reminders", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def reminders_of(user) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id, Notification.kind == "reminder")
            .order_by(Notification.id)
        )
    )


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def scene(org, make_user):
    """Chi đoàn Văn phòng and Chi đoàn Bệnh viện on DAY, everyone a member for 60 days.

    - Duyên (member, email): last wrote 35 days ago in her branch; also in the Chi bộ, never wrote
      there → two silent reasons, and her secretary is told (past 30 days).
    - Đạt (member2): wrote 10 and 2 days ago, both submitted and waiting → the branch's queue
      holds 2, the oldest 10 days.
    - Bảo (secretary, email): wrote 3 days ago → the queue and Duyên's silence, in one digest.
    - Lan (deputy, email, in-app only): wrote yesterday → the queue, in the app only.
    - Thảo (member of B, no email): wrote 20 days ago → a reminder, no escalation.
    - Hải (secretary of B): wrote yesterday → nothing.
    - An inactive account silent for ever → nothing, and not reported to the secretary.
    """
    org.secretary.email = "bithu@example.vn"
    org.deputy.email = "phobithu@example.vn"
    org.deputy.notify_by_email = False
    db.session.add(Membership(user_id=org.member.id, unit_id=org.party_cell.id, role=Role.MEMBER))
    db.session.commit()
    gone = make_user("danghi", org.branch, full_name="Người Đã Nghỉ", email="nghi@example.vn", active=False)
    joined(60)
    write(org.member, org.branch, 35, EntryStatus.REVIEWED)
    write(org.member2, org.branch, 10, EntryStatus.SUBMITTED)
    write(org.member2, org.branch, 2, EntryStatus.SUBMITTED)
    write(org.secretary, org.branch, 3, EntryStatus.SUBMITTED)  # reviewed one level up: not in the queue
    write(org.deputy, org.branch, 1)
    write(org.member_other, org.branch_other, 20, EntryStatus.REVIEWED)
    write(org.secretary_other, org.branch_other, 1)
    return gone


def test_twice_on_the_same_day_sends_each_person_one_digest(app, org, scene, smtp_server):
    output = run(app, "--date", DAY.isoformat())
    assert "Đã gửi 4 thông báo nhắc nhở (2 đoàn viên, 2 bí thư); 0 người đã nhận hôm nay." in output
    assert "Email: 2 thư đã gửi." in output

    # One message per person who chose email and has an address, through a real SMTP server.
    assert sorted(e.rcpt_tos[0] for e in smtp_server.envelopes) == ["bithu@example.vn", "duyen@example.vn"]
    messages = {m["To"]: m for m in smtp_server.messages()}
    assert all(m["Subject"] == "Nhắc nhở ngày 16/03/2026" for m in messages.values())

    member_mail = messages["duyen@example.vn"].get_content()
    assert "Bạn chưa ghi nhật ký 35 ngày ở Chi đoàn Văn phòng." in member_mail
    assert "Bạn chưa ghi bài nhật ký nào ở Chi bộ Văn phòng sau 60 ngày tham gia." in member_mail
    assert "Xem chi tiết: http://sonhatky.test/diary/entries/new?unit_id=" in member_mail

    secretary_mail = messages["bithu@example.vn"].get_content()
    assert "Chi đoàn Văn phòng: Có 2 bài chờ nhận xét, bài lâu nhất chờ 10 ngày." in secretary_mail
    assert "Chi đoàn Văn phòng: Nguyễn Thị Mỹ Duyên chưa ghi nhật ký 35 ngày." in secretary_mail
    assert "Người Đã Nghỉ" not in secretary_mail

    # In the app: the same digests, including for the person who chose in-app only.
    [member_note] = reminders_of(org.member)
    assert member_note.body.count("• ") == 2 and member_note.emailed_at is not None
    [secretary_note] = reminders_of(org.secretary)
    assert secretary_note.body.count("• ") == 2
    [deputy_note] = reminders_of(org.deputy)
    assert deputy_note.body == "• Chi đoàn Văn phòng: Có 2 bài chờ nhận xét, bài lâu nhất chờ 10 ngày."
    assert deputy_note.emailed_at is None and deputy_note.link is not None
    [other_note] = reminders_of(org.member_other)
    assert "Bạn chưa ghi nhật ký 20 ngày ở Chi đoàn Bệnh viện." in other_note.body
    for nobody in (org.member2, org.secretary_other, scene, org.officer_root, org.admin):
        assert reminders_of(nobody) == []

    digests = {d.user_id: d for d in db.session.scalars(select(ReminderDigest))}
    assert set(digests) == {org.member.id, org.secretary.id, org.deputy.id, org.member_other.id}
    assert {d.sent_on for d in digests.values()} == {DAY}
    reasons = json.loads(digests[org.secretary.id].reasons)
    assert [r["kind"] for r in reasons] == ["queue", "escalation"]
    assert reasons[1]["user_id"] == org.member.id and reasons[1]["days"] == 35

    # The second run the same day sends nothing at all.
    again = run(app, "--date", DAY.isoformat())
    assert "Đã gửi 0 thông báo nhắc nhở (0 đoàn viên, 0 bí thư); 4 người đã nhận hôm nay." in again
    assert len(smtp_server.envelopes) == 2
    assert count(Notification) == 4 and count(ReminderDigest) == 4
    assert db.session.scalars(select(OutboxMessage.status)).all() == [MailStatus.SENT] * 2


def test_a_different_day_sends_again(app, org, scene, smtp_server):
    run(app, "--date", DAY.isoformat())
    output = run(app, "--date", (DAY + timedelta(days=1)).isoformat())
    assert "Đã gửi 4 thông báo nhắc nhở (2 đoàn viên, 2 bí thư); 0 người đã nhận hôm nay." in output
    assert len(smtp_server.envelopes) == 4
    second = reminders_of(org.member)[-1]
    assert "Bạn chưa ghi nhật ký 36 ngày ở Chi đoàn Văn phòng." in second.body
    assert len(reminders_of(org.member)) == 2


def test_dry_run_sends_nothing(app, org, scene, smtp_server):
    output = run(app, "--date", DAY.isoformat(), "--dry-run")
    assert "Chạy thử (--dry-run) cho ngày 16/03/2026: không gửi gì." in output
    assert "- Trần Quốc Bảo:" in output
    assert "• Chi đoàn Văn phòng: Nguyễn Thị Mỹ Duyên chưa ghi nhật ký 35 ngày." in output
    assert "Sẽ gửi 4 thông báo nhắc nhở (2 đoàn viên, 2 bí thư); 0 người đã nhận hôm nay." in output
    assert smtp_server.envelopes == []
    assert count(Notification) == 0 and count(ReminderDigest) == 0 and count(OutboxMessage) == 0
    # A real run afterwards still sends everything.
    assert "Đã gửi 4 thông báo" in run(app, "--date", DAY.isoformat())


def test_without_smtp_digests_stay_in_the_app_and_the_outbox(app, org, scene):
    output = run(app, "--date", DAY.isoformat())
    assert "Đã gửi 4 thông báo nhắc nhở" in output and "Email:" not in output
    assert count(Notification) == 4 and count(OutboxMessage) == 0


def test_smtp_down_still_records_the_digest(app, org, scene):
    saved = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_TIMEOUT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    try:
        output = run(app, "--date", DAY.isoformat())
    finally:
        app.config.update(saved)
    assert "Đã gửi 4 thông báo nhắc nhở" in output
    assert "Email: 0 thư đã gửi, 2 thư gửi lỗi (xem Hộp thư đi)." in output
    assert db.session.scalars(select(OutboxMessage.status)).all() == [MailStatus.FAILED] * 2
    assert count(ReminderDigest) == 4
    # Failed mail is not sent again the same day: the digest is the day's one.
    assert "4 người đã nhận hôm nay" in run(app, "--date", DAY.isoformat())


def test_today_in_vietnam_is_the_default(app, org):
    joined(20, day=today_local())
    run(app)
    digests = db.session.scalars(select(ReminderDigest)).all()
    assert digests and {d.sent_on for d in digests} == {today_local()}


def test_thresholds_are_the_units_own(app, org):
    joined(60)
    org.branch.remind_after_days = 7
    org.branch_other.remind_after_days = 30
    db.session.commit()
    write(org.member, org.branch, 7)  # exactly 7 days: reminded
    write(org.member2, org.branch, 6)  # 6 days: not yet
    write(org.member_other, org.branch_other, 29)  # under B's 30 days
    for person, unit in (
        (org.secretary, org.branch),
        (org.deputy, org.branch),
        (org.secretary_other, org.branch_other),
    ):
        write(person, unit, 0)
    run(app, "--date", DAY.isoformat())
    [note] = reminders_of(org.member)
    assert note.body.startswith("• Bạn chưa ghi nhật ký 7 ngày ở Chi đoàn Văn phòng.")
    assert reminders_of(org.member2) == [] and reminders_of(org.member_other) == []
    # The Chi bộ has no members here; nobody else is reminded.
    assert count(Notification) == 1


def test_no_entry_ever_counts_from_joining(app, org):
    joined(60)
    joined(10, org.member2)  # joined ten days ago: not yet
    joined(14, org.member)  # fourteen days: reminded, and the entry counts from joining
    for person, unit in (
        (org.secretary, org.branch),
        (org.deputy, org.branch),
        (org.secretary_other, org.branch_other),
        (org.member_other, org.branch_other),
    ):
        write(person, unit, 1)
    run(app, "--date", DAY.isoformat())
    [note] = reminders_of(org.member)
    assert "Bạn chưa ghi bài nhật ký nào ở Chi đoàn Văn phòng sau 14 ngày tham gia." in note.body
    assert reminders_of(org.member2) == []
    assert count(Notification) == 1


def test_escalation_goes_to_deputies_when_the_branch_has_no_secretary(app, org):
    db.session.execute(
        update(Membership)
        .where(Membership.user_id == org.secretary.id)
        .values(role=Role.MEMBER, unit_id=org.branch_sibling.id)
    )
    db.session.commit()
    joined(60)
    write(org.deputy, org.branch, 1)
    write(org.member2, org.branch, 1)
    write(org.secretary, org.branch_sibling, 1)
    for person, unit in ((org.secretary_other, org.branch_other), (org.member_other, org.branch_other)):
        write(person, unit, 1)
    run(app, "--date", DAY.isoformat())
    [note] = reminders_of(org.deputy)
    assert "Nguyễn Thị Mỹ Duyên chưa ghi nhật ký 60 ngày (chưa có bài nào)." in note.body


def test_a_silent_secretary_is_reminded_but_not_reported_to_the_deputy(app, org):
    joined(60)
    for person, unit in (
        (org.member, org.branch),
        (org.member2, org.branch),
        (org.deputy, org.branch),
        (org.secretary_other, org.branch_other),
        (org.member_other, org.branch_other),
    ):
        write(person, unit, 1)
    run(app, "--date", DAY.isoformat())
    [note] = reminders_of(org.secretary)
    assert "Bạn chưa ghi bài nhật ký nào ở Chi đoàn Văn phòng sau 60 ngày tham gia." in note.body
    assert reminders_of(org.deputy) == []


def test_the_queue_counts_members_entries_waiting_more_than_m_days(app, org):
    joined(60)
    for person, unit in (
        (org.member, org.branch),
        (org.secretary, org.branch),
        (org.deputy, org.branch),
        (org.secretary_other, org.branch_other),
        (org.member_other, org.branch_other),
    ):
        write(person, unit, 0)
    write(org.member2, org.branch, 7, EntryStatus.SUBMITTED)  # exactly 7 days: not more than 7
    write(org.member2, org.branch, 20, EntryStatus.REVIEWED)  # reviewed: not waiting
    write(org.member2, org.branch, 30, EntryStatus.REVISION)  # back with the member: not waiting
    write(org.secretary, org.branch, 25, EntryStatus.SUBMITTED)  # the secretary's own: one level up
    write(org.member_other, org.branch_other, 9, EntryStatus.SUBMITTED, submitted_days_ago=7)
    run(app, "--date", DAY.isoformat())
    assert count(Notification) == 0
    # A day later the member's entry has waited 8 days.
    run(app, "--date", (DAY + timedelta(days=1)).isoformat())
    [note] = reminders_of(org.secretary)
    assert note.body == "• Chi đoàn Văn phòng: Có 1 bài chờ nhận xét, bài lâu nhất chờ 8 ngày."
    assert [n.body for n in reminders_of(org.secretary_other)] == [
        "• Chi đoàn Bệnh viện: Có 1 bài chờ nhận xét, bài lâu nhất chờ 8 ngày."
    ]


def test_a_concurrent_run_does_not_send_twice(app, org, scene):
    """The digest row goes in first: a run that finds the row already there sends nothing."""
    plan = services.collect_reminders(DAY)
    assert len(plan.digests) == 4
    # Another run records Duyên's digest between this run's collecting and sending.
    db.session.add(ReminderDigest(user_id=org.member.id, sent_on=DAY, reasons="[]"))
    db.session.commit()
    result = services.send_reminders(plan)
    assert (result.members, result.reviewers, result.already) == (1, 2, 1)
    assert reminders_of(org.member) == []
    assert count(ReminderDigest) == 4


def test_collecting_takes_four_queries_whatever_the_size(app, org, make_user):
    for i in range(30):
        make_user(f"dv{i}", org.branch, full_name=f"Đoàn Viên {i}")
    joined(60)
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        plan = services.collect_reminders(DAY)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(plan.digests) > 30
    assert len(statements) == 4
