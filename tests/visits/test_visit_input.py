"""Inputs the fuzzer found that ended in a server error: times at the ends of the calendar and
replays whose answers hold anything JSON can. Each is now a 4xx with the error format."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.visits.test_visits import body

SETTINGS = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _refused(response, field: str) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and field in error["fields"]


@pytest.mark.parametrize("visited_at", [
    "0001-01-01T00:00:00Z", "0001-01-01T00:00:00", "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-12:00", "1899-12-31T23:59:59Z",
])
def test_a_time_at_the_ends_of_the_calendar_is_refused(world, api_as, visited_at):
    response = api_as(world.visitor).post("/visits", json=body(world.client_on_round.id,
                                                               visited_at=visited_at))
    _refused(response, "visited_at")


@SETTINGS
@given(moment=st.datetimes(timezones=st.timezones()))
def test_any_time_in_any_zone_is_stored_or_refused_never_a_server_error(world, api_as, moment):
    response = api_as(world.visitor).post("/visits", json=body(
        world.client_on_round.id, visited_at=moment.isoformat()))
    assert response.status_code in (201, 422), response.get_data(as_text=True)


@pytest.mark.parametrize("date", ["0001-01-01", "9999-12-31"])
def test_listing_the_visits_of_a_day_at_the_ends_of_the_calendar_is_refused(world, api_as, date):
    response = api_as(world.coordinator).get(f"/visits?date={date}")
    _refused(response, "date")


@pytest.mark.parametrize("answers", [
    {"help_with": [1, "shopping", None, 2.5, ["x"], {"a": 1}, True]},
    {"help_with": [{"b": 1}, {"a": 1}]}, {"feeling": 3},
    {"feeling": {"$ne": "good"}}, {"help_with": ["x" * 500]},
    {"help_with": [str(n) for n in range(200)]},
])
def test_a_replay_whose_answers_hold_mixed_types_is_refused(world, api_as, answers):
    api = api_as(world.visitor)
    sent = body(world.client_on_round.id, answers={"feeling": "good", "help_with": ["shopping"]})
    assert api.post("/visits", json=sent).status_code == 201
    _refused(api.post("/visits", json=sent | {"answers": answers}), "answers")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=8)


@SETTINGS
@given(answers=st.dictionaries(st.sampled_from(["feeling", "help_with", "lonely", "other"]),
                               json_values, max_size=3))
def test_a_replay_with_any_answers_is_the_same_visit_a_conflict_or_refused(world, api_as,
                                                                          answers):
    api = api_as(world.visitor)
    sent = body(world.client_on_round.id, id=str(uuid.uuid4()), answers={"help_with": ["shopping"]})
    assert api.post("/visits", json=sent).status_code == 201
    response = api.post("/visits", json=sent | {"answers": answers})
    assert response.status_code in (200, 409, 422), response.get_data(as_text=True)
    assert "error" in response.get_json() or response.status_code == 200
