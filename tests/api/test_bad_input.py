"""Bad input of every kind: a 4xx in the one error format, nothing stored, never a 500.

Each refused request is checked against a snapshot of every row of every table taken just
before it, so "nothing stored half-way" is proved, not assumed.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from outreach.db import db
from outreach.enums import ConsentPurpose, ProgrammeKind, Role
from outreach.people.models import Client
from outreach.programmes.models import Programme
from outreach.schemas import MAX_ID
from tests import factories
from tests.conftest import API, csrf_token

HUGE = 2**70
DROP = object()  # a change that removes the field
TEN_MB = 10 * 1024 * 1024


def snapshot(app) -> dict:
    """Every row of every table."""
    with app.app_context():
        return {table.name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
                for table in db.metadata.sorted_tables}


def assert_unchanged(app, before: dict, response) -> None:
    """Nothing stored changed, but for the one audit event a refusal leaves (audit.refusals)."""
    after = snapshot(app)
    added = set(after.pop("audit_events")) - set(before["audit_events"])
    if response.status_code in (401, 403, 429):
        assert len(added) == 1, added
    elif response.status_code == 404:
        assert len(added) <= 1, added
    else:
        assert not added, added
    assert after == {k: v for k, v in before.items() if k != "audit_events"}


def assert_error(response, status: int | tuple, *, field: str | None = None,
                 code: str | None = None) -> dict:
    """A 4xx in the one error format, naming `field` when given."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.get_data()[:300])
    assert 400 <= response.status_code < 500
    body = response.get_json()
    assert body is not None, "the error is not JSON"
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if field is not None:
        assert field in error["fields"], (field, error)
    if code is not None:
        assert error["code"] == code, error
    return error


def unused_phone(app) -> str:
    """A fictional number no client in the database has yet."""
    with app.app_context():
        taken = set(db.session.scalars(select(Client.phone)))
    return next(f"+447700900{i:03d}" for i in range(1000) if f"+447700900{i:03d}" not in taken)


@pytest.fixture
def env(app, world, api_as, client):
    """The world, a few more records, and API clients for the roles used below."""
    with app.app_context():
        get = db.session.get
        on_round = get(Client, world.client_on_round.id)
        foreign = get(Client, world.foreign_client.id)
        programme = get(Programme, world.programme.id)
        other_programme = get(Programme, world.other_programme.id)
        ids = SimpleNamespace(
            programme=world.programme.id, other_programme=world.other_programme.id,
            operator=world.operator.id, other_operator=world.other_operator.id,
            gp=world.gp.id, food_bank=world.food_bank.id, round=world.round.id,
            on_round=world.client_on_round.id, off_round=world.client_off_round.id,
            foreign=world.foreign_client.id, visitor=world.visitor.id,
            provider=world.provider.id, admin=world.admin.id,
            contact=factories.contact(on_round, phone="+447700900001").id,
            foreign_contact=factories.contact(foreign).id,
            consent=factories.consent(on_round, ConsentPurpose.TAKE_PART).id,
            extra_programme=factories.programme(programme.operator,
                                                ProgrammeKind.DIGITAL_LITERACY).id,
            other_round=factories.round_(other_programme, name="Other Round").id,
            other_visitor=factories.user(Role.VISITOR, other_programme.operator).id,
        )
        db.session.commit()
    apis = {"coordinator": api_as(world.coordinator), "admin": api_as(world.admin),
            "anonymous": API(client)}
    return SimpleNamespace(app=app, world=world, ids=ids, api=apis, client=client)


@dataclass(frozen=True)
class Endpoint:
    actor: str
    method: str
    path: object  # ids -> path under /api/v1
    body: object  # (ids, world) -> a valid body
    text: str | None  # a free-text field
    id_field: str | None = None  # an id field, if the body has one


