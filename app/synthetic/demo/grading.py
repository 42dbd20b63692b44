"""The demo's year-end grading: both branches have this year's round open, and most members have
already sent their self-assessment, so `doanvien` and `bithu` walk into a lived-in round."""

from __future__ import annotations

from datetime import time

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
    from datetime import date, timedelta

    from app.core.clock import today_local, utcnow
    from app.synthetic.demo.diary import _local

    today = today_local()
    year = today.year
    keep_for_the_tour = {accounts["doanvien"].id, accounts["bithu"].id}
    # Opened ten days ago (the year's first days: on 1 January), never after now.
    opened = min(_local(max(today - timedelta(days=10), date(year, 1, 1)), 8), utcnow())
    for unit, secretary in ((branch, accounts["bithu"]), (cell, accounts["bithuchibo"])):
        grading_round = services.open_round(secretary, unit, year, services.default_framework(unit))
        grading_round.opened_at = opened
        for index, rating in enumerate(services.ratings_of(grading_round)):
            if rating.user_id in keep_for_the_tour or rating.user_id == secretary.id:
                continue
            if index % 4 == 3:
                continue  # a few have not written theirs yet
            _self_assess(rating.user, rating, Tier.EXCELLENT if index % 5 == 0 else Tier.GOOD)
            # Written over the days since the round opened (not all at the moment of seeding).
            written = max(_local(today - timedelta(days=index % 9), 20), opened)
            rating.self_assessment.submitted_at = min(written, utcnow())
            rating.self_assessment.updated_at = rating.self_assessment.submitted_at


def _go_ahead(grading_round, step: str):
    """What a branch confirms when it goes ahead with something missing (early in January, the year's
    diaries are still nearly empty): the readiness panel then shows the reason."""
    ready = services.readiness(grading_round, step)
    if not ready.missing:
        return None
    return services.GoAhead("Chi đoàn đã thống nhất; hồ sơ còn thiếu bổ sung sau.", ready.token)


def seed_ratified_round(accounts: dict[str, User], unit: Unit) -> None:
    """This year's round of the hospital's Chi đoàn, done: self-assessments, proposals, the meeting
    a few days ago, sent up and ratified by `canbo` — the officer sees a finished round beside the
    open ones, and the statistics and the minutes have something true to show."""
    from datetime import timedelta

    from app.core.clock import today_local, utcnow
    from app.synthetic.demo.diary import _local

    today = today_local()
    year = today.year
    secretary = next(m.user for m in unit.memberships if m.role.value == "secretary")
    deputy = next((m.user for m in unit.memberships if m.role.value == "deputy_secretary"), secretary)
    officer = accounts["canbo"]
    framework = services.default_framework(unit)
    grading_round = services.open_round(secretary, unit, year, framework)
    ratings = services.ratings_of(grading_round)
    tiers = {}
    for index, rating in enumerate(ratings):
        tier = Tier.EXCELLENT if index % 8 == 2 else Tier.COMPLETED if index % 9 == 5 else Tier.GOOD
        tiers[rating.id] = tier
        _self_assess(rating.user, rating, Tier.EXCELLENT if index % 6 == 2 else tier)
        actor = secretary if services.can_propose(secretary, rating) else officer
        services.save_proposal(
            actor,
            rating,
            framework.level_for_tier(tier).id,
            "Ghi sổ nhật ký đều, việc làm cụ thể, bám sát kế hoạch đã đăng ký.",
            {},
            {},
            {},
            None,
        )
    excused = ratings[-1].id if len(ratings) > 3 else None
    present = len(ratings) - (1 if excused else 0)
    lines = [
        services.MeetingLine(
            rating_id=rating.id,
            present=rating.id != excused,
            absence_reason="Trực khoa" if rating.id == excused else "",
            votes_agree=present - (1 if index % 5 == 1 else 0),
            votes_total=present,
            level_id=framework.level_for_tier(tiers[rating.id]).id,
            score=None,
        )
        for index, rating in enumerate(ratings)
    ]
    meeting_day = max(today - timedelta(days=6), today.replace(month=1, day=1))
    services.record_meeting(
        secretary,
        grading_round,
        meeting_day,
        "Hội trường Bệnh viện Đa khoa tỉnh",
        secretary.full_name,
        deputy.full_name,
        "Chi đoàn thống nhất kết quả xếp loại theo đề xuất của Ban Chấp hành.",
        lines,
        "",
        None,
        minutes_number="01-BB/CĐ",
        start=time(14, 0),
        end=time(16, 30),
        go_ahead=_go_ahead(grading_round, "meeting"),
    )
    services.submit_round(secretary, grading_round, _go_ahead(grading_round, "submit"))
    services.ratify_round(officer, grading_round, go_ahead=_go_ahead(grading_round, "ratify"))
    # The round as it went: opened about three weeks before the meeting, self-assessments and
    # proposals in between (the services stamped them all "now").
    now = utcnow()
    opened = max(meeting_day - timedelta(days=21), today.replace(month=1, day=1))
    grading_round.opened_at = min(_local(opened, 9), now)
    for index, rating in enumerate(ratings):
        written = opened + (meeting_day - opened) * (index % 7 + 1) / 9
        if rating.self_assessment is not None:
            rating.self_assessment.submitted_at = min(_local(written, 20), now)
            rating.self_assessment.updated_at = rating.self_assessment.submitted_at
        rating.proposed_at = min(_local(meeting_day - timedelta(days=2), 15), now)
    grading_round.meeting_recorded_at = min(_local(meeting_day, 17), now)
    grading_round.submitted_at = min(_local(meeting_day + timedelta(days=1), 9), now)
    grading_round.ratified_at = min(_local(meeting_day + timedelta(days=3), 10), now)
