"""The client page's "Loneliness and wellbeing" panel: past measures, when the next is due, and
a form for answers a coordinator takes by telephone."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from outreach.db import db, utcnow
from outreach.evaluation import questions, services
from outreach.evaluation.models import MeasureKind, MeasureSource, OutcomeMeasure
from outreach.evaluation.schemas import MeasureIn
from outreach.people.models import Client
from outreach.web.forms import attempt, validate_form
from outreach.web.pages import start_again

bp = Blueprint("evaluation", __name__)
SHOWN = 20  # the panel shows the latest askings; the API lists them all
HOW_ASKED = {MeasureSource.VISIT: "At a visit", MeasureSource.SMS: "By text",
             MeasureSource.WEB: "By the office"}
KIND_WORDS = {MeasureKind.WELLBEING: "Loneliness and wellbeing",
              MeasureKind.SATISFACTION: "Satisfaction with the service"}


@bp.before_request
@login_required
def _require_login():
    g.via = "web"


@bp.app_template_global()
def measures_for_client(client: Client) -> dict:
    """What the client page's measures panel shows (only ever rendered for the client's
    managers, whose read of the page is audited)."""
    now = utcnow()
    rows = db.session.scalars(services.measures_of(client).order_by(
        OutcomeMeasure.asked_at.desc(), OutcomeMeasure.id.desc()).limit(SHOWN)).all()
    return {"rows": rows, "how_asked": HOW_ASKED, "kind_words": KIND_WORDS,
            "next": _next_due(client, now),
            "now": now, "questions": questions.QUESTIONS, "intros": questions.INTROS,
            "timezone": client.programme.timezone}


def _next_due(client: Client, now: datetime) -> dict[MeasureKind, datetime]:
    """services.next_due of every kind, from one statement rather than one a kind."""
    asked = dict(db.session.execute(
        select(OutcomeMeasure.kind, func.max(OutcomeMeasure.asked_at))
        .where(OutcomeMeasure.client_id == client.id).group_by(OutcomeMeasure.kind)).all())
    return {kind: now if asked.get(kind) is None else max(now, asked[kind] + services.EVERY[kind])
            for kind in MeasureKind}


@bp.app_template_global()
def measure_state(measure: OutcomeMeasure) -> str:
    """Declined, complete, or how far a partial asking got, in words."""
    if measure.declined:
        return "Would rather not answer"
    if measure.completed_at is not None:
        return "Complete"
    if measure.awaiting:
        return "Waiting for replies"
    return "Partly answered"


def _form_answers(kind: MeasureKind, form) -> dict:
    answers: dict = {}
    for question in questions.QUESTIONS.get(kind, ()):
        value = form.get(f"answer-{question.item}", "").strip()
        if value:  # a number from the radios; anything else is passed on to be refused
            answers[question.item] = int(value) if value.isascii() and value.isdigit() \
                and len(value) < 4 else value
    return answers


@bp.post("/clients/<int:client_id>/measures")
def add_measure(client_id: int):
    """Record outcome-measure answers taken by telephone (coordinators and admins)."""
    client = services.client_for_measures(current_user, client_id)
    kind = request.form.get("kind", "")
    data, errors = validate_form(MeasureIn(), {
        "kind": kind, "declined": "declined" in request.form,
        "answers": _form_answers(MeasureKind(kind), request.form)
        if kind in set(MeasureKind) else {}})
    if not errors:
        errors = attempt(lambda: services.record_measure(
            current_user, client, data["kind"], MeasureSource.WEB, data["answers"], utcnow(),
            declined=data["declined"]))
    if errors:
        start_again()
        client = services.client_for_measures(current_user, client_id)
        return render_template("measures/form.html", client=client, errors=errors,
                               values=request.form, kind=kind), 422
    flash("Answers recorded.", "success")
    return redirect(url_for("people.show", client_id=client_id, _anchor="measures"))
