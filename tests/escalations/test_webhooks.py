"""Provider webhooks end to end, against a real receiver on 127.0.0.1: what is written with an
event, signing, retries with backoff on a controllable clock, order and no repeats, failing
organisations, the settings API, a slow receiver that must not slow a request, and two workers
at once on PostgreSQL."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from channels.webhooks import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verify
from outreach import create_app
from outreach.audit.models import AuditEvent
from outreach.db import db, set_clock
from outreach.enums import ConsentPurpose, EscalationEventKind
from outreach.escalations import feed, services
from outreach.escalations.models import Escalation, EscalationEvent, WebhookDelivery
from outreach.escalations.webhooks import (
    courier,
    deliver_due,
    failing_webhooks,
    retry_delay,
    webhook_health,
)
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from tests import factories
from tests.conftest import API, TEST_SETTINGS
from tests.webhook_receiver import running

SECRET = "whsec_receiver-test-secret"
START = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
POSTGRESQL = bool(os.environ.get("TEST_DATABASE_URL"))


@pytest.fixture(autouse=True)
def _clock():
    set_clock(START)
    yield
    set_clock(None)


def at(**delta) -> datetime:
    moment = START + timedelta(**delta)
    set_clock(moment)
    return moment


@pytest.fixture
def receiver():
    with running() as made:
        yield made


@pytest.fixture
def hooked(app, world, receiver, monkeypatch):
    """The world, with the GP practice's webhook pointing at the receiver; nothing is handed
    over by itself (each test calls deliver_due)."""
    monkeypatch.setitem(app.config, "WEBHOOK_HANDOVER", "none")
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT_SECONDS", 1.0)
    with app.app_context():
        gp = db.session.get(Organisation, world.gp.id)
        gp.webhook_url, gp.webhook_secret = receiver.url, SECRET
        db.session.commit()
    return world


def escalate(app, world, organisation=None, *, contact=False, category="pain_or_illness"):
    """An escalation about the client on the round, to the GP practice unless told otherwise."""
    with app.app_context():
        person = db.session.get(Client, world.client_on_round.id)
        recipient = db.session.get(Organisation, (organisation or world.gp).id)
        if contact:
            made = factories.escalation(person, contact=factories.contact(person),
                                        category=category)
        else:
            made = factories.escalation(person, recipient, category=category)
        db.session.commit()
        return made.id


def act(app, world, escalation_id: int, what: str) -> None:
    """Acknowledge it, or add a note, as the GP practice's user (each writes one event)."""
    with app.app_context():
        escalation = db.session.get(Escalation, escalation_id)
        provider = db.session.get(type(world.provider), world.provider.id)
        if what == "acknowledge":
            services.acknowledge(provider, escalation, "On it")
        else:
            services.add_note(provider, escalation, what)
        db.session.commit()


def deliver(app, moment: datetime | None = None) -> int:
    with app.app_context():
        return deliver_due(moment or START)


def deliveries(app, organisation_id: int) -> list[WebhookDelivery]:
    with app.app_context():
        return list(db.session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.organisation_id == organisation_id).order_by(WebhookDelivery.id)))


def organisation(app, organisation_id: int) -> Organisation:
    with app.app_context():
        return db.session.get(Organisation, organisation_id)


def bodies(receiver) -> list[dict]:
    return [json.loads(r.body) for r in receiver.received]


# --- What is sent ---------------------------------------------------------------------------


def test_an_event_is_posted_as_the_feed_item_signed_with_the_secret(app, hooked, receiver):
    escalation_id = escalate(app, hooked)

    assert deliver(app) == 1

    [got] = receiver.received
    assert verify(got.body, SECRET, got.headers[SIGNATURE_HEADER])
    assert not verify(got.body.replace(b"created", b"resolved"), SECRET,
                      got.headers[SIGNATURE_HEADER])
    assert got.headers[EVENT_HEADER] == "created"
    [delivery] = deliveries(app, hooked.gp.id)
    assert got.headers[DELIVERY_HEADER] == str(delivery.id)
    item = json.loads(got.body)
    with app.app_context():
        event = db.session.get(EscalationEvent, delivery.event_id)
        assert item["cursor"] == feed.cursor_of(event) is not None
    assert (item["id"], item["kind"], item["escalation_id"]) == (
        delivery.event_id, "created", escalation_id)
    assert item["escalation"]["organisation_id"] == hooked.gp.id
    # The minimum a provider needs about the client, nothing more.
    assert set(item["escalation"]["client"]) == {"id", "full_name", "date_of_birth", "address",
                                                 "phone"}
    assert delivery.delivered_at == START and delivery.attempts == 1
    assert delivery.last_status_code == 200 and delivery.last_error == ""


