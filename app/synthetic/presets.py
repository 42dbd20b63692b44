"""The sizes of the synthetic organisation: `demo`, `small`, `quick`, `province`.

demo      `flask seed-demo` (`make run`): the hand-written Đoàn Khối of app.synthetic.demo —
          three chi đoàn, a chi bộ, the accounts of the tour — with everybody's year of diary
          from the generator, written at a person's pace (a few entries a week).
small     `flask seed-bench --size small`: one chi đoàn of 30 members and a chi bộ.
quick     ten chi đoàn (`make bench-quick`).
province  ≈ 100 chi đoàn, ≈ 3,000 members, ≈ 1 million entries (`make bench`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "matkhau123"

# ---- sizes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    """How big: branches and their sizes, chi bộ, how many days back, how much people write."""

    name: str
    branches: int
    grassroots: int
    first_branch: int = 30  # members of the first branch (the one the benchmark opens)
    branch_size: tuple[int, int] = (14, 46)  # the others: uniform in this range (mean 30)
    joint_every: int = 0  # every n-th Đoàn cơ sở puts its branches under a Liên chi đoàn
    party_cells: int = 1
    party_only: tuple[int, int] = (3, 6)  # chi bộ members who are not in a youth branch
    days: int = 365
    rates: tuple[float, ...] = (0.6, 0.9, 1.1, 1.4)  # entries per working day, one per member
    party_rate: float = 0.25
    snapshots: bool = True  # a review snapshot for every reviewed entry


# The demo's units and people are the hand-written ones of app.synthetic.demo (branches=0).
DEMO = Preset("demo", branches=0, grassroots=0, rates=(0.2, 0.3, 0.4, 0.55), party_rate=0.18)

PRESETS: dict[str, Preset] = {
    "demo": DEMO,
    "small": Preset("small", branches=1, grassroots=1, party_cells=1),
    # bench-quick: the organisation of ten branches, the same year of diaries.
    "quick": Preset("quick", branches=10, grassroots=3, party_cells=3),
    "province": Preset("province", branches=100, grassroots=20, joint_every=5, party_cells=20),
}


def seed_code_hash() -> str:
    """SHA-256 of this package's code: a cached database built by other code is not reused."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
