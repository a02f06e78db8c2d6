"""What each kind of caller does on a busy morning, for Locust (run by `scripts/load`).

The mix, at ten times a national operator's peak (LOAD_SCALE, default 10). Assumptions:

- 100,000 clients; on a weekday 60 % are visited, nearly all in a 3-hour morning: 60,000 visits
  in 10,800 s is 5.6 a second, and the busiest hour runs at 1.5 times that: 8.3 visits a second.
- 20,000 clients have SMS check-ins at 09:00 and 90 % answer, mostly within 2 hours, the first
  busier (1.5 times): 18,000 / 7,200 s x 1.5 = 3.75 texts a second. One in ten answers is a
  need in words rather than a digit. Each text comes from a different client, whose check-in
  text (sent before the run) is waiting for it.
- 50 provider organisations poll their feed (`GET /api/v1/escalations?since=`, caught up, so
  each poll brings what happened since the last) every 30 s and search FHIR for the Tasks still
  waiting for them (`GET /fhir/r4/Task?status=requested`) every 60 s: 1.67 + 0.83 = 2.5
  requests a second.
- 40 coordinators (one for 2,500 clients) open a page every 15 s: 2.7 pages a second, spread
  over the dashboard, the escalations list, client pages and searches.

So a national peak is about 17 requests a second, and the test asks for about 170 (the
figures are PEAK in plan.py). Each simulated user sends one request a second on average, so the
rate of each group is its number of users; the moments are random and independent, as people
and systems act (arrivals.py).
"""

from __future__ import annotations

import json
import os
import random
import uuid
from datetime import UTC, datetime
from itertools import count
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, events, task
from twilio.request_validator import RequestValidator

from outreach.bench.load.arrivals import Arrivals
from outreach.bench.load.plan import REFERENCE, USER_AGENT, all_users
from outreach.bench.load.plan import users as _users

SCALE = float(os.environ.get("LOAD_SCALE", "10"))
PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115


SENT = [0]  # every request, the ramp-up's too: what the run's CPU time was spent on


@events.request.add_listener
def _sent(**_) -> None:
    SENT[0] += 1


@events.quitting.add_listener
def _write_sent(**_) -> None:
    if path := os.environ.get("LOAD_SENT"):
        with open(path, "w", encoding="utf-8") as out:
            out.write(str(SENT[0]))


def users(group: str) -> int:
    """Simulated users of a group: its requests a second at SCALE times the peak."""
    return _users(group, SCALE)


class OneASecond(FastHttpUser):
    """A caller sending one request a second on average, independently of the others (see
    arrivals.py: Locust's constant_throughput would have them all send together)."""

    abstract = True

    def on_start(self):
        self.arrivals = Arrivals(1.0)
        gevent.sleep(self.arrivals.wait())

    def wait_time(self) -> float:
        return self.arrivals.wait()


class Visitor(OneASecond):
    """A visitor's phone recording visits on the round, door after door."""

    fixed_count = users("visitor")
    serial = count()

    def on_start(self):
        mine = PLAN["visitors"][next(self.serial) % len(PLAN["visitors"])]
        self.headers = {"Authorization": f"Bearer {mine['token']}",
                        "Content-Type": "application/json"}
        self.clients = mine["clients"]
        self.door = 0
        super().on_start()

    @task
    def record_visit(self):
        """POST one visit, as the visitor's app does when a form is done."""
        self.door += 1
        outcome = "seen_well" if random.random() < 0.9 else "no_answer"  # noqa: S311  # nosec B311
        body = {"id": str(uuid.uuid4()), "client_id": self.clients[self.door % len(self.clients)],
                "visited_at": datetime.now(UTC).isoformat(), "outcome": outcome,
                "prescription_delivered": False, "appointment_reminded": False, "note": ""}
        self.client.post("/api/v1/visits", data=json.dumps(body), headers=self.headers,
                         name="visitor: POST /api/v1/visits")