def test_a_delivery_is_audited_as_a_disclosure_of_the_client(app, hooked, receiver):
    escalate(app, hooked)
    deliver(app)

    with app.app_context():
        [audit] = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "webhook.delivered")).all()
    assert audit.client_id == hooked.client_on_round.id
    assert audit.detail["organisation_id"] == hooked.gp.id
    assert SECRET not in json.dumps(audit.detail)


def test_no_delivery_without_a_url_nor_for_a_contact(app, hooked, receiver):
    escalate(app, hooked, hooked.food_bank)  # the food bank has no webhook
    escalate(app, hooked, contact=True, category="fall")

    with app.app_context():
        assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 0
    assert deliver(app) == 0
    assert receiver.received == []


def test_a_rolled_back_event_leaves_no_delivery(app, hooked):
    with app.app_context():
        person = db.session.get(Client, hooked.client_on_round.id)
        factories.escalation(person, db.session.get(Organisation, hooked.gp.id))
        db.session.rollback()
        assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 0


# --- Retries, order, nothing dropped or repeated ------------------------------------------


def test_retried_with_backoff_then_delivered_in_order_once_each(app, hooked, receiver):
    receiver.down()
    escalation_id = escalate(app, hooked)
    act(app, hooked, escalation_id, "acknowledge")
    act(app, hooked, escalation_id, "Phoned her; visiting at 3")
    first, second, third = deliveries(app, hooked.gp.id)

    assert deliver(app) == 0
    head, *waiting = deliveries(app, hooked.gp.id)
    assert head.attempts == 1 and head.next_attempt_at == START + timedelta(seconds=30)
    assert head.last_status_code is None and head.last_error.startswith("Could not connect")
    assert [d.attempts for d in waiting] == [0, 0]  # the later ones wait behind it
    assert organisation(app, hooked.gp.id).webhook_failing_since == START

    assert deliver(app, at(seconds=29)) == 0
    assert deliveries(app, hooked.gp.id)[0].attempts == 1  # not due yet: not tried

    receiver.up()  # back, but broken
    receiver.status = 500
    assert deliver(app, at(seconds=30)) == 0
    head = deliveries(app, hooked.gp.id)[0]
    assert (head.attempts, head.last_status_code, head.last_error) == (2, 500, "HTTP 500")
    assert head.next_attempt_at == START + timedelta(seconds=30 + 60)
    assert organisation(app, hooked.gp.id).webhook_failing_since == START  # kept

    receiver.status = 200
    assert deliver(app, at(seconds=89)) == 0
    assert deliver(app, at(seconds=90)) == 3

    sent = receiver.received
    # The receiver saw the head once with a 500, then each delivery once, oldest event first.
    assert [int(r.headers[DELIVERY_HEADER]) for r in sent] == [
        first.id, first.id, second.id, third.id]
    assert [json.loads(r.body)["kind"] for r in sent[1:]] == ["created", "acknowledged", "note"]
    assert all(verify(r.body, SECRET, r.headers[SIGNATURE_HEADER]) for r in sent)
    assert organisation(app, hooked.gp.id).webhook_failing_since is None
    assert all(d.delivered_at is not None for d in deliveries(app, hooked.gp.id))

    assert deliver(app, at(hours=5)) == 0
    assert len(receiver.received) == 4  # nothing repeated


def test_the_retry_delay_doubles_up_to_the_maximum(app, ctx):
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(8).total_seconds() == 3600
    assert retry_delay(500).total_seconds() == 3600


