"""Who may see and change what: every route, with every role, against every kind of target.

The table below states, for each rule in `app.url_map` and each method, what each role gets:
an admin, a coordinator of the operator, a visitor of its round, a provider (GP practice), a
tutor, the other operator's coordinator, and someone not logged in. Targets include the other
organisation's ids, so a leak across organisations shows up as a wrong status. A route missing
from the table fails `test_table_covers_every_route`: new routes must be added here.

API calls carry a bearer token; pages use the session made by the real login form (and POSTs
carry the CSRF token; without it they are refused). Every read of a client leaves a
`client.read` audit event and every refusal a `client.denied` one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import func, select
from sqlalchemy.orm import scoped_session, sessionmaker

from outreach.api import operations
from outreach.audit.models import AuditEvent
from outreach.db import db, utcnow
from outreach.enums import ConsentPurpose, ProgrammeKind
from outreach.extensions import limiter
from outreach.people.models import Client, Contact
from outreach.programmes.models import Programme
from outreach.schemas import MAX_ID
from tests import factories
from tests.conftest import API, csrf_token

ROLES = ("admin", "coordinator", "visitor", "provider", "tutor", "other_coordinator",
         "anonymous")
LOGIN = "302->/login"  # a page that sends the caller to the login form
MISSING = MAX_ID  # a well-formed id that names nothing


@dataclass(frozen=True)
class Case:
    method: str
    rule: str
    refs: dict[str, str]  # url parameter or body input -> key into the ids of the world
    expected: dict[str, int | str]
    body: Callable | None = field(default=None, compare=False)

    @property
    def id(self) -> str:
        target = ",".join(f"{k}={v}" for k, v in self.refs.items()) or "-"
        return f"{self.method} {self.rule} [{target}]"


TABLE: list[Case] = []


def route(method: str, rule: str, rows, *, body: Callable | None = None) -> None:
    """Add a route's rows: (refs, admin, coordinator, visitor, provider, tutor, other, anon)."""
    for refs, *statuses in rows:
        assert len(statuses) == len(ROLES), (method, rule, refs)
        TABLE.append(Case(method, rule, refs, dict(zip(ROLES, statuses, strict=True)), body))


def unique() -> int:
    return factories.n()


# Targets, as references into the ids built by `_ids`.
ON = {"client_id": "client_on_round"}
OFF = {"client_id": "client_off_round"}
FOREIGN = {"client_id": "foreign_client"}
NONE = {"client_id": "missing"}


def contact_of(client: dict, which: str) -> dict:
    return {**client, "contact_id": f"contact_{which}"}


def _own_contact(t) -> int:
    """The client's own contact (the on-round one's for a missing client): the client agreed to
    share with nobody there yet. (The GP practice holds an escalation about the client on the
    round, so the client agreed to share with it, as routing requires.)"""
    ids = t.ids
    return {ids["client_off_round"]: ids["contact_off"],
            ids["foreign_client"]: ids["contact_foreign"]}.get(t.ref["client_id"],
                                                                ids["contact_on"])


def consent_of(client: dict, which: str) -> dict:
    return {**client, "consent_id": f"consent_{which}"}


# --- The JSON API ---------------------------------------------------------------------------
#        refs                                   A    C    V    P    T    X    anon
route("GET", "/api/v1/openapi.json", [
    ({},                                        200, 200, 200, 200, 200, 200, 200),
])
route("POST", "/api/v1/auth/token", [
    ({"password": "password:right"},            201, 201, 201, 201, 201, 201, 201),
    ({"password": "password:wrong"},            401, 401, 401, 401, 401, 401, 401),
], body=lambda t: {"email": t.me_email, "password": t.ref["password"]})
route("GET", "/api/v1/users/me", [
    ({},                                        200, 200, 200, 200, 200, 200, 401),
])
route("GET", "/api/v1/audit-events", [
    ({},                                        200, 403, 403, 403, 403, 403, 401),
])

route("GET", "/api/v1/organisations", [
    ({},                                        200, 200, 200, 200, 200, 200, 401),
])
route("POST", "/api/v1/organisations", [
    ({},                                        201, 403, 403, 403, 403, 403, 401),
], body=lambda t: {"name": f"New Organisation {unique()}", "kind": "community"})
ORG_ROWS = [
    ({"organisation_id": "operator"},           200, 200, 200, 404, 200, 200, 401),
    ({"organisation_id": "other_operator"},     200, 200, 404, 404, 404, 200, 401),
    ({"organisation_id": "gp"},                 200, 200, 404, 200, 404, 200, 401),
    ({"organisation_id": "missing"},            404, 404, 404, 404, 404, 404, 401),
]
route("GET", "/api/v1/organisations/<int:organisation_id>", ORG_ROWS)
route("PATCH", "/api/v1/organisations/<int:organisation_id>", [
    ({"organisation_id": "operator"},           200, 403, 403, 403, 403, 403, 401),
    ({"organisation_id": "other_operator"},     200, 403, 403, 403, 403, 403, 401),
    ({"organisation_id": "missing"},            404, 403, 403, 403, 403, 403, 401),
], body=lambda t: {"email": "office@example.org"})

route("GET", "/api/v1/programmes", [
    ({},                                        200, 200, 200, 200, 200, 200, 401),
])
route("POST", "/api/v1/programmes", [
    ({"operator": "operator"},                  201, 201, 403, 403, 403, 403, 401),
    ({"operator": "other_operator"},            201, 403, 403, 403, 403, 201, 401),
    ({"operator": "gp"},                        422, 422, 403, 403, 403, 422, 401),
], body=lambda t: {"name": f"Programme {unique()}", "kind": "digital_literacy",
                   "operator_id": t.ref["operator"]})
route("GET", "/api/v1/programmes/<int:programme_id>", [
    ({"programme_id": "programme"},             200, 200, 200, 403, 200, 403, 401),
    ({"programme_id": "other_programme"},       200, 403, 403, 403, 403, 200, 401),
    ({"programme_id": "missing"},               404, 404, 404, 404, 404, 404, 401),
])
route("PATCH", "/api/v1/programmes/<int:programme_id>", [
    ({"programme_id": "programme"},             200, 200, 403, 403, 403, 403, 401),
    ({"programme_id": "other_programme"},       200, 403, 403, 403, 403, 200, 401),
    ({"programme_id": "missing"},               404, 404, 403, 403, 403, 404, 401),
], body=lambda t: {"description": "Changed description"})

route("GET", "/api/v1/rounds", [
    ({},                                        200, 200, 200, 200, 200, 200, 401),
])
route("POST", "/api/v1/rounds", [
    ({"programme": "programme"},                201, 201, 403, 403, 403, 422, 401),
    ({"programme": "other_programme"},          201, 422, 403, 403, 403, 201, 401),
], body=lambda t: {"programme_id": t.ref["programme"], "name": f"Round {unique()}",
                   "weekdays": [1, 3]})
route("GET", "/api/v1/rounds/<int:round_id>", [
    ({"round_id": "round"},                     200, 200, 200, 404, 404, 404, 401),
    ({"round_id": "other_round"},               200, 404, 404, 404, 404, 200, 401),
    ({"round_id": "missing"},                   404, 404, 404, 404, 404, 404, 401),
])
route("PATCH", "/api/v1/rounds/<int:round_id>", [
    ({"round_id": "round"},                     200, 200, 403, 403, 403, 404, 401),
    ({"round_id": "other_round"},               200, 404, 403, 403, 403, 200, 401),
    ({"round_id": "missing"},                   404, 404, 403, 403, 403, 404, 401),
], body=lambda t: {"area": "North"})

route("GET", "/api/v1/users", [
    ({},                                        200, 200, 200, 200, 200, 200, 401),
])
route("POST", "/api/v1/users", [
    ({"role": "role:visitor", "org": "operator"},        201, 201, 403, 403, 403, 403, 401),
    ({"role": "role:visitor", "org": "other_operator"},  201, 403, 403, 403, 403, 201, 401),
    ({"role": "role:provider", "org": "gp"},             201, 403, 403, 403, 403, 403, 401),
    ({"role": "role:admin", "org": "operator"},          201, 403, 403, 403, 403, 403, 401),
], body=lambda t: {"email": f"new{unique()}@example.org", "password": "a long enough password",
                   "role": t.ref["role"], "organisation_id": t.ref["org"]})
route("GET", "/api/v1/users/<int:user_id>", [
    ({"user_id": "visitor_user"},               200, 200, 200, 404, 404, 404, 401),
    ({"user_id": "other_visitor_user"},         200, 200, 404, 404, 404, 404, 401),
    ({"user_id": "other_coordinator_user"},     200, 404, 404, 404, 404, 200, 401),
    ({"user_id": "provider_user"},              200, 404, 404, 200, 404, 404, 401),
    ({"user_id": "missing"},                    404, 404, 404, 404, 404, 404, 401),
])
route("PATCH", "/api/v1/users/<int:user_id>", [
    ({"user_id": "visitor_user"},               200, 200, 403, 403, 403, 404, 401),
    ({"user_id": "admin_user"},                 200, 403, 403, 403, 403, 404, 401),
    ({"user_id": "other_coordinator_user"},     200, 404, 403, 403, 403, 200, 401),
    ({"user_id": "provider_user"},              200, 404, 403, 403, 403, 404, 401),
    ({"user_id": "missing"},                    404, 404, 403, 403, 403, 404, 401),
], body=lambda t: {"full_name": "Renamed Person"})

# Clients: visible to admins, the operator's coordinators and the visitor of the client's round.
CLIENT_READ = [
    (ON,                                        200, 200, 200, 403, 403, 403, 401),
    (OFF,                                       200, 200, 403, 403, 403, 403, 401),
    (FOREIGN,                                   200, 403, 403, 403, 403, 200, 401),
    (NONE,                                      404, 404, 404, 404, 404, 404, 401),
]
# Changes: admins and the coordinators of the client's operator; other roles stop at the door.
CLIENT_CHANGE = [
    (ON,                                        200, 200, 403, 403, 403, 403, 401),
    (OFF,                                       200, 200, 403, 403, 403, 403, 401),
    (FOREIGN,                                   200, 403, 403, 403, 403, 200, 401),
    (NONE,                                      404, 404, 403, 403, 403, 404, 401),
]


def _with_status(rows, ok: int, *, refs=lambda r: r):
    return [(refs(r), *(ok if s == 200 else s for s in statuses)) for r, *statuses in rows]


route("GET", "/api/v1/clients", [
    ({},                                        200, 200, 200, 200, 200, 200, 401),
])
route("POST", "/api/v1/clients", [
    ({"programme": "programme"},                201, 201, 403, 403, 403, 422, 401),
    ({"programme": "other_programme"},          201, 422, 403, 403, 403, 201, 401),
], body=lambda t: {"programme_id": t.ref["programme"], "full_name": f"New Person {unique()}",
                   "date_of_birth": "1941-03-04"})
route("GET", "/api/v1/clients/<int:client_id>", CLIENT_READ)
route("PATCH", "/api/v1/clients/<int:client_id>", CLIENT_CHANGE,
      body=lambda t: {"notes": "Changed note"})

route("GET", "/api/v1/clients/<int:client_id>/contacts", CLIENT_READ)
route("POST", "/api/v1/clients/<int:client_id>/contacts", _with_status(CLIENT_CHANGE, 201),
      body=lambda t: {"name": "New Contact", "phone": "07700 900123", "receives": ["alerts"]})
CONTACT_ROWS = _with_status(CLIENT_CHANGE, 200, refs=lambda r: contact_of(
    r, {"client_on_round": "on", "client_off_round": "off", "foreign_client": "foreign",
        "missing": "on"}[r["client_id"]])) + [
    # Another client's contact, reached through a client the caller may change.
    (contact_of(ON, "foreign"),                 404, 404, 403, 403, 403, 403, 401),
    (contact_of(FOREIGN, "on"),                 404, 403, 403, 403, 403, 404, 401),
    (contact_of(ON, "missing"),                 404, 404, 403, 403, 403, 403, 401),
]
route("PATCH", "/api/v1/clients/<int:client_id>/contacts/<int:contact_id>", CONTACT_ROWS,
      body=lambda t: {"name": "Renamed Contact"})
route("DELETE", "/api/v1/clients/<int:client_id>/contacts/<int:contact_id>",
      _with_status(CONTACT_ROWS, 204))

route("GET", "/api/v1/clients/<int:client_id>/consents", [
    # Providers and tutors are refused by role before the client is looked at.
    (ON,                                        200, 200, 200, 403, 403, 403, 401),
    (OFF,                                       200, 200, 403, 403, 403, 403, 401),
    (FOREIGN,                                   200, 403, 403, 403, 403, 200, 401),
    (NONE,                                      404, 404, 404, 403, 403, 404, 401),
])
route("POST", "/api/v1/clients/<int:client_id>/consents", _with_status(CLIENT_CHANGE, 201),
      body=lambda t: {"purpose": "share_information", "contact_id": _own_contact(t)})