ENDPOINTS = {
    "create client": Endpoint(
        "coordinator", "POST", lambda i: "/clients",
        lambda i, w: {"programme_id": i.programme, "full_name": "Valid Person",
                      "date_of_birth": "1944-04-04", "email": "valid@example.org",
                      "lives_alone": True, "gp_practice_id": i.gp, "round_id": i.round,
                      "walk_order": 3, "preferred_language": "fr", "address": "1 Rue Verte",
                      "parish": "Trinity"},
        "full_name", "programme_id"),
    "change client": Endpoint(
        "coordinator", "PATCH", lambda i: f"/clients/{i.on_round}",
        lambda i, w: {"notes": "Prefers visits after ten"}, "notes", "round_id"),
    "add contact": Endpoint(
        "coordinator", "POST", lambda i: f"/clients/{i.on_round}/contacts",
        lambda i, w: {"name": "Valid Contact", "email": "contact@example.org",
                      "relationship": "son", "receives": ["alerts", "visit_reports"]},
        "name"),
    "change contact": Endpoint(
        "coordinator", "PATCH", lambda i: f"/clients/{i.on_round}/contacts/{i.contact}",
        lambda i, w: {"name": "Renamed Contact"}, "name"),
    "give consent": Endpoint(
        "coordinator", "POST", lambda i: f"/clients/{i.on_round}/consents",
        lambda i, w: {"purpose": "share_information", "organisation_id": i.gp,
                      "given_by": "daughter, with power of attorney"},
        "given_by", "organisation_id"),
    "withdraw consent": Endpoint(
        "coordinator", "POST",
        lambda i: f"/clients/{i.on_round}/consents/{i.consent}/withdraw",
        lambda i, w: {"reason": "No longer wishes to take part"}, "reason"),
    "enrol in programme": Endpoint(
        "coordinator", "POST", lambda i: f"/clients/{i.on_round}/enrolments",
        lambda i, w: {"programme_id": i.extra_programme}, None, "programme_id"),
    "leave programme": Endpoint(
        "coordinator", "POST",
        lambda i: f"/clients/{i.on_round}/enrolments/{i.programme}/leave",
        lambda i, w: {"reason": "Moved to a care home"}, "reason"),
    "create user": Endpoint(
        "admin", "POST", lambda i: "/users",
        lambda i, w: {"email": "new.user@example.org", "password": "a long enough password",
                      "role": "visitor", "organisation_id": i.operator,
                      "full_name": "New User"},
        "full_name", "organisation_id"),
    "change user": Endpoint(
        "coordinator", "PATCH", lambda i: f"/users/{i.visitor}",
        lambda i, w: {"full_name": "Renamed Visitor"}, "full_name", "organisation_id"),
    "create organisation": Endpoint(
        "admin", "POST", lambda i: "/organisations",
        lambda i, w: {"name": "New Community Group", "kind": "community",
                      "email": "office@example.org"},
        "name"),
    "change organisation": Endpoint(
        "admin", "PATCH", lambda i: f"/organisations/{i.food_bank}",
        lambda i, w: {"name": "Renamed Food Bank"}, "name"),
    "create programme": Endpoint(
        "coordinator", "POST", lambda i: "/programmes",
        lambda i, w: {"name": "Digital Skills", "kind": "digital_literacy",
                      "operator_id": i.operator, "timezone": "Europe/Jersey"},
        "name", "operator_id"),
    "change programme": Endpoint(
        "coordinator", "PATCH", lambda i: f"/programmes/{i.programme}",
        lambda i, w: {"description": "Weekly visits"}, "description", "operator_id"),
    "create round": Endpoint(
        "coordinator", "POST", lambda i: "/rounds",
        lambda i, w: {"programme_id": i.programme, "name": "St Clement East",
                      "visitor_id": i.visitor, "weekdays": [1, 4]},
        "name", "programme_id"),
    "change round": Endpoint(
        "coordinator", "PATCH", lambda i: f"/rounds/{i.round}",
        lambda i, w: {"area": "West"}, "area", "visitor_id"),
    "request token": Endpoint(
        "anonymous", "POST", lambda i: "/auth/token",
        lambda i, w: {"email": w.visitor.email, "password": factories.PASSWORD,
                      "name": "phone"},
        "name"),
}


def send(env, endpoint: Endpoint, *, body=None, data: bytes | str | None = None,
         content_type: str | None = "application/json"):
    """Send `body` as JSON, or raw `data` with `content_type`, as the endpoint's actor."""
    api = env.api[endpoint.actor]
    headers = api._headers()
    path = "/api/v1" + endpoint.path(env.ids)
    if data is None:
        data = json.dumps(body)
    kwargs = {"content_type": content_type} if content_type else {}
    return env.client.open(path, method=endpoint.method, data=data, headers=headers, **kwargs)


def valid(env, endpoint: Endpoint) -> dict:
    return endpoint.body(env.ids, env.world)


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_the_valid_body_is_accepted(env, name):
    """The baseline every bad-input case changes one thing in."""
    endpoint = ENDPOINTS[name]
    response = send(env, endpoint, body=valid(env, endpoint))
    assert response.status_code in (200, 201), response.get_json()


# --- The same bad bodies, sent to every endpoint ---------------------------------------------

def _with(field: str | None, value):
    def change(body):
        if field is None:
            return None
        return {**body, field: value}
    return change


GENERIC = {
    # name: (how to build the raw request, expected status, expected code)
    "no content type": (lambda b: (json.dumps(b), None), 415, "unsupported_media_type"),
    "text/plain": (lambda b: (json.dumps(b), "text/plain"), 415, "unsupported_media_type"),
    "form encoded": (lambda b: ("full_name=Someone", "application/x-www-form-urlencoded"), 415,
                     "unsupported_media_type"),
    "xml": (lambda b: ("<client/>", "application/xml"), 415, "unsupported_media_type"),
    "empty body": (lambda b: ("", "application/json"), 400, "invalid_body"),
    "json array": (lambda b: (json.dumps([b]), "application/json"), 400, "invalid_body"),
    "json string": (lambda b: ('"full_name"', "application/json"), 400, "invalid_body"),
    "json null": (lambda b: ("null", "application/json"), 400, "invalid_body"),
    "json number": (lambda b: ("42", "application/json"), 400, "invalid_body"),
    "malformed json": (lambda b: ('{"full_name": "Ann', "application/json"), 400,
                       "invalid_body"),
    "trailing garbage": (lambda b: (json.dumps(b) + " x", "application/json"), 400,
                         "invalid_body"),
    "single quotes": (lambda b: ("{'name': 'x'}", "application/json"), 400, "invalid_body"),
    "not utf-8": (lambda b: (b'{"name": "caf\xe9"}', "application/json"), 400, "invalid_body"),
    "utf-16": (lambda b: (json.dumps(b).encode("utf-16"), "application/json"), 400,
               "invalid_body"),
    "deeply nested": (lambda b: ("[" * 100_000 + "]" * 100_000, "application/json"), 400,
                      "invalid_body"),
    "a 5000-digit number": (lambda b: ('{"x": ' + "9" * 5000 + "}", "application/json"), 400,
                            "invalid_body"),
    "10 MB": (lambda b: (json.dumps({**b, "pad": "x" * TEN_MB}), "application/json"), 413,
              None),
}


