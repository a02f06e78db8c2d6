"""The routing-rules editor: each programme's rules, and forms to add, change and delete them,
all through `outreach.escalations.rules` (which checks the coordinator runs the programme)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from outreach.auth import access
from outreach.db import db
from outreach.enums import NeedCategory, NeedSeverity, OrganisationKind, RecipientKind
from outreach.errors import APIError, Conflict, Forbidden, NotFound
from outreach.escalations import rules
from outreach.escalations.models import RoutingRecipient, RoutingRule
from outreach.escalations.rule_forms import RuleFormIn, recipient_value, split_minutes
from outreach.escalations.sla import DEFAULTS, describe
from outreach.escalations.views.overview import managers_only
from outreach.escalations.words import CATEGORY, SEVERITY
from outreach.organisations.models import Organisation
from outreach.programmes.models import Programme
from outreach.web.forms import form_data, refusal_errors, validate_form

bp = Blueprint("routing", __name__)
RECIPIENT_WORDS = {
    RecipientKind.COORDINATOR: "The coordinator",
    RecipientKind.GP_PRACTICE: "The client's GP practice",
    RecipientKind.CONTACTS: "The client's designated contacts",
}
UNIT_CHOICES = [("minutes", "minutes"), ("hours", "hours"), ("days", "days")]


@bp.before_request
@login_required
def _require_login():
    g.via = "web"


def _managed_programme(programme_id: int) -> Programme:
    """A programme whose routing the current user may change (404 if none, 403 if not theirs)."""
    managers_only()
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise NotFound("No such programme.")
    if not access.can_manage_programme(current_user, programme):
        raise Forbidden("Only the programme's coordinators can change its routing.")
    return programme


def _rule_in(programme: Programme, rule_id: int) -> RoutingRule:
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None or rule.programme_id != programme.id:
        raise NotFound("No such routing rule in this programme.")
    return rule


def _recipient_words(recipient: RoutingRecipient) -> str:
    if recipient.kind == RecipientKind.ORGANISATION:
        return recipient.organisation.name if recipient.organisation else "An organisation"
    return RECIPIENT_WORDS[recipient.kind]


def _sla_words(minutes: int | None, severity: NeedSeverity | None, which: int) -> str:
    """A rule's time to acknowledge (which=0) or resolve (1), with the defaults when blank."""
    if minutes is not None:
        return f"within {describe(minutes)}"
    if severity is not None:
        return f"within {describe(DEFAULTS[severity][which])} (the default)"
    return "the default: " + ", ".join(
        f"{describe(DEFAULTS[s][which])} if {SEVERITY[s].lower()}" for s in NeedSeverity)


@dataclass
class RuleRow:
    """A routing rule in the words the rules table uses."""

    rule: RoutingRule
    category: str
    severity: str
    first: list[str]
    fallback: list[str]
    acknowledge: str
    resolve: str


def _rule_row(rule: RoutingRule) -> RuleRow:
    return RuleRow(
        rule=rule,
        category=CATEGORY[rule.category] if rule.category else "Any concern",
        severity=SEVERITY[rule.severity] if rule.severity else "Any urgency",
        first=[_recipient_words(r) for r in rule.recipients if r.tier == 1],
        fallback=[_recipient_words(r) for r in rule.recipients if r.tier == 2],
        acknowledge=_sla_words(rule.acknowledge_minutes, rule.severity, 0),
        resolve=_sla_words(rule.resolve_minutes, rule.severity, 1))


@bp.get("/programmes/<int:programme_id>/routing")
def rules_page(programme_id: int):
    """The programme's routing rules: who hears of each kind of concern, and how fast."""
    programme = _managed_programme(programme_id)
    found = rules.rules_of(current_user, programme)  # a programme without rules gets the defaults
    return render_template("routing/index.html", programme=programme,
                           rows=[_rule_row(r) for r in found])


def _recipient_choices() -> list[tuple[str, str]]:
    """What a rule may name: roles filled for each client, then health and community bodies."""
    organisations = db.session.scalars(select(Organisation).where(
        Organisation.kind.in_((OrganisationKind.HEALTH, OrganisationKind.COMMUNITY)))
        .order_by(Organisation.name, Organisation.id)).all()
    return ([(kind.value, words) for kind, words in RECIPIENT_WORDS.items()]
            + [(recipient_value(RecipientKind.ORGANISATION, o.id), o.name)
               for o in organisations])


