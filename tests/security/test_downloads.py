"""Every file the site hands out (CSV, PDF, ZIP, any attachment) is sent with
`Cache-Control: no-store`, found by walking the route table rather than from a list."""

from __future__ import annotations

import itertools
import re

from werkzeug.routing import Rule

from outreach.db import db
from outreach.enums import ProgrammeKind
from outreach.security import is_download  # noqa
from tests import factories
from tests.conftest import csrf_token

# A value for each kind of path parameter the walk knows: enough to reach every download.
FILE_SUFFIX = re.compile(r"\.(csv|pdf|zip)$")


def _values(app, world) -> dict[str, list]:
    """Values to try for each path parameter, every kind of programme included."""
    with app.app_context():
        literacy = factories.programme(world.operator, ProgrammeKind.DIGITAL_LITERACY).id
        db.session.commit()
    return {"programme_id": [world.programme.id, literacy], "organisation_id": [world.gp.id],
            "month": ["2026-11"], "name": ["clients"], "client_id": [world.client_on_round.id],
            "round_id": [world.round.id], "user_id": [world.coordinator.id]}


def _get_rules(app) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and rule.endpoint != "static"]


def test_every_download_route_is_sent_no_store(app, world, client, login):
    login(world.admin)
    csrf_token(client, "/clients/")
    values = _values(app, world)
    downloads, walked, unknown = {}, set(), set()
    for rule in _get_rules(app):
        names = sorted(rule.arguments)
        if set(names) - set(values):
            unknown.add(rule.rule)
            continue
        walked.add(rule.rule)
        for combination in itertools.product(*(values[name] for name in names)):
            path = rule.build(dict(zip(names, combination, strict=True)),
                              append_unknown=False)[1]
            for programme_id in values["programme_id"]:
                response = client.get(path, query_string={"programme_id": programme_id})
                response.get_data()
                response.close()
                if is_download(response):
                    downloads.setdefault(rule.rule, []).append(response)
    named_files = {rule.rule for rule in _get_rules(app) if FILE_SUFFIX.search(rule.rule)}
    # Every route that looks like a file was reached by the walk and answered with the file.
    assert named_files <= walked, named_files - walked
    assert named_files <= set(downloads), named_files - set(downloads)
    for rule, responses in downloads.items():
        assert any(response.status_code == 200 for response in responses), rule
        for response in responses:
            assert response.headers.get("Cache-Control") == "no-store", rule
            assert "ETag" not in response.headers and "Expires" not in response.headers, rule
    assert len(downloads) >= 5
    # The walk left out only routes with a parameter it has no value for; none is a file.
    assert not {rule for rule in unknown if FILE_SUFFIX.search(rule)}


def test_a_page_and_an_api_answer_are_not_taken_for_downloads(app, world, client, login,
                                                              api_as):
    login(world.admin)
    page = client.get("/clients/")
    assert not is_download(page) and page.headers["Cache-Control"] == "no-store"
    assert not is_download(api_as(world.admin).get("/clients"))
