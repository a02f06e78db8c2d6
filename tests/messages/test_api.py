"""The messages API: the log, one message, a coordinator's own texts, deciding an interrupted
send, and the opt-out list; who sees what, what is audited, and bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from channels.sms import LookupResult, ProviderStatus, SendFailed
from outreach.audit.models import AuditEvent
from outreach.db import db, set_clock
from outreach.enums import ConsentPurpose, Language
from outreach.messages import numbers
from outreach.messages.models import Message, MessageEvent, SmsNumber
from outreach.people.models import Client, Contact
from tests import factories
from tests.api.test_bad_input import assert_error, snapshot
from tests.conftest import ACCEPTED

NOW = datetime(2025, 3, 3, 11, 0, tzinfo=UTC)  # a Monday morning in Jersey (GMT)
NIGHT = datetime(2025, 3, 3, 22, 30, tzinfo=UTC)  # in the quiet hours
OUR_NUMBER = "+447700900001"  # TWILIO_FROM_NUMBER in the test settings
ELSEWHERE = "+447700900002"  # a number none of the world's programmes texts from


@pytest.fixture(autouse=True)
def _clock():
    set_clock(NOW)
    yield
    set_clock(None)


@pytest.fixture
def log(app, world):
    """A few texts: about each kind of client, from an unknown number to our number and to a
    number nobody here uses, and an interrupted send about the client on the round."""
    with app.app_context():
        get = db.session.get
        on, off = get(Client, world.client_on_round.id), get(Client, world.client_off_round.id)
        foreign = get(Client, world.foreign_client.id)
        made = SimpleNamespace(
            on=factories.message(on, status="delivered").id,
            off=factories.message(off, direction="inbound", status="received",
                                  meaning="check_in_answer", body="1").id,
            foreign=factories.message(foreign, status="sent").id,
            stranger=factories.message(None, direction="inbound", status="received",
                                       meaning="unknown_sender", body="who is this?").id,
            elsewhere=factories.message(None, direction="inbound", status="received",
                                        service_number=ELSEWHERE, body="wrong number").id,
            unknown=factories.message(on, status="unknown", attempts=1,
                                      error_reason="The send was interrupted.").id,
            foreign_unknown=factories.message(foreign, status="unknown").id,
        )
        db.session.add(MessageEvent(message_id=made.on, status="queued", at=NOW,
                                    detail="Written to the outbox"))
        db.session.add(MessageEvent(message_id=made.on, status="delivered", at=NOW,
                                    detail="Accepted by console (delivered)"))
        db.session.commit()
        return made


def ids(response) -> set[int]:
    assert response.status_code == 200, response.get_json()
    return {item["id"] for item in response.get_json()["items"]}


def audit(app, action: str, actor=None) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action == action)
        if actor is not None:
            query = query.where(AuditEvent.actor_id == actor.id)
        return list(db.session.scalars(query.order_by(AuditEvent.id)))


def stored(app, message_id: int) -> Message:
    with app.app_context():
        message = db.session.get(Message, message_id)
        message.events  # noqa: B018 - load the history before the context closes
        return message


# --- The log ---------------------------------------------------------------------------------

def test_coordinator_sees_their_clients_texts_and_unknown_senders_to_their_number(
        app, world, log, api_as):
    got = ids(api_as(world.coordinator).get("/messages?limit=100"))
    assert got == {log.on, log.off, log.stranger, log.unknown}
    # The other operator's programme also texts from the deployment's number, so it sees the
    # unknown sender too, but none of this operator's clients.
    other = ids(api_as(world.other_coordinator).get("/messages?limit=100"))
    assert other == {log.foreign, log.foreign_unknown, log.stranger}
    everything = ids(api_as(world.admin).get("/messages?limit=100"))
    assert everything == set(vars(log).values())


def test_a_programme_with_its_own_number_keeps_its_unknown_senders(app, world, log, api_as):
    with app.app_context():
        from outreach.programmes.models import Programme

        db.session.get(Programme, world.other_programme.id).sms_number = ELSEWHERE
        db.session.commit()
    assert log.elsewhere in ids(api_as(world.other_coordinator).get("/messages?limit=100"))
    assert log.stranger not in ids(api_as(world.other_coordinator).get("/messages?limit=100"))
    assert log.elsewhere not in ids(api_as(world.coordinator).get("/messages?limit=100"))


def test_listing_is_audited_for_each_client_shown(app, world, log, api_as):
    ids(api_as(world.coordinator).get("/messages?limit=100"))
    listed = {e.client_id for e in audit(app, "client.list", world.coordinator)}
    assert listed == {world.client_on_round.id, world.client_off_round.id}


def test_filters(app, world, log, api_as):
    api = api_as(world.coordinator)
    assert ids(api.get("/messages", query_string={"direction": "inbound"})) == {
        log.off, log.stranger}
    assert ids(api.get("/messages", query_string={"status": "unknown"})) == {log.unknown}
    assert ids(api.get("/messages", query_string={"kind": "free_text"})) == {log.on, log.unknown}
    assert ids(api.get("/messages", query_string={
        "programme_id": world.programme.id})) == {log.on, log.off, log.unknown}
    assert ids(api.get("/messages", query_string={
        "client_id": world.client_on_round.id})) == {log.on, log.unknown}
    reads = audit(app, "client.read", world.coordinator)
    assert [(e.client_id, e.detail["for"]) for e in reads] == [
        (world.client_on_round.id, "messages")]


def test_filtering_by_a_client_one_may_not_see_is_refused_and_audited(app, world, log, api_as):
    response = api_as(world.coordinator).get(
        "/messages", query_string={"client_id": world.foreign_client.id})
    assert_error(response, 403, code="forbidden")
    denied = audit(app, "client.denied", world.coordinator)
    assert [e.client_id for e in denied] == [world.foreign_client.id]


@pytest.mark.parametrize("query", [
    {"status": "lost"}, {"direction": "sideways"}, {"kind": "poem"}, {"client_id": "abc"},
    {"client_id": "0"}, {"programme_id": str(2**70)}, {"cursor": "%%%"}, {"limit": "0"},
    {"colour": "red"},
])
def test_bad_filters_are_refused(world, log, api_as, query):
    response = api_as(world.coordinator).get("/messages", query_string=query)
    assert_error(response, (400, 422))


def test_pages_through_the_log_with_a_cursor(world, log, api_as):
    api = api_as(world.admin)
    seen, cursor = [], None
    while True:
        body = api.get("/messages", query_string={"limit": 2, **(
            {"cursor": cursor} if cursor else {})}).get_json()
        seen += [m["id"] for m in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and set(seen) >= set(vars(log).values())


@pytest.mark.parametrize("role", ["visitor", "provider", "tutor"])
def test_other_roles_have_no_messages_at_all(app, world, log, api_as, role):
    api = api_as(getattr(world, role))
    for response in (api.get("/messages"), api.get(f"/messages/{log.on}"),
                     api.post("/messages", json={"client_id": world.client_on_round.id,
                                                 "body": "Hello"}),
                     api.post(f"/messages/{log.unknown}/decide", json={"action": "drop"}),
                     api.get("/opt-outs")):
        assert_error(response, 403)
    with app.app_context():
        assert db.session.get(Message, log.unknown).status == "unknown"


def test_anonymous_callers_are_asked_for_a_token(client, log):
    assert client.get("/api/v1/messages").status_code == 401
    assert client.get(f"/api/v1/messages/{log.on}").status_code == 401


# --- One message -------------------------------------------------------------------------------

def test_one_message_with_its_history_is_an_audited_read(app, world, log, api_as):
    response = api_as(world.coordinator).get(f"/messages/{log.on}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["client_id"] == world.client_on_round.id
    assert body["direction"] == "outbound" and body["status"] == "delivered"
    assert body["cost_estimate"] == "0.0000" and isinstance(body["cost_estimate"], str)
    assert body["created_at"].endswith("+00:00")
    expected = {"id", "direction", "kind", "meaning", "status", "client_id", "contact_id",
                "programme_id", "phone", "service_number", "body", "language", "encoding",
                "segments", "cost_estimate", "urgent", "provider_sid", "attempts", "send_at",
                "held_reason", "error_code", "error_reason", "sent_at", "delivered_at",
                "created_at", "reply_due_at", "answered_at", "answer", "need_id",
                "in_reply_to_id", "events"}
    assert set(body) == expected
    assert [e["status"] for e in body["events"]] == ["queued", "delivered"]
    assert set(body["events"][0]) == {"status", "at", "error_code", "detail"}
    reads = audit(app, "client.read", world.coordinator)
    assert [(e.client_id, e.detail) for e in reads] == [
        (world.client_on_round.id, {"for": "messages", "message_id": log.on})]


def test_another_operators_message_is_refused_and_the_attempt_audited(app, world, log, api_as):
    assert_error(api_as(world.coordinator).get(f"/messages/{log.foreign}"), 403)
    assert [e.client_id for e in audit(app, "client.denied", world.coordinator)] == [
        world.foreign_client.id]
    assert audit(app, "client.read", world.coordinator) == []


def test_an_unknown_senders_text_is_shown_only_to_whom_it_came(app, world, log, api_as):
    assert api_as(world.coordinator).get(f"/messages/{log.stranger}").status_code == 200
    assert [e.subject_id for e in audit(app, "message.read", world.coordinator)] == [
        str(log.stranger)]
    # To a number no programme of theirs uses: not even its existence is told.
    assert_error(api_as(world.coordinator).get(f"/messages/{log.elsewhere}"), 404)
    assert api_as(world.admin).get(f"/messages/{log.elsewhere}").status_code == 200


@pytest.mark.parametrize("message_id", ["999999", str(2**31 - 1), str(2**70)])
def test_missing_message_is_404(world, api_as, message_id):
    response = api_as(world.admin).get(f"/messages/{message_id}")
    assert_error(response, 404)


# --- Sending a text --------------------------------------------------------------------------

def test_coordinator_texts_a_client_and_it_is_sent_after_commit(app, world, api_as, console_sms):
    api = api_as(world.coordinator)
    response = api.post("/messages", json={"client_id": world.client_off_round.id,
                                           "body": "Hello, the visitor is late today."})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["kind"] == "free_text" and body["status"] == "queued"
    assert body["phone"] == world.client_off_round.phone
    assert body["service_number"] == OUR_NUMBER
    assert (body["encoding"], body["segments"], body["cost_estimate"]) == ("GSM-7", 1, "0.0400")
    # Sent by the console backend right after the request committed.
    message = stored(app, body["id"])
    assert message.status == "delivered" and message.backend == "console"
    assert [e.status for e in message.events] == ["queued", "sending", "delivered"]
    sent = audit(app, "message.send", world.coordinator)
    assert [(e.client_id, e.subject_id) for e in sent] == [
        (world.client_off_round.id, str(body["id"]))]
    assert "body" not in sent[0].detail and "late" not in repr(sent[0].detail)


def test_emoji_and_long_texts_are_counted_in_segments(app, world, api_as):
    api = api_as(world.coordinator)
    emoji = api.post("/messages", json={"client_id": world.client_on_round.id,
                                        "body": "Bonne journée 🌞"}).get_json()
    assert (emoji["encoding"], emoji["segments"]) == ("UCS-2", 1)
    long = api.post("/messages", json={"client_id": world.client_on_round.id,
                                       "body": "a" * 1600}).get_json()
    assert (long["encoding"], long["segments"], long["cost_estimate"]) == (
        "GSM-7", 11, "0.4400")


def test_in_quiet_hours_a_text_waits_unless_urgent(app, world, api_as):
    set_clock(NIGHT)
    api = api_as(world.coordinator)
    held = api.post("/messages", json={"client_id": world.client_on_round.id,
                                       "body": "See you tomorrow"}).get_json()
    assert held["status"] == "queued" and held["held_reason"].startswith("Quiet hours")
    assert held["send_at"] == "2025-03-04T08:00:00+00:00"
    assert stored(app, held["id"]).status == "queued"
    urgent = api.post("/messages", json={"client_id": world.client_on_round.id,
                                         "body": "Please call the office", "urgent": True})
    assert urgent.get_json()["urgent"] is True
    assert stored(app, urgent.get_json()["id"]).status == ACCEPTED


def _contact(app, world, *, consent: bool, **kw) -> int:
    with app.app_context():
        client = db.session.get(Client, world.client_on_round.id)
        contact = factories.contact(client, **kw)
        if consent:
            factories.consent(client, ConsentPurpose.TAKE_PART)
            factories.consent(client, ConsentPurpose.SHARE_INFORMATION, contact_id=contact.id)
        db.session.commit()
        return contact.id


def test_a_contact_is_texted_in_their_language_only_with_consent(app, world, api_as):
    contact_id = _contact(app, world, consent=True, preferred_language=Language.POLISH)
    response = api_as(world.coordinator).post("/messages", json={
        "client_id": world.client_on_round.id, "contact_id": contact_id,
        "body": "Dzień dobry, wszystko w porządku."})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    with app.app_context():
        assert body["phone"] == db.session.get(Contact, contact_id).phone
    assert body["contact_id"] == contact_id and body["language"] == "pl"


def test_a_contact_without_consent_is_refused(app, world, api_as):
    contact_id = _contact(app, world, consent=False)
    api = api_as(world.coordinator)
    before = snapshot(app)
    response = api.post("/messages", json={
        "client_id": world.client_on_round.id, "contact_id": contact_id, "body": "Hello"})
    error = assert_error(response, 422, field="contact_id")
    assert "agreed" in error["message"]
    assert snapshot(app) == before


def test_another_clients_contact_is_refused(app, world, api_as):
    with app.app_context():
        other = factories.contact(db.session.get(Client, world.client_off_round.id)).id
        db.session.commit()
    response = api_as(world.coordinator).post("/messages", json={
        "client_id": world.client_on_round.id, "contact_id": other, "body": "Hello"})
    assert_error(response, 422, field="contact_id")


@pytest.mark.parametrize("state", ["opted_out", "invalid", "no_phone"])
def test_a_client_who_may_not_be_texted_is_refused_and_nothing_is_stored(
        app, world, api_as, state):
    with app.app_context():
        client = db.session.get(Client, world.client_on_round.id)
        if state == "no_phone":
            client.phone = None
        else:
            factories.sms_number(client.phone, **{state: True})
        db.session.commit()
    api = api_as(world.coordinator)
    before = snapshot(app)
    response = api.post("/messages", json={"client_id": world.client_on_round.id,
                                           "body": "Hello"})
    error = assert_error(response, 422, field="client_id")
    assert {"opted_out": "opted out", "invalid": "not a working mobile",
            "no_phone": "no mobile number"}[state] in error["message"]
    assert snapshot(app) == before


def test_a_number_that_opts_out_after_the_text_was_written_gets_nothing(app, world, api_as):
    """The dispatcher asks again when it sends: a STOP in between wins."""
    set_clock(NIGHT)
    held = api_as(world.coordinator).post("/messages", json={
        "client_id": world.client_on_round.id, "body": "Tomorrow"}).get_json()
    with app.app_context():
        numbers.opt_out(world.client_on_round.phone, "replied STOP", NIGHT)
        db.session.commit()
    from outreach.messages.dispatch import dispatch

    with app.app_context():
        assert dispatch(held["id"], datetime(2025, 3, 4, 9, 0, tzinfo=UTC)) == "cancelled"
        db.session.commit()


@pytest.mark.parametrize(("body", "field"), [
    ({"body": "Hello"}, "client_id"),
    ({"client_id": 1}, "body"),
    ({"client_id": 1, "body": ""}, "body"),
    ({"client_id": 1, "body": "   "}, "body"),
    ({"client_id": 1, "body": "a" * 1601}, "body"),
    ({"client_id": 1, "body": "bad \x00 byte"}, "body"),
    ({"client_id": "1", "body": "Hello"}, "client_id"),
    ({"client_id": 2**70, "body": "Hello"}, "client_id"),
    ({"client_id": 1, "body": 42}, "body"),
    ({"client_id": 1, "body": "Hello", "urgent": "very"}, "urgent"),
    ({"client_id": 1, "body": "Hello", "contact_id": -3}, "contact_id"),
    ({"client_id": 1, "body": "Hello", "to": "+447700900123"}, "to"),
])
def test_bad_input_is_refused_by_field(app, world, api_as, body, field):
    if body.get("client_id") == 1:
        body = {**body, "client_id": world.client_on_round.id}
    api = api_as(world.coordinator)
    before = snapshot(app)
    assert_error(api.post("/messages", json=body), 422, field=field)
    assert snapshot(app) == before


def test_a_body_that_is_not_json_is_refused(world, api_as):
    api = api_as(world.coordinator)
    assert_error(api.post("/messages", data="client_id=1", headers={
        "Content-Type": "application/x-www-form-urlencoded"}), 415)
    assert_error(api.post("/messages", data="{", headers={
        "Content-Type": "application/json"}), 400)


def test_texting_another_operators_client_is_refused_and_audited(app, world, api_as):
    api = api_as(world.coordinator)
    before = snapshot(app)
    response = api.post("/messages", json={"client_id": world.foreign_client.id,
                                           "body": "Hello"})
    assert_error(response, 403)
    after = snapshot(app)
    assert after["messages"] == before["messages"]
    assert [e.client_id for e in audit(app, "client.denied", world.coordinator)] == [
        world.foreign_client.id]


def test_texting_a_missing_client_is_404(world, api_as):
    assert_error(api_as(world.coordinator).post("/messages", json={
        "client_id": 999999, "body": "Hello"}), 404)


# --- Deciding an interrupted send -------------------------------------------------------------

def test_send_again_queues_it_and_the_dispatcher_sends_it(app, world, log, api_as):
    response = api_as(world.coordinator).post(f"/messages/{log.unknown}/decide",
                                              json={"action": "send_again"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "queued" and body["error_reason"] == ""
    assert world.coordinator.full_name in body["events"][-1]["detail"]
    message = stored(app, log.unknown)
    assert message.status == ACCEPTED and message.attempts == 2
    decided = audit(app, "message.decide", world.coordinator)
    assert [(e.subject_id, e.detail, e.client_id) for e in decided] == [
        (str(log.unknown), {"action": "send_again"}, world.client_on_round.id)]


class _Provider:
    """An SMS provider that holds `found` (or cannot be asked, when it is an exception)."""

    name = "fake"

    def __init__(self, found):
        self.found, self.asked = found, []

    def lookup(self, text, since, until=None):
        self.asked.append((text.body, since, until))
        if isinstance(self.found, Exception):
            raise self.found
        return self.found


def test_check_again_adopts_a_text_the_provider_now_holds(app, world, log, api_as,
                                                         monkeypatch):
    provider = _Provider(LookupResult(sid="SM" + "9" * 32, status=ProviderStatus.DELIVERED,
                                      raw_status="delivered"))
    monkeypatch.setitem(app.extensions, "sms_backend", provider)
    response = api_as(world.coordinator).post(f"/messages/{log.unknown}/decide",
                                              json={"action": "check_again"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["provider_sid"]) == ("delivered", "SM" + "9" * 32)
    assert body["events"][-1]["detail"].startswith(f"{world.coordinator.full_name} checked "
                                                   "again: found at fake")
    [(_, since, until)] = provider.asked
    assert since is not None and until is not None and since < until  # the claim's window
    decided = audit(app, "message.decide", world.coordinator)
    assert [(e.subject_id, e.detail) for e in decided] == [
        (str(log.unknown), {"action": "check_again", "found": True})]
    # Settled: nothing is left to decide.
    again = api_as(world.coordinator).post(f"/messages/{log.unknown}/decide",
                                           json={"action": "send_again"})
    assert assert_error(again, 409, code="conflict")["status"] == "delivered"


def test_check_again_not_found_leaves_it_for_a_person(app, world, log, api_as, monkeypatch):
    monkeypatch.setitem(app.extensions, "sms_backend", _Provider(None))
    response = api_as(world.coordinator).post(f"/messages/{log.unknown}/decide",
                                              json={"action": "check_again"})
    assert response.status_code == 200 and response.get_json()["status"] == "unknown"
    assert "still no record at fake" in response.get_json()["events"][-1]["detail"]
    assert [e.detail for e in audit(app, "message.decide", world.coordinator)] == [
        {"action": "check_again", "found": False}]


def test_check_again_when_the_provider_cannot_be_asked_is_a_conflict(app, world, log, api_as,
                                                                    monkeypatch):
    monkeypatch.setitem(app.extensions, "sms_backend",
                        _Provider(SendFailed("Could not reach Twilio", retryable=True)))
    response = api_as(world.coordinator).post(f"/messages/{log.unknown}/decide",
                                              json={"action": "check_again"})
    error = assert_error(response, 409, code="conflict")
    assert error["status"] == "unknown"
    assert stored(app, log.unknown).status == "unknown"
    assert [e.detail for e in audit(app, "message.decide", world.coordinator)] == [
        {"action": "check_again", "failed": "Could not reach Twilio"}]


def test_check_again_is_for_managers_of_the_client_only(app, world, log, api_as, monkeypatch):
    provider = _Provider(None)
    monkeypatch.setitem(app.extensions, "sms_backend", provider)
    refused = api_as(world.coordinator).post(f"/messages/{log.foreign_unknown}/decide",
                                             json={"action": "check_again"})
    assert refused.status_code in (403, 404)
    visitor = api_as(world.visitor).post(f"/messages/{log.unknown}/decide",
                                         json={"action": "check_again"})
    assert visitor.status_code == 403
    assert provider.asked == []


def test_drop_cancels_it_and_a_second_decision_is_a_conflict(app, world, log, api_as):
    api = api_as(world.coordinator)
    dropped = api.post(f"/messages/{log.unknown}/decide", json={"action": "drop"})
    assert dropped.status_code == 200 and dropped.get_json()["status"] == "cancelled"
    again = api.post(f"/messages/{log.unknown}/decide", json={"action": "send_again"})
    error = assert_error(again, 409, code="conflict")
    assert error["status"] == "cancelled"
    assert stored(app, log.unknown).status == "cancelled"
    assert len(audit(app, "message.decide")) == 1


def test_only_an_unknown_message_can_be_decided(app, world, log, api_as):
    api = api_as(world.admin)
    before = snapshot(app)
    for message_id in (log.on, log.off, log.stranger):
        assert_error(api.post(f"/messages/{message_id}/decide",
                                              json={"action": "send_again"}), 409)
    after = snapshot(app)
    assert after["messages"] == before["messages"]


@pytest.mark.parametrize("body", [{}, {"action": "resend"}, {"action": None},
                                  {"action": "drop", "why": "x"}])
def test_decide_needs_a_known_action(app, world, log, api_as, body):
    assert_error(api_as(world.coordinator).post(f"/messages/{log.unknown}/decide", json=body),
                 422)
    assert stored(app, log.unknown).status == "unknown"


def test_deciding_another_operators_message_is_refused(app, world, log, api_as):
    assert_error(api_as(world.coordinator).post(f"/messages/{log.foreign_unknown}/decide",
                                                json={"action": "drop"}), 403)
    assert stored(app, log.foreign_unknown).status == "unknown"
    assert api_as(world.other_coordinator).post(
        f"/messages/{log.foreign_unknown}/decide", json={"action": "drop"}).status_code == 200


# --- Opt-outs and numbers that do not work --------------------------------------------------

@pytest.fixture
def blocked(app, world):
    """The client on the round opted out; a contact of the client off the round has a number
    that does not work; so does the foreign client; and a stranger opted out."""
    with app.app_context():
        get = db.session.get
        off = get(Client, world.client_off_round.id)
        contact = factories.contact(off, name="Rose Le Brocq", phone="+447700900555")
        made = SimpleNamespace(
            on=factories.sms_number(world.client_on_round.phone, opted_out=True).id,
            contact=factories.sms_number(contact.phone, invalid=True).id,
            foreign=factories.sms_number(world.foreign_client.phone, invalid=True).id,
            stranger=factories.sms_number("+447700900666", opted_out=True).id,
            fine=factories.sms_number("+447700900777").id,  # opted back in long ago
            contact_id=contact.id,
        )
        db.session.commit()
        return made


def test_coordinator_sees_the_numbers_of_their_clients_and_whose_they_are(
        app, world, blocked, api_as):
    response = api_as(world.coordinator).get("/opt-outs")
    assert ids(response) == {blocked.on, blocked.contact}
    items = {i["id"]: i for i in response.get_json()["items"]}
    assert items[blocked.on]["opted_out"] is True and items[blocked.on]["invalid"] is False
    assert items[blocked.on]["owners"] == [{
        "kind": "client", "client_id": world.client_on_round.id, "contact_id": None,
        "name": world.client_on_round.full_name}]
    assert items[blocked.contact]["invalid"] is True
    assert items[blocked.contact]["invalid_code"] == 21211
    assert items[blocked.contact]["owners"] == [{
        "kind": "contact", "client_id": world.client_off_round.id,
        "contact_id": blocked.contact_id, "name": "Rose Le Brocq"}]
    listed = {e.client_id for e in audit(app, "client.list", world.coordinator)}
    assert listed == {world.client_on_round.id, world.client_off_round.id}


def test_admin_sees_every_listed_number(world, blocked, api_as):
    got = ids(api_as(world.admin).get("/opt-outs"))
    assert got == {blocked.on, blocked.contact, blocked.foreign, blocked.stranger}
    assert ids(api_as(world.other_coordinator).get("/opt-outs")) == {blocked.foreign}


def test_clearing_an_invalid_number_lets_it_be_texted_again(app, world, blocked, api_as):
    api = api_as(world.coordinator)
    response = api.post(f"/opt-outs/{blocked.contact}/clear-invalid")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["invalid"] is False
    with app.app_context():
        assert numbers.why_not_text("+447700900555") is None
    cleared = audit(app, "sms.clear_invalid", world.coordinator)
    assert [e.client_id for e in cleared] == [world.client_off_round.id]
    # Done already (perhaps by a colleague a moment ago): a conflict, nothing changes.
    assert_error(api.post(f"/opt-outs/{blocked.contact}/clear-invalid"), (404, 409))


def test_an_opted_out_number_is_not_cleared_by_clear_invalid(app, world, blocked, api_as):
    assert_error(api_as(world.coordinator).post(f"/opt-outs/{blocked.on}/clear-invalid"), 409)
    with app.app_context():
        assert db.session.get(SmsNumber, blocked.on).opted_out_at is not None


def test_numbers_of_other_operators_are_not_even_found(app, world, blocked, api_as):
    api = api_as(world.coordinator)
    for number_id in (blocked.foreign, blocked.stranger, blocked.fine, 999999):
        assert_error(api.post(f"/opt-outs/{number_id}/clear-invalid"), 404)
    with app.app_context():
        assert db.session.get(SmsNumber, blocked.foreign).invalid_at is not None
    assert api_as(world.admin).post(
        f"/opt-outs/{blocked.foreign}/clear-invalid").status_code == 200


def test_the_messages_api_is_described_in_openapi(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/messages", "/api/v1/messages/{message_id}",
            "/api/v1/messages/{message_id}/decide", "/api/v1/opt-outs",
            "/api/v1/opt-outs/{number_id}/clear-invalid"} <= set(paths)
    assert set(paths["/api/v1/messages"]) == {"get", "post"}