CONSENT_ROWS = _with_status(CLIENT_CHANGE, 200, refs=lambda r: consent_of(
    r, {"client_on_round": "on", "client_off_round": "off", "foreign_client": "foreign",
        "missing": "on"}[r["client_id"]])) + [
    (consent_of(ON, "foreign"),                 404, 404, 403, 403, 403, 403, 401),
    (consent_of(FOREIGN, "on"),                 404, 403, 403, 403, 403, 404, 401),
    (consent_of(ON, "missing"),                 404, 404, 403, 403, 403, 403, 401),
]
route("POST", "/api/v1/clients/<int:client_id>/consents/<int:consent_id>/withdraw",
      CONSENT_ROWS, body=lambda t: {"reason": "Changed their mind"})

route("POST", "/api/v1/clients/<int:client_id>/enrolments", [
    (ON | {"programme": "extra_programme"},     201, 201, 403, 403, 403, 403, 401),
    (OFF | {"programme": "extra_programme"},    201, 201, 403, 403, 403, 403, 401),
    (FOREIGN | {"programme": "other_extra_programme"}, 201, 403, 403, 403, 403, 201, 401),
    # Another operator's programme: refused for everyone, admins included, as data not access.
    (ON | {"programme": "other_extra_programme"}, 422, 422, 403, 403, 403, 403, 401),
    (NONE | {"programme": "extra_programme"},   404, 404, 403, 403, 403, 404, 401),
], body=lambda t: {"programme_id": t.ref["programme"]})
route("POST", "/api/v1/clients/<int:client_id>/enrolments/<int:programme_id>/leave", [
    (ON | {"programme_id": "programme"},        200, 200, 403, 403, 403, 403, 401),
    (OFF | {"programme_id": "programme"},       200, 200, 403, 403, 403, 403, 401),
    (FOREIGN | {"programme_id": "other_programme"}, 200, 403, 403, 403, 403, 200, 401),
    (ON | {"programme_id": "other_programme"},  404, 404, 403, 403, 403, 403, 401),
    (NONE | {"programme_id": "programme"},      404, 404, 403, 403, 403, 404, 401),
], body=lambda t: {"reason": "Moved away"})