@pytest.mark.parametrize("case", sorted(GENERIC))
@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_unusable_bodies_are_refused(env, name, case):
    endpoint = ENDPOINTS[name]
    build, status, code = GENERIC[case]
    data, content_type = build(valid(env, endpoint))
    before = snapshot(env.app)
    response = send(env, endpoint, data=data, content_type=content_type)
    assert_error(response, status, code=code)
    assert snapshot(env.app) == before


FIELD_CASES = {
    # name: (which field, the bad value, expected status)
    "unknown field": ("surprise", 1),
    "unknown field named like a column": ("id", 12),
    "NUL in text": ("<text>", "Ann\x00e"),
    "escape sequence in text": ("<text>", "\x1b[31mred"),
    "backspace in text": ("<text>", "abc\x08"),
    "100 000 characters": ("<text>", "x" * 100_000),
    "list for string": ("<text>", ["Ann"]),
    "object for string": ("<text>", {"first": "Ann"}),
    "number for string": ("<text>", 12),
    "true for string": ("<text>", True),
    "huge id": ("<id>", HUGE),
    "id just past the column": ("<id>", MAX_ID + 1),
    "zero id": ("<id>", 0),
    "negative id": ("<id>", -3),
    "string for id": ("<id>", "1"),
    "float for id": ("<id>", 1.5),
    "boolean for id": ("<id>", True),
    "list for id": ("<id>", [1]),
    "id that names nothing": ("<id>", MAX_ID),
}


def _field(name: str, case: str) -> str | None:
    """The field a case changes on an endpoint (None: the endpoint has no such field)."""
    field = FIELD_CASES[case][0]
    return {"<text>": ENDPOINTS[name].text, "<id>": ENDPOINTS[name].id_field}.get(field, field)


@pytest.mark.parametrize(("name", "case"), [
    (name, case) for name in sorted(ENDPOINTS) for case in sorted(FIELD_CASES)
    if _field(name, case) is not None])
def test_bad_field_values_are_refused_and_named(env, name, case):
    endpoint = ENDPOINTS[name]
    field, value = _field(name, case), FIELD_CASES[case][1]
    body = {**valid(env, endpoint), field: value}
    before = snapshot(env.app)
    response = send(env, endpoint, body=body)
    if (name, case) == ("change user", "id that names nothing"):
        # A coordinator may not move a user to another organisation, real or not.
        assert_error(response, 403)
    else:
        assert_error(response, 422, field=field)
    assert_unchanged(env.app, before, response)


# --- Endpoint by endpoint: wrong types, missing fields, foreign ids, phones, dates -----------

