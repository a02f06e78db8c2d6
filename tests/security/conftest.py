"""Set-up for the security tests."""

from __future__ import annotations

from collections import Counter

import pytest


@pytest.hookimpl(trylast=True)  # once schemathesis has named its tests
def pytest_collection_modifyitems(items) -> None:
    """Give every test its own node id. schemathesis gives every operation's test the node id
    of the test function (the operation is only in its name), and pytest-xdist runs one test
    per node id: the other operations would silently not be fuzzed."""
    counts = Counter(item.nodeid for item in items)
    for item in items:
        if counts[item.nodeid] > 1:
            item._id = f"{item.nodeid.rpartition('::')[0]}::{item.name}"
    ids = [item.nodeid for item in items]
    shared = sorted({nodeid for nodeid, n in Counter(ids).items() if n > 1})
    if shared:
        raise pytest.UsageError(f"tests sharing a node id (pytest-xdist would run one): {shared}")
