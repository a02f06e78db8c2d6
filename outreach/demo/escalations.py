"""The demo's escalations: the default routing rules with the demo's food bank and transport
charity, share consents for them, and the recent concerns routed and taken through their life
by the real services, each step at the time it would have happened.

Older concerns were resolved by whoever received them (with an outcome and a rating); recent
ones are acknowledged or still open; the SLA watch then runs as of now, so the coordinator's
overview shows some passed on and overdue in red.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from outreach.auth.models import User
from outreach.consent.services import may_share_with, record_consent
from outreach.db import clock_setting, db, set_clock, utcnow
from outreach.demo import data
from outreach.enums import ConsentPurpose, EnrolmentStatus, EscalationOutcome, NeedStatus
from outreach.escalations import feed, services
from outreach.escalations.jobs import watch_slas
from outreach.escalations.models import Escalation
from outreach.escalations.routing import install_defaults
from outreach.needs.models import Need
from outreach.organisations.models import Organisation
from outreach.people.models import Client, ProgrammeEnrolment
from outreach.programmes.models import Programme

SEED = 5
DOMAIN = "demo.example.org"
# What each kind of recipient wrote when it closed an older concern.
OUTCOMES = {
    "food_or_shopping": (EscalationOutcome.HELPED, "Food parcel delivered; weekly shop booked."),
    "transport": (EscalationOutcome.HELPED, "Lift booked for the clinic appointment."),
    "pain_or_illness": (EscalationOutcome.HELPED, "Seen by the practice nurse."),
    "fall": (EscalationOutcome.ALREADY_IN_HAND, "Daughter called round; no injury."),
}
DEFAULT_OUTCOME = (EscalationOutcome.HELPED, "Called and arranged what was needed.")

# More concerns, told by text or on the web form or seen at the door over the last days, so
# each partner's queue has something in it: (days ago, hour, category, severity, source, what
# was said, how far it went: open, acknowledged or resolved).
TOLD = [
    (9, 10, "medication", "soon", "sms", "Ran out of my heart tablets", "resolved"),
    (8, 15, "food_or_shopping", "soon", "web", "No shopping since my daughter went away",
     "resolved"),
    (6, 11, "pain_or_illness", "routine", "visit", "Knee worse on the stairs", "resolved"),
    (4, 9, "transport", "routine", "web", "Need a lift to the hospital on Friday", "open"),
    (3, 16, "money", "routine", "sms", "Worried about the electricity bill", "acknowledged"),
    (2, 10, "medication", "soon", "visit", "Confused about which tablets to take", "open"),
    (1, 14, "food_or_shopping", "urgent", "sms", "Nothing in the house to eat", "acknowledged"),
    (1, 9, "home_or_heating", "soon", "web", "Boiler broken again", "open"),
    (0, 8, "pain_or_illness", "urgent", "sms", "Bad chest pain since last night", "open"),
    (0, 9, "food_or_shopping", "soon", "visit", "Fridge empty, daughter away", "open"),
]


def seed(programme: Programme) -> dict[str, int]:
    """Route the demo programme's needs and play their escalations forward to now."""
    rng = random.Random(SEED)  # noqa: S311 - a repeatable demo, not a secret  # nosec B311
    orgs = {key: db.session.scalar(select(Organisation).where(Organisation.name == name))
            for key, (name, *_) in data.ORGANISATIONS.items()}
    install_defaults(programme, food=orgs["food_bank"], transport=orgs["transport"])
    # Only the clients still enrolled: former ones (demo_history) have no plans or queues.
    clients = db.session.scalars(select(Client).where(
        Client.programme_id == programme.id, Client.enrolments.any(
            (ProgrammeEnrolment.programme_id == programme.id)
            & (ProgrammeEnrolment.status == EnrolmentStatus.ACTIVE))).order_by(Client.id)).all()
    _share_with_partners(rng, clients, orgs)
    staff = {user.organisation_id: user for user in db.session.scalars(
        select(User).where(User.email.in_([f"{local}@{DOMAIN}" for local in
                                           ("coordinator", "gp", "foodbank")])))}
    now = utcnow()
    needs = db.session.scalars(select(Need).join(Client).where(
        Client.programme_id == programme.id).order_by(Need.created_at, Need.id)).all()
    made = 0
    fixed = clock_setting()  # the demo may be loaded "as of" a fixed time: put it back after
    try:
        for need in needs:
            set_clock(need.created_at)
            fate = "resolved" if need.status == NeedStatus.RESOLVED else (
                "acknowledged" if rng.random() < 0.5 else "open")
            made += _play(rng, need, services.route_need(need), fate, staff, now)
        for need, fate in _told(rng, clients, now):
            made += _play(rng, need, _escalations_of(need), fate, staff, now)
    finally:
        set_clock(fixed)
    watch_slas(now)
    db.session.flush()
    return {"routing rules": len(programme_rules(programme)), "escalations": made}