class Twilio(OneASecond):
    """Twilio forwarding clients' replies, signed as Twilio signs them."""

    fixed_count = users("twilio")
    validator = RequestValidator(PLAN["auth_token"])
    # Each client answers once: the next text comes from the next number (a run long enough to
    # use them all starts again, and those answers find no check-in waiting).
    sender = count()

    @task
    def text_in(self):
        """POST /sms/inbound: mostly check-in answers, now and then a need in words."""
        words = random.random() < 0.1  # noqa: S311  # nosec B311
        phone = PLAN["phones"][next(self.sender) % len(PLAN["phones"])]
        form = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": "AC" + "0" * 32,
                "From": phone, "To": "+447700900001",
                "Body": "Could someone bring some shopping" if words else "1",
                "NumMedia": "0"}
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Twilio-Signature": self.validator.compute_signature(PLAN["sms_url"], form)}
        self.client.post("/sms/inbound", data=urlencode(form), headers=headers,
                         name="twilio: POST /sms/inbound")


class Provider(OneASecond):
    """A provider's system polling its feed (keeping the cursor) and FHIR Tasks."""

    fixed_count = users("provider")
    serial = count()

    def on_start(self):
        mine = PLAN["providers"][next(self.serial) % len(PLAN["providers"])]
        self.headers = {"Authorization": f"Bearer {mine['token']}"}
        self.since = mine["since"]
        self.polls = 0
        super().on_start()

    @task
    def poll(self):
        """Two feed polls for each FHIR search, as the rates above say."""
        self.polls += 1
        if self.polls % 3 == 0:
            self.client.get("/fhir/r4/Task?status=requested&_count=50", headers=self.headers,
                            name="provider: GET /fhir/r4/Task?status=requested")
            return
        with self.client.get(f"/api/v1/escalations?since={self.since}&limit=50",
                             headers=self.headers, name="provider: GET /api/v1/escalations?since=",
                             catch_response=True) as response:
            if response.status_code == 200:
                self.since = response.json().get("next_cursor") or self.since
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}")


class Coordinator(OneASecond):
    """A coordinator at a desk, logged in, moving between pages."""

    fixed_count = users("coordinator")
    serial = count()

    def on_start(self):
        # Logged in through the form by the runner before the clock started: see __main__.
        cookie = PLAN["cookies"][next(self.serial) % len(PLAN["cookies"])]
        self.headers = {"Cookie": cookie, "User-Agent": USER_AGENT}
        super().on_start()

    def page(self, path: str, name: str) -> None:
        """GET a page; anything but 200 (a redirect to the login form too) is an error."""
        with self.client.get(path, name=name, headers=self.headers, catch_response=True,
                             allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    @task(3)
    def client_page(self):
        """A client's page (each is an audited read)."""
        client_id = random.choice(PLAN["clients"])  # noqa: S311  # nosec B311
        self.page(f"/clients/{client_id}", "coordinator: GET /clients/<id>")

    @task(2)
    def escalations(self):
        """Every live escalation of the programme, overdue first."""
        self.page("/escalations/", "coordinator: GET /escalations/")

    @task(1)
    def dashboard(self):
        """The coordinator's dashboard."""
        self.page("/dashboard/", "coordinator: GET /dashboard/")

    @task(1)
    def search(self):
        """A search for a client by name."""
        number = random.randrange(1, 100_000)  # noqa: S311  # nosec B311
        self.page(f"/clients/?q=Bench+Client+{number}", "coordinator: GET /clients/?q=")


class Reference(OneASecond):
    """The reference, run on its own before the test: as many callers as the whole test, at
    the same rate and moments, asking a bare Flask endpoint under the same gunicorn settings.
    What it measures is the floor: the load generator, gunicorn and the loopback, with no
    application behind them."""

    fixed_count = all_users(SCALE)

    @task
    def ping(self):
        self.client.get("/ping", name=REFERENCE)
