"""What escalations do when the features below them announce something (outreach.events).

Those features never import escalations: every new need is routed, a need met elsewhere (the
client seen, a text answered) closes its escalations, a withdrawn consent takes its live
escalations back to the coordinator and then tells each recipient organisation they were
withdrawn, and so does an erasure. Connected by `outreach.escalations.init_app`.
"""

from __future__ import annotations

from datetime import datetime

from outreach import events
from outreach.escalations import notify, services, webhooks, withdrawal


def route_need(need, **_) -> None:
    services.route_need(need)


def need_closed(need, *, now: datetime, resolution: str, **_) -> None:
    services.need_closed_elsewhere(need, now, resolution)


def consent_withdrawn(consent, *, actor, **_) -> None:
    # In this order: live escalations are passed back first, then every recipient is told.
    services.consent_withdrawn(actor, consent)
    withdrawal.consent_withdrawn(actor, consent)


def client_erased(client, **_) -> None:
    withdrawal.client_erasing(client)


def event_recorded(event, **_) -> None:
    webhooks.queue_delivery(event)


def contact_escalated(escalation, **_) -> None:
    notify.alert_contact(escalation)


def escalation_resolved(escalation, **_) -> None:
    notify.tell_client_outcome(escalation)


def connect() -> None:
    """Connect the receivers (idempotent: blinker keeps one connection per receiver)."""
    for signal, receiver in ((events.need_raised, route_need),
                             (events.need_closed, need_closed),
                             (events.consent_withdrawn, consent_withdrawn),
                             (events.client_erased, client_erased),
                             (events.escalation_event_recorded, event_recorded),
                             (events.contact_escalated, contact_escalated),
                             (events.escalation_resolved, escalation_resolved)):
        events.connect(signal, receiver)
