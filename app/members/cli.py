"""flask import-members (filled in with the importer)."""

import click
from flask.cli import with_appcontext


@click.command("import-members")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--unit", "unit_code", required=True)
@click.option("--dry-run", is_flag=True)
def import_members_command(file: str, unit_code: str, dry_run: bool) -> None:
    """Import members from .xlsx or .csv into a unit."""
    raise click.ClickException("not built yet")
