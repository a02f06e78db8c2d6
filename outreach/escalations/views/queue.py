"""The provider's queue and the page of one escalation, with the forms that act on it.

Each action is a thin call to `outreach.escalations.services`, which decides who may do what;
a refusal comes back to the page as an error summary next to the form that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from outreach.audit.services import record_listing
from outreach.auth.models import User
from outreach.consent.services import may_share_with
from outreach.db import db, utcnow
from outreach.enums import (
    ESCALATION_LIVE,
    EscalationStatus,
    NeedCategory,
    NeedSeverity,
    OrganisationKind,
    Role,
)
from outreach.errors import Conflict, ValidationFailed
from outreach.escalations import disclosure, queries, services, words
from outreach.escalations.access import deny, get_escalation, may_act, may_manage, may_see
from outreach.escalations.forms import (
    AcknowledgeForm,
    HandBackForm,
    NoteForm,
    ReassignForm,
    ReopenForm,
    ResolveForm,
)
from outreach.escalations.models import Escalation
from outreach.escalations.webhooks import webhook_health
from outreach.organisations.models import Organisation
from outreach.reports.views.dashboard import ago
from outreach.web.forms import form_data, refusal_errors, validate_form
from outreach.web.pages import start_again

bp = Blueprint("queue", __name__)
# A working day's queue; the filters narrow a longer one.
QUEUE_LIMIT = 200
RECENT_DAYS = 14
RECENT_LIMIT = 10
# For times not tied to one programme (a webhook's trouble): the zone every programme starts in.
DEFAULT_ZONE = "Europe/Jersey"



@bp.before_request
@login_required
def _require_login():
    g.via = "web"


@bp.app_template_global()
def escalation_words() -> dict:
    """The plain words the escalation pages use for statuses, categories, outcomes and events."""
    return words.for_templates()


@dataclass(frozen=True)
class Timing:
    """How an escalation stands against its SLA, in words."""

    overdue: bool
    words: str


@bp.app_template_global()
def escalation_timing(escalation: Escalation, now: datetime | None = None) -> Timing:
    """Overdue by …, or acknowledge / resolve within …; blank once it is closed."""
    now = now or utcnow()
    if escalation.waiting_for_acknowledgement and escalation.due_at <= now:
        return Timing(True, f"Overdue by {ago(now - escalation.due_at)}: not acknowledged "
                            "in time")
    if escalation.live and escalation.resolve_due_at <= now:
        return Timing(True, f"Overdue by {ago(now - escalation.resolve_due_at)}: not resolved "
                            "in time")
    if escalation.waiting_for_acknowledgement:
        return Timing(False, f"Acknowledge within {ago(escalation.due_at - now)}")
    if escalation.live:
        return Timing(False, f"Resolve within {ago(escalation.resolve_due_at - now)}")
    return Timing(False, "")


def _arg(name: str, allowed) -> str | None:
    value = request.args.get(name, "")
    return value if value in allowed else None


# --- The provider's queue ------------------------------------------------------------------

@bp.get("/provider/")
def queue():
    """The signed-in provider's live escalations: overdue first, then most urgent, then soonest
    due; with what was resolved lately."""
    if current_user.role != Role.PROVIDER:
        abort(403)  # coordinators and admins have the overview at /escalations/
    now = utcnow()
    filters = {"status": _arg("status", {s.value for s in ESCALATION_LIVE}),
               "category": _arg("category", {c.value for c in NeedCategory}),
               "severity": _arg("severity", {s.value for s in NeedSeverity})}
    loaded = (selectinload(Escalation.client), selectinload(Escalation.programme))
    rows = db.session.scalars(queries.live_queue(current_user, now, **filters)
                              .options(*loaded).limit(QUEUE_LIMIT + 1)).all()
    more, rows = len(rows) > QUEUE_LIMIT, rows[:QUEUE_LIMIT]
    recent = db.session.scalars(
        queries.visible(current_user, status=EscalationStatus.RESOLVED.value)
        .where(Escalation.resolved_at >= now - timedelta(days=RECENT_DAYS))
        .order_by(Escalation.resolved_at.desc(), Escalation.id.desc())
        .options(*loaded).limit(RECENT_LIMIT)).all()
    shown = disclosure.shown_clients([*rows, *recent])
    record_listing(current_user, shown.values(), purpose="provider_queue")
    organisation = current_user.organisation
    failing = webhook_trouble(organisation, now)
    return render_template(
        "escalations/queue.html", rows=rows, recent=recent, more=more, filters=filters,
        shown=set(shown),
        now=now, organisation=organisation, failing=failing, limit=QUEUE_LIMIT,
        timezone=rows[0].programme.timezone if rows else DEFAULT_ZONE,
        recent_days=RECENT_DAYS, statuses=[(s.value, words.STATUS[s]) for s in ESCALATION_LIVE],
        categories=[(c.value, w) for c, w in words.CATEGORY.items()],
        severities=[(s.value, w) for s, w in words.SEVERITY.items()])


@dataclass(frozen=True)
class WebhookTrouble:
    """What the queue says when the organisation's own system is not getting its events."""

    since: datetime
    waiting: int
    detail: str


