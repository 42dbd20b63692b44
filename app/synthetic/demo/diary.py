"""The demo diary: standards, plans and a year of entries, so a newcomer sees a lived-in book."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import flag_modified

from app.auth.models import User
from app.core.clock import LOCAL_TZ, today_local, utcnow
from app.core.db import db
from app.core.enums import EntryStatus, PlanStatus
from app.core.text import fold
from app.journal.models import Entry
from app.plans.models import Plan
from app.units.models import Unit

# What the demo member writes, by the commitment of the demo plan it serves (same order as
# app.plans.demo._DEMO_COMMITMENTS): (place, action, result, lesson).
TEXTS: dict[int, list[tuple[str, str, str, str]]] = {
    0: [
        (
            "Văn phòng Sở",
            "Cập nhật và số hóa 46 văn bản đến trong tháng lên hệ thống quản lý văn bản điện tử, "
            "gắn đúng hồ sơ công việc.",
            "Không còn văn bản tồn quá 2 ngày làm việc; lãnh đạo Văn phòng đã xác nhận.",
            "Xử lý văn bản ngay trong ngày thì cuối tháng không bị dồn việc.",
        ),
        (
            "Văn phòng Sở",
            "Rà soát kho văn bản đi quý trước, bổ sung 12 văn bản còn thiếu bản điện tử.",
            "Hồ sơ quý đủ 100% bản điện tử.",
            "Nên kiểm tra định kỳ thay vì đợi cuối năm.",
        ),
        (
            "Phòng lưu trữ",
            "Hướng dẫn 2 đồng nghiệp mới cách phân loại, số hóa văn bản đến theo quy trình.",
            "Hai đồng nghiệp tự làm được từ tuần sau.",
            "Làm mẫu một lần rồi để người mới tự làm hiệu quả hơn giảng giải.",
        ),
    ],
    1: [
        (
            "Tại nhà",
            "Học xong bài “Sử dụng chữ ký số trên văn bản điện tử” (2 giờ) trên nền tảng học trực tuyến.",
            "Đã ký số thử thành công 3 văn bản nội bộ.",
            "",
        ),
        (
            "Tại nhà",
            "Thực hành hàm VLOOKUP và bảng tổng hợp (PivotTable) trên bảng tính theo dõi công văn.",
            "Rút thời gian lập báo cáo tuần từ 1 giờ xuống 20 phút.",
            "Tự động hóa việc lặp lại giúp dành thời gian cho việc khác.",
        ),
        (
            "Văn phòng Sở",
            "Học 2 giờ khóa “Kỹ năng số cho cán bộ, công chức”, chương an toàn thông tin.",
            "Đổi toàn bộ mật khẩu yếu, bật xác thực hai lớp cho email công vụ.",
            "",
        ),
        (
            "Tại nhà",
            "Học cách soạn văn bản đúng thể thức theo Nghị định 30/2020/NĐ-CP trên phần mềm soạn thảo.",
            "Lập được mẫu văn bản chuẩn cho cả phòng dùng chung.",
            "Nắm chắc thể thức thì ít phải sửa đi sửa lại.",
        ),
        (
            "Tại nhà",
            "Hoàn thành bài kiểm tra cuối khóa “Kỹ năng số cơ bản”, đạt 92/100 điểm.",
            "Nhận giấy chứng nhận hoàn thành khóa học.",
            "",
        ),
        (
            "Tại nhà",
            "Học 2 giờ về sử dụng dịch vụ công trực tuyến để hướng dẫn người dân nộp hồ sơ.",
            "Hướng dẫn được 1 phụ huynh nộp hồ sơ xin cấp bản sao văn bằng trực tuyến.",
            "",
        ),
    ],
    2: [
        (
            "Văn phòng Sở",
            "Tắt đèn, điều hòa, máy tính của phòng khi ra về; nhắc các bạn trong phòng cùng làm.",
            "Cả tuần không còn thiết bị để qua đêm.",
            "Dán nhắc nhở nhỏ ở cửa phòng rất hiệu quả.",
        ),
        (
            "Văn phòng Sở",
            "In hai mặt và dùng văn bản điện tử thay bản giấy cho tài liệu họp giao ban.",
            "Tiết kiệm khoảng 300 tờ giấy trong tháng.",
            "",
        ),
        (
            "Văn phòng Sở",
            "Đề xuất và cùng Văn phòng đặt khay giấy tái sử dụng cho bản nháp.",
            "Giấy nháp được dùng lại, lượng giấy cấp phát tháng này giảm 15%.",
            "Tiết kiệm cần sự đồng lòng của cả phòng.",
        ),
    ],
    3: [
        (
            "Hội trường Sở Giáo dục và Đào tạo",
            "Tham gia hiến máu tình nguyện đợt “Giọt hồng tri ân”; vận động "
            "thêm 2 đoàn viên trong chi đoàn cùng tham gia.",
            "Hiến 350 ml máu; 2 bạn được vận động đã hiến thành công.",
            "Chuẩn bị sức khỏe tốt từ tối hôm trước.",
        ),
    ],
    4: [
        (
            "Phòng họp chi đoàn",
            "Đọc và chia sẻ câu chuyện “Chiếc đồng hồ” về tấm gương Bác Hồ trong buổi sinh hoạt chi đoàn.",
            "Chi đoàn thống nhất phân công rõ việc, ai cũng quan trọng như nhau.",
            "Mỗi vị trí đều cần làm tròn phần việc của mình.",
        ),
        (
            "Phòng họp chi đoàn",
            "Chia sẻ câu chuyện “Bác Hồ với đức tính tiết kiệm” và liên hệ việc tiết kiệm giấy in ở cơ quan.",
            "Các bạn đề xuất thêm việc dùng chung máy in tầng.",
            "",
        ),
        (
            "Phòng họp chi đoàn",
            "Đọc câu chuyện “Ba lần Bác đến thăm” và chia sẻ về tác phong gần dân.",
            "Chi đoàn đăng ký thêm một buổi hướng dẫn dịch vụ công cho phụ huynh.",
            "",
        ),
        (
            "Phòng họp chi đoàn",
            "Chia sẻ câu chuyện “Bác Hồ và những bài học về đạo đức, lối sống” phần tự phê bình.",
            "Tự nhận và sửa khuyết điểm ngại phát biểu: đã phát biểu 2 ý kiến trong buổi sinh hoạt.",
            "",
        ),
    ],
    5: [
        (
            "Văn phòng Sở",
            "Đi làm đúng giờ cả tháng, dự đầy đủ buổi sinh hoạt chi đoàn định kỳ.",
            "Không đi trễ buổi nào.",
            "",
        ),
        (
            "Văn phòng Sở",
            "Báo cáo trước với bí thư chi đoàn khi vắng buổi sinh hoạt vì đi công tác huyện.",
            "Nhận lại nội dung buổi sinh hoạt và hoàn thành phần việc được giao.",
            "Báo cáo sớm để chi đoàn chủ động phân công.",
        ),
    ],
}


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ).astimezone(UTC)


def _entry(
    owner: User,
    unit: Unit,
    day: date,
    text: tuple[str, str, str, str],
    commitments,
    rng: random.Random,
    status=EntryStatus.SUBMITTED,
) -> Entry:
    place, action, result, lesson = text
    # Most entries are written the same evening; some a day or two later (shown as back-dated).
    written = _local(
        day + timedelta(days=rng.choice([0, 0, 0, 0, 1, 2])), rng.randint(19, 22), rng.randint(0, 59)
    )
    written = min(written, utcnow())  # never written in the future
    entry = Entry(
        user_id=owner.id,
        unit_id=unit.id,
        deed_date=day,
        place=place,
        action=action,
        result=result,
        lesson=lesson,
        status=status,
        created_at=written,
        updated_at=written,
        submitted_at=written if status is EntryStatus.SUBMITTED else None,
        commitments=list(commitments),
    )
    entry.search_text = fold(" ".join([place, action, result, lesson]))
    db.session.add(entry)
    return entry


def seed_member_year(
    owner: User, unit: Unit, plan: Plan, today: date, rng: random.Random, density: float = 1.0
) -> int:
    """A year of entries against the demo plan's commitments up to `today`; returns how many."""
    commitments = plan.commitments
    year = plan.year
    start = date(year, 1, 15)
    count = 0
    used: dict[int, int] = {}

    def text_for(index: int):
        options = TEXTS[index]
        used[index] = used.get(index, -1) + 1
        return options[used[index] % len(options)]

    day = start
    while day <= today:
        week_end = min(day + timedelta(days=6), today)
        # Weekly self-study, most weeks (a missed week now and then shows in the coverage grid).
        if rng.random() < 0.8 * density:
            deed = day + timedelta(days=rng.randint(0, (week_end - day).days))
            _entry(owner, unit, deed, text_for(1), [commitments[1]], rng)
            count += 1
        # Saving electricity and paper: now and then, fewer than the daily rhythm asks for.
        if rng.random() < 0.35 * density:
            deed = day + timedelta(days=rng.randint(0, (week_end - day).days))
            _entry(owner, unit, deed, text_for(2), [commitments[2]], rng)
            count += 1
        day += timedelta(days=7)
    for month in range(1, today.month + 1):
        last_day = min(date(year, month, 28), today)
        if last_day < start:
            continue
        if rng.random() < 0.9 * density:  # the breakthrough item, monthly
            _entry(
                owner, unit, last_day - timedelta(days=rng.randint(0, 3)), text_for(0), [commitments[0]], rng
            )
            count += 1
        if rng.random() < 0.75 * density:  # a story about Bác at the branch meeting
            meeting = date(year, month, min(10, last_day.day))
            _entry(owner, unit, meeting, text_for(4), [commitments[4], commitments[5]], rng)
            count += 1
        if month % 3 == 0 and rng.random() < density:
            _entry(owner, unit, date(year, month, min(20, last_day.day)), text_for(5), [commitments[5]], rng)
            count += 1
    if today >= date(year, 6, 14):
        _entry(owner, unit, date(year, 6, 14), text_for(3), [commitments[3]], rng)
        count += 1
    return count


