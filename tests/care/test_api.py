"""Appointments and prescriptions through the API: the rules, who may do what, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.care.models import Appointment, Prescription
from outreach.db import db, set_clock
from outreach.enums import ConsentPurpose, OrganisationKind, Role
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from tests import factories
from tests.api.test_bad_input import assert_error, snapshot

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    set_clock(NOW)
    yield
    set_clock(None)


@pytest.fixture
def pharmacy(app, world):
    """A pharmacy with one user; client_on_round agreed to share with it, client_off_round not."""
    with app.app_context():
        org = factories.organisation(OrganisationKind.HEALTH, name="Test Pharmacy")
        person = factories.user(Role.PROVIDER, org)
        on = db.session.get(Client, world.client_on_round.id)
        factories.consent(on, ConsentPurpose.TAKE_PART)
        factories.consent(on, ConsentPurpose.SHARE_INFORMATION, organisation_id=org.id)
        off = db.session.get(Client, world.client_off_round.id)
        factories.consent(off, ConsentPurpose.TAKE_PART)
        db.session.commit()
        return {"org": org.id, "user": person}


def make(app, factory, client_id, *args, **kw):
    with app.app_context():
        made = factory(db.session.get(Client, client_id), *args, **kw)
        db.session.commit()
        return made.id


def ready(app, client_id, pharmacy_id):
    """A ready prescription from the pharmacy with this id."""
    with app.app_context():
        made = factories.prescription(db.session.get(Client, client_id),
                                      db.session.get(Organisation, pharmacy_id))
        db.session.commit()
        return made.id


# --- Appointments ----------------------------------------------------------------------------

def test_coordinator_records_an_appointment_shown_in_local_time(world, api_as):
    api = api_as(world.coordinator)
    cid = world.client_on_round.id
    # 10:30 in Jersey in summer is 09:30 UTC; the answer comes back in local time with offset.
    made = api.post(f"/clients/{cid}/appointments", json={
        "starts_at": "2025-06-10T09:30:00Z", "place": "General Hospital, outpatients",
        "with_whom": "Eye clinic", "transport_needed": True, "notes": "Bring glasses"})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["starts_at"] == "2025-06-10T10:30:00+01:00"
    assert body["transport_needed"] is True and body["cancelled"] is False
    assert body["cancelled_at"] is None
    listed = api.get(f"/clients/{cid}/appointments").get_json()
    assert [a["id"] for a in listed["items"]] == [body["id"]]
    assert listed["next_cursor"] is None


def test_time_without_offset_is_refused(world, api_as):
    response = api_as(world.coordinator).post(
        f"/clients/{world.client_on_round.id}/appointments",
        json={"starts_at": "2025-06-10T10:30:00"})
    assert_error(response, 422, field="starts_at")


@pytest.mark.parametrize(("starts_at", "ok"), [
    ("2024-01-05T10:00:00+00:00", True),  # past: kept for history
    ("2026-03-03T08:59:00+00:00", True),  # just under a year ahead
    ("2026-03-03T09:01:00+00:00", False),  # more than a year ahead
    ("1940-05-17T10:00:00+01:00", True),  # the day of birth
    # Born 17 May 1940: midnight in Jersey (then on BST) is 23:00 UTC the day before.
    ("1940-05-16T23:00:00+00:00", True),
    ("1940-05-16T22:59:00+00:00", False),
    ("0001-01-01T00:00:00+01:00", False),  # would overflow when moved to UTC
    ("9999-12-31T23:59:59-12:00", False),
])
def test_appointment_time_bounds(world, api_as, starts_at, ok):
    response = api_as(world.coordinator).post(
        f"/clients/{world.client_on_round.id}/appointments", json={"starts_at": starts_at})
    if ok:
        assert response.status_code == 201, response.get_json()
    else:
        assert_error(response, 422, field="starts_at")


def test_cancel_and_reinstate_an_appointment(app, world, api_as):
    cid = world.client_off_round.id
    aid = make(app, factories.appointment, cid, NOW + timedelta(days=2))
    api = api_as(world.coordinator)
    cancelled = api.patch(f"/clients/{cid}/appointments/{aid}", json={"cancelled": True})
    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json()["cancelled"] is True
    assert cancelled.get_json()["cancelled_at"] == "2025-03-03T09:00:00+00:00"
    upcoming = api.get(f"/clients/{cid}/appointments?upcoming=true").get_json()["items"]
    assert upcoming == []
    moved = api.patch(f"/clients/{cid}/appointments/{aid}",
                      json={"cancelled": False, "starts_at": "2025-03-07T14:00:00+00:00",
                            "place": "Clinique Pinel"})
    body = moved.get_json()
    assert (body["cancelled"], body["place"]) == (False, "Clinique Pinel")
    assert body["starts_at"] == "2025-03-07T14:00:00+00:00"
    assert len(api.get(f"/clients/{cid}/appointments?upcoming=1").get_json()["items"]) == 1
    too_far = api.patch(f"/clients/{cid}/appointments/{aid}",
                        json={"starts_at": "2027-01-01T10:00:00+00:00"})
    assert_error(too_far, 422, field="starts_at")


def test_appointment_of_another_client_is_not_found(app, world, api_as):
    aid = make(app, factories.appointment, world.client_off_round.id, NOW)
    response = api_as(world.coordinator).patch(
        f"/clients/{world.client_on_round.id}/appointments/{aid}", json={"notes": "x"})
    assert_error(response, 404)


def test_visitor_reads_appointments_on_their_round_only(app, world, api_as):
    make(app, factories.appointment, world.client_on_round.id, NOW + timedelta(days=1))
    api = api_as(world.visitor)
    assert api.get(f"/clients/{world.client_on_round.id}/appointments").status_code == 200
    assert_error(api.get(f"/clients/{world.client_off_round.id}/appointments"), 403)
    assert_error(api.post(f"/clients/{world.client_on_round.id}/appointments",
                          json={"starts_at": "2025-03-04T10:00:00+00:00"}), 403)


def test_other_operator_cannot_touch_appointments(app, world, api_as):
    cid = world.client_on_round.id
    aid = make(app, factories.appointment, cid, NOW)
    api = api_as(world.other_coordinator)
    assert_error(api.get(f"/clients/{cid}/appointments"), 403)
    assert_error(api.patch(f"/clients/{cid}/appointments/{aid}", json={"cancelled": True}), 403)
    with app.app_context():
        assert db.session.get(Appointment, aid).cancelled_at is None


BAD_APPOINTMENTS = [
    {},
    {"starts_at": None},
    {"starts_at": ""},
    {"starts_at": 12},
    {"starts_at": "tomorrow"},
    {"starts_at": "2025-03-04T10:00:00+00:00", "place": "x" * 301},
    {"starts_at": "2025-03-04T10:00:00+00:00", "notes": "bad\x00byte"},
    {"starts_at": "2025-03-04T10:00:00+00:00", "transport_needed": "perhaps"},
    {"starts_at": "2025-03-04T10:00:00+00:00", "client_id": 1},
    {"starts_at": "2025-03-04T10:00:00+00:00", "cancelled": True},  # only when changing
    {"starts_at": ["2025-03-04T10:00:00+00:00"]},
]


@pytest.mark.parametrize("body", BAD_APPOINTMENTS)
def test_bad_appointment_input_changes_nothing(app, world, api_as, body):
    api = api_as(world.coordinator)
    before = snapshot(app)
    response = api.post(f"/clients/{world.client_on_round.id}/appointments", json=body)
    assert_error(response, 422)
    assert snapshot(app) == before


def test_appointment_with_unicode_and_injection_text_is_stored_as_given(world, api_as):
    text = "Dr Ñúñez'; DROP TABLE appointments; -- <script>alert(1)</script> 🚑"
    response = api_as(world.coordinator).post(
        f"/clients/{world.client_on_round.id}/appointments",
        json={"starts_at": "2025-03-04T10:00:00+00:00", "with_whom": text})
    assert response.status_code == 201
    assert response.get_json()["with_whom"] == text


# --- Prescriptions ---------------------------------------------------------------------------

def test_prescription_moves_through_its_statuses(app, world, api_as, pharmacy):
    cid = world.client_on_round.id
    api = api_as(world.coordinator)
    made = api.post(f"/clients/{cid}/prescriptions",
                    json={"description": "Repeat prescription, 2 bags",
                          "pharmacy_id": pharmacy["org"]})
    assert made.status_code == 201, made.get_json()
    pid = made.get_json()["id"]
    assert made.get_json()["status"] == "ready"
    assert made.get_json()["ready_at"] == "2025-03-03T09:00:00+00:00"
    url = f"/clients/{cid}/prescriptions/{pid}/status"

    def move(status, reason=None, who=api):
        body = {"status": status} | ({"reason": reason} if reason is not None else {})
        return who.post(url, json=body)

    assert_error(move("delivered"), 409, code="conflict")
    assert_error(move("not_delivered"), 422, field="reason")
    assert move("out_for_delivery").get_json()["status"] == "out_for_delivery"
    assert_error(move("out_for_delivery"), 409)
    failed = move("not_delivered", "Nobody home; card left").get_json()
    assert failed["not_delivered_reason"] == "Nobody home; card left"
    assert_error(move("delivered"), 409)
    again = move("ready").get_json()
    assert (again["status"], again["not_delivered_reason"]) == ("ready", "")
    pharmacist = api_as(pharmacy["user"])
    assert move("out_for_delivery", who=pharmacist).status_code == 200
    done = move("delivered", who=pharmacist).get_json()
    assert done["status"] == "delivered"
    assert done["delivered_at"] == "2025-03-03T09:00:00+00:00"
    for status in ("ready", "out_for_delivery", "not_delivered", "delivered"):
        assert_error(move(status, "late"), 409)
    with app.app_context():
        moves = db.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "prescription.status",
            AuditEvent.subject_id == str(pid))).all()
    assert [m["to"] for m in moves] == ["out_for_delivery", "not_delivered", "ready",
                                        "out_for_delivery", "delivered"]


def test_not_delivered_straight_from_ready(app, world, api_as):
    cid = world.client_off_round.id
    pid = make(app, factories.prescription, cid, world.gp)
    response = api_as(world.admin).post(f"/clients/{cid}/prescriptions/{pid}/status",
                                        json={"status": "not_delivered",
                                              "reason": "Client in hospital"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "not_delivered"


@pytest.mark.parametrize("body", [
    {}, {"status": "lost"}, {"status": None}, {"status": 3}, {"status": "not_delivered"},
    {"status": "not_delivered", "reason": "   "}, {"status": "ready", "reason": "x" * 501},
    {"status": "delivered", "visit_id": "abc"},
])
def test_bad_status_input_changes_nothing(app, world, api_as, body):
    cid = world.client_on_round.id
    pid = make(app, factories.prescription, cid, world.gp)
    api = api_as(world.coordinator)
    before = snapshot(app)
    response = api.post(f"/clients/{cid}/prescriptions/{pid}/status", json=body)
    assert_error(response, 422)
    assert snapshot(app) == before


@pytest.mark.parametrize("body", [
    {}, {"description": ""}, {"description": "   "}, {"description": "x" * 301},
    {"description": "Pills", "pharmacy_id": "one"}, {"description": "Pills", "pharmacy_id": 0},
    {"description": "Pills", "pharmacy_id": 2**40}, {"description": "Pills", "status": "ready"},
])
def test_bad_prescription_input_changes_nothing(app, world, api_as, body):
    api = api_as(world.coordinator)
    before = snapshot(app)
    response = api.post(f"/clients/{world.client_on_round.id}/prescriptions", json=body)
    assert_error(response, 422)
    assert snapshot(app) == before


def test_pharmacy_must_be_a_health_organisation(world, api_as):
    api = api_as(world.coordinator)
    url = f"/clients/{world.client_on_round.id}/prescriptions"
    for org in (world.food_bank.id, world.operator.id, 2**31 - 1):
        assert_error(api.post(url, json={"description": "Pills", "pharmacy_id": org}), 422,
                     field="pharmacy_id")
    assert api.post(url, json={"description": "Pills"}).get_json()["pharmacy_id"] is None


def test_pharmacy_adds_prescriptions_only_with_consent(app, world, api_as, pharmacy):
    api = api_as(pharmacy["user"])
    made = api.post(f"/clients/{world.client_on_round.id}/prescriptions",
                    json={"description": "Blister pack, week 10"})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["pharmacy_id"] == pharmacy["org"]
    # Took part, but never agreed to share with this pharmacy: refused and the attempt audited.
    refused = api.post(f"/clients/{world.client_off_round.id}/prescriptions",
                       json={"description": "Blister pack"})
    assert_error(refused, 403)
    with app.app_context():
        denied = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "client.denied",
            AuditEvent.client_id == world.client_off_round.id)).all()
    assert [e.actor_id for e in denied] == [pharmacy["user"].id]
    # Naming another pharmacy is refused too.
    other = api.post(f"/clients/{world.client_on_round.id}/prescriptions",
                     json={"description": "Pills", "pharmacy_id": world.gp.id})
    assert_error(other, 422, field="pharmacy_id")


def test_withdrawn_consent_stops_the_pharmacy(app, world, api_as, pharmacy):
    cid = world.client_on_round.id
    pid = ready(app, cid, pharmacy["org"])
    api = api_as(pharmacy["user"])
    assert len(api.get("/prescriptions").get_json()["items"]) == 1
    with app.app_context():
        from outreach.consent.models import Consent
        from outreach.consent.services import withdraw

        share = db.session.scalar(select(Consent).where(
            Consent.client_id == cid, Consent.organisation_id == pharmacy["org"]))
        withdraw(None, share, "asked us to stop")
        db.session.commit()
    assert api.get("/prescriptions").get_json()["items"] == []
    assert_error(api.post(f"/clients/{cid}/prescriptions/{pid}/status",
                          json={"status": "out_for_delivery"}), 403)


def test_pharmacy_updates_only_its_own_prescriptions(app, world, api_as, pharmacy):
    cid = world.client_on_round.id
    theirs = make(app, factories.prescription, cid, world.gp)
    response = api_as(pharmacy["user"]).post(f"/clients/{cid}/prescriptions/{theirs}/status",
                                             json={"status": "out_for_delivery"})
    assert_error(response, 404)


def test_pharmacy_list_shows_minimum_data(app, world, api_as, pharmacy):
    mine = ready(app, world.client_on_round.id, pharmacy["org"])
    # Another pharmacy's, and one for a client who did not agree to share with this one.
    make(app, factories.prescription, world.client_on_round.id, world.gp)
    ready(app, world.client_off_round.id, pharmacy["org"])
    response = api_as(pharmacy["user"]).get("/prescriptions")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [i["id"] for i in items] == [mine]
    item = items[0]
    assert item["client_name"] == world.client_on_round.full_name
    assert item["round_name"] == "St Helier North"
    assert not {"address", "phone", "date_of_birth", "notes", "access_notes"} & set(item)
    filtered = api_as(pharmacy["user"]).get("/prescriptions?status=delivered")
    assert filtered.get_json()["items"] == []
    assert_error(api_as(pharmacy["user"]).get("/prescriptions?status=lost"), 422)
    with app.app_context():
        listed = db.session.scalars(select(AuditEvent.client_id).where(
            AuditEvent.action == "client.list",
            AuditEvent.actor_id == pharmacy["user"].id)).all()
    assert listed == [world.client_on_round.id]


def test_staff_list_holds_the_clients_they_may_see(app, world, api_as):
    on = make(app, factories.prescription, world.client_on_round.id, world.gp)
    off = make(app, factories.prescription, world.client_off_round.id, world.gp)
    foreign = make(app, factories.prescription, world.foreign_client.id, world.gp)

    def ids(user):
        return {i["id"] for i in api_as(user).get("/prescriptions").get_json()["items"]}

    assert ids(world.coordinator) == {on, off}
    assert ids(world.visitor) == {on}
    assert ids(world.other_coordinator) == {foreign}
    assert ids(world.admin) == {on, off, foreign}
    # The GP user's organisation is a health one, but none of these are its clients' consent.
    assert ids(world.provider) == set()
    assert_error(api_as(world.tutor).get("/prescriptions"), 403)


def test_community_provider_cannot_act_as_a_pharmacy(app, world, api_as):
    with app.app_context():
        food = factories.user(Role.PROVIDER, db.session.get(
            type(world.food_bank), world.food_bank.id))
        client = db.session.get(Client, world.client_on_round.id)
        factories.consent(client, ConsentPurpose.TAKE_PART)
        factories.consent(client, ConsentPurpose.SHARE_INFORMATION,
                          organisation_id=world.food_bank.id)
        db.session.commit()
    api = api_as(food)
    assert_error(api.post(f"/clients/{world.client_on_round.id}/prescriptions",
                          json={"description": "Pills"}), 403)
    assert api.get("/prescriptions").get_json()["items"] == []


def test_visitor_reads_prescriptions_but_cannot_change_them(app, world, api_as):
    cid = world.client_on_round.id
    pid = make(app, factories.prescription, cid, world.gp)
    api = api_as(world.visitor)
    listed = api.get(f"/clients/{cid}/prescriptions")
    assert [p["id"] for p in listed.get_json()["items"]] == [pid]
    assert_error(api.post(f"/clients/{cid}/prescriptions/{pid}/status",
                          json={"status": "out_for_delivery"}), 403)
    assert_error(api.post(f"/clients/{cid}/prescriptions", json={"description": "x"}), 403)


def test_other_operator_cannot_move_a_prescription(app, world, api_as):
    cid = world.client_on_round.id
    pid = make(app, factories.prescription, cid, world.gp)
    assert_error(api_as(world.other_coordinator).post(
        f"/clients/{cid}/prescriptions/{pid}/status", json={"status": "out_for_delivery"}), 403)
    with app.app_context():
        assert db.session.get(Prescription, pid).status == "ready"


def test_birth_date_unknown_still_has_a_floor(app, world, api_as):
    with app.app_context():
        db.session.get(Client, world.client_on_round.id).date_of_birth = None
        db.session.commit()
    api = api_as(world.coordinator)
    url = f"/clients/{world.client_on_round.id}/appointments"
    assert_error(api.post(url, json={"starts_at": "1899-12-31T10:00:00+00:00"}), 422,
                 field="starts_at")
    assert api.post(url, json={"starts_at": "1990-01-01T10:00:00+00:00"}).status_code == 201
