"""The builder's standards and plans: the year's standards of the Đoàn Khối and the Đảng bộ, every
member's approved plan for each calendar year (and a revised version waiting now and then)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import accumulate

import sqlalchemy as sa

from app.core.db import db
from app.core.enums import Frequency, PlanStatus
from app.standards.catalogues import BA_TOT, CAN_KIEM_LIEM_CHINH
from app.synthetic import texts, themes
from app.synthetic.records import CommitmentInfo, Diary, local_at


class PlanSteps:
    """standards(), plans(): what each diary's entries are tied to."""

    # standards and plans -------------------------------------------------------------------
    def standards(self) -> None:
        s = self.sink
        rows, themes = [], []
        self.standards_of: dict[tuple[int, int], dict] = {}  # (unit, year) -> group -> [ids]
        created = s.ts(self.now - timedelta(days=400))
        existing = self._existing_standards()
        for year in self.years:
            for unit_id, catalogues in (
                (self.org.root_id, (CAN_KIEM_LIEM_CHINH, BA_TOT)),
                (self.org.party_id, (CAN_KIEM_LIEM_CHINH,)),
            ):
                if (unit_id, year) in existing:  # set already (the demo's tour): plans use those
                    self.standards_of[(unit_id, year)] = existing[(unit_id, year)]
                    continue
                by_group: dict = {}
                order = 0
                for catalogue in catalogues:
                    for item in catalogue.items:
                        standard_id = s.next_id("standards")
                        rows.append(
                            (
                                standard_id,
                                unit_id,
                                year,
                                item.group.value,
                                item.title,
                                item.description,
                                catalogue.key,
                                order,
                                True,
                                created,
                            )
                        )
                        by_group.setdefault(item.group, []).append(standard_id)
                        order += 1
                self.standards_of[(unit_id, year)] = by_group
            if (self.org.root_id, year) in existing:
                continue
            themes.append(
                (
                    s.next_id("annual_themes"),
                    self.org.root_id,
                    year,
                    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh về ý chí tự lực, tự cường và "
                    "khát vọng phát triển đất nước phồn vinh, hạnh phúc",
                    "Chuyên đề năm của Đoàn Khối; mỗi đoàn viên đăng ký ít nhất một việc làm cụ thể.",
                    created,
                )
            )
        s.insert(
            "standards",
            (
                "id",
                "unit_id",
                "year",
                "group",
                "title",
                "description",
                "catalogue",
                "sort_order",
                "is_active",
                "created_at",
            ),
            rows,
        )
        s.insert("annual_themes", ("id", "unit_id", "year", "title", "description", "updated_at"), themes)

    def _existing_standards(self) -> dict[tuple[int, int], dict]:
        """(unit, year) -> group -> [ids] of the standards the database already holds."""
        from app.core.enums import ContentGroup

        table = db.metadata.tables["standards"]
        found: dict[tuple[int, int], dict] = {}
        rows = db.session.execute(
            sa.select(table.c.unit_id, table.c.year, table.c.group, table.c.id).order_by(
                table.c.sort_order, table.c.id
            )
        )
        for unit_id, year, group, standard_id in rows:
            by_group = found.setdefault((unit_id, year), {})
            by_group.setdefault(ContentGroup(group), []).append(standard_id)
        return found

    def plans(self) -> None:
        s = self.sink
        plans, commitments = [], []
        self.waiting_plans: list[tuple[int, Diary, int, datetime]] = []
        party = set(self.cells)
        for n, diary in enumerate(self.diaries):
            if diary.newcomer:
                continue
            rng = diary.rng
            standard_unit = self.org.party_id if diary.unit_id in party else self.org.root_id
            for year in self.years:
                if year in diary.written_elsewhere:
                    continue
                by_group = self.standards_of[(standard_unit, year)]
                # Everyone registers something for "Kiệm" (saving), then three to five more.
                chosen = [themes.SAVING, *rng.sample(themes.OTHER_THEMES, rng.randint(3, 5))]
                plan_id = s.next_id("plans")
                created = max(local_at(date(year, 1, rng.randint(3, 20)), 9), local_at(diary.joined, 10))
                decided = created + timedelta(days=rng.randint(1, 6))
                if decided > self.now:  # the year's first days: registered and approved just now
                    created = min(created, self.now - timedelta(hours=30))
                    decided = created + (self.now - created) / 2
                plans.append(
                    (
                        plan_id,
                        diary.user_id,
                        diary.unit_id,
                        year,
                        1,
                        PlanStatus.APPROVED.value,
                        rng.choice(texts.SHORTCOMINGS),
                        diary.user_id,
                        s.ts(created),
                        s.ts(decided),
                        s.ts(created),
                        s.ts(decided),
                        diary.reviewer_id,
                        2,
                    )
                )
                infos = []
                first_commitment = s.next_id("commitments", len(chosen))
                for k, theme in enumerate(chosen):
                    cid = first_commitment + k
                    standard_ids = by_group.get(theme.group) or [i for ids in by_group.values() for i in ids]
                    deadline = date(year, *theme.deadline) if theme.deadline else None
                    commitments.append(
                        (
                            cid,
                            plan_id,
                            cid,
                            standard_ids[k % len(standard_ids)],
                            k == 0,
                            theme.action,
                            theme.measure,
                            theme.frequency.value,
                            s.date(deadline),
                            k,
                        )
                    )
                    weight = theme.weight * (0.15 if theme.frequency is Frequency.ONCE else 1.0)
                    infos.append(CommitmentInfo(cid, standard_ids[k % len(standard_ids)], theme, weight))
                diary.plans[year] = infos
                diary.cumulative[year] = list(accumulate(i.weight for i in infos))
                # Every seventh member has revised this year's plan: version 2 waits for approval.
                if year == self.today.year and n % 7 == 3:
                    plan2 = s.next_id("plans")
                    submitted = self.now - timedelta(days=rng.randint(0, 9), hours=rng.randint(0, 20))
                    plans.append(
                        (
                            plan2,
                            diary.user_id,
                            diary.unit_id,
                            year,
                            2,
                            PlanStatus.SUBMITTED.value,
                            rng.choice(texts.SHORTCOMINGS),
                            diary.user_id,
                            s.ts(submitted),
                            None,
                            s.ts(submitted),
                            s.ts(submitted),
                            None,
                            1,
                        )
                    )
                    first = s.next_id("commitments", len(infos))
                    for k, info in enumerate(infos):
                        theme = info.theme
                        deadline = date(year, *theme.deadline) if theme.deadline else None
                        commitments.append(
                            (
                                first + k,
                                plan2,
                                info.id,
                                info.standard_id,
                                k == 0,
                                theme.action,
                                theme.measure,
                                theme.frequency.value,
                                s.date(deadline),
                                k,
                            )
                        )
                    self.waiting_plans.append((plan2, diary, year, submitted))
        s.insert(
            "plans",
            (
                "id",
                "user_id",
                "unit_id",
                "year",
                "version",
                "status",
                "shortcomings",
                "created_by_id",
                "created_at",
                "submitted_at",
                "updated_at",
                "decided_at",
                "decided_by_id",
                "lock_version",
            ),
            plans,
        )
        s.insert(
            "commitments",
            (
                "id",
                "plan_id",
                "lineage_id",
                "standard_id",
                "is_breakthrough",
                "action",
                "measure",
                "frequency",
                "deadline",
                "sort_order",
            ),
            commitments,
        )