def test_a_receiver_that_hangs_is_a_failure_and_is_tried_again(app, hooked, receiver,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT_SECONDS", 0.3)
    receiver.delay = 5.0
    escalate(app, hooked)

    started = time.monotonic()
    assert deliver(app) == 0
    assert time.monotonic() - started < 3.0
    [delivery] = deliveries(app, hooked.gp.id)
    assert delivery.last_error == "No answer within 0.3 s" and delivery.delivered_at is None

    receiver.release.set()
    receiver.delay = 0.0
    assert deliver(app, at(seconds=30)) == 1


def test_in_production_a_url_naming_this_machine_is_never_posted_to(app, hooked, receiver,
                                                                    monkeypatch):
    # Set before the check that public URLs only are accepted (or straight into the database,
    # as here): the name "localhost" leads to this machine, so nothing may go there.
    with app.app_context():
        gp = db.session.get(Organisation, hooked.gp.id)
        gp.webhook_url = receiver.url.replace("127.0.0.1", "localhost")
        db.session.commit()
    monkeypatch.setitem(app.config, "OUTREACH_ENV", "production")
    escalate(app, hooked)

    assert deliver(app) == 0
    [delivery] = deliveries(app, hooked.gp.id)
    assert delivery.delivered_at is None and delivery.last_error == (
        "Not sent: the URL's host is on this machine or a private network")
    assert receiver.received == []

    monkeypatch.setitem(app.config, "OUTREACH_ENV", "testing")  # the sender is made afresh
    assert deliver(app, at(seconds=30)) == 1 and len(receiver.received) == 1


def test_an_organisation_without_a_url_keeps_its_deliveries_waiting(app, hooked, receiver):
    escalate(app, hooked)
    with app.app_context():
        gp = db.session.get(Organisation, hooked.gp.id)
        gp.webhook_url = None
        db.session.commit()

    assert deliver(app, at(days=3)) == 0
    [delivery] = deliveries(app, hooked.gp.id)
    assert delivery.attempts == 0 and delivery.delivered_at is None


# --- Failing organisations -------------------------------------------------------------------


def test_failing_webhooks_after_repeated_failures_or_a_long_time(app, hooked, receiver):
    receiver.down()
    escalate(app, hooked)
    deliver(app)
    with app.app_context():
        assert failing_webhooks() == []  # one failure a moment ago: not yet
        assert webhook_health(db.session.get(Organisation, hooked.gp.id)).failing is False

    deliver(app, at(minutes=1))
    deliver(app, at(minutes=2))  # three tries of the same delivery
    with app.app_context():
        [health] = failing_webhooks()
        assert failing_webhooks(organisation_ids=[hooked.food_bank.id]) == []
    assert (health.organisation_id, health.failing, health.pending, health.attempts) == (
        hooked.gp.id, True, 1, 3)
    assert health.failing_since == START and health.oldest_pending_at == START
    assert health.last_error.startswith("Could not connect")
    assert health.last_status_code is None


def test_failing_once_long_ago_counts_as_failing(app, hooked, receiver):
    receiver.down()
    escalate(app, hooked)
    deliver(app)
    with app.app_context():
        assert [h.organisation_id for h in failing_webhooks(now=at(minutes=16))] == [
            hooked.gp.id]
        assert failing_webhooks(now=at(minutes=14)) == []


# --- The settings API -------------------------------------------------------------------------


@pytest.fixture
def apis(app, world, api_as, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_HANDOVER", "none")
    return {name: api_as(getattr(world, name)) for name in (
        "admin", "coordinator", "provider", "other_coordinator", "visitor")}


def hook_path(organisation_id: int, tail: str = "") -> str:
    return f"/organisations/{organisation_id}/webhook{tail}"


def denials(app, actor_id: int) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "webhook.denied", AuditEvent.actor_id == actor_id)))


def test_a_provider_sets_its_url_and_sees_the_secret_once(app, world, apis, receiver):
    provider = apis["provider"]
    answer = provider.request("PUT", hook_path(world.gp.id), json={"url": receiver.url})
    assert answer.status_code == 200, answer.get_json()
    secret = answer.get_json()["secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    assert answer.get_json()["url"] == receiver.url

    shown = provider.get(hook_path(world.gp.id)).get_json()
    assert "secret" not in shown and secret not in json.dumps(shown)
    assert (shown["url"], shown["pending"], shown["failing"]) == (receiver.url, 0, False)

    rotated = provider.post(hook_path(world.gp.id, "/rotate-secret")).get_json()["secret"]
    assert rotated != secret
    assert organisation(app, world.gp.id).webhook_secret == rotated

    with app.app_context():
        changes = list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action.like("webhook.%"))))
    assert {e.action for e in changes} == {"webhook.set", "webhook.secret_rotated"}
    for change in changes:
        assert secret not in json.dumps(change.detail) and rotated not in json.dumps(change.detail)