# A birth date a month ahead. It is computed when the module is collected: "tomorrow" became
# today in a run that crossed midnight, and the API rightly accepted it.
FUTURE_BIRTH = (date.today() + timedelta(days=30)).isoformat()
SPECIFIC = [
    # (endpoint, changes (ids -> dict), expected status, field named)
    ("create client", lambda i: {"full_name": DROP}, 422, "full_name"),
    ("create client", lambda i: {"programme_id": DROP}, 422, "programme_id"),
    ("create client", lambda i: {"full_name": "   "}, 422, "full_name"),
    ("create client", lambda i: {"full_name": None}, 422, "full_name"),
    ("create client", lambda i: {"full_name": "x" * 201}, 422, "full_name"),
    ("create client", lambda i: {"lives_alone": "maybe"}, 422, "lives_alone"),
    ("create client", lambda i: {"lives_alone": 2}, 422, "lives_alone"),
    ("create client", lambda i: {"lives_alone": [True]}, 422, "lives_alone"),
    ("create client", lambda i: {"force": "please"}, 422, "force"),
    ("create client", lambda i: {"walk_order": "3"}, 422, "walk_order"),
    ("create client", lambda i: {"walk_order": HUGE}, 422, "walk_order"),
    ("create client", lambda i: {"walk_order": -1}, 422, "walk_order"),
    ("create client", lambda i: {"date_of_birth": FUTURE_BIRTH}, 422, "date_of_birth"),
    ("create client", lambda i: {"date_of_birth": "2999-01-01"}, 422, "date_of_birth"),
    ("create client", lambda i: {"date_of_birth": "1899-12-31"}, 422, "date_of_birth"),
    ("create client", lambda i: {"date_of_birth": "31/12/1940"}, 422, "date_of_birth"),
    ("create client", lambda i: {"date_of_birth": "1941-02-30"}, 422, "date_of_birth"),
    ("create client", lambda i: {"date_of_birth": 19410101}, 422, "date_of_birth"),
    ("create client", lambda i: {"phone": "+1 212 555 0100"}, 422, "phone"),
    ("create client", lambda i: {"phone": "+33 1 23 45 67 89"}, 422, "phone"),
    ("create client", lambda i: {"phone": "12345"}, 422, "phone"),
    ("create client", lambda i: {"phone": "call me"}, 422, "phone"),
    ("create client", lambda i: {"phone": "0" * 60}, 422, "phone"),
    ("create client", lambda i: {"phone": 7700900123}, 422, "phone"),
    ("create client", lambda i: {"phone": "07700\x00900123"}, 422, "phone"),
    ("create client", lambda i: {"email": "not-an-email"}, 422, "email"),
    ("create client", lambda i: {"email": "a@" + "b" * 400 + ".org"}, 422, "email"),
    ("create client", lambda i: {"preferred_language": "de"}, 422, "preferred_language"),
    ("create client", lambda i: {"preferred_language": ["en"]}, 422, "preferred_language"),
    ("create client", lambda i: {"notes": "x" * 5001}, 422, "notes"),
    ("create client", lambda i: {"address": "1 Rue\x00"}, 422, "address"),
    # Another organisation's ids.
    ("create client", lambda i: {"programme_id": i.other_programme}, 422, "programme_id"),
    ("create client", lambda i: {"round_id": i.other_round}, 422, "round_id"),
    ("create client", lambda i: {"gp_practice_id": i.food_bank}, 422, "gp_practice_id"),
    ("create client", lambda i: {"gp_practice_id": i.other_operator}, 422, "gp_practice_id"),
    ("create client", lambda i: {"gp_practice_id": MAX_ID}, 422, "gp_practice_id"),
    ("change client", lambda i: {"full_name": None}, 422, "full_name"),
    ("change client", lambda i: {"full_name": ""}, 422, "full_name"),
    ("change client", lambda i: {"round_id": i.other_round}, 422, "round_id"),
    ("change client", lambda i: {"gp_practice_id": i.food_bank}, 422, "gp_practice_id"),
    ("change client", lambda i: {"date_of_birth": FUTURE_BIRTH}, 422, "date_of_birth"),
    ("change client", lambda i: {"phone": "+1 212 555 0100"}, 422, "phone"),
    ("change client", lambda i: {"lives_alone": None}, 422, "lives_alone"),
    ("add contact", lambda i: {"name": DROP}, 422, "name"),
    ("add contact", lambda i: {"email": DROP}, 422, "phone"),
    ("add contact", lambda i: {"email": None, "phone": None}, 422, "phone"),
    ("add contact", lambda i: {"receives": "alerts"}, 422, "receives"),
    ("add contact", lambda i: {"receives": ["sms"]}, 422, "receives"),
    ("add contact", lambda i: {"receives": ["alerts", "alerts", "visit_reports"]}, 422,
     "receives"),
    ("add contact", lambda i: {"phone": "+1 212 555 0100"}, 422, "phone"),
    ("add contact", lambda i: {"phone": "12345"}, 422, "phone"),
    ("add contact", lambda i: {"email": "nobody"}, 422, "email"),
    ("add contact", lambda i: {"relationship": "x" * 101}, 422, "relationship"),
    ("change contact", lambda i: {"phone": None}, 422, "phone"),
    ("change contact", lambda i: {"name": ""}, 422, "name"),
    ("change contact", lambda i: {"receives": [1]}, 422, "receives"),
    ("give consent", lambda i: {"purpose": DROP}, 422, "purpose"),
    ("give consent", lambda i: {"purpose": "everything"}, 422, "purpose"),
    ("give consent", lambda i: {"organisation_id": None}, 422, "organisation_id"),
    ("give consent", lambda i: {"contact_id": i.contact}, 422, "organisation_id"),
    ("give consent", lambda i: {"purpose": "take_part"}, 422, "organisation_id"),
    ("give consent", lambda i: {"organisation_id": MAX_ID}, 422, "organisation_id"),
    ("give consent", lambda i: {"organisation_id": None, "contact_id": i.foreign_contact}, 422,
     "contact_id"),
    ("give consent", lambda i: {"given_at": "2999-01-01T00:00:00+00:00"}, 422, "given_at"),
    ("give consent", lambda i: {"given_at": "yesterday"}, 422, "given_at"),
    ("give consent", lambda i: {"given_at": HUGE}, 422, "given_at"),
    ("withdraw consent", lambda i: {"withdrawn_at": "2999-01-01T00:00:00Z"}, 422,
     "withdrawn_at"),
    ("withdraw consent", lambda i: {"withdrawn_at": "2001-01-01T00:00:00Z"}, 422,
     "withdrawn_at"),
    ("withdraw consent", lambda i: {"reason": "x" * 501}, 422, "reason"),
    ("enrol in programme", lambda i: {"programme_id": i.other_programme}, 422, "programme_id"),
    ("enrol in programme", lambda i: {"programme_id": DROP}, 422, "programme_id"),
    ("enrol in programme", lambda i: {"programme_id": i.programme}, 409, None),
    ("leave programme", lambda i: {"reason": 5}, 422, "reason"),
    ("create user", lambda i: {"email": DROP}, 422, "email"),
    ("create user", lambda i: {"email": "nope"}, 422, "email"),
    ("create user", lambda i: {"email": "ADMIN@example.org\x00"}, 422, "email"),
    ("create user", lambda i: {"role": "superuser"}, 422, "role"),
    ("create user", lambda i: {"role": None}, 422, "role"),
    ("create user", lambda i: {"password": DROP}, 422, "password"),
    ("create user", lambda i: {"password": "short"}, 422, "password"),
    ("create user", lambda i: {"password": "x" * 201}, 422, "password"),
    ("create user", lambda i: {"password": 123456789012}, 422, "password"),
    ("create user", lambda i: {"active": "sometimes"}, 422, "active"),
    ("create user", lambda i: {"phone": "+1 212 555 0100"}, 422, "phone"),
    ("change user", lambda i: {"email": "x"}, 422, "email"),
    ("change user", lambda i: {"role": "admin"}, 403, None),
    ("change user", lambda i: {"role": "provider"}, 403, None),
    ("change user", lambda i: {"organisation_id": i.other_operator}, 403, None),
    ("change user", lambda i: {"active": "no thanks"}, 422, "active"),
    ("create organisation", lambda i: {"kind": "bank"}, 422, "kind"),
    ("create organisation", lambda i: {"kind": DROP}, 422, "kind"),
    ("create organisation", lambda i: {"name": DROP}, 422, "name"),
    ("create organisation", lambda i: {"name": ""}, 422, "name"),
    ("create organisation", lambda i: {"name": "test gp practice"}, 409, "name"),
    ("create organisation", lambda i: {"phone": "+1 212 555 0100"}, 422, "phone"),
    ("change organisation", lambda i: {"name": None}, 422, "name"),
    ("change organisation", lambda i: {"name": "TEST GP PRACTICE"}, 409, "name"),
    ("change organisation", lambda i: {"kind": "operator", "email": "bad"}, 422, "email"),
    ("create programme", lambda i: {"operator_id": i.other_operator}, 403, None),
    ("create programme", lambda i: {"operator_id": i.gp}, 422, "operator_id"),
    ("create programme", lambda i: {"timezone": "Mars/Olympus_Mons"}, 422, "timezone"),
    ("create programme", lambda i: {"timezone": "../../etc/passwd"}, 422, "timezone"),
    ("create programme", lambda i: {"kind": "bingo"}, 422, "kind"),
    ("create programme", lambda i: {"description": "x" * 2001}, 422, "description"),
    ("change programme", lambda i: {"operator_id": i.other_operator}, 403, None),
    ("change programme", lambda i: {"timezone": ""}, 422, "timezone"),
    ("create round", lambda i: {"programme_id": i.other_programme}, 422, "programme_id"),
    ("create round", lambda i: {"visitor_id": i.provider}, 422, "visitor_id"),
    ("create round", lambda i: {"visitor_id": i.other_visitor}, 422, "visitor_id"),
    ("create round", lambda i: {"weekdays": []}, 422, "weekdays"),
    ("create round", lambda i: {"weekdays": [0]}, 422, "weekdays"),
    ("create round", lambda i: {"weekdays": [8]}, 422, "weekdays"),
    ("create round", lambda i: {"weekdays": [1, 1]}, 422, "weekdays"),
    ("create round", lambda i: {"weekdays": "1,2"}, 422, "weekdays"),
    ("create round", lambda i: {"weekdays": ["1"]}, 422, "weekdays"),
    ("create round", lambda i: {"weekdays": [True]}, 422, "weekdays"),
    ("create round", lambda i: {"weekdays": [HUGE]}, 422, "weekdays"),
    ("change round", lambda i: {"visitor_id": i.other_visitor}, 422, "visitor_id"),
    ("change round", lambda i: {"weekdays": None}, 422, "weekdays"),
    ("request token", lambda i: {"email": DROP}, 422, "email"),
    ("request token", lambda i: {"password": DROP}, 422, "password"),
    ("request token", lambda i: {"password": ""}, 422, "password"),
    ("request token", lambda i: {"password": ["x"]}, 422, "password"),
    ("request token", lambda i: {"email": "nobody"}, 422, "email"),
    ("request token", lambda i: {"password": "wrong password"}, 401, None),
    ("request token", lambda i: {"password": "' OR '1'='1"}, 401, None),
    ("request token", lambda i: {"email": "' OR 1=1 --@example.org"}, (401, 422), None),
]


