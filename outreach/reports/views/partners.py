"""Evaluation pages: the monthly partner reports (page, PDF, CSV) and the anonymised extract.

Coordinators and admins list the partners of a month and open any partner's report, counting
the escalations of the programmes they look after (admins: every programme). A provider opens
their own organisation's report only, counting every programme that sent to them. The extract
is for the programme's coordinators and admins. Figures come from `outreach.reports.partner`
and `outreach.reports.extract`.
"""

from __future__ import annotations

import tempfile

from flask import Blueprint, current_app, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError, fields, validate
from sqlalchemy import select

from outreach.audit.services import record, refuse
from outreach.auth import access
from outreach.db import db, utcnow
from outreach.enums import OrganisationKind, Role
from outreach.errors import NotFound, ValidationFailed
from outreach.escalations.access import escalation_filter
from outreach.organisations.models import Organisation
from outreach.programmes.models import Programme
from outreach.reports import charts, extract, partner, partner_tables
from outreach.reports.partner_tables import HOW, SCOPE_NOTE, as_csv, tables
from outreach.reports.pdf import as_pdf
from outreach.reports.ranges import ReportRangeIn
from outreach.reports.spreadsheet import csv_download, slug
from outreach.schemas import MAX_ID

bp = Blueprint("partners", __name__, url_prefix="/evaluation")
MANAGERS = (Role.ADMIN, Role.COORDINATOR)
THIS_MONTH = charts.Series("This month", "#00539f")
MONTH_BEFORE = charts.Series("The month before", "#6f6f6f")


@bp.before_request
@login_required
def _require_login():
    g.via = "web"


def _deny(what: str, **detail) -> None:
    refuse(current_user, "partner_report.denied", f"You cannot open {what}.", detail=detail)


def _organisation(organisation_id: int) -> Organisation:
    """The partner whose report the current user may read (403 audited, or 404)."""
    role = current_user.role
    if role not in (*MANAGERS, Role.PROVIDER):
        _deny("partner reports", organisation_id=organisation_id)
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("No such organisation.")
    own = organisation.id == current_user.organisation_id
    # A provider reads only its own report; a coordinator any partner's, but another operator's
    # own queue is that operator's business.
    if (role == Role.PROVIDER and not own) or (
            role == Role.COORDINATOR and organisation.kind == OrganisationKind.OPERATOR
            and not own):
        _deny("this organisation's report", organisation_id=organisation_id)
    return organisation


def _month_in_path(text: str) -> partner.Month:
    try:
        return partner.parse_month(text)
    except ValidationFailed as exc:
        raise NotFound("There is no report for that month.") from exc


def _report(organisation_id: int, month: str, kind: str) -> partner.Report:
    organisation = _organisation(organisation_id)
    report = partner.build(escalation_filter(current_user), organisation, _month_in_path(month))
    record(current_user, "partner_report.read", subject=organisation,
           detail={"month": report.month.key, "format": kind})
    return report


def _filename(report: partner.Report, suffix: str) -> str:
    return f"{slug(report.organisation.name, 'partner')}-{report.month.key}.{suffix}"


@bp.get("/partners")
def partners():
    """The partners that received escalations in a month, with their headline figures."""
    if current_user.role == Role.PROVIDER:
        month = request.args.get("month") or partner.this_month().previous.key
        return redirect(url_for(".show", organisation_id=current_user.organisation_id,
                                month=month))
    if current_user.role not in MANAGERS:
        _deny("partner reports")
    given = request.args.get("month", "").strip()
    errors = {}
    try:
        month = partner.parse_month(given) if given else partner.this_month().previous
    except ValidationFailed as exc:
        errors, month = {"month": exc.message}, None
    rows = partner.partners(escalation_filter(current_user), month) if month else []
    return render_template(
        "partner_report/partners.html", month=month, rows=rows, errors=errors,
        value=given or (month.key if month else ""), programmes=_programmes(),
        show=partner_tables.show,
        scope_note=SCOPE_NOTE[current_user.role.value]), 422 if errors else 200


def _programmes() -> list[Programme]:
    return list(db.session.scalars(select(Programme).where(access.programme_filter(current_user))
                                   .order_by(Programme.name, Programme.id)))


@bp.get("/partners/<int:organisation_id>/<month>")
def show(organisation_id: int, month: str):
    """One partner's month: headline figures against the month before, what came in, how
    useful it was and what came of it; printable."""
    report = _report(organisation_id, month, "html")
    return render_template(
        "partner_report/report.html", report=report, tables=tables(report), how=HOW,
        scope_note=SCOPE_NOTE[current_user.role.value], chart=_chart(report),
        generated=partner.generated_label(report))


@bp.get("/partners/<int:organisation_id>/<month>.pdf")
def pdf(organisation_id: int, month: str):
    """The partner's report as an A4 PDF."""
    report = _report(organisation_id, month, "pdf")
    body = as_pdf(report, SCOPE_NOTE[current_user.role.value])
    return current_app.response_class(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{_filename(report, "pdf")}"'})


@bp.get("/partners/<int:organisation_id>/<month>.csv")
def download(organisation_id: int, month: str):
    """The partner's report as a spreadsheet: one section per table."""
    report = _report(organisation_id, month, "csv")
    return csv_download(as_csv(report, SCOPE_NOTE[current_user.role.value]),
                        _filename(report, "csv"))


def _chart(report: partner.Report):
    now, before = report.headline, report.previous
    figures = [("Received", now.received, before.received),
               ("Acknowledged in time", now.acknowledged_in_time, before.acknowledged_in_time),
               ("Passed on", now.passed_on, before.passed_on),
               ("Resolved", now.resolved, before.resolved),
               ("Resolved in time", now.resolved_in_time, before.resolved_in_time)]
    return charts.bar_chart(
        "chart-months", f"{report.month.label} and the month before",
        "; ".join(f"{label}: {a} this month, {b} the month before"
                  for label, a, b in figures) + ".",
        [label for label, _, _ in figures], [THIS_MONTH, MONTH_BEFORE],
        [[a, b] for _, a, b in figures])


# --- The anonymised extract -----------------------------------------------------------------


class ExtractIn(ReportRangeIn):
    """Which programme, and which dates (both optional, both included)."""

    # From the address, so digits as text (the API's Id field wants a JSON number).
    programme_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))


@bp.get("/extract.zip")
def extract_zip():
    """The programme's anonymised extract for evaluators: a ZIP of CSV files and a README."""
    if current_user.role not in MANAGERS:
        _deny("the extract")
    try:
        asked = ExtractIn().load(dict(request.args))
    except ValidationError as exc:
        raise ValidationFailed("The extract's programme or dates are not valid.",
                               fields=exc.messages) from exc
    programme = db.session.get(Programme, asked["programme_id"])
    if programme is None:
        raise NotFound("No such programme.")
    if not access.can_manage_programme(current_user, programme):
        _deny("this programme's extract", programme_id=programme.id)
    # On disk, not in memory: a programme's visits may run to millions of rows.
    file = tempfile.TemporaryFile()  # noqa: SIM115 - send_file closes it once sent
    scope = extract.Scope(programme, asked["start"], asked["end"])
    counts = extract.write(file, scope, extract.pseudonyms_for(current_app.config))
    file.seek(0)
    extract.audit(current_user, scope, counts)
    today = utcnow().date().isoformat()
    return send_file(file, mimetype="application/zip", as_attachment=True,
                     download_name=f"{slug(programme.name)}-extract-{today}.zip")

