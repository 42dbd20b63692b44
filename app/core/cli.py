"""flask check-integrity: the core's own command. The features' commands live in their packages
(each package's cli.py) and create_app adds them all."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from app.core.db import db


def register(app: Flask) -> None:
    app.cli.add_command(check_integrity_command)


@click.command("check-integrity")
@with_appcontext
def check_integrity_command() -> None:
    """List data that violates a lock (written before locks were enforced); changes nothing."""
    from app.core.integrity import find_problems

    problems = find_problems()
    db.session.rollback()  # read only: nothing to keep
    if not problems:
        click.echo(
            "Không thấy dữ liệu nào vi phạm khóa (tháng đã ký, năm đã khóa sổ, kết quả đã công nhận, khung đang dùng)."
        )
        return
    click.echo(f"Có {len(problems)} trường hợp dữ liệu được ghi sau khi đã khóa (lệnh này không sửa gì):")
    for problem in problems:
        click.echo(problem.line())
    raise SystemExit(1)
