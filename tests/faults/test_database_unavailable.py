"""With the database unreachable, requests get a clean 503 (the one error format for the API,
plain text elsewhere, a Retry-After either way), never a 500 with a trace; /healthz says so.

The application here points at a PostgreSQL port nothing listens on, so every connection is
refused, as while a server restarts. (tests/faults/test_postgres_restart.py restarts a real one.)
"""

from __future__ import annotations

import pytest

from outreach import create_app
from outreach.auth.tokens import PREFIX
from outreach.db import db
from tests.conftest import TEST_SETTINGS
from tests.deploy import stack
from tests.messages import inbound_form, sign

TOKEN = PREFIX + "A" * 43


@pytest.fixture
def unreachable(monkeypatch):
    url = f"postgresql+psycopg://postgres@127.0.0.1:{stack.free_port()}/gone"
    made = create_app(dict(TEST_SETTINGS, SQLALCHEMY_DATABASE_URI=url, SMS_BACKEND="console"))
    # The suite's session is bound to its own database: this app gets one of its own.
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    yield made.test_client()
    with made.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_api_answers_503_in_the_error_format(unreachable):
    # A token of the right shape: looking it up needs the database.
    answer = unreachable.get("/api/v1/clients", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "database_unavailable"
    assert answer.get_json()["error"]["fields"] == {}
    assert answer.headers["Retry-After"] == "5"
    assert "Traceback" not in answer.get_data(as_text=True)


def test_a_text_in_gets_503_so_twilio_may_try_again(unreachable):
    form = inbound_form("Hello", "+447700900555")
    answer = unreachable.post("/sms/inbound", data=form,
                              headers={"X-Twilio-Signature": sign("/sms/inbound", form)})
    assert answer.status_code == 503
    assert answer.mimetype == "text/plain"
    assert "try again" in answer.get_data(as_text=True)


def test_a_visit_sent_meanwhile_is_refused_cleanly_for_the_phone_to_send_again(unreachable):
    answer = unreachable.post("/api/v1/visits", headers={"Authorization": f"Bearer {TOKEN}"},
                              json={"id": "0b0e2c9e-5b7e-4f57-9d2c-6c1b2b8f3a11",
                                    "client_id": 1, "outcome": "seen_well", "note": "é" * 50})
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "database_unavailable"


def test_a_token_of_the_wrong_shape_is_still_refused_without_the_database(unreachable):
    answer = unreachable.get("/api/v1/clients", headers={"Authorization": "Bearer x' OR 1=1"})
    assert answer.status_code == 401


def test_healthz_says_the_database_is_unreachable(unreachable):
    answer = unreachable.get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "error", "database": "unreachable"}


def test_pooled_connections_are_checked_before_use_and_options_given_are_kept(app):
    # After a restart every pooled connection is dead: each is tested before a request uses it.
    with app.app_context():
        assert db.engine.pool._pre_ping is True
    made = create_app(dict(TEST_SETTINGS, SQLALCHEMY_DATABASE_URI="sqlite://",
                           SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": False, "echo": False}))
    assert made.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": False, "echo": False}
