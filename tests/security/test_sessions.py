"""Session fixation and cookie flags: a session planted before login never becomes logged in,
and the session cookie is HttpOnly, SameSite=Lax, and Secure when the site is served over https."""

from __future__ import annotations

import pytest

from outreach import create_app
from tests import factories
from tests.conftest import TEST_SETTINGS, csrf_token

COOKIE = "outreach_session"


def _log_in(client, user) -> None:
    token = csrf_token(client)
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302


def test_a_session_planted_before_login_is_not_logged_in_afterwards(app, world, client):
    """An attacker who gives the victim a known session cookie gains nothing by it."""
    attacker = app.test_client()
    attacker.get("/login")
    planted = attacker.get_cookie(COOKIE).value
    # The victim's browser carries the attacker's cookie and logs in with it.
    client.set_cookie(COOKIE, planted)
    _log_in(client, world.coordinator)
    assert client.get("/clients/").status_code == 200
    assert client.get_cookie(COOKIE).value != planted
    # The attacker, still holding the planted cookie, is not logged in.
    assert attacker.get("/clients/").status_code == 302
    replay = app.test_client()
    replay.set_cookie(COOKIE, planted)
    assert replay.get("/clients/").status_code == 302


def test_logging_out_ends_the_session_for_its_cookie(app, world, client):
    _log_in(client, world.coordinator)
    logged_in = client.get_cookie(COOKIE).value
    token = csrf_token(client, "/clients/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/clients/").status_code == 302
    assert client.get_cookie(COOKIE) is None or client.get_cookie(COOKIE).value != logged_in


@pytest.mark.parametrize("who", ["coordinator", "visitor", "provider", "tutor", "admin"])
def test_a_cookie_copied_before_logout_opens_nothing_afterwards(app, world, client, who):
    """Logging out ends the session on the server: a copy of the cookie (a shared computer, a
    stolen one) is refused afterwards, not only the browser's own, forgotten, copy."""
    user = getattr(world, who)
    _log_in(client, user)
    start = client.get("/", follow_redirects=False).headers["Location"]
    assert client.get(start).status_code == 200
    copied = client.get_cookie(COOKIE).value
    token = csrf_token(client, start)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302

    replay = app.test_client()
    replay.set_cookie(COOKIE, copied)
    response = replay.get(start)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    # Logging in again works, with a new session the old copy still does not share.
    _log_in(client, user)
    assert client.get(start).status_code == 200
    assert replay.get(start).status_code == 302


def test_a_deactivated_users_cookie_opens_nothing(app, world, client, api_as):
    _log_in(client, world.visitor)
    copied = client.get_cookie(COOKIE).value
    admin = api_as(world.admin)
    assert admin.patch(f"/users/{world.visitor.id}", json={"active": False}).status_code == 200
    replay = app.test_client()
    replay.set_cookie(COOKIE, copied)
    assert replay.get("/round/").status_code == 302
    assert client.get("/round/").status_code == 302
    # Even once active again, the sessions from before stay ended.
    assert admin.patch(f"/users/{world.visitor.id}", json={"active": True}).status_code == 200
    assert replay.get("/round/").status_code == 302


def test_end_sessions_logs_a_user_out_everywhere(app, world):
    from outreach.auth.models import User
    from outreach.auth.sessions import end_sessions
    from outreach.db import db

    phone, desktop = app.test_client(), app.test_client()
    for browser in (phone, desktop):
        _log_in(browser, world.coordinator)
        assert browser.get("/clients/").status_code == 200
    with app.app_context():
        end_sessions(db.session.get(User, world.coordinator.id))
        db.session.commit()
    assert phone.get("/clients/").status_code == 302
    assert desktop.get("/clients/").status_code == 302


def test_a_forged_or_tampered_session_cookie_is_not_logged_in(app, world, client):
    _log_in(client, world.coordinator)
    value = client.get_cookie(COOKIE).value
    for forged in (value[:-2] + ("AA" if not value.endswith("AA") else "BB"),
                   "eyJfdXNlcl9pZCI6IjEifQ.forged.signature", "", "x" * 4000):
        other = app.test_client()
        other.set_cookie(COOKIE, forged)
        assert other.get("/clients/").status_code == 302, forged[:40]


def test_session_cookie_flags_over_plain_http(world, client):
    _log_in(client, world.coordinator)
    cookie = client.get_cookie(COOKIE)
    assert cookie.http_only and cookie.same_site == "Lax"
    assert not cookie.secure  # http://localhost: a Secure cookie would never come back


@pytest.fixture
def https_app(database_url):
    return create_app(dict(TEST_SETTINGS, SQLALCHEMY_DATABASE_URI=database_url,
                           PUBLIC_BASE_URL="https://outreach.example.je"))


def test_session_and_remember_cookies_are_secure_over_https(https_app):
    assert https_app.config["SESSION_COOKIE_SECURE"] is True
    assert https_app.config["REMEMBER_COOKIE_SECURE"] is True
    client = https_app.test_client()
    response = client.get("/login", base_url="https://outreach.example.je")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE))
    flags = {part.strip().lower() for part in header.split(";")}
    assert {"secure", "httponly", "samesite=lax"} <= flags
