"""CSRF with a token that is there but wrong: made up, from another session, from another site's
key, or sent to a page after logging out. (The access matrix sends every form without one.)"""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from outreach.db import db
from outreach.people.models import Client
from tests import factories
from tests.conftest import csrf_token


def _clients(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Client.id)))


def _new_client_form(world, token: str) -> dict:
    return {"csrf_token": token, "programme_id": str(world.programme.id),
            "full_name": "Forged Request", "date_of_birth": "1939-07-08",
            "consent_take_part": "on"}


def _login(client, user) -> None:
    token = csrf_token(client)
    assert client.post("/login", data={"email": user.email, "password": factories.PASSWORD,
                                       "csrf_token": token}).status_code == 302


def _wrong_tokens(app, other_client) -> dict:
    """Tokens that look right but are not this session's."""
    return {
        "made up": "ImFhYWEi.Zz1234.abcdefghijklmnopqrstuvwxyz0",
        "another session's": csrf_token(other_client),
        "signed with another key": URLSafeTimedSerializer("not our key", salt="wtf-csrf-token")
        .dumps("0" * 40),
        "empty": "",
        "very long": "A" * 5000,
    }


@pytest.mark.parametrize("which", ["made up", "another session's", "signed with another key",
                                   "empty", "very long"])
def test_a_form_with_a_wrong_csrf_token_is_refused_and_changes_nothing(app, world, client,
                                                                      which):
    _login(client, world.coordinator)
    token = _wrong_tokens(app, app.test_client())[which]
    before = _clients(app)
    response = client.post("/clients/new", data=_new_client_form(world, token))
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert _clients(app) == before
    # The right token still works, so the refusal above was the token's doing.
    good = client.post("/clients/new", data=_new_client_form(world, csrf_token(client,
                                                                               "/clients/new")))
    assert good.status_code == 302 and _clients(app) == before + 1


def test_another_sessions_token_does_not_log_in_or_out(app, world, client):
    stranger = app.test_client()
    response = client.post("/login", data={"email": world.coordinator.email,
                                           "password": factories.PASSWORD,
                                           "csrf_token": csrf_token(stranger)})
    assert response.status_code == 400
    assert client.get("/clients/").status_code == 302
    _login(client, world.coordinator)
    assert client.post("/logout", data={"csrf_token": csrf_token(stranger)}).status_code == 400
    assert client.get("/clients/").status_code == 200


def test_a_token_from_before_logging_out_is_no_use_after(app, world, client):
    _login(client, world.coordinator)
    old = csrf_token(client, "/clients/new")
    assert client.post("/logout", data={"csrf_token": old}).status_code == 302
    _login(client, world.coordinator)
    before = _clients(app)
    assert client.post("/clients/new", data=_new_client_form(world, old)).status_code == 400
    assert _clients(app) == before


def test_a_token_in_a_header_from_another_origin_page_is_checked_too(app, world, client):
    """Flask-WTF also reads X-CSRFToken: a wrong one there is refused as well."""
    _login(client, world.coordinator)
    form = _new_client_form(world, "")
    form.pop("csrf_token")
    before = _clients(app)
    response = client.post("/clients/new", data=form,
                           headers={"X-CSRFToken": csrf_token(app.test_client())})
    assert response.status_code == 400
    assert _clients(app) == before
