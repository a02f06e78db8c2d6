"""After a client is erased, no route serves the provider anything of theirs.

The same walk as tests/test_withdrawn_access.py (every rule of `app.url_map`, every credential
the GP practice holds, the feeds from the start), over the same seeded client, erased this time
(right to erasure) while the GP held a live and a resolved escalation about them. The GP keeps
only the record that its escalations were withdrawn.
"""

from __future__ import annotations

import pytest

from outreach.db import db
from outreach.escalations import feed
from outreach.people.subject_access import erase

# The matrix's module-wide world, and its per-test savepoint in place of the suite's transaction.
from tests.test_access_matrix import _matrix_world, _transaction  # noqa: F401 - fixtures
from tests.test_withdrawn_access import seed, walk


@pytest.fixture(scope="module")
def erased(app, _matrix_world):  # noqa: F811
    """The matrix world, with the client on the round seeded, then erased."""
    made, ids = _matrix_world
    with app.app_context():
        erase(seed(ids))
        db.session.commit()
        feed.sequence_committed()
        feed.assign_positions()
        db.session.commit()
    return made, ids


def test_no_route_serves_the_provider_the_client_after_erasure(app, client, login, erased):
    made, ids = erased
    errors, leaked, _, reached = walk(app, client, login, made, ids)
    assert errors == []
    assert leaked == [], "personal data served after the client was erased"
    # The escalation's own page, API and FHIR Task answer that it is gone (410), not 404.
    assert {("GET", "/api/v1/escalations/<int:escalation_id>"),
            ("GET", "/escalations/<int:escalation_id>"),
            ("GET", "/fhir/r4/Task/<task_id>")} <= reached


def test_the_provider_learns_its_escalations_were_withdrawn(api_as, erased):
    """What is left: a withdrawn event per escalation, in the pull feed, naming nobody."""
    made, ids = erased
    items = api_as(made.provider).get("/escalations?since=0&limit=200").get_json()["items"]
    withdrawn = {i["escalation_id"] for i in items if i["kind"] == "withdrawn"}
    assert {ids["esc_gp_on"], ids["esc_resolved_on"]} <= withdrawn
