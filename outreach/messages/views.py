"""Pages for the texts: the message log, one message, the console outbox, the opt-out list,
and the "Texts" section of a client's page with its "Send a text" form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import func, select

from outreach.auth import access
from outreach.consent.services import may_share_with
from outreach.db import db
from outreach.enums import InboundMeaning, MessageDirection, MessageKind, MessageStatus
from outreach.errors import APIError, Conflict
from outreach.messages import numbers, services
from outreach.messages import opt_outs as by_hand
from outreach.messages.models import Message, SmsNumber
from outreach.messages.schemas import DecideIn, MessageIn, OptInIn, OptOutIn
from outreach.people.models import Client
from outreach.people.services import client_for_change, get_client
from outreach.people.views import LANGUAGES
from outreach.programmes.models import Programme
from outreach.schemas import MAX_ID
from outreach.web import local_time
from outreach.web.forms import attempt, form_data, refusal_errors, validate_form
from outreach.web.pages import start_again

bp = Blueprint("messages", __name__)
PAGE = 50
RECENT = 20  # texts on a client's page, and texts from unknown numbers on the log
# Shown when a message names no programme: the one every programme starts with.
DEFAULT_ZONE = "Europe/Jersey"

Status = MessageStatus
STATUS_WORDS = {
    Status.QUEUED: "Waiting to be sent", Status.SENDING: "Being sent", Status.SENT: "Sent",
    Status.DELIVERED: "Delivered", Status.UNDELIVERED: "Not delivered",
    Status.FAILED: "Failed", Status.UNKNOWN: "Not known: please decide",
    Status.CANCELLED: "Not sent", Status.RECEIVED: "Received",
}
KIND_WORDS = {
    MessageKind.CHECK_IN: "Check-in text", MessageKind.APPOINTMENT_REMINDER:
    "Appointment reminder", MessageKind.PRESCRIPTION_NOTICE: "Prescription on its way",
    MessageKind.VISIT_REPORT: "Visit report", MessageKind.ALERT: "Alert",
    MessageKind.WORKSHOP_REMINDER: "Workshop reminder", MessageKind.REPLY: "Automatic reply",
    MessageKind.FREE_TEXT: "Text from staff", MessageKind.OUTCOME: "What came of a concern",
    MessageKind.SURVEY: "Wellbeing or satisfaction question",
}
MEANING_WORDS = {
    InboundMeaning.CHECK_IN_ANSWER: "Answer to a check-in",
    InboundMeaning.OPT_OUT: "Asked to stop all texts",
    InboundMeaning.OPT_IN: "Asked to have texts again",
    InboundMeaning.HELP: "Asked what the texts are",
    InboundMeaning.NEED: "Asked for help",
    InboundMeaning.REPEAT: "The same text again",
    InboundMeaning.LOOP: "An automatic sender: not answered",
    InboundMeaning.UNKNOWN_SENDER: "From a number we do not know",
    InboundMeaning.ACKNOWLEDGEMENT: "Said OK or YES to what we asked",
    InboundMeaning.SURVEY_ANSWER: "Answer to a wellbeing or satisfaction question",
}
DIRECTIONS = [(MessageDirection.OUTBOUND.value, "Sent by us"),
              (MessageDirection.INBOUND.value, "Received")]


@bp.before_request
@login_required
def _require_login():
    g.via = "web"


def _require_staff() -> None:
    if current_user.role not in services.MANAGERS:
        abort(403)


@bp.app_template_global()
def shows_texts() -> bool:
    """Whether the current user has the message pages (the menu and the client page ask)."""
    return current_user.is_authenticated and current_user.role in services.MANAGERS


@bp.app_template_global()
def text_time(moment: datetime | None, timezone: str | None) -> str:
    """A time as people read it, in the programme's time zone: Tue 4 March 2025, 10:30."""
    if moment is None:
        return ""
    local = local_time(moment, timezone or DEFAULT_ZONE)
    return f"{local:%a} {local.day} {local:%B %Y, %H:%M}"


