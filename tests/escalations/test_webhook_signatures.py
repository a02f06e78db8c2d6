"""Provider webhooks signed by the Standard Webhooks scheme, checked with the `standardwebhooks`
library as a receiver would: new and old secrets, one webhook-id per event across retries, old
timestamps and repeated ids refused, and X-Outreach-Signature kept alongside."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from channels.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, verify
from outreach.db import db, set_clock, utcnow
from outreach.escalations.webhooks import deliver_due
from outreach.organisations.models import Organisation
from tests.escalations.test_webhooks import act, escalate
from tests.webhook_receiver import running


class Receiver:
    """What a careful receiver does: verify the signature and timestamp with the library, then
    take each webhook-id once."""

    def __init__(self, webhook: Webhook):
        self.webhook = webhook
        self.seen: set[str] = set()

    def take(self, body: bytes, headers: dict) -> dict:
        payload = self.webhook.verify(body, headers)
        if headers["webhook-id"] in self.seen:
            raise WebhookVerificationError("Repeated webhook-id")
        self.seen.add(headers["webhook-id"])
        return payload


@pytest.fixture(autouse=True)
def _real_time():
    """The library checks timestamps against the real time: so does this application here."""
    set_clock(None)
    yield
    set_clock(None)


@pytest.fixture
def receiver():
    with running() as made:
        yield made


@pytest.fixture
def hooked(app, world, receiver, api_as, monkeypatch):
    """The GP practice's webhook set through the API (so with a secret made now)."""
    monkeypatch.setitem(app.config, "WEBHOOK_HANDOVER", "none")
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT_SECONDS", 1.0)
    monkeypatch.setitem(app.config, "OUTREACH_ENV", "development")
    answer = api_as(world.provider).request("PUT", f"/organisations/{world.gp.id}/webhook",
                                            json={"url": receiver.url})
    assert answer.status_code == 200, answer.get_json()
    world.secret = answer.get_json()["secret"]
    return world


def deliver(app) -> int:
    with app.app_context():
        return deliver_due(utcnow())


def test_new_secrets_are_standard_webhooks_secrets(hooked):
    assert hooked.secret.startswith("whsec_")
    import base64

    assert len(base64.b64decode(hooked.secret.removeprefix("whsec_"), validate=True)) == 32


def test_a_delivery_verifies_with_the_library_and_the_old_header(app, hooked, receiver):
    escalation_id = escalate(app, hooked)
    assert deliver(app) == 1
    [got] = receiver.received
    payload = Receiver(Webhook(hooked.secret)).take(got.body, got.headers)
    assert payload["escalation"]["id"] == escalation_id
    assert verify(got.body, hooked.secret, got.headers[SIGNATURE_HEADER])
    assert got.headers["webhook-signature"].startswith("v1,")
    assert abs(int(got.headers["webhook-timestamp"]) - utcnow().timestamp()) < 60


@pytest.mark.parametrize("change", ["body", "id", "timestamp", "secret"])
def test_anything_changed_fails_verification(change, app, hooked, receiver):
    escalate(app, hooked)
    deliver(app)
    [got] = receiver.received
    body, headers, secret = got.body, dict(got.headers), hooked.secret
    if change == "body":
        body = body.replace(b"created", b"resolved")
    elif change == "id":
        headers["webhook-id"] = headers["webhook-id"] + "0"
    elif change == "timestamp":
        headers["webhook-timestamp"] = str(int(headers["webhook-timestamp"]) - 1)
    else:
        secret = "whsec_" + "A" * 44
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_a_replayed_old_delivery_is_refused(app, hooked, receiver):
    """A delivery captured ten minutes ago fails the timestamp check; one replayed at once
    passes the signature but carries an id the receiver has already taken."""
    set_clock(utcnow() - timedelta(minutes=10))
    escalate(app, hooked)
    deliver(app)
    set_clock(None)
    [old] = receiver.received
    careful = Receiver(Webhook(hooked.secret))
    with pytest.raises(WebhookVerificationError, match="too old"):
        careful.take(old.body, old.headers)
    assert verify(old.body, hooked.secret, old.headers[SIGNATURE_HEADER])  # the old way cannot

    receiver.received.clear()
    escalation_id = escalate(app, hooked, category="medication")
    deliver(app)
    [fresh] = receiver.received
    assert careful.take(fresh.body, fresh.headers)["escalation"]["id"] == escalation_id
    with pytest.raises(WebhookVerificationError, match="Repeated"):
        careful.take(fresh.body, fresh.headers)


def test_retries_keep_the_webhook_id_and_are_signed_afresh(app, hooked, receiver):
    escalation_id = escalate(app, hooked)
    receiver.status = 500
    assert deliver(app) == 0
    receiver.status = 200
    with app.app_context():
        from sqlalchemy import update

        from outreach.escalations.models import WebhookDelivery

        db.session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow()))
        db.session.commit()
    assert deliver(app) == 1
    act(app, hooked, escalation_id, "acknowledge")
    assert deliver(app) == 1
    first, retry, acknowledged = receiver.received
    assert first.headers["webhook-id"] == retry.headers["webhook-id"]
    assert first.headers[DELIVERY_HEADER] == retry.headers[DELIVERY_HEADER]
    assert acknowledged.headers["webhook-id"] != first.headers["webhook-id"]
    careful = Receiver(Webhook(hooked.secret))
    for got in (first, retry, acknowledged):
        Webhook(hooked.secret).verify(got.body, got.headers)
    careful.take(retry.body, retry.headers)
    with pytest.raises(WebhookVerificationError, match="Repeated"):
        careful.take(first.body, first.headers)  # the receiver had it already: dropped
    assert careful.take(acknowledged.body, acknowledged.headers)["kind"] == "acknowledged"


def test_a_secret_made_before_keeps_working(app, hooked, receiver):
    """Secrets made before the scheme (whsec_ and 43 URL-safe characters) were never base64:
    their key is their own text, so old receivers keep their header and new ones pass the
    secret's bytes to the library."""
    old = "whsec_" + secrets.token_urlsafe(32)
    with app.app_context():
        gp = db.session.get(Organisation, hooked.gp.id)
        gp.webhook_secret = old
        db.session.commit()
    escalate(app, hooked)
    assert deliver(app) == 1
    [got] = receiver.received
    assert verify(got.body, old, got.headers[SIGNATURE_HEADER])
    Receiver(Webhook(old.encode("utf-8"))).take(got.body, got.headers)


def test_rotating_gives_a_standard_secret_that_verifies(app, hooked, receiver, api_as):
    rotated = api_as(hooked.provider).post(
        f"/organisations/{hooked.gp.id}/webhook/rotate-secret").get_json()["secret"]
    escalate(app, hooked)
    deliver(app)
    [got] = receiver.received
    Webhook(rotated).verify(got.body, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(hooked.secret).verify(got.body, got.headers)
