"""The daily reminder digests that `flask send-reminders` sends: a member silent for too long, a
branch's entries waiting for review, and (to the secretaries) the members who stopped writing.
One digest per person per day, sent as a notification (app.notifications.services.notify)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.routing import BuildError

from app.auth.models import User
from app.core.collation import people_order
from app.core.db import db
from app.core.enums import EntryStatus, Role, UnitKind
from app.core.filters import LOCAL_TZ, to_local, vn_date
from app.journal.models import Entry
from app.notifications.models import ReminderDigest
from app.notifications.services import app_path, notify, wants_email
from app.units.models import Membership, Unit

BRANCH_ROLES = (Role.MEMBER, Role.DEPUTY_SECRETARY, Role.SECRETARY)
BRANCH_KINDS = tuple(k for k in UnitKind if k.is_branch)
# Links a reviewer's digest may lead to, best first: the review queue once it exists.
REVIEWER_LINK_ENDPOINTS = ("review.queue", "review.branch", "dashboard.branch", "units.detail")


@dataclass
class Reason:
    """One reason for a reminder: own silence, a review queue, or a silent member (escalation)."""

    kind: str  # "silent" | "queue" | "escalation"
    unit_id: int
    unit_name: str
    days: int
    count: int = 0  # queue: entries waiting
    person_id: int | None = None  # escalation: who is silent
    person_name: str = ""
    never_wrote: bool = False

    @property
    def text(self) -> str:
        if self.kind == "silent":
            if self.never_wrote:
                return f"Bạn chưa ghi bài nhật ký nào ở {self.unit_name} sau {self.days} ngày tham gia."
            return f"Bạn chưa ghi nhật ký {self.days} ngày ở {self.unit_name}."
        if self.kind == "queue":
            return f"{self.unit_name}: Có {self.count} bài chờ nhận xét, bài lâu nhất chờ {self.days} ngày."
        extra = " (chưa có bài nào)" if self.never_wrote else ""
        return f"{self.unit_name}: {self.person_name} chưa ghi nhật ký {self.days} ngày{extra}."

    def as_json(self) -> dict:
        data = {"kind": self.kind, "unit_id": self.unit_id, "days": self.days, "text": self.text}
        if self.kind == "queue":
            data["count"] = self.count
        if self.person_id is not None:
            data["user_id"] = self.person_id
        return data


_REASON_ORDER = {"silent": 0, "queue": 1, "escalation": 2}


@dataclass
class Digest:
    """Everything one person is reminded of on one day."""

    user_id: int
    name: str
    reasons: list[Reason] = field(default_factory=list)

    @property
    def is_reviewer(self) -> bool:
        """A secretary's (or deputy's) digest: it speaks of a queue or a silent member."""
        return any(r.kind != "silent" for r in self.reasons)

    def ordered(self) -> list[Reason]:
        return sorted(
            self.reasons, key=lambda r: (_REASON_ORDER[r.kind], -r.days, r.unit_name, r.person_name)
        )


@dataclass
class ReminderRun:
    day: date
    digests: list[Digest]  # people to remind who have no digest for the day yet
    already: int  # people with reasons who already had the day's digest

    @property
    def members(self) -> int:
        return sum(1 for d in self.digests if not d.is_reviewer)

    @property
    def reviewers(self) -> int:
        return sum(1 for d in self.digests if d.is_reviewer)


@dataclass
class ReminderResult:
    day: date
    members: int = 0
    reviewers: int = 0
    already: int = 0
    emailed: int = 0
    email_failed: int = 0

    @property
    def sent(self) -> int:
        return self.members + self.reviewers

    def summary(self) -> str:
        return (
            f"Đã gửi {self.sent} thông báo nhắc nhở ({self.members} đoàn viên, {self.reviewers} bí thư); "
            f"{self.already} người đã nhận hôm nay."
        )


def _day_end_utc(day: date) -> datetime:
    """The first instant after `day` in Vietnam, in UTC (what was written by the end of that day)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=LOCAL_TZ)