@bp.app_template_global()
def text_words() -> dict:
    """The plain words the pages use for statuses, kinds, meanings and languages."""
    return {"status": STATUS_WORDS, "kind": KIND_WORDS, "meaning": MEANING_WORDS,
            "language": LANGUAGES}


@bp.app_template_global()
def texts_for_client(client: Client, checked: access.ClientAccess | None = None) -> dict | None:
    """What the client page's "Texts" section shows; None for those without message pages.

    The client page has already recorded the read of this client, and passes what it decided
    of the user's access as `checked` (asked here when absent or about someone else).
    """
    if not shows_texts():
        return None
    if checked is None or not checked.about(current_user, client):
        checked = access.client_access(current_user, client)
    # A message about a client is visible exactly when the client is. Asked of the one client
    # rather than as `client_id IN (every visible client)`, which PostgreSQL answers by
    # reading all 100,000 clients for each page.
    messages = db.session.scalars(select(Message).where(Message.client_id == client.id)
                                  .order_by(Message.id.desc()).limit(RECENT)).all() \
        if checked.can_see else []
    can_send = checked.can_manage
    return {"messages": messages, "timezone": client.programme.timezone,
            "can_send": can_send, "recipients": _recipients(client) if can_send else [],
            "why_not": numbers.why_not_text(client.phone)}


def _recipients(client: Client) -> list[tuple[str, str]]:
    """Who the "Send a text" form offers: the client, and contacts they agreed to share with."""
    offered = [("", f"{client.full_name} (the client)")]
    for contact in client.contacts:
        if contact.phone and may_share_with(client, contact=contact):
            relationship = contact.relationship_to_client or "contact"
            offered.append((str(contact.id), f"{contact.name} ({relationship})"))
    return offered


def _zones(messages) -> dict[int, str]:
    """Each shown message's time zone: its programme's (so times read as they did there)."""
    ids = {m.programme_id for m in messages} - {None}
    zones = dict(db.session.execute(select(Programme.id, Programme.timezone)
                                    .where(Programme.id.in_(ids))).all()) if ids else {}
    return {m.id: zones.get(m.programme_id, DEFAULT_ZONE) for m in messages}


def _arg(name: str, allowed) -> str | None:
    value = request.args.get(name, "")
    return value if value in allowed else None


def _id_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID \
        else None


# --- The message log -------------------------------------------------------------------------

@bp.get("/messages/")
def index():
    """The log of texts in and out, newest first, with texts from unknown numbers apart;
    `client_id` narrows it to one client's texts (an audited read of that client)."""
    _require_staff()
    about = None
    if request.args.get("client_id"):
        client_id = _id_arg("client_id")
        if client_id is None:
            abort(404)
        about = get_client(current_user, client_id, purpose="messages")
    programmes = db.session.scalars(select(Programme).where(
        access.programme_filter(current_user)).order_by(Programme.name)).all()
    filters = {"client_id": about.id if about else None,
               "programme_id": _id_arg("programme_id"),
               "direction": _arg("direction", {d for d, _ in DIRECTIONS}),
               "status": _arg("status", {s.value for s in Status})}
    query = services.visible_messages(current_user, **filters)
    before = _id_arg("before")
    if before is not None:
        query = query.where(Message.id < before)
    rows = db.session.scalars(query.order_by(Message.id.desc()).limit(PAGE + 1)).all()
    older = rows[PAGE - 1].id if len(rows) > PAGE else None
    rows = rows[:PAGE]
    strangers = db.session.scalars(services.unknown_senders(current_user)
                                   .order_by(Message.id.desc()).limit(RECENT)).all()
    services.audit_listing(current_user, rows)
    return render_template(
        "messages/index.html", messages=rows, strangers=strangers,
        zones=_zones([*rows, *strangers]), programmes=programmes, directions=DIRECTIONS,
        filters=filters, first_page=before is None and about is None, about=about,
        older_url=url_for("messages.index", before=older,
                          **{k: v for k, v in filters.items() if v is not None})
        if older else None)


