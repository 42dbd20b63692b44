"""Standards (chuẩn mực đạo đức) and annual themes: inheritance, catalogues, copying, access."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select
from werkzeug.exceptions import Forbidden

from app.core.db import db
from app.core.enums import ContentGroup
from app.core.filters import today_local
from app.standards import services
from app.standards.catalogues import CATALOGUES
from app.standards.models import AnnualTheme, Standard

YEAR = 2026


def html(response) -> str:
    return response.get_data(as_text=True)


def add_standard(unit, title, group=ContentGroup.ETHICS, year=YEAR, active=True, sort_order=0):
    """A standard written straight to the database, for setting the scene."""
    standard = Standard(
        unit_id=unit.id, year=year, group=group, title=title, sort_order=sort_order, is_active=active
    )
    db.session.add(standard)
    db.session.commit()
    return standard


def count_standards(unit, year=YEAR) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Standard).where(Standard.unit_id == unit.id, Standard.year == year)
    )


@pytest.fixture
def tree(org):
    """Standards at every level above Chi đoàn Văn phòng, on a sibling branch, and noise."""
    return {
        "root": add_standard(org.root, "Trung thành với lý tưởng", ContentGroup.POLITICS),
        "root_duty": add_standard(org.root, "Hoàn thành nhiệm vụ đúng hạn", ContentGroup.DUTIES),
        "grassroots": add_standard(org.grassroots, "Tiết kiệm điện, nước", ContentGroup.ETHICS),
        "branch": add_standard(org.branch, "Đúng giờ, đúng hạn", ContentGroup.DISCIPLINE),
        "branch_politics": add_standard(org.branch, "Đọc báo Đảng mỗi tuần", ContentGroup.POLITICS),
        "sibling": add_standard(org.branch_sibling, "Chuẩn mực của chi đoàn bạn"),
        "other_year": add_standard(org.branch, "Chuẩn mực năm trước", year=YEAR - 1),
        "inactive": add_standard(org.branch, "Đã ngừng áp dụng", active=False),
    }


# ---- reading: what applies to a unit ----------------------------------------------------------


def test_standards_of_every_unit_above_apply_to_a_branch(org, tree):
    titles = [s.title for s in services.applicable_standards(org.branch, YEAR)]
    # Group order first (politics, ethics, …, duties), then from the top unit down.
    assert titles == [
        "Trung thành với lý tưởng",
        "Đọc báo Đảng mỗi tuần",
        "Tiết kiệm điện, nước",
        "Đúng giờ, đúng hạn",
        "Hoàn thành nhiệm vụ đúng hạn",
    ]


def test_a_sibling_branch_sees_the_common_standards_but_not_ours(org, tree):
    titles = {s.title for s in services.applicable_standards(org.branch_sibling, YEAR)}
    assert titles == {
        "Trung thành với lý tưởng",
        "Hoàn thành nhiệm vụ đúng hạn",
        "Tiết kiệm điện, nước",
        "Chuẩn mực của chi đoàn bạn",
    }
    other = {s.title for s in services.applicable_standards(org.branch_other, YEAR)}
    assert other == {"Trung thành với lý tưởng", "Hoàn thành nhiệm vụ đúng hạn"}


def test_within_a_group_the_sort_order_then_the_id_decides(org):
    later = add_standard(org.branch, "Thứ hai", sort_order=2)
    first = add_standard(org.branch, "Thứ nhất", sort_order=1)
    tie = add_standard(org.branch, "Thứ hai (sau)", sort_order=2)
    assert services.applicable_standards(org.branch, YEAR) == [first, later, tie]


def test_applicable_standards_is_one_query(app, org, tree):
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    db.session.expire_all()
    unit = db.session.get(type(org.branch), org.branch.id)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        standards = services.applicable_standards(unit, YEAR)
        names = [s.unit.name for s in standards]  # the unit comes with the same query
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(names) == 5
    assert len(statements) == 1


def test_standards_by_group_keeps_the_enum_order(org, tree):
    grouped = services.standards_by_group(services.applicable_standards(org.branch, YEAR))
    assert list(grouped) == [
        ContentGroup.POLITICS,
        ContentGroup.ETHICS,
        ContentGroup.DISCIPLINE,
        ContentGroup.DUTIES,
    ]
    assert [s.title for s in grouped[ContentGroup.POLITICS]] == [
        "Trung thành với lý tưởng",
        "Đọc báo Đảng mỗi tuần",
    ]
    full = services.standards_by_group([], include_empty=True)
    assert list(full) == list(ContentGroup) and all(v == [] for v in full.values())


# ---- catalogues --------------------------------------------------------------------------------


def test_catalogues_ship_the_expected_items():
    assert [c.title for c in CATALOGUES.values()] == [
        "Cần, kiệm, liêm, chính, chí công vô tư",
        "5 điều Bác Hồ dạy",
        "Phẩm chất tốt – Chuyên môn tốt – Hoạt động tốt",
    ]
    counts = {key: len(c.items) for key, c in CATALOGUES.items()}
    assert counts == {"can-kiem-liem-chinh": 5, "5-dieu-bac-ho-day": 5, "3-tot": 3}
    for catalogue in CATALOGUES.values():
        assert len(catalogue.key) <= 40  # Standard.catalogue is VARCHAR(40)
        for item in catalogue.items:
            assert item.title and item.description and len(item.title) <= 200
            assert isinstance(item.group, ContentGroup)


@pytest.mark.parametrize("key", list(CATALOGUES))
def test_adopting_a_catalogue_copies_its_items_once(org, key):
    catalogue = CATALOGUES[key]
    created = services.adopt_catalogue(org.secretary, org.branch, YEAR, key)
    db.session.commit()
    assert [(s.title, s.group, s.description) for s in created] == [
        (i.title, i.group, i.description) for i in catalogue.items
    ]
    assert all(s.catalogue == key and s.unit_id == org.branch.id for s in created)
    assert count_standards(org.branch) == len(catalogue.items)

    with pytest.raises(services.StandardError, match="không thêm lại để tránh trùng lặp"):
        services.adopt_catalogue(org.secretary, org.branch, YEAR, key)
    db.session.rollback()
    assert count_standards(org.branch) == len(catalogue.items)
    # Another year is another adoption.
    services.adopt_catalogue(org.secretary, org.branch, YEAR + 1, key)
    assert count_standards(org.branch, YEAR + 1) == len(catalogue.items)


def test_adopting_keeps_the_catalogue_after_the_units_own_standards(org):
    own = services.create_standard(org.secretary, org.branch, YEAR, ContentGroup.ETHICS, "Riêng", None)
    adopted = services.adopt_catalogue(org.secretary, org.branch, YEAR, "can-kiem-liem-chinh")
    assert min(s.sort_order for s in adopted) > own.sort_order
    ethics = [
        s.title for s in services.applicable_standards(org.branch, YEAR) if s.group is ContentGroup.ETHICS
    ]
    assert ethics == ["Riêng", "Kiệm", "Liêm"]


def test_a_catalogue_adopted_above_is_not_adopted_again_below(org):
    services.adopt_catalogue(org.officer_root, org.root, YEAR, "5-dieu-bac-ho-day")
    with pytest.raises(services.StandardError, match="Đoàn Khối các Cơ quan tỉnh đã áp dụng"):
        services.adopt_catalogue(org.secretary, org.branch, YEAR, "5-dieu-bac-ho-day")
    # Deactivated standards of the unit still count as adopted: reactivating them is the way back.
    for standard in services.adopt_catalogue(org.secretary, org.branch, YEAR, "3-tot"):
        services.deactivate_standard(org.secretary, standard)
    with pytest.raises(services.StandardError):
        services.adopt_catalogue(org.secretary, org.branch, YEAR, "3-tot")


def test_adopting_an_unknown_catalogue_is_refused(org):
    with pytest.raises(services.StandardError) as info:
        services.adopt_catalogue(org.secretary, org.branch, YEAR, "khong-co")
    assert info.value.field == "catalogue"


# ---- changing one standard ---------------------------------------------------------------------


def test_create_update_deactivate_reactivate(org):
    standard = services.create_standard(
        org.secretary, org.branch, YEAR, ContentGroup.WORK_STYLE, "  Đúng   giờ ", "Đến sớm 5 phút.\r\n"
    )
    db.session.commit()
    assert (standard.title, standard.description, standard.is_active) == ("Đúng giờ", "Đến sớm 5 phút.", True)
    services.update_standard(org.deputy, standard, ContentGroup.DISCIPLINE, "Đúng giờ, đúng hạn", "")
    assert standard.group is ContentGroup.DISCIPLINE and standard.description is None
    services.deactivate_standard(org.secretary, standard)
    assert standard not in services.applicable_standards(org.branch, YEAR)
    assert services.own_standards(org.branch, YEAR, active=False) == [standard]
    services.reactivate_standard(org.secretary, standard)
    assert services.applicable_standards(org.branch, YEAR) == [standard]


@pytest.mark.parametrize(
    ("title", "year", "field"),
    [("", YEAR, "title"), ("x" * 201, YEAR, "title"), ("Đúng giờ", 1999, "year"), ("Đúng giờ", 2101, "year")],
)
def test_create_standard_checks_its_input(org, title, year, field):
    with pytest.raises(services.StandardError) as info:
        services.create_standard(org.secretary, org.branch, year, ContentGroup.ETHICS, title, None)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        ("admin", True),
        ("officer_root", True),
        ("secretary", True),
        ("deputy", True),
        ("member", False),
        ("secretary_other", False),
        ("officer_sibling", False),
    ],
)
def test_who_may_change_a_branchs_standards(org, actor, allowed):
    user = getattr(org, actor)
    existing = add_standard(org.branch, "Có sẵn")
    changes = [
        lambda: services.create_standard(user, org.branch, YEAR, ContentGroup.ETHICS, "Mới", None),
        lambda: services.update_standard(user, existing, ContentGroup.ETHICS, "Sửa", None),
        lambda: services.deactivate_standard(user, existing),
        lambda: services.reactivate_standard(user, existing),
        lambda: services.adopt_catalogue(user, org.branch, YEAR, "3-tot"),
        lambda: services.set_theme(user, org.branch, YEAR, "Chuyên đề", None),
    ]
    for change in changes:
        if allowed:
            change()
        else:
            with pytest.raises(Forbidden):
                change()
    db.session.rollback()


def test_copy_previous_year_needs_an_empty_year(org):
    services.adopt_catalogue(org.secretary, org.branch, YEAR - 1, "can-kiem-liem-chinh")
    dropped = services.create_standard(org.secretary, org.branch, YEAR - 1, ContentGroup.ETHICS, "Bỏ", None)
    services.deactivate_standard(org.secretary, dropped)
    add_standard(org.root, "Của cấp trên", year=YEAR - 1)

    copies = services.copy_previous_year(org.secretary, org.branch, YEAR)
    db.session.commit()
    assert sorted((s.sort_order, s.title) for s in copies) == [
        (1, "Cần"),
        (2, "Kiệm"),
        (3, "Liêm"),
        (4, "Chính"),
        (5, "Chí công vô tư"),
    ]
    assert all(s.year == YEAR and s.unit_id == org.branch.id for s in copies)
    assert all(s.catalogue == "can-kiem-liem-chinh" for s in copies)
    assert count_standards(org.branch) == 5  # the deactivated one and the root's stay behind
    assert count_standards(org.branch, YEAR - 1) == 6

    with pytest.raises(services.StandardError, match=f"Năm {YEAR} đã có chuẩn mực"):
        services.copy_previous_year(org.secretary, org.branch, YEAR)
    with pytest.raises(services.StandardError, match=f"Năm {YEAR} chưa có chuẩn mực nào"):
        services.copy_previous_year(org.admin, org.branch_sibling, YEAR + 1)


def test_can_copy_previous_year(org):
    assert not services.can_copy_previous_year(org.branch, YEAR)
    add_standard(org.branch, "Năm trước", year=YEAR - 1)
    assert services.can_copy_previous_year(org.branch, YEAR)
    add_standard(org.branch, "Năm nay")
    assert not services.can_copy_previous_year(org.branch, YEAR)


# ---- annual themes ------------------------------------------------------------------------------


def test_theme_is_set_then_edited_in_place(org):
    theme = services.set_theme(org.officer_root, org.root, YEAR, "Chuyên đề  năm", "Nội dung")
    db.session.commit()
    again = services.set_theme(org.officer_root, org.root, YEAR, "Chuyên đề đã sửa", "")
    db.session.commit()
    assert again.id == theme.id and again.title == "Chuyên đề đã sửa" and again.description is None
    assert db.session.scalar(select(func.count()).select_from(AnnualTheme)) == 1
    with pytest.raises(services.StandardError):
        services.set_theme(org.officer_root, org.root, YEAR, "   ", None)


def test_themes_of_the_units_above_show_top_first(org):
    services.set_theme(org.secretary, org.branch, YEAR, "Chuyên đề chi đoàn", None)
    services.set_theme(org.officer_root, org.root, YEAR, "Chuyên đề Đoàn Khối", None)
    services.set_theme(org.officer_root, org.grassroots_other, YEAR, "Của đơn vị khác", None)
    services.set_theme(org.officer_root, org.root, YEAR - 1, "Năm trước", None)
    assert [t.title for t in services.themes_for(org.branch, YEAR)] == [
        "Chuyên đề Đoàn Khối",
        "Chuyên đề chi đoàn",
    ]


def test_seed_demo_standards_is_repeatable(org):
    for _ in range(2):
        services.seed_demo_standards(org.root, org.branch, YEAR)
        db.session.commit()
    assert count_standards(org.root) == 5
    assert count_standards(org.branch) == 2
    themes = services.themes_for(org.branch, YEAR)
    assert len(themes) == 1 and "trong sạch, vững mạnh" in themes[0].title
    assert len(services.applicable_standards(org.branch, YEAR)) == 7


# ---- pages -------------------------------------------------------------------------------------


def test_a_member_reads_the_standards_and_themes_of_their_branch(client, org, tree, login):
    services.set_theme(org.officer_root, org.root, YEAR, "Học tập và làm theo Bác về tự lực, tự cường", None)
    db.session.commit()
    login("doanvien")
    response = client.get(f"/units/{org.branch.id}/standards?year={YEAR}")
    assert response.status_code == 200
    page = html(response)
    assert f"Chuẩn mực đạo đức năm {YEAR}" in page
    for title in ("Trung thành với lý tưởng", "Tiết kiệm điện, nước", "Đúng giờ, đúng hạn"):
        assert title in page
    assert "Chuẩn mực của chi đoàn bạn" not in page and "Đã ngừng áp dụng" not in page
    assert "Do Đoàn Khối các Cơ quan tỉnh ban hành" in page
    assert "Học tập và làm theo Bác về tự lực, tự cường" in page
    assert "Thêm chuẩn mực" not in page and "Áp dụng bộ chuẩn mực" not in page
    assert "/deactivate" not in page and "/edit" not in page
    assert 'style="' not in page and "<script>" not in page


@pytest.mark.clock
def test_the_page_defaults_to_this_year_in_vietnam(client, org, login):
    login("doanvien")
    page = html(client.get(f"/units/{org.branch.id}/standards"))
    assert f"Chuẩn mực đạo đức năm {today_local().year}" in page


@pytest.mark.parametrize(
    "year", ["abc", "1999", "2101", "-1", "99999999999999999999", "2026.5", "２０２６", "%00"]
)
def test_a_bad_year_is_a_404_never_a_500(client, org, login, year):
    login("bithu")
    assert client.get(f"/units/{org.branch.id}/standards?year={year}").status_code == 404
    assert client.get(f"/units/{org.branch.id}/theme?year={year}").status_code == 404
    assert client.get(f"/units/{org.branch.id}/standards/new?year={year}").status_code == 404
    assert (
        client.post(
            f"/units/{org.branch.id}/standards/adopt?year={year}", data={"catalogue": "3-tot"}
        ).status_code
        == 404
    )
    assert client.post(f"/units/{org.branch.id}/standards/copy-previous?year={year}").status_code == 404
    assert count_standards(org.branch) == 0


def test_a_manager_sees_the_tools(client, org, tree, login):
    login("bithu")
    page = html(client.get(f"/units/{org.branch.id}/standards?year={YEAR}"))
    assert "Thêm chuẩn mực" in page and "Áp dụng bộ chuẩn mực có sẵn" in page
    assert f"/standards/{tree['branch'].id}/edit" in page
    assert f"/standards/{tree['root'].id}/edit" not in page  # inherited: read-only here
    assert "Chuẩn mực đã ngừng áp dụng" in page and "Đã ngừng áp dụng" in page
    assert f"/standards/{tree['inactive'].id}/reactivate" in page


def test_a_member_cannot_change_anything(client, org, tree, login):
    login("doanvien")
    branch, standard = org.branch.id, tree["branch"].id
    assert client.get(f"/units/{branch}/standards/new?year={YEAR}").status_code == 403
    assert (
        client.post(
            f"/units/{branch}/standards/new?year={YEAR}", data={"group": "ethics", "title": "Của tôi"}
        ).status_code
        == 403
    )
    assert client.get(f"/standards/{standard}/edit").status_code == 403
    assert client.post(f"/standards/{standard}/deactivate").status_code == 403
    assert client.post(f"/standards/{tree['inactive'].id}/reactivate").status_code == 403
    assert (
        client.post(f"/units/{branch}/standards/adopt?year={YEAR}", data={"catalogue": "3-tot"}).status_code
        == 403
    )
    assert client.post(f"/units/{branch}/standards/copy-previous?year={YEAR + 1}").status_code == 403
    assert client.get(f"/units/{branch}/theme?year={YEAR}").status_code == 403
    assert client.post(f"/units/{branch}/theme?year={YEAR}", data={"title": "X"}).status_code == 403
    db.session.expire_all()
    assert count_standards(org.branch) == 3 and tree["branch"].is_active


def test_the_secretary_of_another_branch_gets_404(client, org, tree, login):
    login("bithub")
    branch, standard = org.branch.id, tree["branch"].id
    assert client.get(f"/units/{branch}/standards?year={YEAR}").status_code == 404
    assert client.get(f"/units/{branch}/standards/new?year={YEAR}").status_code == 404
    assert client.get(f"/standards/{standard}/edit").status_code == 404
    assert client.post(f"/standards/{standard}/deactivate").status_code == 404
    assert (
        client.post(f"/units/{branch}/standards/adopt?year={YEAR}", data={"catalogue": "3-tot"}).status_code
        == 404
    )
    assert client.get(f"/units/{branch}/theme?year={YEAR}").status_code == 404
    # Their own page shows what comes from above, but nothing of the other branch.
    page = html(client.get(f"/units/{org.branch_other.id}/standards?year={YEAR}"))
    assert "Trung thành với lý tưởng" in page and "Đúng giờ, đúng hạn" not in page


def test_a_branch_secretary_cannot_open_a_standard_from_above(client, org, tree, login):
    login("bithu")
    assert client.get(f"/standards/{tree['root'].id}/edit").status_code == 404
    assert client.post(f"/standards/{tree['root'].id}/deactivate").status_code == 404


@pytest.mark.parametrize("username", ["canbo", "quantri", "bithu", "phobithu"])
def test_officers_above_admins_and_secretaries_add_standards(client, org, login, username):
    login(username)
    form = client.get(f"/units/{org.branch.id}/standards/new?year={YEAR}&group=duties")
    assert form.status_code == 200 and 'selected value="duties"' in html(form)
    response = client.post(
        f"/units/{org.branch.id}/standards/new?year={YEAR}",
        data={"group": "duties", "title": "Không để hồ sơ quá hạn", "description": "Theo dõi hạn mỗi sáng."},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/units/{org.branch.id}/standards?year={YEAR}#group-duties")
    standard = db.session.scalar(select(Standard).where(Standard.title == "Không để hồ sơ quá hạn"))
    assert (standard.unit_id, standard.year, standard.group) == (org.branch.id, YEAR, ContentGroup.DUTIES)


def test_an_officer_above_edits_the_top_units_standards(client, org, tree, login):
    login("canbo")
    url = f"/standards/{tree['root'].id}/edit"
    form = html(client.get(url))
    assert 'value="Trung thành với lý tưởng"' in form and 'selected value="politics"' in form
    response = client.post(url, data={"group": "politics", "title": "Kiên định lý tưởng", "description": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert tree["root"].title == "Kiên định lý tưởng"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"group": "ethics", "title": ""}, "Vui lòng nhập tên chuẩn mực."),
        ({"group": "ethics", "title": "x" * 201}, "Tối đa 200 ký tự (hiện có 201)."),
        (
            {"group": "ethics", "title": "Đúng giờ", "description": "y" * 2001},
            "Tối đa 2.000 ký tự (hiện có 2.001).",
        ),
        ({"group": "khong-co", "title": "Đúng giờ"}, "Vui lòng chọn một mục trong danh sách."),
        ({"title": "Đúng giờ"}, "Vui lòng chọn"),
    ],
)
def test_bad_input_is_explained_and_what_was_typed_stays(client, org, login, data, message):
    login("bithu")
    data = {"description": "Biểu hiện cụ thể đã gõ", **data}
    response = client.post(f"/units/{org.branch.id}/standards/new?year={YEAR}", data=data)
    assert response.status_code == 200
    page = html(response)
    assert message in page and 'class="invalid-feedback"' in page
    assert data["description"][:40] in page
    if data.get("title"):
        assert data["title"][:40] in page
    assert count_standards(org.branch) == 0


def test_edit_keeps_what_was_typed_on_error(client, org, tree, login):
    login("bithu")
    response = client.post(
        f"/standards/{tree['branch'].id}/edit",
        data={"group": "discipline", "title": "", "description": "Mô tả mới đang gõ"},
    )
    assert response.status_code == 200
    assert "Vui lòng nhập tên chuẩn mực." in html(response) and "Mô tả mới đang gõ" in html(response)
    db.session.expire_all()
    assert tree["branch"].title == "Đúng giờ, đúng hạn"


def test_deactivate_and_reactivate_through_the_page(client, org, tree, login):
    login("phobithu")
    standard_id = tree["branch"].id
    response = client.post(f"/standards/{standard_id}/deactivate")
    assert response.status_code == 302
    assert f"year={YEAR}" in response.headers["Location"]
    db.session.expire_all()
    assert not db.session.get(Standard, standard_id).is_active
    page = html(client.get(f"/units/{org.branch.id}/standards?year={YEAR}"))
    active_part, inactive_part = page.split('id="inactive"')
    assert '<div class="fw-semibold">Đúng giờ, đúng hạn</div>' not in active_part
    assert "Đúng giờ, đúng hạn" in inactive_part
    client.post(f"/standards/{standard_id}/reactivate")
    db.session.expire_all()
    assert db.session.get(Standard, standard_id).is_active


def test_adopt_through_the_page_and_again(client, org, login):
    login("quantri")
    url = f"/units/{org.branch.id}/standards/adopt?year={YEAR}"
    response = client.post(url, data={"catalogue": "5-dieu-bac-ho-day"})
    assert response.status_code == 302
    assert count_standards(org.branch) == 5
    page = html(client.get(f"/units/{org.branch.id}/standards?year={YEAR}", follow_redirects=True))
    assert "Yêu Tổ quốc, yêu đồng bào" in page and "Theo bộ “5 điều Bác Hồ dạy”" in page
    assert "đã áp dụng" in page

    again = client.post(url, data={"catalogue": "5-dieu-bac-ho-day"})
    assert again.status_code == 200
    assert "không thêm lại để tránh trùng lặp" in html(again) and 'class="invalid-feedback"' in html(again)
    assert count_standards(org.branch) == 5

    bad = client.post(url, data={"catalogue": "khong-co"})
    assert bad.status_code == 200 and "Vui lòng chọn một mục trong danh sách." in html(bad)


def test_copy_previous_year_through_the_page(client, org, login):
    add_standard(org.branch, "Đúng giờ", year=YEAR - 1)
    add_standard(org.branch, "Tiết kiệm", year=YEAR - 1)
    login("bithu")
    page = html(client.get(f"/units/{org.branch.id}/standards?year={YEAR}"))
    assert f"Chép chuẩn mực năm {YEAR - 1}" in page
    response = client.post(f"/units/{org.branch.id}/standards/copy-previous?year={YEAR}")
    assert response.status_code == 302
    assert count_standards(org.branch) == 2
    page = html(client.get(f"/units/{org.branch.id}/standards?year={YEAR}"))
    assert f"Chép chuẩn mực năm {YEAR - 1}" not in page
    # A second click changes nothing and says why.
    response = client.post(
        f"/units/{org.branch.id}/standards/copy-previous?year={YEAR}", follow_redirects=True
    )
    assert f"Năm {YEAR} đã có chuẩn mực" in html(response)
    assert count_standards(org.branch) == 2


def test_the_copy_button_needs_a_previous_year(client, org, login):
    login("bithu")
    assert "Chép chuẩn mực năm" not in html(client.get(f"/units/{org.branch.id}/standards?year={YEAR}"))


def test_theme_set_and_edited_through_the_page_and_seen_below(client, org, login):
    login("canbo")
    url = f"/units/{org.root.id}/theme?year={YEAR}"
    assert "Đặt chuyên đề năm" in html(client.get(url))
    bad = client.post(url, data={"title": "", "description": "Nội dung trọng tâm đang gõ"})
    assert bad.status_code == 200
    assert "Vui lòng nhập tên chuyên đề." in html(bad) and "Nội dung trọng tâm đang gõ" in html(bad)
    response = client.post(url, data={"title": "Chuyên đề Đoàn Khối", "description": ""})
    assert response.status_code == 302
    form = html(client.get(url))
    assert "Sửa chuyên đề năm" in form and "Chuyên đề Đoàn Khối</textarea>" in form
    client.post(url, data={"title": "Chuyên đề Đoàn Khối (sửa)", "description": ""})
    assert db.session.scalar(select(func.count()).select_from(AnnualTheme)) == 1

    client.post("/logout")
    login("bithu")
    branch_theme = html(client.get(f"/units/{org.branch.id}/theme?year={YEAR}"))
    assert "Chuyên đề của cấp trên" in branch_theme and "Chuyên đề Đoàn Khối (sửa)" in branch_theme
    client.post(f"/units/{org.branch.id}/theme?year={YEAR}", data={"title": "Chuyên đề chi đoàn"})
    client.post("/logout")
    login("doanvien")
    page = html(client.get(f"/units/{org.branch.id}/standards?year={YEAR}"))
    assert page.index("Chuyên đề Đoàn Khối (sửa)") < page.index("Chuyên đề chi đoàn")
