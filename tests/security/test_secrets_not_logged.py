"""Secrets and personal data never reach the logs, even at DEBUG: passwords, tokens, the Twilio
auth token and signatures, webhook secrets and phone numbers."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from outreach.db import db, set_clock
from outreach.escalations.webhooks import deliver_due
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from tests import factories
from tests.conftest import API, csrf_token
from tests.messages import AUTH_TOKEN, inbound_form, post_signed, sign
from tests.webhook_receiver import running

SECRET = "whsec_never-in-a-log-0123456789"
SENDER = "+447700900642"


@pytest.fixture
def everything_logged(caplog):
    """Every record, from every logger, at DEBUG."""
    caplog.set_level(logging.DEBUG)
    for name in ("outreach", "channels", "twilio", "werkzeug", "flask_limiter"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _all_text(caplog) -> str:
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        parts.append(repr(getattr(record, "__dict__", {})))
    return "\n".join(parts)


def test_login_tokens_texts_and_webhooks_leave_no_secret_in_the_logs(
        app, world, client, everything_logged, monkeypatch):
    seen = []
    # 1. A login through the form, then a wrong one.
    token = csrf_token(client)
    client.post("/login", data={"email": world.coordinator.email,
                                "password": factories.PASSWORD, "csrf_token": token})
    session_cookie = client.get_cookie("outreach_session").value
    client.post("/login", data={"email": world.coordinator.email,
                                "password": "a wrong password 123", "csrf_token": token})
    # 2. A token made from email and password, and used.
    made = API(app.test_client()).post("/auth/token", json={
        "email": world.admin.email, "password": factories.PASSWORD})
    assert made.status_code == 201, made.get_json()
    bearer = made.get_json()["token"]
    assert API(app.test_client(), bearer).get("/clients").status_code == 200
    assert API(app.test_client(), bearer + "x").get("/clients").status_code == 401
    # 3. An inbound text, signed as Twilio signs, and a forged one.
    form = inbound_form("I have fallen", SENDER)
    signature = sign("/sms/inbound", form)
    assert post_signed(client, "/sms/inbound", form).status_code == 200
    forged = client.post("/sms/inbound", data=inbound_form("HELP", SENDER),
                         headers={"X-Twilio-Signature": signature})
    assert forged.status_code == 403
    # 4. A webhook delivery signed with the organisation's secret.
    monkeypatch.setitem(app.config, "WEBHOOK_HANDOVER", "none")
    with running() as receiver:
        with app.app_context():
            gp = db.session.get(Organisation, world.gp.id)
            gp.webhook_url, gp.webhook_secret = receiver.url, SECRET
            person = db.session.get(Client, world.client_on_round.id)
            factories.escalation(person, gp, category="pain_or_illness")
            db.session.commit()
        set_clock(datetime.now(UTC))
        try:
            with app.app_context():
                assert deliver_due(datetime.now(UTC)) == 1
        finally:
            set_clock(None)
        seen = [r.headers.get("X-Outreach-Signature") for r in receiver.received]
    assert seen and seen[0].startswith("sha256=")

    logged = _all_text(everything_logged)
    assert everything_logged.records, "nothing was logged: the test would prove nothing"
    secrets = {
        "password": factories.PASSWORD, "wrong password": "a wrong password 123",
        "API token": bearer, "session cookie": session_cookie, "Twilio auth token": AUTH_TOKEN,
        "Twilio signature": signature, "webhook secret": SECRET,
        "webhook signature": seen[0].split("=", 1)[1],
        "sender's phone": SENDER, "sender's phone digits": SENDER[1:],
        "client's phone": world.client_on_round.phone,
    }
    leaked = {name for name, value in secrets.items() if value and value in logged}
    assert leaked == set()