@pytest.mark.parametrize(("name", "changes", "status", "field"), SPECIFIC,
                         ids=[f"{s[0]}-{i}" for i, s in enumerate(SPECIFIC)])
def test_bad_values_are_refused(env, name, changes, status, field):
    endpoint = ENDPOINTS[name]
    body = valid(env, endpoint)
    for key, value in changes(env.ids).items():
        if value is DROP:
            body.pop(key, None)
        else:
            body[key] = value
    before = snapshot(env.app)
    response = send(env, endpoint, body=body)
    assert_error(response, status, field=field)
    assert_unchanged(env.app, before, response)


def test_empty_object_is_missing_every_required_field(env):
    for name, required in (("create client", {"programme_id", "full_name"}),
                           ("add contact", {"name"}), ("give consent", {"purpose"}),
                           ("create user", {"email", "password", "role", "organisation_id"}),
                           ("create organisation", {"name", "kind"}),
                           ("create programme", {"name", "kind", "operator_id"}),
                           ("create round", {"programme_id", "name"}),
                           ("request token", {"email", "password"})):
        before = snapshot(env.app)
        error = assert_error(send(env, ENDPOINTS[name], body={}), 422)
        assert set(error["fields"]) == required, (name, error)
        assert snapshot(env.app) == before


def test_empty_patch_changes_nothing_and_is_not_an_error(env):
    response = send(env, ENDPOINTS["change client"], body={})
    assert response.status_code == 200
    assert response.get_json()["full_name"] == env.world.client_on_round.full_name


