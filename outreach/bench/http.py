"""HTTP throughput figures for `scripts/bench`: the visit-recording endpoint against a bare
Flask endpoint returning a constant JSON, both served by gunicorn with the same settings and
loaded the same way in the same run, so the ratio means something on a noisy machine.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess  # runs our own gunicorn with fixed arguments  # nosec B404
import sys
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager

from flask import Flask, jsonify

from outreach.bench.memory import note_workers

GUNICORN = ["--workers", "2", "--threads", "4", "--worker-class", "gthread",
            "--log-level", "warning"]
SECONDS = float(os.environ.get("BENCH_HTTP_SECONDS", "8"))
CONCURRENCY = int(os.environ.get("BENCH_HTTP_CONCURRENCY", "8"))
WARM_UP = 2.0
# Port -> the process id of the gunicorn master serving it, while `served` runs.
MASTERS: dict[int, int] = {}


def bare_app() -> Flask:
    """The reference: the least a Flask endpoint can do."""
    app = Flask("bare")

    @app.get("/ping")
    def ping():
        return jsonify({"status": "ok"})

    return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    """Whether an HTTP server on the port answers a request (any status will do)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/")
        conn.getresponse().read()
        conn.close()
    except OSError:
        return False
    return True


@contextmanager
def served(target: str, env: dict, options: tuple[str, ...] = ()):
    """Run `gunicorn target` on a free loopback port until the block ends; `options` are
    gunicorn's, after the bench's own settings."""
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments  # nosec B603
        [sys.executable, "-m", "gunicorn", *GUNICORN, *options, "--bind", f"127.0.0.1:{port}",
         target],
        env={**os.environ, **env})
    try:
        deadline = time.monotonic() + 120
        # Answering, not only listening: the master binds the port before its workers have
        # loaded the application, which on a busy machine takes a while.
        while not _answers(port):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"gunicorn did not start for {target}")
            time.sleep(0.2)
        MASTERS[port] = process.pid
        yield port
    finally:
        MASTERS.pop(port, None)
        note_workers(target, process.pid)  # the workers' peak memory, before they go
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # Still working through a backlog (an overloaded load test): stop it outright.
            process.kill()
            process.wait(timeout=30)


def load(port: int, request: Callable[[], tuple[str, str, bytes | None, dict]],
         seconds: float = SECONDS, concurrency: int = CONCURRENCY) -> dict:
    """Send requests from `concurrency` keep-alive connections for `seconds`; count and time.

    The first WARM_UP seconds are not counted: each server thread's first requests open its
    database connection and fill caches, which says nothing about the steady rate.
    """
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    began = time.monotonic()
    counted_from = began + WARM_UP
    stop = counted_from + seconds

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad = [], 0
        while time.monotonic() < stop:
            method, path, body, headers = request()
            counted = time.monotonic() >= counted_from
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if counted:
                mine.append(time.perf_counter() - started)
            if response.status >= 300:
                bad += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - counted_from
    if not latencies:
        raise RuntimeError(f"no request finished in the {seconds:g} s measured: is the machine "
                           "overloaded? (BENCH_HTTP_SECONDS sets a longer window)")
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "errors": errors[0], "count": len(latencies),
            "p50": statistics.median(latencies) * 1000,
            "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000}


def visit_recording_figures(bench) -> list:
    """Visits recorded per second, as a share of what a bare Flask endpoint serves."""
    from outreach.auth import tokens
    from outreach.auth.models import User
    from outreach.bench.run import Row
    from outreach.db import db, utcnow
    from outreach.people.models import Client
    from outreach.rounds.models import Round

    with bench.app.app_context():
        round_ = db.session.get(Round, bench.round_ids[0])
        clients = list(db.session.scalars(
            db.select(Client.id).where(Client.round_id == round_.id)))
        visitor = db.session.get(User, round_.visitor_id)
        raw, _ = tokens.issue(visitor, "bench", 1)
        db.session.commit()
        database_url = bench.app.config["SQLALCHEMY_DATABASE_URI"]

    def ping():
        return "GET", "/ping", None, {}

    counter = iter(range(10**9))
    headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}

    def record_visit():
        body = {"id": str(uuid.uuid4()), "client_id": clients[next(counter) % len(clients)],
                "visited_at": utcnow().isoformat(), "outcome": "seen_well",
                "prescription_delivered": False, "appointment_reminded": False, "note": ""}
        return "POST", "/api/v1/visits", json.dumps(body).encode(), headers

    env = {"DATABASE_URL": database_url, "OUTREACH_ENV": "development",
           "SECRET_KEY": "bench-" + "x" * 40}
    with served("outreach.bench.http:bare_app()", {}) as port:
        bare = load(port, ping)
    with served("outreach:create_app()", env) as port:
        visits = load(port, record_visit)
    if visits["errors"] or bare["errors"]:
        print(f"errors: bare {bare['errors']}, visits {visits['errors']}", file=sys.stderr)
    versus = "bare Flask endpoint"
    return [
        Row("bare Flask endpoint (reference)", bare["rps"], "req/s"),
        Row("bare Flask endpoint, p99 latency (reference)", bare["p99"], "ms"),
        Row("record a visit (POST /api/v1/visits)", visits["rps"], "req/s",
            reference=bare["rps"], versus=versus, higher_is_better=True),
        Row("record a visit, p99 latency", visits["p99"], "ms", reference=bare["p99"],
            versus=versus),
        Row("record a visit, non-2xx answers", visits["errors"], "count", 0),
    ]