def seed_demo_diaries(accounts: dict[str, User], branch: Unit, root: Unit, today: date | None = None) -> None:
    """Standards for the year, the demo member's approved plan with months of entries, the
    secretary's own plan (approved by the officer above). Everybody else: app.synthetic.demo.year."""
    from app.plans.services import seed_demo_plan
    from app.standards.services import applicable_standards, seed_demo_standards

    today = today or today_local()
    year = today.year
    rng = random.Random(508)
    seed_demo_standards(root, branch, year)
    standards = applicable_standards(branch, year)

    def plan_for(owner: User, approver: User, created: date) -> Plan:
        """An approved plan, registered on `created` and approved a few days later (never after now)."""
        plan = seed_demo_plan(owner, branch, year, approver, standards)
        now = utcnow()
        plan.created_at = min(_local(created, 9), now - timedelta(hours=3))
        plan.updated_at = plan.created_at
        plan.status = PlanStatus.APPROVED
        plan.submitted_at = min(_local(created + timedelta(days=2), 10), now - timedelta(hours=2))
        plan.decided_at = min(_local(created + timedelta(days=4), 15), now - timedelta(hours=1))
        return plan

    # Registered in the first days of the year (early in January: just now).
    start = date(year, 1, 8) if today >= date(year, 1, 20) else today - timedelta(days=5)
    member_plan = plan_for(accounts["doanvien"], accounts["bithu"], start)
    seed_member_year(accounts["doanvien"], branch, member_plan, today, rng)
    # One draft being written this week.
    _entry(
        accounts["doanvien"],
        branch,
        today,
        (
            "Văn phòng Sở",
            "Hướng dẫn chị Lan ở bộ phận một cửa cách tra cứu hồ sơ trực tuyến (đang viết tiếp…)",
            "",
            "",
        ),
        [member_plan.commitments[1]],
        rng,
        status=EntryStatus.DRAFT,
    )

    secretary_plan = plan_for(accounts["bithu"], accounts["canbo"], start)
    seed_member_year(accounts["bithu"], branch, secretary_plan, today, rng, density=0.6)

    db.session.flush()
    seed_demo_reviews(accounts, branch, member_plan, today)


