"""The client page's "Loneliness and wellbeing" panel and the coordinator's telephone form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db, utcnow
from outreach.evaluation.models import MeasureSource, OutcomeMeasure
from outreach.people.models import Client
from tests.conftest import csrf_token
from tests.evaluation.factories import outcome_measure

PANEL = "Loneliness and wellbeing"


def stored(app) -> list[OutcomeMeasure]:
    with app.app_context():
        return list(db.session.scalars(select(OutcomeMeasure).order_by(OutcomeMeasure.id)))


def page_of(client, world) -> str:
    return client.get(f"/clients/{world.client_on_round.id}").get_data(as_text=True)


def test_panel_lists_measures_and_when_the_next_is_due(app, world, client, login):
    with app.app_context():
        person = db.session.get(Client, world.client_on_round.id)
        outcome_measure(person, asked_at=utcnow() - timedelta(days=30))
        outcome_measure(person, source=MeasureSource.SMS, answers={"ons_happy": 9},
                        asked_at=utcnow() - timedelta(days=300), awaiting="ons_anxious")
        outcome_measure(person, "satisfaction", "sms", asked_at=utcnow() - timedelta(days=90))
        db.session.commit()
    login(world.coordinator)
    page = page_of(client, world)
    assert PANEL in page
    panel = page.split('id="measures"')[1].split("</section>")[0]
    assert "At a visit" in panel and "By text" in panel and "Complete" in panel
    assert "Waiting for replies" in panel
    assert ">6<" in panel  # the UCLA-3 total of the default answers
    assert "Next due" in panel and "Due now" in panel  # wellbeing ahead, satisfaction due
    assert panel.index("At a visit") < panel.index("Waiting for replies")  # newest first


def test_panel_says_not_asked_yet(world, client, login):
    login(world.admin)
    panel = page_of(client, world).split('id="measures"')[1]
    assert "Not asked yet." in panel and "Due now" in panel


def test_visitor_sees_no_past_answers(app, world, client, login):
    with app.app_context():
        outcome_measure(db.session.get(Client, world.client_on_round.id))
        db.session.commit()
    login(world.visitor)
    response = client.get(f"/clients/{world.client_on_round.id}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert PANEL not in text and "UCLA" not in text and 'id="measures"' not in text


def form(token: str, **answers) -> dict:
    return {"csrf_token": token, "kind": "wellbeing", **answers}


def test_coordinator_records_telephone_answers(app, world, client, login):
    login(world.coordinator)
    url = f"/clients/{world.client_on_round.id}/measures"
    token = csrf_token(client, f"/clients/{world.client_on_round.id}")
    response = client.post(url, data=form(token, **{"answer-ucla_isolated": "3",
                                                     "answer-ons_anxious": "0"}))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/clients/{world.client_on_round.id}#measures")
    [made] = stored(app)
    assert (made.source, made.recorded_by_id, made.ucla_isolated, made.ons_anxious) == (
        MeasureSource.WEB, world.coordinator.id, 3, 0)
    assert made.completed_at is None
    response = client.post(url, data={"csrf_token": token, "kind": "satisfaction",
                                      "declined": "on"})
    assert response.status_code == 302 and stored(app)[1].declined
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action == "measure.record")).all() == ["measure.record"] * 2


def test_without_csrf_nothing_is_stored(app, world, client, login):
    login(world.coordinator)
    response = client.post(f"/clients/{world.client_on_round.id}/measures",
                           data={"kind": "wellbeing", "answer-ons_happy": "5"})
    assert response.status_code == 400
    assert stored(app) == []


@pytest.mark.parametrize(("data", "message"), [
    ({}, "Give at least one answer"),
    ({"answer-ons_happy": "11"}, "Give a whole number from 0 to 10."),
    ({"answer-ucla_left_out": "0"}, "Give a whole number from 1 to 3."),
    ({"answer-ons_happy": "<script>alert(1)</script>"}, "Give a whole number from 0 to 10."),
    ({"declined": "on", "answer-ons_happy": "4"}, "Leave the answers empty"),
    ({"kind": "mood", "answer-ons_happy": "4"}, "Must be one of"),
    ({"kind": "", "answer-ons_happy": "4"}, "Must be one of"),
])
def test_bad_form_is_a_422_with_a_message(app, world, client, login, data, message):
    login(world.coordinator)
    token = csrf_token(client, f"/clients/{world.client_on_round.id}")
    response = client.post(f"/clients/{world.client_on_round.id}/measures",
                           data={**form(token), **data})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Please check the form" in text and message in text
    assert "<script>alert(1)</script>" not in text
    assert stored(app) == []


def test_visitor_and_other_operator_cannot_record(app, world, client, login):
    for user in (world.visitor, world.other_coordinator):
        login(user)
        token = csrf_token(client, "/clients/")
        response = client.post(f"/clients/{world.client_on_round.id}/measures",
                               data=form(token, **{"answer-ons_happy": "4"}))
        assert response.status_code == 403
        client.post("/logout", data={"csrf_token": token})
    assert stored(app) == []
