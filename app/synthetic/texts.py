"""Vietnamese words for the synthetic organisation: names, units, and what reviewers write.

Data for app.synthetic's steps: people's names (family, middle and given names by gender, as
registers list them), the agencies and departments a Đoàn Khối các Cơ quan tỉnh is made of, and
what plans, reviews and month sign-offs say. What members write in their diaries, by the kind of
commitment: app.synthetic.themes; the year-end grading's words: app.synthetic.grading_texts.
"""

from __future__ import annotations

import random

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
