"""GET /api/v1/reports/summary: the dashboard's figures as JSON, on the hand-counted fixture;
and the programme's cost per visit through the programmes API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from outreach.db import db, set_clock
from outreach.programmes.models import Programme
from tests import factories
from tests.reports import fixture as hand

RANGE = "from=2026-01-01&to=2026-03-31"


@pytest.fixture
def made(app):
    return hand.committed(app)


@pytest.fixture
def api_of(app, api_as):
    return lambda user_id: api_as(hand.detached_user(app, user_id))


def test_the_summary_has_the_same_figures_as_the_page(made, api_of):
    response = api_of(made.coordinator_id).get(
        f"/reports/summary?programme_id={made.programme_id}&{RANGE}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["programme_id"], body["from"], body["to"], body["parish"],
            body["round_id"]) == (made.programme_id, "2026-01-01", "2026-03-31", "", None)
    assert body["clients"] == {"enrolled": 2, "active": 3, "left": 2, "reasons": [
        {"reason": "Moved away", "clients": 1}, {"reason": "No reason given", "clients": 1}]}
    assert body["visits"] == {"planned": 8, "done": 6, "missed": 2, "done_percent": 75.0,
                              "by_outcome": {"seen_well": 2, "seen_concern": 1, "no_answer": 1,
                                             "declined": 1, "away": 1}}
    assert body["no_answers"] == {"raised": 5, "seen_again": 2, "dealt_with": 1,
                                  "flagged_open": 1, "waiting": 1, "median_hours_to_close": 24.0}
    assert body["needs"]["categories"][0] == {"category": "fall", "safety_net": False,
                                              "total": 1, "by_month": [0, 0, 1]}
    soon = body["escalations_by_severity"][1]
    assert soon == {"severity": "soon", "count": 4, "acknowledged": 3, "resolved": 2,
                    "passed_on": 1, "resolved_late": 2, "timing": {
                        "acknowledge_median_hours": 4.0, "acknowledge_p90_hours": 10.0,
                        "resolve_median_hours": 20.0, "resolve_p90_hours": 30.0}}
    assert [r["name"] for r in body["escalations_by_recipient"]] == [
        "Food Bank Trust", "Grouville GP", "Designated contacts"]
    assert body["usefulness"][0] == {"name": "Food Bank Trust", "rated": 2, "mean": 4.0,
                                     "ratings": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}}
    assert body["texts"] == {"sent": 4, "delivered": 2, "delivered_percent": 50.0, "failed": 1,
                             "replies": 2, "opt_outs": 1, "segments": 5, "cost": 0.2}
    assert body["wellbeing"]["clients_compared"] == 2
    assert body["wellbeing"]["quarters"][0]["means"]["ucla"] == 5.83
    assert body["satisfaction"] == {"answers": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1},
                                    "answered": 3, "mean": 3.67}
    assert body["cost"] == {"per_visit": 6.75, "visits": 6, "visits_cost": 40.5,
                            "texts_cost": 0.2, "total": 40.7, "per_visit_with_texts": 6.78}
    assert body["months"][0] == {"month": "Jan 2026", "clients_enrolled": 1, "clients_left": 1,
                                 "visits_done": 3, "visits_missed": 1, "needs": 3,
                                 "texts_sent": 1, "texts_delivered": 1, "replies": 1}


def test_filters_narrow_the_clients(made, api_of):
    api = api_of(made.admin_id)
    body = api.get(f"/reports/summary?programme_id={made.programme_id}&{RANGE}"
                   f"&round_id={made.round_id}&parish=Trinity").get_json()
    # Trinity and R1: C only. Enrolled 5 Feb, left 10 Mar; one visit, one missed.
    assert (body["clients"]["enrolled"], body["clients"]["left"]) == (1, 1)
    assert (body["visits"]["done"], body["visits"]["missed"]) == (1, 1)
    assert body["texts"]["sent"] == 1 and body["round_id"] == made.round_id


def test_without_dates_the_last_12_months(made, api_of):
    set_clock(hand.at(2026, 6, 30, 22, 30))  # 23:30 in Jersey (BST): still 30 June there
    try:
        body = api_of(made.coordinator_id).get(
            f"/reports/summary?programme_id={made.programme_id}").get_json()
    finally:
        set_clock(None)
    assert (body["from"], body["to"]) == ("2025-07-01", "2026-06-30")
    assert len(body["months"]) == 12
    only_to = api_of(made.coordinator_id).get(
        f"/reports/summary?programme_id={made.programme_id}&to=2026-03-31").get_json()
    assert only_to["from"] == "2025-04-01"


@pytest.mark.parametrize("query, field", [
    ("", "programme_id"), ("programme_id=abc", "programme_id"), ("programme_id=0", "programme_id"),
    ("from=2026-02-30", "from"), ("from=2026-03-02&to=2026-03-01", "to"),
    ("round_id=-1", "round_id"), ("parish=" + "p" * 101, "parish"), ("from=1800-01-01", "from"),
])
def test_bad_filters_are_422(made, api_of, query, field):
    if field != "programme_id":
        query = f"programme_id={made.programme_id}&{query}"
    response = api_of(made.coordinator_id).get(f"/reports/summary?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_other_programmes_and_roles_are_refused(made, api_of, app):
    coordinator = api_of(made.coordinator_id)
    assert coordinator.get(f"/reports/summary?programme_id={made.other_programme_id}"
                           ).status_code == 403
    assert coordinator.get("/reports/summary?programme_id=99999999").status_code == 404
    for someone in (made.visitor_id, made.provider_id, made.tutor_id):
        assert api_of(someone).get(f"/reports/summary?programme_id={made.programme_id}"
                                   ).status_code == 403
    with app.app_context():
        foreign_round = factories.round_(db.session.get(Programme, made.other_programme_id)).id
        db.session.commit()
    wrong_round = coordinator.get(f"/reports/summary?programme_id={made.programme_id}"
                                  f"&round_id={foreign_round}")
    assert wrong_round.status_code == 422
    assert wrong_round.get_json()["error"]["fields"] == {"round_id": ["Not a round of this "
                                                                      "programme."]}


def test_an_empty_range_answers_zeros_and_nulls(made, api_of):
    body = api_of(made.coordinator_id).get(
        f"/reports/summary?programme_id={made.programme_id}&from=2030-01-01&to=2030-01-01"
    ).get_json()
    assert body["visits"]["done_percent"] is None
    assert body["cost"]["per_visit_with_texts"] is None
    assert body["escalations_by_recipient"] == [] and body["usefulness"] == []


def test_cost_per_visit_through_the_programmes_api(made, api_of, app):
    api = api_of(made.coordinator_id)
    changed = api.patch(f"/programmes/{made.programme_id}", json={"cost_per_visit": 7.5})
    assert changed.status_code == 200 and changed.get_json()["cost_per_visit"] == 7.5
    assert api.get(f"/programmes/{made.programme_id}").get_json()["cost_per_visit"] == 7.5
    for wrong in (-0.01, 1000.01, 6.755, "abc", None, True):
        response = api.patch(f"/programmes/{made.programme_id}", json={"cost_per_visit": wrong})
        assert response.status_code == 422, wrong
        assert "cost_per_visit" in response.get_json()["error"]["fields"]
    refused = api.patch(f"/programmes/{made.other_programme_id}", json={"cost_per_visit": 1})
    assert refused.status_code == 403
    body = api.get(f"/reports/summary?programme_id={made.programme_id}&{RANGE}").get_json()
    assert body["cost"]["visits_cost"] == 45.0  # 6 visits at 7.50


def test_the_range_default_never_starts_after_it_ends():
    from outreach.reports.dashboard import default_range

    start, end = default_range(date(2026, 3, 31))
    assert start == end - timedelta(days=364) == date(2025, 4, 1)
