"""flask send-reminders: the daily reminder digests, meant for cron."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.core.filters import today_local, vn_date
from app.reminders import services


@click.command("send-reminders")
@with_appcontext
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Ngày nhắc (YYYY-MM-DD); mặc định là hôm nay theo giờ Việt Nam.",
)
@click.option("--dry-run", is_flag=True, help="Chỉ liệt kê ai sẽ được nhắc và vì sao, không gửi gì.")
def send_reminders_command(day, dry_run: bool) -> None:
    """Send each person at most one reminder digest for the day (members, secretaries)."""
    day = day.date() if day is not None else today_local()
    run = services.collect_reminders(day)
    if dry_run:
        click.echo(f"Chạy thử (--dry-run) cho ngày {vn_date(day)}: không gửi gì.")
        for digest in run.digests:
            click.echo(f"- {digest.name}:")
            for reason in digest.reasons:
                click.echo(f"    • {reason.text}")
        click.echo(
            f"Sẽ gửi {len(run.digests)} thông báo nhắc nhở ({run.members} đoàn viên, {run.reviewers} bí thư); "
            f"{run.already} người đã nhận hôm nay."
        )
        return
    result = services.send_reminders(run)
    click.echo(result.summary())
    if result.emailed or result.email_failed:
        line = f"Email: {result.emailed} thư đã gửi"
        if result.email_failed:
            line += f", {result.email_failed} thư gửi lỗi (xem Hộp thư đi)"
        click.echo(line + ".")
