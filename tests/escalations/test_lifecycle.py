"""An escalation's life through the API: acknowledge, note, resolve with an outcome, hand back,
reassign, reopen; repeat reports join; the client and the contact hear by text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.db import db, set_clock, utcnow
from outreach.enums import ConsentPurpose, EscalationStatus, MessageKind, NeedStatus
from outreach.escalations.models import Escalation, EscalationEvent
from outreach.messages.models import Message
from outreach.needs.models import Need
from outreach.needs.services import create_need
from outreach.people.models import Client
from tests import factories
from tests.messages import reply_of, text_in


@pytest.fixture
def shared(app, setting):
    """The setting, with Mary sharing with every partner and her daughter."""
    with app.app_context():
        setting.share_with_everyone()
        db.session.commit()
    return setting


def raise_need(app, setting, category="pain_or_illness", severity="soon", source="sms",
               description="Bad pain in her hip") -> int:
    with app.app_context():
        need = create_need(None, db.session.get(Client, setting.mary.id), category, severity,
                           description, source)
        db.session.commit()
        return need.id


def escalations_of(app, need_id: int) -> list[Escalation]:
    with app.app_context():
        return list(db.session.scalars(select(Escalation).where(Escalation.need_id == need_id)
                                       .order_by(Escalation.id)))


def events_of(app, escalation_id: int) -> list[str]:
    with app.app_context():
        return [e.kind.value for e in db.session.scalars(
            select(EscalationEvent).where(EscalationEvent.escalation_id == escalation_id)
            .order_by(EscalationEvent.id))]


def texts_to(app, phone: str, kind: MessageKind) -> list[Message]:
    with app.app_context():
        return list(db.session.scalars(select(Message).where(
            Message.phone == phone, Message.kind == kind).order_by(Message.id)))


def test_the_provider_acknowledges_once_however_often_it_asks(app, api_as, shared):
    [escalation] = escalations_of(app, raise_need(app, shared))
    api = api_as(shared.provider)
    first = api.post(f"/escalations/{escalation.id}/acknowledge", json={"note": "Calling her"})
    again = api.post(f"/escalations/{escalation.id}/acknowledge", json={})
    assert first.status_code == again.status_code == 200
    assert first.get_json()["status"] == again.get_json()["status"] == "acknowledged"
    assert first.get_json()["acknowledged_at"] == again.get_json()["acknowledged_at"]
    assert events_of(app, escalation.id) == ["created", "acknowledged"]


def test_resolving_needs_an_outcome_and_from_a_provider_a_rating(app, api_as, shared):
    need_id = raise_need(app, shared)
    [escalation] = escalations_of(app, need_id)
    api = api_as(shared.provider)
    url = f"/escalations/{escalation.id}/resolve"
    no_outcome = api.post(url, json={"usefulness": 4})
    assert no_outcome.status_code == 422
    assert "outcome" in no_outcome.get_json()["error"]["fields"]
    no_rating = api.post(url, json={"outcome": "helped"})
    assert no_rating.status_code == 422
    assert "usefulness" in no_rating.get_json()["error"]["fields"]
    out_of_range = api.post(url, json={"outcome": "helped", "usefulness": 6})
    assert out_of_range.status_code == 422
    assert events_of(app, escalation.id) == ["created"]  # nothing half-stored
    done = api.post(url, json={"outcome": "helped", "usefulness": 5,
                               "note": "Seen by the nurse this afternoon"})
    assert done.status_code == 200
    body = done.get_json()
    assert body["status"] == "resolved" and body["outcome"] == "helped"
    assert body["usefulness"] == 5 and body["acknowledged_at"] is not None
    assert api.post(url, json={"outcome": "helped", "usefulness": 5}).status_code == 409
    with app.app_context():
        need = db.session.get(Need, need_id)
        assert need.status == NeedStatus.RESOLVED
        assert need.resolution.startswith("Cheapside Surgery: helped")


def test_the_client_hears_the_outcome_by_text(app, api_as, shared):
    [escalation] = escalations_of(app, raise_need(app, shared))
    api_as(shared.provider).post(f"/escalations/{escalation.id}/resolve",
                                 json={"outcome": "helped", "usefulness": 4})
    [told] = texts_to(app, shared.mary.phone, MessageKind.OUTCOME)
    assert told.body == ("Hello Mary, it's Call & Check. You told us about pain or illness: "
                         "Cheapside Surgery has dealt with it. Text us if you still need help.")
    assert events_of(app, escalation.id) == ["created", "resolved", "message"]


def test_the_safety_nets_own_concerns_are_not_texted_back_to_the_client(app, api_as, shared):
    [escalation] = escalations_of(app, raise_need(app, shared, category="missed_visit",
                                                  source="system"))
    response = api_as(shared.coordinator).post(f"/escalations/{escalation.id}/resolve",
                                               json={"outcome": "not_needed"})
    assert response.status_code == 200
    assert texts_to(app, shared.mary.phone, MessageKind.OUTCOME) == []


def test_a_repeat_report_joins_the_live_escalation_and_brings_its_times_forward(app, shared):
    first = raise_need(app, shared, category="food_or_shopping", severity="routine")
    [escalation] = escalations_of(app, first)
    second = raise_need(app, shared, category="food_or_shopping", severity="urgent",
                        description="Nothing to eat today")
    with app.app_context():
        joined = db.session.get(Escalation, escalation.id)
        assert escalations_of(app, second) == []  # no second escalation
        assert joined.severity == "urgent"
        assert joined.due_at < escalation.due_at
        assert joined.due_at - utcnow() <= timedelta(hours=1)
        assert db.session.scalar(select(func.count(Escalation.id))) == 1
    assert events_of(app, escalation.id) == ["created", "joined"]


def test_a_provider_hands_back_to_the_coordinator(app, api_as, shared):
    [escalation] = escalations_of(app, raise_need(app, shared))
    api = api_as(shared.provider)
    assert api.post(f"/escalations/{escalation.id}/hand-back", json={"note": ""}
                    ).status_code == 422
    response = api.post(f"/escalations/{escalation.id}/hand-back",
                        json={"note": "Not registered with us any more"})
    assert response.status_code == 200
    successor = response.get_json()
    assert successor["organisation_id"] == shared.operator.id
    assert successor["previous_id"] == escalation.id
    # Nothing live is left with the provider: the answer keeps the client and words back.
    assert successor["client"] is None and successor["routed_because"] == ""
    seen = api_as(shared.coordinator).get(f"/escalations/{successor['id']}").get_json()
    assert seen["routed_because"] == "Handed back: Not registered with us any more"
    assert events_of(app, escalation.id) == ["created", "handed_back"]
    # It is no longer the provider's to act on, nor to see in its queue.
    assert api.post(f"/escalations/{escalation.id}/acknowledge", json={}).status_code == 409
    assert api.get(f"/escalations/{successor['id']}").status_code == 403


def test_reassigning_needs_consent_to_share_with_the_new_recipient(app, api_as, setting):
    with app.app_context():
        factories.consent(db.session.get(Client, setting.mary.id),
                          ConsentPurpose.SHARE_INFORMATION, organisation_id=setting.gp.id)
        db.session.commit()
    [escalation] = escalations_of(app, raise_need(app, setting))
    api = api_as(setting.coordinator)
    refused = api.post(f"/escalations/{escalation.id}/reassign",
                       json={"organisation_id": setting.food_bank.id})
    assert refused.status_code == 422
    assert "agreed to share" in refused.get_json()["error"]["message"]
    assert events_of(app, escalation.id) == ["created"]
    both = api.post(f"/escalations/{escalation.id}/reassign",
                    json={"organisation_id": setting.gp.id, "contact_id": setting.daughter.id})
    assert both.status_code == 422
    to_coordinator = api.post(f"/escalations/{escalation.id}/reassign",
                              json={"organisation_id": setting.operator.id, "note": "I'll call"})
    assert to_coordinator.status_code == 200
    assert to_coordinator.get_json()["organisation_id"] == setting.operator.id
    assert events_of(app, escalation.id) == ["created", "reassigned"]


def test_reopening_puts_it_back_in_the_queue_with_new_times(app, api_as, shared):
    need_id = raise_need(app, shared)
    [escalation] = escalations_of(app, need_id)
    api_as(shared.provider).post(f"/escalations/{escalation.id}/resolve",
                                 json={"outcome": "helped", "usefulness": 3})
    set_clock(utcnow() + timedelta(days=2))
    try:
        api = api_as(shared.coordinator)
        assert api.post(f"/escalations/{escalation.id}/reopen", json={"note": ""}
                        ).status_code == 422
        response = api.post(f"/escalations/{escalation.id}/reopen",
                            json={"note": "Pain is back"})
        assert response.status_code == 200
        body = response.get_json()
        assert body["status"] == "reopened" and body["outcome"] is None
        assert body["resolved_at"] is None and body["acknowledged_at"] is None
        with app.app_context():
            assert db.session.get(Need, need_id).status == NeedStatus.OPEN
            assert db.session.get(Escalation, escalation.id).due_at > utcnow()
    finally:
        set_clock(None)


def test_another_organisations_escalation_is_refused_and_audited(app, api_as, shared):
    need_id = raise_need(app, shared, category="food_or_shopping")
    [escalation] = escalations_of(app, need_id)
    assert escalation.organisation_id == shared.food_bank.id
    api = api_as(shared.provider)  # the GP practice's user
    for path, body in (("acknowledge", {}), ("notes", {"note": "Peek"}),
                       ("resolve", {"outcome": "helped", "usefulness": 1}),
                       ("hand-back", {"note": "Not ours"})):
        assert api.post(f"/escalations/{escalation.id}/{path}", json=body).status_code == 403
    assert api.get(f"/escalations/{escalation.id}").status_code == 403
    assert events_of(app, escalation.id) == ["created"]
    with app.app_context():
        denied = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "escalation.denied",
            AuditEvent.actor_id == shared.provider.id)).all()
        assert len(denied) == 5
        assert {e.detail["escalation_id"] for e in denied} == {escalation.id}
    listed = api.get("/escalations").get_json()["items"]
    assert escalation.id not in {item["id"] for item in listed}


def test_a_provider_sees_only_what_it_needs_about_the_client(app, api_as, shared):
    raise_need(app, shared, category="food_or_shopping", description="Fridge empty")
    [escalation] = escalations_of(app, raise_need(app, shared))
    body = api_as(shared.provider).get(f"/escalations/{escalation.id}").get_json()
    assert set(body["client"]) == {"id", "full_name", "date_of_birth", "address", "phone"}
    assert [n["category"] for n in body["needs"]] == ["pain_or_illness"]  # not the food need
    assert "notes" not in body["client"] and "access_notes" not in body["client"]
    with app.app_context():
        read = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "client.read", AuditEvent.actor_id == shared.provider.id))
        assert [e.detail["for"] for e in read] == ["escalation"]


def test_a_contact_replying_ok_takes_the_alert_on(app, client, shared):
    [escalation] = escalations_of(app, raise_need(app, shared, category="fall",
                                                  severity="urgent", source="visit"))
    assert escalation.contact_id == shared.daughter.id
    [alert] = texts_to(app, shared.daughter.phone, MessageKind.ALERT)
    assert "Reply OK" in alert.body
    assert reply_of(text_in(client, " ok ", shared.daughter.phone)) == (
        "Thank you. We have noted that you are dealing with it.")
    with app.app_context():
        taken = db.session.get(Escalation, escalation.id)
        assert taken.status == EscalationStatus.ACKNOWLEDGED
        assert taken.acknowledged_by_id is None
        event = db.session.scalars(select(EscalationEvent).where(
            EscalationEvent.escalation_id == escalation.id,
            EscalationEvent.kind == "acknowledged")).one()
        assert event.via == "sms" and event.detail["contact_id"] == shared.daughter.id
    # The same OK again within minutes is a repeat: the same answer, nothing taken twice.
    assert reply_of(text_in(client, "OK", shared.daughter.phone)) == (
        "Thank you. We have noted that you are dealing with it.")
    with app.app_context():
        assert db.session.scalar(select(func.count(EscalationEvent.id)).where(
            EscalationEvent.escalation_id == escalation.id,
            EscalationEvent.kind == "acknowledged")) == 1


def test_a_need_met_elsewhere_closes_its_escalations(app, shared):
    from outreach.needs.services import close_need

    need_id = raise_need(app, shared, category="no_answer", source="system")
    [escalation] = escalations_of(app, need_id)
    with app.app_context():
        close_need(db.session.get(Need, need_id), utcnow(), "Seen on Tuesday",
                   by="safety_net", via="system")
        db.session.commit()
        closed = db.session.get(Escalation, escalation.id)
        assert closed.status == EscalationStatus.RESOLVED
        assert closed.outcome == "not_needed" and closed.outcome_note == "Seen on Tuesday"


def test_withdrawing_consent_takes_live_escalations_back_to_the_coordinator(app, api_as, shared):
    from outreach.consent.models import Consent

    [escalation] = escalations_of(app, raise_need(app, shared, category="food_or_shopping"))
    assert escalation.organisation_id == shared.food_bank.id
    with app.app_context():
        consent = db.session.scalar(select(Consent).where(
            Consent.client_id == shared.mary.id,
            Consent.organisation_id == shared.food_bank.id))
    response = api_as(shared.coordinator).post(
        f"/clients/{shared.mary.id}/consents/{consent.id}/withdraw",
        json={"reason": "Does not want the food bank told"})
    assert response.status_code == 200, response.get_json()
    with app.app_context():
        old = db.session.get(Escalation, escalation.id)
        assert old.status == EscalationStatus.REASSIGNED
        [successor] = db.session.scalars(select(Escalation).where(
            Escalation.previous_id == escalation.id)).all()
        assert successor.organisation_id == shared.operator.id
        assert successor.routed_because == "Consent to share was withdrawn."
    # The food bank can no longer act on it: it was withdrawn from it (refused, audited).
    assert api_as(shared.food_bank_user).post(f"/escalations/{escalation.id}/acknowledge",
                                              json={}).status_code == 403
