"""Retention tests: a fixed "now", a policy switched on per test, and the job run as of then."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from outreach.db import set_clock
from outreach.jobs.tick import run_job

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def keep(app, monkeypatch):
    """keep(RETENTION_X_DAYS=n, ...) sets retention periods for this test."""

    def set_periods(**periods):
        for key, days in periods.items():
            monkeypatch.setitem(app.config, key, days)

    return set_periods


def run_retention(app, now: datetime = NOW) -> str:
    """Run the periodic `retention` job as `outreach tick` would, as of `now`; its summary."""
    with app.app_context():
        set_clock(now)
        try:
            result = run_job("retention", now)
        finally:
            set_clock(None)
    assert result.ok, result.summary
    return result.summary
