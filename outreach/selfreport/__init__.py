"""The web self-report form: a per-client link, texted to the client, to tell us what they need."""


def init_app(app) -> None:
    """Wire self-report into `app`: what it holds about a client, for subject access."""
    from outreach.people import subject_access
    from outreach.selfreport import personal_data

    subject_access.declare_holdings("selfreport", personal_data.declare)