# --- Ids in the URL --------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/clients/{id}", "/clients/{id}/contacts", "/clients/{id}/consents",
    "/organisations/{id}", "/programmes/{id}", "/rounds/{id}", "/users/{id}",
])
@pytest.mark.parametrize("value", [HUGE, MAX_ID + 1, 10**40, "-1", "1.5", "abc", "%00"])
def test_unusable_ids_in_the_url_are_not_found(env, path, value):
    response = env.api["admin"].get(path.format(id=value))
    assert_error(response, 404, code="not_found")


@pytest.mark.parametrize("method", ["PATCH", "DELETE", "POST"])
def test_huge_ids_in_the_url_of_changes_are_not_found(env, method):
    before = snapshot(env.app)
    paths = {"PATCH": f"/clients/{HUGE}", "DELETE": f"/clients/{env.ids.on_round}/contacts/{HUGE}",
             "POST": f"/clients/{env.ids.on_round}/consents/{HUGE}/withdraw"}
    response = env.api["admin"].request(method, paths[method], json={"notes": "x"}
                                        if method == "PATCH" else {})
    assert_error(response, 404)
    assert snapshot(env.app) == before


def test_huge_ids_in_page_urls_are_not_found(env, login):
    login(env.world.coordinator)
    for path in (f"/clients/{HUGE}", f"/clients/{HUGE}/edit",
                 f"/clients/{env.ids.on_round}/consents/{HUGE}/withdraw"):
        assert env.client.get(path).status_code == 404


@pytest.mark.parametrize("header", [
    "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer otk_" + "x" * 10_000,
    "Bearer otk_\u00e9\u00e9", "Bearer otk_abc\x01", "bearer otk_nope", "Token otk_nope",
])
def test_odd_authorization_headers_are_unauthorised(env, header):
    response = env.client.get("/api/v1/clients", headers={"Authorization": header})
    assert_error(response, 401, code="unauthorized")


# --- Lists: cursors, limits and filters ------------------------------------------------------

def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


LISTS = ["/clients", "/organisations", "/programmes", "/rounds", "/users", "/audit-events"]
BAD_CURSORS = ["!!!", "abc", "%00", _b64("-5"), _b64("1") + "%0A", _b64("1") + "!",
               _b64("1.5"), _b64(" 5"), _b64("²"), _b64("1e3"), "x" * 5000,
               base64.urlsafe_b64encode(b"\xff\xfe").decode()]
BAD_LIMITS = ["0", "-1", "abc", "1.5", "201", "²", "١", "", " 5", "9" * 40, "%00"]


@pytest.mark.parametrize("cursor", BAD_CURSORS)
@pytest.mark.parametrize("path", LISTS)
def test_bad_cursors_are_refused(env, path, cursor):
    assert_error(env.api["admin"].get(f"{path}?cursor={cursor}"), 400, field="cursor")


@pytest.mark.parametrize("limit", BAD_LIMITS)
@pytest.mark.parametrize("path", LISTS)
def test_bad_limits_are_refused(env, path, limit):
    assert_error(env.api["admin"].get(f"{path}?limit={limit}"), 400, field="limit")


@pytest.mark.parametrize("past", [MAX_ID + 1, HUGE])
def test_a_cursor_past_every_id_is_an_empty_page(env, past):
    """A cursor of the form the server makes, past the id column's range: nothing comes after it
    (the OpenAPI document's cursor pattern cannot bound the number, so the server takes it)."""
    answer = env.api["admin"].get(f"/clients?cursor={_b64(str(past))}")
    assert answer.status_code == 200
    assert answer.get_json() == {"items": [], "next_cursor": None}