def webhook_trouble(organisation: Organisation, now: datetime) -> WebhookTrouble | None:
    """Whether the organisation's webhook keeps failing (None: working, or none set up)."""
    health = webhook_health(organisation, now)
    if not health.failing:
        return None
    since = health.failing_since or health.oldest_pending_at or now
    detail = health.last_error or (f"answered {health.last_status_code}"
                                   if health.last_status_code else "")
    return WebhookTrouble(since, health.pending, detail)


# --- One escalation ------------------------------------------------------------------------

@bp.get("/escalations/<int:escalation_id>")
def show(escalation_id: int):
    """One escalation: the client summary, what was reported, its times and its timeline."""
    escalation = get_escalation(current_user, escalation_id)
    page = _page(escalation)
    return render_template("escalations/show.html", **page)


def _page(escalation: Escalation, *, form: str = "", errors: dict | None = None) -> dict:
    """What the escalation page shows to the current user (and which forms it offers); the
    client only while the rule in escalations.disclosure allows (client None otherwise)."""
    manager = may_manage(current_user, escalation)
    verdict = disclosure.judge(escalation, disclosure.audience_of(current_user))
    events = escalation.events
    people = {e.actor_id for e in events} | {escalation.acknowledged_by_id,
                                             escalation.resolved_by_id}
    previous = db.session.get(Escalation, escalation.previous_id) \
        if escalation.previous_id else None
    following = db.session.scalars(select(Escalation).where(
        Escalation.previous_id == escalation.id).order_by(Escalation.id)).all()
    return {
        "escalation": escalation, "client": escalation.client if verdict.shown else None,
        "withdrawn": verdict.withdrawn,
        "needs": queries.carried_needs(escalation), "events": events,
        "actors": _actors(people - {None}), "timezone": escalation.programme.timezone,
        "timing": escalation_timing(escalation), "recipient": words.recipient_name(escalation),
        "can_act": may_act(current_user, escalation), "can_manage": manager,
        "is_provider": current_user.role == Role.PROVIDER,
        "previous": previous if previous and may_see(current_user, previous) else None,
        "following": [e for e in following if may_see(current_user, e)],
        "choices": _choices(escalation) if manager and escalation.live else [],
        "outcomes": [(o.value, w) for o, w in words.OUTCOME.items()],
        "form": form, "errors": errors or {}, "values": request.form if errors else {},
    }


def _actors(ids: set[int]) -> dict[int, str]:
    """Who did what, as the timeline names them: the person and their organisation."""
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.full_name, Organisation.name)
                              .join(Organisation, Organisation.id == User.organisation_id)
                              .where(User.id.in_(ids))).all()
    return {i: f"{name} ({org})" if name else org for i, name, org in rows}


def _choices(escalation: Escalation) -> list[tuple[str, str]]:
    """Who the coordinator may send it to: the operator, providers, the client's contacts; those
    the client has not agreed to share with are marked (the service refuses them)."""
    client = escalation.client
    operator = escalation.programme.operator_id
    organisations = db.session.scalars(select(Organisation).where(
        (Organisation.kind != OrganisationKind.OPERATOR) | (Organisation.id == operator))
        .order_by(Organisation.name)).all()
    choices = []
    for organisation in organisations:
        if organisation.id == operator:
            words = f"The coordinator ({organisation.name})"
        elif may_share_with(client, organisation=organisation):
            words = organisation.name
        else:
            words = f"{organisation.name} (no consent to share)"
        choices.append((f"org:{organisation.id}", words))
    for contact in client.contacts:
        words = f"{contact.name} ({contact.relationship_to_client or 'contact'})"
        if not may_share_with(client, contact=contact):
            words += " (no consent to share)"
        choices.append((f"contact:{contact.id}", words))
    return [c for c in choices if c[0] != escalation.recipient_key]


def _refused(escalation_id: int, form: str, errors: dict, status: int):
    """Show the page again with the refused form's errors; nothing of the attempt is kept."""
    start_again()
    escalation = get_escalation(current_user, escalation_id)  # the page shows the client again
    page = _page(escalation, form=form, errors=errors)
    return render_template("escalations/show.html", **page), status


