"""Appointment reminders: the day before and 2 hours before, in programme time, once each."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from outreach.db import db, set_clock
from outreach.enums import MessageKind, MessageStatus
from outreach.jobs.tick import run_jobs
from outreach.messages import numbers
from outreach.messages.models import Message
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


def reminders(client_id: int | None = None) -> list[Message]:
    query = select(Message).where(
        Message.kind == MessageKind.APPOINTMENT_REMINDER).order_by(Message.id)
    if client_id is not None:
        query = query.where(Message.client_id == client_id)
    return list(db.session.scalars(query))


def keys() -> list[str]:
    return [m.dedupe_key.rsplit(":", 1)[1] for m in reminders()]


@pytest.fixture
def programme(world, ctx) -> Programme:
    return db.session.get(Programme, world.programme.id)


def client_with(programme: Programme, starts_at: str, **kw) -> tuple[Client, object]:
    """A client taking part, with one appointment (eye clinic at the hospital)."""
    client = factories.client(programme, **kw)
    factories.consent(client)
    return client, factories.appointment(client, at(starts_at), with_whom="Eye clinic",
                                         place="General Hospital")


def test_the_day_before_from_the_check_in_time_and_two_hours_before(programme):
    mary, appointment = client_with(programme, "2026-03-04T14:30:00+00:00",
                                    full_name="Mary Le Brun")
    tick("2026-03-03T09:59:00+00:00")
    assert reminders() == []
    summary = tick("2026-03-03T10:00:00+00:00")["sms_appointment_reminders"]
    assert summary == "1 appointment reminder(s) queued"
    [day_before] = reminders()
    assert day_before.body == ("Hello Mary, a reminder from Call & Check: Eye clinic, General "
                               "Hospital, tomorrow Wednesday 4 March at 14:30.")
    assert day_before.dedupe_key == f"appointment:{appointment.id}:20260304T1430:day_before"
    assert day_before.status == ACCEPTED
    # It says "tomorrow": of no use once the day of the appointment has begun.
    assert day_before.not_after == at("2026-03-04T00:00:00+00:00")

    tick("2026-03-04T12:29:00+00:00")
    assert len(reminders()) == 1
    tick("2026-03-04T12:30:00+00:00")
    soon = reminders()[1]
    assert soon.body == ("Hello Mary, a reminder from Call & Check: Eye clinic, General "
                         "Hospital, today at 14:30.")
    assert soon.dedupe_key == f"appointment:{appointment.id}:20260304T1430:soon"
    assert soon.not_after == at("2026-03-04T14:15:00+00:00")
    assert soon.status == ACCEPTED


def test_ticks_again_and_again_send_each_reminder_once(programme):
    client_with(programme, "2026-03-04T14:30:00+00:00")
    for moment in ("2026-03-03T10:00", "2026-03-03T10:01", "2026-03-03T18:00",
                   "2026-03-04T08:00", "2026-03-04T12:30", "2026-03-04T12:31",
                   "2026-03-04T14:00"):
        tick(moment + ":00+00:00")
    assert keys() == ["day_before", "soon"]


def test_a_moved_appointment_is_reminded_of_afresh(programme):
    _, appointment = client_with(programme, "2026-03-04T14:30:00+00:00")
    tick("2026-03-03T10:00:00+00:00")
    appointment.starts_at = at("2026-03-05T09:00:00+00:00")
    tick("2026-03-04T10:00:00+00:00")
    assert [m.body.split(": ", 1)[1] for m in reminders()] == [
        "Eye clinic, General Hospital, tomorrow Wednesday 4 March at 14:30.",
        "Eye clinic, General Hospital, tomorrow Thursday 5 March at 9:00."]


def test_cancelled_appointments_and_past_ones_get_nothing(programme):
    _, cancelled = client_with(programme, "2026-03-04T14:30:00+00:00")
    cancelled.cancelled_at = at("2026-03-01T09:00:00+00:00")
    client_with(programme, "2026-03-03T09:00:00+00:00")  # earlier today
    tick("2026-03-03T10:00:00+00:00")
    tick("2026-03-04T12:30:00+00:00")
    assert reminders() == []


def test_booked_at_short_notice_gets_only_what_still_makes_sense(programme):
    _, within_two_hours = client_with(programme, "2026-03-03T11:00:00+00:00")
    _, this_afternoon = client_with(programme, "2026-03-03T16:00:00+00:00")
    client_with(programme, "2026-03-03T10:10:00+00:00")  # in 10 minutes: too late for any
    tick("2026-03-03T10:00:00+00:00")
    # Never "tomorrow" on the day itself.
    assert [m.dedupe_key for m in reminders()] == [
        f"appointment:{within_two_hours.id}:20260303T1100:soon"]
    tick("2026-03-03T14:00:00+00:00")
    assert [m.dedupe_key for m in reminders()][1:] == [
        f"appointment:{this_afternoon.id}:20260303T1600:soon"]


def test_booked_the_evening_before_gets_the_day_before_reminder_then_the_soon_one(programme):
    client_with(programme, "2026-03-04T09:30:00+00:00")
    tick("2026-03-03T19:00:00+00:00")  # booked this evening, before the quiet hours
    tick("2026-03-04T07:30:00+00:00")  # 2 hours before, but still quiet: held
    assert keys() == ["day_before", "soon"]
    soon = reminders()[1]
    assert soon.status == MessageStatus.QUEUED
    assert soon.send_at == at("2026-03-04T08:00:00+00:00")
    assert soon.held_reason.startswith("Quiet hours")
    tick("2026-03-04T08:00:00+00:00")
    assert soon.status == ACCEPTED


def test_a_reminder_the_quiet_hours_would_make_useless_is_cancelled_not_sent(programme):
    client_with(programme, "2026-03-04T08:10:00+00:00")
    tick("2026-03-04T06:10:00+00:00")  # 2 hours before is inside the quiet hours
    [soon] = reminders()
    assert soon.status == MessageStatus.QUEUED and soon.not_after == at(
        "2026-03-04T07:55:00+00:00")
    tick("2026-03-04T08:00:00+00:00")  # the quiet hours end after its last useful moment
    assert soon.status == MessageStatus.CANCELLED
    assert soon.events[-1].detail == "Too late to be useful; not sent"
    assert soon.sent_at is None


def test_just_after_midnight_the_two_hour_reminder_says_tomorrow(programme):
    programme.quiet_hours_start = programme.quiet_hours_end = time(0, 0)  # no quiet hours
    client_with(programme, "2026-03-04T00:30:00+00:00", full_name="Mary Le Brun")
    tick("2026-03-03T22:30:00+00:00")
    [soon] = reminders()
    assert soon.dedupe_key.endswith(":soon")
    assert "tomorrow Wednesday 4 March at 0:30" in soon.body


def test_dates_and_times_in_the_clients_language_and_on_the_islands_clocks(programme):
    # Monday 30 March 2026, 10:00 BST; the clocks went forward on the Sunday before.
    starts = "2026-03-30T09:00:00+00:00"
    maria, _ = client_with(programme, starts, full_name="Maria Freitas", preferred_language="pt")
    halina, _ = client_with(programme, starts, full_name="Halina Nowak", preferred_language="pl")
    colette, _ = client_with(programme, starts, full_name="Colette Rouxel",
                             preferred_language="fr")
    tick("2026-03-29T08:59:00+00:00")  # 09:59 BST on the Sunday
    assert reminders() == []
    tick("2026-03-29T09:00:00+00:00")  # 10:00 BST: the check-in time
    bodies = {m.client_id: m.body for m in reminders()}
    assert bodies[maria.id] == ("Olá Maria, lembrete do Call & Check: Eye clinic, General "
                                "Hospital, amanhã, segunda-feira, 30 de março, às 10:00.")
    assert bodies[halina.id] == ("Dzień dobry Halina, przypomnienie od Call & Check: Eye "
                                 "clinic, General Hospital, jutro, poniedziałek 30 marca, "
                                 "o 10:00.")
    assert bodies[colette.id] == ("Bonjour Colette, rappel de Call & Check : Eye clinic, "
                                  "General Hospital, demain, lundi 30 mars à 10h.")
    # Until the start of Monday on the island: 23:00 UTC on Sunday, in summer time.
    assert {m.not_after for m in reminders()} == {at("2026-03-29T23:00:00+00:00")}
    tick("2026-03-30T07:00:00+00:00")  # 08:00 BST, 2 hours before
    assert sorted(keys()) == ["day_before"] * 3 + ["soon"] * 3
    assert all("hoje às 10:00" in m.body or "dziś o 10:00" in m.body
               or "aujourd'hui à 10h" in m.body for m in reminders() if ":soon" in m.dedupe_key)


def test_a_blank_appointment_still_reads_naturally(programme):
    client = factories.client(programme, full_name="Mary Le Brun")
    factories.consent(client)
    factories.appointment(client, at("2026-03-04T14:30:00+00:00"), with_whom="", place="")
    tick("2026-03-03T10:00:00+00:00")
    assert reminders()[0].body == ("Hello Mary, a reminder from Call & Check: your appointment, "
                                   "tomorrow Wednesday 4 March at 14:30.")


def test_no_reminders_to_opted_out_numbers_or_clients_not_taking_part(programme):
    stopped, _ = client_with(programme, "2026-03-04T14:30:00+00:00")
    numbers.opt_out(stopped.phone, "STOP", at("2026-03-01T12:00:00+00:00"))
    not_taking_part = factories.client(programme)
    factories.appointment(not_taking_part, at("2026-03-04T14:30:00+00:00"))
    tick("2026-03-03T10:00:00+00:00")
    tick("2026-03-04T12:30:00+00:00")
    assert reminders() == []