def test_deliveries_use_the_new_secret_after_a_rotation(app, world, apis, receiver):
    apis["provider"].request("PUT", hook_path(world.gp.id), json={"url": receiver.url})
    rotated = apis["provider"].post(hook_path(world.gp.id, "/rotate-secret")).get_json()["secret"]
    escalate(app, world)
    deliver(app)
    [got] = receiver.received
    assert verify(got.body, rotated, got.headers[SIGNATURE_HEADER])


def test_another_organisations_webhook_is_refused_and_audited(app, world, apis):
    provider = apis["provider"]
    for method, tail, body in (("GET", "", None), ("PUT", "", {"url": "https://x.example/h"}),
                               ("DELETE", "", None), ("POST", "/retry", None),
                               ("POST", "/rotate-secret", None)):
        answer = provider.request(method, hook_path(world.food_bank.id, tail), json=body)
        assert answer.status_code == 403, (method, tail)
    assert len(denials(app, world.provider.id)) == 5
    assert organisation(app, world.food_bank.id).webhook_url is None


def test_coordinators_may_look_but_not_change(app, world, apis, receiver):
    escalate(app, world)  # the coordinator's programme now routes to the GP practice
    apis["provider"].request("PUT", hook_path(world.gp.id), json={"url": receiver.url})

    shown = apis["coordinator"].get(hook_path(world.gp.id))
    assert shown.status_code == 200 and "secret" not in shown.get_json()
    assert apis["coordinator"].request(
        "PUT", hook_path(world.gp.id), json={"url": "https://x.example/h"}).status_code == 403
    assert apis["coordinator"].post(hook_path(world.gp.id, "/rotate-secret")).status_code == 403
    assert len(denials(app, world.coordinator.id)) == 2
    # The other operator's programmes send the GP practice nothing.
    assert apis["other_coordinator"].get(hook_path(world.gp.id)).status_code == 403
    assert apis["visitor"].get(hook_path(world.gp.id)).status_code == 403
    assert apis["admin"].get(hook_path(world.gp.id)).status_code == 200
    assert apis["admin"].get(hook_path(2**31 - 1)).status_code == 404


@pytest.mark.parametrize("url", [
    "", "   ", "ftp://example.org/hook", "example.org/hook", "http://", "javascript:alert(1)",
    "http://user:password@example.org/hook", "https://token@example.org/hook",
    "http://example.org:99999/hook", "http://exa mple.org/", "http://example.org/\x00",
    "https://example.org/hook#part", "https://example.org/" + "a" * 500, 123, None, ["http://a"],
])
def test_bad_urls_are_refused(app, world, apis, url):
    answer = apis["admin"].request("PUT", hook_path(world.gp.id), json={"url": url})
    assert answer.status_code == 422, url
    assert "url" in answer.get_json()["error"]["fields"]
    assert organisation(app, world.gp.id).webhook_url is None


def test_unknown_fields_and_other_bodies_are_refused(app, world, apis):
    admin = apis["admin"]
    assert admin.request("PUT", hook_path(world.gp.id),
                         json={"url": "https://example.org/h", "secret": "mine"}).status_code == 422
    assert admin.request("PUT", hook_path(world.gp.id), json={}).status_code == 422
    assert admin.request("PUT", hook_path(world.gp.id), data="url=x",
                         headers={"Content-Type": "text/plain"}).status_code == 415


def test_in_production_only_public_https_urls(app, world, apis, monkeypatch):
    monkeypatch.setitem(app.config, "OUTREACH_ENV", "production")
    admin = apis["admin"]
    for url in ("http://example.org/hook", "https://127.0.0.1/hook", "https://10.1.2.3/hook",
                "https://localhost/hook", "https://[::1]/hook", "https://169.254.169.254/"):
        assert admin.request("PUT", hook_path(world.gp.id),
                             json={"url": url}).status_code == 422, url
    assert admin.request("PUT", hook_path(world.gp.id),
                         json={"url": "https://hooks.example.org/outreach"}).status_code == 200


