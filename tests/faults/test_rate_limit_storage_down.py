"""Login limits kept in Redis (RATELIMIT_STORAGE_URI) while Redis is down: each process counts on
its own meanwhile, so people can still try to log in and guessing is still refused, never a 500.

The application runs in a child process: the rate limiter is one object per process, and
pointing it at a dead Redis here would follow the rest of the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.deploy import stack

REPO = Path(__file__).resolve().parents[2]
GUESS = textwrap.dedent("""
    import json, sys
    from flask_migrate import upgrade
    from outreach import create_app
    from tests.conftest import TEST_SETTINGS

    app = create_app(dict(TEST_SETTINGS, SQLALCHEMY_DATABASE_URI=sys.argv[1],
                          RATELIMIT_STORAGE_URI=sys.argv[2], LOGIN_RATE_LIMIT="3 per minute"))
    with app.app_context():
        upgrade()
    client = app.test_client()
    print(json.dumps([client.post("/api/v1/auth/token", json={
        "email": "nobody@example.org", "password": "wrong guess"}).status_code
        for _ in range(5)]))
""")


def test_guessing_is_still_limited_and_nothing_fails(tmp_path):
    dead_redis = f"redis://127.0.0.1:{stack.free_port()}/0"
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", GUESS, f"sqlite:///{tmp_path / 'limits.sqlite3'}", dead_redis],
        cwd=REPO, env={**env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
        timeout=120, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [401, 401, 401, 429, 429]
