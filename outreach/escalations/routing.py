"""Which rule a need falls under, and who that makes its recipients, consent first.

A recipient the client has not agreed to share with is replaced by the coordinator (the
programme's operator), with the reason written down; so is one that cannot be reached (no GP
practice recorded, no contact who takes alerts by text). Nothing is routed nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from outreach.consent.services import may_share_with
from outreach.db import db
from outreach.enums import NeedCategory, NeedSeverity, RecipientKind
from outreach.escalations.models import RoutingRecipient, RoutingRule
from outreach.organisations.models import Organisation
from outreach.people.models import Client, Contact
from outreach.programmes.models import Programme

C = NeedCategory
# The rules a programme starts with: (category or None for any, tier 1, tier 2).
# `food` and `transport` name organisations where the programme has them (see install_defaults).
DEFAULT_RULES: list[tuple[NeedCategory | None, list, list]] = [
    (None, [RecipientKind.COORDINATOR], []),
    (C.FALL, [RecipientKind.CONTACTS], [RecipientKind.COORDINATOR]),
    (C.NO_ANSWER, [RecipientKind.CONTACTS], [RecipientKind.COORDINATOR]),
    (C.NO_RESPONSE, [RecipientKind.CONTACTS], [RecipientKind.COORDINATOR]),
    (C.PAIN_OR_ILLNESS, [RecipientKind.GP_PRACTICE], [RecipientKind.COORDINATOR]),
    (C.MEDICATION, [RecipientKind.GP_PRACTICE], [RecipientKind.COORDINATOR]),
    (C.FOOD_OR_SHOPPING, ["food"], [RecipientKind.COORDINATOR]),
    (C.TRANSPORT, ["transport"], [RecipientKind.COORDINATOR]),
    (C.SAFEGUARDING, [RecipientKind.COORDINATOR], []),
]


@dataclass
class Target:
    """One resolved recipient: an organisation or a contact, and why it was chosen."""

    organisation: Organisation | None = None
    contact: Contact | None = None
    because: str = ""

    @property
    def key(self) -> str:
        if self.contact is not None:
            return f"contact:{self.contact.id}"
        return f"org:{self.organisation.id}"


def install_defaults(programme: Programme, *, food: Organisation | None = None,
                     transport: Organisation | None = None) -> list[RoutingRule]:
    """Give `programme` the default rule set (only if it has no rules yet)."""
    if db.session.scalar(select(RoutingRule.id).where(
            RoutingRule.programme_id == programme.id).limit(1)) is not None:
        return []
    named = {"food": food, "transport": transport}
    rules = []
    for category, first, fallback in DEFAULT_RULES:
        rule = RoutingRule(programme_id=programme.id, category=category, severity=None)
        for tier, kinds in ((1, first), (2, fallback)):
            for kind in kinds:
                if kind in named:
                    organisation = named[kind]
                    recipient = (RoutingRecipient(tier=tier, kind=RecipientKind.ORGANISATION,
                                                  organisation_id=organisation.id)
                                 if organisation is not None else
                                 RoutingRecipient(tier=tier, kind=RecipientKind.COORDINATOR))
                else:
                    recipient = RoutingRecipient(tier=tier, kind=kind)
                rule.recipients.append(recipient)
        _drop_repeats(rule)
        db.session.add(rule)
        rules.append(rule)
    db.session.flush()
    return rules


def _drop_repeats(rule: RoutingRule) -> None:
    """A coordinator-only rule (no food bank named) needs no coordinator fallback as well."""
    first = {(r.kind, r.organisation_id) for r in rule.recipients if r.tier == 1}
    rule.recipients = [r for r in rule.recipients
                       if r.tier == 1 or (r.kind, r.organisation_id) not in first]


def rule_for(programme: Programme, category: NeedCategory,
             severity: NeedSeverity) -> RoutingRule | None:
    """The most specific of the programme's rules matching category and severity."""
    rules = _matching(programme, category, severity)
    # A programme with no rules at all gets the defaults; one with rules already has the
    # catch-all, so this costs a query only the first time.
    if not rules and install_defaults(programme):
        rules = _matching(programme, category, severity)
    if not rules:
        return None
    return max(rules, key=lambda r: (r.category is not None, r.severity is not None))


def _matching(programme: Programme, category: NeedCategory,
              severity: NeedSeverity) -> list[RoutingRule]:
    """The programme's rules for the category and severity, each with its recipients joined in
    the same query (`targets` reads the chosen rule's next)."""
    return list(db.session.scalars(
        select(RoutingRule).options(joinedload(RoutingRule.recipients)).where(
            RoutingRule.programme_id == programme.id,
            (RoutingRule.category == category) | RoutingRule.category.is_(None),
            (RoutingRule.severity == severity) | RoutingRule.severity.is_(None))).unique())


def targets(rule: RoutingRule | None, tier: int, client: Client) -> list[Target]:
    """The recipients of `rule`'s tier for this client; consent and reachability checked."""
    if rule is None:
        return [coordinator(client, "No routing rule matches: the coordinator decides.")]
    found: list[Target] = []
    for recipient in rule.recipients:
        if recipient.tier == tier:
            found.extend(_resolve(recipient, client))
    return _merge(found)


def _resolve(recipient: RoutingRecipient, client: Client) -> list[Target]:
    kind = recipient.kind
    if kind == RecipientKind.COORDINATOR:
        return [coordinator(client, "")]
    if kind == RecipientKind.CONTACTS:
        return _contacts(client)
    organisation = (client.gp_practice if kind == RecipientKind.GP_PRACTICE
                    else recipient.organisation)
    if organisation is None:
        return [coordinator(client, "No GP practice is recorded for the client.")]
    if not may_share_with(client, organisation=organisation):
        return [coordinator(client, f"No consent to share with {organisation.name}.")]
    return [Target(organisation=organisation)]


def _contacts(client: Client) -> list[Target]:
    """Contacts who take alerts, may be told, and can be texted; else the coordinator."""
    from outreach.messages.numbers import why_not_text

    chosen, passed_over = [], []
    for contact in client.contacts:
        if not contact.receives_alerts:
            continue
        if not may_share_with(client, contact=contact):
            passed_over.append(f"no consent to share with {contact.name}")
        elif why_not_text(contact.phone) is not None:
            passed_over.append(f"{contact.name} cannot be texted")
        else:
            chosen.append(Target(contact=contact))
    if chosen:
        return chosen
    why = "; ".join(passed_over) or "no designated contact takes alerts"
    return [coordinator(client, f"No contact could be told ({why}).")]


def coordinator(client: Client, because: str) -> Target:
    """The programme's own staff: the operator organisation."""
    return Target(organisation=client.programme.operator, because=because)


def _merge(found: list[Target]) -> list[Target]:
    """One target per recipient, with every reason it was chosen."""
    merged: dict[str, Target] = {}
    for target in found:
        if target.key in merged:
            reasons = [r for r in (merged[target.key].because, target.because) if r]
            merged[target.key].because = " ".join(dict.fromkeys(reasons))
        else:
            merged[target.key] = target
    return list(merged.values())
