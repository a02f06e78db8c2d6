"""The programme dashboard (evaluation): figures with their charts and tables, a CSV for each
table, and the cost of a visit, which the coordinator sets here.

Admins and the coordinators of the programme's operator read it; it shows counts only, never
a client's name, so it leaves no client.read events, only one `evaluation.view` per page.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import Schema, ValidationError
from sqlalchemy import distinct, select

from outreach.audit.services import record
from outreach.db import db
from outreach.enums import Role
from outreach.errors import APIError, NotFound, ValidationFailed
from outreach.people.models import Client
from outreach.programmes import services as programme_services
from outreach.programmes.models import Programme
from outreach.programmes.schemas import COST_PER_VISIT
from outreach.reports import charts, dashboard
from outreach.reports.dashboard import Dashboard
from outreach.reports.dashboard_outcomes import SCORE_NAMES
from outreach.reports.dashboard_schemas import DashboardQuery
from outreach.reports.dashboard_tables import (
    OUTCOME_NAMES,
    SATISFACTION_NAMES,
    SEVERITY_NAMES,
    as_csv,
    category_name,
    tables,
)
from outreach.reports.spreadsheet import csv_download, slug
from outreach.rounds.models import Round
from outreach.web.forms import form_data, refusal_errors, validate_form
from outreach.web.roles import pages_for

bp = Blueprint("evaluation", __name__, url_prefix="/evaluation")
MANAGERS = (Role.ADMIN, Role.COORDINATOR)
FILTERS = ("programme_id", "from", "to", "parish", "round_id")

# Colours with at least 3:1 contrast on white; the legend and the tables name them too.
OUTCOME_SERIES = [charts.Series(OUTCOME_NAMES["seen_well"], "#0b6b2b"),
                  charts.Series(OUTCOME_NAMES["seen_concern"], "#8a5a00"),
                  charts.Series(OUTCOME_NAMES["no_answer"], "#b00020"),
                  charts.Series(OUTCOME_NAMES["declined"], "#6b3fa0"),
                  charts.Series(OUTCOME_NAMES["away"], "#00539f"),
                  charts.Series("Missed", "#6f6f6f")]
ENROLLED = charts.Series("Enrolled", "#00539f")
LEFT = charts.Series("Left", "#6f6f6f")
SENT = charts.Series("Sent", "#00539f")
DELIVERED = charts.Series("Delivered", "#0b6b2b")
REPLIES = charts.Series("Replies", "#8a5a00")
COUNT = charts.Series("Escalations", "#00539f")
ACKNOWLEDGED = charts.Series("Acknowledged", "#8a5a00")
RESOLVED = charts.Series("Resolved", "#0b6b2b")
NEEDS = charts.Series("Needs", "#00539f")
CLIENTS = charts.Series("Clients", "#00539f")
RATED = charts.Series("Ratings", "#00539f")
UCLA = charts.Series("Loneliness (3–9)", "#b00020")
ONS_SERIES = [charts.Series("Life satisfaction", "#0b6b2b"),
              charts.Series("Worthwhile", "#00539f"), charts.Series("Happy", "#8a5a00"),
              charts.Series("Anxious", "#b00020")]


class CostForm(Schema):
    cost_per_visit = COST_PER_VISIT


pages_for(bp, *MANAGERS)


def _programme(raw: str | None) -> Programme | None:
    """The programme chosen (the user's first when none is), or 403/404."""
    if not raw:
        mine = dashboard.programmes_for(current_user)
        return mine[0] if mine else None
    try:
        programme_id = int(raw)
    except ValueError:
        raise NotFound("No such programme.") from None
    return dashboard.programme_for_dashboard(current_user, programme_id)


def _load(programme: Programme) -> tuple[dict, dict]:
    """The filters in the address, checked: (loaded, errors by field)."""
    given = {k: v for k, v in request.args.items() if k in FILTERS}
    given["programme_id"] = str(programme.id)
    try:
        return DashboardQuery().load(given), {}
    except ValidationError as exc:
        return {}, {key: " ".join(value) if isinstance(value, list) else str(value)
                    for key, value in exc.messages.items()}


def _choices(programme: Programme) -> dict:
    parishes = db.session.scalars(select(distinct(Client.parish)).where(
        Client.programme_id == programme.id, Client.parish != "").order_by(Client.parish))
    rounds = db.session.execute(select(Round.id, Round.name).where(
        Round.programme_id == programme.id).order_by(Round.name)).tuples().all()
    return {"programmes": [(p.id, p.name) for p in dashboard.programmes_for(current_user)],
            "parishes": [(p, p) for p in parishes], "rounds": rounds}


def _render(programme: Programme | None, status: int = 200, cost_errors: dict | None = None,
            cost_value: str = ""):
    """The page; 422 when the filters are wrong (or with `status` when the cost form is)."""
    if programme is None:  # an admin before any programme exists
        return render_template("evaluation/dashboard.html", programme=None, board=None,
                               errors={}, values={}), status
    params, errors = _load(programme)
    board, context = None, {}
    if not errors:
        board = dashboard.build(dashboard.scope_for(current_user, params))
        context = {"charts": _charts(board), "tables": tables(board), "query": _query(board),
                   "back": {k: v for k, v in _query(board).items() if k != "programme_id"},
                   "score_names": SCORE_NAMES, "category_name": category_name}
    return render_template(
        "evaluation/dashboard.html", programme=programme, board=board, errors=errors,
        cost_errors=cost_errors or {}, cost_value=cost_value, values=request.args,
        **_choices(programme), **context), 422 if errors else status


def _query(board: Dashboard) -> dict:
    """The filters as they go in the addresses of the CSVs and the cost form's way back."""
    scope = board.scope
    query = {"programme_id": scope.programme.id, "from": scope.start.isoformat(),
             "to": scope.end.isoformat()}
    if scope.parish:
        query["parish"] = scope.parish
    if scope.round_id is not None:
        query["round_id"] = scope.round_id
    return query


@bp.get("/")
def show():
    """The dashboard of one programme over the dates and clients chosen (GET filters)."""
    programme = _programme(request.args.get("programme_id"))
    response = _render(programme)
    if programme is not None and response[1] == 200:
        record(current_user, "evaluation.view", subject=programme, detail={
            "filters": sorted(k for k in FILTERS if request.args.get(k))})
    return response


@bp.get("/<name>.csv")
def download(name: str):
    """One table of the dashboard as a spreadsheet, for the same filters as the page."""
    programme = _programme(request.args.get("programme_id"))
    if programme is None:
        abort(404)
    params, errors = _load(programme)
    if errors:
        raise ValidationFailed("The filters are not valid: " + "; ".join(
            f"{key}: {message}" for key, message in errors.items()), fields=errors)
    board = dashboard.build(dashboard.scope_for(current_user, params))
    if name not in tables(board):
        abort(404)
    return csv_download(as_csv(board, name), f"{slug(programme.name)}-{name}.csv")


@bp.post("/programmes/<int:programme_id>/cost-per-visit")
def set_cost(programme_id: int):
    """Change what one visit costs the programme (0 to 1000 pounds, 2 decimals); audited."""
    programme = dashboard.programme_for_dashboard(current_user, programme_id)
    data, errors = validate_form(CostForm(), form_data(CostForm(), request.form))
    if not errors and "cost_per_visit" not in data:
        errors = {"cost_per_visit": "Give the cost of one visit, e.g. 6.75."}
    if not errors:
        try:
            programme_services.update_programme(current_user, programme, data)
        except APIError as exc:
            errors = refusal_errors(exc)
    if errors:
        db.session.rollback()
        return _render(programme, 422, cost_errors=errors,
                       cost_value=request.form.get("cost_per_visit", "")[:20])
    flash(f"A visit now costs £{programme.cost_per_visit:.2f}.", "success")
    back = {k: v for k, v in request.args.items() if k in FILTERS and v}
    return redirect(url_for("reports.evaluation.show", **{**back, "programme_id": programme.id}))


def _charts(board: Dashboard) -> dict:
    """The SVG charts; each description says in words what the chart shows."""
    months = board.scope.month_labels()
    c, v, sms, w = board.clients, board.visits, board.sms, board.wellbeing
    esc, needs = board.escalations.by_severity, board.needs
    return {
        "clients": charts.bar_chart(
            "chart-clients", "Clients enrolled and left, by month",
            f"{c.enrolled} enrolled and {c.left} left over {len(months)} months.", months,
            [ENROLLED, LEFT], c.by_month),
        "visits": charts.bar_chart(
            "chart-visits", "Visits by month, by outcome, and visits missed",
            f"{v.done} visits done and {v.missed} missed.", months, OUTCOME_SERIES,
            v.by_month, stacked=True),
        "no_answers": charts.bar_chart(
            "chart-no-answers", "How no-answers ended",
            f"{board.no_answers.raised} no-answers.",
            ["Seen again", "Dealt with by a contact or the team", "Flagged, still open",
             "Still within the window"], [CLIENTS],
            [[board.no_answers.seen_again], [board.no_answers.dealt_with],
             [board.no_answers.flagged_open], [board.no_answers.waiting]]),
        "needs": charts.bar_chart(
            "chart-needs", "Needs raised, by category",
            "; ".join(f"{category_name(cat)}: {n}" for cat, n in
                      zip(needs.categories, needs.totals, strict=True)) or "No needs.",
            [category_name(cat) for cat in needs.categories], [NEEDS],
            [[n] for n in needs.totals]),
        "escalations": charts.bar_chart(
            "chart-escalations", "Escalations by severity",
            "; ".join(f"{SEVERITY_NAMES[r.severity]}: {r.count} made, {r.acknowledged} "
                      f"acknowledged, {r.resolved} resolved" for r in esc) + ".",
            [SEVERITY_NAMES[r.severity] for r in esc], [COUNT, ACKNOWLEDGED, RESOLVED],
            [[r.count, r.acknowledged, r.resolved] for r in esc]),
        "usefulness": charts.bar_chart(
            "chart-usefulness", "How useful providers' help was, 1 to 5",
            "; ".join(f"{u.name}: mean {u.mean} from {u.rated} ratings"
                      for u in board.usefulness) or "No ratings.",
            [u.name for u in board.usefulness], [RATED], [[u.rated] for u in board.usefulness]),
        "texts": charts.bar_chart(
            "chart-texts", "Texts by month",
            f"{sms.sent} sent, {sms.delivered} delivered, {sms.replies} replies.", months,
            [SENT, DELIVERED, REPLIES], sms.by_month),
        "loneliness": charts.line_chart(
            "chart-loneliness", "Loneliness by quarter (UCLA-3, lower is better)",
            "; ".join(f"{q.label}: {q.means['ucla'] if q.measures else 'none'}"
                      for q in w.quarters) + ".",
            [q.label for q in w.quarters], [UCLA], [[q.means["ucla"]] for q in w.quarters],
            low=3, high=9),
        "wellbeing": charts.line_chart(
            "chart-wellbeing", "Wellbeing by quarter (ONS-4, 0 to 10)",
            "Mean life satisfaction, worthwhile, happy and anxious by quarter: " + "; ".join(
                f"{q.label}: " + ", ".join(str(q.means[s]) for s in SCORE_NAMES if s != "ucla")
                for q in w.quarters) + ".",
            [q.label for q in w.quarters], ONS_SERIES,
            [[q.means[s] for s in SCORE_NAMES if s != "ucla"] for q in w.quarters],
            low=0, high=10),
        "satisfaction": charts.bar_chart(
            "chart-satisfaction", "Satisfaction answers",
            f"{board.satisfaction.answered} answers, mean {board.satisfaction.mean}.",
            list(SATISFACTION_NAMES.values()), [CLIENTS],
            [[n] for n in board.satisfaction.answers.values()]),
    }
