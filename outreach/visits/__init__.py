"""Visit plans, pauses, the check-in questionnaire and visits."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire visits into `app`: its pages; a visitor sees the clients on the rounds they walk, and
    what it holds about a client."""
    # Imported here, so that importing the feature's models does not pull in the rest.
    from outreach.auth.access import register_client_scope
    from outreach.enums import Role
    from outreach.people import subject_access
    from outreach.visits import access, personal_data, views
    from outreach.web import pages

    register_client_scope(access.clients_on_own_rounds, Role.VISITOR)
    subject_access.declare_holdings("visits", personal_data.declare)
    pages.register(app, views.bp)
