"""flask backup OUTPUT and flask restore INPUT."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from app.backup.services import BackupError, restore_backup, write_backup


@click.command("backup")
@with_appcontext
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(output: Path) -> None:
    """Write a consistent backup (database and uploaded files) to OUTPUT (.zip), while the app runs."""
    try:
        manifest = write_backup(output)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    rows = sum(manifest["tables"].values())
    click.echo(
        f"Đã sao lưu {rows} dòng trong {len(manifest['tables'])} bảng và {len(manifest['files'])} tệp "
        f"vào {output} (phiên bản {manifest['alembic_revision']})."
    )


@click.command("restore")
@with_appcontext
@click.argument("source", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
def restore_command(source: Path) -> None:
    """Restore a backup made by `flask backup` into an EMPTY, migrated instance."""
    try:
        manifest = restore_backup(source)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    rows = sum(manifest["tables"].values())
    click.echo(f"Đã khôi phục {rows} dòng và {len(manifest['files'])} tệp từ {source}.")
