"""Recording visits over the API: idempotency, access, time window, questionnaire and needs."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.db import db, utcnow
from outreach.enums import PrescriptionStatus
from outreach.needs.models import Need
from outreach.visits.models import Questionnaire, Visit
from outreach.visits.questionnaire import DEFAULT_QUESTIONS
from tests import factories
from tests.conftest import CSRF, csrf_token


def body(client_id: int, **kw) -> dict:
    data = {"id": str(uuid.uuid4()), "client_id": client_id,
            "visited_at": utcnow().isoformat(), "outcome": "seen_well", "answers": {},
            "prescription_delivered": False, "appointment_reminded": False, "note": ""}
    data.update(kw)
    return data


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def needs_of(app, visit_id: str) -> set[tuple[str, str, str]]:
    with app.app_context():
        return {(n.category.value, n.severity.value, n.source.value)
                for n in db.session.scalars(select(Need).where(Need.visit_id == visit_id))}


def test_visitor_records_a_visit_once(app, world, api_as):
    api = api_as(world.visitor)
    sent = body(world.client_on_round.id, answers={"feeling": "good"}, note="Cup of tea")
    first = api.post("/visits", json=sent)
    assert first.status_code == 201, first.get_json()
    stored = first.get_json()
    assert stored["id"] == sent["id"] and stored["questionnaire_version"] == 1
    assert stored["round_id"] == world.round.id and stored["needs"] == []

    again = api.post("/visits", json=sent)
    assert again.status_code == 200
    assert again.get_json() == stored
    assert count(app, Visit) == 1
    assert api.get(f"/visits/{sent['id']}").get_json()["note"] == "Cup of tea"


def test_same_id_with_other_content_is_a_conflict(app, world, api_as):
    api = api_as(world.visitor)
    sent = body(world.client_on_round.id)
    assert api.post("/visits", json=sent).status_code == 201
    changed = api.post("/visits", json=dict(sent, outcome="seen_concern"))
    assert changed.status_code == 409
    assert changed.get_json()["error"]["code"] == "visit_id_conflict"
    with app.app_context():
        assert db.session.get(Visit, sent["id"]).outcome == "seen_well"


def test_upper_case_uuid_is_the_same_visit(app, world, api_as):
    api = api_as(world.visitor)
    sent = body(world.client_on_round.id)
    assert api.post("/visits", json=sent).status_code == 201
    assert api.post("/visits", json=dict(sent, id=sent["id"].upper())).status_code == 200
    assert count(app, Visit) == 1


@pytest.mark.parametrize("target", ["client_off_round", "foreign_client"])
def test_visit_for_a_client_not_on_the_visitors_round_is_refused_and_audited(
        target, app, world, api_as):
    client_id = getattr(world, target).id
    response = api_as(world.visitor).post("/visits", json=body(client_id))
    assert response.status_code == 403
    assert count(app, Visit) == 0
    assert count(app, AuditEvent, AuditEvent.action == "client.denied",
                 AuditEvent.client_id == client_id, AuditEvent.actor_id == world.visitor.id) == 1


def test_cover_visitor_may_record_and_the_covered_one_may_not(app, world, api_as):
    with app.app_context():
        today = utcnow().date()
        factories.cover(db.session.merge(world.round), db.session.merge(world.other_visitor),
                        today - timedelta(days=1), today + timedelta(days=1))
        db.session.commit()
    assert api_as(world.visitor).post(
        "/visits", json=body(world.client_on_round.id)).status_code == 403
    assert api_as(world.other_visitor).post(
        "/visits", json=body(world.client_on_round.id)).status_code == 201


def test_coordinator_records_but_other_operator_and_providers_do_not(app, world, api_as):
    assert api_as(world.coordinator).post(
        "/visits", json=body(world.client_off_round.id)).status_code == 201
    assert api_as(world.other_coordinator).post(
        "/visits", json=body(world.client_on_round.id)).status_code == 403
    for role in ("provider", "tutor"):
        assert api_as(getattr(world, role)).post(
            "/visits", json=body(world.client_on_round.id)).status_code == 403
    assert count(app, Visit) == 1


@pytest.mark.parametrize(("offset", "status"), [
    (timedelta(minutes=4), 201), (timedelta(minutes=10), 422),
    (-timedelta(days=6, hours=23), 201), (-timedelta(days=8), 422),
])
def test_visit_time_window(offset, status, app, world, api_as):
    sent = body(world.client_on_round.id, visited_at=(utcnow() + offset).isoformat())
    response = api_as(world.visitor).post("/visits", json=sent)
    assert response.status_code == status, response.get_json()
    if status == 422:
        assert "visited_at" in response.get_json()["error"]["fields"]


def test_unknown_questionnaire_version_is_refused_clearly(app, world, api_as):
    response = api_as(world.visitor).post("/visits", json=body(
        world.client_on_round.id, questionnaire_version=7, answers={"feeling": "good"}))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "unknown_questionnaire_version"
    assert "version 7" in error["message"] and "current version is 1" in error["message"]


def test_programme_questionnaire_versions(app, world, api_as):
    """A programme's own version is used; the answers are checked against that version."""
    with app.app_context():
        db.session.add(Questionnaire(programme_id=world.programme.id, version=2, questions=[
            {"id": "mood", "text": "Mood?", "kind": "choice", "options": [
                {"value": "low", "label": "Low",
                 "need": {"category": "loneliness", "severity": "soon"}}]}]))
        db.session.commit()
    api = api_as(world.visitor)
    sent = body(world.client_on_round.id, answers={"mood": "low"})
    response = api.post("/visits", json=sent)
    assert response.status_code == 201
    assert response.get_json()["questionnaire_version"] == 2
    assert needs_of(app, sent["id"]) == {("loneliness", "soon", "visit")}
    old = api.post("/visits", json=body(world.client_on_round.id, questionnaire_version=1))
    assert old.status_code == 422


