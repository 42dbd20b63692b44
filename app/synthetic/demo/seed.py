"""A lived-in demo: a Đoàn Khối in Sóc Trăng with its units, members and a Chi bộ.

Seeded by `make run` on first start (never in production). Names and positions are made up
but realistic; the random generator is seeded so every run makes the same people.
"""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import func, select

from app.auth.models import User
from app.auth.services import hash_password
from app.core.clock import today_local
from app.core.db import db, utcnow
from app.core.enums import OrgType, Role, UnitKind
from app.units.models import Membership, Unit

DEMO_PASSWORD = "demo1234"
DEMO_ACCOUNTS = [
    ("admin", "Quản trị hệ thống"),
    ("canbo", "Cán bộ Đoàn Khối các Cơ quan tỉnh"),
    ("bithu", "Bí thư Chi đoàn Văn phòng Sở Giáo dục và Đào tạo"),
    ("doanvien", "Đoàn viên Chi đoàn Văn phòng Sở Giáo dục và Đào tạo"),
    ("bithuchibo", "Bí thư Chi bộ Văn phòng Sở Giáo dục và Đào tạo (đánh giá theo thang điểm 100)"),
]

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Huỳnh",
    "Võ",
    "Phan",
    "Trương",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Thạch",
    "Lâm",
    "Sơn",
    "Danh",
    "Kim",
    "Châu",
    "Tăng",
]
MIDDLE_M = ["Văn", "Minh", "Quốc", "Hoàng", "Thanh", "Hữu", "Đức", "Công", "Tấn", "Trọng"]
MIDDLE_F = ["Thị", "Ngọc", "Thanh", "Kim", "Thị Mỹ", "Thị Thu", "Hồng", "Bảo", "Phương"]
GIVEN_M = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Đạt",
    "Hải",
    "Hiếu",
    "Hùng",
    "Khang",
    "Khoa",
    "Lộc",
    "Nam",
    "Nghĩa",
    "Phúc",
    "Quang",
    "Sang",
    "Tài",
    "Thành",
    "Thịnh",
    "Trí",
    "Tuấn",
    "Vinh",
]
GIVEN_F = [
    "Anh",
    "Châu",
    "Diễm",
    "Duyên",
    "Giang",
    "Hạnh",
    "Hằng",
    "Hương",
    "Lan",
    "Linh",
    "Mai",
    "Ngân",
    "Nhi",
    "Oanh",
    "Phượng",
    "Quyên",
    "Thảo",
    "Trang",
    "Trinh",
    "Uyên",
    "Vy",
    "Yến",
]

UNITS = {
    "code": "DK-CQT-ST",
    "name": "Đoàn Khối các Cơ quan tỉnh Sóc Trăng",
    "kind": UnitKind.SECTOR_UNION,
    "children": [
        {
            "code": "DCS-SGDDT",
            "name": "Đoàn cơ sở Sở Giáo dục và Đào tạo",
            "kind": UnitKind.GRASSROOTS_UNION,
            "children": [
                {
                    "code": "CD-VP-SGDDT",
                    "name": "Chi đoàn Văn phòng Sở Giáo dục và Đào tạo",
                    "kind": UnitKind.BRANCH,
                    "size": 16,
                    "positions": [
                        "Chuyên viên Văn phòng",
                        "Kế toán",
                        "Văn thư",
                        "Chuyên viên Phòng Tổ chức cán bộ",
                        "Chuyên viên Phòng Kế hoạch – Tài chính",
                        "Thanh tra viên",
                    ],
                },
                {
                    "code": "CD-GDTrH",
                    "name": "Chi đoàn Phòng Giáo dục Trung học",
                    "kind": UnitKind.BRANCH,
                    "size": 12,
                    "positions": [
                        "Chuyên viên Phòng Giáo dục Trung học",
                        "Chuyên viên khảo thí",
                        "Giáo viên biệt phái",
                    ],
                },
            ],
        },
        {
            "code": "DCS-SYT",
            "name": "Đoàn cơ sở Sở Y tế",
            "kind": UnitKind.GRASSROOTS_UNION,
            "children": [
                {
                    "code": "CD-BVDK",
                    "name": "Chi đoàn Bệnh viện Đa khoa tỉnh",
                    "kind": UnitKind.BRANCH,
                    "size": 19,
                    "positions": [
                        "Bác sĩ khoa Nội",
                        "Điều dưỡng",
                        "Kỹ thuật viên xét nghiệm",
                        "Dược sĩ",
                        "Bác sĩ khoa Nhi",
                        "Hộ sinh",
                    ],
                },
            ],
        },
    ],
}
PARTY_ROOT = {"code": "DB-SGDDT", "name": "Đảng bộ Sở Giáo dục và Đào tạo", "kind": UnitKind.PARTY_COMMITTEE}
PARTY_CELL = {
    "code": "CB-VP-SGDDT",
    "name": "Chi bộ Văn phòng Sở Giáo dục và Đào tạo",
    "kind": UnitKind.PARTY_CELL,
}