# ---- the secretary's months: what a few months of regular review leave behind ---------------------

MONTH_COMMENTS = [
    "Ghi nhật ký đều đặn, nội dung bám sát kế hoạch; việc số hóa văn bản có kết quả đo được. "
    "Tháng tới cần ghi thêm minh chứng cho các buổi tự học.",
    "Thực hiện tốt việc tiết kiệm điện, giấy in và nhắc được cả phòng cùng làm. Nên ghi cụ thể hơn "
    "kết quả sau mỗi buổi sinh hoạt chi đoàn.",
    "Tích cực, có nhiều việc làm cụ thể; đã khắc phục được hạn chế ngại phát biểu. Tiếp tục phát huy.",
]
ENTRY_COMMENTS = [
    "Việc làm cụ thể, có số liệu rõ ràng. Tiếp tục phát huy!",
    "Nên ghi rõ đã hướng dẫn cho ai, sau đó họ tự làm được đến đâu.",
    "Bài học rút ra rất thiết thực, chi đoàn sẽ chia sẻ trong buổi sinh hoạt tới.",
]


class _Backdate:
    """Give what the review services write (comments, snapshots, audit rows, notifications) the
    time it would have happened, instead of the moment the demo is seeded."""

    def __init__(self) -> None:
        from app.audit.models import AuditLog
        from app.notifications.models import Notification
        from app.review.models import EntryComment, EntrySnapshot

        self.columns = [
            (AuditLog, "created_at"),
            (Notification, "created_at"),
            (EntryComment, "created_at"),
            (EntrySnapshot, "taken_at"),
        ]
        self.marks = {model: self._max(model) for model, _ in self.columns}

    @staticmethod
    def _max(model) -> int:
        return db.session.scalar(select(func.max(model.id))) or 0

    def stamp(self, when: datetime, *, read: bool = True) -> None:
        """Everything written since the last stamp happened at `when` (notifications read if `read`)."""
        from app.notifications.models import Notification

        db.session.flush()
        for model, column in self.columns:
            values = {column: when}
            if model is Notification and read:
                values["read_at"] = when
            db.session.execute(update(model).where(model.id > self.marks[model]).values(values))
            self.marks[model] = self._max(model)


