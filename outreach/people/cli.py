"""Command-line tools for client data: import, subject access export, erasure."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from outreach.cli import cli
from outreach.db import db


@cli.command("import-clients")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True,
                                        path_type=Path))
@click.option("--programme", "programme_id", type=click.IntRange(1, 2**31 - 1), default=None,
              help="Programme for rows without a programme_id.")
@click.option("--skip-bad", is_flag=True,
              help="Import the good rows even if some are bad (the bad ones are still listed).")
@click.option("--as-email", default=None,
              help="Administrator or coordinator to import as (default: the first admin).")
def import_clients(file: Path, programme_id: int | None, skip_bad: bool,
                   as_email: str | None) -> None:
    """Import clients, their contact and consents from a UTF-8 CSV file; all or nothing."""
    from outreach.people import importer

    try:
        actor = importer.resolve_actor(as_email)
        total = importer.count_lines(file)
        # Progress goes to stderr so the summary on stdout stays clean for scripts.
        with click.progressbar(length=total, label="Importing", file=sys.stderr) as bar:
            result = importer.import_clients(actor, file, programme_id=programme_id,
                                             skip_bad=skip_bad, progress=bar.update)
    except importer.ImportRefused as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc} Nothing was imported.") from exc
    except BaseException:
        db.session.rollback()
        raise
    for bad in result.bad:
        click.echo(str(bad), err=True)
    if not result.keep:
        db.session.rollback()
    # Kept or not, the attempt is recorded (counts only), after any rollback so it survives.
    importer.audit(actor, result, programme_id)
    db.session.commit()
    skipped = "skipped" if result.keep else "bad"
    click.echo(f"{result.imported} imported, {len(result.bad)} {skipped}.")
    if result.bad and not result.imported:
        hint = "" if skip_bad else " Fix them, or use --skip-bad to import the good rows."
        raise click.ClickException(f"Nothing was imported: {len(result.bad)} bad row(s).{hint}")


@cli.command("export-client")
@click.argument("client_id", type=click.IntRange(1, 2**31 - 1))
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              default=None, help="Write to this file (created readable by you only).")
def export_client(client_id: int, output: Path | None) -> None:
    """Subject access: everything held about one client, as JSON."""
    from outreach.audit.services import record
    from outreach.people import subject_access

    client = _client_or_fail(client_id)
    document = subject_access.export(client)
    text = subject_access.to_json(document)
    if output is None:
        click.echo(text, nl=False)
    else:
        # The file is full of personal data: only its owner may read it.
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    record(None, "client.export", subject=client, client_id=client.id, via="cli",
           detail={"sections": document["export"]["sections"]})
    db.session.commit()
    if output is not None:
        click.echo(f"Wrote everything held about client {client.id} to {output}.", err=True)


@cli.command("erase-client")
@click.argument("client_id", type=click.IntRange(1, 2**31 - 1))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_client(client_id: int, yes: bool) -> None:
    """Right to erasure: delete a client and everything theirs; the audit trail is kept."""
    from outreach.audit.services import record
    from outreach.people import subject_access

    client = _client_or_fail(client_id)
    counts = subject_access.related_counts(client)
    kept = counts.pop("audit_events")
    if not yes:
        # Ids and counts only: what is shown on a terminal can end up in a log.
        listed = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
        click.confirm(f"Erase client {client.id} and {sum(counts.values())} related record(s) "
                      f"({listed})? {kept} audit event(s) are kept without personal data.",
                      abort=True)
    try:
        erased = subject_access.erase(client)
        record(None, "client.erase", client_id=client_id, via="cli", detail=erased)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    # Row counts by table, as deleted; the audit events are kept and said apart.
    listed = ", ".join(f"{n} {name}" for name, n in erased.items()
                       if n and name != "clients" and not name.startswith("audit_events"))
    click.echo(f"Erased client {client_id} ({listed}); kept {erased['audit_events_kept']} "
               f"audit event(s), {erased['audit_events_scrubbed']} scrubbed.")


def _client_or_fail(client_id: int):
    from outreach.people.models import Client

    client = db.session.get(Client, client_id)
    if client is None:
        raise click.ClickException(f"No client with id {client_id}.")
    return client