# --- Pages ----------------------------------------------------------------------------------
#        refs                                   A    C    V    P    T    X    anon
route("GET", "/healthz", [
    ({},                                        200, 200, 200, 200, 200, 200, 200),
])
# No periodic job has run in the test world: not ready, whoever asks (no login needed).
route("GET", "/readyz", [
    ({},                                        503, 503, 503, 503, 503, 503, 503),
])
route("GET", "/static/<path:filename>", [
    ({"filename": "file:app.css"},              200, 200, 200, 200, 200, 200, 200),
])
route("GET", "/", [
    ({},                                        302, 302, 302, 302, 302, 302, LOGIN),
])
route("GET", "/login", [
    ({},                                        302, 302, 302, 302, 302, 302, 200),
])
route("POST", "/login", [
    # Already logged in: straight on; anonymous: logs in as the visitor, or is refused.
    ({"password": "password:right"},            302, 302, 302, 302, 302, 302, 302),
    ({"password": "password:wrong"},            302, 302, 302, 302, 302, 302, 401),
], body=lambda t: {"email": t.me_email, "password": t.ref["password"]})
route("POST", "/logout", [
    ({},                                        LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
])
route("GET", "/clients/", [
    ({},                                        200, 200, 200, 200, 200, 200, LOGIN),
])
route("GET", "/clients/new", [
    ({},                                        200, 200, 403, 403, 403, 200, LOGIN),
])
route("POST", "/clients/new", [
    ({"programme": "programme"},                302, 302, 403, 403, 403, 422, LOGIN),
    ({"programme": "other_programme"},          302, 422, 403, 403, 403, 302, LOGIN),
], body=lambda t: {"programme_id": str(t.ref["programme"]),
                   "full_name": f"Web Person {unique()}", "date_of_birth": "1939-07-08",
                   "consent_take_part": "on"})

PAGE_READ = [
    (ON,                                        200, 200, 200, 403, 403, 403, LOGIN),
    (OFF,                                       200, 200, 403, 403, 403, 403, LOGIN),
    (FOREIGN,                                   200, 403, 403, 403, 403, 200, LOGIN),
    (NONE,                                      404, 404, 404, 404, 404, 404, LOGIN),
]
PAGE_CHANGE = [
    (ON,                                        200, 200, 403, 403, 403, 403, LOGIN),
    (OFF,                                       200, 200, 403, 403, 403, 403, LOGIN),
    (FOREIGN,                                   200, 403, 403, 403, 403, 200, LOGIN),
    (NONE,                                      404, 404, 404, 404, 404, 404, LOGIN),
]
route("GET", "/clients/<int:client_id>", PAGE_READ)
route("GET", "/clients/<int:client_id>/edit", PAGE_CHANGE)
route("POST", "/clients/<int:client_id>/edit", _with_status(PAGE_CHANGE, 302),
      body=lambda t: {"full_name": f"Edited Person {unique()}", "date_of_birth": "1938-01-02"})
route("POST", "/clients/<int:client_id>/contacts", _with_status(PAGE_CHANGE, 302),
      body=lambda t: {"name": "Web Contact", "phone": "07700 900321", "receives": "alerts"})
route("POST", "/clients/<int:client_id>/consents", _with_status(PAGE_CHANGE, 302),
      body=lambda t: {"purpose": "share_information", "contact_id": str(_own_contact(t))})
PAGE_CONSENT = _with_status(PAGE_CHANGE, 200, refs=lambda r: consent_of(
    r, {"client_on_round": "on", "client_off_round": "off", "foreign_client": "foreign",
        "missing": "on"}[r["client_id"]])) + [
    (consent_of(ON, "foreign"),                 404, 404, 403, 403, 403, 403, LOGIN),
    (consent_of(FOREIGN, "on"),                 404, 403, 403, 403, 403, 404, LOGIN),
]
route("GET", "/clients/<int:client_id>/consents/<int:consent_id>/withdraw", PAGE_CONSENT)
route("POST", "/clients/<int:client_id>/consents/<int:consent_id>/withdraw",
      _with_status(PAGE_CONSENT, 302), body=lambda t: {"reason": "Changed their mind"})


# --- Call & Check: plans, pauses, cover and due lists ------------------------------------------
# Nobody in the world has a visit plan, pause or cover yet: reads and deletes of one answer 404
# once access is granted (the pages treat a second "Remove" as done, hence 302).
#        refs                                   A    C    V    P    T    X    anon
PLAN_API = "/api/v1/clients/<int:client_id>/visit-plan"
route("GET", PLAN_API, [
    (ON,                                        404, 404, 404, 403, 403, 403, 401),
    (OFF,                                       404, 404, 403, 403, 403, 403, 401),
    (FOREIGN,                                   404, 403, 403, 403, 403, 404, 401),
    (NONE,                                      404, 404, 404, 403, 403, 404, 401),
])
route("PUT", PLAN_API, CLIENT_CHANGE,
      body=lambda t: {"frequency": "weekdays", "weekdays": [2, 4], "starts_on": "2026-03-02"})
route("DELETE", PLAN_API, _with_status(CLIENT_CHANGE, 404))
route("GET", "/api/v1/clients/<int:client_id>/pauses", [
    (ON,                                        200, 200, 200, 403, 403, 403, 401),
    (OFF,                                       200, 200, 403, 403, 403, 403, 401),
    (FOREIGN,                                   200, 403, 403, 403, 403, 200, 401),
    (NONE,                                      404, 404, 404, 403, 403, 404, 401),
])
route("POST", "/api/v1/clients/<int:client_id>/pauses", _with_status(CLIENT_CHANGE, 201),
      body=lambda t: {"starts_on": "2026-03-10", "ends_on": "2026-03-12", "reason": "Holiday"})
route("DELETE", "/api/v1/clients/<int:client_id>/pauses/<int:pause_id>",
      _with_status(CLIENT_CHANGE, 404, refs=lambda r: r | {"pause_id": "missing"}))
ROUND_MANAGE = [
    ({"round_id": "round"},                     200, 200, 403, 403, 403, 404, 401),
    ({"round_id": "other_round"},               200, 404, 403, 403, 403, 200, 401),
    ({"round_id": "missing"},                   404, 404, 403, 403, 403, 404, 401),
]
route("GET", "/api/v1/rounds/<int:round_id>/covers", ROUND_MANAGE)
route("POST", "/api/v1/rounds/<int:round_id>/covers", [
    # The other operator's round cannot be covered by this operator's visitor.
    ({"round_id": "round"},                     201, 201, 403, 403, 403, 404, 401),
    ({"round_id": "other_round"},               422, 404, 403, 403, 403, 422, 401),
    ({"round_id": "missing"},                   404, 404, 403, 403, 403, 404, 401),
], body=lambda t: {"visitor_id": t.ids["other_visitor_user"], "starts_on": "2026-07-01",
                   "ends_on": "2026-07-14"})
route("DELETE", "/api/v1/rounds/<int:round_id>/covers/<int:cover_id>",
      _with_status(ROUND_MANAGE, 404, refs=lambda r: r | {"cover_id": "missing"}))
route("PUT", "/api/v1/rounds/<int:round_id>/order", ROUND_MANAGE,
      body=lambda t: {"client_ids": [t.ids["client_on_round"]]
                      if t.ref["round_id"] == t.ids["round"] else []})
route("GET", "/api/v1/rounds/<int:round_id>/due", [
    ({"round_id": "round"},                     200, 200, 200, 403, 403, 404, 401),
    ({"round_id": "other_round"},               200, 404, 404, 403, 403, 200, 401),
    ({"round_id": "missing"},                   404, 404, 404, 403, 403, 404, 401),
])

route("GET", "/rounds/", [
    ({},                                        200, 200, 403, 403, 403, 200, LOGIN),
])
ROUND_PAGE = [
    # The round's own visitor sees it exists (it is theirs) but may not change it.
    ({"round_id": "round"},                     200, 200, 403, 404, 404, 404, LOGIN),
    ({"round_id": "other_round"},               200, 404, 404, 404, 404, 200, LOGIN),
    ({"round_id": "missing"},                   404, 404, 404, 404, 404, 404, LOGIN),
]
route("GET", "/rounds/<int:round_id>", ROUND_PAGE)
route("POST", "/rounds/<int:round_id>/move", [
    ({"round_id": "round"},                     302, 302, 403, 404, 404, 404, LOGIN),
    # The client named is not on the other operator's round.
    ({"round_id": "other_round"},               404, 404, 404, 404, 404, 404, LOGIN),
    ({"round_id": "missing"},                   404, 404, 404, 404, 404, 404, LOGIN),
], body=lambda t: {"client_id": str(t.ids["client_on_round"]), "direction": "down"})
route("POST", "/rounds/<int:round_id>/covers", [
    ({"round_id": "round"},                     302, 302, 403, 404, 404, 404, LOGIN),
    ({"round_id": "other_round"},               422, 404, 404, 404, 404, 422, LOGIN),
    ({"round_id": "missing"},                   404, 404, 404, 404, 404, 404, LOGIN),
], body=lambda t: {"visitor_id": str(t.ids["other_visitor_user"]), "starts_on": "2026-07-01",
                   "ends_on": "2026-07-14"})
route("POST", "/rounds/<int:round_id>/covers/<int:cover_id>/delete",
      _with_status(ROUND_PAGE, 302, refs=lambda r: r | {"cover_id": "missing"}))
route("GET", "/rounds/new", [
    ({},                                        200, 200, 403, 403, 403, 200, LOGIN),
])
route("POST", "/rounds/new", [
    ({"programme": "programme"},                302, 302, 403, 403, 403, 422, LOGIN),
    ({"programme": "other_programme"},          302, 422, 403, 403, 403, 302, LOGIN),
], body=lambda t: {"programme_id": str(t.ref["programme"]), "name": f"Web Round {unique()}",
                   "weekdays": ["1", "3"]})
route("GET", "/rounds/<int:round_id>/edit", ROUND_PAGE)
route("POST", "/rounds/<int:round_id>/edit", _with_status(ROUND_PAGE, 302),
      body=lambda t: {"name": f"Renamed Round {unique()}", "area": "North",
                      "weekdays": ["2", "4"]})
route("GET", "/clients/<int:client_id>/plan", PAGE_READ)
route("POST", "/clients/<int:client_id>/plan", _with_status(PAGE_CHANGE, 302),
      body=lambda t: {"frequency": "weekly", "weekdays": "3", "starts_on": "2026-03-04"})
route("POST", "/clients/<int:client_id>/plan/delete", _with_status(PAGE_CHANGE, 302))
route("POST", "/clients/<int:client_id>/plan/pauses", _with_status(PAGE_CHANGE, 302),
      body=lambda t: {"pause-starts_on": "2026-03-10", "pause-ends_on": "2026-03-12"})
route("POST", "/clients/<int:client_id>/plan/pauses/<int:pause_id>/delete",
      _with_status(PAGE_CHANGE, 302, refs=lambda r: r | {"pause_id": "missing"}))

# --- Call & Check: visits, needs and the visitor's pages ---------------------------------------
# Visits and needs, one of each for the clients on, off the round and of the other operator.
VISIT = {"visit_id": "visit_on"}
NEED = {"need_id": "need_on"}


def _visit_and_need_ids(ids: dict) -> None:
    """Adds a visit and a need per kind of client, and a well-formed visit id naming nothing."""
    import uuid

    from outreach.auth.models import User

    for which, key in (("on", "client_on_round"), ("off", "client_off_round"),
                       ("foreign", "foreign_client")):
        client = db.session.get(Client, ids[key])
        ids[f"visit_{which}"] = factories.visit(
            client, db.session.get(User, ids["visitor_user"])).id
        ids[f"need_{which}"] = factories.need(client).id
    ids["visit_missing"] = str(uuid.uuid4())


def _visit_body(t) -> dict:
    import uuid

    from outreach.db import utcnow

    return {"id": str(uuid.uuid4()), "client_id": t.ref["client_id"],
            "visited_at": utcnow().isoformat(), "outcome": "seen_well"}


#        refs                                   A    C    V    P    T    X    anon
route("POST", "/api/v1/visits", [
    (ON,                                        201, 201, 201, 403, 403, 403, 401),
    (OFF,                                       201, 201, 403, 403, 403, 403, 401),
    (FOREIGN,                                   201, 403, 403, 403, 403, 201, 401),
    (NONE,                                      422, 422, 422, 403, 403, 422, 401),
], body=_visit_body)
route("GET", "/api/v1/visits", [
    ({},                                        200, 200, 200, 403, 403, 200, 401),
])
route("GET", "/api/v1/visits/<visit_id>", [
    (VISIT,                                     200, 200, 200, 403, 403, 403, 401),
    ({"visit_id": "visit_off"},                 200, 200, 403, 403, 403, 403, 401),
    ({"visit_id": "visit_foreign"},             200, 403, 403, 403, 403, 200, 401),
    ({"visit_id": "visit_missing"},             404, 404, 404, 403, 403, 404, 401),
    ({"visit_id": "missing"},                   404, 404, 404, 403, 403, 404, 401),
])
route("GET", "/api/v1/needs", [
    ({},                                        200, 200, 200, 403, 403, 200, 401),
])
route("POST", "/api/v1/needs", [
    (ON,                                        201, 201, 201, 403, 403, 403, 401),
    (OFF,                                       201, 201, 403, 403, 403, 403, 401),
    (FOREIGN,                                   201, 403, 403, 403, 403, 201, 401),
    (NONE,                                      404, 404, 404, 403, 403, 404, 401),
], body=lambda t: {"client_id": t.ref["client_id"], "category": "money", "severity": "soon"})
route("GET", "/api/v1/needs/<int:need_id>", [
    (NEED,                                      200, 200, 200, 403, 403, 403, 401),
    ({"need_id": "need_off"},                   200, 200, 403, 403, 403, 403, 401),
    ({"need_id": "need_foreign"},               200, 403, 403, 403, 403, 200, 401),
    ({"need_id": "missing"},                    404, 404, 404, 403, 403, 404, 401),
])
route("GET", "/round/", [
    ({},                                        200, 200, 200, 403, 403, 200, LOGIN),
])
route("GET", "/round/sw.js", [
    ({},                                        200, 200, 200, 200, 200, 200, 200),
])
# The visit form: visitors only for clients on the rounds they walk today, refusals audited.
route("GET", "/round/visit/<int:client_id>", PAGE_READ)
route("POST", "/round/visit/<int:client_id>", _with_status(PAGE_READ, 302),
      body=lambda t: {"id": _visit_body(t)["id"], "outcome": "seen_well",
                      "answer-help_with": "money"})
# The phone's queue posts JSON; a form body is refused as the wrong media type.
route("POST", "/round/visits", [
    ({},                                        415, 415, 415, 403, 403, 415, LOGIN),
])


# --- Call & Check: safety net and coordinator dashboard -----------------------------------------
#        refs                                   A    C    V    P    T    X    anon
route("GET", "/dashboard/", [
    # Each coordinator gets their own operator's dashboard; visitors, providers, tutors none.
    ({},                                        200, 200, 403, 403, 403, 200, LOGIN),
])
route("GET", "/dashboard/my-concerns", [
    # Everyone who records visits sees the concerns raised from their own visits.
    ({},                                        200, 200, 200, 403, 403, 200, LOGIN),
])

# --- Call & Check: appointments and prescriptions -----------------------------------------------
# The world's provider works at the GP practice, a health organisation, so here it stands for a
# pharmacy; none of the clients off the round agreed to share with it, so it is refused (and that
# is audited). (The client on the round did: the GP practice holds an escalation about them.)
# Its allowed path, with consent, is tested in tests/care.

def _care_ids(ids: dict) -> None:
    """An appointment and a prescription per kind of client, and one prescription the GP
    practice (the provider's organisation) dispensed for the client off the round."""
    from datetime import timedelta

    from outreach.db import utcnow
    from outreach.organisations.models import Organisation

    for which, key in (("on", "client_on_round"), ("off", "client_off_round"),
                       ("foreign", "foreign_client")):
        client = db.session.get(Client, ids[key])
        ids[f"appointment_{which}"] = factories.appointment(
            client, utcnow() + timedelta(days=2)).id
        ids[f"prescription_{which}"] = factories.prescription(client).id
    ids["prescription_gp"] = factories.prescription(
        db.session.get(Client, ids["client_off_round"]), db.session.get(Organisation, ids["gp"])).id
    ids["appointment_missing"] = ids["prescription_missing"] = MISSING


def _of(kind: str, client: dict, which: str | None = None) -> dict:
    which = which or {"client_on_round": "on", "client_off_round": "off",
                      "foreign_client": "foreign", "missing": "on"}[client["client_id"]]
    return {**client, f"{kind}_id": f"{kind}_{which}"}


def _soon(_t) -> dict:
    from datetime import timedelta

    from outreach.db import utcnow

    return {"starts_at": (utcnow() + timedelta(days=3)).isoformat(), "with_whom": "Eye clinic"}


def _web_soon(_t) -> dict:
    from datetime import timedelta

    from outreach.db import utcnow

    return {"day": (utcnow() + timedelta(days=3)).date().isoformat(), "time": "10:30",
            "with_whom": "Eye clinic", "transport_needed": "on"}


# Reads: admins, the operator's coordinators and the round's visitor; others stop at the door.
CARE_READ = [
    (ON,                                        200, 200, 200, 403, 403, 403, 401),
    (OFF,                                       200, 200, 403, 403, 403, 403, 401),
    (FOREIGN,                                   200, 403, 403, 403, 403, 200, 401),
    (NONE,                                      404, 404, 404, 403, 403, 404, 401),
]
# Prescriptions: managers, and a pharmacy (provider) that passes the door but needs consent.
# The client on the round agreed to share with the GP practice (it holds an escalation about
# them), so the GP practice as a pharmacy may add theirs; a prescription of another pharmacy's is
# none of its own (404, in the status rows below).
PRESCRIBE = [
    (ON,                                        200, 200, 403, 200, 403, 403, 401),
    (OFF,                                       200, 200, 403, 403, 403, 403, 401),
    (FOREIGN,                                   200, 403, 403, 403, 403, 200, 401),
    (NONE,                                      404, 404, 403, 404, 403, 404, 401),
]
route("GET", "/api/v1/clients/<int:client_id>/appointments", CARE_READ)
route("POST", "/api/v1/clients/<int:client_id>/appointments", _with_status(CLIENT_CHANGE, 201),
      body=_soon)
route("PATCH", "/api/v1/clients/<int:client_id>/appointments/<int:appointment_id>",
      _with_status(CLIENT_CHANGE, 200, refs=lambda r: _of("appointment", r)) + [
          (_of("appointment", ON, "foreign"),   404, 404, 403, 403, 403, 403, 401),
          (_of("appointment", FOREIGN, "on"),   404, 403, 403, 403, 403, 404, 401),
          (_of("appointment", ON, "missing"),   404, 404, 403, 403, 403, 403, 401),
      ], body=lambda t: {"cancelled": True})
route("GET", "/api/v1/clients/<int:client_id>/prescriptions", CARE_READ)
route("POST", "/api/v1/clients/<int:client_id>/prescriptions", _with_status(PRESCRIBE, 201),
      body=lambda t: {"description": "Repeat prescription, 1 bag"})
route("POST", "/api/v1/clients/<int:client_id>/prescriptions/<int:prescription_id>/status",
      [(r, *((404 if r == _of("prescription", ON) and i == 3 else v)
             for i, v in enumerate(statuses)))
       for r, *statuses in _with_status(PRESCRIBE, 200, refs=lambda r: _of("prescription", r))]
      + [
          (_of("prescription", ON, "foreign"),  404, 404, 403, 404, 403, 403, 401),
          (_of("prescription", FOREIGN, "on"),  404, 403, 403, 403, 403, 404, 401),
          (_of("prescription", ON, "missing"),  404, 404, 403, 404, 403, 403, 401),
      ], body=lambda t: {"status": "out_for_delivery"})
route("GET", "/api/v1/prescriptions", [
    ({},                                        200, 200, 200, 200, 403, 200, 401),
])

route("POST", "/clients/<int:client_id>/appointments", _with_status(PAGE_CHANGE, 302),
      body=_web_soon)
route("POST", "/clients/<int:client_id>/appointments/<int:appointment_id>/cancel",
      _with_status(PAGE_CHANGE, 302, refs=lambda r: _of("appointment", r)) + [
          (_of("appointment", ON, "foreign"),   404, 404, 403, 403, 403, 403, LOGIN),
          (_of("appointment", FOREIGN, "on"),   404, 403, 403, 403, 403, 404, LOGIN),
      ])
route("POST", "/clients/<int:client_id>/prescriptions", _with_status(PAGE_CHANGE, 302),
      body=lambda t: {"description": "Repeat prescription, 1 bag"})
route("GET", "/pharmacy", [
    ({},                                        403, 403, 403, 200, 403, 403, LOGIN),
])
route("POST", "/pharmacy/prescriptions", [
    # A pharmacy (the GP practice in the test world): the client off the round never agreed to
    # share with it, so adding for them is refused; everyone else is not a pharmacy at all.
    ({"client": "client_off_round"},            403, 403, 403, 403, 403, 403, LOGIN),
    ({"client": "missing"},                     403, 403, 403, 404, 403, 403, LOGIN),
], body=lambda t: {"client_id": t.ref["client"], "description": "Repeat prescription"})
route("POST", "/pharmacy/prescriptions/<int:prescription_id>/status", [
    # The GP practice's own prescription, but the client never agreed to share with it.
    ({"prescription_id": "prescription_gp"},    403, 403, 403, 403, 403, 403, LOGIN),
    ({"prescription_id": "prescription_on"},    403, 403, 403, 404, 403, 403, LOGIN),
    ({"prescription_id": "prescription_missing"}, 403, 403, 403, 404, 403, 403, LOGIN),
], body=lambda t: {"status": "out_for_delivery"})


# --- SMS: message log, outbox, opt-outs ---------------------------------------------------------
# An interrupted send (status `unknown`) about each kind of client; a text from an unknown number
# to the deployment's number, which both operators' programmes text from (so both coordinators
# keep it); one to a number no programme uses (admins only); and numbers that do not work: a
# contact's of the client on the round, of the foreign client, and one nobody here has.

def _message_ids(ids: dict) -> None:
    from outreach.people.models import Contact

    for which, key in (("on", "client_on_round"), ("off", "client_off_round"),
                       ("foreign", "foreign_client")):
        ids[f"message_{which}"] = factories.message(db.session.get(Client, ids[key]),
                                                    status="unknown").id
    ids["message_stranger"] = factories.message(
        None, direction="inbound", status="received", service_number="+447700900001").id
    ids["message_elsewhere"] = factories.message(
        None, direction="inbound", status="received", service_number="+447700900002").id
    for which in ("on", "foreign"):
        phone = db.session.get(Contact, ids[f"contact_{which}"]).phone
        ids[f"number_{which}"] = factories.sms_number(phone, invalid=True).id
    taken = set(db.session.scalars(select(Client.phone))) | set(
        db.session.scalars(select(Contact.phone)))
    nobodys = next(p for p in (f"+447700900{i:03d}" for i in range(999, 0, -1)) if p not in taken)
    ids["number_orphan"] = factories.sms_number(nobodys, invalid=True).id
    for which, key in (("on", "client_on_round"), ("foreign", "foreign_client")):
        ids[f"phone_{which}"] = db.session.get(Client, ids[key]).phone  # to opt out by hand


#        refs                                   A    C    V    P    T    X    anon
MESSAGE_READ = [
    ({"message_id": "message_on"},              200, 200, 403, 403, 403, 403, 401),
    ({"message_id": "message_off"},             200, 200, 403, 403, 403, 403, 401),
    ({"message_id": "message_foreign"},         200, 403, 403, 403, 403, 200, 401),
    ({"message_id": "message_stranger"},        200, 200, 403, 403, 403, 200, 401),
    ({"message_id": "message_elsewhere"},       200, 404, 403, 403, 403, 404, 401),
    ({"message_id": "missing"},                 404, 404, 403, 403, 403, 404, 401),
]
# Only an `unknown` text can be decided: the stranger's received text is a conflict.
MESSAGE_DECIDE = [(r, *(409 if r["message_id"] in ("message_stranger", "message_elsewhere")
                        and s == 200 else s for s in statuses))
                  for r, *statuses in MESSAGE_READ]
NUMBER_CLEAR = [
    ({"number_id": "number_on"},                200, 200, 403, 403, 403, 404, 401),
    ({"number_id": "number_foreign"},           200, 404, 403, 403, 403, 200, 401),
    ({"number_id": "number_orphan"},            200, 404, 403, 403, 403, 404, 401),
    ({"number_id": "missing"},                  404, 404, 403, 403, 403, 404, 401),
]


def _as_page(rows, ok: int | None = None):
    """API rows as a page's: anonymous callers go to the login form; `ok` replaces 2xx/409."""
    return [(r, *((ok if ok and (200 <= s < 300 or s == 409) else s)
                  for s in statuses[:-1]), LOGIN) for r, *statuses in rows]


route("GET", "/api/v1/messages", [
    ({},                                        200, 200, 403, 403, 403, 200, 401),
])
route("POST", "/api/v1/messages", _with_status(CLIENT_CHANGE, 201),
      body=lambda t: {"client_id": t.ref["client_id"], "body": "Hello from the office"})
route("GET", "/api/v1/messages/<int:message_id>", MESSAGE_READ)
route("POST", "/api/v1/messages/<int:message_id>/decide", MESSAGE_DECIDE,
      body=lambda t: {"action": "drop"})
route("GET", "/api/v1/opt-outs", [
    ({},                                        200, 200, 403, 403, 403, 200, 401),
])
route("POST", "/api/v1/opt-outs/<int:number_id>/clear-invalid", NUMBER_CLEAR)
# Opting out by hand: a number of a client the caller manages (else 422, saying nothing of
# whose it is); opting in again answers 409 for these numbers, which are not opted out.
OPT_OUT_BY_HAND = [
    ({"phone": "phone_on"},                     201, 201, 403, 403, 403, 422, 401),
    ({"phone": "phone_foreign"},                201, 422, 403, 403, 403, 201, 401),
]
NUMBER_OPT_IN = [(r, *(409 if s == 200 else s for s in statuses))
                 for r, *statuses in NUMBER_CLEAR]
route("POST", "/api/v1/opt-outs", OPT_OUT_BY_HAND,
      body=lambda t: {"phone": t.ref["phone"], "reason": "asked_by_phone"})
route("POST", "/api/v1/opt-outs/<int:number_id>/opt-in", NUMBER_OPT_IN,
      body=lambda t: {"reason": "asked_by_phone"})

route("GET", "/messages/", [
    ({},                                        200, 200, 403, 403, 403, 200, LOGIN),
])
route("GET", "/messages/outbox", [
    ({},                                        200, 200, 403, 403, 403, 200, LOGIN),
])
route("GET", "/messages/opt-outs", [
    ({},                                        200, 200, 403, 403, 403, 200, LOGIN),
])
route("GET", "/messages/<int:message_id>", _as_page(MESSAGE_READ))
# A decision that cannot be made comes back to the text's page with the reason (302).
route("POST", "/messages/<int:message_id>/decide", _as_page(MESSAGE_DECIDE, 302),
      body=lambda t: {"action": "drop"})
route("POST", "/messages/opt-outs/<int:number_id>/clear-invalid", _as_page(NUMBER_CLEAR, 302))
route("POST", "/messages/opt-outs", _as_page(OPT_OUT_BY_HAND, 302),
      body=lambda t: {"phone": t.ref["phone"], "reason": "asked_by_phone"})
route("POST", "/messages/opt-outs/<int:number_id>/opt-in", _as_page(NUMBER_OPT_IN, 302),
      body=lambda t: {"reason": "asked_by_phone"})
route("POST", "/clients/<int:client_id>/texts", _with_status(PAGE_CHANGE, 302),
      body=lambda t: {"body": "Hello from the office"})


# --- SMS: webhooks ---
# Twilio's webhooks answer to its signature, never to a login or a CSRF token: unsigned, every
# caller gets 403 (logged in or not, with the form's CSRF token or not). The signed path is
# tested in tests/channels/test_webhooks.py and tests/messages/.
#        refs                                   A    C    V    P    T    X    anon
route("POST", "/sms/inbound", [
    ({},                                        403, 403, 403, 403, 403, 403, 403),
], body=lambda t: {"MessageSid": "SM" + "0" * 32, "From": "+447700900998",
                   "To": "+447700900001", "Body": "FALL"})
route("POST", "/sms/status", [
    ({},                                        403, 403, 403, 403, 403, 403, 403),
], body=lambda t: {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"})
SIGNED_NOT_CSRF = {"/sms/inbound", "/sms/status"}


# --- Self-report form ---------------------------------------------------------------------------
# The public pages answer to the texted link alone: every caller, logged in or not, gets the same.
# Texting the link is a change to the client, for those who manage them.

def _selfreport_ids(ids: dict) -> None:
    from outreach.auth.models import User
    from outreach.selfreport.services import issue_link

    coordinator = db.session.get(User, ids["coordinator_user"])
    _, ids["selfreport_token"] = issue_link(coordinator,
                                            db.session.get(Client, ids["client_on_round"]))
    ids["selfreport_dead"] = "A" * 32  # well-formed, names no link


#        refs                                   A    C    V    P    T    X    anon
SELF_REPORT_PAGE = [
    ({"token": "selfreport_token"},             200, 200, 200, 200, 200, 200, 200),
    ({"token": "selfreport_dead"},              404, 404, 404, 404, 404, 404, 404),
]
route("GET", "/tell-us/<token>", SELF_REPORT_PAGE)
route("GET", "/tell-us/<token>/thanks", SELF_REPORT_PAGE)
route("POST", "/tell-us/<token>", _with_status(SELF_REPORT_PAGE, 302),
      body=lambda t: {"category": "fall", "how_soon": "today"})
route("POST", "/clients/<int:client_id>/self-report-link", _with_status(PAGE_CHANGE, 302))


# --- Passwords -------------------------------------------------------------------------------
# Everyone changes their own (giving the current one); admins, and coordinators for the people
# they manage, make one-time reset links; the link's page answers to the link alone.

NEW_PASSWORD = "plum orbit velvet lantern"


def _password_reset_ids(ids: dict) -> None:
    from outreach.auth.models import User
    from outreach.auth.password_changes import issue_reset

    raw, _ = issue_reset(None, db.session.get(User, ids["visitor_user"]))
    ids["reset_token"], ids["reset_dead"] = raw, "B" * 43


#        refs                                   A    C    V    P    T    X    anon
route("GET", "/account/password", [
    ({},                                        200, 200, 200, 200, 200, 200, LOGIN),
])
route("POST", "/account/password", [
    ({"password": "password:right"},            302, 302, 302, 302, 302, 302, LOGIN),
    ({"password": "password:wrong"},            403, 403, 403, 403, 403, 403, LOGIN),
], body=lambda t: {"current_password": t.ref["password"], "new_password": NEW_PASSWORD,
                   "confirm_password": NEW_PASSWORD})
RESET_PAGE = [
    ({"token": "reset_token"},                  200, 200, 200, 200, 200, 200, 200),
    ({"token": "reset_dead"},                   404, 404, 404, 404, 404, 404, 404),
]
route("GET", "/password-reset/<token>", RESET_PAGE)
route("POST", "/password-reset/<token>", _with_status(RESET_PAGE, LOGIN),  # set: log in now
      body=lambda t: {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
route("POST", "/api/v1/users/me/password", [
    ({"password": "password:right"},            204, 204, 204, 204, 204, 204, 401),
    ({"password": "password:wrong"},            403, 403, 403, 403, 403, 403, 401),
], body=lambda t: {"current_password": t.ref["password"], "new_password": NEW_PASSWORD})
route("POST", "/api/v1/users/<int:user_id>/password-reset", [
    ({"user_id": "visitor_user"},               201, 201, 403, 403, 403, 404, 401),
    ({"user_id": "admin_user"},                 201, 403, 403, 403, 403, 404, 401),
    ({"user_id": "provider_user"},              201, 404, 403, 403, 403, 404, 401),
    ({"user_id": "missing"},                    404, 404, 403, 403, 403, 404, 401),
])


# --- Escalations ---------------------------------------------------------------------------
# A provider sees and acts on its own organisation's escalations only; coordinators on those of
# their operator's programmes whoever the recipient; admins on all. Visitors and tutors on none.

def _escalation_ids(ids: dict) -> None:
    from outreach.enums import EscalationOutcome, EscalationStatus, RecipientKind
    from outreach.escalations.models import RoutingRecipient, RoutingRule
    from outreach.organisations.models import Organisation

    get = db.session.get
    org = {key: get(Organisation, ids[key])
           for key in ("operator", "other_operator", "gp", "food_bank")}
    on, off, foreign = (get(Client, ids[k]) for k in ("client_on_round", "client_off_round",
                                                       "foreign_client"))
    for person in (on, off, foreign):
        factories.consent(person, ConsentPurpose.SHARE_INFORMATION,
                          organisation_id=org["food_bank"].id)
    ids["esc_gp_on"] = factories.escalation(on, org["gp"], category="pain_or_illness").id
    ids["esc_food_off"] = factories.escalation(off, org["food_bank"]).id
    ids["esc_coordinator_on"] = factories.escalation(on, org["operator"],
                                                     category="safeguarding").id
    ids["esc_foreign"] = factories.escalation(foreign, org["other_operator"]).id
    ids["esc_contact_on"] = factories.escalation(
        on, contact=get(Contact, ids["contact_on"]), category="fall", consent=False).id
    ids["esc_resolved_on"] = factories.escalation(
        on, org["gp"], category="medication", status=EscalationStatus.RESOLVED,
        outcome=EscalationOutcome.HELPED, resolved_at=utcnow(), acknowledged_at=utcnow()).id
    for key, programme_key in (("rule_own", "programme"), ("rule_foreign", "other_programme")):
        rule = RoutingRule(programme_id=ids[programme_key], category="loneliness")
        rule.recipients.append(RoutingRecipient(tier=1, kind=RecipientKind.COORDINATOR))
        db.session.add(rule)
        db.session.flush()
        ids[key] = rule.id
    ids["esc_missing"] = ids["rule_missing"] = MISSING


ESC = "escalation_id"
#        refs                                   A    C    V    P    T    X    anon
ESCALATION_READ = [
    ({ESC: "esc_gp_on"},                        200, 200, 403, 200, 403, 403, 401),
    ({ESC: "esc_food_off"},                     200, 200, 403, 403, 403, 403, 401),
    ({ESC: "esc_coordinator_on"},               200, 200, 403, 403, 403, 403, 401),
    ({ESC: "esc_contact_on"},                   200, 200, 403, 403, 403, 403, 401),
    ({ESC: "esc_foreign"},                      200, 403, 403, 403, 403, 200, 401),
    ({ESC: "esc_missing"},                      404, 404, 403, 404, 403, 404, 401),
]
route("GET", "/api/v1/escalations", [
    ({},                                        200, 200, 403, 200, 403, 200, 401),
])
route("GET", "/api/v1/escalations/<int:escalation_id>", ESCALATION_READ)
route("POST", "/api/v1/escalations/<int:escalation_id>/acknowledge", ESCALATION_READ,
      body=lambda t: {"note": "On it"})
route("POST", "/api/v1/escalations/<int:escalation_id>/notes",
      _with_status(ESCALATION_READ, 201), body=lambda t: {"note": "Phoned her daughter"})
route("POST", "/api/v1/escalations/<int:escalation_id>/resolve", ESCALATION_READ,
      body=lambda t: {"outcome": "helped", "usefulness": 4, "note": "Sorted"})
route("POST", "/api/v1/escalations/<int:escalation_id>/hand-back", [
    ({ESC: "esc_gp_on"},                        403, 403, 403, 200, 403, 403, 401),
    ({ESC: "esc_food_off"},                     403, 403, 403, 403, 403, 403, 401),
    ({ESC: "esc_foreign"},                      403, 403, 403, 403, 403, 403, 401),
    ({ESC: "esc_missing"},                      403, 403, 403, 404, 403, 403, 401),
], body=lambda t: {"note": "Not one for us"})
# To the food bank, which every client has agreed to share with; already there: 409.
route("POST", "/api/v1/escalations/<int:escalation_id>/reassign", [
    ({ESC: "esc_gp_on"},                        200, 200, 403, 403, 403, 403, 401),
    ({ESC: "esc_food_off"},                     409, 409, 403, 403, 403, 403, 401),
    ({ESC: "esc_foreign"},                      200, 403, 403, 403, 403, 200, 401),
    ({ESC: "esc_missing"},                      404, 404, 403, 403, 403, 404, 401),
], body=lambda t: {"organisation_id": t.ids["food_bank"], "note": "Better placed"})
route("POST", "/api/v1/escalations/<int:escalation_id>/reopen", [
    ({ESC: "esc_resolved_on"},                  200, 200, 403, 403, 403, 403, 401),
    ({ESC: "esc_gp_on"},                        409, 409, 403, 403, 403, 403, 401),
    ({ESC: "esc_foreign"},                      409, 403, 403, 403, 403, 409, 401),
    ({ESC: "esc_missing"},                      404, 404, 403, 403, 403, 404, 401),
], body=lambda t: {"note": "Still no food in the house"})


def _rule_body(t) -> dict:
    own = t.ref.get("rule_id") != t.ids["rule_foreign"]
    programme = t.ref.get("programme_id") or t.ids["programme" if own else "other_programme"]
    return {"programme_id": programme, "category": "money", "severity": "urgent",
            "recipients": [{"kind": "coordinator"}], "acknowledge_minutes": 30}


RULE = "rule_id"
#        refs                                   A    C    V    P    T    X    anon
RULE_READ = [
    ({RULE: "rule_own"},                        200, 200, 403, 403, 403, 403, 401),
    ({RULE: "rule_foreign"},                    200, 403, 403, 403, 403, 200, 401),
    ({RULE: "rule_missing"},                    404, 404, 403, 403, 403, 404, 401),
]
route("GET", "/api/v1/routing-rules", [
    ({},                                        200, 200, 403, 403, 403, 200, 401),
])
route("POST", "/api/v1/routing-rules", [
    ({"programme_id": "programme"},             201, 201, 403, 403, 403, 403, 401),
    ({"programme_id": "other_programme"},       201, 403, 403, 403, 403, 201, 401),
    ({"programme_id": "missing"},               422, 422, 403, 403, 403, 422, 401),
], body=_rule_body)
route("GET", "/api/v1/routing-rules/<int:rule_id>", RULE_READ)
route("PUT", "/api/v1/routing-rules/<int:rule_id>", RULE_READ, body=_rule_body)
route("DELETE", "/api/v1/routing-rules/<int:rule_id>", _with_status(RULE_READ, 204))

# The provider's queue and the escalation page (provider-web). Pages refuse like the API, but
# every refusal of an escalation is audited, whoever asks; a form refused by the service (409,
# 422) is shown again with its errors.
route("GET", "/provider/", [
    ({},                                        403, 403, 403, 200, 403, 403, LOGIN),
])
#        refs                                   A    C    V    P    T    X    anon
ESCALATION_PAGE = [
    ({ESC: "esc_gp_on"},                        200, 200, 403, 200, 403, 403, LOGIN),
    ({ESC: "esc_food_off"},                     200, 200, 403, 403, 403, 403, LOGIN),
    ({ESC: "esc_coordinator_on"},               200, 200, 403, 403, 403, 403, LOGIN),
    ({ESC: "esc_contact_on"},                   200, 200, 403, 403, 403, 403, LOGIN),
    ({ESC: "esc_foreign"},                      200, 403, 403, 403, 403, 200, LOGIN),
    ({ESC: "esc_missing"},                      404, 404, 404, 404, 404, 404, LOGIN),
]
route("GET", "/escalations/<int:escalation_id>", ESCALATION_PAGE)
route("POST", "/escalations/<int:escalation_id>/acknowledge",
      _with_status(ESCALATION_PAGE, 302), body=lambda t: {"note": "On it"})
route("POST", "/escalations/<int:escalation_id>/notes", _with_status(ESCALATION_PAGE, 302),
      body=lambda t: {"note": "Phoned her daughter"})
route("POST", "/escalations/<int:escalation_id>/resolve", _with_status(ESCALATION_PAGE, 302),
      body=lambda t: {"outcome": "helped", "usefulness": "4", "note": "Sorted"})
route("POST", "/escalations/<int:escalation_id>/hand-back", [
    ({ESC: "esc_gp_on"},                        403, 403, 403, 302, 403, 403, LOGIN),
    ({ESC: "esc_food_off"},                     403, 403, 403, 403, 403, 403, LOGIN),
    ({ESC: "esc_foreign"},                      403, 403, 403, 403, 403, 403, LOGIN),
    ({ESC: "esc_missing"},                      404, 404, 404, 404, 404, 404, LOGIN),
], body=lambda t: {"note": "Not one for us"})
route("POST", "/escalations/<int:escalation_id>/reassign", [
    ({ESC: "esc_gp_on"},                        302, 302, 403, 403, 403, 403, LOGIN),
    ({ESC: "esc_food_off"},                     409, 409, 403, 403, 403, 403, LOGIN),
    ({ESC: "esc_foreign"},                      302, 403, 403, 403, 403, 302, LOGIN),
    ({ESC: "esc_missing"},                      404, 404, 404, 404, 404, 404, LOGIN),
], body=lambda t: {"recipient": f"org:{t.ids['food_bank']}", "note": "Better placed"})
route("POST", "/escalations/<int:escalation_id>/reopen", [
    ({ESC: "esc_resolved_on"},                  302, 302, 403, 403, 403, 403, LOGIN),
    ({ESC: "esc_gp_on"},                        409, 409, 403, 403, 403, 403, LOGIN),
    ({ESC: "esc_foreign"},                      409, 403, 403, 403, 403, 409, LOGIN),
    ({ESC: "esc_missing"},                      404, 404, 404, 404, 404, 404, LOGIN),
], body=lambda t: {"note": "Still no food in the house"})
# The coordinator's escalation overview and routing-rules editor
# (outreach/escalations/views/overview.py and routing.py).
#        refs                                   A    C    V    P    T    X    anon
route("GET", "/escalations/", [
    ({},                                        200, 200, 403, 403, 403, 200, LOGIN),
])
ROUTING_PAGE = [
    ({"programme_id": "programme"},             200, 200, 403, 403, 403, 403, LOGIN),
    ({"programme_id": "other_programme"},       200, 403, 403, 403, 403, 200, LOGIN),
    ({"programme_id": "missing"},               404, 404, 403, 403, 403, 404, LOGIN),
]
route("GET", "/programmes/<int:programme_id>/routing", ROUTING_PAGE)
route("GET", "/programmes/<int:programme_id>/routing/new", ROUTING_PAGE)


def _rule_form(t) -> dict:
    return {"category": "money", "severity": "urgent", "told_first": "coordinator",
            "acknowledge_within": "30", "acknowledge_unit": "minutes"}


route("POST", "/programmes/<int:programme_id>/routing/new", _with_status(ROUTING_PAGE, 302),
      body=_rule_form)
RULE_PAGE = [
    ({"programme_id": "programme", RULE: "rule_own"},          200, 200, 403, 403, 403, 403,
     LOGIN),
    ({"programme_id": "other_programme", RULE: "rule_foreign"}, 200, 403, 403, 403, 403, 200,
     LOGIN),
    # A rule reached through a programme it does not belong to: there is no such rule there.
    ({"programme_id": "programme", RULE: "rule_foreign"},      404, 404, 403, 403, 403, 403,
     LOGIN),
    ({"programme_id": "programme", RULE: "rule_missing"},      404, 404, 403, 403, 403, 403,
     LOGIN),
    ({"programme_id": "missing", RULE: "rule_own"},            404, 404, 403, 403, 403, 404,
     LOGIN),
]
route("GET", "/programmes/<int:programme_id>/routing/<int:rule_id>", RULE_PAGE)
route("POST", "/programmes/<int:programme_id>/routing/<int:rule_id>",
      _with_status(RULE_PAGE, 302), body=_rule_form)
# Deleting twice is harmless: a rule already gone answers as done (302).
route("POST", "/programmes/<int:programme_id>/routing/<int:rule_id>/delete", [
    (refs, *(302 if refs.get(RULE) == "rule_missing" and s == 404 else s for s in statuses))
    for refs, *statuses in _with_status(RULE_PAGE, 302)])
# [escalation web pages: rows above this line]
# Feed tokens (API), the Atom feed and FHIR. The feed and FHIR routes open with a token only,
# never the session the runner logs in with: 401 for everyone here (token paths: tests/escalations).
# FHIR's CapabilityStatement is public, as FHIR clients expect.

def _feed_token_ids(ids: dict) -> None:
    from outreach.auth.models import User
    from outreach.escalations import feed_tokens
    from outreach.organisations.models import Organisation

    admin = db.session.get(User, ids["admin_user"])
    for key in ("gp", "operator", "other_operator"):
        _, token = feed_tokens.issue(admin, db.session.get(Organisation, ids[key]), key)
        ids[f"feed_token_{key}"] = token.id
    ids["feed_token_missing"] = MISSING


def _feed_token_body(t) -> dict:
    return {"name": "Reader", **({"organisation_id": t.ref["org"]} if "org" in t.ref else {})}


FT = "feed_token_id"
#        refs                                   A    C    V    P    T    X    anon
route("POST", "/api/v1/feed-tokens", [
    ({},                                        422, 201, 403, 201, 403, 201, 401),
    ({"org": "gp"},                             201, 403, 403, 201, 403, 403, 401),
    ({"org": "operator"},                       201, 201, 403, 403, 403, 403, 401),
    ({"org": "missing"},                        422, 403, 403, 403, 403, 403, 401),
], body=_feed_token_body)
route("GET", "/api/v1/feed-tokens", [
    ({},                                        200, 200, 403, 200, 403, 200, 401),
])
route("DELETE", "/api/v1/feed-tokens/<int:feed_token_id>", [
    ({FT: "feed_token_gp"},                     204, 404, 403, 204, 403, 404, 401),
    ({FT: "feed_token_operator"},               204, 204, 403, 404, 403, 404, 401),
    ({FT: "feed_token_other_operator"},         204, 404, 403, 404, 403, 204, 401),
    ({FT: "feed_token_missing"},                404, 404, 403, 404, 403, 404, 401),
])
route("GET", "/feeds/escalations.atom", [
    ({},                                        401, 401, 401, 401, 401, 401, 401),
])
route("GET", "/fhir/r4/Task", [
    ({},                                        401, 401, 401, 401, 401, 401, 401),
])
route("GET", "/fhir/r4/Task/<task_id>", [
    ({"task_id": "esc_gp_on"},                  401, 401, 401, 401, 401, 401, 401),
    ({"task_id": "esc_foreign"},                401, 401, 401, 401, 401, 401, 401),
    ({"task_id": "esc_missing"},                401, 401, 401, 401, 401, 401, 401),
])
route("GET", "/fhir/r4/metadata", [
    ({},                                        200, 200, 200, 200, 200, 200, 200),
])
# [feeds, Atom, FHIR and feed tokens: rows above this line]
# An organisation's webhook: admins and its own provider users change it; coordinators may look
# at those their programmes route to. Nobody has a URL here, so rotating and retrying: 409.
WEBHOOK = "/api/v1/organisations/<int:organisation_id>/webhook"
#        refs                                   A    C    V    P    T    X    anon
route("GET", WEBHOOK, [
    ({"organisation_id": "operator"},           200, 200, 403, 403, 403, 403, 401),
    ({"organisation_id": "other_operator"},     200, 403, 403, 403, 403, 200, 401),
    ({"organisation_id": "gp"},                 200, 200, 403, 200, 403, 403, 401),
    ({"organisation_id": "food_bank"},          200, 200, 403, 403, 403, 403, 401),
    ({"organisation_id": "missing"},            404, 404, 403, 404, 403, 404, 401),
])
WEBHOOK_CHANGE = [
    ({"organisation_id": "operator"},           200, 403, 403, 403, 403, 403, 401),
    ({"organisation_id": "other_operator"},     200, 403, 403, 403, 403, 403, 401),
    ({"organisation_id": "gp"},                 200, 403, 403, 200, 403, 403, 401),
    ({"organisation_id": "missing"},            404, 404, 403, 404, 403, 404, 401),
]
route("PUT", WEBHOOK, WEBHOOK_CHANGE, body=lambda t: {"url": "http://127.0.0.1:9/hooks"})
route("DELETE", WEBHOOK, WEBHOOK_CHANGE)
route("POST", WEBHOOK + "/rotate-secret", _with_status(WEBHOOK_CHANGE, 409))
route("POST", WEBHOOK + "/retry", _with_status(WEBHOOK_CHANGE, 409))
# [webhooks: rows above this line]


# --- Digital literacy --------------------------------------------------------------------------

# The literacy API (literacy-api). Workshops and sessions name nobody: the operator's staff see
# them. Learners (enrolments, the register) are seen by admins, the operator's coordinators and
# the workshop's own tutor; the world's tutor teaches `ws_own`, which has no learner from the
# world (the client lists above would change), so their own-learner paths are in tests/literacy.

def _literacy_ids(ids: dict) -> None:
    """Workshops of each operator (one taught by the world's tutor), their sessions, skills,
    learners and digital_help needs."""
    from outreach.programmes.models import Programme
    from tests.literacy import factories as lf

    get = db.session.get
    own, foreign = get(Programme, ids["extra_programme"]), \
        get(Programme, ids["other_extra_programme"])
    tutor = SimpleNamespace(id=ids["tutor_user"])
    workshops = {"own": lf.workshop(own, tutor), "untaught": lf.workshop(own),
                 "foreign": lf.workshop(foreign)}
    for key, made in workshops.items():
        ids[f"ws_{key}"] = made.id
        ids[f"sess_{key}"] = lf.session(made).id
    ids["enr_off"] = lf.enrolment(workshops["untaught"],
                                  get(Client, ids["client_off_round"])).id
    ids["enr_foreign"] = lf.enrolment(workshops["foreign"], get(Client, ids["foreign_client"])).id
    ids["skill_own"], ids["skill_foreign"] = lf.skill(own).id, lf.skill(foreign).id
    for which, key in (("on", "client_on_round"), ("off", "client_off_round"),
                       ("foreign", "foreign_client")):
        ids[f"lit_need_{which}"] = factories.need(get(Client, ids[key]), "digital_help").id


WS, SESS, ENR = "workshop_id", "session_id", "enrolment_id"
#        refs                                   A    C    V    P    T    X    anon
route("GET", "/api/v1/workshops", [
    ({},                                        200, 200, 200, 403, 200, 200, 401),
])
route("POST", "/api/v1/workshops", [
    ({"programme": "extra_programme"},          201, 201, 403, 403, 403, 422, 401),
    ({"programme": "programme"},                422, 422, 403, 403, 403, 422, 401),
], body=lambda t: {"programme_id": t.ref["programme"], "title": f"Workshop {unique()}"})
route("GET", "/api/v1/workshops/<int:workshop_id>", [
    ({WS: "ws_own"},                            200, 200, 200, 403, 200, 404, 401),
    ({WS: "ws_foreign"},                        200, 404, 404, 403, 404, 200, 401),
    ({WS: "missing"},                           404, 404, 404, 403, 404, 404, 401),
])
route("PATCH", "/api/v1/workshops/<int:workshop_id>", [
    ({WS: "ws_own"},                            200, 200, 403, 403, 403, 404, 401),
    ({WS: "ws_foreign"},                        200, 404, 403, 403, 403, 200, 401),
    ({WS: "missing"},                           404, 404, 403, 403, 403, 404, 401),
], body=lambda t: {"description": "Changed description"})
# Tutors keep the sessions of their own workshops; another's is refused (and audited).
route("POST", "/api/v1/workshops/<int:workshop_id>/sessions", [
    ({WS: "ws_own"},                            201, 201, 403, 403, 201, 404, 401),
    ({WS: "ws_untaught"},                       201, 201, 403, 403, 403, 404, 401),
    ({WS: "ws_foreign"},                        201, 404, 403, 403, 404, 201, 401),
    ({WS: "missing"},                           404, 404, 403, 403, 404, 404, 401),
], body=lambda t: {"starts_at": "2030-06-10T10:00:00+01:00",
                   "ends_at": "2030-06-10T12:00:00+01:00", "capacity": 8})
route("GET", "/api/v1/sessions", [
    ({},                                        200, 200, 200, 403, 200, 200, 401),
])
route("GET", "/api/v1/sessions/<int:session_id>", [
    ({SESS: "sess_own"},                        200, 200, 200, 403, 200, 404, 401),
    ({SESS: "sess_foreign"},                    200, 404, 404, 403, 404, 200, 401),
    ({SESS: "missing"},                         404, 404, 404, 403, 404, 404, 401),
])
SESSION_CHANGE = [
    ({SESS: "sess_own"},                        200, 200, 403, 403, 200, 404, 401),
    ({SESS: "sess_untaught"},                   200, 200, 403, 403, 403, 404, 401),
    ({SESS: "sess_foreign"},                    200, 404, 403, 403, 404, 200, 401),
    ({SESS: "missing"},                         404, 404, 403, 403, 404, 404, 401),
]
route("PATCH", "/api/v1/sessions/<int:session_id>", SESSION_CHANGE,
      body=lambda t: {"venue": "Parish Hall"})
route("POST", "/api/v1/sessions/<int:session_id>/cancel", SESSION_CHANGE)

route("GET", "/api/v1/enrolments", [
    ({},                                        200, 200, 403, 403, 200, 200, 401),
])
# By client (coordinators) or from a digital_help need (the visitor's referral). A workshop the
# caller cannot see is a bad reference (422) before the client is looked at; client_off_round
# and foreign_client are already on these workshops (409 once access is granted).
route("POST", "/api/v1/enrolments", [
    (ON | {"workshop": "ws_untaught"},          201, 201, 403, 403, 403, 422, 401),
    (OFF | {"workshop": "ws_untaught"},         409, 409, 403, 403, 403, 422, 401),
    (FOREIGN | {"workshop": "ws_foreign"},      409, 422, 422, 403, 403, 409, 401),
    (NONE | {"workshop": "ws_untaught"},        404, 404, 404, 403, 403, 422, 401),
    ({"need": "lit_need_on", "workshop": "ws_untaught"},       201, 201, 201, 403, 403, 422, 401),
    ({"need": "lit_need_off", "workshop": "ws_own"},           201, 201, 403, 403, 403, 422, 401),
    ({"need": "lit_need_off", "workshop": "ws_untaught"},      409, 409, 403, 403, 403, 422, 401),
    ({"need": "lit_need_foreign", "workshop": "ws_foreign"},   409, 422, 422, 403, 403, 409, 401),
    ({"need": "need_on", "workshop": "ws_untaught"},           422, 422, 422, 403, 403, 422, 401),
    ({"need": "missing", "workshop": "ws_untaught"},           404, 404, 404, 403, 403, 422, 401),
], body=lambda t: {"workshop_id": t.ref["workshop"]} | (
    {"need_id": t.ref["need"]} if "need" in t.ref else {"client_id": t.ref["client_id"]}))
ENROLMENT_ROWS = [
    ({ENR: "enr_off"},                          200, 200, 403, 403, 403, 404, 401),
    ({ENR: "enr_foreign"},                      200, 404, 403, 403, 404, 200, 401),
    ({ENR: "missing"},                          404, 404, 403, 403, 404, 404, 401),
]
route("GET", "/api/v1/enrolments/<int:enrolment_id>", ENROLMENT_ROWS)
route("POST", "/api/v1/enrolments/<int:enrolment_id>/withdraw", ENROLMENT_ROWS,
      body=lambda t: {"reason": "Moved away"})
route("PUT", "/api/v1/enrolments/<int:enrolment_id>/confidence", ENROLMENT_ROWS,
      body=lambda t: {"before": 3})
route("PUT", "/api/v1/enrolments/<int:enrolment_id>/skills/<int:skill_id>", [
    ({ENR: "enr_off", "skill_id": "skill_own"},         200, 200, 403, 403, 403, 404, 401),
    ({ENR: "enr_foreign", "skill_id": "skill_foreign"}, 200, 404, 403, 403, 404, 200, 401),
    # Another programme's skill: refused as data.
    ({ENR: "enr_off", "skill_id": "skill_foreign"},     422, 422, 403, 403, 403, 404, 401),
    ({ENR: "missing", "skill_id": "skill_own"},         404, 404, 403, 403, 404, 404, 401),
], body=lambda t: {"shown": True})
route("GET", "/api/v1/attendance", [
    ({},                                        200, 200, 403, 403, 200, 200, 401),
])
route("POST", "/api/v1/attendance", [
    ({"session": "sess_untaught", "enrolment": "enr_off"},  200, 200, 403, 403, 403, 422, 401),
    # A learner of another workshop is not on this register.
    ({"session": "sess_own", "enrolment": "enr_off"},       422, 422, 403, 403, 422, 422, 401),
    ({"session": "sess_foreign", "enrolment": "enr_foreign"}, 200, 422, 403, 403, 422, 200, 401),
    ({"session": "missing", "enrolment": "enr_off"},        422, 422, 403, 403, 422, 422, 401),
], body=lambda t: {"session_id": t.ref["session"], "enrolment_id": t.ref["enrolment"],
                   "status": "present"})
route("GET", "/api/v1/skills", [
    ({},                                        200, 200, 200, 403, 200, 200, 401),
])
route("POST", "/api/v1/skills", [
    ({"programme": "extra_programme"},          201, 201, 403, 403, 403, 422, 401),
    ({"programme": "programme"},                422, 422, 403, 403, 403, 422, 401),
], body=lambda t: {"programme_id": t.ref["programme"], "name": f"Skill {unique()}"})
# [literacy API: rows above this line]
# The literacy pages (literacy-pages), on the API's ids above. Visitors and providers have no
# such pages (403 before any lookup); a workshop that is not the caller's is refused with 403
# (audited), a missing one is 404. Forms refused by the service come back with their errors
# (409, 422); an invitation from a need always goes back to the client's page (302).
# A workshop (or its session) taught by the world's tutor, untaught, the other operator's, none.
_CAN_TEACH = [
    ("own",                                     200, 200, 403, 403, 200, 403, LOGIN),
    ("untaught",                                200, 200, 403, 403, 403, 403, LOGIN),
    ("foreign",                                 200, 403, 403, 403, 403, 200, LOGIN),
    ("missing",                                 404, 404, 403, 403, 404, 404, LOGIN),
]


def _teach_rows(key: str, prefix: str, ok: int = 200):
    """_CAN_TEACH for a route keyed by `key` (ids `<prefix>_own`...), success being `ok`."""
    return [({key: "missing" if which == "missing" else f"{prefix}_{which}"},
             *((ok if s == 200 else s) for s in statuses)) for which, *statuses in _CAN_TEACH]


_MANAGE_WS = [
    ({WS: "ws_own"},                            200, 200, 403, 403, 403, 403, LOGIN),
    ({WS: "ws_foreign"},                        200, 403, 403, 403, 403, 200, LOGIN),
    ({WS: "missing"},                           404, 404, 403, 403, 403, 404, LOGIN),
]
_LEARNER_PAGE = [
    ({ENR: "enr_off"},                          200, 200, 403, 403, 403, 403, LOGIN),
    ({ENR: "enr_foreign"},                      200, 403, 403, 403, 403, 200, LOGIN),
    ({ENR: "missing"},                          404, 404, 403, 403, 404, 404, LOGIN),
]


def _session_form(t) -> dict:
    return {"day": "2031-07-01", "starts": "10:00", "ends": "12:00", "venue": "Library",
            "capacity": "8"}


#        refs                                   A    C    V    P    T    X    anon
route("GET", "/tutor/", [
    ({},                                        200, 200, 403, 403, 200, 200, LOGIN),
])
route("GET", "/workshops/", [
    ({},                                        200, 200, 403, 403, 403, 200, LOGIN),
])
route("GET", "/workshops/new", [
    ({},                                        200, 200, 403, 403, 403, 200, LOGIN),
])
route("POST", "/workshops/new", [
    ({"programme": "extra_programme"},          302, 302, 403, 403, 403, 422, LOGIN),
    ({"programme": "programme"},                422, 422, 403, 403, 403, 422, LOGIN),
], body=lambda t: {"programme_id": t.ref["programme"], "title": f"Workshop {unique()}"})
route("GET", "/workshops/<int:workshop_id>", _teach_rows(WS, "ws"))
route("GET", "/workshops/<int:workshop_id>/edit", _MANAGE_WS)
route("POST", "/workshops/<int:workshop_id>/edit", _with_status(_MANAGE_WS, 302),
      body=lambda t: {"title": "Renamed workshop"})
# The learner comes in the form, not the address: `learner`, so the client-audit checks (which
# follow a `client_id` reference) do not apply; the read is audited by get_client all the same.
route("POST", "/workshops/<int:workshop_id>/enrolments", [
    ({WS: "ws_untaught", "learner": "client_on_round"},  302, 302, 403, 403, 403, 403, LOGIN),
    ({WS: "ws_untaught", "learner": "client_off_round"}, 409, 409, 403, 403, 403, 403, LOGIN),
    ({WS: "ws_own", "learner": "foreign_client"},        302, 403, 403, 403, 403, 403, LOGIN),
    ({WS: "ws_foreign", "learner": "foreign_client"},    409, 403, 403, 403, 403, 409, LOGIN),
    ({WS: "missing", "learner": "client_on_round"},      404, 404, 403, 403, 403, 404, LOGIN),
], body=lambda t: {"client_id": t.ref["learner"]})
route("POST", "/enrolments/<int:enrolment_id>/withdraw", [
    ({ENR: "enr_off"},                          302, 302, 403, 403, 403, 403, LOGIN),
    ({ENR: "enr_foreign"},                      302, 403, 403, 403, 403, 302, LOGIN),
    ({ENR: "missing"},                          404, 404, 403, 403, 403, 404, LOGIN),
], body=lambda t: {"reason": "Moved away"})
route("GET", "/workshops/<int:workshop_id>/sessions/new", _teach_rows(WS, "ws"))
route("POST", "/workshops/<int:workshop_id>/sessions/new", _teach_rows(WS, "ws", 302),
      body=_session_form)
route("GET", "/sessions/<int:session_id>/edit", _teach_rows(SESS, "sess"))
route("POST", "/sessions/<int:session_id>/edit", _teach_rows(SESS, "sess", 302),
      body=_session_form)
route("POST", "/sessions/<int:session_id>/cancel", _teach_rows(SESS, "sess", 302))
route("GET", "/sessions/<int:session_id>/register", _teach_rows(SESS, "sess"))
route("POST", "/sessions/<int:session_id>/register", [
    ({SESS: "sess_untaught", "enrolment": "enr_off"},     302, 302, 403, 403, 403, 403, LOGIN),
    # A learner of another workshop is not on this register.
    ({SESS: "sess_own", "enrolment": "enr_off"},          422, 422, 403, 403, 422, 403, LOGIN),
    ({SESS: "sess_foreign", "enrolment": "enr_foreign"},  302, 403, 403, 403, 403, 302, LOGIN),
    ({SESS: "missing", "enrolment": "enr_off"},           404, 404, 403, 403, 404, 404, LOGIN),
], body=lambda t: {"enrolment_id": t.ref["enrolment"], "status": "present"})
route("GET", "/enrolments/<int:enrolment_id>", _LEARNER_PAGE)
route("GET", "/enrolments/<int:enrolment_id>/summary", _LEARNER_PAGE)
route("POST", "/enrolments/<int:enrolment_id>/confidence", _with_status(_LEARNER_PAGE, 302),
      body=lambda t: {"before": "3"})
route("POST", "/enrolments/<int:enrolment_id>/skills", [
    ({ENR: "enr_off", "skill": "skill_own"},            302, 302, 403, 403, 403, 403, LOGIN),
    ({ENR: "enr_foreign", "skill": "skill_foreign"},    302, 403, 403, 403, 403, 302, LOGIN),
    ({ENR: "enr_off", "skill": "skill_foreign"},        422, 422, 403, 403, 403, 403, LOGIN),
    ({ENR: "missing", "skill": "skill_own"},            404, 404, 403, 403, 404, 404, LOGIN),
], body=lambda t: {"skill_id": t.ref["skill"], "shown": "yes"})
# Invited or refused (already on it, no such workshop offered), it ends on the client's page.
route("POST", "/needs/<int:need_id>/invite", [
    ({"need_id": "lit_need_on"},                302, 302, 403, 403, 403, 403, LOGIN),
    ({"need_id": "lit_need_off"},               302, 302, 403, 403, 403, 403, LOGIN),
    ({"need_id": "lit_need_foreign"},           302, 403, 403, 403, 403, 302, LOGIN),
    ({"need_id": "missing"},                    404, 404, 403, 403, 403, 404, LOGIN),
], body=lambda t: {"workshop_id": t.ids["ws_untaught"]})
# The public sign-up form: the same for everyone, logged in or not.
route("GET", "/learn/", [
    ({},                                        200, 200, 200, 200, 200, 200, 200),
])
route("POST", "/learn/", [
    ({},                                        302, 302, 302, 302, 302, 302, 302),
], body=lambda t: {"full_name": "Learner From The Web", "phone": "+447700900555",
                   "preferred_language": "en", "consent": "yes", "workshop_id": t.ids["ws_own"]})
route("GET", "/learn/thanks", [
    ({},                                        302, 302, 302, 302, 302, 302, 302),
])
# The skills checklist page: coordinators of the programme's operator; not a Call & Check one.
#        refs                                   A    C    V    P    T    X    anon
SKILLS_PAGE = [
    ({"programme_id": "extra_programme"},       200, 200, 403, 403, 403, 403, LOGIN),
    ({"programme_id": "programme"},             404, 404, 403, 403, 403, 404, LOGIN),
    ({"programme_id": "missing"},               404, 404, 403, 403, 403, 404, LOGIN),
]
route("GET", "/programmes/<int:programme_id>/skills", SKILLS_PAGE)
route("POST", "/programmes/<int:programme_id>/skills", _with_status(SKILLS_PAGE, 302),
      body=lambda t: {"name": "Read my test results online"})
# Programmes and their settings: admins, and coordinators of the programme's operator.
#        refs                                   A    C    V    P    T    X    anon
route("GET", "/programmes/", [
    ({},                                        200, 200, 403, 403, 403, 200, LOGIN),
])
PROGRAMME_SETTINGS = [
    ({"programme_id": "programme"},             200, 200, 403, 403, 403, 403, LOGIN),
    ({"programme_id": "extra_programme"},       200, 200, 403, 403, 403, 403, LOGIN),
    ({"programme_id": "other_programme"},       200, 403, 403, 403, 403, 200, LOGIN),
    ({"programme_id": "missing"},               404, 404, 403, 403, 403, 404, LOGIN),
]
route("GET", "/programmes/<int:programme_id>/settings", PROGRAMME_SETTINGS)
route("POST", "/programmes/<int:programme_id>/settings", _with_status(PROGRAMME_SETTINGS, 302),
      body=lambda t: {"name": "Renamed", "description": "", "timezone": "Europe/Jersey",
                      "check_in_time": "10:00", "check_in_reply_window_minutes": "240",
                      "quiet_hours_start": "21:00", "quiet_hours_end": "08:00",
                      "sms_number": "", "no_answer_window_minutes": "120",
                      "cost_per_visit": "6.75"})
route("POST", "/skills/<int:skill_id>/active", [
    ({"skill_id": "skill_own"},                 302, 302, 403, 403, 403, 403, LOGIN),
    ({"skill_id": "skill_foreign"},             404, 404, 403, 403, 403, 404, LOGIN),
    ({"skill_id": "missing"},                   404, 404, 403, 403, 403, 404, LOGIN),
], body=lambda t: {"active": "0"})

# [literacy pages: rows above this line]
# The programme report (page, CSV, API): admins and the operator's coordinators only. A Call &
# Check programme has no such report (404 on the page). The API answers 422 without its
# programme_id query; its per-programme refusals, and the other operator reading its own report
# (no digital-literacy programme of theirs here: the programme lists above would change), are in
# tests/literacy/test_reports.py and tests/web/test_literacy_report_pages.py.
#        refs                                   A    C    V    P    T    X    anon
LITERACY_REPORT = [
    ({"programme_id": "extra_programme"},       200, 200, 403, 403, 403, 403, LOGIN),
    ({"programme_id": "programme"},             404, 404, 403, 403, 403, 403, LOGIN),
    ({"programme_id": "missing"},               404, 404, 403, 403, 403, 404, LOGIN),
]
route("GET", "/programmes/<int:programme_id>/literacy-report", LITERACY_REPORT)
route("GET", "/programmes/<int:programme_id>/literacy-report.csv", LITERACY_REPORT)
route("GET", "/api/v1/reports/literacy", [
    ({},                                        422, 422, 403, 403, 403, 422, 401),
])
# [literacy reports: rows above this line]


# --- Evaluation: outcome measures ------------------------------------------------------------

# The answers are for programme staff: admins and the operator's coordinators read and record
# them; the round's visitor asks them with the visit (the visit routes above) but reads none.
route("GET", "/api/v1/clients/<int:client_id>/measures", CLIENT_CHANGE)
route("POST", "/api/v1/clients/<int:client_id>/measures", _with_status(CLIENT_CHANGE, 201),
      body=lambda t: {"kind": "wellbeing", "answers": {"ons_happy": 7}})
route("POST", "/clients/<int:client_id>/measures", _with_status(PAGE_CHANGE, 302),
      body=lambda t: {"kind": "wellbeing", "answer-ucla_left_out": "2"})
# [outcome measures: rows above this line]


# --- Evaluation: the programme dashboard and its API ----------------------------------------

# The dashboard shows totals only (no client), to admins and coordinators; with no programme
# chosen it shows the caller's first one (the other operator's coordinator sees their own).
# Filters, bad dates (422) and other programmes are tried in tests/web/test_evaluation_pages.py
# and tests/reports/test_api.py.
#        refs                                   A    C    V    P    T    X    anon
route("GET", "/evaluation/", [
    ({},                                        200, 200, 403, 403, 403, 200, LOGIN),
])
route("GET", "/evaluation/<name>.csv", [
    ({"name": "table_clients"},                 200, 200, 403, 403, 403, 200, LOGIN),
    ({"name": "table_missing"},                 404, 404, 403, 403, 403, 404, LOGIN),
])
route("POST", "/evaluation/programmes/<int:programme_id>/cost-per-visit", [
    ({"programme_id": "programme"},             302, 302, 403, 403, 403, 403, LOGIN),
    ({"programme_id": "other_programme"},       302, 403, 403, 403, 403, 302, LOGIN),
    ({"programme_id": "missing"},               404, 404, 403, 403, 403, 404, LOGIN),
], body=lambda t: {"cost_per_visit": "7.25"})
route("GET", "/api/v1/reports/summary", [
    ({},                                        422, 422, 403, 403, 403, 422, 401),
])
# [evaluation dashboard: rows above this line]


# --- Evaluation: partner reports and the anonymised extract ---------------------------------

# A partner's monthly report: admins and coordinators read any partner's (counting their own
# programmes), but not another operator's own queue; a provider only its own organisation's.
# The list sends a provider to its own report. The extract needs a programme_id (422 without);
# its per-programme refusals are in tests/reports/test_extract.py.
def _partner_report_ids(ids: dict) -> None:
    ids["month:2026-03"], ids["month:bad"] = "2026-03", "2026-13"


ORG = "organisation_id"
#        refs                                   A    C    V    P    T    X    anon
PARTNER_REPORT = [
    ({ORG: "gp", "month": "month:2026-03"},     200, 200, 403, 200, 403, 200, LOGIN),
    ({ORG: "food_bank", "month": "month:2026-03"}, 200, 200, 403, 403, 403, 200, LOGIN),
    ({ORG: "operator", "month": "month:2026-03"}, 200, 200, 403, 403, 403, 403, LOGIN),
    ({ORG: "other_operator", "month": "month:2026-03"}, 200, 403, 403, 403, 403, 200, LOGIN),
    ({ORG: "missing", "month": "month:2026-03"}, 404, 404, 403, 404, 403, 404, LOGIN),
    ({ORG: "gp", "month": "month:bad"},         404, 404, 403, 404, 403, 404, LOGIN),
]
route("GET", "/evaluation/partners", [
    ({},                                        200, 200, 403, 302, 403, 200, LOGIN),
])
route("GET", "/evaluation/partners/<int:organisation_id>/<month>", PARTNER_REPORT)
route("GET", "/evaluation/partners/<int:organisation_id>/<month>.pdf", PARTNER_REPORT)
route("GET", "/evaluation/partners/<int:organisation_id>/<month>.csv", PARTNER_REPORT)
route("GET", "/evaluation/extract.zip", [
    ({},                                        422, 422, 403, 403, 403, 422, LOGIN),
])
# [partner reports and extract: rows above this line]


# --- Running the table ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def _matrix_world(app):
    """One world and one set of ids for the whole module, built inside an outer transaction.

    Building them for each of the thousands of cases took most of the suite's time; each case
    now runs inside a savepoint of this transaction instead (see `_transaction` below).
    """
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    db.session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                     expire_on_commit=False),
        scopefunc=_app_ctx_id,
    )
    try:
        with app.app_context():
            made = factories.world()
            db.session.commit()
        with app.app_context():
            ids = _ids(made)
        yield made, ids
    finally:
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture
def _transaction(_matrix_world):
    """Overrides the suite's per-test transaction: each test runs in a savepoint of the module's."""
    session_bind = db.session.session_factory.kw["bind"]
    savepoint = session_bind.begin_nested()
    limiter.reset()
    try:
        yield session_bind
    finally:
        savepoint.rollback()


@pytest.fixture
def world(_matrix_world):
    return _matrix_world[0]


@pytest.fixture
def matrix_ids(_matrix_world):
    return _matrix_world[1]


def _ids(world) -> dict:
    """Extra records every case may need, and the ids of everything in the world."""
    get = db.session.get
    programme = get(Programme, world.programme.id)
    other_programme = get(Programme, world.other_programme.id)
    ids = {
        "missing": MISSING, "operator": world.operator.id,
        "other_operator": world.other_operator.id, "gp": world.gp.id,
        "food_bank": world.food_bank.id, "programme": world.programme.id,
        "other_programme": world.other_programme.id, "round": world.round.id,
        "client_on_round": world.client_on_round.id,
        "client_off_round": world.client_off_round.id,
        "foreign_client": world.foreign_client.id,
        "password:right": factories.PASSWORD, "password:wrong": "not the password at all",
        "file:app.css": "app.css",
        "role:visitor": "visitor", "role:provider": "provider", "role:admin": "admin",
    }
    for role in ("admin", "coordinator", "other_coordinator", "visitor", "other_visitor",
                 "provider", "tutor"):
        ids[f"{role}_user"] = getattr(world, role).id
    ids["extra_programme"] = factories.programme(programme.operator,
                                                 ProgrammeKind.DIGITAL_LITERACY).id
    ids["other_extra_programme"] = factories.programme(other_programme.operator).id
    ids["other_round"] = factories.round_(other_programme, name="Other Round").id
    for which, key in (("on", "client_on_round"), ("off", "client_off_round"),
                       ("foreign", "foreign_client")):
        client = get(Client, ids[key])
        ids[f"contact_{which}"] = factories.contact(client).id
        ids[f"consent_{which}"] = factories.consent(client, ConsentPurpose.TAKE_PART).id
    ids["contact_missing"] = ids["consent_missing"] = MISSING
    _visit_and_need_ids(ids)
    _care_ids(ids)
    _message_ids(ids)
    _selfreport_ids(ids)
    _escalation_ids(ids)
    _feed_token_ids(ids)
    _literacy_ids(ids)
    _evaluation_ids(ids)
    _partner_report_ids(ids)
    _password_reset_ids(ids)
    # [evaluation ids: calls above this line]
    db.session.commit()
    return ids


def _evaluation_ids(ids: dict) -> None:
    """The dashboard's tables, by the names in their CSV addresses."""
    ids["table_clients"], ids["table_missing"] = "clients", "no-such-table"


def _gate(app, rule: str, method: str):
    """The roles an API operation admits before looking at anything (None: any user)."""
    for operation in operations(app):
        if operation.rule == rule and operation.method == method:
            return operation.roles
    return None


def _url(rule: str, ref: dict) -> str:
    def fill(match):
        return str(ref[match.group(1)])

    return re.sub(r"<(?:[a-z]+:)?(\w+)>", fill, rule)


def _assert_listing_audited(app, actor_id: int, client_ids) -> None:
    """A list shows client records too: each client shown leaves a client.list event."""
    with app.app_context():
        listed = set(db.session.scalars(select(AuditEvent.client_id).where(
            AuditEvent.action == "client.list", AuditEvent.actor_id == actor_id)))
    assert listed == set(client_ids), "the clients shown and the clients audited differ"


def _client_events(app, client_id: int) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.client_id == client_id,
            AuditEvent.action.in_(("client.read", "client.denied")))))


