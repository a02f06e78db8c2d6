"""The one place that decides who may see and change what.

Admins see everything; coordinators their operator's programmes and the clients in them;
visitors only the clients on their own rounds; providers only what is routed to their
organisation; tutors only the learners on the workshops they teach. The decisions are made
here; the features that give a role its way to a client (rounds for visitors, workshops for
tutors) register it with `register_client_scope` from their `init_app`, so auth imports none of
them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, select, true

from outreach.auth.models import User
from outreach.db import db, utcnow
from outreach.enums import Role
from outreach.errors import Forbidden
from outreach.people.models import Client, ProgrammeEnrolment
from outreach.programmes.models import Programme

ClientScope = Callable[[User], ColumnElement[bool]]
_client_scopes: dict[Role, list[ClientScope]] = {role: [] for role in Role}


def register_client_scope(rule: ClientScope, *roles: Role) -> None:
    """Widen which clients users of `roles` can see by `rule` (once, however many apps)."""
    for role in roles:
        if rule not in _client_scopes[role]:
            _client_scopes[role].append(rule)


def operator_programme_ids(user: User):
    return select(Programme.id).where(Programme.operator_id == user.organisation_id)


def _clients_of_operator(user: User) -> ColumnElement[bool]:
    in_programmes = select(ProgrammeEnrolment.client_id).where(
        ProgrammeEnrolment.programme_id.in_(operator_programme_ids(user))
    )
    return or_(Client.programme_id.in_(operator_programme_ids(user)), Client.id.in_(in_programmes))


# The coordinator's reach is the programmes' and people's own, below every feature.
register_client_scope(_clients_of_operator, Role.COORDINATOR)


def today():
    """Today's date for access decisions (UTC; Jersey is never more than an hour away)."""
    return utcnow().date()


def client_filter(user: User) -> ColumnElement[bool]:
    """A WHERE clause selecting the clients `user` may see."""
    if user.role == Role.ADMIN:
        return true()
    rules = [rule(user) for rule in _client_scopes[Role(user.role)]]
    return or_(*rules) if rules else false()


def visible_client_ids(user: User):
    """A subquery of the ids of the clients `user` may see."""
    return select(Client.id).where(client_filter(user))


def can_see_client(user: User, client: Client) -> bool:
    if user.role == Role.ADMIN:
        return True
    found = db.session.scalar(
        select(Client.id).where(Client.id == client.id, client_filter(user))
    )
    return found is not None


def can_manage_client(user: User, client: Client) -> bool:
    """Enrol, edit, record consent: admins and the coordinators of the client's operator."""
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.COORDINATOR:
        return False
    return can_manage_programme(user, client.programme)


@dataclass(frozen=True)
class ClientAccess:
    """What one user may do with one client, decided once for a page whose panels would
    otherwise each ask again (can_see_client is a query)."""

    user_id: int
    client_id: int
    can_see: bool
    can_manage: bool

    def about(self, user: User, client: Client) -> bool:
        """Whether these answers are for this user and client."""
        return self.user_id == user.id and self.client_id == client.id


def client_access(user: User, client: Client, *, seen: bool | None = None) -> ClientAccess:
    """Decide can_see_client and can_manage_client once; `seen` when the caller has just
    checked visibility itself (a read that refuses what is not visible)."""
    can_see = can_see_client(user, client) if seen is None else seen
    return ClientAccess(user.id, client.id, can_see, can_manage_client(user, client))


def can_manage_programme(user: User, programme: Programme) -> bool:
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.COORDINATOR and programme.operator_id == user.organisation_id


def programme_filter(user: User) -> ColumnElement[bool]:
    """Programmes a user may see: those of their operator (staff), all for admins."""
    if user.role == Role.ADMIN:
        return true()
    if user.role in (Role.COORDINATOR, Role.VISITOR, Role.TUTOR):
        return Programme.operator_id == user.organisation_id
    return false()


def organisation_filter(user: User):
    """Admins and coordinators see every organisation (to route and share); others their own."""
    from outreach.organisations.models import Organisation

    if user.role in (Role.ADMIN, Role.COORDINATOR):
        return true()
    return Organisation.id == user.organisation_id


def user_filter(user: User):
    """Admins see all users; coordinators their organisation's; everyone else only themselves."""
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.COORDINATOR:
        return User.organisation_id == user.organisation_id
    return User.id == user.id


# Roles a coordinator may give to people in their own organisation.
COORDINATOR_ASSIGNABLE = {Role.COORDINATOR, Role.VISITOR, Role.TUTOR}


def can_manage_user(actor: User, role: Role, organisation_id: int) -> bool:
    if actor.role == Role.ADMIN:
        return True
    return (
        actor.role == Role.COORDINATOR
        and organisation_id == actor.organisation_id
        and Role(role) in COORDINATOR_ASSIGNABLE
    )


def require(allowed: bool, message: str = "You do not have access to this.") -> None:
    if not allowed:
        raise Forbidden(message)
