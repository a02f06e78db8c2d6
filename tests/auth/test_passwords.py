"""Passwords: common and guessable ones are refused (NCSC: length, no composition rules), every
user changes their own (web and API), and an administrator hands over a one-time reset link.
After a change or a reset the user's other sessions and API tokens end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.auth import strength
from outreach.auth.models import ApiToken, PasswordResetLink, User
from outreach.db import db, set_clock, utcnow
from outreach.demo.seed import PASSWORD as DEMO_PASSWORD
from tests import factories
from tests.conftest import API, as_user, csrf_token

NEW = "plum orbit velvet lantern"
COMMON = ["password", "qwerty", "letmein", "welcome", "iloveyou", "football", "monkey",
          "dragon", "sunshine", "princess", "admin", "abc123", "trustno1", "outreach"]


@pytest.mark.parametrize("weak", ["password12", "1234567890", "qwertyuiop", "Password2026",
                                  "aaaaaaaaaaaa", "abcdefghijkl", "outreach2026"])
def test_common_and_guessable_passwords_are_refused(weak, world, api_as):
    response = api_as(world.admin).post("/users", json={
        "email": "new.person@example.org", "password": weak, "role": "visitor",
        "organisation_id": world.operator.id})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["password"]


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(word=st.sampled_from(COMMON), digits=st.integers(0, 9999), upper=st.booleans())
def test_a_common_word_with_a_number_is_refused_whatever_its_case(word, digits, upper):
    guess = (word.capitalize() if upper else word) + str(digits)
    assert strength.problems(guess.ljust(10, "1"))


@settings(max_examples=40, deadline=None, database=None)
@given(first=st.sampled_from(["ana", "maria", "piotr", "claire", "john"]),
       last=st.sampled_from(["pereira", "kowalski", "dubois", "lebrun", "smith"]),
       year=st.integers(1930, 2030))
def test_a_password_made_of_the_persons_own_name_or_email_is_refused(first, last, year):
    email = f"{first}.{last}@example.org"
    for guess in (f"{first}{last}{year}", f"{first}.{last}{year}", f"{last}{first}{year}"):
        assert strength.problems(guess, email=email, full_name=f"{first} {last}"), guess


def test_no_composition_rules_and_the_documented_passwords_pass():
    # A long passphrase of lower-case words, no digits or symbols: fine (NCSC).
    assert strength.problems(NEW) == []
    assert strength.problems(DEMO_PASSWORD, email="coordinator@demo.example.org",
                             full_name="Demo Coordinator") == []
    assert strength.problems(factories.PASSWORD, email="someone@example.org") == []
    assert "at least 10" in strength.problems("short")[0]


# --- Changing your own password ---------------------------------------------------------------


def _change_page(browser, **form):
    data = {"current_password": factories.PASSWORD, "new_password": NEW,
            "confirm_password": NEW, **form}
    return browser.post("/account/password",
                        data={**data, "csrf_token": csrf_token(browser, "/account/password")})


def _events(app, action: str, subject_id: int | None = None) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action == action)
        if subject_id is not None:
            query = query.where(AuditEvent.subject_id == str(subject_id))
        return list(db.session.scalars(query))


@pytest.mark.parametrize("role", ["admin", "coordinator", "visitor", "provider", "tutor"])
def test_every_user_changes_their_own_password_from_the_menu(role, app, world):
    user = getattr(world, role)
    browser = as_user(app, user)
    other_browser = as_user(app, user)
    with app.app_context():
        token = factories.token(user)
        db.session.commit()
    home = browser.get("/", follow_redirects=True).get_data(as_text=True)
    assert 'href="/account/password"' in home
    assert browser.get("/account/password").status_code == 200
    response = _change_page(browser)
    assert response.status_code == 302
    # This browser goes on; the other session and the API token end.
    assert browser.get("/account/password").status_code == 200
    assert other_browser.get("/account/password").status_code == 302
    assert API(app.test_client(), token).get("/users/me").status_code == 401
    assert len(_events(app, "user.password_change", user.id)) == 1
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": user.email, "password": NEW,
                                      "csrf_token": csrf_token(fresh)}).status_code == 302


def test_a_wrong_current_password_is_refused_and_audited_once(app, world):
    browser = as_user(app, world.visitor)
    response = _change_page(browser, current_password="not my password at all")
    assert response.status_code == 403
    assert "not your current password" in response.get_data(as_text=True)
    refused = _events(app, "user.password_change_refused", world.visitor.id)
    assert len(refused) == 1 and refused[0].actor_id == world.visitor.id
    with app.app_context():
        assert db.session.get(User, world.visitor.id).password_hash == world.visitor.password_hash


@pytest.mark.parametrize(("new", "confirm", "says"), [
    ("password12", "password12", "too easy to guess"),
    ("1234567890", "1234567890", "too easy to guess"),
    ("short", "short", "at least 10"),
    (NEW, NEW + "x", "not the same"),
])
def test_a_weak_or_mistyped_new_password_is_explained(new, confirm, says, app, world):
    browser = as_user(app, world.tutor)
    response = _change_page(browser, new_password=new, confirm_password=confirm)
    assert response.status_code == 422
    assert says in response.get_data(as_text=True)
    assert _events(app, "user.password_change") == []


def test_the_api_changes_your_own_password_keeping_the_token_in_use(app, world, api_as):
    with app.app_context():
        other_token = factories.token(world.provider)
        db.session.commit()
    api = api_as(world.provider)
    browser = as_user(app, world.provider)
    wrong = api.post("/users/me/password", json={"current_password": "not it, not it",
                                                 "new_password": NEW})
    assert wrong.status_code == 403
    assert wrong.get_json()["error"]["code"] == "forbidden"
    weak = api.post("/users/me/password", json={"current_password": factories.PASSWORD,
                                                "new_password": "password12"})
    assert weak.status_code == 422 and weak.get_json()["error"]["fields"]["password"]
    done = api.post("/users/me/password", json={"current_password": factories.PASSWORD,
                                                "new_password": NEW})
    assert done.status_code == 204
    assert api.get("/users/me").status_code == 200
    assert API(app.test_client(), other_token).get("/users/me").status_code == 401
    assert browser.get("/").status_code == 302
    assert len(_events(app, "user.password_change", world.provider.id)) == 1
    assert len(_events(app, "user.password_change_refused", world.provider.id)) == 1


def test_the_api_password_change_is_rate_limited_and_documented(app, world, api_as):
    api = api_as(world.tutor)
    codes = [api.post("/users/me/password", json={"current_password": f"guess number {i}",
                                                  "new_password": NEW}).status_code
             for i in range(11)]
    assert codes == [403] * 10 + [429]
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    assert "post" in spec["paths"]["/api/v1/users/me/password"]
    assert "post" in spec["paths"]["/api/v1/users/{user_id}/password-reset"]


# --- One-time reset links ---------------------------------------------------------------------


def _issue(api, user_id: int):
    return api.post(f"/users/{user_id}/password-reset")


def _reset(browser, path: str, password: str = NEW, confirm: str | None = None):
    return browser.post(path, data={"new_password": password,
                                    "confirm_password": password if confirm is None else confirm,
                                    "csrf_token": csrf_token(browser)})


def test_an_admin_hands_over_a_one_time_link(app, world, api_as):
    with app.app_context():
        token = factories.token(world.visitor)
        db.session.commit()
    old_session = as_user(app, world.visitor)
    issued = _issue(api_as(world.admin), world.visitor.id)
    assert issued.status_code == 201
    body = issued.get_json()
    assert body["user_id"] == world.visitor.id and body["url"].startswith("http://localhost/")
    path = body["url"][len("http://localhost"):]
    raw = path.rsplit("/", 1)[1]
    with app.app_context():  # kept only as a digest
        stored = db.session.scalars(select(PasswordResetLink.digest)).all()
    assert stored and raw not in stored
    browser = app.test_client()
    assert browser.get(path).status_code == 200
    assert _reset(browser, path, "password12").status_code == 422
    assert _reset(browser, path).status_code == 302
    # Once only; the old session and the API token are over; the new password works.
    assert browser.get(path).status_code == 404
    assert _reset(app.test_client(), path).status_code == 404
    assert old_session.get("/").status_code == 302
    assert API(app.test_client(), token).get("/users/me").status_code == 401
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": world.visitor.email, "password": NEW,
                                      "csrf_token": csrf_token(fresh)}).status_code == 302
    assert [e.actor_id for e in _events(app, "user.password_reset_issue", world.visitor.id)] \
        == [world.admin.id]
    assert [e.actor_id for e in _events(app, "user.password_reset", world.visitor.id)] \
        == [world.visitor.id]


def test_a_link_expires_and_a_newer_one_replaces_it(app, world, api_as):
    api = api_as(world.admin)
    first = _issue(api, world.tutor.id).get_json()["url"][len("http://localhost"):]
    second = _issue(api, world.tutor.id).get_json()["url"][len("http://localhost"):]
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 200
    set_clock(utcnow() + timedelta(hours=app.config["PASSWORD_RESET_HOURS"], seconds=1))
    try:
        assert app.test_client().get(second).status_code == 404
    finally:
        set_clock(None)


@pytest.mark.parametrize(("who", "whom", "status"), [
    ("coordinator", "admin", 403),  # a coordinator cannot take over an administrator
    ("other_coordinator", "visitor", 404),  # nor see another organisation's people
    ("visitor", "visitor", 403),  # by role, before anything is looked up
    ("provider", "provider", 403),
])
def test_who_cannot_make_a_reset_link_is_refused_and_audited(who, whom, status, app, world,
                                                             api_as):
    before = len(_events(app, "user.password_reset_issue"))
    response = _issue(api_as(getattr(world, who)), getattr(world, whom).id)
    assert response.status_code == status
    assert len(_events(app, "user.password_reset_issue")) == before
    with app.app_context():
        refusals = db.session.scalars(select(AuditEvent).where(
            AuditEvent.actor_id == getattr(world, who).id,
            AuditEvent.detail["status"].as_integer() == status)).all()
    assert len(refusals) == 1


def test_the_command_line_prints_a_link(app, world):
    result = app.test_cli_runner().invoke(args=["outreach", "reset-link", "--email",
                                                world.tutor.email])
    assert result.exit_code == 0, result.output
    url = result.output.strip().splitlines()[-1]
    assert url.startswith("http://localhost/password-reset/")
    assert app.test_client().get(url[len("http://localhost"):]).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == -1)) is None