@pytest.mark.parametrize(("answers", "expected"), [
    ({"falls_pain_illness": ["fall"]}, {("fall", "urgent")}),
    ({"falls_pain_illness": ["pain"]}, {("pain_or_illness", "soon")}),
    ({"falls_pain_illness": ["illness", "pain"]}, {("pain_or_illness", "soon")}),
    ({"eating_medicines": ["not_eating"]}, {("food_or_shopping", "soon")}),
    ({"eating_medicines": ["not_taking_medicines"]}, {("medication", "soon")}),
    ({"help_with": ["shopping"]}, {("food_or_shopping", "routine")}),
    ({"help_with": ["transport"]}, {("transport", "routine")}),
    ({"help_with": ["home_or_heating"]}, {("home_or_heating", "routine")}),
    ({"help_with": ["money"]}, {("money", "routine")}),
    ({"help_with": ["personal_care"]}, {("personal_care", "routine")}),
    ({"help_with": ["getting_online"]}, {("digital_help", "routine")}),
    ({"lonely": "often"}, {("loneliness", "routine")}),
    ({"lonely": "sometimes"}, set()),
    ({"feeling": "not_good"}, {("other", "routine")}),
    # Shopping help and not eating are one food need, at the more pressing severity.
    ({"help_with": ["shopping"], "eating_medicines": ["not_eating"]},
     {("food_or_shopping", "soon")}),
    ({"feeling": "good", "falls_pain_illness": [], "eating_medicines": [], "help_with": [],
      "lonely": "no"}, set()),
])
def test_answers_become_needs(answers, expected, app, world, api_as):
    sent = body(world.client_on_round.id, answers=answers)
    response = api_as(world.visitor).post("/visits", json=sent)
    assert response.status_code == 201, response.get_json()
    assert needs_of(app, sent["id"]) == {(c, s, "visit") for c, s in expected}
    assert {(n["category"], n["severity"]) for n in response.get_json()["needs"]} == expected


def test_concern_with_a_note_raises_an_other_need(app, world, api_as):
    sent = body(world.client_on_round.id, outcome="seen_concern", note="Seemed confused")
    assert api_as(world.visitor).post("/visits", json=sent).status_code == 201
    assert needs_of(app, sent["id"]) == {("other", "soon", "visit")}


