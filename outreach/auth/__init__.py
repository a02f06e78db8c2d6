"""Users, sessions, bearer tokens and the one place that decides who may do what."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire auth into `app`: its pages; its administration commands."""
    # Imported here, so that importing the feature's models does not pull in the rest.
    from outreach import cli
    from outreach.auth import cli as commands
    from outreach.auth import views
    from outreach.web import pages

    for command in commands.COMMANDS:
        cli.register(command)
    pages.register(app, views.bp)