def _run(action) -> tuple[dict, int]:
    """Call a service; a refusal (bad input, or the wrong state) becomes the form's errors."""
    try:
        action()
    except (ValidationFailed, Conflict) as exc:
        # The service's sentence first: it names what is wrong (e.g. whose consent is missing).
        return {"_schema": exc.message, **refusal_errors(exc)}, exc.status
    return {}, 200


def _submit(escalation_id: int, form: str, schema, action, done: str, *, then=None):
    """Validate the form, run the action with its data, and come back to the page."""
    data, errors = validate_form(schema, form_data(schema, request.form))
    status = 422
    if not errors:
        errors, status = _run(lambda: action(data))
    if errors:
        return _refused(escalation_id, form, errors, status)
    target = then() if then else escalation_id
    flash(done, "success")
    return redirect(url_for("escalations.queue.show", escalation_id=target))


@bp.post("/escalations/<int:escalation_id>/acknowledge")
def acknowledge(escalation_id: int):
    """Take ownership in one tap (from the queue or the page); twice is harmless."""
    escalation = get_escalation(current_user, escalation_id, purpose="acknowledge")
    data, errors = validate_form(AcknowledgeForm(), form_data(AcknowledgeForm(), request.form))
    already = escalation.status == EscalationStatus.ACKNOWLEDGED
    if not errors:
        errors, _ = _run(lambda: services.acknowledge(current_user, escalation, data["note"]))
    if errors:
        db.session.rollback()
        flash(" ".join(errors.values()), "error")
    else:
        flash("It was already acknowledged." if already
              else "Acknowledged: it is yours to deal with now.", "success")
    if data.get("back") == "queue" and current_user.role == Role.PROVIDER:
        return redirect(url_for("escalations.queue.queue"))
    return redirect(url_for("escalations.queue.show", escalation_id=escalation_id))


@bp.post("/escalations/<int:escalation_id>/notes")
def add_note(escalation_id: int):
    """Add a note to the timeline."""
    escalation = get_escalation(current_user, escalation_id, purpose="note")
    return _submit(escalation_id, "note", NoteForm(),
                   lambda d: services.add_note(current_user, escalation, d["note"]),
                   "Note added.")


@bp.post("/escalations/<int:escalation_id>/resolve")
def resolve(escalation_id: int):
    """Close it with an outcome; a provider also rates how useful the referral was."""
    escalation = get_escalation(current_user, escalation_id, purpose="resolve")
    return _submit(escalation_id, "resolve", ResolveForm(),
                   lambda d: services.resolve(current_user, escalation, d["outcome"],
                                              usefulness=d["usefulness"], note=d["note"]),
                   "Resolved. Thank you.")


@bp.post("/escalations/<int:escalation_id>/hand-back")
def hand_back(escalation_id: int):
    """A provider gives it back to the coordinator, saying why."""
    escalation = get_escalation(current_user, escalation_id, purpose="hand_back")
    if current_user.role != Role.PROVIDER:
        deny(current_user, escalation, "hand_back")  # coordinators reassign instead
    return _submit(escalation_id, "hand_back", HandBackForm(),
                   lambda d: services.hand_back(current_user, escalation, d["note"]),
                   "Handed back to the coordinator.")


@bp.post("/escalations/<int:escalation_id>/reassign")
def reassign(escalation_id: int):
    """The coordinator sends it to another organisation or contact (consent must allow)."""
    escalation = get_escalation(current_user, escalation_id, purpose="reassign")
    if not may_manage(current_user, escalation):
        deny(current_user, escalation, "reassign")  # before the form: a refusal says no more
    made = []
    return _submit(escalation_id, "reassign", ReassignForm(),
                   lambda d: made.append(services.reassign(
                       current_user, escalation, organisation_id=d["organisation_id"],
                       contact_id=d["contact_id"], note=d["note"])),
                   "Sent on. This is the new escalation.", then=lambda: made[0].id)


@bp.post("/escalations/<int:escalation_id>/reopen")
def reopen(escalation_id: int):
    """The coordinator reopens a resolved escalation, saying why."""
    escalation = get_escalation(current_user, escalation_id, purpose="reopen")
    if not may_manage(current_user, escalation):
        deny(current_user, escalation, "reopen")
    return _submit(escalation_id, "reopen", ReopenForm(),
                   lambda d: services.reopen(current_user, escalation, d["note"]),
                   "Reopened. It waits to be acknowledged again.")