def programme_rules(programme: Programme) -> list:
    from outreach.escalations.models import RoutingRule

    return db.session.scalars(select(RoutingRule).where(
        RoutingRule.programme_id == programme.id)).all()


def _share_with_partners(rng: random.Random, clients, orgs: dict) -> None:
    """Most clients agreed to share with the food bank and the transport charity too."""
    for client in clients:
        given = client.enrolments[0].enrolled_at
        for key in ("food_bank", "transport"):
            if rng.random() < 0.8 and not may_share_with(client, organisation=orgs[key]):
                record_consent(None, client, {"purpose": ConsentPurpose.SHARE_INFORMATION,
                                              "organisation_id": orgs[key].id,
                                              "given_at": given})


def _told(rng: random.Random, clients, now: datetime) -> list[tuple[Need, str]]:
    """Raise the TOLD concerns through the needs service (which routes them) at their times."""
    from zoneinfo import ZoneInfo

    from outreach.needs.services import create_need

    zone = ZoneInfo("Europe/Jersey")
    today = now.astimezone(zone).date()
    raised = []
    for days_ago, hour, category, severity, source, said, fate in TOLD:
        when = datetime.combine(today - timedelta(days=days_ago),
                                datetime.min.time().replace(hour=hour), tzinfo=zone)
        when = min(when, now - timedelta(minutes=30))
        set_clock(when)
        need = create_need(None, rng.choice(clients), category, severity, said, source)
        need.created_at = need.updated_at = when
        if fate == "resolved":
            need.resolved_at = when + timedelta(days=rng.randint(1, 3))
        raised.append((need, fate))
    return raised


def _escalations_of(need: Need) -> list[Escalation]:
    return list(db.session.scalars(select(Escalation).where(Escalation.need_id == need.id)
                                   .order_by(Escalation.id)))


def _play(rng: random.Random, need: Need, escalations: list[Escalation], fate: str,
          staff: dict, now: datetime) -> int:
    """Take a routed need's escalations as far as they went: open, acknowledged, resolved."""
    resolved_at = need.resolved_at
    for escalation in escalations:
        actor = staff.get(escalation.organisation_id)
        if escalation.contact_id is not None:
            set_clock(need.created_at + timedelta(minutes=rng.randint(5, 40)))
            services.acknowledge(None, escalation, "Replied OK", contact=escalation.contact,
                                 via="sms")
            continue
        if actor is None:
            continue  # an organisation with no demo login: left for the coordinator to chase
        if fate == "resolved":
            set_clock(need.created_at + timedelta(hours=rng.randint(1, 5)))
            services.acknowledge(actor, escalation, "")
            set_clock(min(resolved_at or now, now))
            outcome, note = OUTCOMES.get(need.category.value, DEFAULT_OUTCOME)
            services.resolve(actor, escalation, outcome.value, note=note,
                             usefulness=rng.randint(3, 5) if actor.role == "provider" else None)
        elif fate == "acknowledged":
            set_clock(need.created_at + timedelta(minutes=rng.randint(20, 50)))
            services.acknowledge(actor, escalation, "Will call her this afternoon.")
    return len(escalations)


def place_in_feed() -> int:
    """Give the seeded events their feed positions (a request or tick would, after commit)."""
    return feed.assign_positions()
