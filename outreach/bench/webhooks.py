"""Escalation figures through HTTP for `scripts/bench`, on the served application: a provider's
GET /api/v1/escalations (first page, and a page of the feed from mid-history), and the time
from a need being recorded (POST /api/v1/needs) until its signed webhook has reached a local
receiver (median and p99). The data set is bench_escalations'.
"""

from __future__ import annotations

import http.client
import json
import secrets
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import delete, insert, select, update

from channels.webhooks import SIGNATURE_HEADER, verify
from outreach.bench.escalations import (
    COORDINATOR_EMAIL,
    ORGANISATIONS,
    PAGE,
    PROVIDER_NAME,
    bench_operator,
    bench_providers,
    middle_cursor,
    percentile,
)
from outreach.bench.http import served

HTTP_ROUNDS = 2
WEBHOOK_CATEGORY = "home_or_heating"  # routed to the last bench provider by the bench's rule
WEBHOOK_NEEDS = 200
WEBHOOK_WARM_UP = 10
WEBHOOK_WAIT = 10.0  # seconds a webhook may take before it counts as not received
WEBHOOK_GIVE_UP = 5  # this many not received: something is broken, stop waiting


# --- Through HTTP ---------------------------------------------------------------------------


def _env(bench) -> dict:
    # The courier thread hands webhooks over in-process, whatever the host's Celery settings.
    return {"DATABASE_URL": bench.app.config["SQLALCHEMY_DATABASE_URI"],
            "OUTREACH_ENV": "development", "SECRET_KEY": "bench-" + "x" * 40,
            "WEBHOOK_HANDOVER": "thread", "CELERY_BROKER_URL": ""}


def _get(conn: http.client.HTTPConnection, path: str, token: str) -> float:
    started = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}")
    return elapsed


def http_figures(bench) -> list:
    """GET /api/v1/escalations (first page) and ?since= (mid-history), one provider at a time."""
    from outreach.auth import tokens
    from outreach.auth.models import User
    from outreach.bench.run import Row
    from outreach.db import db

    with bench.app.app_context():
        providers = bench_providers(db)
        cursors = {org: middle_cursor(db, org) for org, _ in providers}
        raw = {org: tokens.issue(db.session.get(User, user_id), "bench", 1)[0]
               for org, user_id in providers}
        db.session.commit()
    samples = [org for _ in range(HTTP_ROUNDS) for org, _ in providers]
    listing, feed_page, bare = [], [], []
    # The reference: a bare Flask endpoint, asked the same way, one request at a time.
    with served("outreach.bench.http:bare_app()", {}) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for n in range(10 + len(samples)):
            took = _get(conn, "/ping", "")
            if n >= 10:
                bare.append(took)
        conn.close()
    with served("outreach:create_app()", _env(bench)) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for org, _ in providers[:10]:  # the worker's first requests open its connections
            _get(conn, f"/api/v1/escalations?limit={PAGE}", raw[org])
            _get(conn, f"/api/v1/escalations?limit={PAGE}&since={cursors[org]}", raw[org])
        for org in samples:
            listing.append(_get(conn, f"/api/v1/escalations?limit={PAGE}", raw[org]))
            feed_page.append(_get(conn, f"/api/v1/escalations?limit={PAGE}&since={cursors[org]}",
                                  raw[org]))
        conn.close()
    median, p95, versus = statistics.median(bare), percentile(bare, 0.95), "bare Flask endpoint"
    return [
        Row("bare Flask endpoint, one at a time, median (reference)", median, "ms"),
        Row("GET /api/v1/escalations?limit=50, median", statistics.median(listing), "ms",
            reference=median, versus=versus),
        Row("GET /api/v1/escalations?limit=50, p95", percentile(listing, 0.95), "ms",
            reference=p95, versus=versus),
        Row("GET /api/v1/escalations?since=&limit=50, median", statistics.median(feed_page),
            "ms", reference=median, versus=versus),
        Row("GET /api/v1/escalations?since=&limit=50, p95", percentile(feed_page, 0.95), "ms",
            reference=p95, versus=versus),
    ]


# --- Need → webhook -------------------------------------------------------------------------


class _Receiver:
    """A webhook receiver on a free loopback port: checks each signature and notes when the
    `created` event of each need arrived."""

    def __init__(self, secret: str):
        self.secret = secret
        self.arrived: dict[int, float] = {}
        self.bad_signatures = 0
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                at = time.perf_counter()
                good = verify(body, receiver.secret, self.headers.get(SIGNATURE_HEADER))
                self.send_response(204 if good else 401)
                self.end_headers()
                item = json.loads(body) if good else {}
                with receiver.changed:
                    if not good:
                        receiver.bad_signatures += 1
                    elif item.get("kind") == "created":
                        receiver.arrived.setdefault(item["escalation"]["need_id"], at)
                    receiver.changed.notify_all()

            def log_message(self, *args):  # quiet: one line a delivery is noise
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/outreach-hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, need_id: int, timeout: float) -> float | None:
        """When the need's webhook arrived (perf_counter), waiting up to `timeout` seconds."""
        with self.changed:
            self.changed.wait_for(lambda: need_id in self.arrived, timeout)
            return self.arrived.get(need_id)


