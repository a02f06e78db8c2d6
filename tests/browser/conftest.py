"""Browser tests: Playwright drives Chromium against pytest-flask's `live_server`.

The rest of the suite runs each test inside a rolled-back transaction on one connection, which a
server in another process cannot share. So `app` here is an application of these tests' own on a
fresh SQLite file, filled with committed test data, and `live_server` serves it on 127.0.0.1 from
a process forked for each test (`live_server_scope = "function"` in pyproject.toml): each test
meets a server whose rate limits start from nothing, while what the tests commit stays in the
file, read and written from here through `live_server.app`.

Chromium is $CHROMIUM_PATH, else Debian's /usr/bin/chromium, else Playwright's own download
(`scripts/test` installs one where it can). Without one, or without the Playwright packages, the
tests are skipped, unless REQUIRE_BROWSER=1 is set, as CI does: then they fail.
"""

from __future__ import annotations

import importlib.util
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade

from outreach import create_app
from outreach.db import db
from outreach.enums import ConsentPurpose
from outreach.extensions import limiter
from tests import factories
from tests.conftest import TEST_SETTINGS

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
TIMEOUT_MS = 10_000


def _runnable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _playwright_chromium() -> Path | None:
    """Playwright's own Chromium (`python -m playwright install chromium`), if it was downloaded
    and starts here (it needs the system's libraries, which Debian's package brings)."""
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        path = Path(playwright.chromium.executable_path)
        if not _runnable(path):
            return None
        try:
            playwright.chromium.launch(executable_path=path, headless=True,
                                       args=LAUNCH_ARGS).close()
        except Error:
            return None
    return path