@pytest.mark.parametrize("outcome", ["seen_concern", "seen_well"])
def test_a_note_goes_with_the_most_pressing_need_the_answers_raised(outcome, app, world,
                                                                   api_as):
    sent = body(world.client_on_round.id, outcome=outcome, note="Seemed confused",
                answers={"help_with": ["shopping"], "falls_pain_illness": ["fall"]})
    assert api_as(world.visitor).post("/visits", json=sent).status_code == 201
    assert needs_of(app, sent["id"]) == {("fall", "urgent", "visit"),
                                         ("food_or_shopping", "routine", "visit")}
    with app.app_context():
        described = {n.category.value: n.description for n in db.session.scalars(
            select(Need).where(Need.visit_id == sent["id"]))}
    assert described["fall"].endswith("Visitor's note: Seemed confused")
    assert "Seemed confused" not in described["food_or_shopping"]


def test_no_answer_raises_an_urgent_system_need(app, world, api_as):
    sent = body(world.client_on_round.id, outcome="no_answer")
    assert api_as(world.visitor).post("/visits", json=sent).status_code == 201
    assert needs_of(app, sent["id"]) == {("no_answer", "urgent", "system")}


def test_answers_only_when_seen(app, world, api_as):
    response = api_as(world.visitor).post("/visits", json=body(
        world.client_on_round.id, outcome="away", answers={"lonely": "often"}))
    assert response.status_code == 422
    assert count(app, Visit) == 0


def test_prescriptions_are_marked_delivered(app, world, api_as):
    with app.app_context():
        ready = factories.prescription(world.client_on_round).id
        out = factories.prescription(world.client_on_round,
                                     status=PrescriptionStatus.OUT_FOR_DELIVERY).id
        other = factories.prescription(world.client_off_round).id
        db.session.commit()
    sent = body(world.client_on_round.id, prescription_delivered=True)
    assert api_as(world.visitor).post("/visits", json=sent).status_code == 201
    with app.app_context():
        from outreach.care.models import Prescription

        for pid in (ready, out):
            p = db.session.get(Prescription, pid)
            assert (p.status, p.visit_id) == (PrescriptionStatus.DELIVERED, sent["id"])
            assert p.delivered_at is not None
        assert db.session.get(Prescription, other).status == PrescriptionStatus.READY


def test_prescriptions_untouched_when_not_delivered(app, world, api_as):
    with app.app_context():
        ready = factories.prescription(world.client_on_round).id
        db.session.commit()
    assert api_as(world.visitor).post(
        "/visits", json=body(world.client_on_round.id)).status_code == 201
    with app.app_context():
        from outreach.care.models import Prescription

        assert db.session.get(Prescription, ready).status == PrescriptionStatus.READY


@pytest.mark.parametrize("change", [
    {"id": "not-a-uuid"}, {"id": ""}, {"id": 5}, {"id": "x" * 5000},
    {"client_id": "1"}, {"client_id": -1}, {"client_id": 2**40}, {"client_id": None},
    {"visited_at": "yesterday"}, {"visited_at": 12}, {"outcome": "fine"}, {"outcome": ""},
    {"answers": []}, {"answers": "lonely"}, {"answers": {"lonely": "always"}},
    {"answers": {"help_with": "shopping"}}, {"answers": {"help_with": ["rocket"]}},
    {"answers": {"help_with": ["money", "money"]}}, {"answers": {"unknown": "x"}},
    {"answers": {"lonely": {"$ne": 1}}}, {"note": "x" * 2001}, {"note": "bad\x00char"},
    {"prescription_delivered": "maybe"}, {"questionnaire_version": "1"},
    {"questionnaire_version": 0}, {"extra": "field"},
])
def test_bad_input_is_refused(change, app, world, api_as):
    response = api_as(world.visitor).post("/visits",
                                          json=body(world.client_on_round.id) | change)
    assert response.status_code == 422, (change, response.get_json())
    assert response.get_json()["error"]["fields"]
    assert count(app, Visit) == 0


