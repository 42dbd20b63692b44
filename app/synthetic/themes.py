"""The diary's words for the synthetic organisation: what each kind of commitment reads like.

For each kind of commitment (a Theme: its content group, the action and measure a plan registers,
how often) a generator of diary entries (place, what was done, the result, the lesson) with the
numbers, stories and courses varied, so a year of entries reads like a real diary rather than one
sentence repeated. Data for app.synthetic's plans and diary steps.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from app.core.enums import ContentGroup, Frequency
from app.synthetic.texts import PROVINCE

# ---- commitments and what members write about them -------------------------------------------

STORIES = [
    "Chiếc đồng hồ",
    "Đôi dép Bác Hồ",
    "Bác Hồ với đức tính tiết kiệm",
    "Ba lần Bác đến thăm",
    "Chiếc áo ấm",
    "Thì giờ quý báu",
    "Bữa cơm của Bác",
    "Cây vú sữa miền Nam",
    "Bác Hồ ở Pác Bó",
    "Tinh thần tự học của Bác",
    "Bác Hồ với thương binh, liệt sĩ",
    "Bác dạy cách làm việc tập thể",
    "Lời Bác dặn trước lúc đi xa",
    "Bác Hồ với thanh niên",
    "Ai có súng dùng súng",
    "Bác Hồ và chữ “Tâm”",
    "Chuyện cái giường của Bác",
    "Bác Hồ trồng cây",
]
COURSES = [
    "Kỹ năng số cơ bản",
    "Sử dụng chữ ký số trên văn bản điện tử",
    "An toàn thông tin cho cán bộ, công chức",
    "Soạn thảo văn bản theo Nghị định 30/2020/NĐ-CP",
    "Bảng tính nâng cao",
    "Khai thác Cổng dịch vụ công",
    "Kỹ năng thuyết trình",
    "Quản lý thời gian hiệu quả",
    "Tiếng Anh giao tiếp công sở",
    "Chuyển đổi số trong cơ quan nhà nước",
    "Phân tích dữ liệu với bảng tổng hợp",
]
RESOLUTIONS = [
    "Nghị quyết Đại hội Đoàn các cấp",
    "Chỉ thị 05-CT/TW về học tập và làm theo Bác",
    "Kết luận 01-KL/TW",
    "Nghị quyết 57-NQ/TW về khoa học, công nghệ và chuyển đổi số",
    "Quy định 144-QĐ/TW về chuẩn mực đạo đức cách mạng",
    "Luật Thanh niên năm 2020",
    "Điều lệ Đoàn TNCS Hồ Chí Minh",
    "chuyên đề năm về học tập và làm theo Bác",
]
VOLUNTEER = [
    ("Chủ nhật xanh", "dọn vệ sinh, thu gom rác thải nhựa dọc kênh {place}"),
    ("Tiếp sức mùa thi", "hướng dẫn thí sinh và phụ huynh tại điểm thi {place}"),
    ("Xuân tình nguyện", "trao quà Tết cho hộ nghèo tại {place}"),
    ("Hiến máu tình nguyện", "hiến máu tại điểm hiến máu {place}"),
    ("Mùa hè xanh", "sửa chữa nhà nhân ái cùng Đoàn xã tại {place}"),
    ("Thắp nến tri ân", "dọn dẹp, thắp nến tại Nghĩa trang liệt sĩ {place}"),
]
PLACES_OUT = [
    "phường 2",
    "phường 5",
    "phường 7",
    "xã Đại Hải",
    "xã Phú Tâm",
    "xã An Hiệp",
    "thị xã Vĩnh Châu",
    "huyện Mỹ Xuyên",
    "huyện Trần Đề",
    "huyện Kế Sách",
    "thị xã Ngã Năm",
    "huyện Long Phú",
]
COLLEAGUES = [
    "2 đồng nghiệp mới",
    "các bạn trong phòng",
    "1 đồng nghiệp mới chuyển công tác đến",
    "3 đoàn viên của chi đoàn",
    "tổ văn thư",
    "các bạn trẻ trong phòng",
]
WORK_TASKS = [
    "báo cáo tháng của phòng",
    "hồ sơ thẩm định dự án",
    "kế hoạch công tác quý",
    "báo cáo quyết toán",
    "bộ hồ sơ thủ tục hành chính",
    "tờ trình gửi lãnh đạo Sở",
    "số liệu thống kê gửi Bộ",
    "biên bản kiểm tra",
    "đề cương tuyên truyền",
    "hồ sơ thi đua – khen thưởng",
]


@dataclass(frozen=True)
class EntryText:
    place: str
    action: str
    result: str
    lesson: str


@dataclass(frozen=True)
class Theme:
    """A kind of commitment (việc làm theo) and how entries about it read."""

    key: str
    group: ContentGroup
    action: str
    measure: str
    frequency: Frequency
    deadline: tuple[int, int] | None
    write: Callable[[random.Random], EntryText]
    weight: float = 1.0  # how much of the diary it takes


def _n(rng: random.Random, lo: int, hi: int) -> int:
    return rng.randint(lo, hi)


def _office(rng: random.Random) -> str:
    return rng.choice(["Văn phòng Sở", "Phòng làm việc", "Cơ quan", "Trụ sở cơ quan", "Phòng một cửa"])


def _digital(rng):
    n = _n(rng, 8, 60)
    return EntryText(
        _office(rng),
        rng.choice(
            [
                f"Cập nhật và số hóa {n} văn bản đến lên hệ thống quản lý văn bản điện tử, gắn đúng hồ sơ công việc.",
                f"Rà soát kho văn bản đi, bổ sung {n} văn bản còn thiếu bản điện tử.",
                f"Xử lý {n} văn bản trên phần mềm quản lý văn bản trong ngày, không để tồn đọng.",
                f"Chuyển {n} hồ sơ giấy của năm trước sang lưu trữ điện tử theo danh mục.",
            ]
        ),
        rng.choice(
            [
                f"Không còn văn bản tồn quá {_n(rng, 1, 2)} ngày làm việc.",
                "Hồ sơ đủ bản điện tử, tra cứu nhanh hơn.",
                "Lãnh đạo phòng đã xác nhận trên hệ thống.",
                "",
            ]
        ),
        rng.choice(
            [
                "Xử lý ngay trong ngày thì cuối tháng không bị dồn việc.",
                "Nên kiểm tra định kỳ thay vì đợi cuối năm.",
                "",
                "",
            ]
        ),
    )


def _selfstudy(rng):
    h = _n(rng, 1, 3)
    course = rng.choice(COURSES)
    return EntryText(
        rng.choice(["Tại nhà", "Tại nhà", "Văn phòng Sở", "Thư viện tỉnh"]),
        rng.choice(
            [
                f"Học {h} giờ khóa “{course}” trên nền tảng học trực tuyến.",
                f"Hoàn thành bài {_n(rng, 2, 9)} của khóa “{course}”, làm bài kiểm tra cuối bài.",
                f"Thực hành nội dung khóa “{course}” vào công việc hằng ngày trong {h} giờ.",
            ]
        ),
        rng.choice(
            [
                f"Đạt {_n(rng, 70, 100)}/100 điểm bài kiểm tra.",
                "Áp dụng được ngay vào việc lập báo cáo tuần.",
                f"Rút thời gian làm báo cáo từ {_n(rng, 50, 90)} phút xuống {_n(rng, 15, 40)} phút.",
                "Đã ghi chép lại các bước để chia sẻ với đồng nghiệp.",
            ]
        ),
        rng.choice(["Tự học đều mỗi tuần hiệu quả hơn học dồn.", "Học đi đôi với hành.", "", ""]),
    )


def _saving(rng):
    return EntryText(
        _office(rng),
        rng.choice(
            [
                "Tắt đèn, điều hòa, máy tính của phòng khi ra về; nhắc các bạn trong phòng cùng làm.",
                "In hai mặt và dùng văn bản điện tử thay bản giấy cho tài liệu họp giao ban.",
                f"Dùng lại giấy một mặt làm giấy nháp, tiết kiệm khoảng {_n(rng, 20, 120)} tờ giấy.",
                "Tắt bình nóng lạnh và điều hòa phòng họp sau buổi họp chiều.",
                "Mang bình nước cá nhân, không dùng chai nhựa dùng một lần tại cơ quan.",
            ]
        ),
        rng.choice(
            [
                "Cả ngày không còn thiết bị nào để quên.",
                "Phòng tiết kiệm được giấy in.",
                f"Lượng điện tiêu thụ của phòng tháng này giảm khoảng {_n(rng, 3, 12)}%.",
                "",
            ]
        ),
        rng.choice(
            ["Việc nhỏ nhưng làm đều sẽ thành thói quen.", "Dán nhắc nhở ở cửa phòng rất hiệu quả.", "", ""]
        ),
    )


def _story(rng):
    story = rng.choice(STORIES)
    return EntryText(
        rng.choice(["Phòng họp chi đoàn", "Hội trường cơ quan", "Tại nhà"]),
        rng.choice(
            [
                f"Đọc và chia sẻ câu chuyện “{story}” về tấm gương Bác Hồ trong buổi sinh hoạt chi đoàn.",
                f"Đọc câu chuyện “{story}”, viết cảm nhận nửa trang và liên hệ bản thân.",
                f"Kể lại câu chuyện “{story}” cho các bạn trong phòng trong giờ nghỉ trưa.",
            ]
        ),
        rng.choice(
            [
                "Chi đoàn thống nhất một việc làm cụ thể để thực hiện trong tháng.",
                "Các bạn đề xuất thêm việc làm theo phù hợp với công việc của phòng.",
                "",
            ]
        ),
        rng.choice(
            [
                "Làm theo Bác bắt đầu từ những việc nhỏ hằng ngày.",
                "Mỗi vị trí đều cần làm tròn phần việc của mình.",
                "Sống giản dị, tiết kiệm.",
                "",
            ]
        ),
    )


def _discipline(rng):
    return EntryText(
        _office(rng),
        rng.choice(
            [
                "Đi làm đúng giờ, dự đầy đủ buổi giao ban đầu tuần.",
                "Dự đầy đủ, đúng giờ buổi sinh hoạt chi đoàn định kỳ; phát biểu góp ý kế hoạch tháng.",
                "Báo cáo trước với bí thư chi đoàn khi vắng buổi sinh hoạt vì đi công tác huyện.",
                "Chấp hành nội quy cơ quan, mặc đồng phục và đeo thẻ công chức cả tuần.",
            ]
        ),
        rng.choice(["Không đi trễ buổi nào.", "Hoàn thành phần việc được chi đoàn phân công.", "", ""]),
        rng.choice(["Báo cáo sớm để chi đoàn chủ động phân công.", "", ""]),
    )


def _public_service(rng):
    n = _n(rng, 1, 12)
    return EntryText(
        rng.choice(
            ["Phòng một cửa", "Bộ phận tiếp nhận và trả kết quả", "Trung tâm Phục vụ hành chính công"]
        ),
        rng.choice(
            [
                f"Hướng dẫn {n} người dân nộp hồ sơ trực tuyến trên Cổng dịch vụ công.",
                f"Giải đáp qua điện thoại cho {n} người dân về thủ tục cấp bản sao văn bằng.",
                f"Tiếp nhận {n} hồ sơ đúng hẹn, trả kết quả trước hạn {_n(rng, 1, 3)} hồ sơ.",
            ]
        ),
        rng.choice(
            [
                "Người dân hài lòng, không phải đi lại nhiều lần.",
                "Không có hồ sơ trễ hạn.",
                "Một người dân gửi lời cảm ơn qua đường dây nóng.",
                "",
            ]
        ),
        rng.choice(["Giải thích ngắn gọn, cầm tay chỉ việc thì người dân làm được ngay.", "", ""]),
    )


def _volunteer(rng):
    name, what = rng.choice(VOLUNTEER)
    where = rng.choice(PLACES_OUT)
    return EntryText(
        where[:1].upper() + where[1:],
        f"Tham gia chương trình “{name}”: {what.format(place=where)}.",
        rng.choice(
            [
                f"Cùng {_n(rng, 8, 40)} đoàn viên hoàn thành trong buổi sáng.",
                f"Vận động thêm {_n(rng, 1, 4)} đoàn viên trong chi đoàn cùng tham gia.",
                "Chương trình được địa phương ghi nhận, cảm ơn.",
                "",
            ]
        ),
        rng.choice(["Chuẩn bị chu đáo từ tối hôm trước.", "Tình nguyện giúp mình gần dân hơn.", "", ""]),
    )


def _mentoring(rng):
    who = rng.choice(COLLEAGUES)
    return EntryText(
        _office(rng),
        rng.choice(
            [
                f"Hướng dẫn {who} dùng chữ ký số và quy trình xử lý văn bản điện tử.",
                f"Kèm {who} lập báo cáo tổng hợp trên bảng tính dùng chung.",
                f"Chia sẻ với {who} kinh nghiệm trả lời đơn thư của người dân.",
            ]
        ),
        rng.choice(["Các bạn tự làm được từ tuần sau.", "Phòng thống nhất dùng chung một mẫu.", "", ""]),
        rng.choice(["Làm mẫu một lần rồi để người mới tự làm hiệu quả hơn giảng giải.", "", ""]),
    )


def _work(rng):
    task = rng.choice(WORK_TASKS)
    return EntryText(
        _office(rng),
        rng.choice(
            [
                f"Hoàn thành {task} trước hạn {_n(rng, 1, 4)} ngày.",
                f"Rà soát, chỉnh sửa {task} theo góp ý của lãnh đạo phòng trong ngày.",
                f"Đề xuất cách làm mới để lập {task} nhanh hơn, được trưởng phòng đồng ý áp dụng.",
            ]
        ),
        rng.choice(["Lãnh đạo phòng đánh giá đạt yêu cầu.", "Không phải sửa lại lần hai.", "", ""]),
        rng.choice(["Chia nhỏ việc và làm từ sớm.", "Hỏi ý kiến sớm thì ít phải sửa.", "", ""]),
    )


def _resolution(rng):
    doc = rng.choice(RESOLUTIONS)
    return EntryText(
        rng.choice(["Hội trường cơ quan", "Tại nhà", "Phòng họp chi đoàn"]),
        rng.choice(
            [
                f"Nghiên cứu, học tập {doc}; viết bài thu hoạch {_n(rng, 1, 3)} trang.",
                f"Tham gia hội nghị học tập, quán triệt {doc} do Đoàn Khối tổ chức.",
                f"Tìm hiểu {doc} và chia sẻ những điểm mới với chi đoàn.",
            ]
        ),
        rng.choice(["Bài thu hoạch đạt loại tốt.", "Nắm được những điểm mới để vận dụng vào công việc.", ""]),
        "",
    )


def _traffic(rng):
    return EntryText(
        rng.choice(["Trên đường đi làm", "Tại cơ quan", PROVINCE]),
        rng.choice(
            [
                "Đội mũ bảo hiểm đúng quy cách, chấp hành tín hiệu đèn giao thông khi đi làm.",
                "Không sử dụng điện thoại khi điều khiển xe máy; nhắc người thân cùng thực hiện.",
                "Chia sẻ bài viết tuyên truyền an toàn giao thông trên trang của chi đoàn.",
            ]
        ),
        rng.choice(["Cả tuần chấp hành đúng luật.", "", ""]),
        "",
    )


def _charity(rng):
    where = rng.choice(PLACES_OUT)
    return EntryText(
        where[:1].upper() + where[1:],
        rng.choice(
            [
                f"Cùng chi đoàn thăm, tặng quà gia đình chính sách tại {where}.",
                f"Đóng góp {_n(rng, 1, 5) * 50}.000 đồng cho quỹ “Vì người nghèo” của cơ quan.",
                f"Quyên góp sách vở cũ cho học sinh khó khăn ở {where}.",
            ]
        ),
        rng.choice([f"Trao {_n(rng, 3, 15)} phần quà.", "Gia đình rất xúc động.", "", ""]),
        rng.choice(["Sẻ chia là trách nhiệm của đoàn viên.", "", ""]),
    )


THEMES: list[Theme] = [
    Theme(
        "digital",
        ContentGroup.WORK_STYLE,
        "Số hóa toàn bộ văn bản đến – đi của phòng trên hệ thống quản lý văn bản điện tử, không để văn "
        "bản tồn đọng quá 2 ngày làm việc.",
        "100% văn bản được cập nhật đúng hạn; lãnh đạo phòng xác nhận hằng tháng.",
        Frequency.WEEKLY,
        (11, 30),
        _digital,
        1.5,
    ),
    Theme(
        "selfstudy",
        ContentGroup.DUTIES,
        "Mỗi tuần tự học 2 giờ kỹ năng số (soạn thảo văn bản, bảng tính, chữ ký số) trên nền tảng học "
        "trực tuyến.",
        "Ghi nhật ký mỗi tuần; hoàn thành ít nhất 2 khóa học có giấy chứng nhận trong năm.",
        Frequency.WEEKLY,
        (10, 31),
        _selfstudy,
        1.2,
    ),
    Theme(
        "saving",
        ContentGroup.ETHICS,
        "Tiết kiệm điện, giấy in tại phòng làm việc: tắt đèn, quạt, máy tính khi ra về; in hai mặt.",
        "Lượng giấy in của bộ phận giảm ít nhất 20% so với năm trước.",
        Frequency.DAILY,
        (12, 31),
        _saving,
        2.0,
    ),
    Theme(
        "story",
        ContentGroup.POLITICS,
        "Mỗi tháng đọc một câu chuyện về tấm gương đạo đức Hồ Chí Minh và chia sẻ trong buổi sinh hoạt "
        "chi đoàn.",
        "Có bài chia sẻ mỗi tháng; chi đoàn ghi nhận trong biên bản sinh hoạt.",
        Frequency.MONTHLY,
        (12, 31),
        _story,
        0.5,
    ),
    Theme(
        "discipline",
        ContentGroup.DISCIPLINE,
        "Đi làm đúng giờ, sinh hoạt chi đoàn đầy đủ; báo cáo trước khi vắng.",
        "Không đi trễ, không vắng sinh hoạt không lý do.",
        Frequency.WEEKLY,
        (12, 31),
        _discipline,
        0.8,
    ),
    Theme(
        "public",
        ContentGroup.DUTIES,
        "Hướng dẫn người dân làm thủ tục trực tuyến, tận tình, không để hồ sơ trễ hạn.",
        "Không có hồ sơ trễ hạn; không có phản ánh về thái độ phục vụ.",
        Frequency.WEEKLY,
        (12, 31),
        _public_service,
        1.2,
    ),
    Theme(
        "volunteer",
        ContentGroup.ETHICS,
        "Tham gia ít nhất 4 hoạt động tình nguyện trong năm và vận động đoàn viên cùng tham gia.",
        "Có xác nhận của Đoàn cơ sở về các hoạt động đã tham gia.",
        Frequency.MONTHLY,
        (12, 31),
        _volunteer,
        0.4,
    ),
    Theme(
        "mentoring",
        ContentGroup.WORK_STYLE,
        "Chia sẻ, hướng dẫn đồng nghiệp mới những việc mình làm tốt.",
        "Ít nhất 1 người được hướng dẫn làm thành thạo mỗi quý.",
        Frequency.MONTHLY,
        (12, 31),
        _mentoring,
        0.6,
    ),
    Theme(
        "work",
        ContentGroup.DUTIES,
        "Hoàn thành nhiệm vụ chuyên môn đúng hoặc trước hạn, có chất lượng.",
        "100% nhiệm vụ được giao hoàn thành đúng hạn theo đánh giá của trưởng phòng.",
        Frequency.WEEKLY,
        (12, 31),
        _work,
        1.5,
    ),
    Theme(
        "resolution",
        ContentGroup.POLITICS,
        "Học tập, quán triệt đầy đủ nghị quyết, chỉ thị và viết bài thu hoạch.",
        "Bài thu hoạch đạt yêu cầu sau mỗi đợt học tập.",
        Frequency.MONTHLY,
        (12, 31),
        _resolution,
        0.3,
    ),
    Theme(
        "traffic",
        ContentGroup.DISCIPLINE,
        "Chấp hành nghiêm luật giao thông và tuyên truyền cho người thân cùng thực hiện.",
        "Không vi phạm luật giao thông trong năm.",
        Frequency.WEEKLY,
        (12, 31),
        _traffic,
        0.5,
    ),
    Theme(
        "charity",
        ContentGroup.ETHICS,
        "Tham gia các hoạt động nhân đạo, đền ơn đáp nghĩa của cơ quan và địa phương.",
        "Tham gia đầy đủ các đợt quyên góp, thăm hỏi của chi đoàn.",
        Frequency.ONCE,
        (9, 30),
        _charity,
        0.3,
    ),
]

SAVING = next(t for t in THEMES if t.key == "saving")
OTHER_THEMES = [t for t in THEMES if t is not SAVING]
