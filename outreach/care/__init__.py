"""Appointments to remind clients of and prescriptions to deliver to them."""


def init_app(app) -> None:
    """Wire care into `app`: what it holds about a client, for subject access."""
    from outreach.care import personal_data
    from outreach.people import subject_access

    subject_access.declare_holdings("care", personal_data.declare)
