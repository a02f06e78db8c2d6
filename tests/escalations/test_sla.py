"""The SLA watch with a controllable clock: unacknowledged escalations pass to the fallback tier
and then the coordinator, once; unresolved ones are flagged; due times follow the severity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from outreach.db import db, set_clock
from outreach.enums import NeedSeverity
from outreach.escalations.models import Escalation, EscalationEvent
from outreach.escalations.sla import due_times, end_of_local_day
from outreach.jobs.tick import run_jobs
from outreach.needs.services import create_need
from outreach.people.models import Client

# Tuesday 3 March 2026, 10:00 in Jersey (GMT).
START = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    set_clock(START)
    yield
    set_clock(None)


def at(**delta) -> datetime:
    moment = START + timedelta(**delta)
    set_clock(moment)
    return moment


def raise_need(app, setting, category, severity) -> int:
    with app.app_context():
        need = create_need(None, db.session.get(Client, setting.mary.id), category, severity,
                           "Reported at the door", "visit")
        db.session.commit()
        return need.id


def tick(app, moment: datetime) -> dict[str, str]:
    with app.app_context():
        return {r.name: r.summary for r in run_jobs(moment)}


def escalations(app, client_id: int) -> list[Escalation]:
    with app.app_context():
        return list(db.session.scalars(select(Escalation).where(
            Escalation.client_id == client_id).order_by(Escalation.id)))


def kinds(app, escalation_id: int) -> list[str]:
    with app.app_context():
        return [e.kind.value for e in db.session.scalars(select(EscalationEvent).where(
            EscalationEvent.escalation_id == escalation_id).order_by(EscalationEvent.id))]


@pytest.mark.parametrize(("severity", "acknowledge", "resolve"), [
    (NeedSeverity.URGENT, timedelta(hours=1), timedelta(hours=14)),  # by midnight, same day
    (NeedSeverity.SOON, timedelta(days=1), timedelta(days=3)),
    (NeedSeverity.ROUTINE, timedelta(days=3), timedelta(days=14)),
])
def test_default_due_times_by_severity(severity, acknowledge, resolve):
    due = due_times(severity, START, "Europe/Jersey")
    assert due.acknowledge_by - START == acknowledge
    assert due.resolve_by - START == resolve


def test_same_day_is_the_programmes_day_and_never_before_the_acknowledge_time():
    # 22:30 UTC on 30 June is 23:30 in Jersey (BST): the day ends in 30 minutes, the
    # acknowledge time is an hour away, so resolving is due with it.
    late = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)
    assert end_of_local_day(late, "Europe/Jersey") == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    due = due_times(NeedSeverity.URGENT, late, "Europe/Jersey")
    assert due.resolve_by == due.acknowledge_by == late + timedelta(hours=1)


def test_unacknowledged_passes_to_the_fallback_once_then_to_nobody_further(app, setting):
    with app.app_context():
        setting.share_with_everyone()
        db.session.commit()
    raise_need(app, setting, "pain_or_illness", "urgent")
    [gp] = escalations(app, setting.mary.id)
    assert gp.organisation_id == setting.gp.id and gp.tier == 1
    # Not yet due: nothing moves.
    summary = tick(app, at(minutes=59))
    assert summary["escalation_sla"].startswith("0 escalation(s) passed")
    assert len(escalations(app, setting.mary.id)) == 1
    # An hour without an acknowledgement: the coordinator (the rule's fallback) is told too,
    # and the GP practice keeps it (it may still take it).
    summary = tick(app, at(minutes=61))
    assert summary["escalation_sla"].startswith("1 escalation(s) passed")
    gp_now, coordinator = escalations(app, setting.mary.id)
    assert gp_now.status == "open" and gp_now.escalated_at == START + timedelta(minutes=61)
    assert coordinator.organisation_id == setting.operator.id and coordinator.tier == 2
    assert coordinator.previous_id == gp.id
    assert coordinator.routed_because.startswith("Not acknowledged in time by Cheapside Surgery")
    assert kinds(app, gp.id) == ["created", "overdue"]
    # Run again, and by another worker: nothing is passed on twice.
    tick(app, at(minutes=62))
    tick(app, at(minutes=62))
    assert len(escalations(app, setting.mary.id)) == 2
    # The coordinator's own escalation, unacknowledged past its time, goes nowhere further but
    # is marked overdue for the dashboard.
    tick(app, at(hours=2, minutes=2))
    assert len(escalations(app, setting.mary.id)) == 2
    assert kinds(app, coordinator.id) == ["created", "overdue"]
    with app.app_context():
        assert db.session.get(Escalation, coordinator.id).overdue(START + timedelta(hours=3))


def test_a_rule_without_fallback_goes_straight_to_the_coordinator(app, setting):
    with app.app_context():
        setting.share_with_everyone()
        db.session.commit()
    raise_need(app, setting, "loneliness", "soon")  # coordinator only, by the catch-all rule
    [first] = escalations(app, setting.mary.id)
    tick(app, at(days=1, minutes=1))
    assert len(escalations(app, setting.mary.id)) == 1  # already with the coordinator
    assert kinds(app, first.id) == ["created", "overdue"]


def test_acknowledged_in_time_is_not_passed_on_but_late_resolving_is_flagged(app, setting,
                                                                            api_as):
    with app.app_context():
        setting.share_with_everyone()
        db.session.commit()
    raise_need(app, setting, "food_or_shopping", "soon")
    [food] = escalations(app, setting.mary.id)
    at(hours=3)
    assert api_as(setting.food_bank_user).post(f"/escalations/{food.id}/acknowledge",
                                               json={}).status_code == 200
    tick(app, at(days=2))
    assert len(escalations(app, setting.mary.id)) == 1
    summary = tick(app, at(days=3, minutes=1))
    assert summary["escalation_sla"].endswith("1 flagged as not resolved in time")
    assert kinds(app, food.id) == ["created", "acknowledged", "resolve_overdue"]
    tick(app, at(days=3, minutes=2))
    assert kinds(app, food.id) == ["created", "acknowledged", "resolve_overdue"]


def test_an_unanswered_contact_alert_falls_back_to_the_coordinator(app, setting):
    with app.app_context():
        setting.share_with_everyone()
        db.session.commit()
    raise_need(app, setting, "fall", "urgent")
    [daughter] = escalations(app, setting.mary.id)
    assert daughter.contact_id == setting.daughter.id
    tick(app, at(hours=1, minutes=1))
    _, coordinator = escalations(app, setting.mary.id)
    assert coordinator.organisation_id == setting.operator.id
    assert "Not acknowledged in time by Sarah Le Brun" in coordinator.routed_because


def test_the_overdue_are_listed_first_and_filterable(app, setting, api_as):
    with app.app_context():
        setting.share_with_everyone()
        db.session.commit()
    raise_need(app, setting, "loneliness", "routine")
    at(minutes=5)
    raise_need(app, setting, "money", "urgent")
    at(hours=2)
    api = api_as(setting.coordinator)
    overdue = api.get("/escalations", query_string={"overdue": "true"}).get_json()["items"]
    assert [e["category"] for e in overdue] == ["money"]
    assert overdue[0]["overdue"] is True
    not_overdue = api.get("/escalations", query_string={"overdue": "false"}).get_json()["items"]
    assert [e["category"] for e in not_overdue] == ["loneliness"]
