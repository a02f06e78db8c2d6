"""The web self-report form: a per-client link, texted to the client, to tell us what they need."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire self-report into `app`: its pages; what it holds about a client, for subject access."""
    # Imported here, so that importing the feature's models does not pull in the rest.
    from outreach.people import subject_access
    from outreach.selfreport import personal_data, views
    from outreach.web import pages

    subject_access.declare_holdings("selfreport", personal_data.declare)
    pages.register(app, views.bp)
