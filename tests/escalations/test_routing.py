"""Routing: every category × severity × consent state goes where the default rules say, and
nowhere the client has not agreed to; rules the coordinator adds take precedence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from outreach.consent.models import Consent
from outreach.consent.services import withdraw
from outreach.db import db, utcnow
from outreach.enums import ConsentPurpose, NeedCategory, NeedSeverity, RecipientKind
from outreach.escalations.models import Escalation, RoutingRecipient, RoutingRule
from outreach.needs.services import create_need
from outreach.people.models import Client
from outreach.visits.schedule import SYSTEM_CATEGORIES
from tests import factories
from tests.escalations.conftest import make_setting

C = NeedCategory
# Written out here rather than read from the code: the defaults as the issue states them.
TO_CONTACTS = {C.FALL, C.NO_ANSWER, C.NO_RESPONSE}
TO_GP = {C.PAIN_OR_ILLNESS, C.MEDICATION}
TO_NAMED = {C.FOOD_OR_SHOPPING: "food_bank", C.TRANSPORT: "transport"}
CONSENT_STATES = ("shared", "not_shared", "withdrawn", "not_taking_part")
ACKNOWLEDGE_WITHIN = {NeedSeverity.URGENT: timedelta(hours=1),
                      NeedSeverity.SOON: timedelta(days=1),
                      NeedSeverity.ROUTINE: timedelta(days=3)}


def _consent(setting, state: str) -> None:
    if state == "not_shared":
        return
    setting.share_with_everyone()
    if state == "withdrawn":
        for consent in db.session.scalars(select(Consent).where(
                Consent.client_id == setting.mary.id,
                Consent.purpose == ConsentPurpose.SHARE_INFORMATION)):
            withdraw(None, consent, "changed her mind")
    if state == "not_taking_part":
        take_part = db.session.scalar(select(Consent).where(
            Consent.client_id == setting.mary.id, Consent.purpose == ConsentPurpose.TAKE_PART))
        withdraw(None, take_part, "left the scheme")


def _expected(setting, category: NeedCategory, shared: bool) -> tuple[str, str]:
    """(recipient key, a word the reason must contain, or "" when no reason is due)."""
    operator = f"org:{setting.operator.id}"
    if category in TO_CONTACTS:
        return ((f"contact:{setting.daughter.id}", "") if shared
                else (operator, "no consent to share with Sarah Le Brun"))
    if category in TO_GP:
        return ((f"org:{setting.gp.id}", "") if shared
                else (operator, "No consent to share with Cheapside Surgery"))
    if category in TO_NAMED:
        named = getattr(setting, TO_NAMED[category])
        return (f"org:{named.id}", "") if shared else (operator, f"No consent to share with "
                                                                 f"{named.name}")
    return operator, ""


@pytest.mark.parametrize("state", CONSENT_STATES)
@pytest.mark.parametrize("severity", list(NeedSeverity))
@pytest.mark.parametrize("category", list(NeedCategory))
def test_routing_table(ctx, category, severity, state):
    setting = make_setting()
    _consent(setting, state)
    source = "system" if category in SYSTEM_CATEGORIES else "visit"
    before = utcnow()
    need = create_need(None, setting.mary, category, severity, "Reported", source)
    [escalation] = db.session.scalars(select(Escalation).where(Escalation.need_id == need.id))
    key, reason = _expected(setting, category, shared=state == "shared")
    assert escalation.recipient_key == key
    assert escalation.tier == 1 and escalation.status == "open"
    assert reason in escalation.routed_because
    if not reason:
        assert escalation.routed_because == ""
    took = escalation.due_at - escalation.created_at
    assert took == ACKNOWLEDGE_WITHIN[severity]
    assert escalation.resolve_due_at >= escalation.due_at
    assert escalation.created_at >= before
    # A contact is texted the alert at once (reply OK); an organisation reads its queue.
    texted = escalation.contact_id is not None
    assert [e.kind for e in escalation.events] == ["created"] + (["message"] if texted else [])


def test_a_client_with_no_gp_practice_goes_to_the_coordinator_saying_so(ctx):
    setting = make_setting()
    setting.share_with_everyone()
    setting.mary.gp_practice_id = None
    need = create_need(None, setting.mary, "medication", "soon", "Ran out", "visit")
    [escalation] = db.session.scalars(select(Escalation).where(Escalation.need_id == need.id))
    assert escalation.organisation_id == setting.operator.id
    assert escalation.routed_because == "No GP practice is recorded for the client."


def test_every_contact_who_may_be_told_gets_one_and_the_others_are_passed_over(ctx):
    setting = make_setting()
    setting.share_with_everyone()
    son = factories.contact(setting.mary, name="Paul Le Brun", receives_alerts=True)
    factories.consent(setting.mary, ConsentPurpose.SHARE_INFORMATION, contact_id=son.id)
    reports_only = factories.contact(setting.mary, receives_alerts=False,
                                     receives_visit_reports=True)
    factories.consent(setting.mary, ConsentPurpose.SHARE_INFORMATION,
                      contact_id=reports_only.id)
    no_phone = factories.contact(setting.mary, name="Jo Pallot", receives_alerts=True, phone=None)
    factories.consent(setting.mary, ConsentPurpose.SHARE_INFORMATION, contact_id=no_phone.id)
    need = create_need(None, setting.mary, "fall", "urgent", "On the floor", "visit")
    found = db.session.scalars(select(Escalation.contact_id).where(
        Escalation.need_id == need.id)).all()
    assert sorted(found) == sorted([setting.daughter.id, son.id])


def test_a_rule_for_one_severity_beats_the_rule_for_any(ctx):
    setting = make_setting()
    setting.share_with_everyone()
    urgent_food = RoutingRule(programme_id=setting.programme.id, category=C.FOOD_OR_SHOPPING,
                              severity=NeedSeverity.URGENT, acknowledge_minutes=15,
                              resolve_minutes=120)
    urgent_food.recipients.append(RoutingRecipient(tier=1, kind=RecipientKind.COORDINATOR))
    db.session.add(urgent_food)
    db.session.flush()
    urgent = create_need(None, setting.mary, "food_or_shopping", "urgent", "Nothing", "visit")
    routine = create_need(None, setting.mary, "food_or_shopping", "routine", "Low", "visit")
    [first] = db.session.scalars(select(Escalation).where(Escalation.need_id == urgent.id))
    [second] = db.session.scalars(select(Escalation).where(Escalation.need_id == routine.id))
    assert first.organisation_id == setting.operator.id and first.rule_id == urgent_food.id
    assert first.due_at - first.created_at == timedelta(minutes=15)
    assert first.resolve_due_at - first.created_at == timedelta(minutes=120)
    assert second.organisation_id == setting.food_bank.id


def test_a_programme_without_rules_gets_the_defaults_on_its_first_need(ctx):
    operator = factories.organisation(name="New Post")
    programme = factories.programme(operator)
    client = factories.client(programme)
    factories.consent(client, ConsentPurpose.TAKE_PART)
    create_need(None, client, "food_or_shopping", "soon", "Low on food", "visit")
    rules = db.session.scalars(select(RoutingRule).where(
        RoutingRule.programme_id == programme.id)).all()
    assert len(rules) == 9
    food = next(r for r in rules if r.category == C.FOOD_OR_SHOPPING)
    # No food bank named for this programme: the coordinator takes food, with no repeat
    # fallback to the same coordinator.
    assert [(r.tier, r.kind) for r in food.recipients] == [(1, RecipientKind.COORDINATOR)]
    [escalation] = db.session.scalars(select(Escalation).where(
        Escalation.client_id == client.id))
    assert escalation.organisation_id == operator.id



def test_a_programme_whose_rules_do_not_match_goes_to_the_coordinator(ctx):
    operator = factories.organisation(name="Own Rules")
    programme = factories.programme(operator)
    client = factories.client(programme)
    factories.consent(client, ConsentPurpose.TAKE_PART)
    falls = RoutingRule(programme_id=programme.id, category=C.FALL, severity=None)
    falls.recipients.append(RoutingRecipient(tier=1, kind=RecipientKind.COORDINATOR))
    db.session.add(falls)
    db.session.flush()
    create_need(None, client, "food_or_shopping", "soon", "Low on food", "visit")
    # Its own rules stand: no defaults are added beside them.
    assert db.session.scalars(select(RoutingRule.id).where(
        RoutingRule.programme_id == programme.id)).all() == [falls.id]
    [escalation] = db.session.scalars(select(Escalation).where(
        Escalation.client_id == client.id))
    assert escalation.organisation_id == operator.id and escalation.rule_id is None
    assert "No routing rule matches" in escalation.routed_because

def test_a_shared_phone_routes_for_each_client_separately(ctx):
    setting = make_setting()
    husband = factories.client(setting.programme, full_name="John Le Brun",
                               phone=setting.mary.phone)
    factories.consent(husband, ConsentPurpose.TAKE_PART)
    factories.consent(husband, ConsentPurpose.SHARE_INFORMATION,
                      organisation_id=setting.food_bank.id)
    for person in (setting.mary, husband):
        create_need(None, db.session.get(Client, person.id), "food_or_shopping", "soon",
                    "Fridge empty", "sms")
    keys = dict(db.session.execute(select(Escalation.client_id, Escalation.recipient_key))
                .tuples().all())
    # Mary has not agreed to share with the food bank; her husband has.
    assert keys == {setting.mary.id: f"org:{setting.operator.id}",
                    husband.id: f"org:{setting.food_bank.id}"}
