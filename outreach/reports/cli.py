"""Command-line reports: a partner's monthly report, and the anonymised extract, as files.

`outreach partner-report` lets the operator script the monthly send; `outreach export-extract`
writes the same ZIP the evaluation page downloads. Both are audited like the web ones.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app, render_template
from sqlalchemy import select, true

from outreach.cli import cli
from outreach.db import db
from outreach.errors import ValidationFailed

FORMATS = ("pdf", "csv", "html")


def _output(path: Path):
    """A new file readable by its owner only: reports go to partners, extracts to evaluators."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(descriptor, "wb")


def _one(model, name: str, what: str):
    """The record called `name` (or with that id), refusing an unknown or ambiguous one."""
    found = list(db.session.scalars(select(model).where(model.name == name).limit(2)))
    if not found and name.isdigit():
        found = [r for r in [db.session.get(model, int(name))] if r is not None]
    if not found:
        raise click.ClickException(f"No {what} called {name!r}.")
    if len(found) > 1:
        raise click.ClickException(f"More than one {what} is called {name!r}: give its id.")
    return found[0]


@cli.command("partner-report")
@click.option("--organisation", required=True, help="The partner's name (or id).")
@click.option("--month", required=True, help="YYYY-MM, e.g. 2026-03.")
@click.option("--format", "kind", type=click.Choice(FORMATS), default="pdf", show_default=True)
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--operator", default=None,
              help="Count only this operator's programmes (name or id); default: every one.")
def partner_report(organisation: str, month: str, kind: str, output: Path,
                   operator: str | None) -> None:
    """Write a partner's monthly report (PDF, CSV or HTML) to a file."""
    from outreach.audit.services import record
    from outreach.escalations.models import Escalation
    from outreach.organisations.models import Organisation
    from outreach.programmes.models import Programme
    from outreach.reports import partner
    from outreach.reports.partner_tables import HOW, SCOPE_NOTE, as_csv, tables
    from outreach.reports.pdf import as_pdf

    partner_org = _one(Organisation, organisation, "organisation")
    try:
        chosen = partner.parse_month(month)
    except ValidationFailed as exc:
        raise click.BadParameter(exc.message, param_hint="--month") from exc
    scope, note = true(), SCOPE_NOTE["admin"]
    if operator is not None:
        running = _one(Organisation, operator, "operator")
        scope = Escalation.programme_id.in_(
            select(Programme.id).where(Programme.operator_id == running.id))
        note = f"Escalations sent to this organisation by {running.name}'s programmes."
    report = partner.build(scope, partner_org, chosen)
    if kind == "pdf":
        body = as_pdf(report, note)
    elif kind == "csv":
        body = ("\ufeff" + as_csv(report, note)).encode()
    else:
        with current_app.test_request_context():
            body = render_template(
                "partner_report/standalone.html", report=report, tables=tables(report),
                how=HOW, scope_note=note, chart=None, generated=partner.generated_label(report),
                print_css=(Path(current_app.static_folder) / "print.css").read_text()).encode()
    with _output(output) as file:
        file.write(body)
    record(None, "partner_report.read", subject=partner_org, via="cli",
           detail={"month": chosen.key, "format": kind})
    db.session.commit()
    click.echo(f"Wrote {output} ({len(body)} bytes).")


@cli.command("export-extract")
@click.option("--programme", required=True, help="The programme's name (or id).")
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "start", default=None, help="First day, YYYY-MM-DD (included).")
@click.option("--to", "end", default=None, help="Last day, YYYY-MM-DD (included).")
def export_extract(programme: str, output: Path, start: str | None, end: str | None) -> None:
    """Write the programme's anonymised extract for evaluators (a ZIP of CSV files)."""
    from marshmallow import ValidationError

    from outreach.programmes.models import Programme
    from outreach.reports import extract
    from outreach.reports.ranges import ReportRangeIn

    chosen = _one(Programme, programme, "programme")
    try:
        dates = ReportRangeIn().load({k: v for k, v in (("from", start), ("to", end)) if v})
    except ValidationError as exc:
        raise click.BadParameter(str(exc.messages), param_hint="--from/--to") from exc
    scope = extract.Scope(chosen, dates["start"], dates["end"])
    with _output(output) as file:
        counts = extract.write(file, scope, extract.pseudonyms_for(current_app.config))
    extract.audit(None, scope, counts, via="cli")
    db.session.commit()
    click.echo(", ".join(f"{name}: {n}" for name, n in counts.items()))
    click.echo(f"Wrote {output}.")
