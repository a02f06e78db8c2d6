"""Coordinator pages for rounds, visit plans, pauses and holiday cover."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import fields, validate
from sqlalchemy import select

from outreach.auth import access
from outreach.db import db
from outreach.enums import ProgrammeKind, Role, VisitFrequency
from outreach.errors import APIError, NotFound
from outreach.people.models import Client
from outreach.people.services import client_for_change, get_client
from outreach.programmes.models import Programme
from outreach.rounds.models import Round
from outreach.rounds.schemas import RoundIn
from outreach.rounds.services import create_round, update_round
from outreach.schemas import Id, Input
from outreach.visits import plans
from outreach.visits.plan_schemas import CoverIn, PauseIn, VisitPlanIn
from outreach.web.forms import attempt, form_data, refusal_errors, validate_form
from outreach.web.pages import keep, start_again

bp = Blueprint("plans", __name__)

WEEKDAYS = ((1, "Monday"), (2, "Tuesday"), (3, "Wednesday"), (4, "Thursday"), (5, "Friday"),
            (6, "Saturday"), (7, "Sunday"))
FREQUENCIES = ((VisitFrequency.DAILY.value, "Every day the round runs"),
               (VisitFrequency.WEEKDAYS.value, "On chosen days (1 to 6 a week)"),
               (VisitFrequency.WEEKLY.value, "Once a week"),
               (VisitFrequency.FORTNIGHTLY.value, "Every other week"))


class MoveIn(Input):
    client_id = Id(required=True)
    direction = fields.String(required=True, validate=validate.OneOf(["up", "down"]))


@bp.before_request
@login_required
def _require_login():
    g.via = "web"


def _managers_only() -> None:
    if current_user.role not in (Role.ADMIN, Role.COORDINATOR):
        abort(403)


def _days(value: str) -> str:
    names = dict(WEEKDAYS)
    return ", ".join(names[int(d)] for d in value.split(",") if d) or "No days"


def _remove(action, done: str) -> None:
    """Run a removal; a second press of the same Remove button finds nothing, and that is fine
    (the answer is the same redirect, so the audited read of the client is kept)."""
    try:
        action()
    except NotFound:
        flash("That was already removed.", "success")
        return
    flash(done, "success")


# --- Rounds -----------------------------------------------------------------------------------


@bp.get("/rounds/")
def rounds():
    """The rounds the coordinator manages, with their visitor and days."""
    _managers_only()
    return render_template("plans/rounds.html", rounds=plans.managed_rounds(current_user),
                           days=_days)


def _round_programmes() -> list[Programme]:
    """The Call & Check programmes the current user may add rounds to."""
    return list(db.session.scalars(select(Programme).where(
        access.programme_filter(current_user),
        Programme.kind == ProgrammeKind.CALL_AND_CHECK).order_by(Programme.name, Programme.id)))


def _visitor_choices(programmes: list[Programme]) -> list[tuple[int, str]]:
    """Visitors of the programmes' operators; named with their operator when there are several."""
    operators = {p.operator_id: p for p in programmes}
    choices = []
    for programme in operators.values():
        for visitor in plans.operator_visitors(programme):
            label = visitor.full_name
            if len(operators) > 1:
                label = f"{label} ({programme.operator.name})"
            choices.append((visitor.id, label))
    return sorted(choices, key=lambda c: (c[1], c[0]))


def _round_form_data(programme_id) -> dict:
    """The round form as RoundIn input: ticked days as numbers, a blank visitor as nobody."""
    raw = form_data(RoundIn(), request.form, lists=("weekdays",))
    raw["weekdays"] = [int(d) if d.strip().isdigit() else d for d in raw["weekdays"]]
    if programme_id is not None:
        raw["programme_id"] = programme_id
    return raw


def _round_errors(errors: dict) -> dict:
    """Plain words for the day boxes: the API's message talks about ISO weekday numbers."""
    if "weekdays" in errors:
        errors["weekdays"] = "Tick one or more days the round runs."
    return errors


def _round_values(round_: Round | None) -> dict:
    if round_ is None:
        return {"weekdays": [1, 2, 3, 4, 5]}
    return {"name": round_.name, "area": round_.area or "",
            "visitor_id": round_.visitor_id or "", "weekdays": round_.weekday_list}


def _posted_round_values() -> dict:
    values = request.form.to_dict()
    values["weekdays"] = [int(d) if d.isdigit() else d for d in request.form.getlist("weekdays")]
    return values


