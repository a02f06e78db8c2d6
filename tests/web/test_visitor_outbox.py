"""The key that locks a walker's unsent visits on the phone: only in a logged-in walker's
pages, one per user, and gone once they log out."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token

META = re.compile(r'<meta name="visitor-outbox" content="([A-Za-z0-9_-]{43})">')


def _key(client, path: str) -> str | None:
    found = META.search(client.get(path).get_data(as_text=True))
    return found[1] if found else None


@pytest.mark.parametrize("who", ["visitor", "coordinator", "admin"])
def test_walkers_pages_carry_their_own_key(world, app, login, who):
    first = _key(login(getattr(world, who)), "/round/")
    with app.test_client() as other:
        login_other = other.get("/login")
        assert login_other.status_code == 200 and not META.search(login_other.get_data(True))
    assert first is not None


def test_each_user_has_another_key_and_it_leaves_with_the_session(world, app, client, login):
    login(world.visitor)
    mine = _key(client, "/round/")
    assert mine == _key(client, "/clients/")  # every page, so logging out anywhere can ask
    client.post("/logout", data={"csrf_token": csrf_token(client, "/round/")})
    assert _key(client, "/login") is None
    login(world.other_visitor)
    theirs = _key(client, "/round/")
    assert theirs is not None and theirs != mine


@pytest.mark.parametrize("who", ["provider", "tutor"])
def test_roles_that_record_no_visits_get_no_key(world, login, who):
    client = login(getattr(world, who))
    assert "visitor-outbox" not in client.get("/").get_data(as_text=True) + \
        client.get("/clients/").get_data(as_text=True)
