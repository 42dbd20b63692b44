"""The service worker, the page shown offline, and the endpoint phones send offline entries to."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy.orm.exc import StaleDataError

from app.core import permissions
from app.core.db import db
from app.core.filters import today_local, vn_date, vn_datetime
from app.core.locks import LockedError
from app.core.rules import attempt
from app.journal import services as journal
from app.journal.models import Entry
from app.journal.routes import ENTRY_REQUEST_LIMIT
from app.offline import services
from app.offline.forms import SyncEntryForm
from app.units.models import Unit

bp = Blueprint("offline", __name__)


@bp.route("/sw.js")
def service_worker():
    """The service worker, from the site's root so that it may control every page; its first
    line names the version (a digest of it and of the shell files) and the shell to keep."""
    static = current_app.static_folder
    version = services.worker_version(static)
    shell = [url_for("static", filename=name) for name in services.SHELL_FILES] + [url_for("offline.page")]
    header = f"self.SNK_VERSION = {json.dumps(version)};\nself.SNK_SHELL = {json.dumps(shell)};\n"
    body = header + (Path(static) / "sw.js").read_text(encoding="utf-8")
    return Response(
        body,
        content_type="text/javascript; charset=utf-8",
        headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
    )


@bp.route("/offline")
def page():
    """What the worker shows for a page it has not kept, while there is no connection."""
    return render_template("offline/offline.html")


def _warm_urls() -> list[str]:
    """The pages a member needs without a signal: home, this month, the timeline, the entry form
    (for each branch where they keep a diary)."""
    diaries = permissions.diary_memberships(current_user)
    if not diaries:
        return []
    today = today_local()
    urls = [url_for("main.index"), url_for("journal.index")]
    for index, membership in enumerate(diaries):
        args = {} if index == 0 and len(diaries) == 1 else {"unit_id": membership.unit_id}
        urls += [
            url_for("journal.month", year=today.year, month=today.month, **args),
            url_for("journal.timeline", **args),
            url_for("journal.new_entry", unit_id=membership.unit_id),
        ]
    return list(dict.fromkeys(urls))


@bp.route("/diary/sync/state")
@login_required
def state():
    """Who is signed in, a fresh form token for the sending, and the pages to keep; JSON."""
    return jsonify(user_id=current_user.id, csrf_token=generate_csrf(), warm=_warm_urls())


def _refused(message: str, status: int = 422, field: str | None = None):
    return jsonify(ok=False, refused=True, message=message, field=field), status


def _server_copy(entry: Entry) -> dict:
    return {
        "entry_id": entry.id,
        "lock_version": entry.lock_version,
        "updated_at": vn_datetime(entry.updated_at),
        "status": entry.status.label,
        "deed_date": vn_date(entry.deed_date),
        "place": entry.place,
        "action": entry.action,
        "result": entry.result,
        "lesson": entry.lesson,
        "commitments": [c.short_label for c in entry.commitments],
        "evidence": len(entry.evidence),
        "url": url_for("journal.entry", entry_id=entry.id),
    }


@bp.route("/diary/sync/entries", methods=["POST"])
@login_required
def sync_entry():
    """Receive one entry written offline (the member, in their own branch); JSON.

    200 when applied or already applied before (the same client id); 422 or 400 refused with the
    reason (403, 404 and 413 are the app's error answers, in JSON for the phone, which keeps the
    entry and shows their message); 409 when the entry changed on the server meanwhile."""
    request.max_content_length = ENTRY_REQUEST_LIMIT
    form = SyncEntryForm()
    form.validate()
    if form.form_errors_all:
        # The form token (the session changed between the phone's two requests): nothing wrong
        # with the entry, the phone tries again with a fresh token.
        return jsonify(ok=False, retry=True, message=" ".join(form.form_errors_all)), 400
    for name in ("deed_date", "place", "action", "result", "lesson"):
        if getattr(form, name).errors:
            return _refused(" ".join(getattr(form, name).errors), field=name)
    client_id = services.normalize_client_id(form.client_id.data)
    if client_id is None:
        return _refused("Bài gửi từ máy không có mã hợp lệ; hãy viết lại bài.", 400)
    entry = None
    if (entry_id := _int(form.entry_id.data)) is not None:
        entry = db.session.get(Entry, entry_id)
        if entry is None or entry.user_id != current_user.id:
            abort(404)
        unit = entry.unit
    else:
        unit_id = _int(request.args.get("unit_id"))
        unit = db.session.get(Unit, unit_id) if unit_id is not None else None
        if unit is None or not permissions.can_view_unit(current_user, unit):
            abort(404)
        permissions.require(permissions.keeps_diary_in(current_user, unit))
    # 403 (and anything unexpected) is rolled back and raised by attempt, answered by the app.
    outcome = attempt(
        lambda: services.sync_entry(
            current_user,
            unit,
            client_id,
            form.entry_data(),
            submit=bool(form.submit.data),
            uploads=[f for f in request.files.getlist("evidence") if f and f.filename],
            entry=entry,
            lock_version=_int(form.lock_version.data),
        ),
        errors=[],  # answered in JSON below: the phone keeps the entry with the reason
        catch=(journal.JournalError, LockedError, services.SyncConflict, StaleDataError),
    )
    exc = outcome.error
    if isinstance(exc, (journal.JournalError, LockedError)):
        # A rule or a lock (signed month, closed year) refuses it: the phone keeps it with the reason.
        return _refused(str(exc), field=exc.field)
    if exc is not None:  # SyncConflict, StaleDataError: changed on the server meanwhile
        current = db.session.get(Entry, entry.id) if entry is not None else None
        if current is None:
            abort(404)
        return jsonify(
            ok=False,
            conflict=True,
            message="Bài này đã được sửa ở nơi khác sau khi bạn mở nó. Hãy xem hai bản rồi chọn bản giữ lại.",
            server=_server_copy(current),
        ), 409
    result = outcome.value
    return jsonify(
        ok=True,
        applied=result.applied,
        entry_id=result.entry.id,
        lock_version=result.entry.lock_version,
        status=result.entry.status.label,
        url=url_for("journal.entry", entry_id=result.entry.id),
    )


def _int(value) -> int | None:
    """A positive id from a form field (1–9 plain digits), or None."""
    value = str(value or "")
    return int(value) if value.isascii() and value.isdigit() and 0 < len(value) <= 9 and int(value) else None