@bp.get("/messages/<int:message_id>")
def show(message_id: int):
    """One text with its status history; an interrupted one offers the two decisions."""
    _require_staff()
    message = services.get_message(current_user, message_id)
    can_decide = message.status == Status.UNKNOWN and (
        message.client is None or access.can_manage_client(current_user, message.client))
    programme = db.session.get(Programme, message.programme_id) if message.programme_id else None
    return render_template("messages/show.html", message=message, can_decide=can_decide,
                           programme=programme,
                           timezone=programme.timezone if programme else DEFAULT_ZONE)


_DECIDED = {
    services.SEND_AGAIN: lambda m: "It will be sent again now.",
    services.DROP: lambda m: "Dropped: it will not be sent.",
    services.CHECK_AGAIN: lambda m: ("Found at the SMS provider: it was sent."
                                     if m.status != Status.UNKNOWN else
                                     "Checked again: the SMS provider still has no record of it."),
}


@bp.post("/messages/<int:message_id>/decide")
def decide(message_id: int):
    """Send again, drop, or check at the provider again, a text whose sending is not known."""
    _require_staff()
    message = services.message_for_change(current_user, message_id)
    data, errors = validate_form(DecideIn(), form_data(DecideIn(), request.form))
    if not errors:
        errors = attempt(lambda: services.decide(current_user, message, data["action"]))
    if errors:
        start_again()
        services.get_message(current_user, message_id)  # the read stays on record
        flash(" ".join(errors.values()), "error")
        return redirect(url_for("messages.show", message_id=message_id))
    flash(_DECIDED[data["action"]](message), "success")
    return redirect(url_for("messages.show", message_id=message_id))


# --- The console backend's outbox --------------------------------------------------------------

@bp.get("/messages/outbox")
def outbox():
    """Texts the console backend "sent", shown as a phone would show them, newest first."""
    _require_staff()
    query = services.visible_messages(current_user, direction=MessageDirection.OUTBOUND).where(
        Message.backend.in_(("console", "twiml")))
    before = _id_arg("before")
    if before is not None:
        query = query.where(Message.id < before)
    rows = db.session.scalars(query.order_by(Message.id.desc()).limit(PAGE + 1)).all()
    older = rows[PAGE - 1].id if len(rows) > PAGE else None
    rows = rows[:PAGE]
    services.audit_listing(current_user, rows)
    return render_template("messages/outbox.html", messages=rows, zones=_zones(rows),
                           older_url=url_for("messages.outbox", before=older) if older else None,
                           console=current_app.config["SMS_BACKEND"] == "console")


# --- Opt-outs and numbers that do not work ----------------------------------------------------

@dataclass
class NumberList:
    """One list of the opt-outs page: how many in all, a page of them by number, and the links
    to its first and next pages (None where there is none)."""

    total: int
    entries: list
    first_url: str | None
    next_url: str | None


# Each list's place: the last number of the page before (numbers sort as text, E.164).
LIST_ARGS = ("opted_after", "invalid_after")


def _number_list(query, name: str, after: dict[str, str]) -> tuple[int, list[SmsNumber], dict]:
    """(how many in all, this page, the links' places) of one list; the other list keeps its
    place in the links."""
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    if after[name]:
        query = query.where(SmsNumber.phone > after[name])
    rows = db.session.scalars(query.order_by(SmsNumber.phone).limit(PAGE + 1)).all()
    kept = {k: v for k, v in after.items() if v and k != name}
    links = {"first_url": url_for("messages.opt_outs", **kept) if after[name] else None,
             "next_url": url_for("messages.opt_outs", **kept, **{name: rows[PAGE - 1].phone})
             if len(rows) > PAGE else None}
    return total, rows[:PAGE], links