def test_a_good_cursor_still_pages(env):
    api = env.api["admin"]
    first = api.get("/clients?limit=1").get_json()
    assert first["next_cursor"]
    second = api.get(f"/clients?limit=1&cursor={first['next_cursor']}").get_json()
    assert second["items"][0]["id"] > first["items"][0]["id"]


@pytest.mark.parametrize(("query", "field"), [
    ({"programme_id": "abc"}, "programme_id"),
    ({"programme_id": str(HUGE)}, "programme_id"),
    ({"programme_id": "-1"}, "programme_id"),
    ({"q": "x" * 101}, "q"),
    ({"q": "Ann\x00"}, "q"),
    ({"surprise": "1"}, "surprise"),
])
def test_bad_client_filters_are_refused(env, query, field):
    assert_error(env.api["coordinator"].get("/clients", query_string=query), 422, field=field)


@pytest.mark.parametrize("query", [
    {"client_id": "abc"}, {"client_id": str(HUGE)}, {"action": "x" * 61},
    {"action": "a\x00"}, {"surprise": "1"},
])
def test_bad_audit_filters_are_refused(env, query):
    error = assert_error(env.api["admin"].get("/audit-events", query_string=query), 422)
    assert set(error["fields"]) == set(query)


@pytest.mark.parametrize("q", ["' OR '1'='1", "%", "_", "\\", "'; DROP TABLE clients; --",
                               "%' OR 1=1 --", "*", "[a-z]"])
def test_search_strings_are_data_not_code(env, q):
    response = env.api["admin"].get("/clients", query_string={"q": q})
    assert response.status_code == 200
    assert response.get_json()["items"] == []


# --- Strings stored verbatim, shown escaped --------------------------------------------------

INJECTIONS = {
    "full_name": "Robert'); DROP TABLE clients;--",
    "address": "1' OR '1'='1",
    "parish": "\" onmouseover=\"alert(1)",
    "access_notes": "<script>alert('key safe')</script>",
    "notes": "<img src=x onerror=alert(1)>{{ 7*7 }}{% raw %}",
}


