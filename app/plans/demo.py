"""A ready-made approved plan for the demo member (the demo seed and the PDF benchmark use it)."""

from __future__ import annotations

from datetime import date, timedelta

from app.auth.models import User
from app.core.db import db, utcnow
from app.core.enums import ContentGroup, Frequency, PlanStatus
from app.plans.models import Commitment, Plan
from app.standards.models import Standard
from app.units.models import Unit

# ---- demo data -----------------------------------------------------------------------------

_DEMO_SHORTCOMINGS = (
    "- Đôi lúc sắp xếp công việc chưa khoa học, còn để văn bản đến tồn đọng vào cuối tuần.\n"
    "- Kỹ năng ứng dụng công nghệ thông tin, chuyển đổi số trong công tác văn phòng còn hạn chế.\n"
    "- Ít tham gia hoạt động tình nguyện của chi đoàn do chưa chủ động sắp xếp thời gian."
)

# (group, breakthrough, action, measure, frequency, deadline as (month, day))
_DEMO_COMMITMENTS = [
    (
        ContentGroup.WORK_STYLE,
        True,
        "Số hóa toàn bộ văn bản đến – đi của Văn phòng Sở trên hệ thống quản lý văn bản điện tử, "
        "không để văn bản tồn đọng quá 2 ngày làm việc.",
        "100% văn bản được cập nhật đúng hạn; lãnh đạo Văn phòng xác nhận qua báo cáo hằng tháng.",
        Frequency.MONTHLY,
        (11, 30),
    ),
    (
        ContentGroup.DUTIES,
        False,
        "Mỗi tuần tự học 2 giờ kỹ năng số (soạn thảo văn bản, bảng tính, chữ ký số) trên nền tảng "
        "học trực tuyến.",
        "Ghi nhật ký mỗi tuần; hoàn thành ít nhất 2 khóa học có giấy chứng nhận trước 31/10.",
        Frequency.WEEKLY,
        (10, 31),
    ),
    (
        ContentGroup.ETHICS,
        False,
        "Tiết kiệm điện, giấy in tại phòng làm việc: tắt đèn, quạt, máy tính khi ra về; in hai mặt "
        "và dùng văn bản điện tử thay bản giấy khi có thể.",
        "Lượng giấy in của bộ phận giảm ít nhất 20% so với năm trước (theo sổ cấp phát văn phòng phẩm).",
        Frequency.DAILY,
        (12, 31),
    ),
    (
        ContentGroup.ETHICS,
        False,
        "Tham gia hiến máu tình nguyện ít nhất 1 lần trong năm và vận động thêm 2 đoàn viên cùng tham gia.",
        "Có giấy chứng nhận hiến máu và danh sách người đã vận động.",
        Frequency.ONCE,
        (9, 30),
    ),
    (
        ContentGroup.POLITICS,
        False,
        "Mỗi tháng đọc một câu chuyện về tấm gương đạo đức Hồ Chí Minh và chia sẻ trong buổi sinh "
        "hoạt chi đoàn.",
        "Nội dung chia sẻ được ghi trong biên bản sinh hoạt chi đoàn hằng tháng.",
        Frequency.MONTHLY,
        (12, 31),
    ),
    (
        ContentGroup.DISCIPLINE,
        False,
        "Đi làm đúng giờ, dự đầy đủ sinh hoạt chi đoàn; báo cáo trước khi vắng có lý do.",
        "Không đi trễ quá 2 lần trong năm; dự ít nhất 90% buổi sinh hoạt chi đoàn.",
        Frequency.MONTHLY,
        (12, 31),
    ),
]


def seed_demo_plan(owner: User, unit: Unit, year: int, approver: User, standards: list[Standard]) -> Plan:
    """An approved plan for the demo member (no permission checks: for the demo seed only)."""
    by_group: dict[ContentGroup, list[Standard]] = {}
    for s in standards:
        by_group.setdefault(s.group, []).append(s)
    now = utcnow()
    plan = Plan(
        user=owner,
        unit=unit,
        year=year,
        version=1,
        status=PlanStatus.APPROVED,
        shortcomings=_DEMO_SHORTCOMINGS,
        created_by=owner,
        created_at=now - timedelta(days=3),
        submitted_at=now - timedelta(days=2),
        decided_at=now - timedelta(days=1),
        decided_by=approver,
    )
    for order, (group, breakthrough, action, measure, frequency, (month, day)) in enumerate(
        _DEMO_COMMITMENTS
    ):
        candidates = by_group.get(group) or standards
        standard = candidates[order % len(candidates)] if candidates else None
        plan.commitments.append(
            Commitment(
                standard=standard,
                is_breakthrough=breakthrough,
                action=action,
                measure=measure,
                frequency=frequency,
                deadline=date(year, month, day),
                sort_order=order,
            )
        )
    db.session.add(plan)
    db.session.flush()
    for c in plan.commitments:
        c.lineage_id = c.id
    db.session.flush()
    return plan
