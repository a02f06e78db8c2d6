"""A JSON body's booleans are JSON's true and false, as the OpenAPI document declares: 1, 0,
"yes" and "true" are refused (found by schemathesis' negative_data_rejection), while query
strings keep taking "true"."""

from datetime import UTC, datetime, timedelta

import pytest

SOON = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT10:00:00Z")


@pytest.mark.parametrize("value", [0, 1, "true", "yes", "on"])
def test_a_body_boolean_that_is_not_json_true_or_false_is_refused(world, api_as, value):
    """transport_needed: 0 made an appointment; now a 422 naming the field."""
    api = api_as(world.coordinator)
    answer = api.post(f"/clients/{world.client_on_round.id}/appointments",
                      json={"starts_at": SOON, "transport_needed": value})
    assert answer.status_code == 422, answer.get_json()
    assert "transport_needed" in answer.get_json()["error"]["fields"]


def test_json_true_is_taken_and_query_strings_keep_their_booleans(world, api_as):
    api = api_as(world.coordinator)
    answer = api.post(f"/clients/{world.client_on_round.id}/appointments",
                      json={"starts_at": SOON, "transport_needed": True})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["transport_needed"] is True
    listed = api.get(f"/clients/{world.client_on_round.id}/appointments?upcoming=true")
    assert listed.status_code == 200, listed.get_json()
