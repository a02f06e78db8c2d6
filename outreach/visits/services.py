"""Recording doorstep visits: once per client-made id, only on the visitor's own rounds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from sqlalchemy import Exists, Select, bindparam, exists, select
from sqlalchemy.orm import joinedload

from outreach.audit.services import record
from outreach.auth import access
from outreach.auth.models import User
from outreach.care.models import Prescription
from outreach.db import db, utcnow
from outreach.enums import (
    NeedCategory,
    NeedSeverity,
    NeedSource,
    PrescriptionStatus,
    Role,
    VisitOutcome,
)
from outreach.errors import Conflict, NotFound, ValidationFailed
from outreach.escalations import visitor as escalation_outcomes
from outreach.evaluation import services as measures
from outreach.events import visit_recorded
from outreach.needs.models import Need
from outreach.needs.services import create_need
from outreach.people.models import Client
from outreach.people.services import deny, read_client
from outreach.rounds.models import Round
from outreach.visits import questionnaire
from outreach.visits.models import Visit
from outreach.visits.schedule import local_date, rounds_walked
from outreach.visits.schemas import remember_outcome

# Phones' clocks drift; a visit a few minutes "in the future" is still a real visit.
CLOCK_SKEW = timedelta(minutes=5)
MAX_AGE = timedelta(days=7)
SEEN = {VisitOutcome.SEEN_WELL, VisitOutcome.SEEN_CONCERN}
COMPARED = ("client_id", "visited_at", "outcome", "answers", "prescription_delivered",
            "appointment_reminded", "note")


def _may_record_known(actor: User, client: Client) -> bool | None:
    """What `may_record_for` answers when the database need not be asked (None: ask it)."""
    if actor.role != Role.VISITOR:
        return access.can_manage_client(actor, client)
    if client.round_id is None:
        return False
    return None


def _walks(user_id, on, round_id) -> Exists:
    # Values or bind parameters alike (see _lookup_statement).
    return exists(rounds_walked(user_id, on).where(Round.id == round_id))


def may_record_for(actor: User, client: Client, on) -> bool:
    """Visitors on the rounds they walk that day (cover included); managers of the client."""
    known = _may_record_known(actor, client)
    if known is not None:
        return known
    return bool(db.session.scalar(select(_walks(actor.id, on, client.round_id))))


def record_visit(actor: User, data: dict) -> tuple[Visit, bool]:
    """Store a visit and what follows from it; returns (visit, created).

    The same id sent again with the same content returns the stored visit and changes nothing,
    so a phone may resend whatever it is unsure about; different content under that id is a 409.
    """
    client = _client(data["client_id"])
    if client is None:
        raise ValidationFailed("No such client.", fields={"client_id": ["No such client."]})
    visited_on = local_date(data["visited_at"], client.programme.timezone)
    facts = _look_up(actor, client, visited_on, data)
    if not facts.may_record:
        deny(actor, client, "visit")
    record(actor, "client.read", subject=client, client_id=client.id, detail={"for": "visit"})

    existing = db.session.get(Visit, data["id"]) if facts.stored else None
    if existing is not None:
        return _replayed(existing, data), False

    _check_time(data["visited_at"])
    outcome = VisitOutcome(data["outcome"])
    questions = questionnaire.from_lookup(client.programme, data.get("questionnaire_version"),
                                          *facts.questionnaire)
    answers = questionnaire.check_answers(questions, data.get("answers") or {})
    if answers and outcome not in SEEN:
        raise ValidationFailed("Answers can only be given when the client was seen.",
                               fields={"answers": ["Leave the questions empty for this outcome."]})

    visit = Visit(id=data["id"], client_id=client.id, visitor_id=actor.id,
                  round_id=client.round_id, visited_at=data["visited_at"],
                  visited_on=visited_on, outcome=outcome,
                  questionnaire_version=questions.version if outcome in SEEN else None,
                  answers=answers, prescription_delivered=data["prescription_delivered"],
                  appointment_reminded=data["appointment_reminded"], note=data["note"])
    db.session.add(visit)
    # The visit's id is the phone's, so its event needs no flush first: one flush writes both
    # events and the visit, before anything that refers to the visit.
    record(actor, "visit.create", subject=visit, client_id=client.id,
           detail={"outcome": outcome.value})
    db.session.flush()
    if facts.outcomes_to_mark:
        escalation_outcomes.mark_shown(visit)  # the form showed them: told once, not again
    if visit.prescription_delivered:
        _deliver_prescriptions(client, visit)
    needs = _raise_needs(actor, client, visit, questions)
    measure = measures.record_from_visit(actor, client, visit, data.get("measures"))
    # After the needs, so a contact alerted is not told twice (messages reports the visit).
    visit_recorded.send(visit, raised=[need.id for need in needs])
    # A new visit's needs and measure are exactly these: the answer need not look them up.
    remember_outcome(visit, needs, measure_taken=measure is not None)
    return visit, True


def _client(client_id: int) -> Client | None:
    # A client already loaded (the visit form's) is used as it is, as session.get would.
    loaded = db.session.identity_map.get(db.session.identity_key(Client, client_id))
    if loaded is not None:
        return loaded
    return db.session.execute(_CLIENT, {"client_id": client_id}).unique().scalar_one_or_none()


# The programme (time zone, questions) and the contacts (visit reports) are always needed.
# Built once: building a statement and working out its cache key cost as much as running it.
_CLIENT = select(Client).options(joinedload(Client.programme, innerjoin=True),
                                 joinedload(Client.contacts)).where(
    Client.id == bindparam("client_id"))


@dataclass(frozen=True)
class _Facts:
    """What recording a visit must know beyond the client, found in one statement."""

    may_record: bool
    stored: bool  # a visit with this id exists already: a replay
    outcomes_to_mark: bool
    questionnaire: tuple[int | None, list | None]  # what questionnaire.lookup_columns found


def _look_up(actor: User, client: Client, visited_on, data: dict) -> _Facts:
    known = _may_record_known(actor, client)
    number = data.get("questionnaire_version")
    row = db.session.execute(_lookup_statement(known is None, number is not None), {
        "visit_id": data["id"], "client_id": client.id, "visited_at": data["visited_at"],
        "programme_id": client.programme_id, "number": number, "user_id": actor.id,
        "on": visited_on, "round_id": client.round_id}).one()
    return _Facts(
        may_record=bool(row.walks) if known is None else known,
        stored=row.stored is not None, outcomes_to_mark=bool(row.to_mark),
        questionnaire=(row.questionnaire_version, row.questionnaire_questions))


@cache
def _lookup_statement(walks: bool, versioned: bool) -> Select:
    """The statement `_look_up` runs, built once for each shape: building it and working out
    its cache key cost more than running it. `walks`: whether to ask if the visitor walks the
    client's round that day; `versioned`: whether the form said which questions it showed."""
    columns = [
        select(Visit.id).where(Visit.id == bindparam("visit_id")).scalar_subquery()
        .label("stored"),
        escalation_outcomes.any_to_mark(bindparam("client_id"), bindparam("visited_at"))
        .label("to_mark"),
        *questionnaire.lookup_columns(bindparam("programme_id"),
                                      bindparam("number") if versioned else None),
    ]
    if walks:
        columns.append(_walks(bindparam("user_id"), bindparam("on"), bindparam("round_id"))
                       .label("walks"))
    return select(*columns)


