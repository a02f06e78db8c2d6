"""The OpenAPI description says exactly what the server does: every status, field and bound
the fuzzer found undocumented or wrong, checked against the live answers."""

from __future__ import annotations

import pytest
from openapi_schema_validator import OAS30Validator

from outreach.enums import NeedCategory
from outreach.visits.schedule import SYSTEM_CATEGORIES
from tests import factories


@pytest.fixture
def doc(client):
    return client.get("/api/v1/openapi.json").get_json()


def _conforms(doc: dict, schema: dict, body) -> None:
    """`body` is valid against `schema`, $refs resolved within the document."""
    OAS30Validator({**schema, "components": doc["components"]}).validate(body)


def _answer_schema(doc, path, method, status) -> dict:
    return doc["paths"][path][method]["responses"][str(status)]["content"][
        "application/json"]["schema"]


def test_a_method_not_allowed_says_which_are(client):
    answer = client.delete("/api/v1/visits")
    assert answer.status_code == 405
    assert set(answer.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert answer.get_json()["error"]["code"] == "method_not_allowed"


def test_a_wrong_password_for_a_token_is_a_documented_401(world, client, doc):
    answer = client.post("/api/v1/auth/token", json={"email": world.visitor.email,
                                                     "password": "not-the-password"})
    assert answer.status_code == 401
    _conforms(doc, _answer_schema(doc, "/api/v1/auth/token", "post", 401), answer.get_json())


def test_a_409_with_the_allowed_moves_conforms(app, world, api_as, doc):
    with app.app_context():
        made = factories.prescription(factories.db.session.merge(world.client_on_round))
        factories.db.session.commit()
        ids = (made.client_id, made.id)
    path = f"/clients/{ids[0]}/prescriptions/{ids[1]}/status"
    answer = api_as(world.coordinator).post(path, json={"status": "ready"})  # it is ready
    assert answer.status_code == 409, answer.get_json()
    body = answer.get_json()
    assert {"status", "allowed"} <= set(body["error"])
    schema = _answer_schema(
        doc, "/api/v1/clients/{client_id}/prescriptions/{prescription_id}/status", "post", 409)
    _conforms(doc, schema, body)


def test_a_409_naming_possible_duplicates_conforms(world, api_as, doc):
    api = api_as(world.coordinator)
    person = {"programme_id": world.programme.id, "full_name": "Odile Perchard",
              "date_of_birth": "1938-02-11", "phone": "07700 900777"}
    assert api.post("/clients", json=person).status_code == 201
    answer = api.post("/clients", json=person)
    assert answer.status_code == 409 and answer.get_json()["error"]["matches"]
    _conforms(doc, _answer_schema(doc, "/api/v1/clients", "post", 409), answer.get_json())


def test_cost_estimate_is_declared_as_the_string_it_is(doc):
    declared = doc["components"]["schemas"]["MessageOut"]["properties"]["cost_estimate"]
    assert declared["type"] == "string"


def test_every_list_declares_the_page_size_bounds_it_enforces(app, world, api_as, doc):
    largest = app.config["API_MAX_PAGE_SIZE"]
    limits = [(path, p["schema"]) for path, ops in doc["paths"].items()
              for op in ops.values() for p in op.get("parameters", []) if p["name"] == "limit"]
    assert limits and all(s == {"type": "integer", "minimum": 1, "maximum": largest}
                          for _, s in limits), limits
    api = api_as(world.coordinator)
    assert api.get(f"/clients?limit={largest}").status_code == 200
    for path in (f"/clients?limit={largest + 1}", "/needs?limit=0"):
        answer = api.get(path)
        assert answer.status_code == 400 and "limit" in answer.get_json()["error"]["fields"]


def test_need_categories_offered_are_exactly_those_accepted(world, api_as, doc):
    offered = doc["components"]["schemas"]["NeedIn"]["properties"]["category"]["enum"]
    assert set(offered) == {c.value for c in NeedCategory} - {c.value for c in SYSTEM_CATEGORIES}
    api = api_as(world.coordinator)
    for category in offered:
        answer = api.post("/needs", json={"client_id": world.client_on_round.id,
                                          "category": category, "severity": "routine"})
        assert answer.status_code == 201, (category, answer.get_json())
    for category in SYSTEM_CATEGORIES:
        answer = api.post("/needs", json={"client_id": world.client_on_round.id,
                                          "category": category.value, "severity": "routine"})
        assert answer.status_code == 422


@pytest.mark.parametrize(("path", "method"), [("/api/v1/clients/{client_id}", "patch"),
                                              ("/api/v1/rounds/{round_id}", "patch")])
def test_a_change_refuses_programme_id_as_documented(world, api_as, doc, path, method):
    operation = doc["paths"][path][method]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert "programme_id" not in body["properties"] and "required" not in body
    assert "programme_id" in operation["description"]
    target = (f"/clients/{world.client_on_round.id}" if "clients" in path
              else f"/rounds/{world.round.id}")
    answer = api_as(world.coordinator).patch(target, json={"programme_id": world.programme.id})
    assert answer.status_code == 422
    assert "programme_id" in answer.get_json()["error"]["fields"]
