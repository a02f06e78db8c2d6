"""Users, sessions, bearer tokens and the one place that decides who may do what."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the feature into the application: its pages."""
    # Imported here, so that importing the feature's models does not pull in its pages.
    from outreach.auth import views
    from outreach.web import pages

    pages.register(app, views.bp)
