"""Log in, log out, change or reset a password, activate an invited account."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from app.auth import services, throttle
from app.auth.forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, LogoutForm, SetPasswordForm
from app.auth.models import User
from app.core.db import db, utcnow
from app.core.extensions import limiter

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    # Browsers drop tabs and newlines from URLs ("/\t/evil" becomes "//evil"), so any
    # whitespace or control character disqualifies the target.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ch <= " " or ch == "\x7f" for ch in target)
    ):
        return target
    return url_for("main.index")


def _start_session(user: User, remember: bool) -> None:
    """A fresh session for the user: nothing from before login is carried over."""
    session.clear()
    # The new session's form token is made now, with the session: the pages a phone loads at once
    # after signing in (the page, the copies the offline worker keeps) then share it. Made by each
    # of them instead, the last answer's cookie wins and a form from another of those pages is
    # refused as "Phiên làm việc đã hết hạn".
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    generate_csrf()
    session.permanent = True
    login_user(user, remember=remember)
    session["login_at"] = utcnow().timestamp()
    services.record_login(user)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login page; anyone. Failed sign-ins are limited per account and per address
    (app.auth.throttle), in a store every worker process shares."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        account = User.find_by_login(form.login.data)
        address = request.remote_addr or ""
        if throttle.is_blocked(account, address):
            abort(429)
        user = services.authenticate(form.login.data, form.password.data)
        if user is not None:
            earlier = user.last_login_at
            _start_session(user, bool(form.remember.data))
            failed = throttle.failures_since(user, earlier)
            db.session.commit()
            if failed:
                flash(
                    f"Có {failed} lần đăng nhập sai vào tài khoản của bạn từ lần đăng nhập trước. "
                    "Xem chi tiết ở mục “Lần đăng nhập không thành công”.",
                    "warning",
                )
            return redirect(_safe_next(request.args.get("next")))
        throttle.record_failure(account, address)
        db.session.commit()  # a rehash on login must not be lost
        form.password.errors.append("Tên đăng nhập, email hoặc mật khẩu không đúng.")
    return render_template("auth/login.html", form=form)


@bp.route("/account/sign-in-failures")
@login_required
def sign_in_failures():
    """The signed-in user's own failed sign-ins (time and address), newest first."""
    failures = throttle.failures_of(current_user)
    return render_template(
        "auth/sign_in_failures.html", failures=failures, keep_days=throttle.KEEP_FAILURES.days
    )


@bp.route("/logout", methods=["POST"])
def logout():
    """End the session, and the user's sessions on every other device; anyone."""
    form = LogoutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        # A shared or lost phone stays logged in elsewhere otherwise (remember-me cookies too).
        services.end_all_sessions(current_user._get_current_object())
        db.session.commit()
        logout_user()
        session.clear()
        flash("Bạn đã đăng xuất khỏi mọi thiết bị.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; ends the user's other sessions."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not services.check_password(current_user, form.current_password.data):
            form.current_password.errors.append("Mật khẩu hiện tại không đúng.")
        else:
            user = current_user._get_current_object()
            services.set_password(user, form.password.data)
            db.session.commit()
            _start_session(user, remember=False)
            db.session.commit()
            flash("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã được đăng xuất.", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether the email is known or not."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        flash(
            "Nếu email này đã đăng ký, một liên kết đặt lại mật khẩu vừa được gửi tới. "
            f"Liên kết có hiệu lực trong {current_app.config['PASSWORD_RESET_MAX_AGE'] // 60} phút.",
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Set a new password from an emailed link; the link works once and expires."""
    user = services.load_token(token, services.PURPOSE_RESET, current_app.config["PASSWORD_RESET_MAX_AGE"])
    if user is None:
        return render_template("auth/link_invalid.html", what="đặt lại mật khẩu"), 400
    form = SetPasswordForm()
    if form.validate_on_submit():
        services.set_password(user, form.password.data)
        if current_user.is_authenticated:
            logout_user()
        db.session.commit()
        flash("Đã đặt mật khẩu mới. Hãy đăng nhập.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user, mode="reset")


@bp.route("/activate/<token>", methods=["GET", "POST"])
def activate(token: str):
    """Accept an invitation: choose a password, then log in."""
    user = services.load_token(token, services.PURPOSE_INVITE, current_app.config["INVITATION_MAX_AGE"])
    if user is None or user.is_activated:
        return render_template("auth/link_invalid.html", what="kích hoạt tài khoản"), 400
    form = SetPasswordForm()
    if form.validate_on_submit():
        services.set_password(user, form.password.data)
        db.session.commit()
        _start_session(user, remember=False)
        db.session.commit()
        flash("Tài khoản đã được kích hoạt. Chào mừng bạn!", "success")
        return redirect(url_for("main.index"))
    return render_template("auth/set_password.html", form=form, user=user, mode="activate")
