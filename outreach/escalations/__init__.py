"""Escalations: needs routed to the organisations and contacts who deal with them."""


def init_app(app) -> None:
    """Wire escalations into `app`: its reactions to needs, consent and erasure, a designated
    contact's OK texted in, and what it holds about a client."""
    from outreach.escalations import hooks, notify, personal_data
    from outreach.messages import understanding
    from outreach.people import subject_access

    hooks.connect()
    understanding.register("contact's OK", notify.contact_ok)
    subject_access.declare_holdings("escalations", personal_data.declare)
