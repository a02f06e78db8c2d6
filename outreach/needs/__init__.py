"""Needs: self-reported or observed, or raised by the safety net."""


def init_app(app) -> None:
    """Wire needs into `app`: what it holds about a client, for subject access."""
    from outreach.needs import personal_data
    from outreach.people import subject_access

    subject_access.declare_holdings("needs", personal_data.declare)
