"""Prism serving Twilio's own OpenAPI description, so tests can drive the real twilio client.

`prism_url` (session scope) starts `prism mock` on a free port of 127.0.0.1 and stops it at
the end. Without Prism, node or the OpenAPI file the tests using it are skipped, unless
REQUIRE_PRISM=1 is set, as CI does: then they fail.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OPENAPI_NAME = "twilio/twilio_api_v2010.json"
# Prism reads the 1.8 MB description before it listens: about 2 s here, much more on a slow
# CI machine.
START_TIMEOUT = 60.0


def openapi_file() -> Path | None:
    """Twilio's OpenAPI description: $TWILIO_OPENAPI_FILE, else the shared copy, or None."""
    if os.environ.get("TWILIO_OPENAPI_FILE"):
        candidates = [Path(os.environ["TWILIO_OPENAPI_FILE"])]
    else:
        candidates = [ROOT.parent / "shared" / OPENAPI_NAME, Path("/work/shared") / OPENAPI_NAME]
    return next((path for path in candidates if path.is_file()), None)


def prism_bin() -> str | None:
    """The prism command: $PRISM_BIN, else the copy in .tools/prism, else prism on PATH."""
    if os.environ.get("PRISM_BIN"):
        return os.environ["PRISM_BIN"] if os.access(os.environ["PRISM_BIN"], os.X_OK) else None
    local = ROOT / ".tools" / "prism" / "node_modules" / ".bin" / "prism"
    if os.access(local, os.X_OK):
        return str(local)
    return shutil.which("prism")


def _missing() -> str | None:
    """Why Prism cannot run here, or None when it can."""
    if prism_bin() is None:
        return "Prism is not installed (scripts/test installs it when npm is available)"
    if shutil.which("node") is None:
        return "node is not installed (apt-get install nodejs npm)"
    if openapi_file() is None:
        return "Twilio's OpenAPI file was not found (set TWILIO_OPENAPI_FILE)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    """Whether an HTTP server answers on the port (any status will do)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        conn.request("GET", "/")
        conn.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        conn.close()


def _stop(process: subprocess.Popen) -> None:
    """Stop Prism and anything it started (it runs in its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="session")
def prism_url(tmp_path_factory) -> Iterator[str]:
    """Base URL of a Prism mock of Twilio's API (use it as TWILIO_API_BASE)."""
    reason = _missing()
    if reason is not None:
        if os.environ.get("REQUIRE_PRISM") == "1":
            pytest.fail(f"REQUIRE_PRISM=1 but the Prism tests cannot run: {reason}")
        pytest.skip(f"Twilio-against-Prism tests skipped: {reason}")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("prism") / "prism.log"
    command = [prism_bin(), "mock", "-h", "127.0.0.1", "-p", str(port), str(openapi_file())]
    with open(log_path, "wb") as log:
        # A file, not a pipe: Prism logs every request, and a full pipe would stall it.
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,  # noqa: S603
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-2000:]
                pytest.fail(f"Prism did not start ({' '.join(command)}):\n{tail}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)