def _render_round_form(round_: Round | None, programmes: list[Programme], errors: dict,
                       values: dict, status: int):
    visitors = _visitor_choices([round_.programme] if round_ else programmes)
    return render_template(
        "plans/round_form.html", round=round_, errors=errors, values=values,
        programmes=[(p.id, p.name) for p in programmes], visitors=visitors,
        weekdays=WEEKDAYS), status


@bp.route("/rounds/new", methods=["GET", "POST"])
def new_round():
    """Create a round: its programme, name, area, default visitor and days."""
    _managers_only()
    programmes = _round_programmes()
    if request.method == "GET":
        return _render_round_form(None, programmes, {}, _round_values(None), 200)
    data, errors = validate_form(RoundIn(), _round_form_data(None))
    if not errors and data["programme_id"] not in {p.id for p in programmes}:
        errors = {"programme_id": "Choose one of your Call & Check programmes."}
    if not errors:
        try:
            round_ = create_round(current_user, data)
        except APIError as exc:
            db.session.rollback()
            errors = refusal_errors(exc)
    if errors:
        db.session.rollback()
        return _render_round_form(None, _round_programmes(), _round_errors(errors),
                                  _posted_round_values(), 422)
    flash(f"Round “{round_.name}” created.", "success")
    return redirect(url_for("visits.plans.round_page", round_id=round_.id))


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
def edit_round(round_id: int):
    """Change a round's name, area, default visitor or days."""
    round_ = plans.managed_round(current_user, round_id)
    if request.method == "GET":
        return _render_round_form(round_, [], {}, _round_values(round_), 200)
    data, errors = validate_form(RoundIn(), _round_form_data(round_.programme_id))
    if not errors:
        errors = attempt(lambda: update_round(current_user, round_, data))
    if errors:
        db.session.rollback()
        return _render_round_form(plans.managed_round(current_user, round_id), [],
                                  _round_errors(errors), _posted_round_values(), 422)
    flash("Round saved.", "success")
    return redirect(url_for("visits.plans.round_page", round_id=round_id))


@bp.get("/rounds/<int:round_id>")
def round_page(round_id: int):
    """One round: its clients in walking order, and its holiday cover."""
    return _render_round(plans.managed_round(current_user, round_id), {}, {}, 200)


def _render_round(round_: Round, errors: dict, values, status: int):
    stops = plans.round_stops(round_)
    from outreach.audit.services import record_listing

    record_listing(current_user, [c for c, _ in stops], purpose="round")
    page = render_template(
        "plans/round.html", round=round_, stops=stops, covers=plans.covers_by_date(round_),
        visitors=plans.operator_visitors(round_.programme), errors=errors, values=values,
        days=_days, frequencies=dict(FREQUENCIES), weekdays=dict(WEEKDAYS))
    keep()  # the audited reads, also when the page is drawn again with a form's errors
    return page, status


@bp.post("/rounds/<int:round_id>/move")
def move(round_id: int):
    """Move a client one place earlier or later on the round."""
    round_ = plans.managed_round(current_user, round_id)
    data, errors = validate_form(MoveIn(), form_data(MoveIn(), request.form))
    if errors:
        return _render_round(round_, errors, request.form, 422)
    plans.move(current_user, round_, data["client_id"], -1 if data["direction"] == "up" else 1)
    return redirect(url_for("visits.plans.round_page", round_id=round_id) + "#order")


@bp.post("/rounds/<int:round_id>/covers")
def add_cover(round_id: int):
    """Hand the round to another visitor for some days."""
    round_ = plans.managed_round(current_user, round_id)
    data, errors = validate_form(CoverIn(), form_data(CoverIn(), request.form))
    if not errors:
        errors = attempt(lambda: plans.add_cover(current_user, round_, data))
    if errors:
        start_again()
        return _render_round(plans.managed_round(current_user, round_id), errors, request.form,
                             422)
    flash("Cover added.", "success")
    return redirect(url_for("visits.plans.round_page", round_id=round_id) + "#cover")


@bp.post("/rounds/<int:round_id>/covers/<int:cover_id>/delete")
def delete_cover(round_id: int, cover_id: int):
    """Remove a cover: the round's own visitor walks it again."""
    round_ = plans.managed_round(current_user, round_id)
    _remove(lambda: plans.delete_cover(current_user, round_, cover_id), "Cover removed.")
    return redirect(url_for("visits.plans.round_page", round_id=round_id) + "#cover")


