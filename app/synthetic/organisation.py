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

USER_COLUMNS = (
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
)


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
        """The officers over each level, each chi đoàn's members, each chi bộ's (some of them from a
        chi đoàn): an account, a membership and a diary each, with who reviews it."""
        s = self.sink
        self._users: list[tuple] = []
        self._memberships: list[tuple] = []
        self.diaries: list[Diary] = []
        # Before last year began (and before the diary's first day): everyone but the newcomers was
        # a member all of last year, so last year's grading and its quarters rate them.
        self.joined_long_ago = min(date(self.today.year - 2, 12, 1), self.today - timedelta(days=400))
        canbo, party_officer = self._officers()
        cell_members: dict[int, list[tuple[int, str, random.Random]]] = {c: [] for c in self.cells}
        for b, branch in enumerate(self.branches):
            self._branch_people(b, branch, canbo, cell_members)
        for c, cell_id in enumerate(self.cells):
            self._cell_people(c, cell_id, party_officer, cell_members[cell_id])
        s.insert("users", USER_COLUMNS, self._users)
        s.insert("memberships", ("id", "user_id", "unit_id", "role", "created_at"), self._memberships)
        self.org.diaries = self.diaries

    def _user(
        self, username: str, name: str, rng: random.Random, *, admin=False, older=False, joined=None
    ) -> int:
        """An activated account (the bench password), born in the 1990s or 2000s, or earlier if `older`."""
        s = self.sink
        user_id = s.next_id("users")
        name = nfc(name) or ""
        born = date(
            rng.randint(1975, 1994) if older else rng.randint(1991, 2004),
            rng.randint(1, 12),
            rng.randint(1, 28),
        )
        created = local_at(joined or self.joined_long_ago, 8)
        self._users.append(
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

    def _member_of(self, user_id: int, unit_id: int, role: Role, joined: date | None = None) -> None:
        s = self.sink
        self._memberships.append(
            (
                s.next_id("memberships"),
                user_id,
                unit_id,
                role.value,
                s.ts(local_at(joined or self.joined_long_ago, 9)),
            )
        )

    def _officers(self) -> tuple[int, int]:
        """The administrator and the officers of the Đoàn Khối, each Đoàn cơ sở and the Đảng bộ;
        returns the Đoàn Khối's and the Đảng bộ's officers."""
        org_rng = self.rng
        self._user("quantri", "Quản Trị Hệ Thống", org_rng, admin=True)
        self.org.accounts["quantri"] = "Quản trị hệ thống"
        canbo = self._user("canbo", "Lâm Thị Ngọc Hân", org_rng, older=True)
        self._member_of(canbo, self.org.root_id, Role.OFFICER)
        self.org.accounts["canbo"] = f"Cán bộ {texts.ROOT_NAME}"
        self.officer_of_union: dict[int, int] = {}
        for code, _agency, (union_id, _path) in self.grassroots:
            officer = self._user(f"canbo-{code.lower()}", texts.person_name(org_rng), org_rng, older=True)
            self._member_of(officer, union_id, Role.OFFICER)
            self.officer_of_union[union_id] = officer
        party_officer = self._user("canbo-dangbo", texts.person_name(org_rng), org_rng, older=True)
        self._member_of(party_officer, self.org.party_id, Role.OFFICER)
        self.org.accounts["canbo-dangbo"] = f"Cán bộ {texts.PARTY_NAME}"
        return canbo, party_officer

    def _branch_people(self, b: int, branch: dict, canbo: int, cell_members: dict) -> None:
        """Chi đoàn number `b`: its secretary, deputy and members (the first one's accounts are the
        tour's); the members reviewed by the secretary, the secretaries by the Đoàn cơ sở's officer."""
        rng = random.Random(f"{self.seed}:branch:{b}")
        size = self.p.first_branch if b == 0 else self.rng.randint(*self.p.branch_size)
        officer = self.officer_of_union[branch["union"]]
        self.org.officers_above[branch["id"]] = [officer, canbo]
        ids = [self._branch_member(b, i, branch["id"], rng, cell_members) for i in range(size)]
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
            self.org.accounts[f"canbo-{self.grassroots[0][0].lower()}"] = "Cán bộ Đoàn cơ sở của chi đoàn đó"

    def _branch_member(self, b: int, i: int, branch_id: int, rng: random.Random, cell_members: dict) -> int:
        """Member `i` of chi đoàn `b`: a newcomer of the last days now and then, silent for weeks now
        and then, in a chi bộ too now and then."""
        username = ("bithu", "phobithu", "doanvien")[i] if b == 0 and i < 3 else f"dv{b:03d}{i:02d}"
        name = texts.person_name(rng)
        role = Role.SECRETARY if i == 0 else Role.DEPUTY_SECRETARY if i == 1 else Role.MEMBER
        newcomer = i > 2 and rng.random() < 0.03
        joined = self.today - timedelta(days=rng.randint(2, 12)) if newcomer else None
        user_id = self._user(username, name, rng, joined=joined)
        self._member_of(user_id, branch_id, role, joined)
        diary = Diary(
            user_id,
            name,
            branch_id,
            role,
            joined or self.joined_long_ago,
            random.Random(f"{self.seed}:diary:{b}:{i}"),
            rng.choice(self.p.rates),
            newcomer=newcomer,
        )
        if i > 2 and rng.random() < 0.06:  # stopped writing some weeks ago
            diary.silent_from = self.today - timedelta(days=rng.randint(16, 60))
        self.diaries.append(diary)
        if not newcomer and rng.random() < 0.1 and self.cells:  # also a Party member
            cell_members[self.cells[b % len(self.cells)]].append((user_id, name, rng))
        return user_id

    def _cell_people(self, c: int, cell_id: int, party_officer: int, from_branches: list) -> None:
        """Chi bộ number `c`: a few đảng viên of its own, then those of the chi đoàn; the first is
        its secretary, reviewed by the Đảng bộ's officer."""
        rng = random.Random(f"{self.seed}:cell:{c}")
        self.org.officers_above[cell_id] = [party_officer]
        own = []
        for i in range(rng.randint(*self.p.party_only)):
            name = texts.person_name(rng)
            own.append((self._user(f"dangvien{c:03d}{i:02d}", name, rng, older=True), name, rng))
        people = own + from_branches
        for i, (user_id, name, _rng) in enumerate(people):
            role = Role.SECRETARY if i == 0 else Role.MEMBER
            self._member_of(user_id, cell_id, role)
            diary = Diary(
                user_id,
                name,
                cell_id,
                role,
                self.joined_long_ago,
                random.Random(f"{self.seed}:party:{c}:{i}"),
                self.p.party_rate,
            )
            if i == 0:
                diary.reviewer_id, diary.notify_ids = party_officer, [party_officer]
            else:
                diary.reviewer_id, diary.notify_ids = people[0][0], [people[0][0]]
            self.diaries.append(diary)
        if c == 0:
            self.org.accounts[f"dangvien{c:03d}00"] = "Bí thư chi bộ"
