"""Member lists, adding and inviting people, roles, profiles and deactivation."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.core import permissions
from app.core.db import db
from app.core.enums import Role
from app.core.rules import attempt, place_refusal
from app.members import services
from app.members.forms import (
    ActionForm,
    ExistingMemberForm,
    MemberForm,
    ProfileForm,
    RoleForm,
    role_choices,
)
from app.units.models import Membership, Unit

bp = Blueprint("members", __name__)

PAGE_SIZE = 50


def _page(stmt, page: int):
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    pages = max(1, -(-total // PAGE_SIZE))
    return items, total, pages


def _get_membership(membership_id: int) -> Membership:
    """A membership in a unit whose members the user manages; 404 otherwise."""
    membership = db.session.scalar(
        select(Membership).where(
            Membership.id == membership_id,
            Membership.unit_id.in_(permissions.manageable_units(current_user).with_only_columns(Unit.id)),
        )
    )
    if membership is None:
        abort(404)
    return membership


@bp.route("/units/<int:unit_id>/members")
@login_required
def unit_members(unit_id: int):
    """The unit's people with their roles; search ignores diacritics. Who may see the unit."""
    unit = permissions.get_visible_unit(unit_id, current_user)
    q = request.args.get("q", "", type=str)[:100]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    items, total, pages = _page(services.unit_memberships(unit, q), page)
    manage = permissions.can_manage_members(current_user, unit)
    return render_template(
        "members/unit_members.html",
        unit=unit,
        memberships=items,
        total=total,
        page=page,
        pages=pages,
        q=q,
        manage=manage,
        action_form=ActionForm(),
    )


@bp.route("/units/<int:unit_id>/members/add", methods=["GET", "POST"])
@login_required
def add(unit_id: int):
    """Add a new person (and invite them), or someone who already has an account."""
    unit = permissions.get_visible_unit(unit_id, current_user)
    permissions.require(permissions.can_manage_members(current_user, unit))
    choices = role_choices(permissions.assignable_roles(current_user, unit), unit.org_type)
    form = MemberForm(prefix="new")
    existing_form = ExistingMemberForm(prefix="existing")
    form.role.choices = existing_form.role.choices = choices
    if request.method == "GET":
        form.role.data = existing_form.role.data = Role.MEMBER.value
    invite_link = None
    if "new-submit" in request.form and form.validate_on_submit():
        outcome = attempt(
            lambda: _add_new(unit, form), success=lambda added: _added_message(form, *added), errors=[]
        )
        if outcome.ok:
            return redirect(url_for("members.profile", user_id=outcome.value[0].id))
        place_refusal(form, outcome.error, "full_name")
    elif "existing-submit" in request.form and existing_form.validate_on_submit():
        # People already in the actor's own units are added at once; anyone else is invited and
        # joins only by accepting. An unknown login gets the very same answer as a known one.
        login, role = existing_form.login.data, Role(existing_form.role.data)
        person = services.find_in_scope(current_user, login)
        if person is not None:
            outcome = attempt(
                lambda: services.add_existing_member(current_user, unit, person, role),
                success=lambda _: f"Đã thêm {person.full_name} vào {unit.name}.",
                errors=existing_form.login.errors,
            )
        else:
            outcome = attempt(
                lambda: services.invite_existing(current_user, unit, login, role),
                errors=existing_form.login.errors,
            )
            if outcome.ok:
                flash(
                    f"Nếu có tài khoản với tên đăng nhập hoặc email “{login}”, người đó vừa nhận được lời mời "
                    f"tham gia {unit.name}. Họ chỉ trở thành thành viên khi chấp nhận lời mời.",
                    "info",
                )
        if outcome.ok:
            return redirect(url_for("members.unit_members", unit_id=unit.id))
    return render_template(
        "members/add.html", unit=unit, form=form, existing_form=existing_form, invite_link=invite_link
    )


def _add_new(unit: Unit, form: MemberForm):
    """Create the person typed in the form, and invite them when asked: (user, emailed)."""
    user = services.add_member(
        current_user,
        unit,
        full_name=form.full_name.data,
        role=Role(form.role.data),
        birth_date=form.birth_date.data,
        email=form.email.data,
        phone=form.phone.data,
        position=form.position.data,
        username=form.username.data,
    )
    emailed = False
    if form.send_invite.data:
        emailed, _link = services.invite(current_user, user)
    return user, emailed


def _added_message(form: MemberForm, user, emailed: bool) -> str:
    message = f"Đã thêm {user.full_name} (tên đăng nhập: {user.username})."
    if emailed:
        message += f" Lời mời kích hoạt đã gửi tới {user.email}."
    elif form.send_invite.data and user.email:
        message += (
            f" Chưa gửi được thư tới {user.email}: hãy sao chép liên kết kích hoạt "
            "ở trang cá nhân của họ và gửi cho họ."
        )
    elif form.send_invite.data:
        message += " Người này chưa có email: hãy gửi liên kết kích hoạt ở trang cá nhân của họ."
    return message


@bp.route("/memberships/<int:membership_id>/role", methods=["GET", "POST"])
@login_required
def change_role(membership_id: int):
    """Change a person's role in a unit."""
    membership = _get_membership(membership_id)
    permissions.require(permissions.can_change_membership(current_user, membership))
    form = RoleForm()
    form.role.choices = role_choices(
        permissions.assignable_roles(current_user, membership.unit), membership.unit.org_type
    )
    if request.method == "GET":
        form.role.data = membership.role.value
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.change_role(current_user, membership, Role(form.role.data)),
            success=lambda _: f"Đã đổi vai trò của {membership.user.full_name}.",
            errors=form.role.errors,
        )
        if outcome.ok:
            return redirect(url_for("members.unit_members", unit_id=membership.unit_id))
    return render_template("members/role.html", form=form, membership=membership)


