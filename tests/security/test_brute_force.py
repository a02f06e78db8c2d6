"""Brute-force login: the limits hold per address and account, per account (from whichever
addresses) and, looser, per address (whichever accounts are tried), on the login form and on
the API's token endpoint; a 429 comes in the error format and lets nothing in, not even the
right password. (tests/auth covers one account from one address.)"""

from __future__ import annotations

from outreach.db import db
from outreach.enums import Role
from outreach.organisations.models import Organisation
from tests import factories
from tests.conftest import API, csrf_token

TRIES = 10  # LOGIN_RATE_LIMIT in the defaults: 10 per minute
ADDRESS_TRIES = 30  # LOGIN_ADDRESS_RATE_LIMIT: failed logins from one address, any accounts


def _form_login(client, email: str, password: str = "") -> int:
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password or "not it 12",
                                       "csrf_token": token}).status_code


def _from(app, address: str):
    made = app.test_client()
    made.environ_base["REMOTE_ADDR"] = address
    return made


def test_one_address_trying_many_accounts_is_stopped(app, world):
    client = _from(app, "192.0.2.10")
    codes = [_form_login(client, f"guess{i}@example.org") for i in range(ADDRESS_TRIES + 1)]
    assert codes[:ADDRESS_TRIES] == [401] * ADDRESS_TRIES and codes[ADDRESS_TRIES] == 429
    # A real account, with its right password, from that address: still refused for now.
    assert _form_login(client, world.tutor.email, factories.PASSWORD) == 429
    # Another address is not held back by it.
    assert _form_login(_from(app, "192.0.2.11"), world.tutor.email, factories.PASSWORD) == 302


def test_token_endpoint_is_limited_per_account_across_addresses(app, world):
    codes = []
    for i in range(TRIES + 1):
        api = API(_from(app, f"198.51.100.{i + 1}"))
        codes.append(api.post("/auth/token", json={"email": world.admin.email,
                                                   "password": "not it"}).status_code)
    assert codes[:TRIES] == [401] * TRIES and codes[TRIES] == 429
    right = API(_from(app, "198.51.100.200")).post("/auth/token", json={
        "email": world.admin.email, "password": factories.PASSWORD})
    assert right.status_code == 429
    error = right.get_json()["error"]
    assert error["code"] == "too_many_requests" and error["fields"] == {}
    assert "token" not in right.get_json()


def test_token_endpoint_is_limited_per_address_across_accounts(app, world):
    api = API(_from(app, "203.0.113.5"))
    codes = [api.post("/auth/token", json={"email": f"nobody{i}@example.org",
                                           "password": "not it"}).status_code
             for i in range(ADDRESS_TRIES + 1)]
    assert codes[:ADDRESS_TRIES] == [401] * ADDRESS_TRIES and codes[ADDRESS_TRIES] == 429


def test_many_people_logging_in_from_one_address_are_not_held_back(app, world):
    """A depot's staff behind one address: successful logins do not count against it."""
    with app.app_context():
        operator = db.session.get(Organisation, world.operator.id)
        emails = [factories.user(Role.VISITOR, operator).email for _ in range(ADDRESS_TRIES + 5)]
        db.session.commit()
    for email in emails:
        assert _form_login(_from(app, "192.0.2.77"), email, factories.PASSWORD) == 302


def test_the_email_is_compared_folded_so_case_does_not_reset_the_count(app, world):
    email = world.coordinator.email
    codes = [_form_login(_from(app, f"192.0.2.{50 + i}"), email.upper() if i % 2 else email)
             for i in range(TRIES + 1)]
    assert codes[-1] == 429
