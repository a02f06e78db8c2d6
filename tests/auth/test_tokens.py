"""Bearer tokens: issued by the API and the CLI, stored hashed, expiring, revocable."""

from datetime import timedelta

from sqlalchemy import select

from outreach.auth.models import ApiToken
from outreach.db import db, utcnow
from tests.conftest import API
from tests.factories import PASSWORD


def test_token_from_email_and_password(world, client):
    response = API(client).post("/auth/token", json={"email": world.coordinator.email.upper(),
                                                     "password": PASSWORD})
    assert response.status_code == 201
    token = response.get_json()["token"]
    me = API(client, token).get("/users/me")
    assert me.status_code == 200
    assert me.get_json()["email"] == world.coordinator.email


def test_token_is_stored_only_as_a_digest(world, client, app):
    token = API(client).post("/auth/token", json={"email": world.coordinator.email,
                                                  "password": PASSWORD}).get_json()["token"]
    with app.app_context():
        digests = db.session.scalars(select(ApiToken.digest)).all()
    assert token not in digests
    assert all(len(d) == 64 for d in digests)


def test_wrong_password_gets_401_in_the_error_format(world, client):
    response = API(client).post("/auth/token", json={"email": world.coordinator.email,
                                                     "password": "not it"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_token_endpoint_is_rate_limited(world, client):
    api = API(client)
    codes = [api.post("/auth/token", json={"email": world.coordinator.email,
                                           "password": "not it"}).status_code for _ in range(11)]
    assert codes[-1] == 429
    assert api.post("/auth/token", json={"email": world.coordinator.email,
                                         "password": "not it"}).get_json()["error"]["code"]


def test_missing_malformed_expired_and_revoked_tokens(world, client, api_as, app):
    assert API(client).get("/clients").status_code == 401
    assert API(client, "not-a-token").get("/clients").status_code == 401
    assert client.get("/api/v1/clients", headers={"Authorization": "Basic abc"}).status_code == 401
    api = api_as(world.coordinator)
    assert api.get("/clients").status_code == 200
    with app.app_context():
        for token in db.session.scalars(select(ApiToken)):
            token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    expired = api.get("/clients")
    assert expired.status_code == 401
    assert expired.headers["WWW-Authenticate"].startswith("Bearer")


def test_deactivating_a_user_revokes_their_tokens(world, api_as):
    visitor_api = api_as(world.visitor)
    assert visitor_api.get("/users/me").status_code == 200
    done = api_as(world.coordinator).patch(f"/users/{world.visitor.id}", json={"active": False})
    assert done.status_code == 200
    assert visitor_api.get("/users/me").status_code == 401


def test_cli_create_admin_and_token(app):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["outreach", "create-admin", "--email", "Boss@Example.org",
                               "--password", "a long enough secret"])
    assert made.exit_code == 0, made.output
    assert "Created administrator boss@example.org" in made.output
    issued = runner.invoke(args=["outreach", "create-token", "--email", "boss@example.org"])
    assert issued.exit_code == 0, issued.output
    token = issued.output.strip().splitlines()[-1]
    assert token.startswith("otk_")
    me = API(app.test_client(), token).get("/users/me")
    assert me.get_json()["role"] == "admin"
    again = runner.invoke(args=["outreach", "create-admin", "--email", "boss@example.org",
                                "--password", "another long secret"])
    assert again.exit_code == 0 and "Updated" in again.output
    # Resetting the admin revokes the old tokens.
    assert API(app.test_client(), token).get("/users/me").status_code == 401


def test_cli_refuses_weak_passwords_and_unknown_users(app):
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["outreach", "create-admin", "--email", "a@example.org",
                               "--password", "short"])
    assert weak.exit_code != 0
    assert "at least 10 characters" in weak.output
    unknown = runner.invoke(args=["outreach", "create-token", "--email", "nobody@example.org"])
    assert unknown.exit_code != 0
    assert "No active user" in unknown.output