def _days_since(day: date, moment: datetime) -> int:
    return (day - to_local(moment).date()).days


def collect_reminders(day: date) -> ReminderRun:
    """Every reason to remind anyone on `day`, one Digest per person. Four queries in all.

    - A branch member (member, deputy, secretary; active, activated account, active branch) whose
      newest entry there (any status) was written `remind_after_days` or more days ago, or who has
      written none since joining that long ago, is reminded.
    - Past `escalate_after_days`, the branch's secretary (its deputies when it has no secretary)
      is told, unless the silent one is that secretary.
    - A branch whose oldest submitted, unreviewed entry of a member has waited more than
      `queue_alert_days` reminds its secretary and deputies.
    People who already had a digest on `day` are counted, not included.
    """
    end = _day_end_utc(day)
    members = _branch_members()
    last_written = _last_written(end)
    queues = _review_queues()
    done_today = set(db.session.scalars(select(ReminderDigest.user_id).where(ReminderDigest.sent_on == day)))

    digests: dict[int, Digest] = {}

    def add(user_id: int, name: str, reason: Reason) -> None:
        digests.setdefault(user_id, Digest(user_id, name)).reasons.append(reason)

    by_unit: dict[int, list] = {}
    for row in members:
        by_unit.setdefault(row.unit_id, []).append(row)
    for unit_id, rows in by_unit.items():
        _remind_silent(day, unit_id, rows, last_written, add)
        if unit_id in queues:
            _remind_queue(day, unit_id, rows, queues[unit_id], add)

    fresh = [d for uid, d in digests.items() if uid not in done_today]
    for d in fresh:
        d.reasons = d.ordered()
    return ReminderRun(day, fresh, already=len(digests) - len(fresh))


def _branch_members() -> list:
    """The people a reminder may go to, by branch and in people's order, with their branch's delays."""
    return db.session.execute(
        select(
            Membership.user_id,
            Membership.unit_id,
            Membership.role,
            Membership.created_at,
            User.full_name,
            Unit.name,
            Unit.remind_after_days,
            Unit.escalate_after_days,
            Unit.queue_alert_days,
        )
        .join(User, User.id == Membership.user_id)
        .join(Unit, Unit.id == Membership.unit_id)
        .where(
            Membership.role.in_(BRANCH_ROLES),
            Unit.kind.in_(BRANCH_KINDS),
            Unit.is_active.is_(True),
            User.is_active.is_(True),
            User.password_hash.is_not(None),  # invited but not activated: cannot read it yet
        )
        .order_by(Membership.unit_id, *people_order())
    ).all()


def _last_written(end: datetime) -> dict[tuple[int, int], datetime]:
    """(user, branch) → when their newest entry there was written, before `end`."""
    return {
        (user_id, unit_id): last
        for user_id, unit_id, last in db.session.execute(
            select(Entry.user_id, Entry.unit_id, func.max(Entry.created_at))
            .where(Entry.created_at < end)
            .group_by(Entry.user_id, Entry.unit_id)
        )
    }


def _review_queues() -> dict[int, tuple[int, datetime]]:
    """Branch → (entries of members waiting for review, since when the oldest waits)."""
    waiting_since = func.min(func.coalesce(Entry.submitted_at, Entry.created_at))
    return {
        unit_id: (count, oldest)
        for unit_id, count, oldest in db.session.execute(
            select(Entry.unit_id, func.count(), waiting_since)
            .join(
                Membership,
                and_(Membership.user_id == Entry.user_id, Membership.unit_id == Entry.unit_id),
            )
            # A secretary's or deputy's own entries are reviewed one level up, not in this queue.
            .where(Entry.status == EntryStatus.SUBMITTED, Membership.role == Role.MEMBER)
            .group_by(Entry.unit_id)
        )
    }


