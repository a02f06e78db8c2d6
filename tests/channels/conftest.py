"""Fixtures for the channel tests: Prism (Twilio's API description) and a fault-injecting fake."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Answer:
    """What the fake answers: a status and JSON body (or `raw` bytes) after `delay` seconds;
    `hang_up` closes the connection without a word instead."""

    status: int = 201
    body: dict | None = None
    raw: bytes | None = None
    delay: float = 0.0
    hang_up: bool = False


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    authorization: str


@dataclass
class FakeTwilio:
    """A local stand-in for api.twilio.com whose answers each test chooses."""

    url: str
    answer: Answer = field(default_factory=Answer)
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeTwilio

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        parts = urlsplit(self.path)
        self.fake.seen.append(Seen(self.command, parts.path, parse_qs(parts.query),
                                   parse_qs(raw), self.headers.get("Authorization", "")))
        answer = self.fake.answer
        if answer.delay:
            # Wait on an event so that teardown can end the wait at once.
            self.fake.release.wait(answer.delay)
        if answer.hang_up:
            self.close_connection = True
            return
        payload = answer.raw if answer.raw is not None else json.dumps(answer.body or {}).encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _handle

    def log_message(self, format, *args):
        """Quiet: the tests assert on what was seen instead."""


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() waits for every handler to finish

    def handle_error(self, request, client_address):
        """A client that gave up (a timeout test) leaves a broken pipe; that is expected."""


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A fake Twilio API on a free port of 127.0.0.1, stopped after the test."""
    handler = type("Handler", (_Handler,), {})
    server = _Server(("127.0.0.1", 0), handler)
    fake = FakeTwilio(url=f"http://127.0.0.1:{server.server_address[1]}")
    handler.fake = fake
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens, so connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