@bp.get("/messages/opt-outs")
def opt_outs(errors: dict | None = None, values=None, status: int = 200):
    """Numbers that asked for no texts, and numbers that do not work, with whose they are: a
    page of each (a national operator has thousands), each paged on its own; and the form to
    opt a number out by hand."""
    _require_staff()
    visible = services.visible_numbers(current_user)
    after = {name: request.args.get(name, "")[:32] for name in LIST_ARGS}
    opted = _number_list(visible.where(SmsNumber.opted_out_at.is_not(None)), "opted_after",
                         after)
    invalid = _number_list(visible.where(SmsNumber.invalid_at.is_not(None)), "invalid_after",
                           after)
    # One look-up of owners (and one audited listing) for both pages.
    entries = {e.number.id: e for e in services.listed(current_user, [*opted[1], *invalid[1]])}
    return render_template(
        "messages/opt_outs.html",
        opted_out=NumberList(opted[0], [entries[n.id] for n in opted[1]], **opted[2]),
        invalid=NumberList(invalid[0], [entries[n.id] for n in invalid[1]], **invalid[2]),
        out_reasons=by_hand.OUT_REASONS, in_reasons=by_hand.IN_REASONS,
        by_hand=numbers.opted_out_by_hand, errors=errors or {}, values=values or {}), status


@bp.post("/messages/opt-outs")
def opt_out():
    """Opt a number out of texts by hand (the person asked by phone, in person, in writing)."""
    _require_staff()
    data, errors = validate_form(OptOutIn(), form_data(OptOutIn(), request.form))
    if not errors:
        errors = attempt(lambda: by_hand.opt_out(current_user, data["phone"], data["reason"]))
    if errors:
        start_again()
        return opt_outs(errors=errors, values=request.form, status=422)
    flash("Done: no more texts will be sent to this number.", "success")
    return redirect(url_for("messages.opt_outs"))


@bp.post("/messages/opt-outs/<int:number_id>/opt-in")
def opt_in(number_id: int):
    """Let texts go again to a number opted out by hand."""
    _require_staff()
    entry = services.get_number(current_user, number_id)
    data, errors = validate_form(OptInIn(), form_data(OptInIn(), request.form))
    if not errors:
        errors = attempt(lambda: by_hand.opt_in(current_user, entry, data["reason"]))
    if errors:
        db.session.rollback()
        flash(" ".join(errors.values()), "error")
        return redirect(url_for("messages.opt_outs"))
    flash("Done: texts will be sent to this number again.", "success")
    return redirect(url_for("messages.opt_outs"))


@bp.post("/messages/opt-outs/<int:number_id>/clear-invalid")
def clear_invalid(number_id: int):
    """A person checked the number: texts may go to it again."""
    _require_staff()
    entry = services.get_number(current_user, number_id)
    try:
        services.clear_invalid(current_user, entry)
    except Conflict as exc:  # already cleared, perhaps by someone else a moment ago
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("messages.opt_outs"))
    flash("Number marked as checked. Texts will be sent to it again.", "success")
    return redirect(url_for("messages.opt_outs"))


# --- A client's texts ----------------------------------------------------------------------

@bp.post("/clients/<int:client_id>/texts")
def send(client_id: int):
    """Send a short text to the client or one of their contacts, from the client's page."""
    client = client_for_change(current_user, client_id)
    submitted = form_data(MessageIn(), request.form, booleans=("urgent",))
    submitted["client_id"] = client_id  # from the address, never the form
    data, errors = validate_form(MessageIn(), submitted)
    if not errors:
        try:
            message = services.send_text(current_user, client, data["body"],
                                         contact_id=data["contact_id"], urgent=data["urgent"])
        except APIError as exc:  # no consent, opted out, no number: said against the field
            errors = refusal_errors(exc)
            if "client_id" in errors:  # the form's recipient choice stands for the client
                errors["contact_id"] = errors.pop("client_id")
    if errors:
        start_again()
        client = client_for_change(current_user, client_id)
        return render_template("messages/send_form.html", client=client, errors=errors,
                               values=request.form, recipients=_recipients(client)), 422
    flash(_sent_words(message), "success")
    return redirect(url_for("people.show", client_id=client_id, _anchor="texts"))


def _sent_words(message: Message) -> str:
    words = "Text written. It is being sent now."
    if message.held_reason:
        words = f"Text written. {message.held_reason}."
    if message.segments > 1:
        words += (f" It is long: it goes as {message.segments} parts, each one paid for.")
    return words