def _remind_silent(day: date, unit_id: int, rows: list, last_written: dict, add) -> None:
    """The branch's members silent for too long, and (past the escalation delay) who is told of them."""
    secretaries = [r for r in rows if r.role is Role.SECRETARY]
    told = secretaries or [r for r in rows if r.role is Role.DEPUTY_SECRETARY]
    first = rows[0]
    for r in rows:
        last = last_written.get((r.user_id, unit_id))
        days = _days_since(day, last if last is not None else r.created_at)
        if days < first.remind_after_days:
            continue
        never = last is None
        add(r.user_id, r.full_name, Reason("silent", unit_id, first.name, days, never_wrote=never))
        if days < first.escalate_after_days:
            continue
        for s in told:
            if s.user_id != r.user_id and not (r.role is Role.SECRETARY and s.role is not Role.SECRETARY):
                reason = Reason(
                    "escalation",
                    unit_id,
                    first.name,
                    days,
                    person_id=r.user_id,
                    person_name=r.full_name,
                    never_wrote=never,
                )
                add(s.user_id, s.full_name, reason)


def _remind_queue(day: date, unit_id: int, rows: list, queue: tuple[int, datetime], add) -> None:
    """The branch's secretaries and deputies, when its oldest entry waiting for review waited too long."""
    count, oldest = queue
    first = rows[0]
    waited = _days_since(day, oldest)
    if waited > first.queue_alert_days:
        leaders = [r for r in rows if r.role is Role.SECRETARY] + [
            r for r in rows if r.role is Role.DEPUTY_SECRETARY
        ]
        for s in leaders:
            add(s.user_id, s.full_name, Reason("queue", unit_id, first.name, waited, count=count))


def _digest_link(digest: Digest) -> str | None:
    """Where the digest leads: the review page of the first branch it speaks of, or the diary."""
    reviewer = next((r for r in digest.reasons if r.kind != "silent"), None)
    if reviewer is not None:
        for endpoint in REVIEWER_LINK_ENDPOINTS:
            if endpoint in current_app.view_functions:
                try:
                    return app_path(endpoint, unit_id=reviewer.unit_id)
                except BuildError:  # an endpoint that wants other arguments: try the next
                    continue
        return None
    return app_path("journal.new_entry", unit_id=digest.reasons[0].unit_id)


def digest_title(digest: Digest, day: date) -> str:
    return f"Nhắc nhở ngày {vn_date(day)}"


def digest_body(digest: Digest) -> str:
    lines = [f"• {r.text}" for r in digest.reasons]
    if any(r.kind == "silent" for r in digest.reasons):
        lines.append("")
        lines.append("Hãy dành ít phút ghi lại việc làm theo lời Bác gần đây của bạn.")
    return "\n".join(lines)


def send_reminders(run: ReminderRun) -> ReminderResult:
    """Send each person of the run their one digest for the day; commits person by person.

    The digest row goes in first: the unique (user_id, sent_on) constraint makes a concurrent
    run (or a second run the same day) fail on that insert and skip the person, before anything
    is sent. Emails follow the person's choice (notify).
    """
    result = ReminderResult(run.day, already=run.already)
    for digest in run.digests:
        db.session.add(
            ReminderDigest(
                user_id=digest.user_id,
                sent_on=run.day,
                reasons=json.dumps([r.as_json() for r in digest.reasons], ensure_ascii=False),
            )
        )
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            result.already += 1
            continue
        user = db.session.get(User, digest.user_id)
        emailing = wants_email(user)
        # Sent at once: the daily run (no one waits on it) reports how many emails went out.
        note = notify(
            user,
            "reminder",
            digest_title(digest, run.day),
            digest_body(digest),
            _digest_link(digest),
            email_now=True,
        )
        emailed = note.emailed_at is not None
        db.session.commit()
        if digest.is_reviewer:
            result.reviewers += 1
        else:
            result.members += 1
        if emailing:
            result.emailed += emailed
            result.email_failed += not emailed
    return result
