"""The demo's year-end grading: both branches have this year's round open, and most members have
already sent their self-assessment, so `doanvien` and `bithu` walk into a lived-in round."""

from __future__ import annotations

from app.auth.models import User
from app.core.enums import Tier
from app.grading import services
from app.units.models import Unit

SELF_TEXT = {
    "politics": "Tham gia đầy đủ các buổi học tập chuyên đề năm; chấp hành tốt chủ trương của Đảng, pháp luật.",
    "ethics": "Sống giản dị, trung thực; thực hiện các chuẩn mực đã đăng ký, tiết kiệm điện, giấy in.",
    "work_style": "Đi làm đúng giờ, xử lý văn bản đúng hạn, chủ động hỗ trợ đồng nghiệp.",
    "discipline": "Sinh hoạt chi đầy đủ, đóng phí đúng hạn, tham gia các hoạt động tình nguyện.",
    "duties": "Hoàn thành nhiệm vụ chuyên môn được giao, có sáng kiến nhỏ trong số hóa hồ sơ.",
    "shortcomings": "Đôi lúc còn ngại phát biểu trong sinh hoạt; ghi sổ nhật ký chưa đều các tháng cao điểm.",
    "causes": "Khối lượng công việc chuyên môn lớn vào cuối quý.",
    "direction": "Ghi sổ nhật ký hằng tuần; mạnh dạn góp ý xây dựng chi.",
}


def _self_assess(member: User, rating, tier: Tier) -> None:
    framework = rating.round.framework
    points = {}
    if framework.is_points:
        share = {Tier.EXCELLENT: 0.93, Tier.GOOD: 0.82, Tier.COMPLETED: 0.65}.get(tier, 0.82)
        points = {c.id: str(round(float(c.max_points) * share, 1)) for c in framework.criteria}
    level = framework.level_for_tier(tier)
    services.save_self_assessment(
        member, rating, SELF_TEXT, None if framework.is_points else level.id, points, {}, None, submit=True
    )


def seed_demo_grading(accounts: dict[str, User], branch: Unit, cell: Unit) -> None:
    """Open this year's round in the demo Chi đoàn (4 levels) and Chi bộ (100 points)."""
    from app.core.filters import today_local

    year = today_local().year
    keep_for_the_tour = {accounts["doanvien"].id, accounts["bithu"].id}
    for unit, secretary in ((branch, accounts["bithu"]), (cell, accounts["bithuchibo"])):
        grading_round = services.open_round(secretary, unit, year, services.default_framework(unit))
        for index, rating in enumerate(services.ratings_of(grading_round)):
            if rating.user_id in keep_for_the_tour or rating.user_id == secretary.id:
                continue
            if index % 4 == 3:
                continue  # a few have not written theirs yet
            _self_assess(rating.user, rating, Tier.EXCELLENT if index % 5 == 0 else Tier.GOOD)