def _webhook_setup(bench, url: str, secret: str) -> tuple[str, list[int], int]:
    """Route WEBHOOK_CATEGORY to the last bench provider, give it `url`, let the sampled
    clients share with it, clear earlier runs' escalations; answers a coordinator's token,
    the clients and the organisation."""
    from outreach.auth import tokens
    from outreach.auth.models import User
    from outreach.consent.models import Consent
    from outreach.db import db, utcnow
    from outreach.escalations import routing
    from outreach.escalations.models import Escalation, RoutingRecipient, RoutingRule
    from outreach.needs.models import Need
    from outreach.organisations.models import Organisation
    from outreach.people.models import Client
    from outreach.programmes.models import Programme

    with bench.app.app_context():
        session = db.session
        now = utcnow()
        _, programme_id = bench_operator(db)
        organisation = session.scalar(select(Organisation).where(
            Organisation.name == PROVIDER_NAME.format(ORGANISATIONS - 1)))
        routing.install_defaults(session.get(Programme, programme_id))
        if session.scalar(select(RoutingRule.id).where(
                RoutingRule.programme_id == programme_id,
                RoutingRule.category == WEBHOOK_CATEGORY)) is None:
            rule = RoutingRule(programme_id=programme_id, category=WEBHOOK_CATEGORY,
                               note="Bench: heating to a bench provider")
            rule.recipients = [RoutingRecipient(tier=1, kind="organisation",
                                                organisation_id=organisation.id),
                               RoutingRecipient(tier=2, kind="coordinator")]
            session.add(rule)
        clients = list(session.scalars(select(Client.id).where(
            Client.programme_id == programme_id).order_by(Client.id.desc())
            .limit(WEBHOOK_NEEDS + WEBHOOK_WARM_UP)))
        # Taking part, and sharing with this organisation: what routing asks of each client.
        for purpose, organisation_id in (("take_part", None),
                                         ("share_information", organisation.id)):
            given = set(session.scalars(select(Consent.client_id).where(
                Consent.client_id.in_(clients), Consent.purpose == purpose,
                Consent.organisation_id.is_not_distinct_from(organisation_id),
                Consent.withdrawn_at.is_(None))))
            missing = [c for c in clients if c not in given]
            if missing:
                session.execute(insert(Consent), [{
                    "client_id": c, "purpose": purpose, "organisation_id": organisation_id,
                    "given_by": "client", "given_at": now, "note": "", "withdrawal_reason": "",
                    "created_at": now, "updated_at": now} for c in missing])
        # Earlier runs' escalations would be joined, not opened: start from none.
        earlier = select(Escalation.need_id).where(
            Escalation.client_id.in_(clients), Escalation.category == WEBHOOK_CATEGORY)
        session.execute(delete(Need).where(Need.id.in_(earlier)))
        organisation.webhook_url, organisation.webhook_secret = url, secret
        organisation.webhook_failing_since = None
        coordinator = session.scalar(select(User).where(User.email == COORDINATOR_EMAIL))
        raw, _ = tokens.issue(coordinator, "bench", 1)
        session.commit()
        return raw, clients, organisation.id


def _webhook_teardown(bench, organisation_id: int) -> None:
    """Take the receiver's URL away again: it is gone once the bench ends."""
    from outreach.db import db
    from outreach.organisations.models import Organisation

    with bench.app.app_context():
        db.session.execute(update(Organisation).where(Organisation.id == organisation_id)
                           .values(webhook_url=None, webhook_secret=None))
        db.session.commit()


def webhook_figures(bench) -> list:
    """From just before a need is POSTed until its signed webhook has reached a local receiver:
    median and p99 over needs recorded one after another on the served application."""
    from outreach.bench.run import Row

    secret = "bench-webhook-" + secrets.token_hex(16)
    latencies, lost = [], 0
    with _Receiver(secret) as receiver:
        token, clients, organisation_id = _webhook_setup(bench, receiver.url, secret)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        try:
            with served("outreach:create_app()", _env(bench)) as port:
                for n, client_id in enumerate(clients):
                    # A new connection each time: the wait below may outlast the keep-alive.
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    body = json.dumps({"client_id": client_id, "category": WEBHOOK_CATEGORY,
                                       "severity": "soon", "source": "visit",
                                       "description": "The boiler has stopped"}).encode()
                    started = time.perf_counter()
                    conn.request("POST", "/api/v1/needs", body=body, headers=headers)
                    response = conn.getresponse()
                    answer = response.read()
                    if response.status != 201:
                        raise RuntimeError(f"POST /api/v1/needs answered {response.status}: "
                                           f"{answer[:300]!r}")
                    conn.close()
                    arrived = receiver.wait_for(json.loads(answer)["id"], WEBHOOK_WAIT)
                    if n < WEBHOOK_WARM_UP:
                        continue
                    if arrived is None:
                        lost += 1
                        if lost == WEBHOOK_GIVE_UP:
                            raise RuntimeError(f"{lost} webhooks did not arrive: giving up")
                    else:
                        latencies.append((arrived - started) * 1000)
        finally:
            _webhook_teardown(bench, organisation_id)
    if not latencies:
        raise RuntimeError("no webhook reached the receiver")
    return [
        Row("need → webhook received, median", statistics.median(latencies), "ms"),
        Row("need → webhook received, p99", percentile(latencies, 0.99), "ms"),
        Row(f"need → webhook, not received within {WEBHOOK_WAIT:g} s", lost, "count", 0),
        Row("webhook signatures that did not verify", receiver.bad_signatures, "count", 0),
    ]