@pytest.mark.parametrize("debug", [False, True])
def test_the_demo_sets_a_url_on_this_machine_and_it_is_posted_to(app, hooked, receiver,
                                                                  monkeypatch, api_as, debug):
    # As scripts/run serves the demo: OUTREACH_ENV=development, neither testing nor (usually)
    # debug. The API and the sender follow the one rule, so what the API takes is delivered.
    monkeypatch.setitem(app.config, "OUTREACH_ENV", "development")
    monkeypatch.setitem(app.config, "TESTING", False)
    monkeypatch.setattr(app, "debug", debug)
    url = receiver.url.replace("127.0.0.1", "localhost")
    answer = api_as(hooked.provider).request("PUT", hook_path(hooked.gp.id), json={"url": url})
    assert answer.status_code == 200, answer.get_json()
    escalate(app, hooked)

    assert deliver(app) == 1 and len(receiver.received) == 1


def test_removing_the_url_keeps_waiting_deliveries_and_retry_sends_the_head(app, hooked,
                                                                            receiver, apis):
    receiver.down()
    escalate(app, hooked)
    deliver(app)
    provider = apis["provider"]

    removed = provider.delete(hook_path(hooked.gp.id)).get_json()
    assert (removed["url"], removed["pending"], removed["failing_since"]) == (None, 1, None)
    assert provider.post(hook_path(hooked.gp.id, "/retry")).status_code == 409
    assert organisation(app, hooked.gp.id).webhook_secret is None

    receiver.up()
    secret = provider.request("PUT", hook_path(hooked.gp.id),
                              json={"url": receiver.url}).get_json()["secret"]
    # A new URL is tried at once, not at the old retry time.
    assert deliver(app, at(seconds=1)) == 1
    assert verify(receiver.received[0].body, secret, receiver.received[0].headers[
        SIGNATURE_HEADER])

    escalate(app, hooked, category="medication")
    receiver.down()
    deliver(app, at(seconds=2))
    receiver.up()
    assert deliver(app, at(seconds=3)) == 0  # waiting for its retry time
    retried = provider.post(hook_path(hooked.gp.id, "/retry"))
    assert retried.status_code == 200 and retried.get_json()["pending"] == 1
    assert deliver(app, at(seconds=3)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "webhook.retry")) == 1


# --- The real thing: commits, a background thread, two workers ------------------------------


@pytest.fixture
def own_app(app, database_url, tmp_path, monkeypatch):
    """An application on storage of its own (a SQLite file, or a PostgreSQL schema in this
    worker's database) whose commits are real, so a background thread or a second worker sees
    them."""
    url = database_url if database_url.startswith("postgresql") else ""
    options: dict = {}
    if url:
        schema = "webhook_tests"
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        options = {"connect_args": {"options": f"-csearch_path={schema}"}}
    else:
        url = "sqlite:///" + str(tmp_path / "webhooks.sqlite3")
    made = create_app(dict(TEST_SETTINGS, SQLALCHEMY_DATABASE_URI=url,
                           SQLALCHEMY_ENGINE_OPTIONS=options, SMS_BACKEND="console",
                           WEBHOOK_HANDOVER="none"))
    # The suite's session is bound to its rolled-back connection: this app gets a real one.
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    with made.app_context():
        upgrade()
    yield made
    courier(made).wait_idle(10)
    with made.app_context():
        db.session.remove()
        db.engine.dispose()
    if options:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


