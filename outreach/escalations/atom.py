"""GET /feeds/escalations.atom: an organisation's newest escalation events as an Atom 1.0 feed.

Feed readers cannot send headers, so the feed opens with `?token=<feed token>` (one
organisation's feed, nothing else) as well as with `Authorization: Bearer <API token>`. The
login session never opens it: a page could otherwise pull a logged-in person's feed.

A feed reader is less protected than the API (tokens in URLs, copies in caches and on
phones), so an entry names the client and nothing more: no date of birth, address or phone.
The entry links to the escalation's page, where the rest is behind a login. Not even the name
once the reader may no longer see the client (escalations.disclosure): such an entry says what
happened and, if so, that the escalation was withdrawn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, current_app, g, request
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import selectinload

from outreach.audit.services import record, record_listing
from outreach.auth import tokens
from outreach.auth.models import User
from outreach.db import db, utcnow
from outreach.enums import EscalationEventKind, EscalationStatus, Role
from outreach.errors import APIError, Forbidden, NotFound, Unauthorized
from outreach.escalations import disclosure, feed, feed_tokens
from outreach.escalations.models import Escalation, EscalationEvent, FeedToken
from outreach.organisations.models import Organisation
from outreach.redaction import redact_contact_details

bp = Blueprint("atom", __name__)

READERS = (Role.ADMIN, Role.COORDINATOR, Role.PROVIDER)
DEFAULT_ENTRIES = 50
MAX_ENTRIES = 200
# A tag: URI needs a date on which the authority owned its name; any fixed one will do.
TAG_DATE = "2024"
GENERATOR = "Outreach & Check-in Toolkit"
# Characters XML 1.0 cannot carry at all (a need texted in may hold anything).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

TITLES = {
    EscalationEventKind.CREATED: "New",
    EscalationEventKind.JOINED: "Reported again",
    EscalationEventKind.ACKNOWLEDGED: "Acknowledged",
    EscalationEventKind.NOTE: "Note added",
    EscalationEventKind.RESOLVED: "Resolved",
    EscalationEventKind.REASSIGNED: "Reassigned",
    EscalationEventKind.HANDED_BACK: "Handed back",
    EscalationEventKind.REOPENED: "Reopened",
    EscalationEventKind.OVERDUE: "Overdue",
    EscalationEventKind.RESOLVE_OVERDUE: "Overdue to resolve",
    EscalationEventKind.MESSAGE: "Message",
    EscalationEventKind.WITHDRAWN: "Withdrawn",
}
WITHDRAWN_BECAUSE = {
    disclosure.CONSENT_WITHDRAWN: "the client withdrew their consent to share with you",
    disclosure.ERASED: "the client's records were erased",
}


@dataclass
class Reader:
    """Who is reading: a user (API token) or a feed token, and whose events they get."""

    user: User | None
    token: FeedToken | None
    scope: ColumnElement[bool]
    organisation: Organisation | None  # None: an administrator reading every organisation's

    @property
    def audience(self) -> int | None:
        """Whose disclosure rule applies: the token's organisation, or the user's."""
        if self.user is None:
            return self.organisation.id
        return disclosure.audience_of(self.user)


def _whole_number(name: str, default: int | None, largest: int) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= largest:
        raise APIError(f"{name} must be a whole number from 1 to {largest}.",
                       fields={name: ["Out of range."]})
    return int(raw)


def bearer_user() -> User:
    """The user of the request's bearer API token (a feed reader or FHIR client), or a 401."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthorized("Send a feed token (?token=) or an API token "
                           "(Authorization: Bearer <token>).")
    user = tokens.user_for_token(raw.strip())
    if user is None:
        raise Unauthorized("The token is not valid, has expired or was revoked.")
    g.user = user  # who is refused, if it comes to that (audit.refusals)
    return user


def reader() -> Reader:
    """Authenticate the request by feed token or API token, never by the session."""
    raw = request.args.get("token")
    if raw is not None:
        token = feed_tokens.token_for(raw.strip())
        if token is None:
            raise Unauthorized("The feed token is not valid or was revoked.")
        feed_tokens.check_maker(token)
        organisation = db.session.get(Organisation, token.organisation_id)
        return Reader(None, token, feed.feed_scope(None, organisation.id), organisation)
    user = bearer_user()
    if user.role not in READERS:
        raise Forbidden("Your role has no escalation feed.")
    wanted = _whole_number("organisation_id", None, 2**31 - 1)
    if user.role != Role.ADMIN:
        if wanted is not None and wanted != user.organisation_id:
            raise Forbidden("You can read your own organisation's feed only.")
        wanted = user.organisation_id
    organisation = None
    if wanted is not None:
        organisation = db.session.get(Organisation, wanted)
        if organisation is None:
            raise NotFound("No such organisation.")
    return Reader(user, None, feed.feed_scope(user, wanted), organisation)


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _words(value: str) -> str:
    return value.replace("_", " ")


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%a %d %b %Y %H:%M %Z")


def title(event: EscalationEvent) -> str:
    """What happened, to what: e.g. "Acknowledged: pain or illness, urgent"."""
    escalation = event.escalation
    return (f"{TITLES.get(event.kind, _words(event.kind.value).capitalize())}: "
            f"{_words(escalation.category.value)}, {escalation.severity.value}")


