"""Session login: argon2, CSRF, rate limiting, session fixation, cookies and headers."""

from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.auth.models import User
from outreach.db import db
from tests.conftest import csrf_token
from tests.factories import PASSWORD


def test_password_is_stored_as_argon2id(world, app):
    with app.app_context():
        stored = db.session.get(User, world.coordinator.id).password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_login_logout_and_audit(world, client, login, app):
    login(world.coordinator)
    page = client.get("/clients/")
    assert page.status_code == 200
    token = csrf_token(client, "/clients/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/clients/").status_code == 302
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.actor_id == world.coordinator.id)).all()
    assert "user.login" in actions and "user.logout" in actions


def test_wrong_password_is_refused_plainly(world, client):
    token = csrf_token(client)
    response = client.post("/login", data={"email": world.coordinator.email,
                                           "password": "wrong password", "csrf_token": token})
    assert response.status_code == 401
    assert "do not match an account" in response.get_data(as_text=True)
    unknown = client.post("/login", data={"email": "nobody@example.org",
                                          "password": "wrong password", "csrf_token": token})
    assert unknown.status_code == 401


def test_login_form_without_csrf_token_is_refused(world, client):
    response = client.post("/login", data={"email": world.coordinator.email,
                                           "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/clients/").status_code == 302


def test_login_is_rate_limited_per_address_and_account(world, client, app):
    token = csrf_token(client)
    codes = [client.post("/login", data={"email": world.coordinator.email, "password": "nope",
                                         "csrf_token": token}).status_code for _ in range(12)]
    assert codes[:10] == [401] * 10
    assert codes[10:] == [429, 429]
    # Even the right password is refused while the limit holds.
    right = client.post("/login", data={"email": world.coordinator.email, "password": PASSWORD,
                                        "csrf_token": token})
    assert right.status_code == 429


def test_login_rate_limit_follows_the_account_across_addresses(world, app):
    attempts = []
    for i in range(11):
        c = app.test_client()
        c.environ_base["REMOTE_ADDR"] = f"10.0.0.{i + 1}"
        token = csrf_token(c)
        attempts.append(c.post("/login", data={"email": world.admin.email, "password": "nope",
                                               "csrf_token": token}).status_code)
    assert attempts[-1] == 429


def test_session_is_renewed_at_login(world, client):
    client.get("/login")
    before = client.get_cookie("outreach_session")
    token = csrf_token(client)
    client.post("/login", data={"email": world.coordinator.email, "password": PASSWORD,
                                "csrf_token": token})
    after = client.get_cookie("outreach_session")
    assert after is not None and before is not None
    assert after.value != before.value
    assert after.http_only
    assert after.same_site == "Lax"


def test_password_change_logs_out_other_sessions(world, client, login, api_as, app):
    login(world.visitor)
    assert client.get("/clients/").status_code == 200
    api = api_as(world.coordinator)
    changed = api.patch(f"/users/{world.visitor.id}", json={"password": "a brand new secret"})
    assert changed.status_code == 200, changed.get_json()
    assert client.get("/clients/").status_code == 302


def test_security_headers_on_pages_and_api(client):
    for path in ("/login", "/healthz", "/api/v1/openapi.json"):
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_open_redirect_after_login_is_ignored(world, client):
    token = csrf_token(client)
    response = client.post("/login?next=//evil.example/x",
                           data={"email": world.coordinator.email, "password": PASSWORD,
                                 "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/"  # the coordinator's start page


def test_inactive_user_cannot_log_in(world, client, app):
    with app.app_context():
        db.session.get(User, world.tutor.id).active = False
        db.session.commit()
    token = csrf_token(client)
    response = client.post("/login", data={"email": world.tutor.email, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 401
