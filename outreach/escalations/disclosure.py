"""Whether a reader may see the client behind an escalation: the one rule every route asks.

A recipient organisation sees a client's personal data (name, date of birth, address, phone,
the need in their words, the notes on the timeline) only while it holds a live escalation for
that client *and* the client's consent to share with it stands (taking part, and sharing with
that organisation). The client's own operator (its coordinators) and administrators always do.
Once the rule fails (consent withdrawn, nothing live left, the client erased) the reader keeps
the escalation's bare record: ids, category, severity, status and times, and, when consent was
withdrawn or the client erased, that the escalation was withdrawn, so it can remove its copies.

The API, the pull feed, webhooks, FHIR, Atom and the web pages all ask `judge`/`judge_many`;
what is kept back is blanked by `withhold` (JSON) or by each route's own shape (FHIR, Atom).
The verdicts are remembered until the session next writes (a write may change them).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import g, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from outreach.auth.models import User
from outreach.consent.models import Consent
from outreach.db import db
from outreach.enums import ESCALATION_LIVE, ConsentPurpose, Role
from outreach.escalations.models import Escalation
from outreach.people.models import Client
from outreach.programmes.models import Programme

CONSENT_WITHDRAWN = "consent_withdrawn"
ERASED = "erased"
STAFF = None  # the audience of administrators and the operator's coordinators: everything
_MEMO = "disclosure_verdicts"
_UNSET = object()


@dataclass(frozen=True)
class Verdict:
    """What one reader may see of one client's escalations."""

    shown: bool  # the client's personal data may be shown
    withdrawn: str | None = None  # why the escalations were taken back from this reader


SHOWN = Verdict(True)
KEPT_BACK = Verdict(False)  # nothing live left (or no reader known): nothing personal shown
GONE = Verdict(False, ERASED)


def audience_of(user: User | None) -> int | None:
    """Whose rule applies to `user`: STAFF for admins and coordinators, else their
    organisation's (a provider's); -1 (nobody's) for no user at all."""
    if user is None:
        return -1
    if user.role in (Role.ADMIN, Role.COORDINATOR):
        return STAFF
    return user.organisation_id if user.organisation_id is not None else -1


def current_audience() -> int | None:
    """The audience of this request: the one `speaking_to` set, else the signed-in user's."""
    if not has_app_context():
        return -1
    chosen = g.get("disclosure_audience", _UNSET)
    if chosen is not _UNSET:
        return chosen
    user = g.get("user")
    if user is None:
        from flask_login import current_user

        user = current_user if getattr(current_user, "is_authenticated", False) else None
    return audience_of(user)


@contextmanager
def speaking_to(organisation_id: int | None) -> Iterator[None]:
    """Judge what is dumped inside as seen by this organisation (STAFF: by the operator)."""
    before = g.get("disclosure_audience", _UNSET)
    g.disclosure_audience = organisation_id
    try:
        yield
    finally:
        if before is _UNSET:
            g.pop("disclosure_audience", None)
        else:
            g.disclosure_audience = before


def judge_many(audience: int | None, client_ids: Iterable[int]) -> dict[int, Verdict]:
    """The verdict for each client, as `audience` sees it (three queries for any number)."""
    wanted = {c for c in client_ids if c is not None}
    if audience is STAFF:
        return dict.fromkeys(wanted, SHOWN)
    memo = db.session.info.setdefault(_MEMO, {})
    missing = {c for c in wanted if (audience, c) not in memo}
    if missing:
        memo.update({(audience, c): v for c, v in _decide(audience, missing).items()})
    return {c: memo[(audience, c)] for c in wanted}


def judge(escalation: Escalation | None, audience=_UNSET) -> Verdict:
    """The verdict on one escalation's client (None: an erased one) for the audience given, or
    this request's."""
    if escalation is None:
        return GONE
    if audience is _UNSET:
        audience = current_audience()
    return judge_many(audience, [escalation.client_id])[escalation.client_id]


def shown_clients(escalations: Iterable[Escalation | None], audience=_UNSET) -> dict:
    """The clients these escalations show to the audience (for auditing what was read), judged
    all at once: {client id: client}."""
    present = [e for e in escalations if e is not None]
    if audience is _UNSET:
        audience = current_audience()
    verdicts = judge_many(audience, {e.client_id for e in present})
    return {e.client_id: e.client for e in present if verdicts[e.client_id].shown}


def _decide(organisation_id: int, client_ids: set[int]) -> dict[int, Verdict]:
    own = set(db.session.scalars(select(Client.id).join(
        Programme, Programme.id == Client.programme_id).where(
        Client.id.in_(client_ids), Programme.operator_id == organisation_id)))
    live = set(db.session.scalars(select(Escalation.client_id).where(
        Escalation.client_id.in_(client_ids), Escalation.organisation_id == organisation_id,
        Escalation.status.in_(ESCALATION_LIVE))))
    active = Consent.withdrawn_at.is_(None)
    taking_part = set(db.session.scalars(select(Consent.client_id).where(
        Consent.client_id.in_(client_ids), Consent.purpose == ConsentPurpose.TAKE_PART, active)))
    sharing = set(db.session.scalars(select(Consent.client_id).where(
        Consent.client_id.in_(client_ids), Consent.purpose == ConsentPurpose.SHARE_INFORMATION,
        Consent.organisation_id == organisation_id, active)))
    verdicts = {}
    for client_id in client_ids:
        if client_id in own:
            verdicts[client_id] = SHOWN
        elif client_id not in taking_part or client_id not in sharing:
            verdicts[client_id] = Verdict(False, CONSENT_WITHDRAWN)
        else:
            verdicts[client_id] = SHOWN if client_id in live else KEPT_BACK
    return verdicts


def withhold(data: dict, verdict: Verdict) -> dict:
    """An escalation as dumped (EscalationOut), without what the verdict keeps back."""
    data["withdrawn"] = verdict.withdrawn
    if verdict.shown:
        return data
    data["client"] = None
    data["routed_because"] = data["outcome_note"] = ""
    data["needs"] = [{**need, "description": ""} for need in data.get("needs") or []]
    for entry in data.get("events") or []:
        entry["note"] = ""
    return data


@event.listens_for(Session, "after_flush")
def _forget_after_write(session: Session, _context) -> None:
    session.info.pop(_MEMO, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_after_transaction(session: Session, _transaction) -> None:
    session.info.pop(_MEMO, None)
