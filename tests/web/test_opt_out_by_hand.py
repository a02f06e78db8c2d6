"""Opting a number out of texts by hand, and back in (issue 18, item 3): the client asked by
phone. On the opt-outs page and in the API; audited with who, when and why; CSRF-protected;
only for a coordinator of the client's operator or an administrator."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.messages import numbers
from outreach.messages.models import SmsNumber
from tests import factories
from tests.api.test_bad_input import assert_error
from tests.conftest import csrf_token
from tests.messages import reply_of, text_in

PAGE = "/messages/opt-outs"


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                       .order_by(AuditEvent.id)))


def _why_not(app, phone: str) -> str | None:
    with app.app_context():
        return numbers.why_not_text(phone)


def _number_id(app, phone: str) -> int:
    with app.app_context():
        return db.session.scalar(select(SmsNumber.id).where(SmsNumber.phone == phone))


def _opt_out(client, phone: str, reason: str = "asked_by_phone", **extra):
    data = {"csrf_token": csrf_token(client, PAGE), "phone": phone, "reason": reason, **extra}
    return client.post(PAGE, data=data)


def test_a_coordinator_opts_a_clients_number_out_and_back_in(app, world, client, login):
    mary = world.client_on_round
    login(world.coordinator)
    spaced = "+44 " + mary.phone[3:7] + " " + mary.phone[7:]
    assert _opt_out(client, spaced).status_code == 302
    shown = client.get(PAGE).get_data(as_text=True)
    assert "no more texts will be sent" in shown and "Asked for no texts (1)" in shown
    assert "By hand (" in shown and "asked by phone" in shown
    assert _why_not(app, mary.phone) is not None
    [event] = _events(app, "sms.opt_out")
    assert (event.actor_id, event.client_id, event.via, event.detail) == (
        world.coordinator.id, mary.id, "web", {"source": "by_hand", "reason": "asked_by_phone"})
    assert event.occurred_at is not None

    number_id = _number_id(app, mary.phone)
    done = client.post(f"{PAGE}/{number_id}/opt-in", data={
        "csrf_token": csrf_token(client, PAGE), "reason": "opted_out_by_mistake"})
    assert done.status_code == 302
    assert "texts will be sent to this number again" in client.get(PAGE).get_data(as_text=True)
    assert _why_not(app, mary.phone) is None
    [event] = _events(app, "sms.opt_in")
    assert (event.actor_id, event.client_id, event.detail["reason"]) == (
        world.coordinator.id, mary.id, "opted_out_by_mistake")


def test_a_contacts_number_can_be_opted_out(app, world, client, login):
    with app.app_context():
        contact = factories.contact(db.session.get(type(world.client_off_round),
                                                   world.client_off_round.id))
        db.session.commit()
        phone = contact.phone
    login(world.coordinator)
    assert _opt_out(client, phone, "asked_by_family").status_code == 302
    assert _why_not(app, phone) is not None


def test_the_forms_need_their_csrf_token(app, world, client, login):
    login(world.coordinator)
    phone = world.client_on_round.phone
    assert client.post(PAGE, data={"phone": phone, "reason": "asked_by_phone"}).status_code \
        == 400
    assert _why_not(app, phone) is None
    _opt_out(client, phone)
    number_id = _number_id(app, phone)
    assert client.post(f"{PAGE}/{number_id}/opt-in",
                       data={"reason": "asked_by_phone"}).status_code == 400
    assert _why_not(app, phone) is not None


@pytest.mark.parametrize("role", ["visitor", "provider", "tutor"])
def test_other_roles_cannot_opt_out_or_in(app, world, client, login, role):
    phone = world.client_on_round.phone
    with app.app_context():
        number_id = factories.sms_number(phone, opted_out=True).id
        db.session.commit()
    login(getattr(world, role))
    token = csrf_token(client, "/clients/" if role != "tutor" else "/tutor/")
    assert client.post(PAGE, data={"csrf_token": token, "phone": world.client_off_round.phone,
                                   "reason": "asked_by_phone"}).status_code == 403
    assert client.post(f"{PAGE}/{number_id}/opt-in", data={
        "csrf_token": token, "reason": "asked_by_phone"}).status_code == 403
    assert _why_not(app, world.client_off_round.phone) is None


def test_another_operators_coordinator_cannot_touch_the_number(app, world, client, login):
    login(world.other_coordinator)
    response = _opt_out(client, world.client_on_round.phone)
    assert response.status_code == 422
    assert "No client or contact of yours has this number." in response.get_data(as_text=True)
    assert _why_not(app, world.client_on_round.phone) is None
    with app.app_context():
        number_id = factories.sms_number(world.client_on_round.phone, opted_out=True).id
        db.session.commit()
    assert client.post(f"{PAGE}/{number_id}/opt-in", data={
        "csrf_token": csrf_token(client, PAGE), "reason": "asked_by_phone"}).status_code == 404


@pytest.mark.parametrize(("phone", "reason", "field"), [
    ("", "asked_by_phone", "phone"), ("not a number", "asked_by_phone", "phone"),
    ("+447700900999", "asked_by_phone", "phone"), ("+447700900111", "because", "reason"),
])
def test_bad_input_is_said_against_the_field(app, world, client, login, phone, reason, field):
    login(world.coordinator)
    response = _opt_out(client, phone or "", reason)
    assert response.status_code == 422
    assert f'id="opt-out-{field}-error"' in response.get_data(as_text=True)


def test_a_stop_by_text_is_undone_only_by_the_owners_start(app, world, client, login):
    mary = world.client_on_round
    reply_of(text_in(client, "STOP", mary.phone))
    login(world.coordinator)
    shown = client.get(PAGE).get_data(as_text=True)
    assert "Start texts again" not in shown
    number_id = _number_id(app, mary.phone)
    client.post(f"{PAGE}/{number_id}/opt-in", data={
        "csrf_token": csrf_token(client, PAGE), "reason": "asked_by_phone"})
    assert "only they can start them again" in client.get(PAGE).get_data(as_text=True)
    assert _why_not(app, mary.phone) is not None
    assert _events(app, "sms.opt_in") == []


# --- The API ---------------------------------------------------------------------------------


def test_the_api_opts_out_and_in_with_an_audit(app, world, api_as):
    api = api_as(world.coordinator)
    phone = world.client_on_round.phone
    made = api.post("/opt-outs", json={"phone": phone, "reason": "asked_in_person"})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert (body["phone"], body["opted_out"]) == (phone, True)
    assert body["opt_out_source"].startswith("By hand")
    assert_error(api.post("/opt-outs", json={"phone": phone, "reason": "asked_in_person"}), 409)
    again = api.post(f"/opt-outs/{body['id']}/opt-in", json={"reason": "asked_in_writing"})
    assert again.status_code == 200 and again.get_json()["opted_out"] is False
    # Texted again, it is on no list: as for any number the caller cannot see.
    assert_error(api.post(f"/opt-outs/{body['id']}/opt-in",
                          json={"reason": "asked_in_writing"}), 404)
    [out], [back] = _events(app, "sms.opt_out"), _events(app, "sms.opt_in")
    assert (out.actor_id, out.via, back.actor_id, back.via) == (
        world.coordinator.id, "api", world.coordinator.id, "api")


@pytest.mark.parametrize("role", ["visitor", "provider", "tutor"])
def test_the_api_refuses_other_roles(app, world, api_as, role):
    api = api_as(getattr(world, role))
    assert_error(api.post("/opt-outs", json={"phone": world.client_on_round.phone,
                                             "reason": "asked_by_phone"}), 403)
    assert _why_not(app, world.client_on_round.phone) is None


def test_the_api_refuses_another_operators_number_and_bad_input(app, world, api_as):
    api = api_as(world.other_coordinator)
    assert_error(api.post("/opt-outs", json={"phone": world.client_on_round.phone,
                                             "reason": "asked_by_phone"}), 422, field="phone")
    assert_error(api.post("/opt-outs", json={"phone": 7, "reason": "asked_by_phone"}), 422)
    assert_error(api.post("/opt-outs", json={"phone": world.foreign_client.phone}), 422,
                 field="reason")
    assert_error(api.post("/opt-outs/99999/opt-in", json={"reason": "asked_by_phone"}), 404)


def test_an_admin_may_opt_out_any_number(app, world, api_as):
    made = api_as(world.admin).post("/opt-outs", json={"phone": "+447700900444",
                                                       "reason": "asked_in_writing"})
    assert made.status_code == 201
    [event] = _events(app, "sms.opt_out")
    assert (event.actor_id, event.client_id) == (world.admin.id, None)
