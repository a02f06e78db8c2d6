"""Programmes: a Call & Check scheme or a digital-literacy programme, run by an operator."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the feature into the application: its pages."""
    # Imported here, so that importing the feature's models does not pull in its pages.
    from outreach.programmes import views
    from outreach.web import pages

    pages.register(app, views.bp)
