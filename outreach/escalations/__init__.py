"""Escalations: needs routed to the organisations and contacts who deal with them."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire escalations into `app`: its pages; its reactions to needs, consent and erasure, a
    designated contact's OK texted in, and what it holds about a client."""
    # Imported here, so that importing the feature's models does not pull in the rest.
    from outreach.escalations import hooks, notify, personal_data, views
    from outreach.messages import understanding
    from outreach.people import subject_access
    from outreach.web import pages

    hooks.connect()
    understanding.register("contact's OK", notify.contact_ok)
    subject_access.declare_holdings("escalations", personal_data.declare)
    pages.register(app, views.bp)
