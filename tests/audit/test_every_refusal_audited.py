"""Every refusal leaves exactly one audit event, on every route: walked from `app.url_map`.

Each rule and method is called by someone not logged in and by the roles most often refused
(a visitor, a provider, a tutor, the other operator's coordinator). A route's ids are filled
generically: `<int:x_id>` takes an id of a record of the table named after x (records of every
kind made by the factories, as the access matrix makes them). Whatever the answer, if it is a
refusal (401, 403, 429, a 404 on a route naming a record, or a page sending the caller to the
login form) the request left exactly one audit event, and the right actor on it.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.auth.models import User
from outreach.db import db
from outreach.people.models import Client
from outreach.rounds.models import Round
from outreach.schemas import MAX_ID
from tests import factories
from tests.conftest import as_user, csrf_token
from tests.test_access_matrix import _ids as extra_records

ROLES = ("anonymous", "visitor", "provider", "tutor", "other_coordinator")
# Words a route may take that are not record ids.
WORDS = {"token": "not-a-real-link", "month": "2026-11", "name": "clients"}
ARGUMENT = re.compile(r"<(?:([a-z]+):)?(\w+)>")


def _tables_by_stem() -> dict[str, list]:
    """Tables by the singular word a route's `<int:word_id>` would use for them."""
    found: dict[str, list] = {}
    for table in db.metadata.sorted_tables:
        words = table.name.split("_")
        for start in range(len(words)):
            stem = "_".join(words[start:])
            found.setdefault(stem[:-1] if stem.endswith("s") else stem, []).append(table)
    return found


def _value(rule: str, name: str, tables: dict[str, list]):
    """A value for one argument of `rule`: an id of a record of the kind it names."""
    if name in WORDS:
        return WORDS[name]
    stem = name.removesuffix("_id")
    if stem == "task":  # FHIR: a Task is an escalation
        stem = "escalation"
    candidates = tables.get(stem, [])
    # Two kinds of enrolment: take the one the address speaks of, if it says.
    candidates.sort(key=lambda t: t.name.split("_")[0] not in rule)
    for table in candidates:
        first = db.session.scalar(select(func.min(table.c.id)))
        if first is not None:
            return first
    return MAX_ID  # no such record: the route's 404 is a refusal all the same


def _refused(response) -> bool:
    if response.status_code in (401, 403, 404, 429):
        return True
    # A page refusing someone not logged in sends them to log in and come back (`next`); the
    # home page merely points a newcomer to the form.
    location = urlsplit(response.headers.get("Location", ""))
    return response.status_code in (301, 302, 303) and location.path == "/login" \
        and "next=" in location.query


def _last_event_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))


def _events_after(app, last: int) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.id > last)))


def _call(browser, method: str, url: str, user, token: str | None):
    # Each caller brings both their session and their API token: pages read the one, the API,
    # feeds and FHIR the other.
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if url.startswith("/api/"):
        body = {} if method in ("POST", "PATCH", "PUT") else None
        return browser.open(url, method=method, json=body, headers=headers)
    if method == "GET":
        return browser.get(url, headers=headers)
    form = {"csrf_token": csrf_token(browser, "/account/password" if user else "/login")}
    return browser.open(url, method=method, data=form, headers=headers)


def test_every_refusal_on_every_route_leaves_exactly_one_audit_event(app):
    with app.app_context():
        world = factories.world()
        db.session.commit()
        extra_records(world)  # a record of every kind, made by the factories
        client = db.session.get(Client, world.client_on_round.id)
        factories.pause(client, date(2030, 1, 1), date(2030, 1, 7))
        factories.cover(db.session.get(Round, world.round.id), db.session.get(User, world.tutor.id),
                        date(2030, 1, 1),
                        date(2030, 1, 7))
        tables = _tables_by_stem()
        calls = []
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            url = ARGUMENT.sub(lambda m, r=rule.rule: str(_value(r, m.group(2), tables)),
                               rule.rule)
            calls += [(method, rule.rule, url)
                      for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
        tokens = {role: factories.token(getattr(world, role)) for role in ROLES[1:]}
        db.session.commit()
    assert len(calls) > 200
    browsers = {role: as_user(app, getattr(world, role)) for role in ROLES[1:]}
    browsers["anonymous"] = app.test_client()

    problems, refusals = [], 0
    for role in ROLES:
        user = None if role == "anonymous" else getattr(world, role)
        for method, rule, url in calls:
            if rule in ("/logout", "/account/password"):
                continue  # logging out or changing one's password would end the walk's session
            before = _last_event_id(app)
            response = _call(browsers[role], method, url, user, tokens.get(role))
            response.close()
            # /readyz answers 503 by design here: no periodic job has run in this database.
            assert response.status_code < 500 or rule == "/readyz", (method, url, role)
            if not _refused(response):
                continue
            refusals += 1
            new = _events_after(app, before)
            if len(new) != 1:
                problems.append((method, url, role, response.status_code,
                                 [e.action for e in new]))
            elif new[0].actor_id != (user.id if user else None):
                problems.append((method, url, role, "actor", new[0].actor_id))
    assert not problems, "\n".join(map(str, problems))
    assert refusals > len(calls) * 2  # most routes refuse most of these callers
