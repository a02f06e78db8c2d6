"""Messages: every SMS in or out, its status history, opt-outs and what clients text in."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the feature into the application: its pages."""
    # Imported here, so that importing the feature's models does not pull in its pages.
    from outreach.messages import views
    from outreach.web import pages

    pages.register(app, views.bp)
