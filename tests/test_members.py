"""People: adding and inviting members, roles, removal, deactivation, profiles and search."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.core.clock import today_local
from app.core.db import db
from app.core.enums import Role
from app.mail.models import OutboxMessage
from app.members import services
from app.units.models import Membership
from tests.conftest import PASSWORD


def html(response) -> str:
    return response.get_data(as_text=True)


def user_named(username: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def membership_of(user: User, unit) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.unit_id == unit.id)
    )


def add_new(client, unit, **fields):
    data = {"new-role": "member", "new-submit": "1"}
    data.update({f"new-{key}": value for key, value in fields.items()})
    return client.post(f"/units/{unit.id}/members/add", data=data)


# ---- adding people ---------------------------------------------------------------------------


def test_secretary_adds_and_invites_a_new_member(client, org, login):
    login("bithu")
    response = add_new(
        client,
        org.branch,
        full_name="  Lý  Thị Hồng   Nhung ",
        email=" Nhung@Example.VN ",
        birth_date="1999-05-08",
        phone="0912 345 678",
        position="Kế toán",
        send_invite="y",
    )
    assert response.status_code == 302
    person = user_named("nhunglth")
    assert person is not None
    assert response.headers["Location"].endswith(f"/people/{person.id}")
    assert person.full_name == "Lý Thị Hồng Nhung" and person.name_folded == "ly thi hong nhung"
    assert person.email == "nhung@example.vn"
    assert person.birth_date == date(1999, 5, 8)
    assert (person.phone, person.position) == ("0912 345 678", "Kế toán")
    assert person.password_hash is None and not person.is_activated and person.is_active
    assert membership_of(person, org.branch).role is Role.MEMBER
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.recipient == "nhung@example.vn" and message.user_id == person.id
    page = html(client.get(response.headers["Location"]))
    assert "Đã thêm Lý Thị Hồng Nhung (tên đăng nhập: nhunglth)." in page
    assert "Chưa kích hoạt" in page and "/activate/" in page


def test_adding_without_invitation_sends_nothing(client, org, login):
    login("bithu")
    add_new(client, org.branch, full_name="Lý Thị Hồng Nhung", email="nhung@example.vn")
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_adding_someone_without_email_says_how_to_invite(client, org, login):
    login("bithu")
    response = add_new(client, org.branch, full_name="Danh Sơn", send_invite="y")
    page = html(client.get(response.headers["Location"]))
    assert "Người này chưa có email" in page
    assert user_named("sond").email is None


def test_generated_usernames_do_not_collide(client, org, login):
    login("bithu")
    for _ in range(3):
        assert add_new(client, org.branch, full_name="Nguyễn Văn An").status_code == 302
    names = db.session.scalars(select(User.username).where(User.full_name == "Nguyễn Văn An")).all()
    assert sorted(names) == ["annv", "annv2", "annv3"]


def test_chosen_username_is_lowercased(client, org, login):
    login("bithu")
    add_new(client, org.branch, full_name="Nguyễn Văn An", username="AnNguyen.96")
    assert user_named("annguyen.96") is not None


BAD_INPUT = [
    ({"full_name": ""}, "Vui lòng nhập họ và tên."),
    ({"full_name": "\x00\x01\x1f"}, "Vui lòng nhập họ và tên."),
    ({"full_name": "A" * 121}, "Tối đa 120 ký tự (hiện có 121)."),
    ({"email": "khong-phai-email"}, "Email không hợp lệ (ví dụ: ten@gmail.com)."),
    ({"email": "a@" + "b" * 250 + ".vn"}, "Tối đa 254 ký tự"),
    (
        {"email": "duyen@example.vn"},
        "Email duyen@example.vn đã được dùng cho tài khoản “Nguyễn Thị Mỹ Duyên”.",
    ),
    (
        {"email": "DUYEN@example.vn"},
        "Email duyen@example.vn đã được dùng cho tài khoản “Nguyễn Thị Mỹ Duyên”.",
    ),
    ({"username": "doanvien"}, "Tên đăng nhập doanvien đã có người dùng."),
    ({"username": "DoanVien"}, "Tên đăng nhập doanvien đã có người dùng."),
    ({"username": "tên có dấu"}, "Tên đăng nhập gồm 2–64 ký tự"),
    ({"username": "a b"}, "Tên đăng nhập gồm 2–64 ký tự"),
    ({"username": "x" * 65}, "Tối đa 64 ký tự (hiện có 65)."),
    # Read when the test runs (its clock), not when it is collected.
    (
        {"birth_date": lambda: (today_local() + timedelta(days=1)).isoformat()},
        "Ngày sinh không thể ở tương lai.",
    ),
    ({"birth_date": "1850-01-01"}, "Ngày sinh phải từ năm 1900 trở đi."),
    ({"birth_date": "31/02/2000"}, "Ngày không hợp lệ"),
    ({"birth_date": "2000-02-31"}, "Ngày không hợp lệ"),
    ({"phone": "abc"}, "Số điện thoại chỉ gồm chữ số"),
    ({"phone": "0" * 40}, "Số điện thoại chỉ gồm chữ số"),
    ({"position": "p" * 121}, "Tối đa 120 ký tự (hiện có 121)."),
    ({"role": "secretary"}, "Vui lòng chọn"),
    ({"role": "officer"}, "Vui lòng chọn"),
    ({"role": "khong-co"}, "Vui lòng chọn"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_INPUT, ids=[m[:30] for _, m in BAD_INPUT])
def test_bad_input_is_refused_next_to_the_field_and_the_rest_is_kept(client, org, login, fields, message):
    login("bithu")
    data = {
        "full_name": "Lý Thị Hồng Nhung",
        "email": "nhung@example.vn",
        "position": "Kế toán",
        "phone": "0912345678",
        **{name: value() if callable(value) else value for name, value in fields.items()},
    }
    response = add_new(client, org.branch, **data)
    assert response.status_code == 200
    page = html(response)
    assert message in page
    assert 'class="invalid-feedback"' in page and "Not a valid" not in page
    for key, value in data.items():
        if key not in fields and key != "role":
            assert f'value="{value}"' in page, key
    users = db.session.scalars(select(User.username)).all()
    assert len(users) == 9  # nobody was added


def test_nul_bytes_and_control_characters_are_dropped_not_stored(client, org, login):
    login("bithu")
    response = add_new(
        client,
        org.branch,
        full_name="Lý Thị\x00 Hồng\x07 Nhung",
        position="Kế\x00 toán\x1b",
        email="nhung\x00@example.vn",
    )
    assert response.status_code == 302
    person = user_named("nhunglth")
    assert person.full_name == "Lý Thị Hồng Nhung"
    assert person.position == "Kế toán" and person.email == "nhung@example.vn"


def test_a_secretary_cannot_give_roles_above_their_own(client, org, login):
    login("bithu")
    page = html(client.get(f"/units/{org.branch.id}/members/add"))
    assert 'value="deputy_secretary"' in page and 'value="secretary"' not in page
    with pytest.raises(services.MemberError, match="không thể giao vai trò"):
        services.add_member(org.secretary, org.branch, full_name="X", role=Role.SECRETARY)


def test_a_deputy_adds_only_members(client, org, login):
    login("phobithu")
    page = html(client.get(f"/units/{org.branch.id}/members/add"))
    assert 'value="member"' in page and 'value="deputy_secretary"' not in page
    assert (
        add_new(client, org.branch, full_name="Lý Thị Hồng Nhung", role="deputy_secretary").status_code == 200
    )
    assert add_new(client, org.branch, full_name="Lý Thị Hồng Nhung").status_code == 302


def test_an_officer_appoints_a_secretary(client, org, login):
    login("canbo")
    assert (
        add_new(client, org.branch_other, full_name="Thạch Thị Sa Rinh", role="secretary").status_code == 302
    )
    assert membership_of(user_named("rinhtts"), org.branch_other).role is Role.SECRETARY


def test_a_party_cell_calls_its_members_dang_vien(client, org, login):
    login("quantri")
    page = html(client.get(f"/units/{org.party_cell.id}/members/add"))
    assert ">Đảng viên<" in page and ">Đoàn viên<" not in page


# ---- someone who already has an account ------------------------------------------------------


def test_add_an_existing_account_to_another_unit(client, org, login):
    login("quantri")
    response = client.post(
        f"/units/{org.party_cell.id}/members/add",
        data={"existing-login": "bithu", "existing-role": "member", "existing-submit": "1"},
    )
    assert response.status_code == 302
    assert membership_of(org.secretary, org.party_cell).role is Role.MEMBER
    assert membership_of(org.secretary, org.branch).role is Role.SECRETARY


def test_add_existing_by_email(client, org, login):
    login("canbo")
    client.post(
        f"/units/{org.branch_other.id}/members/add",
        data={"existing-login": "Duyen@Example.vn", "existing-role": "member", "existing-submit": "1"},
    )
    assert membership_of(org.member, org.branch_other) is not None


@pytest.mark.parametrize(
    ("login_name", "message"),
    [
        ("doanvien2", "Đặng Văn Đạt đã thuộc Chi đoàn Văn phòng."),
        ("", "Vui lòng nhập tên đăng nhập hoặc email."),
        ("x" * 300, "Tối đa 254 ký tự (hiện có 300)."),
    ],
)
def test_add_existing_refusals(client, org, login, login_name, message):
    login("bithu")
    response = client.post(
        f"/units/{org.branch.id}/members/add",
        data={"existing-login": login_name, "existing-role": "member", "existing-submit": "1"},
    )
    assert response.status_code == 200
    assert message in html(response)


# ---- roles and removal -----------------------------------------------------------------------


def test_secretary_promotes_a_member_to_deputy(client, org, login):
    login("bithu")
    membership = membership_of(org.member, org.branch)
    response = client.post(f"/memberships/{membership.id}/role", data={"role": "deputy_secretary"})
    assert response.status_code == 302
    db.session.expire_all()
    assert membership_of(org.member, org.branch).role is Role.DEPUTY_SECRETARY


def test_secretary_cannot_make_someone_secretary(client, org, login):
    login("bithu")
    membership = membership_of(org.member, org.branch)
    response = client.post(f"/memberships/{membership.id}/role", data={"role": "secretary"})
    assert response.status_code == 200
    assert "Vui lòng chọn một mục trong danh sách." in html(response)
    db.session.expire_all()
    assert membership_of(org.member, org.branch).role is Role.MEMBER


def test_nobody_changes_their_own_role(client, org, login):
    login("bithu")
    own = membership_of(org.secretary, org.branch)
    assert client.get(f"/memberships/{own.id}/role").status_code == 403
    assert client.post(f"/memberships/{own.id}/remove").status_code == 403


def test_a_deputy_cannot_touch_the_secretary(client, org, login):
    login("phobithu")
    secretary = membership_of(org.secretary, org.branch)
    assert client.post(f"/memberships/{secretary.id}/role", data={"role": "member"}).status_code == 403
    assert client.post(f"/memberships/{secretary.id}/remove").status_code == 403


def test_officer_replaces_a_secretary(client, org, login):
    login("canbo")
    secretary = membership_of(org.secretary, org.branch)
    assert client.post(f"/memberships/{secretary.id}/role", data={"role": "member"}).status_code == 302
    db.session.expire_all()
    assert membership_of(org.secretary, org.branch).role is Role.MEMBER


def test_remove_from_unit_keeps_the_account(client, org, login):
    login("bithu")
    membership = membership_of(org.member2, org.branch)
    response = client.post(f"/memberships/{membership.id}/remove", follow_redirects=True)
    assert "Đã đưa Đặng Văn Đạt ra khỏi đơn vị." in html(response)
    db.session.expire_all()
    assert membership_of(org.member2, org.branch) is None
    person = user_named("doanvien2")
    assert person is not None and person.is_active
    assert "Đặng Văn Đạt" not in html(client.get(f"/units/{org.branch.id}/members"))
    # They are no longer the secretary's to see.
    assert client.get(f"/people/{person.id}").status_code == 404


def test_memberships_of_other_branches_are_not_found(client, org, login):
    login("bithu")
    other = membership_of(org.member_other, org.branch_other)
    assert client.get(f"/memberships/{other.id}/role").status_code == 404
    assert client.post(f"/memberships/{other.id}/remove").status_code == 404
    assert membership_of(org.member_other, org.branch_other) is not None


# ---- deactivation ----------------------------------------------------------------------------


def test_deactivation_ends_sessions_blocks_login_and_keeps_data(app, client, org, login):
    device = app.test_client()
    assert device.post("/login", data={"login": "doanvien", "password": PASSWORD}).status_code == 302
    login("bithu")
    response = client.post(f"/people/{org.member.id}/deactivate", follow_redirects=True)
    assert "Đã khóa tài khoản của Nguyễn Thị Mỹ Duyên. Dữ liệu của họ vẫn được giữ." in html(response)
    person = user_named("doanvien")
    assert not person.is_active and person.deactivated_at is not None
    assert membership_of(person, org.branch) is not None
    assert device.get("/").status_code == 302
    assert device.post("/login", data={"login": "doanvien", "password": PASSWORD}).status_code == 200
    assert "Đã khóa" in html(client.get(f"/units/{org.branch.id}/members"))

    client.post(f"/people/{org.member.id}/reactivate")
    assert user_named("doanvien").is_active and user_named("doanvien").deactivated_at is None
    assert device.post("/login", data={"login": "doanvien", "password": PASSWORD}).status_code == 302


def test_nobody_deactivates_themselves(client, org, login):
    login("quantri")
    assert client.post(f"/people/{org.admin.id}/deactivate").status_code == 403
    assert user_named("quantri").is_active


def test_a_secretary_cannot_lock_someone_who_belongs_elsewhere_too(client, org, login):
    db.session.add(Membership(user=org.member2, unit=org.party_cell, role=Role.MEMBER))
    db.session.commit()
    login("bithu")
    assert client.post(f"/people/{org.member2.id}/deactivate").status_code == 403
    assert client.get(f"/people/{org.member2.id}/edit").status_code == 403
    assert user_named("doanvien2").is_active


def test_a_secretary_cannot_lock_an_administrator_in_their_branch(client, org, login):
    db.session.add(Membership(user=org.admin, unit=org.branch, role=Role.MEMBER))
    db.session.commit()
    login("bithu")
    assert client.post(f"/people/{org.admin.id}/deactivate").status_code == 403


def test_invitation_for_an_activated_account_is_refused(client, org, login):
    login("bithu")
    response = client.post(f"/people/{org.member.id}/invite", follow_redirects=True)
    assert "Nguyễn Thị Mỹ Duyên đã kích hoạt tài khoản." in html(response)
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_invitation_for_a_locked_account_is_refused(client, org, login, make_user):
    person = make_user("moi", org.branch, password=None, email="moi@example.vn", active=False)
    login("bithu")
    response = client.post(f"/people/{person.id}/invite", follow_redirects=True)
    assert "Tài khoản đang bị khóa" in html(response)


# ---- profiles --------------------------------------------------------------------------------


def test_a_member_edits_their_own_details(client, org, login):
    login("doanvien")
    response = client.post(
        f"/people/{org.member.id}/edit",
        data={
            "full_name": "Nguyễn Thị Mỹ Duyên",
            "email": "myduyen@example.vn",
            "birth_date": "1999-01-02",
            "phone": "",
            "position": "Chuyên viên",
        },
    )
    assert response.status_code == 302
    person = user_named("doanvien")
    assert (person.email, person.birth_date, person.position) == (
        "myduyen@example.vn",
        date(1999, 1, 2),
        "Chuyên viên",
    )
    page = html(client.get(f"/people/{org.member.id}"))
    assert "02/01/1999" in page


def test_editing_to_a_taken_email_is_refused_and_keeps_the_rest(client, org, login, make_user):
    make_user("khac", email="khac@example.vn", full_name="Người Khác")
    login("doanvien")
    response = client.post(
        f"/people/{org.member.id}/edit",
        data={"full_name": "Nguyễn Thị Mỹ Duyên Mới", "email": "khac@example.vn", "position": "Chuyên viên"},
    )
    assert response.status_code == 200
    page = html(response)
    assert "Email khac@example.vn đã được dùng cho tài khoản “Người Khác”." in page
    assert 'value="Nguyễn Thị Mỹ Duyên Mới"' in page and 'value="Chuyên viên"' in page
    assert user_named("doanvien").full_name == "Nguyễn Thị Mỹ Duyên"


def test_a_member_cannot_edit_or_see_another_member(client, org, login):
    login("doanvien")
    assert client.get(f"/people/{org.member2.id}").status_code == 404
    assert client.get(f"/people/{org.member2.id}/edit").status_code == 404
    assert client.post(f"/people/{org.member2.id}/edit", data={"full_name": "X"}).status_code == 404
    assert user_named("doanvien2").full_name == "Đặng Văn Đạt"


def test_profile_lists_roles(client, org, login):
    db.session.add(Membership(user=org.secretary, unit=org.party_cell, role=Role.MEMBER))
    db.session.commit()
    login("bithu")
    page = html(client.get(f"/people/{org.secretary.id}"))
    assert "Bí thư" in page and "Chi đoàn Văn phòng" in page
    assert "Đảng viên" in page and "Chi bộ Văn phòng" in page


# ---- lists and search ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("nguyen thi my duyen", ["Nguyễn Thị Mỹ Duyên"]),
        ("NGUYỄN THỊ MỸ DUYÊN", ["Nguyễn Thị Mỹ Duyên"]),
        ("  my   duyen ", ["Nguyễn Thị Mỹ Duyên"]),
        ("dat", ["Đặng Văn Đạt"]),
        ("Đạt", ["Đặng Văn Đạt"]),
        ("dang van", ["Đặng Văn Đạt"]),
        ("Duyen@Example.vn ", ["Nguyễn Thị Mỹ Duyên"]),  # an exact email, any case
        ("duyen@example", []),  # never a part of an email
        ("example", []),
        ("phobithu", ["Võ Thị Lan"]),
        ("zzz", []),
        ("%", []),
        ("_", []),
    ],
)
def test_member_search_ignores_diacritics(client, org, login, query, expected):
    login("bithu")
    people = ["Nguyễn Thị Mỹ Duyên", "Đặng Văn Đạt", "Võ Thị Lan", "Trần Quốc Bảo"]
    for url in (f"/units/{org.branch.id}/members", "/people"):
        page = html(client.get(url, query_string={"q": query}))
        found = [name for name in people if f">{name}</a>" in page]
        assert found == expected, url
        if not expected:
            assert "Không có ai khớp với" in page


def test_people_search_never_matches_an_email_domain(client, org, login, make_user):
    """/people?q=hà found everybody whose email domain holds "ha"; names and usernames only now,
    a name by the start of its words (Phạm holds "ha" too, but nobody typing "hà" means him)."""
    make_user("thuha", org.branch, full_name="Lê Thị Thu Hà", email="thuha@sonhatky.example")
    for i, name in enumerate(["Phạm Văn Bình", "Kim Thị Mai", "Sơn Văn Tú"]):
        make_user(f"nv{i}", org.branch, full_name=name, email=f"nv{i}@sonhatky.example")
    login("quantri")
    page = html(client.get("/people", query_string={"q": "hà"}))
    assert ">Lê Thị Thu Hà</a>" in page
    for name in ("Phạm Văn Bình", "Kim Thị Mai", "Sơn Văn Tú"):
        assert name not in page
    page = html(client.get("/people", query_string={"q": "nv1@sonhatky.example"}))
    assert ">Kim Thị Mai</a>" in page and "Phạm Văn Bình" not in page


VIETNAMESE_ORDER = [
    "Phạm Thị Anh",  # given names first: Anh, Ăn, Âu, Danh, Dũng, Đạt, Đức …
    "Võ Văn Ăn",
    "Trần Thị Âu",
    "Đỗ Văn Danh",
    "Danh Văn Dũng",
    "Đặng Văn Đạt",
    "Lê Văn Đức",
    "Lê Thị Hà",  # same given name: then the middle name (Thị before Văn) …
    "Lê Văn Hà",
    "Nguyễn Văn Hải",
    "Nguyễn Thị Ơn",
    "Bùi Văn Út",  # same given and middle name: then the family name (Bùi before Trần)
    "Trần Văn Út",
    "Lý Thị Ưng",
]


def test_lists_of_people_go_by_given_name_in_vietnamese_order(client, org, login, make_user):
    """By given name, then middle and family name, in the alphabet a ă â b c d đ e ê …: D and Đ
    are not mixed, the grading list is not sorted by family name."""
    from app.core.collation import name_sort_key

    assert sorted(VIETNAMESE_ORDER, key=name_sort_key) == VIETNAMESE_ORDER
    for i, name in enumerate(reversed(VIETNAMESE_ORDER)):
        make_user(f"vn{i:02d}", org.branch_other, full_name=name, password=None)
    login("quantri")
    for url in ("/people", f"/units/{org.branch_other.id}/members"):
        page = html(client.get(url, query_string={"per_page": 100}))
        found = sorted(VIETNAMESE_ORDER, key=lambda name: page.index(f">{name}</a>"))
        assert found == VIETNAMESE_ORDER, url


@pytest.mark.parametrize("query", ["\x00", "a\x00b", "\x1b[0m", "x" * 5000, "'; DROP TABLE users; --"])
def test_search_survives_odd_input(client, org, login, query):
    login("bithu")
    assert client.get(f"/units/{org.branch.id}/members", query_string={"q": query}).status_code == 200
    assert client.get("/people", query_string={"q": query}).status_code == 200


def test_unit_members_are_listed_secretaries_first_then_by_name(client, org, login):
    login("doanvien")
    page = html(client.get(f"/units/{org.branch.id}/members"))
    names = ("Trần Quốc Bảo", "Võ Thị Lan", "Nguyễn Thị Mỹ Duyên", "Đặng Văn Đạt")  # D before Đ
    order = [page.index(f">{name}</a>") for name in names]
    assert order == sorted(order)
    assert "Thêm thành viên" not in page  # a member only reads the list


def test_people_shows_whom_the_user_manages(client, org, login):
    login("bithu")
    page = html(client.get("/people"))
    assert "Nguyễn Thị Mỹ Duyên" in page and "Kim Thị Thảo" not in page
    client.post("/logout")
    login("canbo")
    page = html(client.get("/people"))
    assert "Nguyễn Thị Mỹ Duyên" in page and "Kim Thị Thảo" in page and "Quản Trị Viên" not in page
    client.post("/logout")
    login("quantri")
    assert "Quản Trị Viên" in html(client.get("/people"))


def test_member_lists_are_paged(client, org, login, make_user):
    for i in range(55):
        make_user(f"tv{i:02d}", org.branch_other, full_name=f"Thành Viên {i:02d}", password=None)
    login("bithub")
    first = html(client.get(f"/units/{org.branch_other.id}/members"))
    assert "Trang 1/2" in first and "(57)" in first
    second = html(client.get(f"/units/{org.branch_other.id}/members?page=2"))
    assert "Thành Viên 54" in second and "Thành Viên 00" not in second
    assert client.get(f"/units/{org.branch_other.id}/members?page=0").status_code == 200
    assert client.get(f"/units/{org.branch_other.id}/members?page=x").status_code == 200


def test_list_pages_have_their_own_title_and_no_link_past_the_ends(client, org, login, make_user):
    for i in range(55):
        make_user(f"tv{i:02d}", org.branch_other, full_name=f"Thành Viên {i:02d}", password=None)
    login("bithub")
    first = html(client.get(f"/units/{org.branch_other.id}/members"))
    second = html(client.get(f"/units/{org.branch_other.id}/members?page=2"))
    title = re.compile(r"<title>(.*?)</title>", re.S)
    assert "trang 2" in title.search(second).group(1) and "trang" not in title.search(first).group(1)
    # "Trước" on page 1 and "Sau" on the last page are text, not links (to ?page=0 or past the end).
    assert '<span class="page-link">Trước</span>' in first and "page=0" not in first
    assert '<span class="page-link">Sau</span>' in second and "page=3" not in second
    assert 'rel="next"' in first and 'rel="prev"' in second
    assert client.get(f"/units/{org.branch_other.id}/members?page=2x").status_code == 200
