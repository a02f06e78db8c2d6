"""Appointments to remind clients of and prescriptions to deliver to them."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire care into `app`: its pages; what it holds about a client, for subject access."""
    # Imported here, so that importing the feature's models does not pull in the rest.
    from outreach.care import personal_data, views
    from outreach.people import subject_access
    from outreach.web import pages

    subject_access.declare_holdings("care", personal_data.declare)
    pages.register(app, views.bp)
