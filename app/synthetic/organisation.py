"""The builder's first steps: the units (Đoàn Khối, Đoàn cơ sở, Liên chi đoàn, chi đoàn; Đảng bộ, chi bộ)
and the people in them, each member's diary with who reviews it and who is told."""

from __future__ import annotations

import random
from datetime import date, timedelta

from app.core.collation import name_sort_key
from app.core.enums import Role, UnitKind
from app.core.text import fold, nfc
from app.synthetic import texts
from app.synthetic.records import Diary, local_at


class OrganisationSteps:
    """units(), people(): the organisation's rows, and the diaries the later steps fill."""

    # units ---------------------------------------------------------------------------------
    def units(self) -> None:
        s, p = self.sink, self.p
        rows = []
        created = self.sink.ts(self.now - timedelta(days=800))

        def unit(code, name, kind: UnitKind, parent: tuple[int, str] | None) -> tuple[int, str]:
            unit_id = s.next_id("units")
            path = f"{parent[1] if parent else '/'}{unit_id}/"
            self.org.unit_names[unit_id] = name
            rows.append(
                (
                    unit_id,
                    code,
                    name,
                    kind.value,
                    kind.org_type.value,
                    parent[0] if parent else None,
                    path,
                    texts.PROVINCE,
                    True,
                    created,
                )
            )
            return unit_id, path

        root = unit("DKCCQ", texts.ROOT_NAME, UnitKind.SECTOR_UNION, None)
        self.org.root_id = root[0]
        grassroots = []
        for g in range(p.grassroots):
            code, agency = texts.AGENCIES[g % len(texts.AGENCIES)]
            suffix = "" if g < len(texts.AGENCIES) else f"-{g // len(texts.AGENCIES) + 1}"
            grassroots.append(
                (
                    code + suffix,
                    agency,
                    unit(f"DCS-{code}{suffix}", f"Đoàn cơ sở {agency}", UnitKind.GRASSROOTS_UNION, root),
                )
            )
        self.org.first_grassroots_id = grassroots[0][2][0]
        # Branches go round the grassroots unions, so the first branch is the first union's in any preset.
        per_union: dict[int, list[int]] = {g: [] for g in range(p.grassroots)}
        for b in range(p.branches):
            per_union[b % p.grassroots].append(b)
        self.branches: list[dict] = [{} for _ in range(p.branches)]
        self.branch_union: dict[int, int] = {}
        for g, numbers in per_union.items():
            code, agency, g_unit = grassroots[g]
            parent = g_unit
            if p.joint_every and g % p.joint_every == p.joint_every - 1 and len(numbers) >= 3:
                parent = unit(f"LCD-{code}", f"Liên chi đoàn {agency}", UnitKind.JOINT_BRANCH, g_unit)
            for k, b in enumerate(numbers):
                department = texts.DEPARTMENTS[k % len(texts.DEPARTMENTS)]
                extra = f" {k // len(texts.DEPARTMENTS) + 1}" if k >= len(texts.DEPARTMENTS) else ""
                branch = unit(
                    f"CD-{code}-{k + 1:02d}",
                    f"Chi đoàn {department}{extra} {agency}",
                    UnitKind.BRANCH,
                    parent,
                )
                self.branches[b] = {"id": branch[0], "union": g_unit[0], "agency": agency}
                self.branch_union[branch[0]] = g_unit[0]
        self.org.branch_ids = [b["id"] for b in self.branches]
        self.org.first_branch_id = self.branches[0]["id"]
        self.grassroots = grassroots
        party = unit("DBKCCQ", texts.PARTY_NAME, UnitKind.PARTY_COMMITTEE, None)
        self.org.party_id = party[0]
        self.cells = []
        for c in range(p.party_cells):
            code, agency = texts.AGENCIES[c % len(texts.AGENCIES)]
            suffix = "" if c < len(texts.AGENCIES) else f"-{c // len(texts.AGENCIES) + 1}"
            cell = unit(f"CB-{code}{suffix}", f"Chi bộ {agency}", UnitKind.PARTY_CELL, party)
            self.cells.append(cell[0])
        self.org.cell_ids = list(self.cells)
        s.insert(
            "units",
            (
                "id",
                "code",
                "name",
                "kind",
                "org_type",
                "parent_id",
                "path",
                "place",
                "is_active",
                "created_at",
            ),
            rows,
        )

    # people --------------------------------------------------------------------------------
    def people(self) -> None:
        s, p = self.sink, self.p
        users, memberships = [], []
        self.diaries: list[Diary] = []
        # Before last year began (and before the diary's first day): everyone but the newcomers was
        # a member all of last year, so last year's grading and its quarters rate them.
        joined_long_ago = min(date(self.today.year - 2, 12, 1), self.today - timedelta(days=400))

        def user(
            username: str, name: str, rng: random.Random, *, admin=False, older=False, joined=None
        ) -> int:
            user_id = s.next_id("users")
            name = nfc(name) or ""
            born = date(
                rng.randint(1975, 1994) if older else rng.randint(1991, 2004),
                rng.randint(1, 12),
                rng.randint(1, 28),
            )
            created = local_at(joined or joined_long_ago, 8)
            users.append(
                (
                    user_id,
                    username,
                    f"{username}@doankhoi.example.vn",
                    name,
                    fold(name),
                    name_sort_key(name),
                    s.date(born),
                    f"09{rng.randint(10_000_000, 99_999_999)}",
                    rng.choice(texts.POSITIONS),
                    self.password_hash,
                    admin,
                    True,
                    1,
                    s.ts(created),
                    s.ts(created + timedelta(hours=2)),
                )
            )
            return user_id

        def member_of(user_id: int, unit_id: int, role: Role, joined: date | None = None) -> None:
            memberships.append(
                (
                    s.next_id("memberships"),
                    user_id,
                    unit_id,
                    role.value,
                    s.ts(local_at(joined or joined_long_ago, 9)),
                )
            )

        org_rng = self.rng
        user("quantri", "Quản Trị Hệ Thống", org_rng, admin=True)
        self.org.accounts["quantri"] = "Quản trị hệ thống"
        canbo = user("canbo", "Lâm Thị Ngọc Hân", org_rng, older=True)
        member_of(canbo, self.org.root_id, Role.OFFICER)
        self.org.accounts["canbo"] = f"Cán bộ {texts.ROOT_NAME}"
        self.officer_of_union: dict[int, int] = {}
        for code, _agency, (union_id, _path) in self.grassroots:
            officer = user(f"canbo-{code.lower()}", texts.person_name(org_rng), org_rng, older=True)
            member_of(officer, union_id, Role.OFFICER)
            self.officer_of_union[union_id] = officer
        party_officer = user("canbo-dangbo", texts.person_name(org_rng), org_rng, older=True)
        member_of(party_officer, self.org.party_id, Role.OFFICER)
        self.org.accounts["canbo-dangbo"] = f"Cán bộ {texts.PARTY_NAME}"

        cell_members: dict[int, list[tuple[int, str, random.Random]]] = {c: [] for c in self.cells}
        for b, branch in enumerate(self.branches):
            rng = random.Random(f"{self.seed}:branch:{b}")
            size = p.first_branch if b == 0 else self.rng.randint(*p.branch_size)
            officer = self.officer_of_union[branch["union"]]
            self.org.officers_above[branch["id"]] = [officer, canbo]
            ids = []
            for i in range(size):
                username = ("bithu", "phobithu", "doanvien")[i] if b == 0 and i < 3 else f"dv{b:03d}{i:02d}"
                name = texts.person_name(rng)
                role = Role.SECRETARY if i == 0 else Role.DEPUTY_SECRETARY if i == 1 else Role.MEMBER
                newcomer = i > 2 and rng.random() < 0.03
                joined = self.today - timedelta(days=rng.randint(2, 12)) if newcomer else None
                user_id = user(username, name, rng, joined=joined)
                member_of(user_id, branch["id"], role, joined)
                diary = Diary(
                    user_id,
                    name,
                    branch["id"],
                    role,
                    joined or joined_long_ago,
                    random.Random(f"{self.seed}:diary:{b}:{i}"),
                    rng.choice(p.rates),
                    newcomer=newcomer,
                )
                if i > 2 and rng.random() < 0.06:  # stopped writing some weeks ago
                    diary.silent_from = self.today - timedelta(days=rng.randint(16, 60))
                ids.append(user_id)
                self.diaries.append(diary)
                if not newcomer and rng.random() < 0.1 and self.cells:  # also a Party member
                    cell_members[self.cells[b % len(self.cells)]].append((user_id, name, rng))
            secretary, deputy = ids[0], ids[1]
            for diary in self.diaries[-size:]:
                if diary.role.manages_branch:
                    diary.reviewer_id, diary.notify_ids = officer, [officer]
                else:
                    diary.reviewer_id, diary.notify_ids = secretary, [secretary, deputy]
            if b == 0:
                self.org.accounts["bithu"] = f"Bí thư, {len(ids)} người trong chi đoàn"
                self.org.accounts["phobithu"] = "Phó Bí thư"
                self.org.accounts["doanvien"] = "Đoàn viên"
                self.org.accounts[f"canbo-{self.grassroots[0][0].lower()}"] = (
                    "Cán bộ Đoàn cơ sở của chi đoàn đó"
                )

        for c, cell_id in enumerate(self.cells):
            rng = random.Random(f"{self.seed}:cell:{c}")
            self.org.officers_above[cell_id] = [party_officer]
            own = []
            for i in range(rng.randint(*p.party_only)):
                name = texts.person_name(rng)
                own.append((user(f"dangvien{c:03d}{i:02d}", name, rng, older=True), name, rng))
            people = own + cell_members[cell_id]
            for i, (user_id, name, _rng) in enumerate(people):
                role = Role.SECRETARY if i == 0 else Role.MEMBER
                member_of(user_id, cell_id, role)
                diary = Diary(
                    user_id,
                    name,
                    cell_id,
                    role,
                    joined_long_ago,
                    random.Random(f"{self.seed}:party:{c}:{i}"),
                    p.party_rate,
                )
                if i == 0:
                    diary.reviewer_id, diary.notify_ids = party_officer, [party_officer]
                else:
                    diary.reviewer_id, diary.notify_ids = people[0][0], [people[0][0]]
                self.diaries.append(diary)
            if c == 0:
                self.org.accounts[f"dangvien{c:03d}00"] = "Bí thư chi bộ"

        s.insert(
            "users",
            (
                "id",
                "username",
                "email",
                "full_name",
                "name_folded",
                "name_sort_key",
                "birth_date",
                "phone",
                "position",
                "password_hash",
                "is_admin",
                "is_active",
                "session_version",
                "created_at",
                "activated_at",
            ),
            users,
        )
        s.insert("memberships", ("id", "user_id", "unit_id", "role", "created_at"), memberships)
        self.org.diaries = self.diaries