# --- A client's plan and pauses ---------------------------------------------------------------


def _plan_values(client: Client, plan) -> dict:
    if plan is None:
        return {"frequency": "weekdays", "weekdays": [], "round_id": client.round_id or "",
                "walk_order": client.walk_order or ""}
    return {
        "frequency": plan.frequency, "weekdays": plan.weekday_list,
        "window_start": plan.window_start.strftime("%H:%M") if plan.window_start else "",
        "window_end": plan.window_end.strftime("%H:%M") if plan.window_end else "",
        "starts_on": plan.starts_on.isoformat(),
        "ends_on": plan.ends_on.isoformat() if plan.ends_on else "",
        "round_id": client.round_id or "", "walk_order": client.walk_order or "",
        "sms_check_ins": plan.sms_check_ins,
    }


def _posted_values() -> dict:
    values = request.form.to_dict()
    values["weekdays"] = [int(d) if d.isdigit() else d for d in request.form.getlist("weekdays")]
    values["sms_check_ins"] = "sms_check_ins" in request.form
    return values


def _render_plan(client: Client, errors: dict, values: dict | None, status: int):
    plan = plans.find_plan(client)
    can_manage = access.can_manage_client(current_user, client)
    rounds_ = db.session.scalars(select(Round).where(
        Round.programme_id == client.programme_id).order_by(Round.name)).all() \
        if can_manage else []
    page = render_template(
        "plans/plan.html", client=client, plan=plan, can_manage=can_manage, errors=errors,
        v=values or _plan_values(client, plan), pause_values=request.form if errors else {},
        pauses=plans.pauses_by_date(client), rounds=rounds_, frequencies=FREQUENCIES,
        frequency_names=dict(FREQUENCIES), weekdays=WEEKDAYS, days=_days)
    keep()  # the audited read, also when the page is drawn again with a form's errors
    return page, status


@bp.route("/clients/<int:client_id>/plan", methods=["GET", "POST"])
def plan(client_id: int):
    """A client's visit plan: coordinators change it, their visitor reads it."""
    if request.method == "GET":
        return _render_plan(get_client(current_user, client_id, purpose="visit_plan"), {},
                            None, 200)
    client = client_for_change(current_user, client_id)
    raw = form_data(VisitPlanIn(), request.form, booleans=("sms_check_ins",),
                    lists=("weekdays",))
    raw["weekdays"] = [int(d) if d.isdigit() else d for d in raw["weekdays"]]
    data, errors = validate_form(VisitPlanIn(), raw)
    if not errors:
        errors = attempt(lambda: plans.set_plan(current_user, client, data))
    if errors:
        start_again()
        return _render_plan(client_for_change(current_user, client_id), errors,
                            _posted_values(), 422)
    flash("Visit plan saved.", "success")
    return redirect(url_for("visits.plans.plan", client_id=client_id))


@bp.post("/clients/<int:client_id>/plan/delete")
def delete_plan(client_id: int):
    """Stop the client's planned visits and take them off their round."""
    client = client_for_change(current_user, client_id)
    _remove(lambda: plans.delete_plan(current_user, client),
            "Visit plan removed. The client is no longer on a round.")
    return redirect(url_for("visits.plans.plan", client_id=client_id))


@bp.post("/clients/<int:client_id>/plan/pauses")
def add_pause(client_id: int):
    """Pause visits for a hospital stay or a holiday."""
    client = client_for_change(current_user, client_id)
    # Prefixed: the plan form on the same page has its own start and end dates.
    data, errors = validate_form(PauseIn(), form_data(PauseIn(), request.form, prefix="pause-"))
    errors = {f"pause-{k}": v for k, v in errors.items()}
    if errors:
        start_again()
        return _render_plan(client_for_change(current_user, client_id), errors, None, 422)
    plans.add_pause(current_user, client, data)
    flash("Pause added.", "success")
    return redirect(url_for("visits.plans.plan", client_id=client_id) + "#pauses")


@bp.post("/clients/<int:client_id>/plan/pauses/<int:pause_id>/delete")
def delete_pause(client_id: int, pause_id: int):
    """Remove a pause: visits are due again on those days."""
    client = client_for_change(current_user, client_id)
    _remove(lambda: plans.delete_pause(current_user, client, pause_id), "Pause removed.")
    return redirect(url_for("visits.plans.plan", client_id=client_id) + "#pauses")
