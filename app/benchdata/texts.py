"""Vietnamese words for the synthetic organisation: names, units, commitments and what members write.

Everything here is data for app.benchdata.seed: people's names (family, middle and given names
by gender, as registers list them), the agencies and departments a Đoàn Khối các Cơ quan tỉnh
is made of, and for each kind of commitment a generator of diary entries (place, what was done,
the result, the lesson) with the numbers, stories and courses varied, so a year of entries reads
like a real diary rather than one sentence repeated.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from app.core.enums import ContentGroup, Frequency

# ---- people ------------------------------------------------------------------------------------

# Family names, the common ones several times (roughly their share in the population).
FAMILY = (
    ["Nguyễn"] * 8
    + ["Trần"] * 3
    + ["Lê"] * 3
    + ["Phạm"] * 2
    + ["Huỳnh"] * 2
    + ["Võ"] * 2
    + [
        "Hoàng",
        "Phan",
        "Vũ",
        "Đặng",
        "Bùi",
        "Đỗ",
        "Hồ",
        "Ngô",
        "Dương",
        "Lý",
        "Lâm",
        "Thạch",
        "Sơn",
        "Kim",
        "Trương",
        "Đinh",
        "Mai",
        "Tô",
        "Quách",
        "Châu",
        "Danh",
        "Triệu",
    ]
)
MIDDLE_MALE = ["Văn", "Văn", "Minh", "Quốc", "Thanh", "Hoàng", "Đức", "Hữu", "Công", "Gia", "Tấn", "Trọng"]
MIDDLE_FEMALE = ["Thị", "Thị", "Ngọc", "Thanh", "Mỹ", "Thu", "Kim", "Bảo", "Phương", "Hồng", "Diệu", "Khánh"]
GIVEN_MALE = [
    "An",
    "Bảo",
    "Cường",
    "Duy",
    "Dũng",
    "Đạt",
    "Đức",
    "Hải",
    "Hiếu",
    "Hòa",
    "Huy",
    "Hùng",
    "Khang",
    "Khoa",
    "Kiệt",
    "Lâm",
    "Long",
    "Luân",
    "Minh",
    "Nam",
    "Nghĩa",
    "Nhân",
    "Phát",
    "Phong",
    "Phúc",
    "Quân",
    "Quang",
    "Sơn",
    "Tài",
    "Tâm",
    "Thắng",
    "Thành",
    "Thiện",
    "Thịnh",
    "Toàn",
    "Trí",
    "Trung",
    "Tuấn",
    "Việt",
    "Vinh",
    "Vũ",
]
GIVEN_FEMALE = [
    "Anh",
    "Ánh",
    "Châu",
    "Chi",
    "Diễm",
    "Dung",
    "Duyên",
    "Giang",
    "Hà",
    "Hạnh",
    "Hân",
    "Hằng",
    "Hiền",
    "Hoa",
    "Huyền",
    "Hương",
    "Khánh",
    "Lan",
    "Liên",
    "Linh",
    "Loan",
    "Mai",
    "My",
    "Nga",
    "Ngân",
    "Nhung",
    "Như",
    "Oanh",
    "Phương",
    "Quyên",
    "Quỳnh",
    "Tâm",
    "Thảo",
    "Thư",
    "Thủy",
    "Tiên",
    "Trâm",
    "Trang",
    "Trinh",
    "Tuyết",
    "Uyên",
    "Vy",
    "Xuân",
    "Yến",
]
POSITIONS = [
    "Chuyên viên",
    "Chuyên viên",
    "Chuyên viên",
    "Cán sự",
    "Kế toán viên",
    "Thanh tra viên",
    "Giáo viên",
    "Bác sĩ",
    "Điều dưỡng",
    "Kỹ thuật viên",
    "Văn thư",
    "Phó Trưởng phòng",
]


def person_name(rng: random.Random) -> str:
    """A full name in NFC: family, middle and given name of one gender."""
    if rng.random() < 0.5:
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_MALE)} {rng.choice(GIVEN_MALE)}"
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_FEMALE)} {rng.choice(GIVEN_FEMALE)}"


# ---- units -------------------------------------------------------------------------------------

PROVINCE = "Sóc Trăng"
ROOT_NAME = "Đoàn Khối các Cơ quan tỉnh Sóc Trăng"
PARTY_NAME = "Đảng bộ Khối các Cơ quan tỉnh Sóc Trăng"

# (code, name) of the agencies whose youth unions (Đoàn cơ sở) make up the Đoàn Khối.
AGENCIES = [
    ("SGDDT", "Sở Giáo dục và Đào tạo"),
    ("SYT", "Sở Y tế"),
    ("STC", "Sở Tài chính"),
    ("SKHDT", "Sở Kế hoạch và Đầu tư"),
    ("SNNPTNT", "Sở Nông nghiệp và Phát triển nông thôn"),
    ("STP", "Sở Tư pháp"),
    ("SXD", "Sở Xây dựng"),
    ("SGTVT", "Sở Giao thông vận tải"),
    ("STNMT", "Sở Tài nguyên và Môi trường"),
    ("SLDTBXH", "Sở Lao động – Thương binh và Xã hội"),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch"),
    ("STTTT", "Sở Thông tin và Truyền thông"),
    ("SKHCN", "Sở Khoa học và Công nghệ"),
    ("SCT", "Sở Công Thương"),
    ("SNV", "Sở Nội vụ"),
    ("VPUBND", "Văn phòng Ủy ban nhân dân tỉnh"),
    ("TTT", "Thanh tra tỉnh"),
    ("KBNN", "Kho bạc Nhà nước tỉnh"),
    ("BHXH", "Bảo hiểm xã hội tỉnh"),
    ("BVDK", "Bệnh viện Đa khoa tỉnh"),
    ("DPTTH", "Đài Phát thanh và Truyền hình tỉnh"),
    ("TCT", "Trường Chính trị tỉnh"),
    ("CTHUE", "Cục Thuế tỉnh"),
    ("NHNN", "Ngân hàng Nhà nước Chi nhánh tỉnh"),
]
# Departments: a branch (chi đoàn) is named after its department.
DEPARTMENTS = [
    "Văn phòng",
    "Phòng Kế hoạch – Tài chính",
    "Phòng Tổ chức cán bộ",
    "Thanh tra",
    "Phòng Pháp chế",
    "Phòng Nghiệp vụ 1",
    "Phòng Nghiệp vụ 2",
    "Phòng Quản lý chất lượng",
    "Trung tâm Công nghệ thông tin",
    "Phòng Hành chính – Tổng hợp",
    "Phòng Kiểm tra",
    "Phòng Truyền thông",
    "Khoa Nội",
    "Khoa Ngoại",
    "Khoa Nhi",
    "Phòng Khảo thí",
    "Phòng Giáo dục Trung học",
    "Phòng Giáo dục thường xuyên",
    "Trung tâm Dịch vụ việc làm",
    "Phòng Kế toán",
    "Phòng Quản lý đầu tư",
    "Ban Quản lý dự án",
]

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

SHORTCOMINGS = [
    "Còn ngại phát biểu trong sinh hoạt chi đoàn.",
    "Đôi khi xử lý văn bản chưa kịp thời, để dồn việc cuối tuần.",
    "Chưa mạnh dạn đề xuất cách làm mới.",
    "Sử dụng thời gian chưa hợp lý, còn dùng điện thoại vào việc riêng trong giờ làm.",
    "Ít tham gia hoạt động tình nguyện.",
    "Kỹ năng tin học văn phòng còn hạn chế.",
]

REVIEW_COMMENTS = [
    "Bài viết cụ thể, có kết quả rõ ràng. Tiếp tục phát huy.",
    "Tốt. Lần sau ghi thêm số liệu cụ thể để dễ đánh giá.",
    "Việc làm thiết thực, đúng với nội dung đã đăng ký.",
    "Chi đoàn ghi nhận. Nên chia sẻ cách làm này trong buổi sinh hoạt tới.",
    "Cần nêu rõ kết quả đạt được, không chỉ liệt kê việc đã làm.",
    "Rất đáng khen, đề nghị nhân rộng trong chi đoàn.",
    "Đồng ý. Chú ý gắn bài với đúng nội dung đăng ký.",
]
MEMBER_REPLIES = [
    "Em cảm ơn anh/chị, em sẽ bổ sung số liệu ở các bài sau.",
    "Dạ em ghi nhận góp ý ạ.",
    "Em cảm ơn, em sẽ chia sẻ trong buổi sinh hoạt tới.",
]
REVISION_REASONS = [
    "Bổ sung kết quả cụ thể (số liệu, xác nhận của lãnh đạo phòng).",
    "Bài chưa gắn đúng nội dung đăng ký; đề nghị chọn lại việc làm theo.",
    "Ghi rõ thời gian, địa điểm thực hiện.",
    "Bổ sung minh chứng hoặc người xác nhận.",
]
EXEMPLARY_NOTES = [
    "Việc làm tiêu biểu, đề nghị biểu dương trước chi đoàn.",
    "Cách làm sáng tạo, hiệu quả, cần nhân rộng.",
    "Gương người tốt, việc tốt trong tháng.",
    "",
]
MONTH_COMMENTS = [
    "Tháng này thực hiện đều các nội dung đăng ký, bài viết cụ thể. Tiếp tục duy trì.",
    "Ghi nhật ký đều đặn; cần chú ý hơn nội dung tự học.",
    "Hoàn thành tốt các việc làm theo đã đăng ký. Có việc làm tiêu biểu được biểu dương.",
    "Số bài còn ít ở nửa đầu tháng; đề nghị ghi ngay khi thực hiện.",
    "Thực hiện tốt, có kết quả cụ thể, được chi đoàn ghi nhận.",
    "",
]


# ---- the year-end grading (app.benchdata.ratings) --------------------------------------------------
# Placeholders: {chi} "chi đoàn" / "chi bộ", {to_chuc} "Đoàn" / "Đảng", {member} "đoàn viên" / "đảng viên".

SELF_STRENGTHS = {
    "politics": [
        "Luôn trung thành với lý tưởng của {to_chuc}; chấp hành nghiêm chủ trương của Đảng, chính sách, "
        "pháp luật của Nhà nước. Tham gia đầy đủ các buổi học tập nghị quyết, chuyên đề năm.",
        "Tích cực học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh; viết bài thu hoạch đầy đủ "
        "sau mỗi đợt học tập nghị quyết.",
        "Giữ vững lập trường tư tưởng, không dao động trước thông tin xấu, độc trên mạng xã hội; tham gia "
        "bình luận tích cực, góp phần bảo vệ nền tảng tư tưởng của Đảng.",
        "Nắm vững và thực hiện đúng các nghị quyết, chỉ thị của cấp trên; thường xuyên theo dõi thời sự, "
        "chia sẻ thông tin chính thống trong {chi}.",
    ],
    "ethics": [
        "Sống giản dị, trung thực, chân thành với đồng nghiệp; thực hiện tốt các chuẩn mực đạo đức đã đăng ký.",
        "Có lối sống lành mạnh, đoàn kết, giúp đỡ đồng nghiệp; tích cực tham gia các hoạt động nhân đạo, "
        "từ thiện của cơ quan.",
        "Thực hành tiết kiệm điện, giấy in tại phòng làm việc; không có biểu hiện suy thoái về đạo đức, lối sống.",
        "Gương mẫu trong gia đình và nơi cư trú; giữ gìn phẩm chất, uy tín của người {member}.",
    ],
    "work_style": [
        "Đi làm đúng giờ, làm việc có kế hoạch; xử lý văn bản đúng hạn, tận tình với người dân, doanh nghiệp.",
        "Chủ động, trách nhiệm trong công việc; sẵn sàng hỗ trợ đồng nghiệp, chia sẻ cách làm hiệu quả.",
        "Ứng dụng công nghệ thông tin trong xử lý công việc; cầu thị, lắng nghe góp ý để tiến bộ.",
        "Tác phong nhanh nhẹn, phối hợp tốt với các bộ phận; giữ kỷ cương, kỷ luật hành chính.",
    ],
    "discipline": [
        "Sinh hoạt {chi} đầy đủ, đúng giờ; đóng phí đầy đủ, đúng hạn; chấp hành nghiêm Điều lệ {to_chuc}.",
        "Tham gia đầy đủ các hoạt động, phong trào của {chi} và cơ quan; báo cáo trước khi vắng mặt.",
        "Thực hiện nghiêm nguyên tắc tập trung dân chủ; thẳng thắn tự phê bình và phê bình trong sinh hoạt.",
        "Chấp hành sự phân công của tổ chức; giữ mối liên hệ với nơi cư trú theo quy định.",
    ],
}

SELF_DUTIES = {
    "high": [
        "Hoàn thành vượt tiến độ các nhiệm vụ chuyên môn được giao, có sáng kiến cải tiến được cơ quan "
        "ghi nhận; ghi Sổ nhật ký làm theo lời Bác đều đặn, nhiều việc làm được biểu dương.",
        "Hoàn thành 100% nhiệm vụ đúng hạn, trong đó nhiều việc vượt mức; chủ trì tham mưu văn bản quan "
        "trọng của phòng; hướng dẫn đồng nghiệp mới làm thành thạo.",
    ],
    "good": [
        "Hoàn thành tốt nhiệm vụ chuyên môn được giao, đúng tiến độ, bảo đảm chất lượng; thực hiện đầy đủ "
        "các nội dung đã đăng ký làm theo.",
        "Hoàn thành đúng hạn các công việc được phân công; ghi Sổ nhật ký đều đặn, có kết quả cụ thể.",
        "Thực hiện tốt nhiệm vụ được giao và các nội dung đăng ký làm theo lời Bác; tham gia tích cực phong "
        "trào thi đua của cơ quan.",
    ],
    "low": [
        "Hoàn thành các nhiệm vụ được giao, tuy còn một số việc chậm tiến độ; ghi Sổ nhật ký chưa đều.",
        "Cơ bản hoàn thành công việc chuyên môn; một số nội dung đăng ký làm theo chưa thực hiện được.",
    ],
}

SELF_SHORTCOMINGS = [
    *SHORTCOMINGS,
    "Ghi sổ nhật ký chưa đều đặn vào các tháng cao điểm công việc.",
    "Có lúc chưa chủ động nắm bắt tình hình, còn chờ chỉ đạo.",
]
SELF_CAUSES = [
    "Khối lượng công việc chuyên môn lớn, nhất là vào cuối quý và cuối năm.",
    "Bản thân chưa sắp xếp thời gian hợp lý giữa công việc và hoạt động {chi}.",
    "Kinh nghiệm công tác còn ít; chưa mạnh dạn trao đổi với lãnh đạo và đồng nghiệp.",
    "Có lúc chủ quan, chưa quyết liệt trong khắc phục hạn chế.",
]
SELF_FIXED = [
    "Đã khắc phục cơ bản hạn chế được chỉ ra năm trước: phát biểu nhiều hơn trong sinh hoạt {chi}, "
    "xử lý văn bản kịp thời hơn.",
    "Hạn chế năm trước về ghi sổ nhật ký chưa đều đã được khắc phục: năm nay ghi hằng tuần.",
    "Đã tham gia một khóa bồi dưỡng kỹ năng số, khắc phục hạn chế về tin học văn phòng.",
    "Khắc phục được một phần; còn phải tiếp tục cố gắng trong năm tới.",
]
SELF_DIRECTION = [
    "Tiếp tục học tập, làm theo lời Bác; ghi sổ nhật ký hằng tuần, có kết quả cụ thể.",
    "Sắp xếp công việc khoa học hơn; mạnh dạn góp ý xây dựng {chi}.",
    "Tự học nâng cao kỹ năng số; đăng ký thêm một việc làm đột phá trong năm tới.",
    "Tích cực tham gia hoạt động tình nguyện và vận động đồng nghiệp cùng tham gia.",
]
SELF_COMMITMENT = "Đã thực hiện nội dung đăng ký: “{action}”."

PROPOSAL_COMMENTS = {
    1: [
        "Hoàn thành xuất sắc nhiệm vụ chuyên môn; ghi Sổ nhật ký đều đặn, nhiều việc làm cụ thể được biểu "
        "dương. Là tấm gương tiêu biểu trong {chi}.",
        "Có sáng kiến được cơ quan ghi nhận, hoàn thành vượt mức các nội dung đăng ký làm theo; tích cực "
        "trong mọi hoạt động của {chi}.",
    ],
    2: [
        "Hoàn thành tốt nhiệm vụ được giao; thực hiện đầy đủ các nội dung đăng ký, sổ nhật ký có kết quả "
        "cụ thể.",
        "Chấp hành tốt chủ trương, quy định; tham gia đầy đủ sinh hoạt {chi}. Cần ghi sổ nhật ký đều hơn.",
        "Nhiệt tình, trách nhiệm trong công việc; đoàn kết, giúp đỡ đồng nghiệp.",
    ],
    3: [
        "Hoàn thành nhiệm vụ được giao nhưng còn chậm tiến độ ở một số việc; sổ nhật ký ghi chưa đều.",
        "Tham gia sinh hoạt {chi} chưa đầy đủ; một số nội dung đăng ký chưa có kết quả.",
    ],
    4: [
        "Nhiều tháng không ghi sổ nhật ký, vắng sinh hoạt {chi} nhiều lần không lý do; chưa hoàn thành các "
        "nội dung đã đăng ký.",
    ],
}
CRITERION_COMMENTS = {
    "politics": ["Tư tưởng vững vàng, học tập nghị quyết đầy đủ.", "Chấp hành tốt chủ trương, quy định."],
    "ethics": ["Lối sống giản dị, trung thực.", "Thực hiện tốt các chuẩn mực đã đăng ký."],
    "work_style": ["Tác phong đúng giờ, trách nhiệm.", "Cần chủ động hơn trong công việc."],
    "discipline": ["Sinh hoạt đầy đủ, đóng phí đúng hạn.", "Còn vắng sinh hoạt một số buổi."],
    "duties": ["Hoàn thành nhiệm vụ đúng tiến độ, có kết quả cụ thể.", "Một số việc còn chậm tiến độ."],
}
MEETING_NOTES = [
    "Hội nghị nghe từng {member} trình bày bản tự đánh giá; các ý kiến thảo luận thẳng thắn, dân chủ, "
    "thống nhất biểu quyết mức xếp loại của từng người.",
    "Các ý kiến đánh giá cao tinh thần ghi Sổ nhật ký làm theo lời Bác của {chi}; đề nghị tiếp tục nhân "
    "rộng các việc làm tiêu biểu trong năm tới.",
    "Hội nghị thống nhất kết quả đề xuất của bí thư; một số trường hợp được thảo luận kỹ trước khi biểu quyết.",
]
MEETING_PLACES = ["Phòng họp cơ quan", "Hội trường cơ quan", "Phòng họp số 2", "Phòng họp tầng 3"]
ABSENCE_REASONS = [
    "Đi công tác, có báo cáo",
    "Nghỉ ốm, có đơn xin phép",
    "Nghỉ phép năm",
    "Đang học tập, bồi dưỡng tập trung",
]
RECONSIDERATION_REASONS = [
    "Tôi đề nghị xem xét lại vì trong năm đã hoàn thành vượt mức nhiều nhiệm vụ, có xác nhận của "
    "lãnh đạo phòng.",
    "Tôi vắng sinh hoạt do đi công tác theo quyết định của cơ quan, có báo cáo trước, nên chưa đến mức bị hạ loại.",
    "Tôi có hai việc làm được biểu dương trong năm nhưng chưa được tính khi xếp loại.",
]
RECONSIDERATION_ANSWERS = [
    "Đã xem xét lại hồ sơ và biên bản họp: giữ nguyên mức xếp loại đã công nhận. Đề nghị đồng chí tiếp "
    "tục phát huy trong năm tới.",
    "Cấp trên đã làm việc với {chi}: kết quả họp xét đúng quy trình, giữ nguyên mức xếp loại.",
]
QUARTER_COMMENTS = [
    "",
    "Hoàn thành nhiệm vụ quý đúng tiến độ.",
    "Thực hiện tốt các nội dung đăng ký trong quý.",
    "Cần ghi sổ nhật ký đều hơn trong quý tới.",
    "Có việc làm tiêu biểu trong quý.",
]
