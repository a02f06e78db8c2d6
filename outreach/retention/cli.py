"""`outreach retention [--dry-run]`: apply the data-retention policy now."""

from __future__ import annotations

import click

from outreach.cli import cli
from outreach.db import db, utcnow


@cli.command("retention")
@click.option("--dry-run", is_flag=True, help="Only count what would change; change nothing.")
def retention(dry_run: bool) -> None:
    """Anonymise, blank and delete what is past its retention period (counts only printed)."""
    from outreach.audit.services import record
    from outreach.retention.jobs import apply, describe

    now = utcnow()
    counts = apply(now, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
        click.echo("Dry run, nothing changed: " + describe(counts, dry_run=True))
        return
    if counts:
        record(None, "retention.run", detail={"counts": counts}, via="cli")
    db.session.commit()
    click.echo(describe(counts))
