"""The default sets of standards shipped with the product (DESIGN.md §4 step 1).

A unit adopts a catalogue for a year: its items are copied into the unit's own standards,
which the unit may then edit or stop using. The items are data, so a province can change the
wording here without touching the code; the key is stored on every adopted standard.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.enums import ContentGroup


@dataclass(frozen=True)
class CatalogueItem:
    """One standard of a catalogue: a short title, what it means in practice, its content group."""

    title: str
    description: str
    group: ContentGroup


@dataclass(frozen=True)
class Catalogue:
    """A named set of standards; `key` is stored on the standards adopted from it (≤ 40 chars)."""

    key: str
    title: str
    summary: str
    items: tuple[CatalogueItem, ...]


CAN_KIEM_LIEM_CHINH = Catalogue(
    key="can-kiem-liem-chinh",
    title="Cần, kiệm, liêm, chính, chí công vô tư",
    summary="Những đức tính của người cách mạng theo lời dạy của Chủ tịch Hồ Chí Minh.",
    items=(
        CatalogueItem(
            "Cần",
            "Siêng năng, chăm chỉ, bền bỉ trong công việc; làm việc có kế hoạch, đúng tiến độ, "
            "hiệu quả; chịu khó học hỏi, nâng cao trình độ.",
            ContentGroup.DUTIES,
        ),
        CatalogueItem(
            "Kiệm",
            "Tiết kiệm thời gian, tiền của, của công và của Nhân dân; không xa hoa, lãng phí, "
            "phô trương hình thức.",
            ContentGroup.ETHICS,
        ),
        CatalogueItem(
            "Liêm",
            "Trong sạch, không tham lam; không lợi dụng vị trí, công việc để mưu lợi riêng; "
            "không nhận lợi ích không chính đáng.",
            ContentGroup.ETHICS,
        ),
        CatalogueItem(
            "Chính",
            "Thẳng thắn, đúng đắn; nói đi đôi với làm; dám nhận khuyết điểm và sửa chữa; "
            "chân thành, tôn trọng đồng chí, đồng nghiệp.",
            ContentGroup.WORK_STYLE,
        ),
        CatalogueItem(
            "Chí công vô tư",
            "Công bằng, không thiên tư, thiên vị; đặt lợi ích của tập thể, của Nhân dân lên trên "
            "lợi ích cá nhân; công tâm, khách quan khi nhận xét, đánh giá.",
            ContentGroup.DISCIPLINE,
        ),
    ),
)

NAM_DIEU_BAC_HO_DAY = Catalogue(
    key="5-dieu-bac-ho-day",
    title="5 điều Bác Hồ dạy",
    summary="Năm điều Bác Hồ dạy thiếu niên, nhi đồng, cụ thể hóa cho đoàn viên, thanh niên.",
    items=(
        CatalogueItem(
            "Yêu Tổ quốc, yêu đồng bào",
            "Tin tưởng, trung thành với lý tưởng của Đảng; quan tâm đến việc chung của quê hương, "
            "đất nước; sẻ chia, giúp đỡ người gặp khó khăn.",
            ContentGroup.POLITICS,
        ),
        CatalogueItem(
            "Học tập tốt, lao động tốt",
            "Chủ động học tập, nâng cao trình độ chuyên môn, lý luận chính trị; hoàn thành tốt "
            "công việc được giao, có kết quả cụ thể.",
            ContentGroup.DUTIES,
        ),
        CatalogueItem(
            "Đoàn kết tốt, kỷ luật tốt",
            "Đoàn kết, giúp đỡ đồng chí, đồng nghiệp; chấp hành nghiêm Điều lệ, nội quy, quy chế "
            "của cơ quan, đơn vị; sinh hoạt đầy đủ, đúng giờ.",
            ContentGroup.DISCIPLINE,
        ),
        CatalogueItem(
            "Giữ gìn vệ sinh thật tốt",
            "Giữ nơi ở, nơi làm việc sạch sẽ, ngăn nắp; bảo vệ môi trường, hạn chế rác thải nhựa; "
            "thường xuyên rèn luyện thân thể.",
            ContentGroup.WORK_STYLE,
        ),
        CatalogueItem(
            "Khiêm tốn, thật thà, dũng cảm",
            "Khiêm tốn, cầu thị, không khoe khoang; trung thực trong công việc và trong báo cáo; "
            "dám đấu tranh với cái sai, bảo vệ cái đúng.",
            ContentGroup.ETHICS,
        ),
    ),
)

BA_TOT = Catalogue(
    key="3-tot",
    title="Phẩm chất tốt – Chuyên môn tốt – Hoạt động tốt",
    summary="Ba tiêu chí rèn luyện của đoàn viên là cán bộ, công chức, viên chức trẻ.",
    items=(
        CatalogueItem(
            "Phẩm chất tốt",
            "Kiên định lý tưởng, chấp hành chủ trương của Đảng, pháp luật của Nhà nước; lối sống "
            "trong sáng, giản dị; gương mẫu nơi công tác và nơi cư trú.",
            ContentGroup.POLITICS,
        ),
        CatalogueItem(
            "Chuyên môn tốt",
            "Hoàn thành tốt nhiệm vụ được giao, đúng tiến độ, có chất lượng; chủ động học tập, "
            "ứng dụng công nghệ số; có ít nhất một sáng kiến, cải tiến trong năm.",
            ContentGroup.DUTIES,
        ),
        CatalogueItem(
            "Hoạt động tốt",
            "Tham gia đầy đủ sinh hoạt chi đoàn và các phong trào của Đoàn, của cơ quan; xung kích, "
            "tình nguyện; vận động đoàn viên, thanh niên cùng tham gia.",
            ContentGroup.DISCIPLINE,
        ),
    ),
)

CATALOGUES: dict[str, Catalogue] = {c.key: c for c in (CAN_KIEM_LIEM_CHINH, NAM_DIEU_BAC_HO_DAY, BA_TOT)}


def get_catalogue(key: str) -> Catalogue | None:
    """The shipped catalogue with this key, if any."""
    return CATALOGUES.get(key)


def catalogue_title(key: str | None) -> str:
    """The catalogue's Vietnamese title, for the badge on an adopted standard."""
    catalogue = CATALOGUES.get(key or "")
    return catalogue.title if catalogue else ""
