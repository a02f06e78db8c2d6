"""Daily check-in texts: who gets one, when (programme time, across the clock changes), once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from outreach.consent.models import Consent
from outreach.db import db, set_clock
from outreach.enums import MessageKind, MessageStatus
from outreach.jobs.tick import run_jobs
from outreach.messages import numbers
from outreach.messages.jobs import send_check_ins
from outreach.messages.models import Message
from outreach.messages.outbox import queue_text, store_outbound
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from outreach.programmes.models import Programme
from tests import factories
from tests.conftest import ACCEPTED

JERSEY = ZoneInfo("Europe/Jersey")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture(autouse=True)
def _real_clock_and_rate_afterwards(app, monkeypatch):
    # Texts are paced by SMS_SEND_RATE; these tests are about what is sent, not how fast.
    monkeypatch.setitem(app.config, "SMS_SEND_RATE", 10_000)
    yield
    set_clock(None)


def tick(moment: str) -> dict[str, str]:
    """Run every periodic job as `outreach tick --now` would."""
    set_clock(at(moment))
    return {r.name: r.summary for r in run_jobs()}


def check_ins(client_id: int | None = None) -> list[Message]:
    query = select(Message).where(Message.kind == MessageKind.CHECK_IN).order_by(Message.id)
    if client_id is not None:
        query = query.where(Message.client_id == client_id)
    return list(db.session.scalars(query))


def enrolled(programme: Programme, **kw) -> Client:
    """A client taking part, with daily check-in texts in their plan."""
    plan = {key: kw.pop(key) for key in ("starts_on", "ends_on") if key in kw}
    client = factories.client(programme, **kw)
    factories.consent(client)
    factories.visit_plan(client, sms_check_ins=True, **plan)
    return client


@pytest.fixture
def mary(world, ctx) -> Client:
    return enrolled(db.session.get(Programme, world.programme.id), full_name="Mary Le Brun")


def test_the_check_in_goes_at_the_programmes_check_in_time_and_is_delivered(mary):
    assert tick("2026-03-03T09:59:00+00:00")["sms_check_ins"] == "0 check-in text(s) queued"
    assert check_ins(mary.id) == []
    assert tick("2026-03-03T10:00:00+00:00")["sms_check_ins"] == "1 check-in text(s) queued"
    [text] = check_ins(mary.id)
    assert text.body == ("Hello Mary, it's Call & Check. Reply 1 if you are OK, 2 if you would "
                         "like a call, 3 if you need help today.")
    assert text.phone == mary.phone and text.programme_id == mary.programme_id
    assert text.dedupe_key == f"check_in:{mary.id}:2026-03-03"
    # Reply within the programme's window (4 hours by default); pointless after the day ends.
    assert text.reply_due_at == at("2026-03-03T14:00:00+00:00")
    assert text.not_after == at("2026-03-04T00:00:00+00:00")
    # Sent as soon as the job's transaction committed: the console backend delivers at once.
    assert text.status == ACCEPTED
    assert [e.status for e in text.events] == [MessageStatus.QUEUED, MessageStatus.SENDING,
                                              ACCEPTED]


def test_ticks_all_day_and_on_two_machines_send_one_text_a_day(mary):
    for moment in ("10:00", "10:05", "12:00", "17:30"):
        tick(f"2026-03-03T{moment}:00+00:00")
    assert len(check_ins(mary.id)) == 1
    tick("2026-03-04T10:00:00+00:00")
    assert [m.dedupe_key for m in check_ins(mary.id)] == [
        f"check_in:{mary.id}:2026-03-03", f"check_in:{mary.id}:2026-03-04"]


def test_a_second_writer_of_the_same_check_in_gets_nothing(mary):
    set_clock(at("2026-03-03T10:00:00+00:00"))
    send_check_ins(at("2026-03-03T10:00:00+00:00"))
    key = f"check_in:{mary.id}:2026-03-03"
    assert queue_text(MessageKind.CHECK_IN, "check_in", to=mary.phone, language="en",
                      programme=mary.programme, client=mary, dedupe_key=key,
                      first_name="Mary") is None
    # Another machine that looked before this one wrote: its insert meets the unique key.
    assert store_outbound(MessageKind.CHECK_IN, "Hello", to=mary.phone, language="en",
                          programme=mary.programme, client=mary, dedupe_key=key,
                          now=at("2026-03-03T10:00:01+00:00")) is None
    assert len(check_ins(mary.id)) == 1


def test_opted_out_and_invalid_numbers_get_no_row_at_all(world, ctx):
    programme = db.session.get(Programme, world.programme.id)
    stopped, broken, fine = (enrolled(programme) for _ in range(3))
    numbers.opt_out(stopped.phone, "STOP", at("2026-03-01T12:00:00+00:00"))
    numbers.mark_invalid(broken.phone, 21211, "The phone number is not valid",
                         at("2026-03-01T12:00:00+00:00"))
    for day in range(2, 6):
        tick(f"2026-03-0{day}T10:30:00+00:00")
    assert check_ins(stopped.id) == [] and check_ins(broken.id) == []
    assert len(check_ins(fine.id)) == 4


def test_only_clients_who_take_part_with_check_ins_in_a_current_plan(world, ctx):
    programme = db.session.get(Programme, world.programme.id)
    wanted = enrolled(programme)
    no_texts = factories.client(programme)
    factories.consent(no_texts)
    factories.visit_plan(no_texts, sms_check_ins=False)
    no_consent = factories.client(programme)
    factories.visit_plan(no_consent, sms_check_ins=True)
    withdrawn = enrolled(programme)
    withdrawn_consent = db.session.scalar(select(Consent).where(
        Consent.client_id == withdrawn.id))
    withdrawn_consent.withdrawn_at = at("2026-02-01T12:00:00+00:00")
    enrolled(programme, starts_on=date(2026, 3, 4))  # not started yet
    enrolled(programme, starts_on=date(2026, 1, 1), ends_on=date(2026, 3, 2))  # ended
    enrolled(programme, phone=None)
    tick("2026-03-03T10:00:00+00:00")
    assert {m.client_id for m in check_ins()} == {wanted.id}


def test_no_check_in_while_paused_or_after_a_visit_today(world, ctx):
    programme = db.session.get(Programme, world.programme.id)
    away, seen, called_later = (enrolled(programme) for _ in range(3))
    factories.pause(away, date(2026, 3, 2), date(2026, 3, 4))
    factories.visit(seen, outcome="seen_well", visited_at=at("2026-03-03T09:15:00+00:00"))
    tick("2026-03-03T10:00:00+00:00")
    factories.visit(called_later, outcome="seen_well",
                    visited_at=at("2026-03-03T11:00:00+00:00"))
    assert {m.client_id for m in check_ins()} == {called_later.id}
    tick("2026-03-05T10:00:00+00:00")
    assert away.id in {m.client_id for m in check_ins()}


def test_each_client_in_their_own_language(world, ctx):
    programme = db.session.get(Programme, world.programme.id)
    maria = enrolled(programme, full_name="Maria Freitas", preferred_language="pt")
    halina = enrolled(programme, full_name="Halina Nowak", preferred_language="pl")
    colette = enrolled(programme, full_name="Colette Rouxel", preferred_language="fr")
    tick("2026-03-03T10:00:00+00:00")
    bodies = {m.client_id: m.body for m in check_ins()}
    assert bodies[maria.id].startswith("Olá Maria, é o Call & Check.")
    assert bodies[halina.id].startswith("Dzień dobry Halina, tu Call & Check.")
    assert bodies[colette.id].startswith("Bonjour Colette, ici Call & Check.")
    assert {m.language.value for m in check_ins()} == {"pt", "pl", "fr"}


@pytest.mark.parametrize(("day", "local_ten_in_utc"), [
    ("2026-03-28", "10:00"),  # Saturday, still GMT
    ("2026-03-29", "09:00"),  # the clocks go forward at 01:00 this Sunday
    ("2026-03-30", "09:00"),  # BST
    ("2026-10-24", "09:00"),  # BST
    ("2026-10-25", "10:00"),  # the clocks go back at 02:00 this Sunday
])
def test_ten_oclock_on_the_islands_clocks_across_the_2026_changes(mary, day, local_ten_in_utc):
    ten = at(f"{day}T{local_ten_in_utc}:00+00:00")
    tick((ten - timedelta(minutes=1)).isoformat())
    assert check_ins(mary.id) == []
    tick(ten.isoformat())
    [text] = check_ins(mary.id)
    assert text.dedupe_key.endswith(day)
    # Not after the end of that local day, whatever its length.
    assert text.not_after == datetime.combine(date.fromisoformat(day) + timedelta(days=1),
                                              time(0), tzinfo=JERSEY).astimezone(UTC)


def test_a_tick_that_runs_late_into_the_quiet_hours_sends_nothing_that_day(mary):
    tick("2026-03-03T21:30:00+00:00")  # the scheduler was down all day
    assert check_ins(mary.id) == []
    tick("2026-03-04T07:00:00+00:00")  # the next morning, before the check-in time
    assert check_ins(mary.id) == []
    tick("2026-03-04T10:00:00+00:00")
    assert [m.dedupe_key for m in check_ins(mary.id)] == [f"check_in:{mary.id}:2026-03-04"]


def test_a_check_in_time_inside_the_quiet_hours_waits_for_them_to_end(mary):
    programme = db.session.get(Programme, mary.programme_id)
    programme.check_in_time = time(7, 0)
    tick("2026-07-01T06:30:00+00:00")  # 07:30 BST, quiet until 08:00
    assert check_ins(mary.id) == []
    tick("2026-07-01T07:00:00+00:00")  # 08:00 BST
    [text] = check_ins(mary.id)
    assert text.status == ACCEPTED and text.send_at is None


def test_each_programme_keeps_its_own_time(world, ctx):
    warsaw = factories.programme(db.session.get(Organisation, world.operator.id),
                                 timezone="Europe/Warsaw")
    jersey_client = enrolled(db.session.get(Programme, world.programme.id))
    warsaw_client = enrolled(warsaw)
    tick("2026-03-03T09:00:00+00:00")  # 10:00 in Warsaw, 09:00 in Jersey
    assert [m.client_id for m in check_ins()] == [warsaw_client.id]
    tick("2026-03-03T10:00:00+00:00")
    assert {m.client_id for m in check_ins()} == {warsaw_client.id, jersey_client.id}