def _months(first: date, last: date) -> list[tuple[int, int]]:
    months, (y, m) = [], (first.year, first.month)
    while (y, m) <= (last.year, last.month):
        months.append((y, m))
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return months


def _review_history(
    member: User,
    reviewer: User,
    branch: Unit,
    months,
    clock: _Backdate,
    rng: random.Random,
    *,
    comments: bool,
    before_sign=None,
) -> list[Entry]:
    """Months reviewed and signed off in their time: a few comments, a month comment, the sign-off.

    `before_sign(entries)` does the month's other reviewing (a commendation, a reply) before the
    sign-off: a signed month takes nothing more (app.core.locks)."""
    from app.journal.services import month_entries
    from app.review import services as review

    signed: list[Entry] = []
    for index, (year, month) in enumerate(months):
        entries = sorted(month_entries(member, branch, year, month), key=lambda e: (e.deed_date, e.id))
        if not entries:
            continue
        after = date(year, month, 1) + timedelta(days=35)  # the branch meeting early next month
        meeting = _local(after.replace(day=min(5, after.day)), 20)
        if comments:
            for entry in rng.sample(entries, min(2, len(entries))):
                review.comment_entry(
                    reviewer, entry, ENTRY_COMMENTS[(index + entry.id) % len(ENTRY_COMMENTS)]
                )
        review.write_month_comment(
            reviewer, member, branch, year, month, MONTH_COMMENTS[index % len(MONTH_COMMENTS)], None
        )
        if before_sign is not None:
            before_sign(entries, meeting)
        month_review = review.sign_off_month(reviewer, member, branch, year, month)
        month_review.comment_at = month_review.signed_at = meeting
        for entry in entries:
            entry.reviewed_at = meeting
            flag_modified(entry, "updated_at")  # a review is not an edit: keep "sửa lần cuối"
        clock.stamp(meeting)
        signed.extend(entries)
    return signed