def _values_of(rule: RoutingRule) -> MultiDict:
    acknowledge, acknowledge_unit = split_minutes(rule.acknowledge_minutes)
    resolve, resolve_unit = split_minutes(rule.resolve_minutes)
    values = MultiDict({
        "category": rule.category.value if rule.category else "",
        "severity": rule.severity.value if rule.severity else "",
        "acknowledge_within": acknowledge, "acknowledge_unit": acknowledge_unit,
        "resolve_within": resolve, "resolve_unit": resolve_unit if resolve else "days",
        "note": rule.note})
    for recipient in rule.recipients:
        values.add("told_first" if recipient.tier == 1 else "fallback",
                   recipient_value(recipient.kind, recipient.organisation_id))
    return values


def _render_form(programme: Programme, rule: RoutingRule | None, values, errors: dict,
                 status: int = 200):
    return render_template(
        "routing/form.html", programme=programme, rule=rule, values=values, errors=errors,
        recipients=_recipient_choices(), units=UNIT_CHOICES,
        categories=[(c.value, CATEGORY[c]) for c in NeedCategory],
        severities=[(s.value, SEVERITY[s]) for s in NeedSeverity]), status


def _save(programme: Programme, rule: RoutingRule | None):
    """Check the submitted form and create or change the rule; errors re-show the form."""
    choices = {int(value[4:]) for value, _ in _recipient_choices() if value.startswith("org:")}
    schema = RuleFormIn(organisations=choices)
    data, errors = validate_form(schema, form_data(schema, request.form,
                                                   lists=("told_first", "fallback")))
    status = 422
    if not errors:
        data["programme_id"] = programme.id
        try:
            if rule is None:
                rules.create_rule(current_user, data)
            else:
                rules.replace_rule(current_user, rule, data)
        except Conflict as exc:  # a rule for this category and severity exists already
            errors, status = {"_schema": exc.message}, 409
        except (NotFound, Forbidden):
            raise
        except APIError as exc:
            errors = refusal_errors(exc)
    if errors:
        db.session.rollback()
        rule = _rule_in(programme, rule.id) if rule is not None else None
        return _render_form(programme, rule, request.form, errors, status)
    flash("Routing rule saved. New concerns follow it from now on; escalations already made "
          "keep their recipients.", "success")
    return redirect(url_for("escalations.routing.rules_page", programme_id=programme.id))


@bp.route("/programmes/<int:programme_id>/routing/new", methods=["GET", "POST"])
def new_rule(programme_id: int):
    """Add a routing rule to the programme."""
    programme = _managed_programme(programme_id)
    if request.method == "POST":
        return _save(programme, None)
    return _render_form(programme, None, MultiDict({"acknowledge_unit": "hours",
                                                    "resolve_unit": "days"}), {})


@bp.route("/programmes/<int:programme_id>/routing/<int:rule_id>", methods=["GET", "POST"])
def edit_rule(programme_id: int, rule_id: int):
    """Change one of the programme's routing rules."""
    programme = _managed_programme(programme_id)
    rule = _rule_in(programme, rule_id)
    if request.method == "POST":
        return _save(programme, rule)
    return _render_form(programme, rule, _values_of(rule), {})


@bp.post("/programmes/<int:programme_id>/routing/<int:rule_id>/delete")
def delete_rule(programme_id: int, rule_id: int):
    """Delete a routing rule; pressing Delete twice is harmless."""
    programme = _managed_programme(programme_id)
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None:
        flash("That rule was already deleted.", "success")
        return redirect(url_for("escalations.routing.rules_page", programme_id=programme.id))
    rule = _rule_in(programme, rule_id)
    others = db.session.scalar(select(func.count(RoutingRule.id)).where(
        RoutingRule.programme_id == programme.id, RoutingRule.id != rule.id))
    if not others:
        # With no rules at all, the programme would silently get the default set back.
        flash("A programme keeps at least one rule: change this one instead.", "error")
        return redirect(url_for("escalations.routing.rules_page", programme_id=programme.id))
    rules.delete_rule(current_user, rule)
    flash("Routing rule deleted.", "success")
    return redirect(url_for("escalations.routing.rules_page", programme_id=programme.id))
