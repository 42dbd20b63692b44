"""The unit tree: creating, editing and moving units, and who sees which units."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from app.core.db import db
from app.core.enums import OrgType, Role, UnitKind
from app.units import services
from app.units.models import Unit


def html(response) -> str:
    return response.get_data(as_text=True)


def paths() -> dict[str, str]:
    db.session.expire_all()
    return dict(db.session.execute(select(Unit.code, Unit.path)).all())


# ---- creating --------------------------------------------------------------------------------


def test_admin_creates_a_root_unit(client, org, login):
    login("quantri")
    response = client.post(
        "/units/new",
        data={
            "name": "  Tỉnh đoàn   Sóc Trăng ",
            "code": "td-st",
            "kind": "sector_union",
            "place": "Sóc Trăng",
        },
    )
    assert response.status_code == 302
    unit = db.session.scalar(select(Unit).where(Unit.code == "TD-ST"))
    assert unit.name == "Tỉnh đoàn Sóc Trăng"
    assert unit.parent_id is None and unit.path == f"/{unit.id}/"
    assert unit.org_type is OrgType.YOUTH_UNION
    assert response.headers["Location"].endswith(f"/units/{unit.id}")


def test_officer_creates_a_unit_under_their_own(client, org, login):
    login("canbo")
    form = client.get(f"/units/new?parent_id={org.grassroots.id}")
    assert form.status_code == 200
    assert 'selected value="branch"' in html(form)  # a Chi đoàn is the likely kind under a Đoàn cơ sở
    response = client.post(
        f"/units/new?parent_id={org.grassroots.id}",
        data={"name": "Chi đoàn Phòng Tiểu học", "code": "CD-TH", "kind": "branch", "place": ""},
    )
    assert response.status_code == 302
    unit = db.session.scalar(select(Unit).where(Unit.code == "CD-TH"))
    assert unit.path == f"{org.grassroots.path}{unit.id}/"
    assert unit.place == "Sóc Trăng"  # inherited from the parent when left empty


def test_a_unit_code_is_unique_whatever_its_case(client, org, login):
    login("quantri")
    response = client.post(
        f"/units/new?parent_id={org.grassroots.id}",
        data={"name": "Chi đoàn Mới", "code": "cda", "kind": "branch", "place": "Sóc Trăng"},
    )
    assert response.status_code == 200
    page = html(response)
    assert "Mã đơn vị CDA đã được dùng cho “Chi đoàn Văn phòng”." in page
    assert 'value="Chi đoàn Mới"' in page
    assert db.session.scalar(select(Unit).where(Unit.name == "Chi đoàn Mới")) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "code": "X1"}, "Vui lòng nhập tên đơn vị."),
        ({"name": "Chi đoàn", "code": ""}, "Vui lòng nhập mã đơn vị."),
        ({"name": "Chi đoàn", "code": "CĐ-VP"}, "Mã đơn vị chỉ gồm chữ không dấu"),
        ({"name": "Chi đoàn", "code": "CD VP"}, "Mã đơn vị chỉ gồm chữ không dấu"),
        ({"name": "x" * 201, "code": "X1"}, "Tối đa 200 ký tự (hiện có 201)."),
        ({"name": "Chi đoàn", "code": "X" * 33}, "Tối đa 32 ký tự (hiện có 33)."),
        ({"name": "Chi đoàn", "code": "X1", "place": "p" * 101}, "Tối đa 100 ký tự (hiện có 101)."),
        ({"name": "\x00\x07\x1b", "code": "X1"}, "Vui lòng nhập tên đơn vị."),
    ],
)
def test_unit_form_refusals_are_vietnamese(client, org, login, data, message):
    login("quantri")
    data = {"kind": "branch", "place": "Sóc Trăng", **data}
    response = client.post(f"/units/new?parent_id={org.grassroots.id}", data=data)
    assert response.status_code == 200
    assert message in html(response)
    assert 'class="invalid-feedback"' in html(response)
    assert db.session.scalar(select(Unit).where(Unit.code == "X1")) is None


def test_control_characters_are_dropped_from_unit_names(client, org, login):
    login("quantri")
    client.post(
        f"/units/new?parent_id={org.grassroots.id}",
        data={"name": "Chi\x00 đoàn\x1b Mới\u200b", "code": "X1", "kind": "branch", "place": ""},
    )
    unit = db.session.scalar(select(Unit).where(Unit.code == "X1"))
    assert "\x00" not in unit.name and "\x1b" not in unit.name
    assert unit.name.startswith("Chi đoàn Mới")


def test_unit_names_are_stored_nfc(client, org, login):
    import unicodedata

    login("quantri")
    decomposed = unicodedata.normalize("NFD", "Chi đoàn Phòng Tổ chức")
    client.post(
        f"/units/new?parent_id={org.grassroots.id}",
        data={"name": decomposed, "code": "X1", "kind": "branch", "place": ""},
    )
    assert db.session.scalar(select(Unit.name).where(Unit.code == "X1")) == "Chi đoàn Phòng Tổ chức"


def test_a_branch_has_no_units_under_it(client, org, login):
    login("quantri")
    response = client.post(
        f"/units/new?parent_id={org.branch.id}",
        data={"name": "Tổ đoàn 1", "code": "TD1", "kind": "branch", "place": ""},
    )
    assert response.status_code == 200
    assert "Chi đoàn là cấp cơ sở, không có đơn vị trực thuộc." in html(response)
    with pytest.raises(services.UnitError):
        services.create_unit(
            org.admin, name="Tổ", code="T2", kind=UnitKind.BRANCH, parent=org.party_cell, place=None
        )


def test_youth_union_and_party_units_do_not_mix(client, org, login):
    login("quantri")
    response = client.post(
        f"/units/new?parent_id={org.root.id}",
        data={"name": "Chi bộ lạc", "code": "CBL", "kind": "party_cell", "place": ""},
    )
    assert response.status_code == 200
    assert "Vui lòng chọn một mục trong danh sách." in html(response)
    assert "Not a valid choice" not in html(response)
    with pytest.raises(services.UnitError, match="cùng tổ chức"):
        services.create_unit(
            org.admin, name="Chi bộ", code="CB2", kind=UnitKind.PARTY_CELL, parent=org.root, place=None
        )
    assert db.session.scalar(select(Unit).where(Unit.code.in_(["CBL", "CB2"]))) is None


def test_only_admins_create_root_units(client, org, login):
    login("canbo")
    assert client.get("/units/new").status_code == 403
    with pytest.raises(Forbidden):
        services.create_unit(
            org.officer_root, name="X", code="X", kind=UnitKind.SECTOR_UNION, parent=None, place=None
        )


# ---- editing ---------------------------------------------------------------------------------


def test_officer_renames_a_unit_below(client, org, login):
    login("canbo")
    form = client.get(f"/units/{org.branch.id}/edit")
    assert 'value="Chi đoàn Văn phòng"' in html(form)
    response = client.post(
        f"/units/{org.branch.id}/edit",
        data={"name": "Chi đoàn Văn phòng Sở", "code": "cda-2", "kind": "branch", "place": "Vĩnh Châu"},
    )
    assert response.status_code == 302
    unit = db.session.get(Unit, org.branch.id)
    db.session.refresh(unit)
    assert (unit.name, unit.code, unit.place) == ("Chi đoàn Văn phòng Sở", "CDA-2", "Vĩnh Châu")


def test_a_unit_with_units_under_it_cannot_become_a_branch(client, org, login):
    login("quantri")
    response = client.post(
        f"/units/{org.grassroots.id}/edit",
        data={"name": "Đoàn cơ sở Sở Giáo dục", "code": "DCS1", "kind": "branch", "place": ""},
    )
    assert response.status_code == 200
    assert "Đơn vị đang có đơn vị trực thuộc nên không thể là Chi đoàn." in html(response)
    assert db.session.get(Unit, org.grassroots.id).kind is UnitKind.GRASSROOTS_UNION


def test_a_unit_cannot_change_organisation(org):
    with pytest.raises(services.UnitError, match="tổ chức khác"):
        services.update_unit(
            org.admin, org.branch, name="Chi bộ", code="CDA", kind=UnitKind.PARTY_CELL, place=None
        )


def test_editing_keeps_its_own_code(client, org, login):
    login("quantri")
    response = client.post(
        f"/units/{org.branch.id}/edit",
        data={"name": "Chi đoàn Văn phòng", "code": "CDA", "kind": "branch", "place": ""},
    )
    assert response.status_code == 302


def test_editing_to_another_units_code_is_refused(client, org, login):
    login("quantri")
    response = client.post(
        f"/units/{org.branch.id}/edit",
        data={"name": "Chi đoàn Văn phòng", "code": "cdb", "kind": "branch", "place": ""},
    )
    assert response.status_code == 200
    assert "Mã đơn vị CDB đã được dùng cho “Chi đoàn Bệnh viện”." in html(response)


# ---- moving ----------------------------------------------------------------------------------


def test_move_rewrites_the_path_of_the_whole_subtree(client, org, login):
    login("quantri")
    form = client.get(f"/units/{org.grassroots.id}/move")
    assert form.status_code == 200
    page = html(form)
    # Only Đoàn units that are not branches and not in the moved subtree are offered.
    assert "Đoàn cơ sở Sở Y tế" in page
    assert "Chi đoàn Bệnh viện" not in page and "Đảng bộ Sở" not in page and "Chi đoàn Văn phòng" not in page

    response = client.post(f"/units/{org.grassroots.id}/move", data={"parent_id": org.grassroots_other.id})
    assert response.status_code == 302
    new = paths()
    g2 = new["DCS2"]
    assert new["DCS1"] == f"{g2}{org.grassroots.id}/"
    assert new["CDA"] == f"{g2}{org.grassroots.id}/{org.branch.id}/"
    assert new["CDA2"] == f"{g2}{org.grassroots.id}/{org.branch_sibling.id}/"
    assert new["CDB"] == f"{g2}{org.branch_other.id}/"  # untouched
    assert db.session.get(Unit, org.grassroots.id).parent_id == org.grassroots_other.id
    # The officer of the new parent now oversees the moved branches.
    client.post("/logout")
    login("canbo2")
    assert client.get(f"/units/{org.branch.id}").status_code == 200


def test_moving_into_its_own_subtree_is_refused(client, org, login, make_unit):
    joint = make_unit("Liên chi đoàn", UnitKind.JOINT_BRANCH, org.grassroots, code="LCD")
    login("quantri")
    response = client.post(f"/units/{org.grassroots.id}/move", data={"parent_id": joint.id})
    assert response.status_code == 200
    assert "Vui lòng chọn một mục trong danh sách." in html(response)
    with pytest.raises(services.UnitError, match="chính nó"):
        services.move_unit(org.admin, org.grassroots, joint)
    with pytest.raises(services.UnitError, match="chính nó"):
        services.move_unit(org.admin, org.grassroots, org.grassroots)
    assert db.session.get(Unit, org.grassroots.id).parent_id == org.root.id


def test_moving_across_organisations_or_under_a_branch_is_refused(org):
    with pytest.raises(services.UnitError, match="cùng tổ chức"):
        services.move_unit(org.admin, org.branch, db.session.get(Unit, org.party_cell.parent_id))
    with pytest.raises(services.UnitError, match="không có đơn vị trực thuộc"):
        services.move_unit(org.admin, org.branch, org.branch_other)


def test_moving_a_branch_to_another_grassroots_union(client, org, login):
    login("quantri")
    response = client.post(
        f"/units/{org.branch.id}/move", data={"parent_id": org.grassroots_other.id}, follow_redirects=True
    )
    assert "Đã chuyển Chi đoàn Văn phòng về trực thuộc Đoàn cơ sở Sở Y tế." in html(response)
    assert paths()["CDA"] == f"{org.root.path}{org.grassroots_other.id}/{org.branch.id}/"


@pytest.mark.parametrize("username", ["canbo", "bithu"])
def test_only_administrators_move_units(client, org, login, username):
    login(username)
    assert client.get(f"/units/{org.branch.id}/move").status_code == 403
    assert (
        client.post(f"/units/{org.branch.id}/move", data={"parent_id": org.grassroots_other.id}).status_code
        == 403
    )
    assert paths()["CDA"] == f"{org.grassroots.path}{org.branch.id}/"


def test_a_root_unit_is_not_moved(client, org, login):
    login("quantri")
    assert client.get(f"/units/{org.root.id}/move").status_code == 403


def test_subtree_lists_the_unit_and_everything_under_it(org):
    codes = [u.code for u in services.subtree(org.grassroots)]
    assert codes[0] == "DCS1" and sorted(codes) == ["CDA", "CDA2", "DCS1"]


# ---- seeing units ----------------------------------------------------------------------------


def test_tree_shows_what_the_officer_oversees(client, org, login):
    login("canbo")
    page = html(client.get("/units/"))
    for name in (
        "Đoàn Khối các Cơ quan tỉnh",
        "Đoàn cơ sở Sở Giáo dục",
        "Chi đoàn Văn phòng",
        "Chi đoàn Bệnh viện",
    ):
        assert name in page
    assert "Đảng bộ Sở" not in page and "Chi bộ Văn phòng" not in page
    assert "4 người" in page  # Chi đoàn Văn phòng: secretary, deputy, two members


def test_tree_of_a_secretary_is_their_branch(client, org, login):
    login("bithu")
    page = html(client.get("/units/"))
    assert "Chi đoàn Văn phòng" in page
    assert "Chi đoàn Bệnh viện" not in page and "Đoàn Khối" not in page


def test_a_user_without_units_has_no_tree(client, make_user, login):
    make_user("lonely")
    login("lonely")
    assert client.get("/units/").status_code == 403


def test_an_empty_installation_shows_the_admin_how_to_start(client, make_user, login):
    make_user("quantri", is_admin=True)
    login("quantri")
    page = html(client.get("/units/"))
    assert "Chưa có đơn vị nào." in page and "Thêm đơn vị cấp cao nhất" in page


def test_an_officer_of_unit_1_does_not_see_unit_11(client, make_unit, make_user, login):
    """Paths end with a slash, so "/1/" is not a prefix of "/11/"."""
    units = [make_unit(f"Tỉnh đoàn số {i}", UnitKind.SECTOR_UNION, code=f"TD{i}") for i in range(11)]
    while True:
        pair = next(
            ((a, b) for a in units for b in units if a is not b and str(b.id).startswith(str(a.id))), None
        )
        if pair:
            break
        units.append(make_unit(f"Tỉnh đoàn số {len(units)}", UnitKind.SECTOR_UNION, code=f"TD{len(units)}"))
    one, eleven = pair
    make_user("canbo", one, Role.OFFICER)
    login("canbo")
    assert client.get(f"/units/{one.id}").status_code == 200
    assert client.get(f"/units/{eleven.id}").status_code == 404
    tree = html(client.get("/units/"))
    assert f'href="/units/{one.id}"' in tree and f'href="/units/{eleven.id}"' not in tree


def test_unit_page_shows_children_and_actions_by_permission(client, org, login):
    login("canbo")
    page = html(client.get(f"/units/{org.grassroots.id}"))
    assert "Chi đoàn Văn phòng" in page and "Chi đoàn Phòng Trung học" in page
    assert "Thêm đơn vị trực thuộc" in page and "Sửa" in page
    assert "/move" not in page  # officers do not move units
    client.post("/logout")
    login("bithu")
    page = html(client.get(f"/units/{org.branch.id}"))
    assert "Thêm thành viên" in page
    assert f"/units/{org.branch.id}/edit" not in page
