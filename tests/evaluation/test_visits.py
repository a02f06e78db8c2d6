"""The wellbeing questions asked on the doorstep: the visitor's form, the phone's queue and the
visits API store them with the visit, once, and only when they were asked."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from outreach.db import db, utcnow
from outreach.evaluation.models import MeasureSource, OutcomeMeasure
from outreach.people.models import Client
from outreach.visits.models import Visit
from tests.conftest import CSRF, csrf_token
from tests.evaluation.factories import FULL_WELLBEING, outcome_measure
from tests.visits.test_visits import body

SECTION = "Every 3 months: how"


def measures(app) -> list[OutcomeMeasure]:
    with app.app_context():
        return list(db.session.scalars(select(OutcomeMeasure).order_by(OutcomeMeasure.id)))


def visits(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Visit))


def asked_before(app, world, days: int, **kw) -> None:
    with app.app_context():
        outcome_measure(db.session.get(Client, world.client_on_round.id),
                        asked_at=utcnow() - timedelta(days=days), **kw)
        db.session.commit()


def open_form(client, world) -> tuple[str, str, str]:
    url = f"/round/visit/{world.client_on_round.id}"
    page = client.get(url).get_data(as_text=True)
    return url, page, re.search(r'name="id" value="([^"]+)"', page).group(1)


def test_form_shows_the_section_only_when_due(app, world, client, login):
    login(world.visitor)
    _, page, _ = open_form(client, world)
    first = world.client_on_round.full_name.split()[0]
    assert f"{SECTION} {first} is feeling" in page
    assert f"{first} would rather not answer" in page
    assert "How often do you feel that you lack companionship?" in page
    assert page.count('name="measure-ons_anxious"') == 11
    assert page.count('name="measure-ucla_isolated"') == 3
    asked_before(app, world, 30, declined=True)
    _, page, _ = open_form(client, world)
    assert SECTION not in page and "measure-" not in page


def test_form_shows_the_section_again_after_84_days(app, world, client, login):
    asked_before(app, world, 84)
    login(world.visitor)
    assert SECTION in open_form(client, world)[1]


def test_plain_form_stores_the_answers_with_the_visit(app, world, client, login):
    login(world.visitor)
    url, page, visit_id = open_form(client, world)
    form = {"csrf_token": CSRF.search(page).group(1), "id": visit_id, "outcome": "seen_well",
            "questionnaire_version": "1",
            **{f"measure-{k}": str(v) for k, v in FULL_WELLBEING.items()}}
    assert client.post(url, data=form).status_code == 302
    assert client.post(url, data=form).status_code == 422  # the same id again: no second one
    [stored] = measures(app)
    assert (stored.visit_id, stored.source, stored.recorded_by_id) == (
        visit_id, MeasureSource.VISIT, world.visitor.id)
    assert stored.completed_at is not None and stored.ucla_total == 6
    assert SECTION not in open_form(client, world)[1]  # asked: not due for 3 months


def test_plain_form_partial_answers_and_a_refusal(app, world, client, login):
    login(world.visitor)
    url, page, visit_id = open_form(client, world)
    token = CSRF.search(page).group(1)
    assert client.post(url, data={"csrf_token": token, "id": visit_id, "outcome": "seen_concern",
                                  "questionnaire_version": "1", "measure-ons_happy": "4",
                                  "measure-ucla_left_out": "2"}).status_code == 302
    [part] = measures(app)
    assert part.completed_at is None and (part.ons_happy, part.ucla_left_out) == (4, 2)
    with app.app_context():
        db.session.execute(OutcomeMeasure.__table__.delete())
        db.session.commit()
    url, page, visit_id = open_form(client, world)
    # Declined wins over a stray answer ticked before the client said no.
    assert client.post(url, data={"csrf_token": token, "id": visit_id, "outcome": "seen_well",
                                  "questionnaire_version": "1", "measure-declined": "on",
                                  "measure-ons_happy": "4"}).status_code == 302
    [declined] = measures(app)
    assert declined.declined and declined.ons_happy is None and declined.completed_at is None


@pytest.mark.parametrize("outcome", ["no_answer", "away", "declined"])
def test_answers_are_ignored_when_the_client_was_not_seen(app, world, client, login, outcome):
    login(world.visitor)
    url, page, visit_id = open_form(client, world)
    response = client.post(url, data={"csrf_token": CSRF.search(page).group(1), "id": visit_id,
                                      "outcome": outcome, "questionnaire_version": "1",
                                      "measure-ons_happy": "4", "measure-declined": "on"})
    assert response.status_code == 302
    assert visits(app) == 1 and measures(app) == []


def test_untouched_section_stores_nothing(app, world, client, login):
    login(world.visitor)
    url, page, visit_id = open_form(client, world)
    assert client.post(url, data={"csrf_token": CSRF.search(page).group(1), "id": visit_id,
                                  "outcome": "seen_well", "questionnaire_version": "1"}
                       ).status_code == 302
    assert visits(app) == 1 and measures(app) == []


@pytest.mark.parametrize("value", ["11", "-1", "seven", "٣", "9" * 40])
def test_plain_form_bad_answer_stores_neither(app, world, client, login, value):
    login(world.visitor)
    url, page, visit_id = open_form(client, world)
    response = client.post(url, data={"csrf_token": CSRF.search(page).group(1), "id": visit_id,
                                      "outcome": "seen_well", "questionnaire_version": "1",
                                      "measure-ons_happy": value, "note": "Kept on the form"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Give a whole number from 0 to 10." in text and "Kept on the form" in text
    assert visits(app) == 0 and measures(app) == []


def test_phone_queue_sends_measures_and_a_replay_stores_one(app, world, client, login):
    login(world.visitor)
    headers = {"X-CSRFToken": csrf_token(client, "/round/"), "Accept": "application/json"}
    sent = body(world.client_on_round.id, measures={"declined": False, "answers": {
        "ucla_companionship": 3, "ons_worthwhile": 10}})
    first = client.post("/round/visits", json=sent, headers=headers)
    assert first.status_code == 201 and first.get_json()["measure_taken"] is True
    again = client.post("/round/visits", json=sent, headers=headers)
    assert again.status_code == 200 and again.get_json()["measure_taken"] is True
    [stored] = measures(app)
    assert (stored.ucla_companionship, stored.ons_worthwhile, stored.visit_id) == (
        3, 10, sent["id"])
    assert "ucla" not in str(first.get_json())  # the visitor gets no answers back


@pytest.mark.parametrize(("sent", "where"), [
    ({"answers": {"loneliness": 2}}, "loneliness"),
    ({"answers": {"ons_anxious": 11}}, "ons_anxious"),
    ({"answers": {"ucla_isolated": 0}}, "ucla_isolated"),
    ({"answers": {"ucla_isolated": "2"}}, "ucla_isolated"),
    ({"answers": {"ucla_isolated": [2]}}, "ucla_isolated"),
    ({"answers": {f"item{i}": 1 for i in range(500)}}, "answers"),
    ({"answers": "all fine"}, "answers"),
    ({"declined": "perhaps"}, "declined"),
    ({"declined": True, "answers": {"ons_happy": 3}}, "answers"),
    ({"kind": "wellbeing"}, "kind"),
])
def test_visit_api_refuses_bad_measures_and_stores_nothing(app, world, api_as, sent, where):
    response = api_as(world.visitor).post("/visits", json=body(
        world.client_on_round.id, measures=sent))
    assert response.status_code == 422, response.get_json()
    assert where in str(response.get_json()["error"]["fields"]["measures"])
    assert visits(app) == 0 and measures(app) == []


def test_visit_api_without_measures_or_with_null_is_unchanged(app, world, api_as):
    api = api_as(world.coordinator)
    for extra in ({}, {"measures": None}):
        made = api.post("/visits", json=body(world.client_on_round.id, **extra))
        assert made.status_code == 201 and made.get_json()["measure_taken"] is False
    assert measures(app) == []


def test_visit_api_stores_a_coordinators_doorstep_refusal(app, world, api_as):
    sent = body(world.client_off_round.id, outcome="seen_concern", id=str(uuid.uuid4()),
                measures={"declined": True})
    assert api_as(world.coordinator).post("/visits", json=sent).status_code == 201
    [stored] = measures(app)
    assert stored.declined and stored.recorded_by_id == world.coordinator.id
