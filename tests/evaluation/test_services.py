"""The outcome-measures service: who is due, checked answers, storing an asking, the wordings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.auth.models import User
from outreach.db import db, utcnow
from outreach.errors import ValidationFailed
from outreach.evaluation import questions, services
from outreach.evaluation.models import (
    ITEM_RANGES,
    WELLBEING_ITEMS,
    MeasureKind,
    MeasureSource,
)
from outreach.people.models import Client
from tests import factories as base
from tests.evaluation.factories import FULL_WELLBEING, outcome_measure

WELLBEING = MeasureKind.WELLBEING


@pytest.fixture
def person(world, ctx):
    return db.session.get(Client, world.client_on_round.id)


def test_never_asked_is_due(person):
    assert services.due([person.id], WELLBEING, utcnow()) == {person.id}
    assert services.next_due(person, WELLBEING, utcnow()) <= utcnow()


@pytest.mark.parametrize(("days_ago", "due"), [(83, False), (84, True), (200, True), (0, False)])
def test_due_every_84_days(person, days_ago, due):
    now = utcnow()
    outcome_measure(person, asked_at=now - timedelta(days=days_ago))
    assert (person.id in services.due([person.id], WELLBEING, now)) is due


def test_83_days_and_23_hours_is_still_not_due(person):
    now = utcnow()
    outcome_measure(person, asked_at=now - timedelta(days=84) + timedelta(minutes=1))
    assert services.due([person.id], WELLBEING, now) == set()
    assert services.next_due(person, WELLBEING, now) == \
        now + timedelta(minutes=1)


@pytest.mark.parametrize("kw", [{"declined": True}, {"answers": {"ucla_isolated": 2}}])
def test_declined_or_partial_counts_as_asked(person, kw):
    outcome_measure(person, asked_at=utcnow() - timedelta(days=10), **kw)
    assert services.due([person.id], WELLBEING, utcnow()) == set()


def test_kinds_are_due_separately_and_the_latest_asking_counts(person, world):
    now = utcnow()
    outcome_measure(person, MeasureKind.SATISFACTION, MeasureSource.SMS, asked_at=now)
    assert services.due([person.id], WELLBEING, now) == {person.id}
    outcome_measure(person, asked_at=now - timedelta(days=200))
    outcome_measure(person, asked_at=now - timedelta(days=20))
    assert services.due([person.id], WELLBEING, now) == set()
    other = db.session.get(Client, world.client_off_round.id)
    assert services.due([person.id, other.id], WELLBEING, now) == {other.id}
    assert services.due([], WELLBEING, now) == set()


@pytest.mark.parametrize(("answers", "field"), [
    ({"ucla_isolated": 0}, "ucla_isolated"),
    ({"ucla_isolated": 4}, "ucla_isolated"),
    ({"ons_happy": 11}, "ons_happy"),
    ({"ons_happy": -1}, "ons_happy"),
    ({"ons_happy": "7"}, "ons_happy"),
    ({"ons_happy": 7.5}, "ons_happy"),
    ({"ons_happy": True}, "ons_happy"),
    ({"satisfaction": 3}, "satisfaction"),  # not a wellbeing question
    ({"'; DROP TABLE outcome_measures; --": 1}, "'; DROP TABLE outcome_measures; --"),
])
def test_bad_answers_are_refused_by_item(answers, field):
    with pytest.raises(ValidationFailed) as refused:
        services.check_answers(WELLBEING, answers)
    assert field in refused.value.fields


def test_blank_answers_are_left_out():
    assert services.check_answers(WELLBEING, {"ons_happy": None, "ucla_left_out": 3}) == {
        "ucla_left_out": 3}


def test_record_a_full_asking_a_partial_one_and_a_refusal(person, world):
    coordinator = db.session.get(User, world.coordinator.id)
    now = utcnow()
    full = services.record_measure(coordinator, person, WELLBEING, MeasureSource.WEB,
                                   FULL_WELLBEING, now)
    assert full.completed_at == now and full.ucla_total == 6 and full.recorded_by_id == \
        coordinator.id
    part = services.record_measure(coordinator, person, WELLBEING, "web", {"ons_happy": 5}, now)
    assert part.completed_at is None and part.ucla_total is None and part.ons_happy == 5
    refused = services.record_measure(None, person, WELLBEING, "sms", {}, now, declined=True)
    assert refused.declined and refused.completed_at is None
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "measure.record", AuditEvent.client_id == person.id)).all()
    assert len(events) == 3


def test_a_visit_stores_a_measure_only_when_asked_and_seen(person, world):
    visitor = db.session.get(User, world.visitor.id)
    seen = base.visit(person, visitor, "seen_well")
    away = base.visit(person, visitor, "away")
    assert services.record_from_visit(visitor, person, seen, None) is None
    assert services.record_from_visit(visitor, person, seen, {"declined": False,
                                                              "answers": {}}) is None
    assert services.record_from_visit(visitor, person, away, {
        "declined": False, "answers": {"ons_happy": 3}}) is None
    stored = services.record_from_visit(visitor, person, seen, {
        "declined": False, "answers": {"ons_happy": 3, "ons_anxious": None}})
    assert (stored.source, stored.visit_id, stored.asked_at) == (
        MeasureSource.VISIT, seen.id, seen.visited_at)


def test_questions_follow_the_stored_items_and_ranges():
    assert tuple(q.item for q in questions.WELLBEING) == WELLBEING_ITEMS
    for question in questions.WELLBEING + questions.SATISFACTION:
        values = [v for v, _ in question.options]
        assert values == list(range(ITEM_RANGES[question.item][0],
                                    ITEM_RANGES[question.item][1] + 1))
    assert questions.WELLBEING[0].text == "How often do you feel that you lack companionship?"
    assert dict(questions.WELLBEING[1].options)[3] == "Often"
    assert dict(questions.WELLBEING[6].options)[0] == "0 Not at all"
    assert questions.questions_for("satisfaction") == questions.SATISFACTION
