"""The `outcome_measures` job: who is texted the wellbeing and satisfaction questions, when,
and once; runs nobody answers stopped after 48 hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from outreach.consent.models import Consent
from outreach.db import db, set_clock
from outreach.enums import EnrolmentStatus, Language, MessageKind, MessageStatus
from outreach.evaluation.jobs import ask_outcome_measures
from outreach.evaluation.models import MeasureKind, MeasureSource, OutcomeMeasure
from outreach.jobs.tick import run_jobs
from outreach.messages import numbers
from outreach.messages.models import Message
from outreach.people.models import Client, ProgrammeEnrolment
from outreach.programmes.models import Programme
from outreach.visits.models import VisitPlan
from tests import factories
from tests.evaluation.factories import outcome_measure
from tests.literacy.factories import literacy_programme

# Monday 2 March 2026: Jersey is on GMT, so these are the island's wall-clock times too.
MONDAY_10AM = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _real_clock_afterwards(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_SEND_RATE", 10_000)
    yield
    set_clock(None)


def tick(moment: datetime) -> str:
    """Run every periodic job as `outreach tick --now` would; answers what this job did."""
    set_clock(moment)
    return {r.name: r.summary for r in run_jobs()}["outcome_measures"]


def surveys(client_id: int | None = None, kind: str = "") -> list[Message]:
    """The texts starting a run of questions (of one kind: "wellbeing", "satisfaction")."""
    query = select(Message).where(Message.kind == MessageKind.SURVEY,
                                  Message.dedupe_key.like(f"survey:{kind}%")).order_by(Message.id)
    if client_id is not None:
        query = query.where(Message.client_id == client_id)
    return list(db.session.scalars(query))


def measures(client_id: int) -> list[OutcomeMeasure]:
    return list(db.session.scalars(select(OutcomeMeasure).where(
        OutcomeMeasure.client_id == client_id).order_by(OutcomeMeasure.id)))


def taking_part(programme: Programme, *, plan: str | None = None,
                enrolled_at: datetime = MONDAY_10AM - timedelta(days=1), **kw) -> Client:
    """A client who agreed to take part; `plan`: None, "texts" (check-in texts) or "visits"."""
    client = factories.client(programme, **kw)
    client.enrolments[0].enrolled_at = enrolled_at
    factories.consent(client)
    if plan is not None:
        factories.visit_plan(client, sms_check_ins=plan == "texts")
    db.session.flush()
    return client


@pytest.fixture
def programme(world, ctx) -> Programme:
    return db.session.get(Programme, world.programme.id)


def test_wellbeing_is_texted_from_the_check_in_time_to_a_client_nobody_visits(programme):
    mary = taking_part(programme, full_name="Mary Le Brun")
    assert tick(MONDAY_10AM - timedelta(minutes=1)).startswith("0 wellbeing")
    assert surveys(mary.id) == []
    assert tick(MONDAY_10AM) == (
        "1 wellbeing and 0 satisfaction asking(s) texted, 0 unanswered stopped")
    [text] = surveys(mary.id)
    assert text.body == (
        "Hello Mary, 7 short questions on how you are. Reply with a number, or SKIP to stop. "
        "1/7 How often do you feel that you lack companionship? Reply 1 hardly ever, 2 some of "
        "the time, 3 often")
    assert text.dedupe_key == f"survey:wellbeing:{mary.id}:2026-03-02"
    assert text.phone == mary.phone and text.status != MessageStatus.QUEUED
    [measure] = measures(mary.id)
    assert (measure.kind, measure.source, measure.awaiting) == (
        MeasureKind.WELLBEING, MeasureSource.SMS, "ucla_companionship")
    assert measure.asked_at == MONDAY_10AM and measure.completed_at is None


def test_ticks_all_day_and_on_two_machines_start_one_run(programme):
    mary = taking_part(programme)
    for minutes in (0, 0, 5, 120, 600):
        tick(MONDAY_10AM + timedelta(minutes=minutes))
    set_clock(MONDAY_10AM)
    assert ask_outcome_measures(MONDAY_10AM).startswith("0 wellbeing")  # a second machine
    assert len(surveys(mary.id)) == 1 and len(measures(mary.id)) == 1
    # Unanswered, it stops after 48 hours and counts as asked: nothing more for 84 days.
    for days in (1, 2, 3, 30, 83):
        tick(MONDAY_10AM + timedelta(days=days))
    wellbeing = [m for m in measures(mary.id) if m.kind == MeasureKind.WELLBEING]
    assert len(wellbeing) == 1 and wellbeing[0].awaiting == ""
    assert tick(MONDAY_10AM + timedelta(days=84)).startswith("1 wellbeing")
    assert [m.kind for m in measures(mary.id)].count(MeasureKind.WELLBEING) == 2


@pytest.mark.parametrize("moment", [
    MONDAY_10AM - timedelta(hours=3),  # before the check-in time
    MONDAY_10AM + timedelta(hours=11, minutes=30),  # 21:30, the quiet hours
    MONDAY_10AM + timedelta(hours=15),  # 01:00
])
def test_never_before_the_check_in_time_nor_in_the_quiet_hours(programme, moment):
    mary = taking_part(programme)
    tick(moment)
    assert surveys(mary.id) == [] and measures(mary.id) == []


def test_the_programmes_own_check_in_time_counts(programme):
    programme.check_in_time = MONDAY_10AM.replace(hour=14).time()
    mary = taking_part(programme)
    tick(MONDAY_10AM + timedelta(hours=3))
    assert surveys(mary.id) == []
    tick(MONDAY_10AM + timedelta(hours=4))
    assert len(surveys(mary.id)) == 1


def test_only_active_clients_taking_part_with_a_number_that_may_be_texted(programme, world):
    wanted = taking_part(programme)
    no_consent = factories.client(programme)
    withdrawn = taking_part(programme)
    db.session.scalar(select(Consent).where(Consent.client_id == withdrawn.id)).withdrawn_at = (
        MONDAY_10AM - timedelta(days=1))
    stopped, broken = taking_part(programme), taking_part(programme)
    numbers.opt_out(stopped.phone, "STOP", MONDAY_10AM - timedelta(days=1))
    numbers.mark_invalid(broken.phone, 21211, "Not a valid phone number.",
                         MONDAY_10AM - timedelta(days=1))
    no_phone = taking_part(programme, phone=None)
    left = taking_part(programme)
    left.enrolments[0].status = EnrolmentStatus.LEFT
    db.session.flush()
    tick(MONDAY_10AM)
    assert {m.client_id for m in surveys()} == {wanted.id}
    for other in (no_consent, withdrawn, stopped, broken, no_phone, left):
        assert measures(other.id) == []


def test_a_client_visited_in_person_is_texted_only_if_still_due_14_days_later(programme):
    visited = taking_part(programme, plan="visits", enrolled_at=MONDAY_10AM)
    asked_at_the_door = taking_part(programme, plan="visits", enrolled_at=MONDAY_10AM)
    tick(MONDAY_10AM)
    assert surveys() == []
    outcome_measure(asked_at_the_door, asked_at=MONDAY_10AM + timedelta(days=3))
    tick(MONDAY_10AM + timedelta(days=13, hours=23))
    assert surveys() == []
    tick(MONDAY_10AM + timedelta(days=14))
    assert {m.client_id for m in surveys()} == {visited.id}


def test_a_visited_client_asked_before_is_texted_14_days_after_the_next_one_fell_due(programme):
    visited = taking_part(programme, plan="visits", enrolled_at=MONDAY_10AM - timedelta(days=400))
    outcome_measure(visited, asked_at=MONDAY_10AM - timedelta(days=84 + 13))
    outcome_measure(visited, "satisfaction", MeasureSource.SMS,
                    asked_at=MONDAY_10AM - timedelta(days=10))
    tick(MONDAY_10AM)
    assert surveys(kind="wellbeing") == []
    tick(MONDAY_10AM + timedelta(days=1))
    assert len(surveys(visited.id, "wellbeing")) == 1


def test_a_client_with_check_in_texts_is_asked_once_todays_check_in_is_answered(programme):
    mary = taking_part(programme, plan="texts")
    set_clock(MONDAY_10AM)
    assert ask_outcome_measures(MONDAY_10AM).startswith("0 wellbeing")  # before the check-in
    tick(MONDAY_10AM)  # the check-in goes and waits for its answer
    [check_in] = db.session.scalars(select(Message).where(
        Message.client_id == mary.id, Message.kind == MessageKind.CHECK_IN)).all()
    assert surveys(mary.id) == []
    tick(MONDAY_10AM + timedelta(hours=1))
    assert surveys(mary.id) == []
    check_in.answered_at, check_in.answer = MONDAY_10AM + timedelta(hours=1), "1"
    tick(MONDAY_10AM + timedelta(hours=1, minutes=1))
    assert len(surveys(mary.id)) == 1


def test_a_check_in_that_failed_does_not_hold_the_questions_back(programme):
    mary = taking_part(programme, plan="texts")
    plan = db.session.scalar(select(VisitPlan).where(VisitPlan.client_id == mary.id))
    plan.ends_on = MONDAY_10AM.date() - timedelta(days=1)  # no check-in today: it has ended
    factories.message(mary, kind=MessageKind.CHECK_IN, status=MessageStatus.FAILED,
                      created_at=MONDAY_10AM - timedelta(hours=20))
    tick(MONDAY_10AM)
    assert len(surveys(mary.id)) == 1


def test_satisfaction_after_four_weeks_once_a_quarter_worded_for_visits(programme):
    mary = taking_part(programme, plan="visits", full_name="Mary Le Brun",
                       enrolled_at=MONDAY_10AM - timedelta(days=27))
    outcome_measure(mary, asked_at=MONDAY_10AM - timedelta(days=20))  # wellbeing at the door
    tick(MONDAY_10AM)
    assert surveys(mary.id) == []
    summary = tick(MONDAY_10AM + timedelta(days=1))
    assert summary.startswith("0 wellbeing and 1 satisfaction")
    [text] = surveys(mary.id)
    assert text.body == ("Hello Mary, one quick question. How happy are you with your Call & "
                         "Check visits? Reply 1 (not at all) to 5 (very happy)")
    assert text.dedupe_key == f"survey:satisfaction:{mary.id}:2026-03-03"
    assert measures(mary.id)[-1].awaiting == "satisfaction"
    for days in (3, 40, 84):
        tick(MONDAY_10AM + timedelta(days=days))
    assert len(surveys(mary.id, "satisfaction")) == 1
    # Day 84 started the wellbeing questions by text (the visitor did not ask); satisfaction
    # waits until that run is over, answered or (here) stopped after 48 hours.
    tick(MONDAY_10AM + timedelta(days=85))
    assert len(surveys(mary.id, "satisfaction")) == 1
    tick(MONDAY_10AM + timedelta(days=86, minutes=1))
    assert len(surveys(mary.id, "satisfaction")) == 2


@pytest.mark.parametrize(("language", "expected"), [
    (Language.ENGLISH, "Hello Ann, one quick question. How happy are you with the workshops? "
                       "Reply 1 (not at all) to 5 (very happy)"),
    (Language.FRENCH, "Bonjour Ann, une petite question. Les ateliers vous plaisent-ils ? "
                      "Répondez de 1 (pas du tout) à 5 (beaucoup)"),
])
def test_learners_are_asked_about_the_workshops(world, ctx, language, expected):
    learners = literacy_programme(db.session.merge(world.operator))
    ann = taking_part(learners, full_name="Ann Vibert", preferred_language=language,
                      enrolled_at=MONDAY_10AM - timedelta(days=40))
    outcome_measure(ann, source=MeasureSource.SMS, asked_at=MONDAY_10AM - timedelta(days=5))
    tick(MONDAY_10AM)
    assert [t.body for t in surveys(ann.id)] == [expected]


def test_one_new_run_per_client_at_a_time(programme):
    mary = taking_part(programme, enrolled_at=MONDAY_10AM - timedelta(days=60))
    tick(MONDAY_10AM)
    tick(MONDAY_10AM + timedelta(minutes=1))
    assert [m.kind for m in measures(mary.id)] == [MeasureKind.WELLBEING]
    # The wellbeing run finished (or stopped): satisfaction comes at the next tick.
    measures(mary.id)[0].awaiting = ""
    tick(MONDAY_10AM + timedelta(minutes=2))
    assert [m.kind for m in measures(mary.id)] == [MeasureKind.WELLBEING,
                                                   MeasureKind.SATISFACTION]


def test_a_couple_sharing_a_phone_are_asked_one_after_the_other(programme):
    him = taking_part(programme)
    her = taking_part(programme, phone=him.phone)
    tick(MONDAY_10AM)
    assert [m.client_id for m in surveys()] == [him.id]
    measures(him.id)[0].awaiting = ""
    tick(MONDAY_10AM + timedelta(minutes=1))
    assert [m.client_id for m in surveys()] == [him.id, her.id]


def test_unanswered_for_48_hours_the_asking_stops_and_keeps_the_answers(programme):
    mary = taking_part(programme)
    tick(MONDAY_10AM)
    [measure] = measures(mary.id)
    measure.ucla_companionship, measure.awaiting = 2, "ucla_left_out"
    assert tick(MONDAY_10AM + timedelta(hours=47, minutes=59)).endswith("0 unanswered stopped")
    assert measure.awaiting == "ucla_left_out"
    assert tick(MONDAY_10AM + timedelta(hours=48, minutes=1)).endswith("1 unanswered stopped")
    db.session.refresh(measure)
    assert (measure.awaiting, measure.ucla_companionship, measure.completed_at) == ("", 2, None)
    assert not measure.declined


def test_the_job_answers_a_summary_with_no_clients_at_all(app, ctx):
    set_clock(MONDAY_10AM)
    assert ask_outcome_measures(MONDAY_10AM) == (
        "0 wellbeing and 0 satisfaction asking(s) texted, 0 unanswered stopped")


def test_each_client_is_counted_once_with_several_enrolments(programme, world):
    mary = taking_part(programme)
    learners = literacy_programme(db.session.merge(world.operator))
    db.session.add(ProgrammeEnrolment(client_id=mary.id, programme_id=learners.id))
    db.session.flush()
    tick(MONDAY_10AM)
    assert len(surveys(mary.id)) == 1
