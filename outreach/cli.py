"""`flask --app outreach outreach <command>`: administration from the command line.

The group every feature adds its commands to; what a command committed is handed over when it
ends, as a request's is.
"""

from __future__ import annotations

from flask import has_app_context
from flask.cli import AppGroup

from outreach.db import hand_over_committed

cli = AppGroup("outreach", help="Outreach & Check-in Toolkit administration.")


@cli.result_callback()
def _hand_over(result, **_):
    """After a command, as after a request: what it committed is handed over now (texts sent,
    escalation events placed in the feed, webhook deliveries handed to a courier), not at the
    next tick. Still inside the command's application context, so its session's work."""
    if has_app_context():
        hand_over_committed()
    return result


def register(command) -> None:
    """Let a feature add its own command to the group."""
    cli.add_command(command)
