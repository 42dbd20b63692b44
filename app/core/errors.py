"""Vietnamese error pages (and JSON for API-like requests)."""

from __future__ import annotations

from flask import Flask, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from app.core.db import db
from app.core.locks import LockedError

MESSAGES = {
    400: ("Yêu cầu không hợp lệ", "Yêu cầu gửi lên không đúng định dạng. Hãy quay lại và thử lại."),
    403: ("Không có quyền truy cập", "Tài khoản của bạn không có quyền thực hiện thao tác này."),
    404: ("Không tìm thấy trang", "Trang bạn tìm không tồn tại hoặc bạn không có quyền xem."),
    405: ("Phương thức không được hỗ trợ", "Trang này không nhận kiểu yêu cầu vừa gửi."),
    413: ("Tệp quá lớn", "Tệp tải lên vượt quá dung lượng cho phép."),
    429: ("Quá nhiều lần thử", "Bạn đã thử quá nhiều lần. Vui lòng đợi vài phút rồi thử lại."),
    503: (
        "Máy chủ đang bận",
        "Máy chủ đang lưu một việc khác nên chưa ghi được thay đổi của bạn. Hãy đợi vài giây rồi gửi lại.",
    ),
    500: ("Lỗi hệ thống", "Đã có lỗi xảy ra phía máy chủ. Quản trị viên đã được ghi nhận lỗi này."),
}


def _render(code: int, headers=None):
    title, message = MESSAGES.get(code, (f"Lỗi {code}", "Đã có lỗi xảy ra."))
    if request.accept_mimetypes.best == "application/json":
        return {"error": title, "message": message}, code, headers
    return render_template("errors/error.html", code=code, title=title, message=message), code, headers


def register(app: Flask) -> None:
    @app.errorhandler(SecurityError)
    def untrusted_host(exc: SecurityError):
        # A Host header outside TRUSTED_HOSTS: no URL can be built for it, so no layout page either.
        return (
            "400 – Địa chỉ máy chủ (Host) không hợp lệ: hãy mở ứng dụng bằng địa chỉ chính thức.",
            400,
            {"Content-Type": "text/plain; charset=utf-8"},
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        if code < 400:
            return exc
        headers = exc.get_response().headers if code in (405, 429) else None
        if headers is not None:
            headers = [(k, v) for k, v in headers.items() if k.lower() in {"allow", "retry-after"}]
        return _render(code, headers)

    @app.errorhandler(LockedError)
    def locked(exc: LockedError):
        """A service refused to change something frozen: 409 with what froze it and who may reopen it.

        Nothing was committed (the view commits only after the service returned); what the request
        may have put in the session is thrown away before the page is drawn."""
        db.session.rollback()
        lock = exc.lock
        if request.accept_mimetypes.best == "application/json":
            return {"ok": False, "locked": lock.kind, "message": lock.message}, 409
        back = request.referrer if (request.referrer or "").startswith(request.host_url) else None
        return render_template("errors/locked.html", lock=lock, back=back), 409

    @app.errorhandler(OperationalError)
    def database_busy(exc: OperationalError):
        # SQLite: another process held the write lock longer than SQLITE_BUSY_TIMEOUT. Nothing was
        # saved; the person can send again, so this is "busy, retry", not a server error.
        db.session.rollback()
        if "database is locked" not in str(exc.orig) and "database is busy" not in str(exc.orig):
            return unhandled(exc)
        app.logger.warning("SQLite busy on %s %s: %s", request.method, request.path, exc.orig)
        return _render(503, [("Retry-After", "5")])

    @app.errorhandler(Exception)
    def unhandled(exc: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _render(InternalServerError.code)
