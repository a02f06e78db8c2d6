"""A real webhook receiver on 127.0.0.1 for the webhook tests: it records every raw body and
its headers, and can be told to answer an error, to hang, or to be down (its port closed)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    port: int = 0
    status: int = 200
    delay: float = 0.0  # seconds to sit on each request before answering
    received: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    release: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/outreach"

    def up(self) -> None:
        """Listen (again, on the same port once it has had one)."""
        handler = type("Handler", (_Handler,), {"receiver": self})
        self._server = _Server(("127.0.0.1", self.port), handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Stop listening: connecting is then refused."""
        if self._server is None:
            return
        self.release.set()  # a hanging handler answers now, so shutting down is quick
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None
        self.release = threading.Event()

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until `count` requests have arrived; answers whether they did in time."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.received) >= count, timeout)


class _Handler(BaseHTTPRequestHandler):
    receiver: Receiver

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        receiver = self.receiver
        with receiver.arrived:
            receiver.received.append(Received(self.path, dict(self.headers.items()), body))
            receiver.arrived.notify_all()
        if receiver.delay:
            receiver.release.wait(receiver.delay)
        self.send_response(receiver.status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format, *args):
        """Quiet: the tests look at what was received instead."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        """A sender that gave up (a timeout test) leaves a broken pipe behind: expected."""


@contextmanager
def running() -> Iterator[Receiver]:
    """A webhook receiver listening on a free port of 127.0.0.1, stopped afterwards."""
    made = Receiver()
    made.up()
    try:
        yield made
    finally:
        made.down()
