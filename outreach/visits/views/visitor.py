"""The visitor's pages: today's round and the check-in form (work offline)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from outreach.api.core import json_body, load
from outreach.audit.services import record, record_listing
from outreach.db import db, utcnow
from outreach.enums import Role, VisitOutcome
from outreach.errors import APIError, Forbidden, NotFound
from outreach.escalations import visitor as escalation_outcomes
from outreach.evaluation import questions as measure_questions
from outreach.evaluation.models import MeasureKind
from outreach.evaluation.services import due as measure_due
from outreach.people.models import Client
from outreach.people.services import deny
from outreach.rounds.models import Round
from outreach.visits import questionnaire, services
from outreach.visits.schedule import due_clients, local_date, rounds_walked_by
from outreach.visits.schemas import VisitIn, VisitOut
from outreach.visits.views.outbox_key import page_outbox_key
from outreach.web.forms import form_data, refusal_errors, validate_form

# The trailing slash matters: the service worker at /round/sw.js controls pages under /round/.
bp = Blueprint("visitor", __name__, url_prefix="/round")
WALKERS = (Role.ADMIN, Role.COORDINATOR, Role.VISITOR)
OUTCOMES = [
    (VisitOutcome.SEEN_WELL, "Seen, all well"), (VisitOutcome.SEEN_CONCERN, "Seen, with a concern"),
    (VisitOutcome.NO_ANSWER, "No answer"), (VisitOutcome.DECLINED, "Did not want a visit"),
    (VisitOutcome.AWAY, "Away"),
]


@bp.before_request
def _require_login():
    g.via = "web"
    if request.endpoint == "visits.visitor.service_worker":
        return None  # the worker script holds no personal data and must load on its own
    return login_required(lambda: None)()


# Every page carries the walker's outbox key, so logging out from any page can ask about
# unsent visits (static/outbox.js).
bp.app_context_processor(page_outbox_key)


@bp.get("/sw.js")
def service_worker():
    """The service worker that keeps the round and forms working without a network."""
    response = send_from_directory(current_app.static_folder, "sw.js",
                                   mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


def todays_rounds(user) -> list[tuple[Round, object]]:
    """The rounds `user` walks today (in each round's own time zone), with that local date."""
    now = utcnow()
    found: dict[int, tuple[Round, object]] = {}
    for offset in (-1, 0, 1):  # the local date is at most a day from the UTC one
        on = (now + timedelta(days=offset)).date()
        for round_ in db.session.scalars(select(Round).where(
                Round.id.in_(rounds_walked_by(user, on))).order_by(Round.name, Round.id)):
            if local_date(now, round_.programme.timezone) == on:
                found[round_.id] = (round_, on)
    return list(found.values())


@bp.get("/")
def today():
    """Today's round(s) for the logged-in visitor, in walking order."""
    if current_user.role not in WALKERS:
        raise Forbidden("Only visitors and programme staff walk rounds.")
    rounds = [(round_, on, due_clients(round_, on)) for round_, on in todays_rounds(current_user)]
    record_listing(current_user, [stop.client for _, _, stops in rounds for stop in stops],
                   purpose="round")
    return render_template("visitor/round.html", rounds=rounds, outcomes=dict(OUTCOMES))


def _client_for_visit(client_id: int) -> Client:
    client = db.session.get(Client, client_id)
    if client is None:
        raise NotFound("No such client.")
    on = local_date(utcnow(), client.programme.timezone)
    if not services.may_record_for(current_user, client, on):
        deny(current_user, client, "visit")
    return client


@bp.get("/visit/<int:client_id>")
def visit_form(client_id: int):
    """The check-in form for one client on the visitor's round."""
    client = _client_for_visit(client_id)
    record(current_user, "client.read", subject=client, client_id=client.id,
           detail={"for": "visit form"})
    return _render_form(client, MultiDict(), {})


def _render_form(client: Client, values: dict, errors: dict, status: int = 200):
    round_ = db.session.get(Round, client.round_id) if client.round_id is not None else None
    on = local_date(utcnow(), client.programme.timezone)
    stop = next((s for s in due_clients(round_, on) if s.client.id == client.id), None) \
        if round_ is not None else None
    return render_template(
        "visitor/visit.html", client=client, stop=stop, values=values, errors=errors,
        questions=questionnaire.current(client.programme), outcomes=OUTCOMES,
        visit_id=values.get("id") or str(uuid.uuid4()),
        since_last_visit=escalation_outcomes.since_last_visit(client),
        wellbeing=measure_questions.WELLBEING if client.id in measure_due(
            [client.id], MeasureKind.WELLBEING, utcnow()) else (),
        intros=measure_questions.INTROS,
    ), status


def _form_visit(client: Client) -> dict:
    questions = questionnaire.version(client.programme, _int(request.form.get(
        "questionnaire_version")))
    data = form_data(VisitIn(), request.form, booleans=("prescription_delivered",
                                                        "appointment_reminded"))
    data.update(client_id=client.id, visited_at=utcnow().isoformat(),
                questionnaire_version=questions.version)
    answers = {}
    if data.get("outcome") in (VisitOutcome.SEEN_WELL, VisitOutcome.SEEN_CONCERN):
        for question in questions.questions:
            key = f"answer-{question['id']}"
            if question["kind"] == questionnaire.MULTI:
                answers[question["id"]] = request.form.getlist(key)
            elif request.form.get(key):
                answers[question["id"]] = request.form[key]
    data["answers"] = answers
    measures = _form_measures()
    if measures is not None and data.get("outcome") in (VisitOutcome.SEEN_WELL,
                                                        VisitOutcome.SEEN_CONCERN):
        data["measures"] = measures
    return data


def _form_measures() -> dict | None:
    """The wellbeing section's answers as the API takes them; None when it was left alone."""
    declined = "measure-declined" in request.form
    answers = {}
    for question in measure_questions.WELLBEING:
        value = request.form.get(f"measure-{question.item}", "")
        if value:  # text that is not a number is passed on, for the schema to explain
            answers[question.item] = _int(value) if _int(value) is not None else value
    if declined:
        return {"declined": True, "answers": {}}  # their wish wins over any answer ticked
    return {"declined": False, "answers": answers} if answers else None


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 else None


@bp.post("/visit/<int:client_id>")
def save_visit(client_id: int):
    """Save a visit from the plain form (the path that works without JavaScript)."""
    client = _client_for_visit(client_id)
    try:
        data = _form_visit(client)
    except APIError as exc:  # an unknown questionnaire version: say what to do about it
        return _render_form(client, request.form, {"_schema": exc.message}, 422)
    loaded, errors = validate_form(VisitIn(), data)
    if not errors:
        try:
            services.record_visit(current_user, loaded)
        except Forbidden:
            raise
        except APIError as exc:
            errors = refusal_errors(exc)
    if errors:
        db.session.rollback()
        return _render_form(client, request.form, errors, 422)
    return redirect(url_for("visits.visitor.today"))


@bp.post("/visits")
def sync_visit():
    """Take one visit from the phone's queue as JSON (session and CSRF header): 201 or 200."""
    if current_user.role not in WALKERS:
        raise Forbidden("Your role cannot record visits.")
    data = load(VisitIn(), json_body())
    visit, created = services.record_visit(current_user, data)
    return jsonify(VisitOut().dump(visit)), 201 if created else 200