def test_injection_strings_are_stored_verbatim_and_shown_escaped(env, login):
    api = env.api["coordinator"]
    before = snapshot(env.app)
    created = api.post("/clients", json={"programme_id": env.ids.programme, **INJECTIONS})
    assert created.status_code == 201, created.get_json()
    client_id = created.get_json()["id"]
    for body in (created.get_json(), api.get(f"/clients/{client_id}").get_json()):
        for key, value in INJECTIONS.items():
            assert body[key] == value
    after = snapshot(env.app)
    assert len(after["clients"]) == len(before["clients"]) + 1  # the table is still there
    login(env.world.coordinator)
    for path in (f"/clients/{client_id}", "/clients/", f"/clients/{client_id}/edit"):
        page = env.client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "onmouseover=\"alert" not in page
        assert "Robert&#39;); DROP TABLE clients;--" in page
    shown = env.client.get(f"/clients/{client_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;key safe&#39;)&lt;/script&gt;" in shown
    assert "&lt;img src=x onerror=alert(1)&gt;{{ 7*7 }}{% raw %}" in shown


UNICODE_NAMES = [
    "Zoë Ñúñez-García", "Łukasz Żółkiewski", "Françoise d'Aubigné", "João Conceição",
    "李小龙", "محمد الأحمد", "Ōta Tarō 🙂", "Ame\u0301lie", "Ǆemal O\u2019Brien",
    "Ἀριστοτέλης",
]


@pytest.mark.parametrize("name", UNICODE_NAMES)
def test_unicode_names_are_kept_exactly(env, login, name):
    api = env.api["coordinator"]
    created = api.post("/clients", json={"programme_id": env.ids.programme, "full_name": name,
                                         "parish": name})
    assert created.status_code == 201, created.get_json()
    client_id = created.get_json()["id"]
    assert created.get_json()["full_name"] == name
    assert api.get(f"/clients/{client_id}").get_json()["full_name"] == name
    with env.app.app_context():
        assert db.session.get(Client, client_id).full_name == name
    contact = api.post(f"/clients/{client_id}/contacts",
                       json={"name": name, "email": "family@example.org"})
    assert contact.status_code == 201
    assert contact.get_json()["name"] == name
    login(env.world.coordinator)
    page = env.client.get(f"/clients/{client_id}").get_data(as_text=True)
    assert name.replace("'", "&#39;") in page


# --- The duplicate-client guard --------------------------------------------------------------

def test_same_phone_in_the_same_programme_is_a_likely_duplicate(env):
    api = env.api["coordinator"]
    phone = unused_phone(env.app)
    first = api.post("/clients", json={"programme_id": env.ids.programme,
                                       "full_name": "Ada First", "phone": phone})
    assert first.status_code == 201
    before = snapshot(env.app)
    # The same number written another way is still the same number.
    local = "0" + phone[3:7] + " " + phone[7:]
    again = api.post("/clients", json={"programme_id": env.ids.programme,
                                       "full_name": "Someone Else", "phone": local})
    error = assert_error(again, 409, code="conflict")
    assert [(m["id"], m["reason"]) for m in error["matches"]] == [
        (first.get_json()["id"], "same phone")]
    assert snapshot(env.app) == before
    forced = api.post("/clients", json={"programme_id": env.ids.programme,
                                        "full_name": "Someone Else", "phone": local,
                                        "force": True})
    assert forced.status_code == 201
    assert forced.get_json()["phone"] == phone


def test_same_name_and_birth_date_in_the_same_programme_is_a_likely_duplicate(env):
    api = env.api["coordinator"]
    world_client = env.world.client_off_round
    before = snapshot(env.app)
    again = api.post("/clients", json={
        "programme_id": env.ids.programme, "full_name": world_client.full_name.upper(),
        "date_of_birth": world_client.date_of_birth.isoformat()})
    error = assert_error(again, 409)
    ids = {m["id"] for m in error["matches"]}
    assert env.ids.off_round in ids
    assert all(m["reason"] == "same name and date of birth" for m in error["matches"])
    assert env.ids.foreign not in ids
    assert snapshot(env.app) == before
    forced = api.post("/clients", json={
        "programme_id": env.ids.programme, "full_name": world_client.full_name.upper(),
        "date_of_birth": world_client.date_of_birth.isoformat(), "force": True})
    assert forced.status_code == 201


def test_another_operators_client_is_never_offered_as_a_match(env):
    """A 409 would show the match's name and phone: it must only name the caller's clients."""
    foreign = env.world.foreign_client
    response = env.api["coordinator"].post("/clients", json={
        "programme_id": env.ids.programme, "full_name": foreign.full_name,
        "date_of_birth": foreign.date_of_birth.isoformat(), "phone": foreign.phone})
    assert response.status_code == 201, response.get_json()


def test_a_change_that_makes_a_duplicate_is_refused_unless_forced(env):
    api = env.api["coordinator"]
    before = snapshot(env.app)
    clash = api.patch(f"/clients/{env.ids.on_round}",
                      json={"phone": env.world.client_off_round.phone})
    error = assert_error(clash, 409)
    assert [m["id"] for m in error["matches"]] == [env.ids.off_round]
    assert snapshot(env.app) == before
    forced = api.patch(f"/clients/{env.ids.on_round}",
                       json={"phone": env.world.client_off_round.phone, "force": True})
    assert forced.status_code == 200


# --- Pages: bad form input is a form error, never a 500 --------------------------------------

def test_page_forms_refuse_bad_input_without_storing_it(env, login):
    login(env.world.coordinator)
    client = env.client
    token = csrf_token(client, "/clients/new")
    base = {"csrf_token": token, "programme_id": str(env.ids.programme),
            "full_name": "Form Person", "consent_take_part": "on"}
    for changes in ({"full_name": "Ann\x00e"}, {"phone": "+1 212 555 0100"},
                    {"phone": "12345"}, {"date_of_birth": FUTURE_BIRTH},
                    {"programme_id": str(env.ids.other_programme)},
                    {"programme_id": str(HUGE)}, {"programme_id": "abc"},
                    {"round_id": str(env.ids.other_round)}, {"walk_order": "-4"},
                    {"full_name": "x" * 10_000}, {"consent_take_part": None},
                    {"consent_given_by": "client\x00"}):
        form = {k: v for k, v in {**base, **changes}.items() if v is not None}
        before = snapshot(env.app)
        response = client.post("/clients/new", data=form)
        assert response.status_code == 422, (changes, response.status_code)
        assert snapshot(env.app) == before, changes


def test_page_posts_with_huge_or_odd_bodies_are_refused(env, login):
    login(env.world.coordinator)
    client = env.client
    token = csrf_token(client, "/clients/new")
    before = snapshot(env.app)
    big = client.post("/clients/new", data={"csrf_token": token, "full_name": "x" * TEN_MB})
    assert big.status_code == 413
    odd = client.post("/clients/new", data=b"csrf_token=" + token.encode() + b"&full_name=\xff",
                      content_type="application/x-www-form-urlencoded")
    # Werkzeug drops a form body that is not UTF-8, CSRF token and all: refused as a bad form.
    assert odd.status_code == 400
    assert snapshot(env.app) == before


def test_login_and_search_forms_survive_odd_input(env):
    client = env.client
    token = csrf_token(client)
    for email in ("admin@example.org\x00", "' OR 1=1 --", "x" * 10_000, "ä@ö.ü"):
        response = client.post("/login", data={"csrf_token": token, "email": email,
                                               "password": "whatever it is"})
        assert response.status_code == 401, email
    env.client.post("/login", data={"csrf_token": token, "email": env.world.coordinator.email,
                                    "password": factories.PASSWORD})
    for query in ("Ann\x00", "%", "' OR '1'='1", "x" * 5000):
        response = client.get("/clients/", query_string={"q": query})
        assert response.status_code == 200, query
    for after in (str(HUGE), "²", "-1", "abc"):
        assert client.get("/clients/", query_string={"after": after}).status_code == 200