def _outcome(response) -> int | str:
    if response.status_code == 302:
        target = urlsplit(response.headers["Location"]).path
        return LOGIN if target == "/login" else 302
    return response.status_code


def _request(case: Case, role: str, world, ids, client, api_as, login):
    user = None if role == "anonymous" else getattr(world, role)
    me = user or world.visitor  # whose credentials a login form or token request sends
    ref = {k: ids[v] for k, v in case.refs.items()}
    url = _url(case.rule, ref)
    payload = case.body(SimpleNamespace(ids=ids, ref=ref, me_email=me.email)) \
        if case.body else None
    if case.rule.startswith("/api/"):
        api = api_as(user) if user else API(client)
        return user, api.request(case.method, url[len("/api/v1"):], json=payload)
    if user:
        login(user)
    if case.method == "GET":
        return user, client.get(url)
    form = dict(payload or {})
    form["csrf_token"] = csrf_token(client, "/clients/" if user else "/login")
    return user, client.open(url, method=case.method, data=form)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", TABLE, ids=lambda c: c.id)
def test_route_access(case: Case, role: str, app, world, matrix_ids, client, api_as, login):
    """Each role gets exactly the stated outcome; client reads and refusals are audited."""
    ids = matrix_ids
    user, response = _request(case, role, world, ids, client, api_as, login)
    response.get_data()  # read (and cache) the body so a file-backed response can be closed
    response.close()
    expected = case.expected[role]
    assert response.status_code != 500
    assert _outcome(response) == expected, (case.id, role, response.get_data(as_text=True)[:500])

    if case.rule.startswith("/api/") and response.status_code >= 400:
        error = response.get_json()["error"]
        assert set(error) >= {"code", "message", "fields"}
        assert isinstance(error["fields"], dict)

    client_ref = case.refs.get("client_id")
    if client_ref is None or client_ref == "missing":
        return
    events = _client_events(app, ids[client_ref])
    reads = [e for e in events if e.action == "client.read"]
    denials = [e for e in events if e.action == "client.denied"]
    if user is None:
        assert events == [], "an anonymous request left client audit events"
        return
    status = response.status_code
    if 200 <= status < 300 or expected == 302:
        assert any(e.actor_id == user.id for e in reads), "a client read was not audited"
        assert denials == []
    elif status == 403:
        gate = _gate(app, case.rule, case.method)
        if gate is not None and user.role.value not in gate:
            # Refused by role before the client was looked at: nothing about it was read.
            assert reads == [] and denials == []
        else:
            assert [e.actor_id for e in denials] == [user.id], "a refusal was not audited"
            assert reads == [], "a refused read was recorded as a read"
    else:
        assert denials == []


