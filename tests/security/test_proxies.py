"""Behind a reverse proxy: X-Forwarded-For is believed only from TRUSTED_PROXY_HOPS proxies,
login limits key on the real address and the account (one attacker cannot lock the others
out), the public forms are limited per link or person as well as per address, every 429 says
when to try again, and the audit trail keeps the real address."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach import create_app
from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.extensions import limiter
from tests import factories
from tests.conftest import API, TEST_SETTINGS, as_user, csrf_token
from tests.literacy import factories as lf

PROXY = "10.0.0.5"  # every request reaches the application through this address
TRIES = 10


def _via_proxy(app, real_address: str | None):
    """A browser whose requests come through the proxy, which says who the client is."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = PROXY
    if real_address:
        browser.environ_base["HTTP_X_FORWARDED_FOR"] = real_address
    return browser


def _login(browser, email: str, password: str = "not it, sorry") -> int:  # noqa: S107
    return browser.post("/login", data={"email": email, "password": password,
                                        "csrf_token": csrf_token(browser)}).status_code


@pytest.fixture
def hops(app, monkeypatch):
    def set_to(count: int) -> None:
        monkeypatch.setitem(app.config, "TRUSTED_PROXY_HOPS", count)

    return set_to


def _addresses(app, action: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.ip_address).where(
            AuditEvent.action == action).order_by(AuditEvent.id)))


def test_without_trusted_hops_the_forwarded_address_is_ignored(app, world, hops):
    hops(0)
    # Whatever address each request claims, they all come from the proxy: one counter.
    codes = [_login(_via_proxy(app, f"203.0.113.{i}"), world.coordinator.email)
             for i in range(TRIES + 1)]
    assert codes == [401] * TRIES + [429]
    assert set(_addresses(app, "user.login_failed")) == {PROXY}


def test_with_one_trusted_hop_the_forwarded_address_is_the_client(app, world, hops):
    hops(1)
    assert _login(_via_proxy(app, "203.0.113.9"), world.coordinator.email) == 401
    # A client's own X-Forwarded-For is kept to the left of what the proxy adds: not believed.
    assert _login(_via_proxy(app, "198.51.100.1, 203.0.113.10"), world.tutor.email) == 401
    assert _addresses(app, "user.login_failed") == ["203.0.113.9", "203.0.113.10"]
    assert _login(_via_proxy(app, "203.0.113.11"), world.admin.email, factories.PASSWORD) == 302
    assert _addresses(app, "user.login") == ["203.0.113.11"]


def test_one_attacker_behind_the_proxy_does_not_lock_out_everyone(app, world, hops):
    hops(1)
    attacker = "203.0.113.66"
    codes = [_login(_via_proxy(app, attacker), world.coordinator.email) for _ in range(TRIES + 1)]
    assert codes == [401] * TRIES + [429]
    # Other people through the same proxy, and others at the attacker's own address, log in.
    assert _login(_via_proxy(app, "203.0.113.7"), world.tutor.email, factories.PASSWORD) == 302
    assert _login(_via_proxy(app, attacker), world.visitor.email, factories.PASSWORD) == 302
    # The account attacked is protected from every address until the limit passes.
    assert _login(_via_proxy(app, "203.0.113.8"), world.coordinator.email,
                  factories.PASSWORD) == 429


def test_one_account_is_protected_against_many_addresses(app, world, hops):
    hops(1)
    codes = [API(_via_proxy(app, f"198.51.100.{i + 1}")).post("/auth/token", json={
        "email": world.admin.email, "password": "not it"}).status_code for i in range(TRIES + 1)]
    assert codes == [401] * TRIES + [429]
    # Another account from one of those addresses is not held back.
    other = API(_via_proxy(app, "198.51.100.1")).post("/auth/token", json={
        "email": world.coordinator.email, "password": factories.PASSWORD})
    assert other.status_code == 201


def test_lockouts_are_audited_with_the_account(app, world, hops):
    hops(1)
    for _ in range(TRIES + 1):
        _login(_via_proxy(app, "203.0.113.70"), world.coordinator.email)
    with app.app_context():
        locked = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "user.login_locked")).all()
    assert [(e.subject_id, e.ip_address) for e in locked] == [
        (str(world.coordinator.id), "203.0.113.70")]


def test_the_hop_count_is_read_from_the_environment(app, monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "2")
    made = create_app(dict(TEST_SETTINGS, SQLALCHEMY_DATABASE_URI="sqlite://"))
    assert made.config["TRUSTED_PROXY_HOPS"] == 2
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "-1")
    with pytest.raises(RuntimeError, match="TRUSTED_PROXY_HOPS"):
        create_app(dict(TEST_SETTINGS, SQLALCHEMY_DATABASE_URI="sqlite://"))
    limiter.init_app(app)  # the limiter is shared: give it back to the suite's application


def test_signup_is_limited_per_person_across_addresses(app, world, hops):
    from tests.web.test_literacy_pages import signup

    hops(1)
    with app.app_context():
        lit = lf.literacy(world)
        db.session.commit()
    codes = [signup(_via_proxy(app, f"192.0.2.{i + 1}"), full_name="Ana Person",
                    phone="07700 900456" if i % 2 else "+44 7700 900456",
                    workshop_id=lit.workshop.id).status_code for i in range(6)]
    assert codes == [302] * 5 + [429]
    # Someone else at the last address signs up.
    assert signup(_via_proxy(app, "192.0.2.6"), full_name="Other Person", phone="07700 900457",
                  workshop_id=lit.workshop.id).status_code == 302


def _limited_rules(app) -> list:
    """Every rule whose view carries a rate limit (read from the limiter, not listed here)."""
    decorated = limiter.limit_manager._decorated_limits
    rules = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        name = f"{view.__module__}.{view.__name__}"
        if any(key == name or key.startswith(name + ".") for key in decorated):
            rules.append(rule)
    return rules


def test_every_429_says_when_to_try_again(app, world, monkeypatch):
    # Not what is being tested here, and a limit holds whatever the form held.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    rules = _limited_rules(app)
    assert {r.rule for r in rules} >= {"/login", "/api/v1/auth/token", "/tell-us/<token>",
                                       "/learn/", "/account/password", "/password-reset/<token>",
                                       "/api/v1/users/me/password"}
    for rule in rules:
        if "POST" not in rule.methods:
            continue
        url = rule.rule.replace("<token>", "not-a-real-link").replace("<int:user_id>",
                                                                      str(world.visitor.id))
        # Logged in, so pages for logged-in people reach their limit too.
        browser = app.test_client() if rule.rule.startswith("/api/") else as_user(app, world.tutor)
        answer = None
        for _ in range(60):
            if url.startswith("/api/"):
                answer = browser.post(url, json={"email": "x@example.org", "password": "no"})
            else:
                answer = browser.post(url, data={"email": "x@example.org", "password": "no",
                                                 "phone": "07700 900999"})
            if answer.status_code == 429:
                break
        assert answer is not None and answer.status_code == 429, rule.rule
        assert answer.headers["Retry-After"].isdigit(), rule.rule
        assert 1 <= int(answer.headers["Retry-After"]) <= 3601, rule.rule  # an hour at most
