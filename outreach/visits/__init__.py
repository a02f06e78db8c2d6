"""Visit plans, pauses, the check-in questionnaire and visits."""


def init_app(app) -> None:
    """Wire visits into `app`: a visitor sees the clients on the rounds they walk, and what it
    holds about a client."""
    from outreach.auth.access import register_client_scope
    from outreach.enums import Role
    from outreach.people import subject_access
    from outreach.visits import access, personal_data

    register_client_scope(access.clients_on_own_rounds, Role.VISITOR)
    subject_access.declare_holdings("visits", personal_data.declare)