def seed_demo_reviews(accounts: dict[str, User], branch: Unit, member_plan: Plan, today: date) -> None:
    """The member's months reviewed and signed up to two months ago, with comments, a reply and one
    deed in the sổ vàng; last month half reviewed, with one revision request outstanding; this
    month waiting for review. The secretary's own months signed by the officer above."""
    rng = random.Random(2011)
    member, secretary, officer = accounts["doanvien"], accounts["bithu"], accounts["canbo"]
    clock = _Backdate()
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    first = date(member_plan.year, 1, 1)
    history = _months(first, last_month - timedelta(days=1)) if last_month > first else []

    before_sign = _highlights(member, secretary, branch, member_plan, history)
    _review_history(member, secretary, branch, history, clock, rng, comments=True, before_sign=before_sign)
    when = _review_in_part(member, secretary, branch, last_month, today)
    clock.stamp(when, read=False)  # the member has not read these yet

    # The secretary's own diary, reviewed one level up.
    secretary_plan = db.session.scalar(
        select(Plan).where(
            Plan.user_id == secretary.id, Plan.unit_id == branch.id, Plan.year == member_plan.year
        )
    )
    if secretary_plan is not None:
        _review_history(secretary, officer, branch, history, clock, rng, comments=False)
    db.session.flush()


def _highlights(member: User, secretary: User, branch: Unit, member_plan: Plan, history):
    """One deed commended (the blood donation, else the latest breakthrough entry) and the member's
    reply to one comment: chosen first, done in their month before it is signed (the returned
    `before_sign` of _review_history)."""
    from app.journal.services import month_entries
    from app.review import services as review

    reviewed = [
        e
        for year, month in history
        for e in sorted(month_entries(member, branch, year, month), key=lambda e: (e.deed_date, e.id))
    ]
    lineages = {c.lineage_id or c.id: i for i, c in enumerate(member_plan.commitments)}

    def serves(entry: Entry, index: int) -> bool:
        return any(lineages.get(c.lineage_id or c.id) == index for c in entry.commitments)

    best = (
        next((e for e in reversed(reviewed) if serves(e, 3)), None)
        or next((e for e in reversed(reviewed) if serves(e, 0)), None)
        or (reviewed[-1] if reviewed else None)
    )
    commented = next((e for e in reversed(reviewed) if best is None or e.id != best.id), None)

    def before_sign(entries: list[Entry], meeting: datetime) -> None:
        if best in entries:
            review.flag_exemplary(
                secretary,
                best,
                "Việc làm đột phá, có kết quả cụ thể và lan tỏa trong chi đoàn. Đề nghị biểu dương.",
            )
            best.exemplary_at = meeting
            flag_modified(best, "updated_at")
        if commented in entries:
            review.comment_entry(member, commented, "Dạ, em cảm ơn anh. Các bài sau em sẽ ghi cụ thể hơn ạ.")

    return before_sign


def _review_in_part(member: User, secretary: User, branch: Unit, last_month: date, today: date) -> datetime:
    """Last month (or this one, early in the year): reviewed in part, one entry sent back with a
    comment. Returns when the secretary did it."""
    from app.journal.services import month_entries
    from app.review import services as review

    def waiting(year: int, month: int) -> list[Entry]:
        return [e for e in month_entries(member, branch, year, month) if e.status is EntryStatus.SUBMITTED]

    open_entries = sorted(
        waiting(last_month.year, last_month.month) or waiting(today.year, today.month),
        key=lambda e: (e.deed_date, e.id),
    )
    when = _local(max(today - timedelta(days=2), open_entries[0].deed_date if open_entries else today), 21)
    when = min(when, utcnow())
    if not open_entries:
        return when
    target = open_entries[min(2, len(open_entries) - 1)]
    for entry in open_entries[:2]:
        if entry is not target:
            review.mark_reviewed(secretary, entry)
            entry.reviewed_at = when
            flag_modified(entry, "updated_at")
    review.comment_entry(secretary, target, ENTRY_COMMENTS[1])
    review.request_revision(
        secretary,
        target,
        "Bài chưa ghi rõ học khóa nào, trong bao lâu. Em bổ sung tên khóa học, số giờ học và kết quả "
        "(nếu có bài kiểm tra), kèm ảnh chụp màn hình làm minh chứng.",
    )
    target.revision_requested_at = when
    flag_modified(target, "updated_at")
    return when
