"""Who reaches which clients through workshops: a tutor, the learners of their workshops."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select

from outreach.auth.models import User
from outreach.literacy.models import Workshop, WorkshopEnrolment
from outreach.people.models import Client


def learners_of_own_workshops(user: User) -> ColumnElement[bool]:
    """Learners enrolled (in any status, withdrawn too, for the history) on workshops the tutor
    teaches."""
    return Client.id.in_(select(WorkshopEnrolment.client_id).join(
        Workshop, Workshop.id == WorkshopEnrolment.workshop_id).where(
        Workshop.tutor_id == user.id))
