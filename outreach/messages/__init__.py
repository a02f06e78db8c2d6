"""Messages: every SMS in or out, its status history, opt-outs and what clients text in."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire messages into `app`: its pages; Twilio's webhooks (texts in, delivery reports), its own
    places in the order inbound texts are understood, visit reports to contacts, a prescription
    on its way told to the client, and what it holds about a client."""
    # Imported here, so that importing the feature's models does not pull in the rest.
    from outreach import events
    from outreach.extensions import csrf
    from outreach.messages import handlers, notices, personal_data, views, webhooks
    from outreach.people import subject_access
    from outreach.web import pages

    handlers.register_all()
    events.connect(events.visit_recorded, notices.visit_recorded)
    events.connect(events.prescription_out_for_delivery, notices.prescription_on_its_way)
    csrf.exempt(webhooks.bp)  # Twilio signs its requests instead: see messages/webhooks
    app.register_blueprint(webhooks.bp)
    subject_access.declare_holdings("messages", personal_data.declare)
    pages.register(app, views.bp)
