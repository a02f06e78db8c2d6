"""Consent withdrawn, client erased: the provider is told the escalation was withdrawn, keeps no
personal data on any route (API, pull feed, FHIR, Atom, web, webhooks), and may no longer act
on it. (The same rule over every route of the URL map: tests/test_withdrawn_access.py.)"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.task import Task
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.consent.models import Consent
from outreach.db import db
from outreach.enums import ConsentPurpose
from outreach.escalations import feed
from outreach.escalations.models import Escalation
from outreach.escalations.webhooks import deliver_due
from outreach.needs.services import create_need
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from tests.conftest import csrf_token
from tests.webhook_receiver import running

NAME, ADDRESS, PHONE = "Philomena Quenault", "7 Rue des Kiwis, Trinity", "+447700900777"
BIRTH, WORDS, NOTE = "1936-02-29", "Dizzy spells since Tuesday", "Spoke to her neighbour Odile"
PERSONAL = (NAME, "Quenault", ADDRESS, "Rue des Kiwis", PHONE, "7700900777", BIRTH, WORDS, NOTE)
ATOM = "{http://www.w3.org/2005/Atom}"


def leaks(text: str) -> list[str]:
    """The seeded personal values found in `text`."""
    return [value for value in PERSONAL if value in text]


@pytest.fixture
def philomena(app, setting, api_as):
    """A client of the GP practice, sharing with it, with a live escalation the GP has noted."""
    with app.app_context():
        person = db.session.get(Client, setting.mary.id)
        person.full_name, person.address, person.phone = NAME, ADDRESS, PHONE
        from datetime import date

        person.date_of_birth = date.fromisoformat(BIRTH)
        db.session.add(Consent(client_id=person.id, purpose=ConsentPurpose.SHARE_INFORMATION,
                               organisation_id=setting.gp.id, given_at=person.created_at))
        need = create_need(None, person, "pain_or_illness", "soon", WORDS, "visit")
        db.session.commit()
        feed.sequence_committed()
        escalation = db.session.scalar(select(Escalation).where(Escalation.need_id == need.id))
        assert escalation.organisation_id == setting.gp.id
        escalation_id = escalation.id
    gp = api_as(setting.provider)
    assert gp.post(f"/escalations/{escalation_id}/notes", json={"note": NOTE}).status_code == 201
    assert NAME in gp.get(f"/escalations/{escalation_id}").get_data(as_text=True)
    return escalation_id


def withdraw_gp(app, setting, api_as) -> None:
    with app.app_context():
        consent = db.session.scalar(select(Consent).where(
            Consent.client_id == setting.mary.id, Consent.organisation_id == setting.gp.id))
    response = api_as(setting.coordinator).post(
        f"/clients/{setting.mary.id}/consents/{consent.id}/withdraw", json={"reason": "Asked"})
    assert response.status_code == 200, response.get_json()


def fhir(client, path: str, api) -> tuple[int, dict]:
    response = client.get(f"/fhir/r4{path}", headers={"Authorization": f"Bearer {api.token}"})
    return response.status_code, json.loads(response.get_data(as_text=True))


def test_after_consent_is_withdrawn_the_provider_keeps_only_a_withdrawn_record(
        app, setting, api_as, client, login, philomena):
    gp = api_as(setting.provider)
    withdraw_gp(app, setting, api_as)
    # Later changes to the client must not reach the provider either.
    assert api_as(setting.coordinator).patch(f"/clients/{setting.mary.id}", json={
        "address": "9 Chemin Nouveau, St Ouen"}).status_code == 200

    one = gp.get(f"/escalations/{philomena}").get_json()
    assert one["client"] is None and one["withdrawn"] == "consent_withdrawn"
    assert [n["description"] for n in one["needs"]] == [""]
    assert {e["note"] for e in one["events"]} == {""}
    assert "withdrawn" in [e["kind"] for e in one["events"]]
    listed = gp.get("/escalations").get_json()["items"]
    assert [e["withdrawn"] for e in listed if e["id"] == philomena] == ["consent_withdrawn"]
    pulled = gp.get("/escalations", query_string={"since": "0", "limit": 100}).get_json()
    withdrawn = [i for i in pulled["items"] if i["kind"] == "withdrawn"]
    assert [(i["escalation_id"], i["detail"]["because"]) for i in withdrawn] == [
        (philomena, "consent_withdrawn")]

    status, task = fhir(client, f"/Task/{philomena}", gp)
    assert status == 200
    Task.model_validate(task)  # still a valid FHIR Task, without its Patient
    assert (task["status"], task["businessStatus"]["text"]) == ("cancelled", "withdrawn")
    assert not {"contained", "for", "description", "note"} & set(task)
    status, bundle = fhir(client, "/Task", gp)
    for entry in bundle.get("entry", []):
        Task.model_validate(entry["resource"])

    atom = client.get("/feeds/escalations.atom",
                      headers={"Authorization": f"Bearer {gp.token}"}).get_data(as_text=True)
    titles = [e.findtext(f"{ATOM}title") for e in ET.fromstring(atom).iter(f"{ATOM}entry")]  # noqa: S314 - our own output
    assert titles[0] == "Withdrawn: pain or illness, soon"

    login(setting.provider)
    page = client.get(f"/escalations/{philomena}").get_data(as_text=True)
    assert "the client withdrew their consent to share information with you" in page

    everything = json.dumps([one, listed, pulled, task, bundle]) + atom + page
    assert leaks(everything) == [] and "Chemin Nouveau" not in everything


def test_a_provider_cannot_add_notes_to_a_withdrawn_escalation(app, setting, api_as, client,
                                                               login, philomena):
    withdraw_gp(app, setting, api_as)
    gp = api_as(setting.provider)
    refused = gp.post(f"/escalations/{philomena}/notes", json={"note": "Still on it"})
    assert refused.status_code == 403
    login(setting.provider)
    page = client.post(f"/escalations/{philomena}/notes", data={
        "note": "Still on it", "csrf_token": csrf_token(client, f"/escalations/{philomena}")})
    assert page.status_code == 403
    with app.app_context():
        denials = db.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "escalation.denied",
            AuditEvent.actor_id == setting.provider.id)).all()
        notes = db.session.scalars(select(Escalation).where(Escalation.id == philomena)).one()
        assert [e.note for e in notes.events if e.kind == "note"] == [NOTE]
    assert [d["action"] for d in denials] == ["note", "note"]


def test_consent_given_again_and_a_new_escalation_show_the_client_again(app, setting, api_as,
                                                                        philomena):
    withdraw_gp(app, setting, api_as)
    gp = api_as(setting.provider)
    assert gp.get(f"/escalations/{philomena}").get_json()["client"] is None
    assert api_as(setting.coordinator).post(f"/clients/{setting.mary.id}/consents", json={
        "purpose": "share_information", "organisation_id": setting.gp.id}).status_code == 201
    # Consent alone is not enough: the GP holds nothing live about her.
    assert gp.get(f"/escalations/{philomena}").get_json()["client"] is None
    with app.app_context():
        create_need(None, db.session.get(Client, setting.mary.id), "medication", "soon",
                    "Needs a repeat", "visit")
        db.session.commit()
    again = gp.get(f"/escalations/{philomena}").get_json()
    assert again["client"]["full_name"] == NAME and again["withdrawn"] is None


def test_webhooks_after_withdrawal_carry_no_personal_data(app, setting, api_as, philomena,
                                                          monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_HANDOVER", "none")
    with running() as receiver:
        with app.app_context():
            gp = db.session.get(Organisation, setting.gp.id)
            gp.webhook_url, gp.webhook_secret = receiver.url, "whsec_withdrawal-test"
            db.session.commit()
        withdraw_gp(app, setting, api_as)
        with app.app_context():
            deliver_due()
    kinds = [json.loads(r.body)["kind"] for r in receiver.received]
    assert kinds == ["reassigned", "withdrawn"]
    for received in receiver.received:
        assert leaks(received.body.decode()) == []
        assert json.loads(received.body)["escalation"]["withdrawn"] == "consent_withdrawn"


def test_after_erasure_the_withdrawn_record_is_all_that_is_left(app, setting, api_as, client,
                                                                login, philomena,
                                                                monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_HANDOVER", "none")
    gp = api_as(setting.provider)
    _, cursor = _drain(gp)
    with running() as receiver:
        with app.app_context():
            organisation = db.session.get(Organisation, setting.gp.id)
            organisation.webhook_url, organisation.webhook_secret = receiver.url, "whsec_x"
            db.session.commit()
        result = app.test_cli_runner().invoke(
            args=["outreach", "erase-client", str(setting.mary.id), "--yes"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            feed.sequence_committed()
            feed.assign_positions()
            db.session.commit()
            deliver_due()
    [body] = [json.loads(r.body) for r in receiver.received]
    assert (body["kind"], body["escalation_id"], body["escalation"]) == (
        "withdrawn", philomena, None)
    assert body["detail"]["because"] == "erased"

    after, _ = _drain(gp, cursor)
    assert [(i["kind"], i["escalation_id"], i["escalation"]) for i in after] == [
        ("withdrawn", philomena, None)]
    gone = gp.get(f"/escalations/{philomena}")
    assert (gone.status_code, gone.get_json()["error"]["code"]) == (410, "withdrawn")
    status, outcome = fhir(client, f"/Task/{philomena}", gp)
    assert status == 410
    OperationOutcome.model_validate(outcome)
    assert outcome["issue"][0]["code"] == "deleted"
    atom = client.get("/feeds/escalations.atom",
                      headers={"Authorization": f"Bearer {gp.token}"}).get_data(as_text=True)
    assert f"Withdrawn: escalation {philomena}" in atom
    login(setting.provider)
    assert client.get(f"/escalations/{philomena}").status_code == 410
    everything = json.dumps([body, after, outcome]) + atom + gone.get_data(as_text=True)
    assert leaks(everything) == []


def _drain(api, since: str = "0") -> tuple[list[dict], str]:
    items: list[dict] = []
    while True:
        body = api.get("/escalations", query_string={"since": since, "limit": 50}).get_json()
        items += body["items"]
        if not body["items"]:
            return items, body["next_cursor"]
        since = body["next_cursor"]
