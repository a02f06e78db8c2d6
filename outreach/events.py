"""The domain's events: what a feature announces so that features above it can react.

A lower feature sends (needs sends `need_raised`); a higher feature that cares connects a
receiver in its `init_app` (escalations routes the need). So the lower feature never imports the
higher one, and nothing is wired by importing a module for its side effects.

Every event is sent inside the transaction that made it happen: a receiver's writes commit or
roll back with the change itself, and work for outside the database (texts, webhooks, the feed)
waits for the commit through `outreach.db.after_commit`.

The sender is the thing the event is about (the need, the consent, the client); further
arguments are named. Where two reactions to one event must happen in a given order, one
receiver does both, in that order: blinker does not promise an order between receivers.
"""

from __future__ import annotations

from blinker import Namespace

_events = Namespace()

# visits: sender is a new Visit, once its needs are raised; `raised` names their ids.
visit_recorded = _events.signal("visit-recorded")
# care: sender is a Prescription just sent out for delivery; `now` is when.
prescription_out_for_delivery = _events.signal("prescription-out-for-delivery")
# needs: sender is the new Need, in its transaction.
need_raised = _events.signal("need-raised")
# needs: sender is a Need met without its recipients (the client seen, a text answered);
# `now` and `resolution` say when and how.
need_closed = _events.signal("need-closed")
# consent: sender is the withdrawn Consent; `actor` withdrew it (None: the system).
consent_withdrawn = _events.signal("consent-withdrawn")
# people: sender is the Client about to be erased, before any of their rows are deleted, in
# erasure's transaction (what still refers to the client can be read, and told elsewhere).
client_erased = _events.signal("client-erased")
# escalations: sender is the EscalationEvent just written to a timeline.
escalation_event_recorded = _events.signal("escalation-event-recorded")
# escalations: sender is a new Escalation to one of the client's contacts.
contact_escalated = _events.signal("contact-escalated")
# escalations: sender is an Escalation its recipient has just resolved.
escalation_resolved = _events.signal("escalation-resolved")
# literacy: sender is the WorkshopEnrolment a freed place has just been offered to.
place_offered = _events.signal("place-offered")


def connect(signal, receiver) -> None:
    """Connect `receiver` to `signal` for good (once, however many apps are made).

    Strongly: a receiver is a module's function, and nothing should depend on the garbage
    collector for whether it is called.
    """
    signal.connect(receiver, weak=False)
