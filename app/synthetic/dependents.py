"""What the reviews of a month leave behind: snapshots, comments and replies, month comments and
sign-offs with their SHA-256, the audit rows and the notifications the services would write."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from app.core.enums import EntryStatus
from app.core.filters import vn_date
from app.core.text import nfc
from app.synthetic import texts
from app.synthetic.records import Diary, DraftEntry, audit_json, entry_json, local_at, month_end, month_json
from app.synthetic.sink import AUDIT_COLUMNS
from app.synthetic.themes import EntryText

MONTH_REVIEW_COLUMNS = (
    "id",
    "user_id",
    "unit_id",
    "year",
    "month",
    "comment",
    "comment_by_id",
    "comment_at",
    "signed_at",
    "signed_by_id",
    "content_hash",
    "signed_content",
    "lock_version",
)


class DependentSteps:
    """The rows that point at a month's entries, and the waiting plans' notifications."""

    def _write_dependents(self, year: int, month: int, records: list[DraftEntry]) -> None:
        rows = MonthRows(self, year, month)
        by_diary: dict[int, list[DraftEntry]] = {}
        for e in records:
            by_diary.setdefault(e.diary, []).append(e)
            if e.status is not EntryStatus.DRAFT:
                rows.entry(e, self.diaries[e.diary])
        # The month comments and sign-offs, with the SHA-256 of exactly what the app would sign.
        for index, diary in enumerate(self.diaries):
            entries = by_diary.get(index, [])
            rows.month_review(diary, entries)
            for e in entries:
                e.json = None  # the month is written: let the text go
        rows.insert()

    def _waiting_plan_notifications(self) -> None:
        s = self.sink
        rows = []
        for plan_id, diary, year, submitted in self.waiting_plans:
            body = (
                f"{self.unit_names[diary.unit_id]}: kế hoạch đang chờ bạn duyệt, hoặc trả lại kèm lý do "
                "để sửa."
            )
            for reviewer in diary.notify_ids:
                rows.append(
                    (
                        s.next_id("notifications"),
                        reviewer,
                        "plan_submitted",
                        f"{diary.name} gửi kế hoạch điều chỉnh (phiên bản 2) năm {year} chờ duyệt",
                        body,
                        f"/plans/{plan_id}",
                        s.ts(submitted),
                    )
                )
        s.insert("notifications", ("id", "user_id", "kind", "title", "body", "link", "created_at"), rows)


class MonthRows:
    """One month's rows that point at its entries, gathered entry by entry, inserted table by table."""

    def __init__(self, builder, year: int, month: int):
        self.b = builder
        self.s = builder.sink
        self.now = builder.now
        self.stale = builder.now - timedelta(days=3)
        self.year, self.month = year, month
        self.snapshots: list[tuple] = []
        self.comments: list[tuple] = []
        self.notes: list[tuple] = []
        self.audits: list[tuple] = []
        self.reviews: list[tuple] = []

    # the rows every step writes ----------------------------------------------------------------
    def note(self, user_id, kind, title, body, link, created, read=None) -> None:
        """A notification as the services send it; read a day later unless it is recent."""
        if read is None and created < self.stale:
            read = created + timedelta(days=1)
        if read is not None and read > self.now:
            read = None
        s = self.s
        self.notes.append(
            (s.next_id("notifications"), user_id, kind, title[:255], body, link, s.ts(created), s.ts(read))
        )

    def audit(
        self,
        actor,
        action,
        object_type,
        object_id,
        subject,
        unit_id,
        created,
        before=None,
        after=None,
        reason=None,
    ) -> None:
        """An audit row as app.audit.services.record writes it."""
        s = self.s
        self.audits.append(
            (
                s.next_id("audit_log"),
                actor,
                action,
                object_type,
                object_id,
                subject,
                unit_id,
                audit_json(before) if before is not None else None,
                audit_json(after) if after is not None else None,
                reason,
                s.ts(created),
            )
        )

    # an entry ------------------------------------------------------------------------------------
    def entry(self, e: DraftEntry, d: Diary) -> None:
        """What a sent entry left: the reviewers told, its snapshots, the revision request, the
        comment and reply, the commendation."""
        day = vn_date(e.deed)
        review_link = f"/units/{d.unit_id}/review/{d.user_id}/{e.deed.year}/{e.deed.month}#entry-{e.id}"
        if e.resubmitted:
            title = f"{d.name} đã bổ sung bài ngày {day} theo yêu cầu"
            kind = "resubmitted"
        else:
            title = f"{d.name} gửi bài nhật ký ngày {day}"
            kind = "submitted"
        for reviewer in d.notify_ids:
            self.note(reviewer, kind, title, e.text.title, review_link, e.submitted, e.reviewed)
        signed_at = d.signed_months.get((self.year, self.month))
        if self.b.p.snapshots and e.status is EntryStatus.REVIEWED:
            reason, taken = ("signed", signed_at) if signed_at else ("reviewed", e.reviewed)
            e.json = entry_json(e.id, e.deed, e.text.text, e.commitments, "reviewed")
            self.snapshots.append(
                (self.s.next_id("entry_snapshots"), e.id, self.s.ts(taken), d.reviewer_id, reason, e.json)
            )
        if e.revision_at is not None:
            self._revision(e, d, day)
        if e.comment is not None:
            self._comment(e, d, day, review_link)
        if e.exemplary is not None:
            self._exemplary(e, d, day)

    def _revision(self, e: DraftEntry, d: Diary, day: str) -> None:
        old = e.text.text
        if e.resubmitted:
            old = EntryText(old.place, old.action, "", "")
        s = self.s
        self.snapshots.append(
            (
                s.next_id("entry_snapshots"),
                e.id,
                s.ts(e.revision_at),
                d.reviewer_id,
                "revision",
                entry_json(e.id, e.deed, old, e.commitments, "revision"),
            )
        )
        self.audit(
            d.reviewer_id,
            "entry.revision",
            "entry",
            e.id,
            d.user_id,
            d.unit_id,
            e.revision_at,
            before={"status": "submitted"},
            after={"deed_date": e.deed.isoformat(), "status": "revision"},
            reason=e.revision_reason,
        )
        self.note(
            d.user_id,
            "revision",
            f"Bài ngày {day} cần bổ sung, chỉnh sửa",
            f"{self.b.names[d.reviewer_id]}: {e.revision_reason}",
            f"/diary/entries/{e.id}",
            e.revision_at,
        )

    def _comment(self, e: DraftEntry, d: Diary, day: str, review_link: str) -> None:
        s = self.s
        at = min(e.reviewed + timedelta(minutes=2), self.now)
        self.comments.append((s.next_id("entry_comments"), e.id, d.reviewer_id, e.comment, s.ts(at)))
        self.audit(
            d.reviewer_id,
            "entry.comment",
            "entry",
            e.id,
            d.user_id,
            d.unit_id,
            at,
            after={"deed_date": e.deed.isoformat(), "body": e.comment},
        )
        self.note(
            d.user_id,
            "comment",
            f"{self.b.names[d.reviewer_id]} đã nhận xét bài ngày {day}",
            e.comment,
            f"/diary/entries/{e.id}#comments",
            at,
        )
        if e.reply is None:
            return
        reply_at = at + timedelta(hours=20)
        if reply_at >= self.now:
            return
        self.comments.append((s.next_id("entry_comments"), e.id, d.user_id, e.reply, s.ts(reply_at)))
        self.audit(
            d.user_id,
            "entry.comment",
            "entry",
            e.id,
            d.user_id,
            d.unit_id,
            reply_at,
            after={"deed_date": e.deed.isoformat(), "body": e.reply},
        )
        self.note(
            d.reviewer_id,
            "comment",
            f"{d.name} đã trả lời nhận xét bài ngày {day}",
            e.reply,
            review_link,
            reply_at,
        )

    def _exemplary(self, e: DraftEntry, d: Diary, day: str) -> None:
        self.audit(
            d.reviewer_id,
            "entry.exemplary",
            "entry",
            e.id,
            d.user_id,
            d.unit_id,
            e.reviewed,
            after={"deed_date": e.deed.isoformat(), "note": e.exemplary},
        )
        body = (e.exemplary + "\n\n" if e.exemplary else "") + (
            f"Bài đã được ghi vào sổ vàng của {self.b.unit_names[d.unit_id]}."
        )
        self.note(
            d.user_id,
            "exemplary",
            f"Bài ngày {day} được biểu dương",
            body,
            f"/diary/entries/{e.id}",
            e.reviewed,
        )

    # a diary's month -----------------------------------------------------------------------------
    def month_review(self, diary: Diary, entries: list[DraftEntry]) -> None:
        """The month signed off (with its comment, mostly), or now and then only commented on."""
        signed_at = diary.signed_months.get((self.year, self.month))
        if signed_at is not None and entries:
            self._signed(diary, entries, signed_at)
        elif entries and diary.rng.random() < 0.15:
            year, month = self.year, self.month
            at = min(self.now - timedelta(hours=1), local_at(min(month_end(year, month), self.b.today), 15))
            comment = nfc(diary.rng.choice(texts.MONTH_COMMENTS[:-1]))
            row = (comment, diary.reviewer_id, self.s.ts(at), None, None, None, None, 2)
            self.reviews.append(
                (self.s.next_id("month_reviews"), diary.user_id, diary.unit_id, year, month, *row)
            )

    def _signed(self, diary: Diary, entries: list[DraftEntry], signed_at: datetime) -> None:
        s, year, month = self.s, self.year, self.month
        comment = nfc(diary.rng.choice(texts.MONTH_COMMENTS)) or ""
        ordered = sorted(entries, key=lambda e: e.id)
        content = month_json(
            diary.user_id,
            diary.unit_id,
            year,
            month,
            [e.json or entry_json(e.id, e.deed, e.text.text, e.commitments, "reviewed") for e in ordered],
            comment,
        )
        content_hash = hashlib.sha256(content.encode("utf-8")).hexdigest()
        review_id = s.next_id("month_reviews")
        self.reviews.append(
            (
                review_id,
                diary.user_id,
                diary.unit_id,
                year,
                month,
                comment,
                diary.reviewer_id if comment else None,
                s.ts(signed_at - timedelta(minutes=10)) if comment else None,
                s.ts(signed_at),
                diary.reviewer_id,
                content_hash,
                content,
                3 if comment else 2,
            )
        )
        self.audit(
            diary.reviewer_id,
            "month.sign",
            "month_review",
            review_id,
            diary.user_id,
            diary.unit_id,
            signed_at,
            after={"year": year, "month": month, "content_hash": content_hash, "entries": len(entries)},
        )
        self.note(
            diary.user_id,
            "signed",
            f"Tháng {month}/{year} đã được ký xác nhận",
            f"{self.b.names[diary.reviewer_id]} đã ký xác nhận sổ nhật ký tháng {month}/{year} "
            f"({len(entries)} bài)." + (f"\n\nNhận xét tháng: {comment}" if comment else ""),
            f"/diary/{year}/{month}?unit_id={diary.unit_id}",
            signed_at,
        )

    # writing -------------------------------------------------------------------------------------
    def insert(self) -> None:
        s = self.s
        s.insert(
            "entry_snapshots",
            ("id", "entry_id", "taken_at", "taken_by_id", "reason", "content"),
            self.snapshots,
        )
        s.insert("entry_comments", ("id", "entry_id", "author_id", "body", "created_at"), self.comments)
        s.insert("month_reviews", MONTH_REVIEW_COLUMNS, self.reviews)
        s.insert("audit_log", AUDIT_COLUMNS, self.audits)
        s.insert(
            "notifications",
            ("id", "user_id", "kind", "title", "body", "link", "created_at", "read_at"),
            self.notes,
        )