def test_a_slow_receiver_does_not_hold_up_the_request_that_raised_the_need(own_app, receiver):
    own_app.config.update(WEBHOOK_HANDOVER="thread", WEBHOOK_TIMEOUT_SECONDS=8.0)
    receiver.delay = 5.0
    with own_app.app_context():
        world = factories.world()
        factories.consent(world.client_on_round, ConsentPurpose.TAKE_PART)
        operator = db.session.get(Organisation, world.operator.id)
        operator.webhook_url, operator.webhook_secret = receiver.url, SECRET
        token = factories.token(world.coordinator)
        client_id = world.client_on_round.id
        db.session.commit()
    api = API(own_app.test_client(), token)
    need = {"client_id": client_id, "category": "safeguarding", "severity": "urgent",
            "description": "Worried about a visitor", "source": "visit"}

    started = time.monotonic()
    answer = api.post("/needs", json=need)
    took = time.monotonic() - started

    assert answer.status_code == 201, answer.get_json()
    # Safeguarding goes to the coordinator, i.e. the operator, whose receiver sits on the POST.
    assert receiver.wait_for(1, timeout=5.0), "the webhook was never sent"
    assert not courier(own_app).wait_idle(0), "the courier should still be waiting"
    assert took < 1.0 and took < receiver.delay / 5
    receiver.release.set()
    assert courier(own_app).wait_idle(10)
    with own_app.app_context():
        [delivery] = db.session.scalars(select(WebhookDelivery)).all()
        assert delivery.delivered_at is not None and delivery.attempts == 1
    assert json.loads(receiver.received[0].body)["kind"] == "created"


@pytest.mark.skipif(not POSTGRESQL, reason="several workers at once is a PostgreSQL deployment: "
                    "SQLite has no row locks, and its single writer makes them fail, not race")
def test_two_workers_at_once_deliver_each_delivery_exactly_once_in_order(own_app, receiver):
    receiver.delay = 0.01
    with own_app.app_context():
        world = factories.world()
        recipients = [db.session.get(Organisation, o.id) for o in (world.gp, world.food_bank)]
        for recipient in recipients:
            recipient.webhook_url, recipient.webhook_secret = receiver.url, SECRET
            escalation = factories.escalation(world.client_on_round, recipient)
            for n in range(14):
                services.record_event(escalation, EscalationEventKind.NOTE, note=f"Note {n}")
        db.session.commit()
        recipient_ids = [recipient.id for recipient in recipients]
        expected = set(db.session.scalars(select(WebhookDelivery.id)))
    assert len(expected) == 30

    start = threading.Barrier(2)
    counts: list[int] = []

    def worker() -> None:
        with own_app.app_context():
            start.wait()
            counts.append(deliver_due(limit=1000))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    sent = [int(r.headers[DELIVERY_HEADER]) for r in receiver.received]
    assert sorted(sent) == sorted(expected), "a delivery was sent twice or not at all"
    assert sum(counts) == 30
    for recipient_id in recipient_ids:
        events = [json.loads(r.body)["id"] for r in receiver.received
                  if json.loads(r.body)["escalation"]["organisation_id"] == recipient_id]
        assert events == sorted(events) and len(events) == 15
    with own_app.app_context():
        assert deliver_due() == 0



# --- Handing over ---------------------------------------------------------------------------


def test_the_periodic_job_sends_what_is_due(app, hooked, receiver):
    from outreach.jobs.tick import run_jobs

    escalate(app, hooked)
    with app.app_context():
        summary = {r.name: r.summary for r in run_jobs(START)}
    assert summary["webhooks"] == "1 webhook(s) delivered, 0 organisation(s) failing"
    assert len(receiver.received) == 1


def test_with_a_broker_the_request_hands_over_to_celery(app, hooked, api_as, monkeypatch):
    from outreach.jobs import background
    handed: list[list[int]] = []
    monkeypatch.setitem(app.config, "WEBHOOK_HANDOVER", "auto")
    monkeypatch.setitem(app.config, "CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setattr(background.deliver_webhooks, "delay", handed.append)
    escalation_id = escalate(app, hooked)

    answer = api_as(hooked.provider).post(f"/escalations/{escalation_id}/acknowledge",
                                          json={"note": "On it"})

    assert answer.status_code == 200
    assert handed == [[hooked.gp.id]]
    assert courier(app).wait_idle(0)  # no thread of this process was started


@pytest.mark.parametrize("settings", [{"WEBHOOK_HANDOVER": "pigeon"},
                                      {"WEBHOOK_HANDOVER": "celery"},
                                      {"WEBHOOK_TIMEOUT_SECONDS": 0.0}])
def test_unusable_webhook_settings_are_refused_at_start(settings):
    with pytest.raises(RuntimeError, match="WEBHOOK_"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", **settings})
