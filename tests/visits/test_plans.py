"""Visit plans, pauses, holiday cover and walking order: the API and the coordinator pages."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.enums import Role
from outreach.people.models import Client
from outreach.rounds.models import RoundCover
from outreach.visits.models import VisitPause, VisitPlan
from tests import factories
from tests.conftest import csrf_token

PLAN = {"frequency": "weekdays", "weekdays": [1, 3, 5], "window_start": "09:00",
        "window_end": "11:30", "starts_on": "2026-03-02"}


def _on_round(app, world, count: int) -> list[int]:
    with app.app_context():
        ids = [factories.client(world.programme, round_id=world.round.id, walk_order=i + 2).id
               for i in range(count)]
        db.session.commit()
    return ids


def test_put_get_and_delete_a_plan(app, world, api_as):
    api = api_as(world.coordinator)
    cid = world.client_off_round.id
    response = api.request("PUT", f"/clients/{cid}/visit-plan",
                           json=PLAN | {"round_id": world.round.id})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["weekdays"] == [1, 3, 5] and body["round_id"] == world.round.id
    assert body["walk_order"] == 2  # placed after the one client already on the round
    assert body["window_start"] == "09:00" and body["starts_on"] == "2026-03-02"

    # PUT replaces: what is left out is reset, the round included.
    response = api.request("PUT", f"/clients/{cid}/visit-plan",
                           json={"frequency": "fortnightly", "weekdays": [3]})
    body = response.get_json()
    assert response.status_code == 200
    assert body["round_id"] is None and body["window_start"] is None
    assert body["starts_on"] == "2026-03-02"  # the first start date is kept

    assert api.get(f"/clients/{cid}/visit-plan").get_json()["frequency"] == "fortnightly"
    assert api.delete(f"/clients/{cid}/visit-plan").status_code == 204
    assert api.get(f"/clients/{cid}/visit-plan").status_code == 404
    assert api.delete(f"/clients/{cid}/visit-plan").status_code == 404
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.client_id == cid)))
    assert {"visit_plan.create", "visit_plan.update", "visit_plan.delete"} <= actions


def test_new_plan_starts_today_where_the_programme_runs(world, api_as):
    response = api_as(world.admin).request(
        "PUT", f"/clients/{world.client_on_round.id}/visit-plan", json={"frequency": "daily"})
    assert response.status_code == 200
    assert response.get_json()["starts_on"]


def test_placing_inserts_and_renumbers(app, world, api_as):
    ids = _on_round(app, world, 2)  # walk orders 1 (client_on_round), 2, 3
    api = api_as(world.coordinator)
    cid = world.client_off_round.id
    response = api.request("PUT", f"/clients/{cid}/visit-plan",
                           json={"frequency": "daily", "round_id": world.round.id,
                                 "walk_order": 2})
    assert response.get_json()["walk_order"] == 2
    with app.app_context():
        order = list(db.session.scalars(select(Client.id).where(
            Client.round_id == world.round.id).order_by(Client.walk_order)))
    assert order == [world.client_on_round.id, cid, *ids]
    # Taking them off the round closes the gap.
    api.request("PUT", f"/clients/{cid}/visit-plan", json={"frequency": "daily"})
    with app.app_context():
        orders = list(db.session.scalars(select(Client.walk_order).where(
            Client.round_id == world.round.id).order_by(Client.walk_order)))
    assert orders == [1, 2, 3]


def test_a_visitor_reads_the_plan_of_their_clients_only(app, world, api_as):
    with app.app_context():
        factories.visit_plan(db.session.get(Client, world.client_on_round.id))
        factories.visit_plan(db.session.get(Client, world.client_off_round.id))
        db.session.commit()
    api = api_as(world.visitor)
    assert api.get(f"/clients/{world.client_on_round.id}/visit-plan").status_code == 200
    assert api.get(f"/clients/{world.client_off_round.id}/visit-plan").status_code == 403
    response = api.request("PUT", f"/clients/{world.client_on_round.id}/visit-plan",
                           json={"frequency": "daily"})
    assert response.status_code == 403


@pytest.mark.parametrize(("body", "field"), [
    ({"frequency": "weekdays", "weekdays": []}, "weekdays"),
    ({"frequency": "weekdays", "weekdays": [1, 2, 3, 4, 5, 6, 7]}, "weekdays"),
    ({"frequency": "weekdays", "weekdays": [1, 1]}, "weekdays"),
    ({"frequency": "weekdays", "weekdays": [0]}, "weekdays"),
    ({"frequency": "weekdays", "weekdays": ["1"]}, "weekdays"),
    ({"frequency": "weekly", "weekdays": []}, "weekdays"),
    ({"frequency": "weekly", "weekdays": [1, 2]}, "weekdays"),
    ({"frequency": "fortnightly"}, "weekdays"),
    ({"frequency": "daily", "weekdays": [2]}, "weekdays"),
    ({"frequency": "hourly"}, "frequency"),
    ({}, "frequency"),
    ({"frequency": "daily", "starts_on": "2026-03-02", "ends_on": "2026-03-01"}, "ends_on"),
    ({"frequency": "daily", "starts_on": "2026-02-30"}, "starts_on"),
    ({"frequency": "daily", "window_start": "11:00", "window_end": "09:00"}, "window_end"),
    ({"frequency": "daily", "window_start": "11:00"}, "window_end"),
    ({"frequency": "daily", "window_start": "25:00", "window_end": "26:00"}, "window_start"),
    ({"frequency": "daily", "walk_order": 0}, "walk_order"),
    ({"frequency": "daily", "walk_order": 10**12}, "walk_order"),
    ({"frequency": "daily", "round_id": "1; DROP TABLE rounds"}, "round_id"),
    ({"frequency": "daily", "colour": "blue"}, "colour"),
])
def test_bad_plans_are_refused(world, api_as, body, field):
    response = api_as(world.coordinator).request(
        "PUT", f"/clients/{world.client_on_round.id}/visit-plan", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]


def test_an_existing_plan_cannot_end_before_it_started(app, world, api_as):
    with app.app_context():
        factories.visit_plan(db.session.get(Client, world.client_on_round.id),
                             starts_on=date(2026, 5, 1))
        db.session.commit()
    response = api_as(world.coordinator).request(
        "PUT", f"/clients/{world.client_on_round.id}/visit-plan",
        json={"frequency": "daily", "ends_on": "2026-04-01"})
    assert response.status_code == 422
    assert "ends_on" in response.get_json()["error"]["fields"]


def test_the_round_must_be_in_the_clients_programme(app, world, api_as):
    with app.app_context():
        other_round = factories.round_(world.other_programme).id
        db.session.commit()
    response = api_as(world.admin).request(
        "PUT", f"/clients/{world.client_on_round.id}/visit-plan",
        json={"frequency": "daily", "round_id": other_round})
    assert response.status_code == 422
    assert "round_id" in response.get_json()["error"]["fields"]
    assert api_as(world.admin).request(
        "PUT", f"/clients/{world.client_on_round.id}/visit-plan",
        json={"frequency": "daily", "round_id": 2**31 - 1}).status_code == 422


def test_other_operator_cannot_touch_the_plan(world, api_as):
    api = api_as(world.other_coordinator)
    cid = world.client_on_round.id
    assert api.get(f"/clients/{cid}/visit-plan").status_code == 403
    assert api.request("PUT", f"/clients/{cid}/visit-plan",
                       json={"frequency": "daily"}).status_code == 403
    assert api.delete(f"/clients/{cid}/visit-plan").status_code == 403


def test_pauses(app, world, api_as):
    api = api_as(world.coordinator)
    cid = world.client_on_round.id
    response = api.post(f"/clients/{cid}/pauses", json={
        "starts_on": "2026-03-10", "ends_on": "2026-03-20", "reason": "Hospital stay"})
    assert response.status_code == 201
    pause_id = response.get_json()["id"]
    listed = api_as(world.visitor).get(f"/clients/{cid}/pauses").get_json()
    assert [p["id"] for p in listed["items"]] == [pause_id]
    bad = api.post(f"/clients/{cid}/pauses", json={"starts_on": "2026-03-10",
                                                  "ends_on": "2026-03-09"})
    assert bad.status_code == 422 and "ends_on" in bad.get_json()["error"]["fields"]
    assert api.post(f"/clients/{cid}/pauses", json={"starts_on": "2026-03-10"}).status_code == 422
    # Another client's pause is not reachable through this client.
    assert api.delete(f"/clients/{world.client_off_round.id}/pauses/{pause_id}").status_code \
        == 404
    assert api_as(world.visitor).delete(f"/clients/{cid}/pauses/{pause_id}").status_code == 403
    assert api.delete(f"/clients/{cid}/pauses/{pause_id}").status_code == 204
    with app.app_context():
        assert db.session.get(VisitPause, pause_id) is None


def test_covers(app, world, api_as):
    api = api_as(world.coordinator)
    rid = world.round.id
    body = {"visitor_id": world.other_visitor.id, "starts_on": "2026-07-01",
            "ends_on": "2026-07-14", "note": "Summer holiday"}
    response = api.post(f"/rounds/{rid}/covers", json=body)
    assert response.status_code == 201, response.get_json()
    cover_id = response.get_json()["id"]
    # Overlapping the first cover, even by one day, is refused; touching it is not.
    clash = api.post(f"/rounds/{rid}/covers", json=body | {"starts_on": "2026-07-14",
                                                           "ends_on": "2026-07-20"})
    assert clash.status_code == 422
    assert api.post(f"/rounds/{rid}/covers", json=body | {
        "starts_on": "2026-07-15", "ends_on": "2026-07-20"}).status_code == 201
    assert len(api.get(f"/rounds/{rid}/covers").get_json()["items"]) == 2
    for visitor_id in (world.coordinator.id, world.provider.id, 2**31 - 1):
        wrong = api.post(f"/rounds/{rid}/covers", json=body | {
            "visitor_id": visitor_id, "starts_on": "2027-01-01", "ends_on": "2027-01-02"})
        assert wrong.status_code == 422
        assert "visitor_id" in wrong.get_json()["error"]["fields"]
    assert api_as(world.other_coordinator).get(f"/rounds/{rid}/covers").status_code == 404
    assert api_as(world.visitor).get(f"/rounds/{rid}/covers").status_code == 403
    assert api.delete(f"/rounds/{rid}/covers/{cover_id}").status_code == 204
    assert api.delete(f"/rounds/{rid}/covers/{cover_id}").status_code == 404
    with app.app_context():
        assert db.session.get(RoundCover, cover_id) is None


def test_cover_by_another_operators_visitor_is_refused(app, world, api_as):
    with app.app_context():
        stranger = factories.user(Role.VISITOR, world.other_operator).id
        db.session.commit()
    response = api_as(world.admin).post(f"/rounds/{world.round.id}/covers", json={
        "visitor_id": stranger, "starts_on": "2026-07-01", "ends_on": "2026-07-02"})
    assert response.status_code == 422


def test_reorder(app, world, api_as):
    ids = _on_round(app, world, 2)
    api = api_as(world.coordinator)
    everyone = [ids[1], world.client_on_round.id, ids[0]]
    response = api.request("PUT", f"/rounds/{world.round.id}/order",
                           json={"client_ids": everyone})
    assert response.status_code == 200
    assert response.get_json() == {"round_id": world.round.id, "client_ids": everyone}
    with app.app_context():
        got = list(db.session.scalars(select(Client.id).where(
            Client.round_id == world.round.id).order_by(Client.walk_order)))
    assert got == everyone
    for wrong in ([ids[0], ids[1]], everyone + [world.client_off_round.id],
                  everyone + [ids[0]], ["x"], None):
        response = api.request("PUT", f"/rounds/{world.round.id}/order",
                               json={"client_ids": wrong})
        assert response.status_code == 422, wrong
    assert api_as(world.visitor).request("PUT", f"/rounds/{world.round.id}/order",
                                         json={"client_ids": everyone}).status_code == 403


# --- Pages ------------------------------------------------------------------------------------


def _form_post(client, path, data, page):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def test_rounds_pages_and_moving_clients(app, world, client, login):
    ids = _on_round(app, world, 1)
    login(world.coordinator)
    page = client.get("/rounds/").get_data(as_text=True)
    assert "St Helier North" in page and world.visitor.full_name in page
    round_page = f"/rounds/{world.round.id}"
    page = client.get(round_page).get_data(as_text=True)
    with app.app_context():
        second = db.session.get(Client, ids[0]).full_name
    assert page.index(world.client_on_round.full_name) < page.index(second)
    response = _form_post(client, f"{round_page}/move",
                          {"client_id": ids[0], "direction": "up"}, round_page)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Client, ids[0]).walk_order == 1
    response = _form_post(client, f"{round_page}/move",
                          {"client_id": world.client_off_round.id, "direction": "up"},
                          round_page)
    assert response.status_code == 404
    response = _form_post(client, f"{round_page}/move",
                          {"client_id": "nonsense", "direction": "sideways"}, round_page)
    assert response.status_code == 422


def test_cover_pages(app, world, client, login):
    login(world.coordinator)
    round_page = f"/rounds/{world.round.id}"
    response = _form_post(client, f"{round_page}/covers", {
        "visitor_id": str(world.other_visitor.id), "starts_on": "2026-08-01",
        "ends_on": "2026-08-10"}, round_page)
    assert response.status_code == 302
    with app.app_context():
        cover = db.session.scalar(select(RoundCover).where(RoundCover.round_id == world.round.id))
    bad = _form_post(client, f"{round_page}/covers", {
        "visitor_id": str(world.other_visitor.id), "starts_on": "2026-08-05",
        "ends_on": "2026-08-01"}, round_page)
    assert bad.status_code == 422 and "Please check the form" in bad.get_data(as_text=True)
    clash = _form_post(client, f"{round_page}/covers", {
        "visitor_id": str(world.other_visitor.id), "starts_on": "2026-08-05",
        "ends_on": "2026-08-06"}, round_page)
    assert clash.status_code == 422
    response = _form_post(client, f"{round_page}/covers/{cover.id}/delete", {}, round_page)
    assert response.status_code == 302


def test_plan_page(app, world, client, login):
    login(world.coordinator)
    cid = world.client_off_round.id
    page = f"/clients/{cid}/plan"
    assert f'href="{page}"' in client.get(f"/clients/{cid}").get_data(as_text=True)
    html = client.get(page).get_data(as_text=True)
    for label in ("How often", "Monday", "Round", "Place on the round", "First visit"):
        assert label in html
    # Every input has a label.
    for input_id in re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html):
        assert f'for="{input_id}"' in html, input_id
    response = _form_post(client, page, {"frequency": "weekdays", "weekdays": ["2", "4"],
                                         "round_id": str(world.round.id),
                                         "starts_on": "2026-03-02", "window_start": "10:00",
                                         "window_end": "12:00"}, page)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        plan = db.session.scalar(select(VisitPlan).where(VisitPlan.client_id == cid))
        assert plan.weekday_list == [2, 4]
        assert db.session.get(Client, cid).round_id == world.round.id
    bad = _form_post(client, page, {"frequency": "weekly", "weekdays": ["2", "4"]}, page)
    assert bad.status_code == 422
    assert "exactly one day" in bad.get_data(as_text=True)
    bad = _form_post(client, page, {"frequency": "weekly", "weekdays": ["x"]}, page)
    assert bad.status_code == 422

    response = _form_post(client, f"{page}/pauses", {
        "pause-starts_on": "2026-04-01", "pause-ends_on": "2026-04-03",
        "pause-reason": "Holiday"}, page)
    assert response.status_code == 302
    assert "Holiday" in client.get(page).get_data(as_text=True)
    with app.app_context():
        pause = db.session.scalar(select(VisitPause).where(VisitPause.client_id == cid))
    bad = _form_post(client, f"{page}/pauses", {"pause-starts_on": "2026-04-03",
                                                "pause-ends_on": "2026-04-01"}, page)
    assert bad.status_code == 422
    assert _form_post(client, f"{page}/pauses/{pause.id}/delete", {}, page).status_code == 302
    assert _form_post(client, f"{page}/delete", {}, page).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(VisitPlan).where(VisitPlan.client_id == cid)) is None


def test_plan_page_is_read_only_for_the_visitor(world, client, login):
    login(world.visitor)
    cid = world.client_on_round.id
    html = client.get(f"/clients/{cid}/plan").get_data(as_text=True)
    assert "No visit plan yet" in html and "<form" not in html.split("<main", 1)[-1]
    assert client.get(f"/clients/{world.client_off_round.id}/plan").status_code == 403
    assert client.get("/rounds/").status_code == 403
