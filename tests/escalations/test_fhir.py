"""FHIR under /fhir/r4: Tasks and Bundles that fhir.resources validates, in scope, paged.

fhir.resources 8 models R4B (4.3.0); its 6.x line (R4 proper) needs pydantic 1, which the
suite's other tools cannot share. Task, Patient and Bundle did not change between R4 and R4B
in anything used here.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.task import Task
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.organisations.models import Organisation
from outreach.people.models import Client, Contact
from tests import factories

TASK_STATUSES = {"draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
                 "in-progress", "on-hold", "failed", "completed", "entered-in-error"}


@pytest.fixture
def made(app, world):
    """Escalations to the GP practice (two), the food bank, a contact and the other operator."""
    with app.app_context():
        get = db.session.get
        on, off, foreign = (get(Client, c.id) for c in (
            world.client_on_round, world.client_off_round, world.foreign_client))
        gp, food, other = (get(Organisation, o.id) for o in (
            world.gp, world.food_bank, world.other_operator))
        pain = factories.need(on, "pain_or_illness", "urgent", description="Chest pain")
        ids = {
            "gp_pain": factories.escalation(on, gp, need=pain).id,
            "gp_meds": factories.escalation(off, gp, category="medication",
                                            severity="routine").id,
            "food": factories.escalation(off, food).id,
            "contact": factories.escalation(on, contact=factories.contact(on, name="Ann Daughter"),
                                            category="fall").id,
            "foreign": factories.escalation(foreign, other).id,
        }
        db.session.commit()
    return ids


def _get(client, path, user_api=None, **query):
    headers = {"Authorization": f"Bearer {user_api.token}"} if user_api else {}
    return client.get("/fhir/r4" + path, headers=headers, query_string=query)


def _bundle(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/fhir+json"
    body = response.get_json(force=True)
    Bundle.model_validate(body)
    assert body["type"] == "searchset"
    for entry in body.get("entry", []):
        _valid_task(entry["resource"])
        assert entry["fullUrl"] == f"http://localhost/fhir/r4/Task/{entry['resource']['id']}"
    return body


def _valid_task(task: dict, *, patient: bool = True) -> dict:
    """A valid FHIR Task; with its contained Patient, or (`patient=False`: the caller may no
    longer see the client) with no Patient, description or notes at all."""
    Task.model_validate(task)
    assert task["status"] in TASK_STATUSES
    assert task["intent"] == "order"
    assert task["priority"] in {"routine", "urgent", "asap", "stat"}
    if not patient:
        assert not {"for", "contained", "description", "note"} & set(task)
        return task
    assert task["for"]["reference"] == "#patient"
    assert [c["id"] for c in task["contained"]] == ["patient"]
    return task


def _outcome(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/fhir+json"
    body = response.get_json(force=True)
    OperationOutcome.model_validate(body)
    return body


def _task_ids(body: dict) -> list[int]:
    return [int(e["resource"]["id"]) for e in body.get("entry", [])]


def test_provider_searches_its_organisations_tasks_only(world, api_as, client, made):
    body = _bundle(_get(client, "/Task", api_as(world.provider)))
    assert _task_ids(body) == [made["gp_pain"], made["gp_meds"]]
    assert body["total"] == 2
    assert [link["relation"] for link in body["link"]] == ["self"]


def test_coordinator_sees_its_programmes_tasks_whoever_the_recipient(world, api_as, client,
                                                                     made):
    body = _bundle(_get(client, "/Task", api_as(world.coordinator)))
    assert _task_ids(body) == [made[k] for k in ("gp_pain", "gp_meds", "food", "contact")]
    contact = body["entry"][3]["resource"]
    assert contact["owner"] == {"type": "RelatedPerson", "display": "Ann Daughter"}
    other = _bundle(_get(client, "/Task", api_as(world.other_coordinator)))
    assert _task_ids(other) == [made["foreign"]]


def test_admin_sees_all_and_filters_by_owner(world, api_as, client, made):
    admin = api_as(world.admin)
    assert set(_task_ids(_bundle(_get(client, "/Task", admin)))) == set(made.values())
    food = _bundle(_get(client, "/Task", admin, owner=f"Organization/{world.food_bank.id}"))
    assert _task_ids(food) == [made["food"]]
    assert _task_ids(_bundle(_get(client, "/Task", admin, owner=str(world.gp.id)))) == [
        made["gp_pain"], made["gp_meds"]]
    # A provider naming another owner still sees nothing but its own.
    provider = _bundle(_get(client, "/Task", api_as(world.provider),
                            owner=f"Organization/{world.food_bank.id}"))
    assert _task_ids(provider) == []
    assert "entry" not in provider
    assert provider["total"] == 0
    # A page past the end still counts every visible Task.
    past = _bundle(_get(client, "/Task", admin, _cursor="OTk5OTk5OQ"))
    assert "entry" not in past and past["total"] == len(made)


def test_task_carries_the_minimum_mapped_as_documented(app, world, api_as, client, made):
    task = _valid_task(_get(client, f"/Task/{made['gp_pain']}", api_as(world.provider))
                       .get_json(force=True))
    with app.app_context():
        person = db.session.get(Client, world.client_on_round.id)
        expected_patient = {
            "resourceType": "Patient", "id": "patient", "name": [{"text": person.full_name}],
            "birthDate": person.date_of_birth.isoformat(),
            "telecom": [{"system": "phone", "value": person.phone}],
            "address": [{"text": person.address}]}
    assert task["contained"] == [expected_patient]
    assert task["identifier"] == [{"system": "http://localhost/escalations",
                                   "value": str(made["gp_pain"])}]
    assert (task["status"], task["businessStatus"]["text"]) == ("requested", "open")
    assert task["priority"] == "urgent"
    assert task["code"]["text"] == "pain or illness"
    assert task["code"]["coding"][0]["code"] == "pain_or_illness"
    assert task["description"] == "Chest pain"
    assert task["owner"]["display"] == "Test GP Practice"
    assert task["owner"]["identifier"]["value"] == str(world.gp.id)
    assert task["requester"]["display"] == "Test Post Call & Check"
    assert task["restriction"]["period"]["end"]
    assert {"note", "output", "executionPeriod"}.isdisjoint(task)
    # Nothing of the client beyond the contained Patient's four facts.
    assert "notes" not in str(task) and "access_notes" not in str(task)


def test_lifecycle_shows_in_the_task(world, api_as, client, made):
    provider = api_as(world.provider)
    path = f"/escalations/{made['gp_meds']}"
    assert provider.post(f"{path}/acknowledge", json={"note": "Looking"}).status_code == 200
    assert provider.post(f"{path}/notes", json={"note": "Phoned the pharmacy"}).status_code == 201
    task = _valid_task(_get(client, f"/Task/{made['gp_meds']}", provider).get_json(force=True))
    assert (task["status"], task["businessStatus"]["text"], task["priority"]) == (
        "accepted", "acknowledged", "routine")
    assert [n["text"] for n in task["note"]] == ["Looking", "Phoned the pharmacy"]
    assert set(task["executionPeriod"]) == {"start"}
    assert provider.post(f"{path}/resolve", json={"outcome": "helped", "usefulness": 5,
                                                  "note": "Delivered"}).status_code == 200
    # Resolved, and nothing else live for the client with the GP: the Task keeps no Patient.
    task = _valid_task(_get(client, f"/Task/{made['gp_meds']}", provider).get_json(force=True),
                       patient=False)
    assert task["status"] == "completed"
    assert task["output"][0]["valueCodeableConcept"]["coding"][0]["code"] == "helped"
    assert set(task["executionPeriod"]) == {"start", "end"}


def test_reassigned_task_is_cancelled(app, world, api_as, client, made):
    from outreach.enums import ConsentPurpose

    with app.app_context():
        person = db.session.get(Client, world.client_on_round.id)
        factories.consent(person, ConsentPurpose.TAKE_PART)
        factories.consent(person, ConsentPurpose.SHARE_INFORMATION,
                          organisation_id=world.food_bank.id)
        db.session.commit()
    moved = api_as(world.coordinator).post(f"/escalations/{made['gp_pain']}/reassign", json={
        "organisation_id": world.food_bank.id, "note": "Better placed"})
    assert moved.status_code == 200, moved.get_json()
    task = _valid_task(_get(client, f"/Task/{made['gp_pain']}", api_as(world.admin))
                       .get_json(force=True))
    assert (task["status"], task["businessStatus"]["text"]) == ("cancelled", "reassigned")


@pytest.mark.parametrize("status, expected", [
    ("requested", ["gp_pain", "gp_meds"]), ("accepted", ["gp_meds"]), ("completed", []),
    ("accepted,requested", ["gp_pain", "gp_meds"]), ("draft", []), ("in-progress", []),
])
def test_status_search(status, expected, world, api_as, client, made):
    provider = api_as(world.provider)
    provider.post(f"/escalations/{made['gp_meds']}/acknowledge", json={})
    body = _bundle(_get(client, "/Task", provider, status=status))
    wanted = {made[k] for k in expected} - ({made["gp_meds"]} if status == "requested" else set())
    assert set(_task_ids(body)) == wanted


@pytest.mark.parametrize("query", [
    {"status": "open"}, {"status": ""}, {"status": "requested,bogus"}, {"_count": "0"},
    {"_count": "201"}, {"_count": "ten"}, {"_count": "-1"}, {"_cursor": "!!!"},
    {"_cursor": "bm90IGEgbnVtYmVy"}, {"owner": "Patient/1"}, {"owner": "Organization/x"},
    {"owner": str(2**40)},
])
def test_bad_search_is_a_400_outcome(query, world, api_as, client, made):
    body = _outcome(_get(client, "/Task", api_as(world.provider), **query), 400)
    assert body["issue"][0]["code"] == "invalid"


def test_paging_visits_every_task_once(app, world, api_as, client):
    with app.app_context():
        gp = db.session.get(Organisation, world.gp.id)
        made = [factories.escalation(factories.client(db.session.get(
            Client, world.client_on_round.id).programme), gp).id for _ in range(5)]
        db.session.commit()
    provider = api_as(world.provider)
    seen, url, pages = [], "/fhir/r4/Task?_count=2", 0
    while url:
        body = _bundle(client.get(url, headers={"Authorization": f"Bearer {provider.token}"}))
        assert body["total"] == 5
        assert len(body["entry"]) <= 2
        seen += _task_ids(body)
        pages += 1
        following = [link["url"] for link in body["link"] if link["relation"] == "next"]
        url = None
        if following:
            parts = urlsplit(following[0])
            assert parts.netloc == "localhost"
            assert parse_qs(parts.query)["_count"] == ["2"]
            url = f"{parts.path}?{parts.query}"
    assert seen == made
    assert pages == 3


def test_default_page_is_fifty(world, api_as, client, made):
    body = _bundle(_get(client, "/Task", api_as(world.admin)))
    self_link = next(link["url"] for link in body["link"] if link["relation"] == "self")
    assert parse_qs(urlsplit(self_link).query)["_count"] == ["50"]


def test_another_organisations_task_is_refused_and_audited(app, world, api_as, client, made):
    for key in ("food", "foreign", "contact"):
        body = _outcome(_get(client, f"/Task/{made[key]}", api_as(world.provider)), 403)
        assert body["issue"][0]["code"] == "forbidden"
    _outcome(_get(client, f"/Task/{made['gp_pain']}", api_as(world.other_coordinator)), 403)
    with app.app_context():
        denied = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "escalation.denied")).all()
        assert [(e.actor_id, e.detail["escalation_id"]) for e in denied] == [
            (world.provider.id, made["food"]), (world.provider.id, made["foreign"]),
            (world.provider.id, made["contact"]), (world.other_coordinator.id, made["gp_pain"])]
        assert db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "client.read")).all() == []


@pytest.mark.parametrize("task_id", [str(2**31 - 1), "0", "abc", "1.0", str(10**30), "-1"])
def test_missing_task_is_a_404_outcome(task_id, world, api_as, client, made):
    body = _outcome(_get(client, f"/Task/{task_id}", api_as(world.provider)), 404)
    assert body["issue"][0]["code"] == "not-found"


def test_reads_and_searches_are_audited(app, world, api_as, client, made):
    provider = api_as(world.provider)
    _get(client, f"/Task/{made['gp_pain']}", provider)
    _get(client, "/Task", provider)
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.actor_id == world.provider.id,
            AuditEvent.action.in_(("client.read", "client.list")))).all()
        assert [(e.action, e.client_id) for e in events if e.action == "client.read"] == [
            ("client.read", world.client_on_round.id)]
        assert {e.client_id for e in events if e.action == "client.list"} == {
            world.client_on_round.id, world.client_off_round.id}
        assert {e.via for e in events} == {"fhir"}


@pytest.mark.parametrize("path", ["/Task", "/Task/1"])
def test_credentials(path, app, world, api_as, client, login, made):
    response = _get(client, path)
    _outcome(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    _outcome(client.get("/fhir/r4" + path, headers={"Authorization": "Bearer otk_wrong"}), 401)
    for who in ("visitor", "tutor"):
        _outcome(_get(client, path, api_as(getattr(world, who))), 403)
    # A feed token opens the Atom feed and nothing else.
    feed_token = api_as(world.provider).post("/feed-tokens", json={"name": "r"}).get_json()
    _outcome(client.get("/fhir/r4" + path,
                        headers={"Authorization": f"Bearer {feed_token['token']}"}), 401)
    _outcome(client.get("/fhir/r4" + path, query_string={"token": feed_token["token"]}), 401)
    login(world.provider)
    _outcome(_get(client, path), 401)


def test_revoked_api_token_is_refused(app, world, api_as, client, made):
    from outreach.auth.models import ApiToken

    provider = api_as(world.provider)
    with app.app_context():
        for token in db.session.scalars(select(ApiToken)):
            token.revoked_at = token.created_at
        db.session.commit()
    _outcome(_get(client, "/Task", provider), 401)


def test_capability_statement(client, world, login):
    response = client.get("/fhir/r4/metadata")
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    body = response.get_json(force=True)
    CapabilityStatement.model_validate(body)
    assert body["fhirVersion"] == "4.0.1"
    (resource,) = body["rest"][0]["resource"]
    assert resource["type"] == "Task"
    assert {i["code"] for i in resource["interaction"]} == {"read", "search-type"}


def test_client_text_with_markup_survives(app, world, api_as, client):
    with app.app_context():
        person = db.session.get(Client, world.client_on_round.id)
        person.full_name = 'Zoë "O\'Brien" <script>'
        need = factories.need(person, "transport", description="Bus ✓ to town\n<b>now</b>")
        made = factories.escalation(person, db.session.get(Organisation, world.gp.id),
                                    need=need).id
        db.session.add(Contact(client_id=person.id, name="x"))
        db.session.commit()
    task = _valid_task(_get(client, f"/Task/{made}", api_as(world.provider)).get_json(force=True))
    assert task["contained"][0]["name"] == [{"text": 'Zoë "O\'Brien" <script>'}]
    assert task["description"] == "Bus ✓ to town\n<b>now</b>"


def _expected_task(escalation, notes: list[dict]) -> dict:
    """The documented mapping written out from the ORM objects, to check the whole Task."""
    def instant(moment):
        return moment.isoformat(timespec="milliseconds")

    def organisation(org):
        return {"type": "Organization", "display": org.name, "identifier": {
            "system": "http://localhost/organisations", "value": str(org.id)}}

    person = escalation.client
    patient = {"resourceType": "Patient", "id": "patient", "name": [{"text": person.full_name}]}
    if person.date_of_birth is not None:
        patient["birthDate"] = person.date_of_birth.isoformat()
    if person.phone:
        patient["telecom"] = [{"system": "phone", "value": person.phone}]
    if person.address:
        patient["address"] = [{"text": person.address}]
    status = escalation.status.value
    task = {
        "resourceType": "Task", "id": str(escalation.id),
        "meta": {"lastUpdated": escalation.updated_at.isoformat(timespec="microseconds")},
        "contained": [patient],
        "identifier": [{"system": "http://localhost/escalations", "value": str(escalation.id)}],
        "status": {"open": "requested", "reopened": "requested", "acknowledged": "accepted",
                   "resolved": "completed", "reassigned": "cancelled"}[status],
        "businessStatus": {"text": status}, "intent": "order",
        "priority": "urgent" if escalation.severity.value == "urgent" else "routine",
        "code": {"coding": [{"system": "http://localhost/need-categories",
                             "code": escalation.category.value}],
                 "text": escalation.category.value.replace("_", " ")},
        "for": {"reference": "#patient", "display": person.full_name,
                "identifier": {"system": "http://localhost/clients", "value": str(person.id)}},
        "authoredOn": instant(escalation.created_at),
        "lastModified": escalation.updated_at.isoformat(timespec="microseconds"),
        "requester": organisation(escalation.programme.operator),
        "restriction": {"period": {"end": instant(escalation.due_at)}},
        "input": [{"type": {"text": "severity"}, "valueCode": escalation.severity.value}],
    }
    if escalation.need.description.strip():
        task["description"] = escalation.need.description
    if escalation.organisation is not None:
        task["owner"] = organisation(escalation.organisation)
    else:
        task["owner"] = {"type": "RelatedPerson", "display": escalation.contact.name}
    if escalation.acknowledged_at is not None:
        task["executionPeriod"] = {"start": instant(escalation.acknowledged_at)}
        if escalation.resolved_at is not None:
            task["executionPeriod"]["end"] = instant(escalation.resolved_at)
    if notes:
        task["note"] = notes
    if escalation.outcome is not None:
        task["output"] = [{"type": {"text": "outcome"}, "valueCodeableConcept": {
            "coding": [{"system": "http://localhost/escalation-outcomes",
                        "code": escalation.outcome.value}],
            "text": escalation.outcome.value.replace("_", " ")}}]
        if escalation.outcome_note.strip():
            task["output"].append({"type": {"text": "outcome note"},
                                   "valueString": escalation.outcome_note})
    return task


def test_whole_bundle_and_read_match_the_mapping(app, world, api_as, client, made):
    """Every field of every Task, in the search and in a read, against the written-out mapping:
    an organisation and a contact as owner, notes, an outcome, a client with no phone, a need
    with no description."""
    from outreach.escalations.models import Escalation, EscalationEvent

    provider, coordinator = api_as(world.provider), api_as(world.coordinator)
    meds = f"/escalations/{made['gp_meds']}"
    assert provider.post(f"{meds}/acknowledge", json={"note": "Looking"}).status_code == 200
    assert provider.post(f"{meds}/notes", json={"note": "  "}).status_code in (201, 422)
    assert provider.post(f"{meds}/resolve", json={"outcome": "referred_on", "usefulness": 3,
                                                  "note": "To the pharmacy"}).status_code == 200
    with app.app_context():
        person = db.session.get(Client, world.client_off_round.id)
        person.phone, person.date_of_birth, person.address = None, None, ""
        db.session.get(Escalation, made["food"]).need.description = " "
        db.session.commit()
    body = _bundle(_get(client, "/Task", coordinator, _count="3"))
    body = {**body, "entry": body["entry"] + _bundle(client.get(
        next(link["url"] for link in body["link"] if link["relation"] == "next")
        .removeprefix("http://localhost"),
        headers={"Authorization": f"Bearer {coordinator.token}"}))["entry"]}
    assert body["total"] == 4
    with app.app_context():
        expected = []
        for key in ("gp_pain", "gp_meds", "food", "contact"):
            escalation = db.session.get(Escalation, made[key])
            notes = [{"time": e.at.isoformat(timespec="milliseconds"), "text": e.note}
                     for e in db.session.scalars(select(EscalationEvent).where(
                         EscalationEvent.escalation_id == escalation.id)
                         .order_by(EscalationEvent.id)) if e.note.strip()]
            expected.append({"fullUrl": f"http://localhost/fhir/r4/Task/{escalation.id}",
                             "resource": _expected_task(escalation, notes),
                             "search": {"mode": "match"}})
    assert body["entry"] == expected
    assert [n["text"] for n in expected[1]["resource"]["note"]][:1] == ["Looking"]
    assert "output" in expected[1]["resource"] and "telecom" not in str(expected[2])
    assert "description" not in expected[2]["resource"]
    for entry in expected:
        read = _get(client, f"/Task/{entry['resource']['id']}", coordinator)
        assert read.get_json(force=True) == entry["resource"]
    with app.app_context():
        listed = db.session.scalars(select(AuditEvent).where(
            AuditEvent.actor_id == world.coordinator.id,
            AuditEvent.action == "client.list")).all()
        assert {(e.subject_type, e.subject_id, e.client_id, e.detail["for"]) for e in listed} == {
            ("client", str(c), c, "fhir")
            for c in (world.client_on_round.id, world.client_off_round.id)}
