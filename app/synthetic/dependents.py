"""What the reviews of a month leave behind: snapshots, comments and replies, month comments and
sign-offs with their SHA-256, the audit rows and the notifications the services would write."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from app.core.enums import EntryStatus
from app.core.filters import vn_date
from app.core.text import nfc
from app.synthetic import texts
from app.synthetic.records import DraftEntry, audit_json, entry_json, local_at, month_end, month_json
from app.synthetic.sink import AUDIT_COLUMNS
from app.synthetic.themes import EntryText


class DependentSteps:
    """The rows that point at a month's entries, and the waiting plans' notifications."""

    def _write_dependents(self, year: int, month: int, records: list[DraftEntry]) -> None:
        s, diaries, now = self.sink, self.diaries, self.now
        snapshots, comments, notes, audits, reviews = [], [], [], [], []
        by_diary: dict[int, list[DraftEntry]] = {}
        stale = now - timedelta(days=3)

        def note(user_id, kind, title, body, link, created, read=None):
            if read is None and created < stale:
                read = created + timedelta(days=1)
            if read is not None and read > now:
                read = None
            notes.append(
                (
                    s.next_id("notifications"),
                    user_id,
                    kind,
                    title[:255],
                    body,
                    link,
                    s.ts(created),
                    s.ts(read),
                )
            )

        def audit(
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
        ):
            audits.append(
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

        for e in records:
            d = diaries[e.diary]
            by_diary.setdefault(e.diary, []).append(e)
            if e.status is EntryStatus.DRAFT:
                continue
            day = vn_date(e.deed)
            review_link = f"/units/{d.unit_id}/review/{d.user_id}/{e.deed.year}/{e.deed.month}#entry-{e.id}"
            entry_link = f"/diary/entries/{e.id}"
            reviewed_or_signed = e.reviewed
            if e.resubmitted:
                title = f"{d.name} đã bổ sung bài ngày {day} theo yêu cầu"
                kind = "resubmitted"
            else:
                title = f"{d.name} gửi bài nhật ký ngày {day}"
                kind = "submitted"
            for reviewer in d.notify_ids:
                note(reviewer, kind, title, e.text.title, review_link, e.submitted, reviewed_or_signed)
            signed_at = d.signed_months.get((year, month))
            if self.p.snapshots and e.status is EntryStatus.REVIEWED:
                reason, taken, by = (
                    ("signed", signed_at, d.reviewer_id)
                    if signed_at
                    else ("reviewed", e.reviewed, d.reviewer_id)
                )
                e.json = entry_json(e.id, e.deed, e.text.text, e.commitments, "reviewed")
                snapshots.append((s.next_id("entry_snapshots"), e.id, s.ts(taken), by, reason, e.json))
            if e.revision_at is not None:
                old = e.text.text
                if e.resubmitted:
                    old = EntryText(old.place, old.action, "", "")
                snapshots.append(
                    (
                        s.next_id("entry_snapshots"),
                        e.id,
                        s.ts(e.revision_at),
                        d.reviewer_id,
                        "revision",
                        entry_json(e.id, e.deed, old, e.commitments, "revision"),
                    )
                )
                audit(
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
                note(
                    d.user_id,
                    "revision",
                    f"Bài ngày {day} cần bổ sung, chỉnh sửa",
                    f"{self.names[d.reviewer_id]}: {e.revision_reason}",
                    entry_link,
                    e.revision_at,
                )
            if e.comment is not None:
                at = min(e.reviewed + timedelta(minutes=2), now)
                comments.append((s.next_id("entry_comments"), e.id, d.reviewer_id, e.comment, s.ts(at)))
                audit(
                    d.reviewer_id,
                    "entry.comment",
                    "entry",
                    e.id,
                    d.user_id,
                    d.unit_id,
                    at,
                    after={"deed_date": e.deed.isoformat(), "body": e.comment},
                )
                note(
                    d.user_id,
                    "comment",
                    f"{self.names[d.reviewer_id]} đã nhận xét bài ngày {day}",
                    e.comment,
                    entry_link + "#comments",
                    at,
                )
                if e.reply is not None:
                    reply_at = at + timedelta(hours=20)
                    if reply_at < now:
                        comments.append(
                            (s.next_id("entry_comments"), e.id, d.user_id, e.reply, s.ts(reply_at))
                        )
                        audit(
                            d.user_id,
                            "entry.comment",
                            "entry",
                            e.id,
                            d.user_id,
                            d.unit_id,
                            reply_at,
                            after={"deed_date": e.deed.isoformat(), "body": e.reply},
                        )
                        note(
                            d.reviewer_id,
                            "comment",
                            f"{d.name} đã trả lời nhận xét bài ngày {day}",
                            e.reply,
                            review_link,
                            reply_at,
                        )
            if e.exemplary is not None:
                audit(
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
                    f"Bài đã được ghi vào sổ vàng của {self.unit_names[d.unit_id]}."
                )
                note(d.user_id, "exemplary", f"Bài ngày {day} được biểu dương", body, entry_link, e.reviewed)

        # The month comments and sign-offs, with the SHA-256 of exactly what the app would sign.
        for index, diary in enumerate(diaries):
            signed_at = diary.signed_months.get((year, month))
            entries = by_diary.get(index, [])
            rng = diary.rng
            if signed_at is not None and entries:
                comment = nfc(rng.choice(texts.MONTH_COMMENTS)) or ""
                ordered = sorted(entries, key=lambda e: e.id)
                content = month_json(
                    diary.user_id,
                    diary.unit_id,
                    year,
                    month,
                    [
                        e.json or entry_json(e.id, e.deed, e.text.text, e.commitments, "reviewed")
                        for e in ordered
                    ],
                    comment,
                )
                content_hash = hashlib.sha256(content.encode("utf-8")).hexdigest()
                review_id = s.next_id("month_reviews")
                reviews.append(
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
                audit(
                    diary.reviewer_id,
                    "month.sign",
                    "month_review",
                    review_id,
                    diary.user_id,
                    diary.unit_id,
                    signed_at,
                    after={
                        "year": year,
                        "month": month,
                        "content_hash": content_hash,
                        "entries": len(entries),
                    },
                )
                note(
                    diary.user_id,
                    "signed",
                    f"Tháng {month}/{year} đã được ký xác nhận",
                    f"{self.names[diary.reviewer_id]} đã ký xác nhận sổ nhật ký tháng {month}/{year} "
                    f"({len(entries)} bài)." + (f"\n\nNhận xét tháng: {comment}" if comment else ""),
                    f"/diary/{year}/{month}?unit_id={diary.unit_id}",
                    signed_at,
                )
            elif entries and rng.random() < 0.15:
                at = min(self.now - timedelta(hours=1), local_at(min(month_end(year, month), self.today), 15))
                reviews.append(
                    (
                        s.next_id("month_reviews"),
                        diary.user_id,
                        diary.unit_id,
                        year,
                        month,
                        nfc(rng.choice(texts.MONTH_COMMENTS[:-1])),
                        diary.reviewer_id,
                        s.ts(at),
                        None,
                        None,
                        None,
                        None,
                        2,
                    )
                )
            for e in entries:
                e.json = None  # the month is written: let the text go

        s.insert(
            "entry_snapshots", ("id", "entry_id", "taken_at", "taken_by_id", "reason", "content"), snapshots
        )
        s.insert("entry_comments", ("id", "entry_id", "author_id", "body", "created_at"), comments)
        s.insert(
            "month_reviews",
            (
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
            ),
            reviews,
        )
        s.insert(
            "audit_log",
            AUDIT_COLUMNS,
            audits,
        )
        s.insert(
            "notifications",
            ("id", "user_id", "kind", "title", "body", "link", "created_at", "read_at"),
            notes,
        )

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