def test_table_covers_every_route(app):
    """Every rule and method in the URL map has rows here, and nothing here is stale."""
    live = {(rule.rule, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(case.rule, case.method) for case in TABLE}
    assert not live - covered, f"routes missing from the access table: {sorted(live - covered)}"
    assert not covered - live, f"table rows for routes that do not exist: {sorted(covered - live)}"


def test_client_routes_are_tried_with_every_kind_of_client():
    """Routes about one client are tried on, off the round, in another operator and missing."""
    for rule, method in {(c.rule, c.method) for c in TABLE if "<int:client_id>" in c.rule}:
        targets = {c.refs["client_id"] for c in TABLE if (c.rule, c.method) == (rule, method)}
        assert targets >= {"client_on_round", "client_off_round", "foreign_client", "missing"}, (
            method, rule)


# --- Lists show only what each role may see -------------------------------------------------

VISIBLE = {
    "/clients": ("client_on_round", "client_off_round", "foreign_client"),
    "/organisations": ("operator", "other_operator", "gp", "food_bank"),
    "/programmes": ("programme", "other_programme", "extra_programme", "other_extra_programme"),
    "/rounds": ("round", "other_round"),
    "/users": ("admin_user", "coordinator_user", "other_coordinator_user", "visitor_user",
               "other_visitor_user", "provider_user", "tutor_user"),
}
SEES = {
    ("/clients", "admin"): VISIBLE["/clients"],
    ("/clients", "coordinator"): ("client_on_round", "client_off_round"),
    ("/clients", "visitor"): ("client_on_round",),
    ("/clients", "provider"): (),
    ("/clients", "tutor"): (),
    ("/clients", "other_coordinator"): ("foreign_client",),
    ("/organisations", "admin"): VISIBLE["/organisations"],
    ("/organisations", "coordinator"): VISIBLE["/organisations"],
    ("/organisations", "visitor"): ("operator",),
    ("/organisations", "provider"): ("gp",),
    ("/organisations", "tutor"): ("operator",),
    ("/organisations", "other_coordinator"): VISIBLE["/organisations"],
    ("/programmes", "admin"): VISIBLE["/programmes"],
    ("/programmes", "coordinator"): ("programme", "extra_programme"),
    ("/programmes", "visitor"): ("programme", "extra_programme"),
    ("/programmes", "provider"): (),
    ("/programmes", "tutor"): ("programme", "extra_programme"),
    ("/programmes", "other_coordinator"): ("other_programme", "other_extra_programme"),
    ("/rounds", "admin"): ("round", "other_round"),
    ("/rounds", "coordinator"): ("round",),
    ("/rounds", "visitor"): ("round",),
    ("/rounds", "provider"): (),
    ("/rounds", "tutor"): (),
    ("/rounds", "other_coordinator"): ("other_round",),
    ("/users", "admin"): VISIBLE["/users"],
    ("/users", "coordinator"): ("admin_user", "coordinator_user", "visitor_user",
                                "other_visitor_user", "tutor_user"),
    ("/users", "visitor"): ("visitor_user",),
    ("/users", "provider"): ("provider_user",),
    ("/users", "tutor"): ("tutor_user",),
    ("/users", "other_coordinator"): ("other_coordinator_user",),
}


@pytest.mark.parametrize("role", ROLES[:-1])
@pytest.mark.parametrize("path", sorted(VISIBLE))
def test_lists_hold_exactly_what_the_role_may_see(path, role, app, world, matrix_ids, api_as):
    ids = matrix_ids
    response = api_as(getattr(world, role)).get(f"{path}?limit=200")
    assert response.status_code == 200
    body = response.get_json()
    assert body["next_cursor"] is None
    got = {item["id"] for item in body["items"]}
    assert got == {ids[k] for k in SEES[(path, role)]}
    if path == "/clients":
        _assert_listing_audited(app, getattr(world, role).id, got)


@pytest.mark.parametrize("role", ROLES[:-1])
def test_client_list_page_shows_only_visible_clients(role, app, world, client, login):
    with app.app_context():
        names = {key: getattr(world, key).full_name
                 for key in ("client_on_round", "client_off_round", "foreign_client")}
    login(getattr(world, role))
    page = client.get("/clients/").get_data(as_text=True)
    shown = {key for key, name in names.items() if f"<strong>{name}</strong>" in page}
    assert shown == set(SEES[("/clients", role)])
    with app.app_context():
        ids = {key: getattr(world, key).id for key in names}
    _assert_listing_audited(app, getattr(world, role).id, {ids[k] for k in shown})


def test_search_does_not_reach_past_the_scope(app, world, api_as):
    """Searching for another operator's client by name or phone finds nothing."""
    api = api_as(world.coordinator)
    for q in (world.foreign_client.full_name, world.foreign_client.phone[-6:]):
        response = api.get("/clients", query_string={"q": q})
        assert response.status_code == 200
        assert world.foreign_client.id not in {c["id"] for c in response.get_json()["items"]}


# --- CSRF and sessions ----------------------------------------------------------------------

WEB_POSTS = sorted({(c.rule, c.method) for c in TABLE if c.method == "POST"
                    and not c.rule.startswith("/api/") and c.rule not in SIGNED_NOT_CSRF})


def _row_counts(app) -> dict:
    with app.app_context():
        return {table.name: db.session.scalar(select(func.count()).select_from(table))
                for table in db.metadata.sorted_tables}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("rule", "method"), WEB_POSTS)
