"""The builder's diary year: month by month, every diary's entries in every state (ids in order of
writing), with the review each one got; the rows that point at them: app.synthetic.dependents."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.core.db import db
from app.core.enums import EntryStatus
from app.synthetic import texts
from app.synthetic.records import Diary, DraftEntry, local_at, month_end


class DiarySteps:
    """diary_year(): the entries of each month, then what points at them."""

    # the diary year --------------------------------------------------------------------------
    def diary_year(self) -> None:
        """Month by month: the month's entries of every diary (ids in order of writing), then the
        rows that point at them, then the month sign-offs."""
        self.names = {d.user_id: d.name for d in self.diaries}
        self.names.update(self._officer_names())
        units = db.metadata.tables["units"]
        self.unit_names = dict(db.session.execute(sa.select(units.c.id, units.c.name)).all())
        month = date(self.first_day.year, self.first_day.month, 1)
        while month <= self.today:
            self._month(month.year, month.month)
            month = month_end(month.year, month.month) + timedelta(days=1)
        self._waiting_plan_notifications()

    def _officer_names(self) -> dict[int, str]:
        users = db.metadata.tables["users"]
        return dict(db.session.execute(sa.select(users.c.id, users.c.full_name)).all())

    def _sign_time(self, diary: Diary, year: int, month: int) -> datetime | None:
        """When the reviewer signs the month off, decided at its start (None: not signed)."""
        rng = diary.rng
        end = month_end(year, month)
        current = (self.today.year, self.today.month)
        if (year, month) >= current:
            rng.random()
            return None
        previous = (
            (self.today.year, self.today.month - 1) if self.today.month > 1 else (self.today.year - 1, 12)
        )
        chance = 0.55 if (year, month) == previous else 0.93
        if diary.role.manages_branch or diary.reviewer_id is None:
            chance -= 0.15
        signed = local_at(end + timedelta(days=rng.randint(2, 12)), rng.randint(14, 17), rng.randint(0, 59))
        if rng.random() < chance and signed < self.now:
            return signed
        return None

    def _month(self, year: int, month: int) -> None:
        first = max(date(year, month, 1), self.first_day)
        last = min(month_end(year, month), self.today)
        records: list[DraftEntry] = []
        for index, diary in enumerate(self.diaries):
            if diary.newcomer or year not in diary.plans:
                continue
            signed_at = self._sign_time(diary, year, month)
            if signed_at:
                diary.signed_months[(year, month)] = signed_at
            day = max(first, diary.joined)
            stop = min(last, diary.silent_from - timedelta(days=1)) if diary.silent_from else last
            while day <= stop:
                self._day(index, diary, day, signed_at, records)
                day += timedelta(days=1)
        records.sort(key=lambda e: e.created)
        first_id = self.sink.next_id("entries", len(records))
        for offset, e in enumerate(records):
            e.id = first_id + offset
        if year == self.today.year - 1:
            self._keep_evidence(year, records)
        self._write_entries(records)
        self._write_dependents(year, month, records)

    def _keep_evidence(self, year: int, records: list[DraftEntry]) -> None:
        """Last year's entries, the latest three per diary and content group, for the ratings to cite."""
        group_of = {i.id: i.theme.group.value for d in self.diaries for i in d.plans.get(year, ())}
        for e in records:
            if e.status is EntryStatus.DRAFT:
                continue
            kept = self.diaries[e.diary].evidence.setdefault(group_of[e.commitments[0]], [])
            kept.append(e.id)
            if len(kept) > 3:
                del kept[0]

    def _day(self, index: int, diary: Diary, day: date, signed_at: datetime | None, out: list) -> None:
        """The entries `diary` has for `day`: about its rate on a working day, half that at weekends."""
        rng = diary.rng
        factor = 1.0 if day.weekday() < 5 else 0.55
        expected = diary.rate * factor
        count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
        if not count:
            return
        infos = diary.plans[day.year]
        cumulative = diary.cumulative[day.year]
        age = (self.today - day).days
        for _ in range(count):
            info = rng.choices(infos, cum_weights=cumulative)[0]
            ids = [info.id]
            if len(infos) > 1 and rng.random() < 0.15:
                other = rng.choice(infos)
                if other.id != info.id:
                    ids.append(other.id)
            created = self._written_at(rng, day, signed_at)
            if created is None:
                continue
            pool = self.pool[info.theme.key]
            e = DraftEntry(index, day, created, pool[int(rng.random() * 160)], ids)
            self._status(e, rng, age, signed_at)
            if e.status is EntryStatus.REVISION:
                self._sent_back(e, rng)
            elif e.status is EntryStatus.SUBMITTED and age > 3 and rng.random() < 0.12:
                self._completed_and_resent(e, rng, pool)
            if e.status is EntryStatus.REVIEWED:
                self._remarks(e, rng)
            out.append(e)

    def _written_at(self, rng, day: date, signed_at: datetime | None) -> datetime | None:
        """When the entry of `day` was written: mostly that evening, some a day or a few later;
        never in the future (None: not written yet), never after its month was signed off."""
        random_ = rng.random
        delay = 0 if (r := random_()) < 0.7 else 1 if r < 0.9 else 2 + int(random_() * 4)
        created = local_at(day + timedelta(days=delay), 17 + int(random_() * 6), int(random_() * 60))
        if created > self.now:
            created = max(local_at(day, 7), self.now - timedelta(minutes=rng.randint(5, 240)))
            if created > self.now:
                return None
        if signed_at is not None and created >= signed_at:
            # A signed month takes no new entries: this one was written before the sign-off.
            created = signed_at - timedelta(hours=2 + int(random_() * 28))
        return created

    def _status(self, e: DraftEntry, rng, age: int, signed_at: datetime | None) -> None:
        """Reviewed when its month is signed; otherwise by its age: a recent draft now and then,
        half waiting in the last days, most reviewed before that, a few still waiting or sent back."""
        created = e.created
        roll = rng.random()
        if signed_at is not None:
            e.status = EntryStatus.REVIEWED
            e.reviewed = min(created + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 5)), signed_at)
        elif age <= 20 and roll < 0.03:
            e.status = EntryStatus.DRAFT
        elif age < 12:
            e.status = EntryStatus.SUBMITTED if roll < 0.6 else EntryStatus.REVIEWED
        else:
            e.status = (
                EntryStatus.REVIEWED
                if roll < 0.86
                else EntryStatus.SUBMITTED
                if roll < 0.95
                else EntryStatus.REVISION
            )
        if e.status is not EntryStatus.DRAFT:
            e.submitted = created
        if e.status is EntryStatus.REVIEWED and e.reviewed is None:
            e.reviewed = created + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 5))
            if e.reviewed > self.now:
                e.status, e.reviewed = EntryStatus.SUBMITTED, None

    def _sent_back(self, e: DraftEntry, rng) -> None:
        """Sent back for revision a few days after it came (still waiting if that is not past yet)."""
        e.revision_at = e.created + timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 5))
        e.revision_reason = rng.choice(texts.REVISION_REASONS)
        if e.revision_at > self.now:
            e.status, e.revision_at, e.revision_reason = EntryStatus.SUBMITTED, None, None

    def _completed_and_resent(self, e: DraftEntry, rng, pool: list) -> None:
        """Sent back for revision, completed and sent again: the snapshot keeps the old text (so the
        text has a result the first version lacked)."""
        for _attempt in range(6):
            if e.text.text.result:
                break
            e.text = pool[rng.randrange(160)]
        if not e.text.text.result:
            return
        created = e.created
        e.revision_at = created + timedelta(days=1, hours=rng.randint(0, 5))
        e.revision_reason = rng.choice(texts.REVISION_REASONS)
        e.submitted = e.revision_at + timedelta(hours=rng.randint(2, 30))
        if e.submitted > self.now:
            e.submitted, e.revision_at, e.revision_reason = created, None, None
        else:
            e.resubmitted = True

    @staticmethod
    def _remarks(e: DraftEntry, rng) -> None:
        """What a reviewed entry may carry: a place in the sổ vàng, a comment, the member's reply."""
        if e.text.text.result and rng.random() < 0.012:
            e.exemplary = rng.choice(texts.EXEMPLARY_NOTES)
        if rng.random() < 0.08:
            e.comment = rng.choice(texts.REVIEW_COMMENTS)
            if rng.random() < 0.15:
                e.reply = rng.choice(texts.MEMBER_REPLIES)

    def _write_entries(self, records: list[DraftEntry]) -> None:
        s, diaries = self.sink, self.diaries

        def rows():
            for e in records:
                d = diaries[e.diary]
                t = e.text.text
                updated = e.submitted if e.resubmitted else e.created
                exemplary = e.exemplary is not None
                yield (
                    e.id,
                    d.user_id,
                    d.unit_id,
                    s.date(e.deed),
                    t.place,
                    t.action,
                    t.result,
                    t.lesson,
                    e.status.value,
                    e.text.search_text,
                    s.ts(e.created),
                    s.ts(updated),
                    s.ts(e.submitted),
                    1,
                    s.ts(e.reviewed),
                    d.reviewer_id if e.reviewed else None,
                    s.ts(e.revision_at),
                    e.revision_reason,
                    exemplary,
                    s.ts(e.reviewed) if exemplary else None,
                    d.reviewer_id if exemplary else None,
                    (e.exemplary or None) if exemplary else None,
                )

        s.insert(
            "entries",
            (
                "id",
                "user_id",
                "unit_id",
                "deed_date",
                "place",
                "action",
                "result",
                "lesson",
                "status",
                "search_text",
                "created_at",
                "updated_at",
                "submitted_at",
                "lock_version",
                "reviewed_at",
                "reviewed_by_id",
                "revision_requested_at",
                "revision_reason",
                "is_exemplary",
                "exemplary_at",
                "exemplary_by_id",
                "exemplary_note",
            ),
            rows(),
        )
        s.insert(
            "entry_commitments",
            ("entry_id", "commitment_id"),
            ((e.id, cid) for e in records for cid in e.commitments),
        )
