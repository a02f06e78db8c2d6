"""The safety net: the no-answer protocol's timings, missed visits, clients not seen, `tick`."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db, set_clock, utcnow
from outreach.jobs.tick import JOBS, load_jobs, run_jobs
from outreach.needs.models import Need
from outreach.people.models import Client
from outreach.programmes.models import Programme
from outreach.rounds.models import Round
from outreach.visits import safety_net
from outreach.visits.models import MissedVisit
from tests import factories


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture(autouse=True)
def _real_clock_afterwards():
    """Every test here sets the clock; the next test must find the real time again."""
    yield
    set_clock(None)


def tick(moment: str):
    """Run every job as `outreach tick --now` would."""
    set_clock(at(moment))
    return {r.name: r.summary for r in run_jobs()}


def needs(client_id: int, category: str) -> list[Need]:
    return list(db.session.scalars(select(Need).where(
        Need.client_id == client_id, Need.category == category).order_by(Need.id)))


def missed(client_id: int) -> list[date]:
    return list(db.session.scalars(select(MissedVisit.due_on).where(
        MissedVisit.client_id == client_id).order_by(MissedVisit.due_on)))


@pytest.fixture
def on_round(world, ctx) -> Client:
    return db.session.get(Client, world.client_on_round.id)


def test_registry_holds_the_safety_net_jobs():
    assert {"no_answer", "missed_visits", "not_seen"} <= set(load_jobs())
    assert JOBS["missed_visits"] is safety_net.detect_missed_visits


# --- (a) The no-answer protocol -------------------------------------------------------------


def _no_answer(client: Client, moment: str, visitor=None) -> Need:
    set_clock(at(moment))
    unanswered = factories.visit(client, visitor, outcome="no_answer")
    return factories.need(client, "no_answer", "urgent", "system", visit_id=unanswered.id,
                          description="No answer at the door")


def test_no_answer_is_flagged_only_after_the_window(world, on_round):
    need = _no_answer(on_round, "2025-03-03T10:00:00+00:00", world.visitor)
    tick("2025-03-03T11:59:00+00:00")
    assert need.flagged_at is None and need.status.value == "open"
    tick("2025-03-03T12:01:00+00:00")
    assert need.flagged_at == at("2025-03-03T12:01:00+00:00")
    assert need.status.value == "open"  # flagged to the coordinator, not closed
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "need.flag", AuditEvent.subject_id == str(need.id))).all()
    assert [e.via for e in events] == ["system"]
    tick("2025-03-03T15:00:00+00:00")  # flagging again changes nothing
    assert need.flagged_at == at("2025-03-03T12:01:00+00:00")


def test_each_programme_has_its_own_window(world, on_round):
    other = db.session.get(Programme, world.other_programme.id)
    other.no_answer_window_minutes = 30
    foreign = db.session.get(Client, world.foreign_client.id)
    ours = _no_answer(on_round, "2025-03-03T10:00:00+00:00")
    theirs = _no_answer(foreign, "2025-03-03T10:00:00+00:00")
    tick("2025-03-03T10:29:00+00:00")
    assert theirs.flagged_at is None
    tick("2025-03-03T10:31:00+00:00")
    assert theirs.flagged_at is not None and ours.flagged_at is None


def test_a_later_visit_closes_the_no_answer(world, on_round):
    need = _no_answer(on_round, "2025-03-03T10:00:00+00:00", world.visitor)
    set_clock(at("2025-03-03T10:30:00+00:00"))
    factories.visit(on_round, world.visitor, outcome="no_answer")  # still no answer
    tick("2025-03-03T10:40:00+00:00")
    assert need.status.value == "open"
    factories.visit(on_round, world.visitor, outcome="seen_well",
                    visited_at=at("2025-03-03T11:00:00+00:00"))
    tick("2025-03-03T14:00:00+00:00")
    assert need.status.value == "resolved"
    assert need.resolution == "Seen on Monday 3 March 2025"
    assert need.flagged_at is None  # closed before the window passed: never flagged


def test_a_visit_before_the_no_answer_synced_late_does_not_close_it(world, on_round):
    need = _no_answer(on_round, "2025-03-03T10:00:00+00:00", world.visitor)
    set_clock(at("2025-03-03T10:30:00+00:00"))
    factories.visit(on_round, world.visitor, outcome="seen_well",
                    visited_at=at("2025-03-03T09:00:00+00:00"))
    tick("2025-03-03T10:31:00+00:00")
    assert need.status.value == "open"


# --- (b) Missed visits ----------------------------------------------------------------------


def test_missed_visits_are_found_once(world, on_round):
    set_clock(at("2025-03-03T08:00:00+00:00"))
    factories.visit_plan(on_round, "daily", starts_on=date(2025, 3, 3))
    factories.visit(on_round, world.visitor, visited_at=at("2025-03-03T10:00:00+00:00"))
    out = tick("2025-03-06T10:00:00+00:00")  # Thursday: today's round is not over yet
    assert out["missed_visits"] == "2 missed visit(s) found"
    assert missed(on_round.id) == [date(2025, 3, 4), date(2025, 3, 5)]
    raised = needs(on_round.id, "missed_visit")
    assert [(n.severity.value, n.source.value, n.status.value) for n in raised] == [
        ("soon", "system", "open")] * 2
    assert "Tuesday 4 March 2025" in raised[0].description
    assert tick("2025-03-06T10:05:00+00:00")["missed_visits"] == "0 missed visit(s) found"
    assert len(needs(on_round.id, "missed_visit")) == 2


def test_missed_visits_look_back_a_week_from_the_plan_start(world, on_round):
    factories.visit_plan(on_round, "daily", starts_on=date(2025, 2, 1))
    tick("2025-03-12T10:00:00+00:00")  # a Wednesday
    assert missed(on_round.id) == [date(2025, 3, d) for d in (5, 6, 7, 10, 11)]


def test_pauses_round_days_and_chosen_days_are_respected(world, on_round):
    rnd = db.session.get(Round, world.round.id)
    rnd.weekdays = "1,3"  # the round runs on Mondays and Wednesdays only
    factories.visit_plan(on_round, "daily", starts_on=date(2025, 3, 3))
    factories.pause(on_round, date(2025, 3, 5), date(2025, 3, 5))
    weekly = factories.client(on_round.programme, round_id=rnd.id, walk_order=2)
    factories.visit_plan(weekly, "weekdays", "2,4", starts_on=date(2025, 3, 3))
    tick("2025-03-08T10:00:00+00:00")
    assert missed(on_round.id) == [date(2025, 3, 3)]  # Wednesday was paused
    assert missed(weekly.id) == [date(2025, 3, 4), date(2025, 3, 6)]


def test_cover_does_not_excuse_a_visit_and_its_visits_count(world, on_round):
    factories.visit_plan(on_round, "daily", starts_on=date(2025, 3, 3))
    rnd = db.session.get(Round, world.round.id)
    factories.cover(rnd, world.other_visitor, date(2025, 3, 3), date(2025, 3, 4))
    factories.visit(on_round, world.other_visitor, visited_at=at("2025-03-03T10:00:00+00:00"))
    tick("2025-03-05T10:00:00+00:00")
    assert missed(on_round.id) == [date(2025, 3, 4)]


def _sunday_plan(world, client: Client, starts_on: date) -> None:
    db.session.get(Round, world.round.id).weekdays = "7"
    factories.visit_plan(client, "weekly", "7", starts_on=starts_on)


def test_missed_visit_on_the_day_the_clocks_go_back(world, on_round):
    _sunday_plan(world, on_round, date(2025, 10, 20))
    # 26 October 2025 has 25 hours in Jersey; it ends at midnight GMT, 00:00 UTC.
    tick("2025-10-26T23:30:00+00:00")
    assert missed(on_round.id) == []
    tick("2025-10-27T00:00:00+00:00")
    assert missed(on_round.id) == [date(2025, 10, 26)]


def test_missed_visit_on_the_day_the_clocks_go_forward(world, on_round):
    _sunday_plan(world, on_round, date(2025, 3, 24))
    tick("2025-03-30T22:59:00+00:00")  # 23:59 BST: the day is not over
    assert missed(on_round.id) == []
    # A visit at 23:30 BST counts for the Sunday, though it is 22:30 UTC.
    factories.visit(on_round, world.visitor, visited_at=at("2025-03-30T22:30:00+00:00"))
    other = factories.client(on_round.programme, round_id=world.round.id, walk_order=2)
    factories.visit_plan(other, "weekly", "7", starts_on=date(2025, 3, 24))
    tick("2025-03-30T23:00:00+00:00")  # midnight BST
    assert missed(on_round.id) == []
    assert missed(other.id) == [date(2025, 3, 30)]


def test_the_day_is_over_in_the_programmes_time_zone_not_in_utc(world, on_round):
    factories.visit_plan(on_round, "weekdays", "2", starts_on=date(2025, 6, 1))
    # 23:30 UTC on Tuesday 1 July is 00:30 on Wednesday in Jersey: Tuesday is over there.
    tick("2025-07-01T23:30:00+00:00")
    assert missed(on_round.id) == [date(2025, 7, 1)]
    # A programme west of UTC: Tuesday is over in UTC but not yet in Halifax.
    west = factories.programme(world.operator, timezone="America/Halifax")
    rnd = factories.round_(west, world.visitor)
    far = factories.client(west, round_id=rnd.id, walk_order=1)
    factories.visit_plan(far, "weekdays", "2", starts_on=date(2025, 6, 25))
    tick("2025-07-02T01:00:00+00:00")
    assert missed(far.id) == []
    tick("2025-07-02T03:00:00+00:00")
    assert missed(far.id) == [date(2025, 7, 1)]


def test_clients_without_a_plan_or_before_it_starts_are_not_missed(world, on_round):
    factories.visit_plan(on_round, "daily", starts_on=date(2025, 3, 6))
    tick("2025-03-06T10:00:00+00:00")
    assert missed(on_round.id) == []
    assert db.session.scalars(select(MissedVisit)).all() == []


# --- (c) Clients not seen -------------------------------------------------------------------


@pytest.mark.parametrize(("frequency", "weekdays", "days"), [
    ("daily", "", 3), ("weekly", "2", 9), ("fortnightly", "2", 16),
    ("weekdays", "1,4", 6), ("weekdays", "1,2,3,4,5", 5), ("weekdays", "3", 9),
])
def test_allowed_gap(frequency, weekdays, days, world, on_round):
    plan = factories.visit_plan(on_round, frequency, weekdays)
    assert safety_net.allowed_gap(plan) == days


def test_not_seen_is_flagged_once_and_closed_when_seen(world, on_round):
    set_clock(at("2025-03-03T08:00:00+00:00"))
    factories.visit_plan(on_round, "daily", starts_on=date(2025, 3, 1))
    factories.visit(on_round, world.visitor, visited_at=at("2025-03-03T10:00:00+00:00"))
    factories.visit(on_round, world.visitor, outcome="no_answer",
                    visited_at=at("2025-03-05T10:00:00+00:00"))
    tick("2025-03-06T10:00:00+00:00")  # three days: still within the plan
    assert needs(on_round.id, "not_seen") == []
    out = tick("2025-03-07T10:00:00+00:00")
    assert out["not_seen"] == "1 client(s) flagged as not seen, 0 seen again"
    [need] = needs(on_round.id, "not_seen")
    assert need.status.value == "open" and need.flagged_at == at("2025-03-07T10:00:00+00:00")
    assert need.description.startswith("Not seen since Monday 3 March 2025")
    tick("2025-03-08T10:00:00+00:00")
    assert len(needs(on_round.id, "not_seen")) == 1
    factories.visit(on_round, world.visitor, outcome="away",
                    visited_at=at("2025-03-08T11:00:00+00:00"))
    out = tick("2025-03-08T12:00:00+00:00")
    assert out["not_seen"] == "0 client(s) flagged as not seen, 1 seen again"
    assert need.status.value == "resolved" and need.resolution == "Seen on Saturday 8 March 2025"


def test_pauses_extend_what_the_plan_allows(world, on_round):
    factories.visit_plan(on_round, "daily", starts_on=date(2025, 3, 3))
    factories.pause(on_round, date(2025, 3, 4), date(2025, 3, 10))
    tick("2025-03-12T10:00:00+00:00")  # 9 days, 7 of them paused
    assert needs(on_round.id, "not_seen") == []
    tick("2025-03-14T10:00:00+00:00")
    assert len(needs(on_round.id, "not_seen")) == 1


def test_a_client_never_seen_counts_from_the_plan_start(world, on_round):
    factories.visit_plan(on_round, "weekly", "1", starts_on=date(2025, 3, 3))
    tick("2025-03-12T10:00:00+00:00")
    assert needs(on_round.id, "not_seen") == []
    tick("2025-03-13T10:00:00+00:00")
    [need] = needs(on_round.id, "not_seen")
    assert need.description.startswith("Not seen since the plan began")


# --- Running as a command and running twice -------------------------------------------------


def test_tick_twice_raises_nothing_twice(world, on_round):
    factories.visit_plan(on_round, "daily", starts_on=date(2025, 2, 1))
    _no_answer(on_round, "2025-03-10T08:00:00+00:00")
    first = tick("2025-03-12T10:00:00+00:00")
    counts = {c: len(needs(on_round.id, c)) for c in ("missed_visit", "not_seen", "no_answer")}
    second = tick("2025-03-12T10:00:00+00:00")
    assert counts == {c: len(needs(on_round.id, c)) for c in counts}
    # 10 March had a visit (no answer, but recorded): not missed.
    assert counts["missed_visit"] == 4 and counts["not_seen"] == 1
    assert first != second and second["missed_visits"] == "0 missed visit(s) found"


def test_tick_command_prints_each_job_and_restores_the_clock(app, world):
    with app.app_context():
        client = db.session.get(Client, world.client_on_round.id)
        factories.visit_plan(client, "daily", starts_on=date(2025, 3, 3))
        db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["outreach", "tick", "--now", "2025-03-06T10:00:00+00:00"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "missed_visits: 3 missed visit(s) found" in lines
    assert any(line.startswith("no_answer: ") for line in lines)
    assert any(line.startswith("not_seen: ") for line in lines)
    assert utcnow() != at("2025-03-06T10:00:00+00:00")
    with app.app_context():
        assert len(needs(world.client_on_round.id, "missed_visit")) == 3


@pytest.mark.parametrize("bad", ["yesterday", "", "2025-13-01T00:00", "x" * 5000, "\x00"])
def test_tick_command_refuses_a_bad_time(app, bad):
    result = app.test_cli_runner().invoke(args=["outreach", "tick", "--now", bad])
    assert result.exit_code == 2
    assert "ISO 8601" in result.output


def test_a_failing_job_does_not_stop_the_others(app, world, monkeypatch):
    def broken(now):
        raise RuntimeError("boom")

    monkeypatch.setitem(JOBS, "broken", broken)
    with app.app_context():
        results = {r.name: r for r in run_jobs(at("2025-03-06T10:00:00+00:00"))}
    assert not results["broken"].ok and results["broken"].summary == "failed (RuntimeError)"
    assert results["missed_visits"].ok
