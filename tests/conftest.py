"""Test set-up on pytest-flask: one database built by the migrations per worker, each test
inside a rolled-back transaction.

The suite runs on a SQLite file by default and on PostgreSQL when TEST_DATABASE_URL is set.
Under pytest-xdist (`scripts/test` runs every core) each worker has its own: a SQLite file in its
own temporary directory, or a PostgreSQL database of its own beside TEST_DATABASE_URL's.
pytest-flask supplies `client`, `config` and `live_server` around the `app` fixture below.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.orm import scoped_session, sessionmaker
from sqlalchemy.pool import NullPool

from outreach import create_app
from outreach.db import db
from outreach.enums import MessageStatus
from outreach.extensions import limiter
from tests import factories

# Prism serving Twilio's OpenAPI description, for tests of the real twilio client.
pytest_plugins = ["tests.prism"]

TEST_SETTINGS = {
    "TESTING": True,
    # Cheap hashes keep the suite fast; production parameters are tested separately.
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 64,
    "PUBLIC_BASE_URL": "http://localhost",
    # Inbound webhooks are signed with this, as Twilio signs with the account's auth token.
    "TWILIO_AUTH_TOKEN": "test-auth-token-0123456789abcdef",
    "TWILIO_FROM_NUMBER": "+447700900001",
    # Tests read the dashboard right after changing what it counts (one test keeps the count).
    "DASHBOARD_COUNT_SECONDS": 0,
}


def _postgresql(url: str) -> str:
    """The URL with SQLAlchemy's psycopg 3 driver named."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def worker_name() -> str | None:
    """This pytest-xdist worker's name (gw0, gw1, ...), or None outside a distributed run."""
    return os.environ.get("PYTEST_XDIST_WORKER")


@contextmanager
def _own_postgresql_database(url: str, worker: str) -> Iterator[str]:
    """A fresh database named after TEST_DATABASE_URL's and the worker, dropped afterwards: the
    workers run at once, and each rolls its tests back on a schema of its own."""
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _emptied(url: str) -> str:
    """TEST_DATABASE_URL itself, for a run on one process, emptied for the migrations."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """This worker's database: a SQLite file (tmp_path_factory is per worker already), or on
    PostgreSQL TEST_DATABASE_URL for one process and a database per worker for several."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
        return
    url, worker = _postgresql(url), worker_name()
    if worker is None:
        yield _emptied(url)
        return
    with _own_postgresql_database(url, worker) as own:
        yield own


# tests/deploy and tests/faults start deployments on fixed ports and database names: under
# pytest-xdist one worker runs them all, one after another (`--dist loadgroup`).
ONE_AT_A_TIME = tuple(Path(__file__).parent / folder for folder in ("deploy", "faults"))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if any(item.path.is_relative_to(folder) for folder in ONE_AT_A_TIME):
            item.add_marker(pytest.mark.xdist_group("deployments"))


# TEST_SMS_BACKEND=twilio runs the whole suite with the real twilio client against Prism
# (.ci/run does); the default is the console backend.
SMS_BACKEND = os.environ.get("TEST_SMS_BACKEND", "console")
# Where a text stands once the backend has taken it: the console "delivers" at once; Twilio
# (and Prism, its mock) answers "queued", so it is `sending` until a status callback comes.
ACCEPTED = MessageStatus.DELIVERED if SMS_BACKEND == "console" else MessageStatus.SENDING


def _sms_settings(request) -> dict:
    if SMS_BACKEND == "console":
        return {"SMS_BACKEND": "console"}
    if SMS_BACKEND != "twilio":
        raise pytest.UsageError("TEST_SMS_BACKEND must be console or twilio")
    return {"SMS_BACKEND": "twilio", "TWILIO_API_BASE": request.getfixturevalue("prism_url"),
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32}


@pytest.fixture(scope="session")
def app(database_url, request):
    """The application for the whole session (pytest-flask's `client`, `config` and
    `live_server` use it), its schema built by the migrations."""
    settings = dict(TEST_SETTINGS, SQLALCHEMY_DATABASE_URI=database_url,
                    **_sms_settings(request))
    application = create_app(settings)
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _push_request_context():
    """Replaces pytest-flask's fixture of this name, which keeps a request context pushed for
    the whole test: a request made by a test client would then share its application context,
    and with it `g` (the logged-in user) and the session's identity map, with the test and with
    every other request. Here each request, and each `ctx`, has its own."""


@pytest.fixture
def client(client):
    """pytest-flask's client, without keeping each request's context pushed until the next one:
    a test that drives two browsers (`as_user`) must not have the second's requests run inside
    the first's last context."""
    client.preserve_context = False
    return client


@pytest.fixture(autouse=True)
def _transaction(app):
    """Bind the session to one connection whose outer transaction is rolled back afterwards.

    No application context stays pushed during the test: each request (and each `ctx`) gets its
    own, so `g` and the session's identity map do not leak from one request to the next.
    """
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    db.session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                     expire_on_commit=False),
        scopefunc=_app_ctx_id,
    )
    limiter.reset()
    try:
        yield connection
    finally:
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture
def console_sms(app, monkeypatch):
    """The console backend whatever TEST_SMS_BACKEND says: for tests of what it records."""
    from channels.sms.console import ConsoleBackend

    monkeypatch.setitem(app.config, "SMS_BACKEND", "console")
    monkeypatch.setitem(app.extensions, "sms_backend", ConsoleBackend())


@pytest.fixture
def ctx(app):
    """An application context for service-level tests."""
    with app.test_request_context():
        yield


@pytest.fixture
def world(app):
    """A small, complete set of organisations, people and programmes (see factories.world)."""
    with app.app_context():
        made = factories.world()
        db.session.commit()
        return made


class API:
    """A test client that speaks JSON with a bearer token."""

    def __init__(self, client, token: str | None = None):
        self.client = client
        self.token = token

    def _headers(self, headers=None):
        merged = dict(headers or {})
        if self.token:
            merged.setdefault("Authorization", f"Bearer {self.token}")
        return merged

    def request(self, method: str, path: str, json=None, headers=None, **kwargs):
        return self.client.open("/api/v1" + path, method=method, json=json,
                                headers=self._headers(headers), **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def api_as(app, client):
    """api_as(user) -> an API client authenticated with a fresh token of that user."""

    def make(user) -> API:
        with app.app_context():
            token = factories.token(user)
            db.session.commit()
        return API(client, token)

    return make


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def counted(app, verb: str = "SELECT"):
    """The statements of one kind (SELECT, INSERT, ...) sent inside the block."""
    statements: list[str] = []

    def note(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(verb):
            statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", note)


def as_user(app, user):
    """A second browser, logged in as `user` (the `login` fixture's client keeps its own)."""
    other = app.test_client()
    response = other.post("/login", data={"email": user.email, "password": factories.PASSWORD,
                                          "csrf_token": csrf_token(other)})
    assert response.status_code == 302
    return other


def csrf_token(client, path: str = "/login") -> str:
    page = client.get(path)
    match = CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def login(client):
    """login(user) logs the test client in through the real form."""

    def do(user, password: str = factories.PASSWORD):
        token = csrf_token(client)
        response = client.post("/login", data={"email": user.email, "password": password,
                                               "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return do
