"""Clients, contacts and enrolments through the API."""

from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.people.models import Client


def _new(api, world, **overrides):
    body = {"programme_id": world.programme.id, "full_name": "Ana Sousa",
            "date_of_birth": "1941-03-09", "phone": "07700 900321",
            "preferred_language": "pt", "parish": "St Helier", "address": "4 Rue Verte",
            "lives_alone": True, "gp_practice_id": world.gp.id,
            "access_notes": "Key safe by the back door"}
    body.update(overrides)
    return api.post("/clients", json=body)


def test_enrol_read_and_change_a_client(world, api_as, app):
    api = api_as(world.coordinator)
    created = _new(api, world)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["phone"] == "+447700900321"
    assert body["preferred_language"] == "pt"
    assert body["enrolments"][0]["programme_id"] == world.programme.id
    changed = api.patch(f"/clients/{body['id']}", json={"parish": "St Brelade",
                                                        "round_id": world.round.id})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["parish"] == "St Brelade"
    assert changed.get_json()["full_name"] == "Ana Sousa"
    with app.app_context():
        reads = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.client_id == body["id"], AuditEvent.action == "client.read"))
        created_events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.client_id == body["id"], AuditEvent.action == "client.create")).all()
    assert reads >= 1
    assert created_events[0].actor_id == world.coordinator.id
    assert created_events[0].via == "api"
    assert "Ana" not in str(created_events[0].detail)


def test_duplicate_guard_and_force(world, api_as):
    api = api_as(world.coordinator)
    assert _new(api, world).status_code == 201
    same_phone = _new(api, world, full_name="Someone Else", date_of_birth="1950-01-01")
    assert same_phone.status_code == 409
    error = same_phone.get_json()["error"]
    assert error["code"] == "conflict"
    assert error["matches"][0]["reason"] == "same phone"
    same_person = _new(api, world, phone="07700 900999", full_name="ana sousa")
    assert same_person.status_code == 409
    assert same_person.get_json()["error"]["matches"][0]["reason"] == "same name and date of birth"
    forced = _new(api, world, phone="07700 900999", full_name="ana sousa", force=True)
    assert forced.status_code == 201


def test_same_person_in_another_operators_programme_is_not_a_duplicate(world, api_as):
    mine = _new(api_as(world.coordinator), world)
    assert mine.status_code == 201
    theirs = _new(api_as(world.other_coordinator), world,
                  programme_id=world.other_programme.id, gp_practice_id=None)
    assert theirs.status_code == 201, theirs.get_json()


def test_search_and_cursor_pagination(world, api_as):
    api = api_as(world.coordinator)
    for i in range(5):
        assert _new(api, world, full_name=f"Walker {i}", phone=f"07700 90040{i}",
                    parish="Trinity").status_code == 201
    found = api.get("/clients?q=walker&limit=2")
    page1 = found.get_json()
    assert [c["full_name"] for c in page1["items"]] == ["Walker 0", "Walker 1"]
    page2 = api.get(f"/clients?q=walker&limit=2&cursor={page1['next_cursor']}").get_json()
    page3 = api.get(f"/clients?q=walker&limit=2&cursor={page2['next_cursor']}").get_json()
    names = [c["full_name"] for p in (page1, page2, page3) for c in p["items"]]
    assert names == [f"Walker {i}" for i in range(5)]
    assert page3["next_cursor"] is None
    by_phone = api.get("/clients?q=07700900403").get_json()["items"]
    assert [c["full_name"] for c in by_phone] == ["Walker 3"]
    assert api.get("/clients?q=trinity").get_json()["items"]
    like_chars = api.get("/clients?q=%25").get_json()["items"]
    assert like_chars == []


def test_contacts_lifecycle(world, api_as):
    api = api_as(world.coordinator)
    cid = world.client_off_round.id
    added = api.post(f"/clients/{cid}/contacts", json={
        "name": "Jo Daughter", "relationship": "daughter", "phone": "07700 900111",
        "receives": ["visit_reports", "alerts"]})
    assert added.status_code == 201, added.get_json()
    contact = added.get_json()
    assert contact["receives"] == ["visit_reports", "alerts"]
    changed = api.patch(f"/clients/{cid}/contacts/{contact['id']}", json={"receives": ["alerts"]})
    assert changed.get_json()["receives"] == ["alerts"]
    no_way_to_reach = api.post(f"/clients/{cid}/contacts", json={"name": "Nobody"})
    assert no_way_to_reach.status_code == 422
    listed = api.get(f"/clients/{cid}/contacts").get_json()["items"]
    assert [c["name"] for c in listed] == ["Jo Daughter"]
    assert api.delete(f"/clients/{cid}/contacts/{contact['id']}").status_code == 204
    assert api.get(f"/clients/{cid}/contacts").get_json()["items"] == []
    assert api.delete(f"/clients/{cid}/contacts/{contact['id']}").status_code == 404


def test_enrol_in_a_second_programme_and_leave(world, api_as, app):
    from outreach.enums import ProgrammeKind
    from tests import factories

    with app.app_context():
        literacy = factories.programme(db.session.merge(world.operator),
                                       ProgrammeKind.DIGITAL_LITERACY, name="Get Online")
        literacy_id = literacy.id
        db.session.commit()
    api = api_as(world.coordinator)
    cid = world.client_off_round.id
    enrolled = api.post(f"/clients/{cid}/enrolments", json={"programme_id": literacy_id})
    assert enrolled.status_code == 201
    assert {e["programme_id"] for e in enrolled.get_json()["enrolments"]} == {
        world.programme.id, literacy_id}
    again = api.post(f"/clients/{cid}/enrolments", json={"programme_id": literacy_id})
    assert again.status_code == 409
    left = api.post(f"/clients/{cid}/enrolments/{literacy_id}/leave", json={"reason": "moved"})
    statuses = {e["programme_id"]: e["status"] for e in left.get_json()["enrolments"]}
    assert statuses[literacy_id] == "left"
    foreign = api.post(f"/clients/{cid}/enrolments",
                       json={"programme_id": world.other_programme.id})
    assert foreign.status_code == 422


def test_visitor_sees_only_clients_on_their_round(world, api_as):
    items = api_as(world.visitor).get("/clients").get_json()["items"]
    assert [c["id"] for c in items] == [world.client_on_round.id]
    assert api_as(world.other_visitor).get("/clients").get_json()["items"] == []
    assert api_as(world.visitor).get(f"/clients/{world.client_off_round.id}").status_code == 403


def test_provider_and_tutor_see_no_clients_yet(world, api_as):
    for user in (world.provider, world.tutor):
        assert api_as(user).get("/clients").get_json()["items"] == []


def test_client_count_unchanged_by_refused_create(world, api_as, app):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Client))
    refused = _new(api_as(world.other_coordinator), world)
    assert refused.status_code == 422
    assert "programme_id" in refused.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Client)) == before


def test_listing_clients_is_audited_per_client(world, api_as, app):
    api_as(world.coordinator).get("/clients")
    with app.app_context():
        listed = set(db.session.scalars(select(AuditEvent.client_id).where(
            AuditEvent.action == "client.list", AuditEvent.actor_id == world.coordinator.id)))
    assert listed == {world.client_on_round.id, world.client_off_round.id}
