"""The grading frameworks shipped with the product, as data.

- The Youth Union's four levels for đoàn viên (Hướng dẫn 33-HD/TWĐTN-BTC and its provincial
  successors): criteria without points; the top level asks, among others, for taking part in at
  least 90% of the branch's activities.
- The Party's 100-point scale of Quy định 366-QĐ/TW (30/8/2025) with Hướng dẫn 43-HD/BTCTW: a
  general group of criteria (30 points) and the results of the member's tasks (70 points);
  ≥ 90 excellent (with 100% of tasks done and at least 30% beyond), 70–<90 good, 50–<70
  completed, < 50 not completed. "Excellent at most 20% of good" ships as a quota warning.

A unit edits its own copy (criteria, points, levels, quota) in the app; these stay as shipped.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from app.core.db import db
from app.core.enums import ContentGroup, OrgType, Scoring, Tier

from .models import Criterion, Framework, FrameworkLevel

YOUTH_CODE = "doan-4-muc"
PARTY_CODE = "dang-qd366"

YOUTH = {
    "code": YOUTH_CODE,
    "name": "Xếp loại đoàn viên theo 4 mức (Hướng dẫn 33-HD/TWĐTN-BTC)",
    "org_type": OrgType.YOUTH_UNION,
    "scoring": Scoring.LEVELS,
    "basis": "Hướng dẫn số 33-HD/TWĐTN-BTC của Ban Bí thư Trung ương Đoàn về đánh giá, xếp loại "
    "đoàn viên hằng năm, cùng hướng dẫn của Đoàn cấp tỉnh.",
    "has_quarterly": False,
    "levels": [
        (
            Tier.EXCELLENT,
            "Hoàn thành xuất sắc nhiệm vụ",
            "Đạt tất cả tiêu chí ở mức tốt; tham gia từ 90% trở lên các hoạt động, sinh hoạt của chi đoàn; "
            "hoàn thành xuất sắc nhiệm vụ học tập, lao động, công tác; có thành tích nổi bật được biểu dương.",
            None,
            None,
            None,
        ),
        (
            Tier.GOOD,
            "Hoàn thành tốt nhiệm vụ",
            "Đạt các tiêu chí; tham gia từ 70% trở lên các hoạt động, sinh hoạt của chi đoàn; hoàn thành tốt "
            "nhiệm vụ được giao.",
            None,
            None,
            None,
        ),
        (
            Tier.COMPLETED,
            "Hoàn thành nhiệm vụ",
            "Cơ bản đạt các tiêu chí; tham gia từ 50% trở lên các hoạt động, sinh hoạt của chi đoàn; hoàn thành "
            "nhiệm vụ được giao.",
            None,
            None,
            None,
        ),
        (
            Tier.NOT_COMPLETED,
            "Không hoàn thành nhiệm vụ",
            "Không đạt các tiêu chí trên, hoặc vi phạm kỷ luật, pháp luật; tham gia dưới 50% hoạt động, "
            "sinh hoạt của chi đoàn.",
            None,
            None,
            None,
        ),
    ],
    "criteria": [
        (
            "Tiêu chí đánh giá đoàn viên",
            ContentGroup.POLITICS,
            "Tư tưởng chính trị: học tập, làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh; chấp hành chủ "
            "trương của Đảng, chính sách, pháp luật của Nhà nước.",
            None,
        ),
        (
            "Tiêu chí đánh giá đoàn viên",
            ContentGroup.ETHICS,
            "Đạo đức, lối sống: trung thực, giản dị, lành mạnh; thực hiện các chuẩn mực đạo đức đã đăng ký.",
            None,
        ),
        (
            "Tiêu chí đánh giá đoàn viên",
            ContentGroup.WORK_STYLE,
            "Tác phong, lề lối làm việc: đúng giờ, trách nhiệm, cầu thị, sáng tạo trong công việc.",
            None,
        ),
        (
            "Tiêu chí đánh giá đoàn viên",
            ContentGroup.DISCIPLINE,
            "Ý thức tổ chức kỷ luật: sinh hoạt chi đoàn, tham gia hoạt động (tỷ lệ tham gia), đóng đoàn phí, "
            "thực hiện điều lệ Đoàn.",
            None,
        ),
        (
            "Tiêu chí đánh giá đoàn viên",
            ContentGroup.DUTIES,
            "Thực hiện nhiệm vụ: kết quả học tập, lao động, công tác chuyên môn và các nội dung làm theo đã "
            "đăng ký trong Sổ nhật ký làm theo lời Bác.",
            None,
        ),
    ],
}

PARTY = {
    "code": PARTY_CODE,
    "name": "Đánh giá, xếp loại đảng viên theo thang điểm 100 (Quy định 366-QĐ/TW)",
    "org_type": OrgType.PARTY,
    "scoring": Scoring.POINTS,
    "basis": "Quy định số 366-QĐ/TW ngày 30/8/2025 của Bộ Chính trị và Hướng dẫn số 43-HD/BTCTW của "
    "Ban Tổ chức Trung ương: nhóm tiêu chí chung 30 điểm, nhóm tiêu chí về kết quả thực hiện nhiệm vụ "
    "70 điểm; đánh giá theo năm và theo quý.",
    "has_quarterly": True,
    "levels": [
        (
            Tier.EXCELLENT,
            "Hoàn thành xuất sắc nhiệm vụ",
            "Tổng điểm từ 90 điểm trở lên; đồng thời hoàn thành 100% nhiệm vụ đúng tiến độ, bảo đảm chất "
            "lượng, hiệu quả, trong đó ít nhất 30% nhiệm vụ hoàn thành vượt mức.",
            90,
            20,
            int(Tier.GOOD),
        ),
        (
            Tier.GOOD,
            "Hoàn thành tốt nhiệm vụ",
            "Tổng điểm từ 70 đến dưới 90 điểm; hoàn thành 100% nhiệm vụ đúng tiến độ, bảo đảm chất lượng, "
            "hiệu quả.",
            70,
            None,
            None,
        ),
        (
            Tier.COMPLETED,
            "Hoàn thành nhiệm vụ",
            "Tổng điểm từ 50 đến dưới 70 điểm; hoàn thành 100% nhiệm vụ, số nhiệm vụ chưa bảo đảm tiến độ "
            "không quá 20%.",
            50,
            None,
            None,
        ),
        (
            Tier.NOT_COMPLETED,
            "Không hoàn thành nhiệm vụ",
            "Tổng điểm dưới 50 điểm, hoặc thuộc các trường hợp không hoàn thành nhiệm vụ theo quy định.",
            0,
            None,
            None,
        ),
    ],
    "criteria": [
        (
            "I. Nhóm tiêu chí chung (30 điểm)",
            ContentGroup.POLITICS,
            "Phẩm chất chính trị, tư tưởng: trung thành với Đảng, chấp hành chủ trương, đường lối, quy định "
            "của Đảng, pháp luật của Nhà nước.",
            Decimal(8),
        ),
        (
            "I. Nhóm tiêu chí chung (30 điểm)",
            ContentGroup.ETHICS,
            "Đạo đức, lối sống, trách nhiệm nêu gương; học tập và làm theo tư tưởng, đạo đức, phong cách "
            "Hồ Chí Minh.",
            Decimal(8),
        ),
        (
            "I. Nhóm tiêu chí chung (30 điểm)",
            ContentGroup.WORK_STYLE,
            "Tác phong, lề lối làm việc; tư duy đổi mới, dám nghĩ, dám làm, khát vọng cống hiến.",
            Decimal(6),
        ),
        (
            "I. Nhóm tiêu chí chung (30 điểm)",
            ContentGroup.DISCIPLINE,
            "Ý thức tổ chức kỷ luật; tự phê bình và phê bình, tự soi, tự sửa, khắc phục hạn chế, khuyết điểm.",
            Decimal(8),
        ),
        (
            "II. Nhóm tiêu chí về kết quả thực hiện nhiệm vụ (70 điểm)",
            ContentGroup.DUTIES,
            "Kết quả thực hiện chức trách, nhiệm vụ chuyên môn được giao: khối lượng, tiến độ, chất lượng, "
            "hiệu quả, sản phẩm cụ thể.",
            Decimal(45),
        ),
        (
            "II. Nhóm tiêu chí về kết quả thực hiện nhiệm vụ (70 điểm)",
            ContentGroup.DUTIES,
            "Thực hiện nhiệm vụ đảng viên: sinh hoạt chi bộ, nhiệm vụ chi bộ phân công, mối liên hệ với nơi "
            "cư trú.",
            Decimal(15),
        ),
        (
            "II. Nhóm tiêu chí về kết quả thực hiện nhiệm vụ (70 điểm)",
            ContentGroup.DUTIES,
            "Thực hiện các nội dung đăng ký làm theo, ghi Sổ nhật ký làm theo lời Bác đều đặn, có kết quả "
            "cụ thể.",
            Decimal(10),
        ),
    ],
}

SHIPPED = [YOUTH, PARTY]


def build(spec: dict, code: str | None = None, unit_id: int | None = None) -> Framework:
    framework = Framework(
        code=code or spec["code"],
        name=spec["name"],
        org_type=spec["org_type"],
        scoring=spec["scoring"],
        basis=spec["basis"],
        has_quarterly=spec["has_quarterly"],
        unit_id=unit_id,
    )
    for tier, name, description, min_score, quota, quota_of in spec["levels"]:
        framework.levels.append(
            FrameworkLevel(
                tier=int(tier),
                name=name,
                description=description,
                min_score=min_score,
                quota_percent=quota,
                quota_of_tier=quota_of,
            )
        )
    for order, (group, content_group, text, points) in enumerate(spec["criteria"]):
        framework.criteria.append(
            Criterion(
                group_name=group, content_group=content_group, text=text, max_points=points, sort_order=order
            )
        )
    return framework


def ensure_shipped() -> dict[str, Framework]:
    """The shipped frameworks, created on first need (the caller commits)."""
    found = {
        f.code: f
        for f in db.session.scalars(select(Framework).where(Framework.code.in_([s["code"] for s in SHIPPED])))
    }
    for spec in SHIPPED:
        if spec["code"] not in found:
            framework = build(spec)
            db.session.add(framework)
            db.session.flush()
            found[spec["code"]] = framework
    return found