def test_unicode_and_injection_in_the_note_are_stored_as_text(app, world, api_as):
    note = "Élodie 👋 '; DROP TABLE visits; -- <script>alert(1)</script>"
    sent = body(world.client_on_round.id, note=note)
    assert api_as(world.visitor).post("/visits", json=sent).status_code == 201
    assert api_as(world.visitor).get(f"/visits/{sent['id']}").get_json()["note"] == note


def test_missing_client_is_a_422(world, api_as):
    response = api_as(world.visitor).post("/visits", json=body(2**31 - 1))
    assert response.status_code == 422


def test_list_and_read_visits_are_scoped(app, world, api_as):
    with app.app_context():
        mine = factories.visit(world.client_on_round, world.visitor).id
        off = factories.visit(world.client_off_round, world.coordinator).id
        foreign = factories.visit(world.foreign_client, world.other_coordinator).id
        db.session.commit()
    visitor = api_as(world.visitor)
    assert {v["id"] for v in visitor.get("/visits").get_json()["items"]} == {mine}
    assert visitor.get(f"/visits/{off}").status_code == 403
    assert visitor.get(f"/visits/{uuid.uuid4()}").status_code == 404
    assert visitor.get("/visits/not-a-uuid").status_code == 404
    coordinator = api_as(world.coordinator)
    assert {v["id"] for v in coordinator.get("/visits").get_json()["items"]} == {mine, off}
    assert coordinator.get(f"/visits/{foreign}").status_code == 403
    filtered = coordinator.get("/visits", query_string={
        "client_id": world.client_off_round.id}).get_json()["items"]
    assert [v["id"] for v in filtered] == [off]
    assert coordinator.get("/visits", query_string={"round_id": world.round.id}) \
        .get_json()["items"][0]["id"] == mine
    assert coordinator.get("/visits", query_string={"date": "2001-01-01"}) \
        .get_json()["items"] == []
    assert coordinator.get("/visits", query_string={"date": "nope"}).status_code == 422
    assert api_as(world.provider).get("/visits").status_code == 403


def test_visit_list_pages_with_a_cursor(app, world, api_as):
    with app.app_context():
        made = {factories.visit(world.client_on_round, world.visitor).id for _ in range(3)}
        db.session.commit()
    api = api_as(world.coordinator)
    seen, cursor = [], None
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.get("/visits", query_string=query).get_json()
        seen += [v["id"] for v in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made)
    assert api.get("/visits", query_string={"cursor": "!!!"}).status_code == 400
    assert api.get("/visits", query_string={"cursor": "MTIz"}).status_code == 400


def test_default_questionnaire_has_the_five_questions():
    assert [q["id"] for q in DEFAULT_QUESTIONS] == [
        "feeling", "falls_pain_illness", "eating_medicines", "help_with", "lonely"]


# --- The visitor's pages ----------------------------------------------------------------------


def test_round_page_lists_todays_stops_in_walking_order(app, world, client, login):
    with app.app_context():
        from outreach.people.models import Client

        first = db.session.get(Client, world.client_on_round.id)
        factories.visit_plan(first)
        second = factories.client(world.programme, full_name="Zoe Later", round_id=world.round.id,
                                  walk_order=0, access_notes="Gate code 1234")
        factories.visit_plan(second)
        factories.prescription(first, description="Blister pack")
        db.session.commit()
    login(world.visitor)
    page = client.get("/round/").get_data(as_text=True)
    assert page.index("Zoe Later") < page.index(world.client_on_round.full_name)
    assert "Gate code 1234" in page and "Deliver:</strong> Blister pack" in page
    assert "Waiting to send: 0" in page and "visitor.js" in page