class DemoSeeder:
    def __init__(self) -> None:
        self.rng = random.Random(2013)
        self.password_hash = hash_password(DEMO_PASSWORD)
        self.used_usernames: set[str] = set()
        self.used_names: set[str] = set()

    def unit(self, spec: dict, parent: Unit | None) -> Unit:
        unit = Unit(
            code=spec["code"],
            name=spec["name"],
            kind=spec["kind"],
            org_type=spec["kind"].org_type,
            parent=parent,
            place="Sóc Trăng",
        )
        db.session.add(unit)
        db.session.flush()
        unit.path = f"{parent.path if parent else '/'}{unit.id}/"
        return unit

    def person(
        self,
        positions: list[str],
        *,
        username: str | None = None,
        name: str | None = None,
        female: bool | None = None,
        birth_year: tuple[int, int] = (1990, 2003),
    ) -> User:
        rng = self.rng
        if name is None:
            while True:
                female = rng.random() < 0.55 if female is None else female
                name = " ".join(
                    [
                        rng.choice(FAMILY),
                        rng.choice(MIDDLE_F if female else MIDDLE_M),
                        rng.choice(GIVEN_F if female else GIVEN_M),
                    ]
                )
                if name not in self.used_names:
                    break
                female = None
        self.used_names.add(name)
        if username is None:
            from app.members.services import username_base

            base, n = username_base(name), 1
            username = base
            while username in self.used_usernames:
                n += 1
                username = f"{base}{n}"
        self.used_usernames.add(username)
        birth = date(rng.randint(*birth_year), rng.randint(1, 12), rng.randint(1, 28))
        user = User(
            username=username,
            email=f"{username}@sonhatky.example",
            birth_date=birth,
            phone="09" + "".join(str(rng.randint(0, 9)) for _ in range(8)),
            position=rng.choice(positions),
            password_hash=self.password_hash,
            activated_at=utcnow(),
        )
        user.set_name(name)
        db.session.add(user)
        return user

    def run(self) -> dict[str, User]:
        root = self.unit(UNITS, None)
        accounts: dict[str, User] = {}

        admin = self.person(
            ["Quản trị hệ thống"], username="admin", name="Quản Trị Viên", birth_year=(1985, 1990)
        )
        admin.is_admin = True
        admin.position = "Quản trị hệ thống"
        accounts["admin"] = admin

        canbo = self.person(
            ["Phó Bí thư Đoàn Khối"], username="canbo", name="Lâm Thị Ngọc Hân", birth_year=(1988, 1992)
        )
        canbo.position = "Phó Bí thư Đoàn Khối các Cơ quan tỉnh"
        db.session.add(Membership(user=canbo, unit=root, role=Role.OFFICER))
        accounts["canbo"] = canbo

        branches: list[Unit] = []
        for grassroots_spec in UNITS["children"]:
            grassroots = self.unit(grassroots_spec, root)
            for branch_spec in grassroots_spec["children"]:
                branch = self.unit(branch_spec, grassroots)
                branches.append(branch)
                positions = branch_spec["positions"]
                for i in range(branch_spec["size"]):
                    if branch_spec["code"] == "CD-VP-SGDDT" and i == 0:
                        user = self.person(
                            positions, username="bithu", name="Trần Quốc Bảo", birth_year=(1992, 1994)
                        )
                        user.position = "Chuyên viên Phòng Tổ chức cán bộ"
                        role = Role.SECRETARY
                        accounts["bithu"] = user
                    elif branch_spec["code"] == "CD-VP-SGDDT" and i == 1:
                        user = self.person(
                            positions,
                            username="doanvien",
                            name="Nguyễn Thị Mỹ Duyên",
                            birth_year=(1998, 2000),
                        )
                        user.position = "Chuyên viên Văn phòng"
                        role = Role.MEMBER
                        accounts["doanvien"] = user
                    else:
                        user = self.person(positions)
                        role = Role.SECRETARY if i == 0 else Role.DEPUTY_SECRETARY if i == 2 else Role.MEMBER
                    db.session.add(Membership(user=user, unit=branch, role=role))

        # The Party: a Đảng bộ with one Chi bộ; the Chi đoàn's secretary is also a đảng viên.
        party_root = self.unit(PARTY_ROOT, None)
        cell = self.unit(PARTY_CELL, party_root)
        party_secretary = self.person(
            ["Chánh Văn phòng Sở"],
            username="bithuchibo",
            name="Phạm Văn Hùng",
            female=False,
            birth_year=(1975, 1980),
        )
        accounts["bithuchibo"] = party_secretary
        # canbo also sits on the Đảng ủy, so the demo shows ratification on both scales.
        db.session.add(Membership(user=canbo, unit=party_root, role=Role.OFFICER))
        party_secretary.position = "Chánh Văn phòng Sở"
        db.session.add(Membership(user=party_secretary, unit=cell, role=Role.SECRETARY))
        db.session.add(Membership(user=accounts["bithu"], unit=cell, role=Role.MEMBER))
        for _ in range(7):
            person = self.person(
                ["Phó Chánh Văn phòng", "Chuyên viên chính", "Kế toán trưởng", "Chuyên viên"],
                birth_year=(1970, 1992),
            )
            db.session.add(Membership(user=person, unit=cell, role=Role.MEMBER))
        db.session.flush()

        from app.synthetic.demo.diary import seed_demo_diaries

        demo_branch = next(b for b in branches if b.code == "CD-VP-SGDDT")
        db.session.refresh(demo_branch)
        seed_demo_diaries(accounts, demo_branch, root)

        # Everybody else's year (and last year's ratified grading), by the generator's steps.
        from app.synthetic.demo.year import seed_demo_year

        tour = {(accounts["doanvien"].id, demo_branch.id), (accounts["bithu"].id, demo_branch.id)}
        tour.add((accounts["bithu"].id, cell.id))  # keeps the diary in the Chi đoàn
        self.org = seed_demo_year(accounts, tour, today_local(), utcnow())
        self.org.accounts = dict(DEMO_ACCOUNTS)

        from app.synthetic.demo.grading import seed_demo_grading, seed_ratified_round

        seed_demo_grading(accounts, demo_branch, cell)
        hospital = next(b for b in branches if b.code == "CD-BVDK")
        seed_ratified_round(accounts, db.session.get(Unit, hospital.id))

        # The reports and dashboards count the year from the entries at first view (the bulk rows
        # went in without the app's hooks); rebuild_all commits the demo.
        from app.dashboard import coverage
        from app.reports import stats

        db.session.flush()
        stats.rebuild_all()
        coverage.forget_all()
        return accounts


def has_data() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(Unit)))


def seed_demo() -> dict[str, User]:
    """Create the demo organisation and accounts; the caller commits."""
    return DemoSeeder().run()


__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "OrgType", "has_data", "seed_demo"]
