"""Browser tests: Playwright drives Debian's Chromium against a live server of the application.

The rest of the suite runs each test inside a rolled-back transaction on one connection, which a
server in another thread cannot share. So these tests build their own application on a fresh
SQLite file, fill it with committed test data and serve it on 127.0.0.1 for the whole package.

Without /usr/bin/chromium (or the Playwright packages) the tests are skipped, unless
REQUIRE_BROWSER=1 is set, as CI does: then they fail.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import WSGIRequestHandler, make_server

from outreach import create_app
from outreach.db import db
from outreach.enums import ConsentPurpose
from outreach.extensions import limiter
from tests import factories
from tests.conftest import TEST_SETTINGS

CHROMIUM = Path("/usr/bin/chromium")
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


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} is missing (install it with: apt-get install chromium)"
    for module, package in (("playwright", "playwright"),
                            ("axe_playwright_python", "axe-playwright-python")):
        if importlib.util.find_spec(module) is None:
            return f"the {package} package is missing (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="package")
def _browser_available() -> None:
    reason = _missing()
    if reason is None:
        return
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


class _QuietHandler(WSGIRequestHandler):
    """No line per request in the test output; errors are still logged."""

    def log_request(self, code="-", size="-") -> None:
        pass


@dataclass(frozen=True)
class LiveServer:
    url: str
    seed: Seed
    app: object


@pytest.fixture(scope="package")
def live_server(_browser_available, tmp_path_factory):
    """The application on a fresh SQLite file, served on 127.0.0.1 from a daemon thread."""
    path = tmp_path_factory.mktemp("browser-db") / "browser.sqlite3"
    app = create_app(dict(TEST_SETTINGS, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}",
                          PUBLIC_BASE_URL="http://127.0.0.1"))
    with app.app_context():
        upgrade()
        seed = _seed()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="browser-live-server",
                              daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, seed=seed, app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="package")
def browser(_browser_available):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh phone-sized browser tab (no cookies) on the live server.

    The test fails if any response is a server error or the console reports an error, such as
    something the Content-Security-Policy blocked.
    """
    with live_server.app.app_context():
        limiter.reset()
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


@pytest.fixture(scope="package")
def axe(_browser_available):
    from axe_playwright_python.sync_playwright import Axe

    return Axe()