def summary(event: EscalationEvent) -> str:
    """The entry's plain text: who it is about (name only), the need and where it stood.

    The status is the one the event left it in, so an entry reads the same on every poll.
    """
    escalation = event.escalation
    timezone = escalation.programme.timezone
    status = event.detail.get("status") or escalation.status.value
    lines = [f"Client: {escalation.client.full_name}",
             f"Need: {_words(escalation.category.value)}, {escalation.severity.value}"]
    if escalation.need.description:
        said = redact_contact_details(escalation.need.description)
        lines.append(f"In their words: {said}")
    lines.append(f"Status: {status}")
    if status in (EscalationStatus.OPEN, EscalationStatus.REOPENED):
        lines.append(f"Acknowledge by: {_local(escalation.due_at, timezone)}")
    elif status == EscalationStatus.ACKNOWLEDGED:
        lines.append(f"Resolve by: {_local(escalation.resolve_due_at, timezone)}")
    elif status == EscalationStatus.RESOLVED and escalation.outcome is not None:
        lines.append(f"Outcome: {_words(escalation.outcome.value)}")
    return _text("\n".join(lines))


def kept_back(event: EscalationEvent, verdict: disclosure.Verdict) -> tuple[str, str]:
    """(title, text) of an entry whose client the reader may no longer see: what happened and
    why it was withdrawn, with no name, words or notes."""
    escalation = event.escalation
    what = TITLES.get(event.kind, _words(event.kind.value).capitalize())
    about = (f"{_words(escalation.category.value)}, {escalation.severity.value}"
             if escalation is not None else f"escalation {event.subject_id}")
    lines = [f"Escalation {event.subject_id}"]
    because = verdict.withdrawn or event.detail.get("because")
    if because in WITHDRAWN_BECAUSE:
        lines.append(f"Withdrawn: {WITHDRAWN_BECAUSE[because]}. Remove any copies you keep.")
    if escalation is not None:
        lines.append(f"Status: {event.detail.get('status') or escalation.status.value}")
        if event.kind == EscalationEventKind.RESOLVED and escalation.outcome is not None:
            lines.append(f"Outcome: {_words(escalation.outcome.value)}")
    return f"{what}: {about}", "\n".join(lines)


def _load(events: list[EscalationEvent]) -> None:
    """Load the events' escalations with what an entry shows, in three queries, not 3 per entry."""
    ids = {event.escalation_id for event in events} - {None}
    if ids:
        list(db.session.scalars(select(Escalation).where(Escalation.id.in_(ids)).options(
            selectinload(Escalation.client), selectinload(Escalation.need),
            selectinload(Escalation.programme))))


def _audit(who: Reader, events: list[EscalationEvent]) -> None:
    clients = disclosure.shown_clients([event.escalation for event in events], who.audience)
    if who.user is not None:
        record_listing(who.user, clients.values(), purpose="atom")
        return
    for client in clients.values():
        record(None, "client.list", subject=client, client_id=client.id,
               detail={"for": "atom", "feed_token_id": who.token.id})


def render(who: Reader, events: list[EscalationEvent]) -> bytes:
    """The Atom document for `events` (newest first)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    authority = urlsplit(base).hostname or "localhost"
    whose = f"organisation/{who.organisation.id}" if who.organisation else "all"
    generator = FeedGenerator()
    generator.id(f"tag:{authority},{TAG_DATE}:escalations/{whose}")
    generator.title(_text("Escalations for " + who.organisation.name) if who.organisation
                    else "Escalations for every organisation")
    generator.author({"name": GENERATOR})
    generator.generator(GENERATOR)
    generator.link(href=f"{base}/escalations", rel="alternate", type="text/html")
    generator.updated(events[0].at if events else utcnow())
    verdicts = disclosure.judge_many(who.audience, {e.escalation.client_id for e in events
                                                    if e.escalation is not None})
    for event in events:
        entry = generator.add_entry(order="append")
        entry.id(f"tag:{authority},{TAG_DATE}:escalation-event/{event.id}")
        entry.updated(event.at)
        entry.link(href=f"{base}/escalations/{event.subject_id}", rel="alternate",
                   type="text/html")
        verdict = (verdicts[event.escalation.client_id] if event.escalation is not None
                   else disclosure.GONE)
        if event.escalation is not None:
            entry.category(term=event.escalation.category.value,
                           label=_words(event.escalation.category.value))
        if verdict.shown:
            entry.title(_text(title(event)))
            entry.content(summary(event), type="text")
        else:
            heading, text = kept_back(event, verdict)
            entry.title(_text(heading))
            entry.content(_text(text), type="text")
    return generator.atom_str(pretty=True)


@bp.get("/feeds/escalations.atom")
def escalations_atom():
    """The newest events on the caller's organisation's escalations, as an Atom feed."""
    g.via = "feed"
    who = reader()
    limit = _whole_number("limit", DEFAULT_ENTRIES, MAX_ENTRIES)
    events = feed.newest(who.scope, limit)
    _load(events)
    body = render(who, events)
    _audit(who, events)
    response = Response(body, mimetype="application/atom+xml")
    # Names of people: never kept by a shared cache on the way.
    response.headers["Cache-Control"] = "private, no-store"
    return response