@bp.route("/memberships/<int:membership_id>/remove", methods=["POST"])
@login_required
def remove(membership_id: int):
    """Take a person out of a unit (their account and records stay)."""
    membership = _get_membership(membership_id)
    permissions.require(permissions.can_change_membership(current_user, membership))
    unit_id, name = membership.unit_id, membership.user.full_name
    if ActionForm().validate_on_submit():
        attempt(
            lambda: services.remove_membership(current_user, membership),
            success=f"Đã đưa {name} ra khỏi đơn vị.",
        )
    return redirect(url_for("members.unit_members", unit_id=unit_id))


@bp.route("/people")
@login_required
def people():
    """Everyone in the units the user manages (everyone for admins), with search."""
    if not (
        current_user.is_admin
        or permissions.officer_paths(current_user)
        or permissions.managed_unit_ids(current_user)
    ):
        abort(403)
    q = request.args.get("q", "", type=str)[:100]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    items, total, pages = _page(services.people_query(current_user, q), page)
    return render_template("members/people.html", people=items, total=total, page=page, pages=pages, q=q)


@bp.route("/people/<int:user_id>")
@login_required
def profile(user_id: int):
    """A person's details and roles: themselves and those who manage their units."""
    person = permissions.get_visible_user(user_id, current_user)
    invite_link = None
    if not person.is_activated and person.is_active and permissions.can_manage_user(current_user, person):
        from app.auth.services import invitation_link

        invite_link = invitation_link(person)
    return render_template(
        "members/profile.html", person=person, action_form=ActionForm(), invite_link=invite_link
    )


@bp.route("/people/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def edit(user_id: int):
    """Edit personal details: the person, or whoever manages all their units."""
    person = permissions.get_visible_user(user_id, current_user)
    permissions.require(person.id == current_user.id or permissions.can_manage_user(current_user, person))
    form = ProfileForm(obj=person) if request.method == "GET" else ProfileForm()
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.update_profile(
                current_user,
                person,
                full_name=form.full_name.data,
                birth_date=form.birth_date.data,
                email=form.email.data,
                phone=form.phone.data,
                position=form.position.data,
            ),
            success="Đã lưu thông tin.",
            errors=[],
        )
        if outcome.ok:
            return redirect(url_for("members.profile", user_id=user_id))
        place_refusal(form, outcome.error, "full_name")
    return render_template("members/edit.html", form=form, person=person)


@bp.route("/people/<int:user_id>/invite", methods=["POST"])
@login_required
def invite(user_id: int):
    """Send the activation email again."""
    person = permissions.get_visible_user(user_id, current_user)
    permissions.require(permissions.can_manage_user(current_user, person))
    if ActionForm().validate_on_submit():
        outcome = attempt(lambda: services.invite(current_user, person))
        if outcome.ok:
            emailed, _link = outcome.value
            if emailed:
                flash(f"Đã gửi lời mời kích hoạt tới {person.email}.", "success")
            elif person.email:
                flash(
                    f"Chưa gửi được thư tới {person.email}. Hãy sao chép liên kết kích hoạt và gửi cho họ.",
                    "warning",
                )
            else:
                flash("Người này chưa có email. Hãy sao chép liên kết kích hoạt và gửi cho họ.", "warning")
    return redirect(url_for("members.profile", user_id=person.id))


@bp.route("/people/<int:user_id>/deactivate", methods=["POST"])
@login_required
def deactivate(user_id: int):
    """Lock an account; its data stays. Admins, or whoever manages all the person's units."""
    person = permissions.get_visible_user(user_id, current_user)
    permissions.require(permissions.can_manage_user(current_user, person) and person.id != current_user.id)
    if ActionForm().validate_on_submit():
        attempt(
            lambda: services.deactivate(current_user, person),
            success=lambda _: f"Đã khóa tài khoản của {person.full_name}. Dữ liệu của họ vẫn được giữ.",
        )
    return redirect(url_for("members.profile", user_id=person.id))


@bp.route("/people/<int:user_id>/reactivate", methods=["POST"])
@login_required
def reactivate(user_id: int):
    """Unlock a locked account."""
    person = permissions.get_visible_user(user_id, current_user)
    permissions.require(permissions.can_manage_user(current_user, person))
    if ActionForm().validate_on_submit():
        attempt(
            lambda: services.reactivate(current_user, person),
            success=lambda _: f"Đã mở khóa tài khoản của {person.full_name}.",
        )
    return redirect(url_for("members.profile", user_id=person.id))


@bp.route("/invitations")
@login_required
def invitations():
    """The signed-in person's invitations to join a unit, waiting for their answer."""
    return render_template(
        "members/invitations.html",
        invitations=services.pending_invitations(current_user),
        action_form=ActionForm(),
    )


@bp.route("/invitations/<int:invitation_id>/<any(accept, decline):answer>", methods=["POST"])
@login_required
def answer_invitation(invitation_id: int, answer: str):
    """Accept or decline one's own invitation; anyone else's is a 404."""
    invitation = services.get_own_invitation(current_user, invitation_id)
    if invitation is None:
        abort(404)
    if ActionForm().validate_on_submit():
        unit_name = invitation.unit.name
        outcome = attempt(
            lambda: services.answer_invitation(current_user, invitation, accept=answer == "accept")
        )
        if outcome.ok and answer == "accept":
            flash(f"Bạn đã tham gia {unit_name}.", "success")
        elif outcome.ok:
            flash(f"Bạn đã từ chối lời mời tham gia {unit_name}.", "info")
    return redirect(url_for("members.invitations"))


from app.members import import_routes  # noqa: E402,F401  (registers the import views on bp)
