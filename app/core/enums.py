"""Enumerations stored as English strings, each with the Vietnamese label users see."""

from __future__ import annotations

import enum

import sqlalchemy as sa


class LabeledEnum(enum.StrEnum):
    """A string enum whose members carry a Vietnamese `.label`."""

    label: str

    def __new__(cls, value: str, label: str):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


def enum_column_type(enum_cls: type[LabeledEnum]) -> sa.Enum:
    """Store an enum as its value in a VARCHAR (no native enum: migrations stay simple)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class OrgType(LabeledEnum):
    YOUTH_UNION = ("youth_union", "Đoàn TNCS Hồ Chí Minh")
    PARTY = ("party", "Đảng Cộng sản Việt Nam")

    @property
    def member_label(self) -> str:
        return "đảng viên" if self is OrgType.PARTY else "đoàn viên"


class UnitKind(LabeledEnum):
    SECTOR_UNION = ("sector_union", "Đoàn Khối / Tỉnh đoàn")
    GRASSROOTS_UNION = ("grassroots_union", "Đoàn cơ sở")
    JOINT_BRANCH = ("joint_branch", "Liên chi đoàn")
    BRANCH = ("branch", "Chi đoàn")
    PARTY_COMMITTEE = ("party_committee", "Đảng bộ")
    PARTY_CELL = ("party_cell", "Chi bộ")

    @property
    def org_type(self) -> OrgType:
        return (
            OrgType.PARTY
            if self in (UnitKind.PARTY_COMMITTEE, UnitKind.PARTY_CELL)
            else (OrgType.YOUTH_UNION)
        )

    @property
    def is_branch(self) -> bool:
        """A branch (chi đoàn, chi bộ) is where members keep their diaries."""
        return self in (UnitKind.BRANCH, UnitKind.PARTY_CELL)

    @classmethod
    def for_org(cls, org_type: OrgType) -> list[UnitKind]:
        return [k for k in cls if k.org_type is org_type]


class Role(LabeledEnum):
    MEMBER = ("member", "Đoàn viên")
    DEPUTY_SECRETARY = ("deputy_secretary", "Phó Bí thư")
    SECRETARY = ("secretary", "Bí thư")
    OFFICER = ("officer", "Cán bộ cấp trên")

    def label_for(self, org_type: OrgType) -> str:
        """The role's name in the unit's organisation (a Party member is "Đảng viên")."""
        if self is Role.MEMBER and org_type is OrgType.PARTY:
            return "Đảng viên"
        return self.label

    @property
    def manages_branch(self) -> bool:
        return self in (Role.SECRETARY, Role.DEPUTY_SECRETARY)

    @property
    def is_branch_member(self) -> bool:
        """Members, deputies and secretaries all belong to the unit and keep a diary there."""
        return self is not Role.OFFICER


class ContentGroup(LabeledEnum):
    """The five content groups standards, self-assessments and criteria are organised by."""

    POLITICS = ("politics", "Tư tưởng chính trị")
    ETHICS = ("ethics", "Đạo đức, lối sống")
    WORK_STYLE = ("work_style", "Tác phong, lề lối làm việc")
    DISCIPLINE = ("discipline", "Ý thức tổ chức kỷ luật")
    DUTIES = ("duties", "Thực hiện nhiệm vụ")


class Frequency(LabeledEnum):
    """How often a commitment is expected to show in the diary."""

    DAILY = ("daily", "Hằng ngày")
    WEEKLY = ("weekly", "Hằng tuần")
    MONTHLY = ("monthly", "Hằng tháng")
    ONCE = ("once", "Một lần")


class PlanStatus(LabeledEnum):
    DRAFT = ("draft", "Bản nháp")
    SUBMITTED = ("submitted", "Chờ duyệt")
    APPROVED = ("approved", "Đã duyệt")
    RETURNED = ("returned", "Trả lại để sửa")
    SUPERSEDED = ("superseded", "Phiên bản cũ")


class EntryStatus(LabeledEnum):
    """draft → submitted → reviewed, or → revision (the member edits and submits again)."""

    DRAFT = ("draft", "Bản nháp")
    SUBMITTED = ("submitted", "Đã gửi")
    REVISION = ("revision", "Cần bổ sung, chỉnh sửa")
    REVIEWED = ("reviewed", "Đã xem xét")

    @classmethod
    def in_diary(cls) -> tuple[EntryStatus, ...]:
        """Statuses of entries that count as written in the diary (everything but drafts)."""
        return (cls.SUBMITTED, cls.REVISION, cls.REVIEWED)


class Scoring(LabeledEnum):
    """How a grading framework rates: by choosing a level, or by points per criterion."""

    LEVELS = ("levels", "Xếp loại theo mức")
    POINTS = ("points", "Chấm điểm theo thang 100")


class Tier(enum.IntEnum):
    """The four result tiers every framework maps its levels to, best first (statistics add up by tier)."""

    EXCELLENT = 1
    GOOD = 2
    COMPLETED = 3
    NOT_COMPLETED = 4

    @property
    def label(self) -> str:
        return TIER_LABELS[self]


TIER_LABELS = {
    Tier.EXCELLENT: "Hoàn thành xuất sắc nhiệm vụ",
    Tier.GOOD: "Hoàn thành tốt nhiệm vụ",
    Tier.COMPLETED: "Hoàn thành nhiệm vụ",
    Tier.NOT_COMPLETED: "Không hoàn thành nhiệm vụ",
}


class RoundStatus(LabeledEnum):
    """open → meeting held → submitted → ratified (locked), or → returned (back to the branch).

    A ratified round changes only after a recorded reopening by the unit above.
    """

    OPEN = ("open", "Đang tự đánh giá, đề xuất")
    MEETING_HELD = ("meeting_held", "Đã họp xét")
    SUBMITTED = ("submitted", "Chờ cấp trên công nhận")
    RETURNED = ("returned", "Cấp trên trả lại")
    RATIFIED = ("ratified", "Đã được công nhận")

    @property
    def is_editable(self) -> bool:
        """Whether the branch may still change proposals and meeting results."""
        return self in (RoundStatus.OPEN, RoundStatus.MEETING_HELD, RoundStatus.RETURNED)
