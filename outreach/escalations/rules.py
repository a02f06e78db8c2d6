"""Coordinators edit their programmes' routing rules; each change is audited."""

from __future__ import annotations

from sqlalchemy import Select, select

from outreach.audit.services import record
from outreach.auth import access
from outreach.auth.models import User
from outreach.db import db
from outreach.enums import NeedCategory, NeedSeverity, RecipientKind
from outreach.errors import Conflict, Forbidden, NotFound, ValidationFailed
from outreach.escalations.models import RoutingRecipient, RoutingRule
from outreach.escalations.routing import install_defaults
from outreach.organisations.models import Organisation
from outreach.programmes.models import Programme


def visible_rules(actor: User, programme_id: int | None = None) -> Select:
    """Rules of the programmes `actor` runs (all, for admins)."""
    query = (select(RoutingRule).join(Programme, Programme.id == RoutingRule.programme_id)
             .where(access.programme_filter(actor)))
    if programme_id is not None:
        programme = _programme(actor, programme_id)
        install_defaults(programme)
        query = query.where(RoutingRule.programme_id == programme_id)
    return query


def rules_of(actor: User, programme: Programme) -> list[RoutingRule]:
    """A programme's rules, the catch-all first, then by category and severity."""
    install_defaults(_programme(actor, programme.id))
    found = db.session.scalars(select(RoutingRule).where(
        RoutingRule.programme_id == programme.id)).all()
    return sorted(found, key=lambda r: (r.category is not None, r.category or "",
                                        r.severity is not None, r.severity or ""))


def get_rule(actor: User, rule_id: int) -> RoutingRule:
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound("No such routing rule.")
    _programme(actor, rule.programme_id)
    return rule


def create_rule(actor: User, data: dict) -> RoutingRule:
    """Add a rule to a programme the actor runs; one rule per category and severity."""
    programme = _programme(actor, data["programme_id"])
    install_defaults(programme)
    rule = RoutingRule(programme_id=programme.id)
    _fill(rule, data)
    db.session.add(rule)
    db.session.flush()
    record(actor, "routing_rule.create", subject=rule, detail=_summary(rule))
    return rule


def replace_rule(actor: User, rule: RoutingRule, data: dict) -> RoutingRule:
    if data["programme_id"] != rule.programme_id:
        raise ValidationFailed("A rule stays with its programme; add a new one instead.",
                               fields={"programme_id": ["Cannot change."]})
    _fill(rule, data)
    db.session.flush()
    record(actor, "routing_rule.change", subject=rule, detail=_summary(rule))
    return rule


def delete_rule(actor: User, rule: RoutingRule) -> None:
    record(actor, "routing_rule.delete", subject=rule, detail=_summary(rule))
    db.session.delete(rule)
    db.session.flush()


def _programme(actor: User, programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise ValidationFailed("No such programme.", fields={"programme_id": ["Unknown."]})
    if not access.can_manage_programme(actor, programme):
        raise Forbidden("Only the programme's coordinators can change its routing.")
    return programme


def _fill(rule: RoutingRule, data: dict) -> None:
    category = NeedCategory(data["category"]) if data.get("category") else None
    severity = NeedSeverity(data["severity"]) if data.get("severity") else None
    clash = db.session.scalar(select(RoutingRule.id).where(
        RoutingRule.programme_id == rule.programme_id,
        RoutingRule.category.is_(None) if category is None else RoutingRule.category == category,
        RoutingRule.severity.is_(None) if severity is None else RoutingRule.severity == severity,
        RoutingRule.id != (rule.id or 0)))
    if clash is not None:
        raise Conflict("The programme already has a rule for this category and severity; "
                       "change that one.")
    recipients = []
    for tier, key in ((1, "recipients"), (2, "fallback")):
        seen = set()
        for given in data.get(key) or []:
            kind = RecipientKind(given["kind"])
            organisation_id = given.get("organisation_id")
            if organisation_id is not None and db.session.get(Organisation,
                                                              organisation_id) is None:
                raise ValidationFailed("No such organisation.",
                                       fields={key: ["Names an unknown organisation."]})
            if (kind, organisation_id) in seen:
                continue
            seen.add((kind, organisation_id))
            recipients.append(RoutingRecipient(tier=tier, kind=kind,
                                               organisation_id=organisation_id))
    rule.category, rule.severity = category, severity
    rule.acknowledge_minutes = data.get("acknowledge_minutes")
    rule.resolve_minutes = data.get("resolve_minutes")
    rule.note = data.get("note", "")
    rule.recipients = recipients


def _summary(rule: RoutingRule) -> dict:
    return {"programme_id": rule.programme_id,
            "category": rule.category.value if rule.category else None,
            "severity": rule.severity.value if rule.severity else None,
            "recipients": [f"{r.tier}:{r.kind.value}:{r.organisation_id or ''}"
                           for r in rule.recipients]}
