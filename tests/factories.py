"""Factories for test data: small functions that build valid, fictional records."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from datetime import date

from outreach.auth import tokens
from outreach.auth.passwords import hash_password
from outreach.consent.models import Consent
from outreach.db import db, utcnow
from outreach.enums import ConsentPurpose, OrganisationKind, ProgrammeKind, Role
from outreach.literacy.services import start_checklist
from outreach.organisations.models import Organisation
from outreach.people.models import Client, Contact, ProgrammeEnrolment
from outreach.programmes.models import Programme
from outreach.rounds.models import Round

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def n() -> int:
    return next(_seq)


# Endings fictional_phone() hands out. Tests that need a number of their own write one from
# outside these ranges (e.g. +447700900123, 555, 999), so it can never also be someone else's.
GENERATED_ENDINGS = [*range(124, 321), *range(778, 987)]


def fictional_phone() -> str:
    """A number from Ofcom's drama range: valid here, never anyone's."""
    return f"+447700900{GENERATED_ENDINGS[n() % len(GENERATED_ENDINGS)]:03d}"


def organisation(kind: OrganisationKind = OrganisationKind.OPERATOR, **kw) -> Organisation:
    org = Organisation(name=kw.pop("name", f"Organisation {n()}"), kind=kind, **kw)
    db.session.add(org)
    db.session.flush()
    return org


def user(role: Role, org: Organisation, **kw):
    from outreach.auth.models import User

    made = User(email=kw.pop("email", f"{role.value}{n()}@example.org"),
                full_name=kw.pop("full_name", f"{role.value.title()} {n()}"),
                password_hash=hash_password(kw.pop("password", PASSWORD)), role=role,
                organisation=org, session_token=secrets.token_hex(16), **kw)
    db.session.add(made)
    db.session.flush()
    return made


def token(u) -> str:
    raw, _ = tokens.issue(db.session.merge(u), "test")
    return raw


def programme(operator: Organisation, kind: ProgrammeKind = ProgrammeKind.CALL_AND_CHECK,
              **kw) -> Programme:
    made = Programme(name=kw.pop("name", f"Programme {n()}"), kind=kind,
                     operator=db.session.merge(operator),
                     timezone=kw.pop("timezone", "Europe/Jersey"), **kw)
    db.session.add(made)
    db.session.flush()
    start_checklist(made)  # as programmes.services does
    return made


def round_(prog: Programme, visitor=None, **kw) -> Round:
    visitor = db.session.merge(visitor) if visitor is not None else None
    made = Round(programme=prog, name=kw.pop("name", f"Round {n()}"), visitor=visitor, **kw)
    db.session.add(made)
    db.session.flush()
    return made


def client(prog: Programme, **kw) -> Client:
    made = Client(programme=prog, full_name=kw.pop("full_name", f"Client Person {n()}"),
                  date_of_birth=kw.pop("date_of_birth", date(1940, 5, 17)),
                  phone=kw.pop("phone", fictional_phone()),
                  address=kw.pop("address", f"{n()} Rue de Test"), **kw)
    made.enrolments.append(ProgrammeEnrolment(programme=prog))
    db.session.add(made)
    db.session.flush()
    return made


def contact(c: Client, **kw) -> Contact:
    made = Contact(client=c, name=kw.pop("name", f"Contact {n()}"),
                   relationship_to_client=kw.pop("relationship", "daughter"),
                   phone=kw.pop("phone", fictional_phone()), **kw)
    db.session.add(made)
    db.session.flush()
    return made


def consent(c: Client, purpose: ConsentPurpose = ConsentPurpose.TAKE_PART, **kw) -> Consent:
    made = Consent(client=c, purpose=purpose, given_at=kw.pop("given_at", utcnow()), **kw)
    db.session.add(made)
    db.session.flush()
    return made


@dataclass
class World:
    operator: Organisation
    other_operator: Organisation
    gp: Organisation
    food_bank: Organisation
    programme: Programme
    other_programme: Programme
    admin: object
    coordinator: object
    other_coordinator: object
    visitor: object
    other_visitor: object
    provider: object
    tutor: object
    round: Round
    client_on_round: Client
    client_off_round: Client
    foreign_client: Client

    def users(self) -> dict:
        return {"admin": self.admin, "coordinator": self.coordinator, "visitor": self.visitor,
                "provider": self.provider, "tutor": self.tutor}


def world() -> World:
    """Two operators, a GP practice, a food bank, a user of every role and a few clients."""
    operator = organisation(OrganisationKind.OPERATOR, name="Test Post Call & Check")
    other = organisation(OrganisationKind.OPERATOR, name="Other Island Post")
    gp = organisation(OrganisationKind.HEALTH, name="Test GP Practice")
    food_bank = organisation(OrganisationKind.COMMUNITY, name="Test Food Bank")
    prog = programme(operator, name="Call & Check")
    other_prog = programme(other, name="Other Call & Check")
    visitor = user(Role.VISITOR, operator)
    other_visitor = user(Role.VISITOR, operator)
    rnd = round_(prog, visitor, name="St Helier North")
    return World(
        operator=operator, other_operator=other, gp=gp, food_bank=food_bank,
        programme=prog, other_programme=other_prog,
        admin=user(Role.ADMIN, operator), coordinator=user(Role.COORDINATOR, operator),
        other_coordinator=user(Role.COORDINATOR, other), visitor=visitor,
        other_visitor=other_visitor, provider=user(Role.PROVIDER, gp),
        tutor=user(Role.TUTOR, operator), round=rnd,
        client_on_round=client(prog, round_id=rnd.id, walk_order=1),
        client_off_round=client(prog), foreign_client=client(other_prog),
    )


# --- Call & Check: plans, pauses, cover, visits, needs, appointments, prescriptions -----------


def visit_plan(c: Client, frequency: str = "daily", weekdays: str = "", **kw):
    from outreach.visits.models import VisitPlan

    made = VisitPlan(client=c, frequency=frequency, weekdays=weekdays,
                     starts_on=kw.pop("starts_on", date(2024, 1, 1)), **kw)
    db.session.add(made)
    db.session.flush()
    return made


def pause(c: Client, starts_on: date, ends_on: date, reason: str = "hospital stay"):
    from outreach.visits.models import VisitPause

    made = VisitPause(client_id=c.id, starts_on=starts_on, ends_on=ends_on, reason=reason)
    db.session.add(made)
    db.session.flush()
    return made


def cover(r: Round, visitor, starts_on: date, ends_on: date):
    from outreach.rounds.models import RoundCover

    made = RoundCover(round=r, visitor=visitor, starts_on=starts_on, ends_on=ends_on)
    db.session.add(made)
    db.session.flush()
    return made


def visit(c: Client, visitor=None, outcome: str = "seen_well", **kw):
    import uuid

    from outreach.visits.models import Visit
    from outreach.visits.schedule import local_date

    visited_at = kw.pop("visited_at", utcnow())
    made = Visit(id=kw.pop("id", str(uuid.uuid4())), client_id=c.id,
                 visitor_id=getattr(visitor, "id", None), round_id=kw.pop("round_id", c.round_id),
                 visited_at=visited_at,
                 visited_on=kw.pop("visited_on", local_date(visited_at, "Europe/Jersey")),
                 outcome=outcome, **kw)
    db.session.add(made)
    db.session.flush()
    return made


def need(c: Client, category: str = "food_or_shopping", severity: str = "soon",
         source: str = "visit", **kw):
    from outreach.needs.models import Need

    made = Need(client_id=c.id, category=category, severity=severity, source=source,
                description=kw.pop("description", "Needs help with shopping"), **kw)
    db.session.add(made)
    db.session.flush()
    return made


def appointment(c: Client, starts_at, **kw):
    from outreach.care.models import Appointment

    made = Appointment(client_id=c.id, starts_at=starts_at,
                       place=kw.pop("place", "General Hospital, outpatients"),
                       with_whom=kw.pop("with_whom", "Eye clinic"), **kw)
    db.session.add(made)
    db.session.flush()
    return made


def prescription(c: Client, pharmacy: Organisation | None = None, **kw):
    from outreach.care.models import Prescription

    made = Prescription(client_id=c.id, pharmacy_id=getattr(pharmacy, "id", None),
                        description=kw.pop("description", "Repeat prescription, 1 bag"),
                        ready_at=kw.pop("ready_at", utcnow()), **kw)
    db.session.add(made)
    db.session.flush()
    return made


# --- SMS: messages and the numbers that must not be texted ------------------------------------


def message(c: Client | None = None, direction: str = "outbound", status: str = "queued", **kw):
    """A text in the message log, about `c` (None: from or to a number we do not know)."""
    from outreach.messages.models import Message

    made = Message(direction=direction, status=status, client_id=getattr(c, "id", None),
                   programme_id=kw.pop("programme_id", getattr(c, "programme_id", None)),
                   phone=kw.pop("phone", getattr(c, "phone", None) or fictional_phone()),
                   service_number=kw.pop("service_number", "+447700900001"),
                   body=kw.pop("body", "Hello, it's Call & Check."),
                   kind=kw.pop("kind", "free_text" if direction == "outbound" else None),
                   created_at=kw.pop("created_at", utcnow()), **kw)
    db.session.add(made)
    db.session.flush()
    return made


def sms_number(phone: str, *, opted_out: bool = False, invalid: bool = False, **kw):
    """What is known about a number: opted out of texts, or not a working mobile."""
    from outreach.messages.models import SmsNumber

    now = utcnow()
    made = SmsNumber(phone=phone, opted_out_at=now if opted_out else None,
                     opt_out_source=kw.pop("opt_out_source", "replied STOP" if opted_out else ""),
                     invalid_at=now if invalid else None,
                     invalid_code=kw.pop("invalid_code", 21211 if invalid else None),
                     invalid_reason=kw.pop("invalid_reason",
                                           "Not a valid phone number." if invalid else ""),
                     **kw)
    db.session.add(made)
    db.session.flush()
    return made


# --- Escalations --------------------------------------------------------------------------


def escalation(c: Client, organisation: Organisation | None = None, *, contact=None,
               category: str = "food_or_shopping", severity: str = "soon", **kw):
    """An escalation of a new need about `c` straight to one recipient, routing rules aside
    (`need` makes the need without routing it). Its timeline starts with a `created` event.
    As routing would, it goes only where the client agreed to share: the consents are recorded
    if missing (`consent=False`: not, as if they had been withdrawn since)."""
    from outreach.enums import EscalationEventKind
    from outreach.escalations.models import Escalation, EscalationNeed
    from outreach.escalations.services import record_event
    from outreach.escalations.sla import due_times

    if kw.pop("consent", True):
        _consented(c, organisation, contact)
    made_need = kw.pop("need", None) or need(c, category, severity)
    start = kw.pop("created_at", None) or made_need.created_at
    due = due_times(made_need.severity, start, "Europe/Jersey")
    key = f"contact:{contact.id}" if contact is not None else f"org:{organisation.id}"
    made = Escalation(
        programme_id=c.programme_id, client_id=c.id, need_id=made_need.id,
        category=made_need.category, severity=made_need.severity,
        organisation_id=getattr(organisation, "id", None), contact_id=getattr(contact, "id", None),
        recipient_key=key, due_at=kw.pop("due_at", due.acknowledge_by),
        resolve_due_at=kw.pop("resolve_due_at", due.resolve_by), created_at=start,
        updated_at=start, **kw)
    db.session.add(made)
    db.session.flush()
    db.session.add(EscalationNeed(escalation_id=made.id, need_id=made_need.id))
    record_event(made, EscalationEventKind.CREATED, now=start)
    return made


def _consented(c: Client, organisation: Organisation | None, contact) -> None:
    """Record the client's consent to take part and to share with the recipient, unless given
    (the operator's own coordinators need none)."""
    from sqlalchemy import select

    def given(**match) -> bool:
        return db.session.scalar(select(Consent.id).filter_by(
            client_id=c.id, withdrawn_at=None, **match).limit(1)) is not None

    if organisation is not None and organisation.id == c.programme.operator_id:
        return
    if not given(purpose=ConsentPurpose.TAKE_PART):
        consent(c, ConsentPurpose.TAKE_PART)
    recipient = ({"organisation_id": organisation.id} if organisation is not None
                 else {"contact_id": contact.id})
    if not given(purpose=ConsentPurpose.SHARE_INFORMATION, **recipient):
        consent(c, ConsentPurpose.SHARE_INFORMATION, **recipient)
