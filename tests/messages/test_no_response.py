"""No reply to a check-in: a `no_response` need, alerts to contacts, then the no-answer protocol."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from outreach.db import db, set_clock
from outreach.enums import MessageKind, MessageStatus, NeedCategory
from outreach.jobs.tick import run_jobs
from outreach.messages.jobs import raise_no_responses
from outreach.messages.models import Message
from outreach.needs.models import Need
from outreach.people.models import Client
from outreach.programmes.models import Programme
from tests import factories
from tests.conftest import ACCEPTED


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture(autouse=True)
def _real_clock_and_rate_afterwards(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_SEND_RATE", 10_000)
    yield
    set_clock(None)


def tick(moment: str) -> dict[str, str]:
    set_clock(at(moment))
    return {r.name: r.summary for r in run_jobs()}


def no_responses(client_id: int) -> list[Need]:
    return list(db.session.scalars(select(Need).where(
        Need.client_id == client_id, Need.category == NeedCategory.NO_RESPONSE)
        .order_by(Need.id)))


def check_in_of(client_id: int) -> Message:
    return db.session.scalar(select(Message).where(
        Message.client_id == client_id, Message.kind == MessageKind.CHECK_IN)
        .order_by(Message.id.desc()).limit(1))


def alerts_to(contact_id: int) -> list[Message]:
    return list(db.session.scalars(select(Message).where(
        Message.contact_id == contact_id, Message.kind == MessageKind.ALERT)))


@pytest.fixture
def mary(world, ctx) -> Client:
    client = factories.client(db.session.get(Programme, world.programme.id),
                              full_name="Mary Le Brun", round_id=world.round.id)
    factories.consent(client)
    factories.visit_plan(client, sms_check_ins=True)
    return client


def test_an_unanswered_check_in_becomes_a_need_once_the_window_has_passed(mary):
    tick("2026-03-03T10:00:00+00:00")
    check_in = check_in_of(mary.id)
    tick("2026-03-03T13:59:00+00:00")
    assert no_responses(mary.id) == []
    summary = tick("2026-03-03T14:00:00+00:00")["sms_no_response"]
    assert summary == "1 unanswered check-in(s) raised as needs"
    [need] = no_responses(mary.id)
    assert (need.severity.value, need.source.value, need.status.value) == (
        "soon", "system", "open")
    assert need.description == "No reply to the check-in text sent at 10:00"
    assert check_in.need_id == need.id
    tick("2026-03-03T14:05:00+00:00")
    tick("2026-03-03T15:00:00+00:00")
    assert len(no_responses(mary.id)) == 1


def test_the_time_in_the_description_is_the_islands(mary):
    tick("2026-07-01T09:00:00+00:00")  # 10:00 BST
    tick("2026-07-01T13:00:00+00:00")
    [need] = no_responses(mary.id)
    assert need.description == "No reply to the check-in text sent at 10:00"


def test_the_programmes_reply_window_counts(mary):
    db.session.get(Programme, mary.programme_id).check_in_reply_window_minutes = 60
    tick("2026-03-03T10:00:00+00:00")
    tick("2026-03-03T11:00:00+00:00")
    assert len(no_responses(mary.id)) == 1


def test_answered_cancelled_or_failed_check_ins_raise_nothing(world, ctx):
    programme = db.session.get(Programme, world.programme.id)
    clients = []
    for _ in range(3):
        client = factories.client(programme)
        factories.consent(client)
        factories.visit_plan(client, sms_check_ins=True)
        clients.append(client)
    answered, cancelled, failed = clients
    tick("2026-03-03T10:00:00+00:00")
    # A reply "1" (the inbound side records it), a text never sent, one the provider refused.
    check_in_of(answered.id).answered_at = at("2026-03-03T10:20:00+00:00")
    check_in_of(cancelled.id).status = MessageStatus.CANCELLED
    check_in_of(failed.id).status = MessageStatus.FAILED
    tick("2026-03-03T14:00:00+00:00")
    assert [no_responses(c.id) for c in clients] == [[], [], []]


def test_a_client_seen_on_the_round_since_the_text_raises_nothing(world, mary):
    tick("2026-03-03T10:00:00+00:00")
    factories.visit(mary, world.visitor, outcome="seen_well",
                    visited_at=at("2026-03-03T11:30:00+00:00"))
    tick("2026-03-03T14:00:00+00:00")
    assert no_responses(mary.id) == []


def test_a_no_answer_at_the_door_since_does_not_count_as_seen(world, mary):
    tick("2026-03-03T10:00:00+00:00")
    factories.visit(mary, world.visitor, outcome="no_answer",
                    visited_at=at("2026-03-03T11:30:00+00:00"))
    tick("2026-03-03T14:00:00+00:00")
    assert len(no_responses(mary.id)) == 1


def test_contacts_who_receive_alerts_are_told_as_consent_allows(mary):
    daughter = factories.contact(mary, name="Sarah Le Brun", receives_alerts=True)
    factories.consent(mary, "share_information", contact_id=daughter.id)
    neighbour = factories.contact(mary, name="Joan Pallot", receives_alerts=True)  # no consent
    reports_only = factories.contact(mary, receives_alerts=False, receives_visit_reports=True)
    factories.consent(mary, "share_information", contact_id=reports_only.id)
    tick("2026-03-03T10:00:00+00:00")
    tick("2026-03-03T14:00:00+00:00")
    [alert] = alerts_to(daughter.id)
    assert alert.body == ("Mary: no reply to today's check-in text. Reply OK if you are "
                          "checking; if not, Call & Check will.")
    assert alert.status == ACCEPTED and not alert.urgent
    assert alert.dedupe_key == f"need:{no_responses(mary.id)[0].id}:alert:{daughter.id}"
    assert alerts_to(neighbour.id) == [] and alerts_to(reports_only.id) == []


def test_escalated_like_a_no_answer_flagged_after_the_window(mary):
    tick("2026-03-03T10:00:00+00:00")
    tick("2026-03-03T14:00:00+00:00")
    [need] = no_responses(mary.id)
    tick("2026-03-03T15:59:00+00:00")  # the programme's no-answer window is 2 hours
    assert need.flagged_at is None
    tick("2026-03-03T16:00:00+00:00")
    assert need.flagged_at == at("2026-03-03T16:00:00+00:00")
    assert need.status.value == "open"


def test_closed_when_the_client_is_seen_afterwards(world, mary):
    tick("2026-03-03T10:00:00+00:00")
    tick("2026-03-03T14:00:00+00:00")
    [need] = no_responses(mary.id)
    factories.visit(mary, world.visitor, outcome="no_answer",
                    visited_at=at("2026-03-03T14:30:00+00:00"))
    tick("2026-03-03T14:40:00+00:00")
    assert need.status.value == "open"
    factories.visit(mary, world.visitor, outcome="seen_well",
                    visited_at=at("2026-03-03T15:00:00+00:00"))
    tick("2026-03-03T15:10:00+00:00")
    assert need.status.value == "resolved"
    assert need.resolution == "Seen on Tuesday 3 March 2026"
    assert need.flagged_at is None


def test_an_old_unanswered_check_in_is_not_raised_days_later(mary):
    tick("2026-03-03T10:00:00+00:00")
    check_in = check_in_of(mary.id)
    # The scheduler was down for days: a need about last week's text helps nobody.
    set_clock(at("2026-03-09T10:00:00+00:00"))
    assert raise_no_responses(at("2026-03-09T10:00:00+00:00")) == (
        "0 unanswered check-in(s) raised as needs")
    assert check_in.need_id is None
