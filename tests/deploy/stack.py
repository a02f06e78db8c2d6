"""Real parts for the scale-out and fault tests: a fresh PostgreSQL database (or a private
cluster), a private Redis, a fake Twilio that remembers what it took, and our own processes
(setup scripts, Celery workers, beat, gunicorn) run the way a deployment runs them.

These tests run in CI's PostgreSQL pass only (a clear rule: `postgresql_pass()` skips them when
TEST_DATABASE_URL is not PostgreSQL, saying so); the SQLite passes would repeat nothing new.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from outreach.db import utcnow

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "AC" + "7" * 32
AUTH_TOKEN = "deploy-test-token-" + "t" * 16
SENDER = "+447700900001"
PUBLIC_BASE_URL = "https://outreach.test"


def free_port() -> int:
    """A loopback port nothing listens on (just now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], bool], timeout: float, what: str,
               every: float = 0.05) -> None:
    """Poll `check` until it is true; fail the test saying `what` did not happen in time."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout} s")
        time.sleep(every)


# --- PostgreSQL -----------------------------------------------------------------------------


def postgresql_pass() -> str:
    """TEST_DATABASE_URL as a SQLAlchemy URL; skips the test outside CI's PostgreSQL pass."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith(("postgresql://", "postgresql+psycopg://")):
        pytest.skip("a deployment test: runs in the PostgreSQL pass (TEST_DATABASE_URL)")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