def _replayed(existing: Visit, data: dict) -> Visit:
    stored = {"client_id": existing.client_id, "visited_at": existing.visited_at,
              "outcome": existing.outcome.value, "answers": existing.answers or {},
              "prescription_delivered": existing.prescription_delivered,
              "appointment_reminded": existing.appointment_reminded, "note": existing.note}
    sent = {key: data.get(key) for key in COMPARED}
    sent["answers"] = sent["answers"] or {}
    if _normalised(stored) != _normalised(sent):
        raise Conflict("A different visit was already stored with this id.",
                       code="visit_id_conflict")
    return existing


def _normalised(values: dict) -> dict:
    # Answers arrive in any order and multi-select lists in any order: compare as sets. A
    # question left unanswered (null) was never stored. The schema let through strings, lists
    # of strings and nulls only, so the lists sort.
    answers = {k: sorted(v) if isinstance(v, list) else v for k, v in values["answers"].items()
               if v is not None}
    return dict(values, answers=answers)


def _check_time(visited_at) -> None:
    now = utcnow()
    if visited_at > now + CLOCK_SKEW:
        raise ValidationFailed("The visit time is in the future.",
                               fields={"visited_at": ["Cannot be in the future."]})
    if visited_at < now - MAX_AGE:
        raise ValidationFailed("Visits older than 7 days cannot be recorded here; tell the "
                               "coordinator instead.",
                               fields={"visited_at": ["More than 7 days ago."]})


def _deliver_prescriptions(client: Client, visit: Visit) -> None:
    waiting = db.session.scalars(select(Prescription).where(
        Prescription.client_id == client.id,
        Prescription.status.in_([PrescriptionStatus.READY, PrescriptionStatus.OUT_FOR_DELIVERY])))
    for prescription in waiting:
        prescription.status = PrescriptionStatus.DELIVERED
        prescription.delivered_at = visit.visited_at
        prescription.visit_id = visit.id
    db.session.flush()


def _raise_needs(actor: User, client: Client, visit: Visit,
                 questions: questionnaire.Version) -> list[Need]:
    if visit.outcome == VisitOutcome.NO_ANSWER:
        # The safety net times this out after the programme's no-answer window.
        return [create_need(actor, client, NeedCategory.NO_ANSWER, NeedSeverity.URGENT,
                            "No answer at the door.", NeedSource.SYSTEM, visit=visit)]
    found = questionnaire.needs_from_answers(questions, visit.answers)
    if found and visit.note:
        # The visitor's words explain what the answers raised: they go with the most pressing
        # need (one need, not a second "other" one), and only with it, so a recipient of the
        # others is not handed words about something that is not theirs.
        found = questionnaire.with_note(found, visit.note)
    raised = [create_need(actor, client, need.category, need.severity, need.description,
                          NeedSource.VISIT, visit=visit) for need in found]
    if not found and visit.outcome == VisitOutcome.SEEN_CONCERN and visit.note:
        raised.append(create_need(actor, client, NeedCategory.OTHER, NeedSeverity.SOON,
                                  visit.note, NeedSource.VISIT, visit=visit))
    return raised


def visible_visits(actor: User, *, client_id=None, round_id=None, on=None) -> Select:
    """Visits to the clients `actor` may see, filtered by client, round and local date."""
    query = select(Visit).where(Visit.client_id.in_(access.visible_client_ids(actor)))
    if client_id is not None:
        query = query.where(Visit.client_id == client_id)
    if round_id is not None:
        query = query.where(Visit.round_id == round_id)
    if on is not None:
        query = query.where(Visit.visited_on == on)
    return query


def get_visit(actor: User, visit_id: str) -> Visit:
    """One visit, if `actor` may see its client; reads and refusals are audited."""
    visit = db.session.get(Visit, visit_id)
    if visit is None:
        raise NotFound("No such visit.")
    read_client(actor, visit.client, "visit", visit_id=visit.id)
    return visit
