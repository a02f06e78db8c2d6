"""The local Redis (127.0.0.1:6379) for the tests that need a real one."""

from __future__ import annotations

import os
import socket

import pytest


def require_redis() -> None:
    """Skip the test when Redis is not answering, or fail it when REQUIRE_REDIS=1 (as in CI)."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return
    except OSError:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail("Redis is not answering on 127.0.0.1:6379")
        pytest.skip("Redis is not answering on 127.0.0.1:6379")
