"""Who reaches which clients through visits: a visitor, the clients on the rounds they walk."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from outreach.auth.access import today
from outreach.auth.models import User
from outreach.people.models import Client
from outreach.visits.schedule import rounds_walked_by


def clients_on_own_rounds(user: User) -> ColumnElement[bool]:
    """Clients on the rounds the visitor walks today: their own, unless covered, and any they
    cover for someone else."""
    return Client.round_id.in_(rounds_walked_by(user, today()))
