"""Organisations, programmes, users and rounds through the API."""

from tests.factories import PASSWORD


def test_admin_creates_organisations_and_names_are_unique(world, api_as):
    api = api_as(world.admin)
    made = api.post("/organisations", json={"name": "Island Transport Charity",
                                            "kind": "community", "phone": "01534 123456"})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["phone"] == "+441534123456"
    dup = api.post("/organisations", json={"name": "island transport charity",
                                           "kind": "community"})
    assert dup.status_code == 409
    renamed = api.patch(f"/organisations/{made.get_json()['id']}", json={"name": "Island Rides"})
    assert renamed.get_json()["name"] == "Island Rides"
    operator_to_health = api.patch(f"/organisations/{world.operator.id}", json={"kind": "health"})
    assert operator_to_health.status_code == 409


def test_organisations_visible_by_role(world, api_as):
    everyone = {o["id"] for o in api_as(world.coordinator).get("/organisations")
                .get_json()["items"]}
    assert {world.gp.id, world.food_bank.id} <= everyone
    own = [o["id"] for o in api_as(world.provider).get("/organisations").get_json()["items"]]
    assert own == [world.gp.id]
    assert api_as(world.provider).get(f"/organisations/{world.food_bank.id}").status_code == 404


def test_programmes_for_operator_staff(world, api_as):
    api = api_as(world.coordinator)
    made = api.post("/programmes", json={"name": "Get Online", "kind": "digital_literacy",
                                         "operator_id": world.operator.id,
                                         "timezone": "Europe/Jersey"})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["timezone"] == "Europe/Jersey"
    bad_zone = api.post("/programmes", json={"name": "X", "kind": "call_and_check",
                                             "operator_id": world.operator.id,
                                             "timezone": "Mars/Olympus"})
    assert bad_zone.status_code == 422
    assert "timezone" in bad_zone.get_json()["error"]["fields"]
    not_operator = api.post("/programmes", json={"name": "X", "kind": "call_and_check",
                                                 "operator_id": world.gp.id})
    assert not_operator.status_code == 422
    foreign = api.post("/programmes", json={"name": "X", "kind": "call_and_check",
                                             "operator_id": world.other_operator.id})
    assert foreign.status_code == 403
    ids = {p["id"] for p in api.get("/programmes").get_json()["items"]}
    assert world.programme.id in ids and world.other_programme.id not in ids
    assert api.get(f"/programmes/{world.other_programme.id}").status_code == 403
    assert api_as(world.provider).get("/programmes").get_json()["items"] == []


def test_coordinator_manages_users_of_own_organisation_only(world, api_as, client):
    api = api_as(world.coordinator)
    visitor = api.post("/users", json={"email": "new.postie@example.org", "password": PASSWORD,
                                       "role": "visitor", "organisation_id": world.operator.id,
                                       "full_name": "New Postie"})
    assert visitor.status_code == 201, visitor.get_json()
    assert "password" not in visitor.get_json()
    assert "password_hash" not in visitor.get_json()
    admin = api.post("/users", json={"email": "x@example.org", "password": PASSWORD,
                                     "role": "admin", "organisation_id": world.operator.id})
    assert admin.status_code == 403
    elsewhere = api.post("/users", json={"email": "y@example.org", "password": PASSWORD,
                                         "role": "visitor", "organisation_id": world.gp.id})
    assert elsewhere.status_code == 403
    taken = api.post("/users", json={"email": world.visitor.email.upper(), "password": PASSWORD,
                                     "role": "visitor", "organisation_id": world.operator.id})
    assert taken.status_code == 409
    weak = api.post("/users", json={"email": "z@example.org", "password": "short",
                                    "role": "visitor", "organisation_id": world.operator.id})
    assert weak.status_code == 422
    assert "password" in weak.get_json()["error"]["fields"]
    listed = {u["id"] for u in api.get("/users?limit=200").get_json()["items"]}
    assert world.other_coordinator.id not in listed and world.visitor.id in listed
    assert api.get(f"/users/{world.other_coordinator.id}").status_code == 404
    promote = api.patch(f"/users/{world.visitor.id}", json={"role": "admin"})
    assert promote.status_code == 403
    assert [u["id"] for u in api_as(world.visitor).get("/users").get_json()["items"]] == [
        world.visitor.id]


def test_admin_creates_provider_users(world, api_as):
    made = api_as(world.admin).post("/users", json={
        "email": "reception@gp.example.org", "password": PASSWORD, "role": "provider",
        "organisation_id": world.gp.id})
    assert made.status_code == 201


def test_rounds(world, api_as):
    api = api_as(world.coordinator)
    made = api.post("/rounds", json={"programme_id": world.programme.id, "name": "Trinity",
                                     "visitor_id": world.other_visitor.id, "weekdays": [1, 3, 5]})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["weekdays"] == [1, 3, 5]
    bad_days = api.post("/rounds", json={"programme_id": world.programme.id, "name": "X",
                                         "weekdays": [0, 8]})
    assert bad_days.status_code == 422
    not_visitor = api.post("/rounds", json={"programme_id": world.programme.id, "name": "X",
                                            "visitor_id": world.coordinator.id})
    assert not_visitor.status_code == 422
    mine = [r["id"] for r in api_as(world.other_visitor).get("/rounds").get_json()["items"]]
    assert mine == [made.get_json()["id"]]
    assert api_as(world.other_coordinator).get(f"/rounds/{world.round.id}").status_code == 404