@contextmanager
def fresh_database(server_url: str, name: str) -> Iterator[str]:
    """A new, empty database `name` on the server of `server_url`, dropped afterwards."""
    # No pool: a connection kept from before a restart of the server would be dead.
    admin = create_engine(make_url(server_url).set(database="postgres"),
                          isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def parts(name: str, twilio_delay: float = 0.0) -> Iterator[tuple[str, PrivateRedis, FakeTwilio]]:
    """A fresh database `name` on TEST_DATABASE_URL's server (the test skips outside the
    PostgreSQL pass), a private Redis and a fake Twilio, for the length of the block."""
    server = postgresql_pass()
    redis = PrivateRedis()
    redis.start()
    try:
        with fresh_database(server, name) as database, fake_twilio(twilio_delay) as twilio:
            yield database, redis, twilio
    finally:
        redis.destroy()


class PrivateCluster:
    """A PostgreSQL cluster of this test's own on a free port, run as the `postgres` user
    (PostgreSQL refuses root), so it may be restarted without touching the shared one."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="outreach-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        shutil.chown(self.root, "postgres", "postgres")
        self._as_postgres("/usr/local/bin/initdb", "-D", str(self.data), "-A", "trust",
                          "-U", "postgres", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *args], capture_output=True, text=True,  # noqa: S603
                              timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

    def _pg_ctl(self, action: str, *more: str) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c max_connections=60")
        self._as_postgres("/usr/local/bin/pg_ctl", action, "-D", str(self.data), "-w",
                          "-l", str(self.root / "log"), "-o", options, *more)

    def start(self) -> None:
        self._pg_ctl("start")

    def stop(self) -> None:
        """A fast shutdown: every connection is cut, as in a failover or an upgrade."""
        self._pg_ctl("stop", "-m", "fast")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def count(database_url: str, sql: str, **params) -> list[tuple]:
    """Rows of a query against `database_url`, from a connection of its own."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


# --- Redis ----------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of this test's own on a free port: it may be stopped and started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="outreach-redis-"))
        self.process: subprocess.Popen | None = None

    def url(self, number: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{number}"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            ["/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, 10, "redis-server starting")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        """Stop it at once (SIGKILL: nothing is saved, as when the machine goes away)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# --- A fake Twilio that remembers ---------------------------------------------------------


@dataclass
class Taken:
    sid: str
    to: str
    sender: str
    body: str
    message_id: int | None  # ours, from the status callback URL
    at: object


@dataclass
class FakeTwilio:
    """Takes every text (201, status `sent`) after `delay` seconds and lists what it took,
    newest first, as Twilio's Messages list does; the record is made before the answer, so a
    sender killed while waiting leaves a text Twilio has but we were not told of."""

    delay: float = 0.0
    taken: list[Taken] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    lookups: int = 0

    def by_message(self) -> Counter:
        with self.lock:
            return Counter(t.message_id for t in self.taken)

    def posts(self) -> int:
        with self.lock:
            return len(self.taken)


class _TwilioHandler(BaseHTTPRequestHandler):
    fake: FakeTwilio
    protocol_version = "HTTP/1.1"

    def _json(self, status: int, payload: dict) -> None:
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    @staticmethod
    def _resource(taken: Taken) -> dict:
        return {"sid": taken.sid, "account_sid": ACCOUNT, "to": taken.to, "from": taken.sender,
                "body": taken.body, "status": "sent", "direction": "outbound-api",
                "date_created": format_datetime(taken.at),
                "date_sent": format_datetime(taken.at), "error_code": None}

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        callback = form.get("StatusCallback", [""])[0]
        ours = parse_qs(urlsplit(callback).query).get("message", [None])[0]
        taken = Taken("SM" + secrets.token_hex(16), form["To"][0], form.get("From", [""])[0],
                      form["Body"][0], int(ours) if ours else None, utcnow())
        with self.fake.lock:
            self.fake.taken.append(taken)
        if self.fake.delay:
            time.sleep(self.fake.delay)
        self._json(201, self._resource(taken))

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        size, number = int(query.get("PageSize", ["50"])[0]), int(query.get("Page", ["0"])[0])
        with self.fake.lock:
            self.fake.lookups += 1
            found = [t for t in reversed(self.fake.taken)
                     if t.to == query.get("To", [t.to])[0]
                     and t.sender == query.get("From", [t.sender])[0]]
        # Newest first, a page at a time, as Twilio's list: a text with many newer ones to the
        # same number is on a later page.
        page = found[number * size:(number + 1) * size]
        following = None
        if len(found) > (number + 1) * size:
            following = parts.path + "?" + urlencode(
                {k: v[0] for k, v in query.items() if k not in ("Page", "PageToken")}
                | {"Page": number + 1, "PageToken": f"PA{number + 1}"})
        self._json(200, {"messages": [self._resource(t) for t in page],
                         "next_page_uri": following, "page": number, "page_size": size,
                         "uri": parts.path, "first_page_uri": parts.path})

    def log_message(self, format, *args):
        """Quiet: the tests look at what was taken instead."""


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A sender killed mid-request leaves a broken connection: expected here."""


@contextmanager
def fake_twilio(delay: float = 0.0) -> Iterator[FakeTwilio]:
    """A FakeTwilio on a free loopback port for the length of the block."""
    fake = FakeTwilio(delay=delay)
    server = _Quiet(("127.0.0.1", 0), type("Handler", (_TwilioHandler,), {"fake": fake}))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --- Our own processes ----------------------------------------------------------------------


def environment(database_url: str, broker_url: str = "", twilio_url: str = "",
                **more: str) -> dict[str, str]:
    """The environment of every process of a test deployment."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("TEST_", "OUTREACH_", "SMS_", "TWILIO_", "WEBHOOK_"))}
    env.update(DATABASE_URL=database_url, CELERY_BROKER_URL=broker_url, OUTREACH_ENV="testing",
               SECRET_KEY="deploy-test-" + "k" * 40, PUBLIC_BASE_URL=PUBLIC_BASE_URL,
               TWILIO_AUTH_TOKEN=AUTH_TOKEN, PYTHONPATH=str(REPO), FLASK_APP="outreach",
               SMS_SEND_RATE="1000", JOB_INTERVAL_SECONDS="1")
    if twilio_url:
        env.update(SMS_BACKEND="twilio", TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_FROM_NUMBER=SENDER,
                   TWILIO_API_BASE=twilio_url, SMS_TIMEOUT_SECONDS="10")
    env.update(more)
    return env


def run_python(code: str, env: dict[str, str], timeout: float = 120) -> str:
    """Run a setup script in a process of its own; answers its output."""
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO,  # noqa: S603
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


class Process:
    """One of our long-running processes (a worker, beat, gunicorn), logging to a file, in a
    process group of its own so that killing it kills its children too."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path):
        self.name, self.args, self.env = name, args, env
        self.log = logs / f"{name}.log"
        self.popen: subprocess.Popen | None = None
        self.restarts = 0
        self._watching: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> Process:
        with open(self.log, "a") as out:
            self.popen = subprocess.Popen(  # noqa: S603 - our own commands
                self.args, env=self.env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        return self

    def supervise(self) -> Process:
        """Start it again whenever it exits, as systemd's Restart=always does in production."""

        def watch() -> None:
            while not self._stopping.wait(0.2):
                popen = self.popen
                if popen is not None and popen.poll() is not None:
                    popen.wait()
                    self.restarts += 1
                    self.start()

        self._watching = threading.Thread(target=watch, daemon=True)
        self._watching.start()
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole group: no clean-up of any kind, as when a machine dies."""
        if self.popen is not None:
            if self.popen.poll() is None:
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()
            self.popen = None

    def freeze(self) -> None:
        """SIGSTOP the whole group: it holds everything (connections, locks) and does nothing,
        as a paused VM or a long GC pause."""
        os.killpg(self.popen.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT: it carries on from where it was, unaware of the time that passed."""
        os.killpg(self.popen.pid, signal.SIGCONT)

    def stop(self, timeout: float = 10) -> None:
        """Ask it to finish (SIGTERM), killing it if it will not."""
        self._stopping.set()
        if self._watching is not None:
            self._watching.join()
        if self.popen is None:
            return
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout)
        self.kill()


def stop_all(processes) -> None:
    """Stop these processes (gunicorn, workers, beat) at the same time, as a shutdown does."""
    threads = [threading.Thread(target=process.stop) for process in processes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def celery_worker(name: str, env: dict[str, str], logs: Path, concurrency: int = 2,
                  pool: str = "prefork", queues: str = "") -> Process:
    """`celery -A outreach.jobs.worker worker`, as deployed (logging at info to see it is ready);
    `queues`: its -Q (blank: every queue)."""
    return Process(name, [sys.executable, "-m", "celery", "-A", "outreach.jobs.worker", "worker",
                          "--pool", pool, "--concurrency", str(concurrency), "-n",
                          f"{name}@%h", "--loglevel", "info", "--without-gossip",
                          "--without-mingle", "--without-heartbeat",
                          *(["-Q", queues] if queues else [])], env, logs)


def wait_ready(*workers: Process, timeout: float = 60) -> None:
    """Wait until each Celery worker says it is ready to take tasks."""
    for worker in workers:
        wait_until(lambda w=worker: " ready." in w.output() or not w.running(), timeout,
                   f"{worker.name} starting")
        assert worker.running(), worker.output()[-3000:]


@contextmanager
def tasks(broker_url: str) -> Iterator[Callable[..., None]]:
    """`send(name, *args)` puts a task on the broker as our own code would, without loading
    the application."""
    from celery import Celery

    sender = Celery("deploy-test", broker=broker_url, set_as_current=False)
    try:
        with sender.producer_or_acquire() as producer:
            yield lambda name, *args: sender.send_task(name, args=list(args), producer=producer)
    finally:
        sender.close()


def beat(env: dict[str, str], logs: Path) -> Process:
    """Celery beat with the deployed schedule, every job due every JOB_INTERVAL_SECONDS (one
    second unless the test says otherwise; tests.deploy.fast_beat), keeping its schedule file
    in `logs`."""
    return Process("beat", [sys.executable, "-m", "celery", "-A", "tests.deploy.fast_beat",
                            "beat", "--loglevel", "info", "-s", str(logs / "beat-schedule")],
                   env, logs)


class Web:
    """gunicorn serving the application, as deployed, and an HTTP client for it."""

    def __init__(self, env: dict[str, str], logs: Path, workers: int = 2, port: int = 0):
        import requests

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = Process("web", [sys.executable, "-m", "gunicorn", "--workers",
                                       str(workers), "--bind", f"127.0.0.1:{self.port}",
                                       "--graceful-timeout", "5", "outreach:create_app()"],
                               env, logs)
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only, whatever proxy the environment names

    def start(self) -> Web:
        self.process.start()
        wait_until(self._healthy, 60, "gunicorn serving", every=0.2)
        return self

    def _healthy(self) -> bool:
        import requests

        assert self.process.running(), self.process.output()[-3000:]
        try:
            return self.http.get(self.url + "/healthz", timeout=5).status_code == 200
        except requests.RequestException:  # not listening yet, or its workers still booting
            return False

    def stop(self) -> None:
        self.process.stop()
        self.http.close()

    def log_in(self, email: str, password: str) -> None:
        """Log in through the real form, CSRF token and all (the session cookie is kept)."""
        page = self.http.get(self.url + "/login", timeout=15)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text[:500]
        answer = self.http.post(self.url + "/login", timeout=15, allow_redirects=False, data={
            "email": email, "password": password, "csrf_token": token.group(1)})
        assert answer.status_code == 302, answer.text[:500]

    def api(self, method: str, path: str, token: str, **kw):
        """A call to the JSON API with a bearer token."""
        return self.http.request(method, self.url + "/api/v1" + path, timeout=15,
                                 headers={"Authorization": f"Bearer {token}"}, **kw)

    def visit(self, token: str, client_id: int, outcome: str = "seen_well"):
        """A visitor's phone sending one visit."""
        import uuid

        return self.api("POST", "/visits", token, json={
            "id": str(uuid.uuid4()), "client_id": client_id, "outcome": outcome,
            "visited_at": utcnow().isoformat(), "answers": {}})

    def text_in(self, sender: str, body: str):
        """A text arriving from `sender`, signed as Twilio signs it."""
        from twilio.request_validator import RequestValidator

        sid = "SM" + secrets.token_hex(16)
        form = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT, "From": sender,
                "To": SENDER, "Body": body, "NumMedia": "0", "ApiVersion": "2010-04-01"}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(
            self.process.env["PUBLIC_BASE_URL"] + "/sms/inbound", form)
        return self.http.post(self.url + "/sms/inbound", data=form, timeout=15,
                              headers={"X-Twilio-Signature": signature})


# A programme without quiet hours, a visitor and coordinator, and a client on the round whose
# daughter gets a visit report of every visit (so each visit queues one text).
WORLD = """
import json
from datetime import time

from flask_migrate import upgrade
from outreach import create_app
from outreach.db import db
from outreach.enums import ConsentPurpose
from tests import factories

app = create_app()
with app.app_context():
    upgrade()
with app.test_request_context():
    world = factories.world()
    world.programme.quiet_hours_start = world.programme.quiet_hours_end = time(0)
    client = world.client_on_round
    client.phone = "+447700900777"
    daughter = factories.contact(client, phone="+447700900778", receives_visit_reports=True)
    factories.consent(client, ConsentPurpose.TAKE_PART)
    factories.consent(client, ConsentPurpose.SHARE_INFORMATION, contact_id=daughter.id)
    made = {"client_id": client.id, "client_phone": client.phone,
            "visitor_token": factories.token(world.visitor),
            "coordinator_token": factories.token(world.coordinator),
            "coordinator_email": world.coordinator.email, "operator_id": world.operator.id,
            "gp_id": world.gp.id}
    EXTRA
    db.session.commit()
    print(json.dumps(made))
"""


def make_world(env: dict[str, str], extra: str = "") -> dict:
    """Build the schema and WORLD (plus `extra` lines run before the commit, indented as
    its body); answers the ids and tokens the test needs."""
    script = WORLD.replace("    EXTRA", textwrap.indent(textwrap.dedent(extra), "    "))
    return json.loads(run_python(script, {**env, "CELERY_BROKER_URL": "",
                                           "WEBHOOK_HANDOVER": "none"}).splitlines()[-1])
