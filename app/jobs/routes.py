"""Bulk exports: start one for a unit, watch its progress, download the ZIP.

Who may: starting an export of a unit is for those who may read every diary in it
(permissions.can_export_unit: the branch's secretaries, officers of the unit or above,
administrators); a unit the user may not see is a 404. A job is its requester's alone: anyone
else's job is a 404, like a job that does not exist. The work itself runs in the task queue
(app.jobs.tasks), never in a request.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required

from app.core import permissions
from app.core.db import utcnow
from app.core.rules import attempt
from app.jobs import services
from app.jobs.forms import ExportForm
from app.jobs.models import ExportJob, JobStatus

bp = Blueprint("jobs", __name__)


def _own_job(job_id: int) -> ExportJob:
    """The user's own job, its file removed if its time is up; 404 for anyone else's."""
    job = services.get_own_job(job_id, current_user)
    if job is None:
        abort(404)
    services.expire_due([job])  # commits when the file was removed
    return job


@bp.route("/exports")
@login_required
def index():
    """The user's bulk exports, newest first, and the units they may start one from."""
    permissions.require(permissions.can_bulk_export(current_user))
    jobs = services.own_jobs(current_user)
    services.expire_due(jobs)
    return render_template("jobs/index.html", jobs=jobs, units=services.exportable_units(current_user))


@bp.route("/units/<int:unit_id>/exports", methods=["GET", "POST"])
@login_required
def unit_exports(unit_id: int):
    """The unit's "Xuất sổ hàng loạt": pick the year and start; the user's exports of the unit below."""
    unit = permissions.get_visible_unit(unit_id, current_user)
    permissions.require(permissions.can_export_unit(current_user, unit))
    form = ExportForm()
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.start_export(current_user, unit, form.year.data), errors=form.year.errors
        )
        if outcome.ok:
            job, created = outcome.value
            if not created:
                flash(
                    "Bạn đã có một lượt xuất sổ năm này của đơn vị đang chạy: xem tiến độ bên dưới.", "info"
                )
            elif services.enqueue(job):
                flash("Đã bắt đầu xuất sổ. Bạn có thể rời trang này và quay lại sau.", "success")
            else:
                flash("Chưa bắt đầu được: hàng đợi xử lý không trả lời. Hãy thử lại sau ít phút.", "danger")
            return redirect(url_for("jobs.job", job_id=job.id))
    jobs = services.own_jobs(current_user, unit)
    services.expire_due(jobs)
    return render_template(
        "jobs/unit.html",
        unit=unit,
        form=form,
        jobs=jobs,
        branches=services.export_branches(unit) if not unit.kind.is_branch else [],
        children=services.child_units(unit) if not unit.kind.is_branch else [],
    )


@bp.route("/exports/<int:job_id>")
@login_required
def job(job_id: int):
    """One export: the progress bar while it runs, then the download and what could not be exported."""
    job = _own_job(job_id)
    # Still waiting after two minutes: perhaps no worker runs; the page says whom to tell.
    waiting_long = job.status is JobStatus.QUEUED and utcnow() - job.created_at > timedelta(minutes=2)
    return render_template("jobs/job.html", job=job, JobStatus=JobStatus, waiting_long=waiting_long)


@bp.route("/exports/<int:job_id>/progress")
@login_required
def job_progress(job_id: int):
    """The job's progress as JSON, polled by static/js/jobs.js."""
    return jsonify(services.progress(_own_job(job_id)))


@bp.route("/exports/<int:job_id>/download")
@login_required
def download(job_id: int):
    """The finished ZIP; a job without its file (running, failed, expired) goes back to its page."""
    job = _own_job(job_id)
    path = services.result_file(job)
    if path is None:
        messages = {
            JobStatus.EXPIRED: "Tệp đã hết hạn và đã bị xóa; hãy xuất lại.",
            JobStatus.DONE: "Không tìm thấy tệp trên máy chủ; hãy xuất lại.",
            JobStatus.FAILED: "Lượt xuất này không thành công nên không có tệp; hãy xuất lại.",
        }
        flash(messages.get(job.status, "Tệp chưa sẵn sàng: việc xuất vẫn đang chạy."), "warning")
        return redirect(url_for("jobs.job", job_id=job.id))
    return send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=services.download_name(job),
        max_age=0,
    )