def test_plain_form_records_a_visit_and_a_second_post_changes_nothing(app, world, client,
                                                                      login):
    login(world.visitor)
    url = f"/round/visit/{world.client_on_round.id}"
    form_page = client.get(url).get_data(as_text=True)
    token = CSRF.search(form_page).group(1)
    visit_id = re.search(r'name="id" value="([^"]+)"', form_page).group(1)
    form = {"csrf_token": token, "id": visit_id, "outcome": "seen_well",
            "questionnaire_version": "1", "answer-help_with": ["money", "transport"],
            "answer-lonely": "often", "prescription_delivered": "on", "note": "Fine"}
    assert client.post(url, data=form).status_code == 302
    assert client.post(url, data=form).status_code == 422  # same id, new time: not the same
    assert count(app, Visit) == 1
    assert {c for c, _, _ in needs_of(app, visit_id)} == {"money", "transport", "loneliness"}


def test_plain_form_explains_what_is_missing(app, world, client, login):
    login(world.visitor)
    url = f"/round/visit/{world.client_on_round.id}"
    token = csrf_token(client, url)
    response = client.post(url, data={"csrf_token": token, "id": str(uuid.uuid4())})
    assert response.status_code == 422
    assert "Please check the form" in response.get_data(as_text=True)
    response = client.post(url, data={"csrf_token": token, "id": str(uuid.uuid4()),
                                      "outcome": "seen_well", "questionnaire_version": "9"})
    assert response.status_code == 422
    assert "version 9 does not exist" in response.get_data(as_text=True)
    assert count(app, Visit) == 0


def test_phone_queue_endpoint_takes_json_with_the_csrf_header(app, world, client, login):
    login(world.visitor)
    token = csrf_token(client, "/round/")
    sent = body(world.client_on_round.id)
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    assert client.post("/round/visits", json=sent).status_code == 400  # no token
    first = client.post("/round/visits", json=sent, headers=headers)
    assert first.status_code == 201
    assert client.post("/round/visits", json=sent, headers=headers).status_code == 200
    conflict = client.post("/round/visits", json=dict(sent, note="other"), headers=headers)
    assert conflict.status_code == 409
    assert conflict.get_json()["error"]["code"] == "visit_id_conflict"
    off = client.post("/round/visits", json=body(world.client_off_round.id), headers=headers)
    assert off.status_code == 403 and off.get_json()["error"]["code"] == "forbidden"
    bad = client.post("/round/visits", json={"id": "x"}, headers=headers)
    assert bad.status_code == 422 and "fields" in bad.get_json()["error"]
    assert count(app, Visit) == 1


def test_service_worker_is_served_for_the_round_scope(client):
    response = client.get("/round/sw.js")
    response.get_data()
    response.close()  # a file-backed response: close it, or the file leaks
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"


def test_new_visit_answer_matches_what_is_stored(app, world, api_as):
    """The 201 lists the needs and measure it made without looking them up: the same as the
    stored visit reads back, replayed or fetched."""
    api = api_as(world.visitor)
    sent = body(world.client_on_round.id, outcome="seen_concern", note="Seemed confused",
                answers={"falls_pain_illness": ["fall", "pain"], "lonely": "often"},
                measures={"declined": True})
    first = api.post("/visits", json=sent)
    assert first.status_code == 201, first.get_json()
    made = first.get_json()
    assert len(made["needs"]) == 3 and made["measure_taken"] is True  # the note joins the fall
    assert [n["id"] for n in made["needs"]] == sorted(n["id"] for n in made["needs"])
    again = api.post("/visits", json=sent)
    assert again.status_code == 200 and again.get_json() == made
    assert api.get(f"/visits/{sent['id']}").get_json() == made


def test_known_outcome_serves_one_dump_only(app, world):
    from outreach.visits.schemas import VisitOut, remember_outcome

    with app.app_context():
        visit = Visit(id=str(uuid.uuid4()), client_id=world.client_on_round.id,
                      visited_at=utcnow(), visited_on=utcnow().date(), outcome="seen_well",
                      answers={}, note="", recorded_at=utcnow())
        db.session.add(visit)
        db.session.flush()
        remember_outcome(visit, [], measure_taken=True)  # not so: read back, it is False
        assert VisitOut().dump(visit)["measure_taken"] is True
        assert VisitOut().dump(visit)["measure_taken"] is False
        db.session.rollback()