def find_chromium() -> tuple[Path | None, str]:
    """The Chromium to drive, or None and why there is none."""
    for module, package in (("playwright", "playwright"),
                            ("axe_playwright_python", "axe-playwright-python")):
        if importlib.util.find_spec(module) is None:
            return None, f"the {package} package is missing (pip install -e '.[test]')"
    if os.environ.get("CHROMIUM_PATH"):
        path = Path(os.environ["CHROMIUM_PATH"])
        return (path, "") if _runnable(path) else (None, f"CHROMIUM_PATH={path} cannot be run")
    if _runnable(DEBIAN_CHROMIUM):
        return DEBIAN_CHROMIUM, ""
    return _playwright_chromium(), (
        f"no Chromium: neither {DEBIAN_CHROMIUM} (apt-get install chromium) nor Playwright's "
        "own (python -m playwright install chromium); scripts/test installs one where it can")


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The Chromium the tests drive; skips them (fails them under REQUIRE_BROWSER=1) if none."""
    path, reason = find_chromium()
    if path is not None:
        return path
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but the browser tests cannot run: {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(autouse=True)
def _transaction():
    """Replaces the suite's per-test transaction: the live server commits for real, to its own
    database, so the shared `db.session` must not be swapped while these tests run."""
    yield


@dataclass(frozen=True)
class Seed:
    """Plain values (never ORM objects) describing the committed test data."""

    coordinator_email: str
    programme_name: str
    gp_name: str
    round_name: str
    search_names: tuple[str, str]
    withdraw_client_id: int
    withdraw_consent_id: int
    withdraw_contact_name: str
    page_client_id: int
    page_consent_id: int


def _seed() -> Seed:
    w = factories.world()
    first = factories.client(w.programme, full_name="Marguerite Le Quesne", parish="St Brelade")
    second = factories.client(w.programme, full_name="Jean Renouf", parish="Trinity")

    leaving = factories.client(w.programme, full_name="Hélène Falle", parish="St Ouen")
    daughter = factories.contact(leaving, name="Sophie Falle")
    factories.consent(leaving, given_by="client")
    sharing = factories.consent(leaving, ConsentPurpose.SHARE_INFORMATION,
                                contact_id=daughter.id, given_by="client")

    shown = factories.client(w.programme, full_name="Philippe Ahier", parish="Grouville",
                             lives_alone=True, gp_practice_id=w.gp.id,
                             access_notes="Key safe by the side door; code with the office.")
    factories.contact(shown, name="Anne Ahier", relationship="niece")
    factories.consent(shown, given_by="client")
    shared = factories.consent(shown, ConsentPurpose.SHARE_INFORMATION,
                               organisation_id=w.gp.id, given_by="client")
    db.session.commit()
    return Seed(
        coordinator_email=w.coordinator.email, programme_name=w.programme.name,
        gp_name=w.gp.name, round_name=w.round.name,
        search_names=(first.full_name, second.full_name),
        withdraw_client_id=leaving.id, withdraw_consent_id=sharing.id,
        withdraw_contact_name=daughter.name,
        page_client_id=shown.id, page_consent_id=shared.id,
    )


@dataclass(frozen=True)
class Seeded:
    """What the live server serves: the application and the data committed before the first
    test (the seed); the tests add their own through `app`."""

    app: Flask
    seed: Seed


@pytest.fixture(scope="session")
def site(chromium, tmp_path_factory) -> Iterator[Seeded]:
    """The browser tests' application on a fresh SQLite file, built by the migrations, and the
    data committed before the first test."""
    path = tmp_path_factory.mktemp("browser-db") / "browser.sqlite3"
    # SERVER_NAME: pytest-flask adds the live server's port to it, and 127.0.0.1 is the address
    # it listens on (--live-server-host), so links the app makes name the server the browser uses.
    made = create_app(dict(TEST_SETTINGS, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}",
                           SERVER_NAME="127.0.0.1", PUBLIC_BASE_URL="http://127.0.0.1"))
    with made.app_context():
        upgrade()
        seed = _seed()
        db.session.remove()
    yield Seeded(app=made, seed=seed)
    with made.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def app(site) -> Flask:
    """The application `live_server` serves (in place of the suite's)."""
    return site.app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def _before_the_server_starts(app) -> None:
    """What the forked server process must start from: a port of its own named in its public
    address, rate limits at nothing, and no SQLite connection of this process's pool (a
    connection must not be shared between two processes)."""
    port = _free_port()
    app.config.update(LIVESERVER_PORT=port, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    with app.app_context():
        limiter.reset()
        db.engine.dispose()


@dataclass(frozen=True)
class LiveSite:
    url: str
    seed: Seed
    app: Flask


@pytest.fixture
def live_server(site, _before_the_server_starts, live_server) -> LiveSite:
    """pytest-flask's live server of `app`, with its address as a string and the seed."""
    return LiveSite(url=live_server.url(), seed=site.seed, app=site.app)


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), headless=True,
                                              args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh phone-sized browser tab (no cookies) on the live server.

    The test fails if any response is a server error or the console reports an error, such as
    something the Content-Security-Policy blocked.
    """
    context = browser.new_context(base_url=live_server.url, viewport=PHONE,
                                  device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    problems: list[str] = []
    answered_4xx: set[str] = set()  # pages meant to answer 401, 404, 409 or 422

    def on_response(response) -> None:
        if response.status >= 500:
            problems.append(f"{response.status} from {response.url}")
        elif response.status >= 400 and response.request.resource_type == "document":
            answered_4xx.add(response.url)

    console: list = []
    tab.on("response", on_response)
    tab.on("console", lambda message: console.append(message) if message.type == "error"
           else None)
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    try:
        yield tab
    finally:
        context.close()
    for message in console:
        url = message.location.get("url", "")
        if message.text.startswith("Failed to load resource") and url in answered_4xx:
            continue  # Chromium logs every 4xx page; those statuses are intended
        problems.append(f"console error: {message.text} ({url})")
    assert not problems, "problems in the browser:\n" + "\n".join(problems)


@pytest.fixture
def expect():
    """Playwright's web-first assertions (imported here so a missing package only skips)."""
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=TIMEOUT_MS)
    return playwright_expect


@pytest.fixture(scope="session")
def axe(chromium):
    from axe_playwright_python.sync_playwright import Axe

    return Axe()
