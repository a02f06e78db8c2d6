"""Each request to a page is one transaction: committed when the page answers below 400, rolled
back otherwise, and a form drawn again with its errors keeps only what it wrote after dropping its
half-done work."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

import outreach
from outreach.audit.models import AuditEvent
from outreach.audit.services import record
from outreach.db import db
from outreach.web import pages

PACKAGE = Path(outreach.__file__).parent
# Endpoints that are not pages: Twilio's webhooks and the health checks go their own ways (the
# API, under /api/, commits once per request itself).
NOT_PAGES = ("static", "sms_webhooks.", "health.")


def _kept(action: str) -> bool:
    return db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == action)) is not None


def _page(*writes: str, status: int = 200, between=None):
    """A view writing an audit event per name (calling `between` after the first) and
    answering `status`."""

    def view():
        for number, action in enumerate(writes):
            if number == 1 and between is not None:
                between()
            record(None, action)
            db.session.flush()
        return "page", status

    return pages.one_transaction(view)


@pytest.mark.parametrize("status", [200, 201, 302])
def test_a_page_answering_below_400_commits_its_work(ctx, status):
    assert _page("test.done", status=status)().status_code == status
    db.session.rollback()
    assert _kept("test.done")


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_a_page_answering_with_an_error_keeps_nothing(ctx, status):
    assert _page("test.half_done", status=status)().status_code == status
    assert not _kept("test.half_done")


def test_a_page_that_fails_keeps_nothing_and_the_failure_goes_on(ctx):
    def view():
        record(None, "test.half_done")
        db.session.flush()
        raise RuntimeError("the view failed")

    with pytest.raises(RuntimeError):
        pages.one_transaction(view)()
    assert not _kept("test.half_done")


def test_a_form_drawn_again_keeps_what_it_wrote_after_starting_again(ctx):
    response = _page("test.half_done", "test.read_of_the_page", status=422,
                     between=pages.start_again)()
    assert response.status_code == 422
    db.session.rollback()
    assert _kept("test.read_of_the_page")
    assert not _kept("test.half_done")


def test_a_refusal_keeps_nothing_even_when_the_view_asked_to_keep(ctx):
    assert _page("test.half_done", "test.more", status=403, between=pages.keep)() \
        .status_code == 403
    assert not _kept("test.half_done")
    assert not _kept("test.more")


def test_every_page_is_one_transaction(app):
    pages_seen = {rule.endpoint for rule in app.url_map.iter_rules()
                  if not rule.rule.startswith("/api/") and not rule.endpoint.startswith(NOT_PAGES)}
    assert len(pages_seen) > 90
    wrapper = pages.one_transaction(lambda: None).__code__
    assert sorted(e for e in pages_seen if app.view_functions[e].__code__ is not wrapper) == []


def test_no_page_commits_on_its_own():
    views = [*PACKAGE.glob("*/views.py"), *PACKAGE.glob("*/views/*.py"),
             PACKAGE / "escalations" / "atom.py", PACKAGE / "escalations" / "fhir.py"]
    assert len(views) > 20
    assert [str(p.relative_to(PACKAGE)) for p in views if "session.commit(" in p.read_text()] == []
