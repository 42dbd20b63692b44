"""The year-end grading's words for the synthetic organisation (app.synthetic.ratings).

Self-assessments, proposals, meeting notes, reconsiderations and quarterly comments.
"""

from app.synthetic.texts import SHORTCOMINGS

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