def test_form_post_without_csrf_token_is_refused(rule, method, role, app, world, matrix_ids,
                                                 client, login):
    """Every form POST without the CSRF token gets a 400 and changes nothing."""
    case = next(c for c in TABLE if (c.rule, c.method) == (rule, method)
                and c.expected["admin"] != 404)
    ids = matrix_ids
    user = None if role == "anonymous" else getattr(world, role)
    if user:
        login(user)
    ref = {k: ids[v] for k, v in case.refs.items()}
    me = user or world.visitor
    form = case.body(SimpleNamespace(ids=ids, ref=ref, me_email=me.email)) if case.body else {}
    before = _row_counts(app)
    response = client.post(_url(rule, ref), data=form)
    assert response.status_code == 400
    assert _row_counts(app) == before
    if user is None and rule == "/login":
        assert client.get("/clients/").status_code == 302, "logged in without a CSRF token"
    if user is not None and rule == "/logout":
        assert client.get("/clients/").status_code == 200, "logged out without a CSRF token"


def test_api_ignores_the_session_cookie(world, client, login):
    """The API is CSRF-exempt because only a bearer token opens it, never the session."""
    login(world.coordinator)
    response = client.post("/api/v1/clients", json={
        "programme_id": world.programme.id, "full_name": "Forged Request"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert client.get(f"/api/v1/clients/{world.client_on_round.id}").status_code == 401
