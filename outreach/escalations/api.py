"""API: escalations (the recipients' queue and pull feed) and routing rules."""

from outreach.api import Blueprint, Page, paginate
from outreach.api.pagination import page_size
from outreach.audit.services import record_listing
from outreach.db import utcnow
from outreach.enums import Role
from outreach.errors import Forbidden
from outreach.escalations import disclosure, feed, feed_api, queries, rules, services, webhook_api
from outreach.escalations.access import get_escalation
from outreach.escalations.models import Escalation, RoutingRule
from outreach.escalations.schemas import (
    EscalationDetailOut,
    EscalationEventOut,
    EscalationOut,
    EscalationQuery,
    FeedItemOut,
    NoteIn,
    OptionalNoteIn,
    ReassignIn,
    ResolveIn,
    RoutingRuleIn,
    RoutingRuleOut,
    RoutingRuleQuery,
)

READERS = (Role.ADMIN, Role.COORDINATOR, Role.PROVIDER)
MANAGERS = (Role.ADMIN, Role.COORDINATOR)


blp = Blueprint("escalations_api", __name__)


@blp.operation("/escalations", summary="List escalations, or read the event feed",
               tag="escalations", query=EscalationQuery, response=EscalationOut,
               alternatives=[FeedItemOut], many=True, roles=READERS)
def list_escalations(user, params):
    """Escalations the caller may see (a provider: its organisation's), filtered.

    With `since`, the pull feed instead: every event on the caller's organisation's escalations
    after that cursor, in order, each with its escalation. Store `next_cursor` and send it as
    `since` next time; it is always given, and no event is ever skipped or repeated.
    """
    since = params.pop("since")
    if since is not None:
        wanted = params["organisation_id"]
        if user.role != Role.ADMIN and wanted not in (None, user.organisation_id):
            # As the Atom feed: naming another organisation's feed is refused, not ignored.
            raise Forbidden("You can read your own organisation's feed only.")
        scope = feed.feed_scope(user, wanted)
        page = feed.read(scope, since, page_size())
        shown = disclosure.shown_clients([e.escalation for e in page.items])
        record_listing(user, shown.values(), purpose="escalation_feed")
        return Page(page.items, page.next_cursor, schema=FeedItemOut)
    params.pop("cursor"), params.pop("limit")
    result = paginate(queries.visible(user, now=utcnow(), **params)
                      .options(*queries.WITH_SUMMARY), Escalation.id)
    record_listing(user, disclosure.shown_clients(result.items).values(), purpose="escalations")
    return result


@blp.operation("/escalations/<int:escalation_id>", summary="One escalation with its timeline",
               tag="escalations", response=EscalationDetailOut, roles=READERS)
def get_one(user, escalation_id):
    """An escalation the caller may see, with every event of its timeline."""
    return get_escalation(user, escalation_id)


@blp.operation("/escalations/<int:escalation_id>/acknowledge", method="POST",
               summary="Acknowledge (take ownership)", tag="escalations", body=OptionalNoteIn,
               response=EscalationOut, roles=READERS)
def acknowledge(user, escalation_id, data):
    """Take ownership; acknowledging twice is harmless."""
    escalation = get_escalation(user, escalation_id, purpose="acknowledge")
    return services.acknowledge(user, escalation, data["note"])


@blp.operation("/escalations/<int:escalation_id>/notes", method="POST", summary="Add a note",
               tag="escalations", body=NoteIn, response=EscalationEventOut, status=201,
               roles=READERS)
def add_note(user, escalation_id, data):
    """Add a note to the escalation's timeline."""
    escalation = get_escalation(user, escalation_id, purpose="note")
    return services.add_note(user, escalation, data["note"])


@blp.operation("/escalations/<int:escalation_id>/resolve", method="POST", summary="Resolve",
               tag="escalations", body=ResolveIn, response=EscalationOut, roles=READERS)
def resolve(user, escalation_id, data):
    """Close with an outcome; a provider also rates how useful the referral was (1 to 5)."""
    escalation = get_escalation(user, escalation_id, purpose="resolve")
    return services.resolve(user, escalation, data["outcome"], usefulness=data["usefulness"],
                            note=data["note"])


@blp.operation("/escalations/<int:escalation_id>/hand-back", method="POST",
               summary="Hand back to the coordinator", tag="escalations", body=NoteIn,
               response=EscalationOut, roles=(Role.PROVIDER,))
def hand_back(user, escalation_id, data):
    """Give it back to the programme's coordinator, saying why; answers the new escalation."""
    escalation = get_escalation(user, escalation_id, purpose="hand_back")
    return services.hand_back(user, escalation, data["note"])


@blp.operation("/escalations/<int:escalation_id>/reassign", method="POST", summary="Reassign",
               tag="escalations", body=ReassignIn, response=EscalationOut, roles=MANAGERS)
def reassign(user, escalation_id, data):
    """Send it to another organisation or contact (consent must allow); answers the new one."""
    escalation = get_escalation(user, escalation_id, purpose="reassign")
    return services.reassign(user, escalation, organisation_id=data["organisation_id"],
                             contact_id=data["contact_id"], note=data["note"])


@blp.operation("/escalations/<int:escalation_id>/reopen", method="POST", summary="Reopen",
               tag="escalations", body=NoteIn, response=EscalationOut, roles=MANAGERS)
def reopen(user, escalation_id, data):
    """Reopen a resolved escalation with the same recipient, saying why."""
    escalation = get_escalation(user, escalation_id, purpose="reopen")
    return services.reopen(user, escalation, data["note"])


# --- Routing rules ------------------------------------------------------------------------


@blp.operation("/routing-rules", summary="List routing rules", tag="routing-rules",
               query=RoutingRuleQuery, response=RoutingRuleOut, many=True, roles=MANAGERS)
def list_rules(user, params):
    """The routing rules of the caller's programmes (one programme with programme_id)."""
    return paginate(rules.visible_rules(user, params["programme_id"]), RoutingRule.id)


@blp.operation("/routing-rules", method="POST", summary="Add a routing rule", tag="routing-rules",
               body=RoutingRuleIn, response=RoutingRuleOut, status=201, roles=MANAGERS)
def create_rule(user, data):
    """Add a rule: category and severity (blank: any) → recipients, fallback and SLA."""
    return rules.create_rule(user, data)


@blp.operation("/routing-rules/<int:rule_id>", summary="One routing rule", tag="routing-rules",
               response=RoutingRuleOut, roles=MANAGERS)
def get_rule(user, rule_id):
    """A rule of one of the caller's programmes."""
    return rules.get_rule(user, rule_id)


@blp.operation("/routing-rules/<int:rule_id>", method="PUT", summary="Replace a routing rule",
               tag="routing-rules", body=RoutingRuleIn, response=RoutingRuleOut, roles=MANAGERS)
def replace_rule(user, rule_id, data):
    """Replace a rule's match, recipients and SLA (its programme cannot change)."""
    return rules.replace_rule(user, rules.get_rule(user, rule_id), data)


@blp.operation("/routing-rules/<int:rule_id>", method="DELETE", summary="Delete a routing rule",
               tag="routing-rules", roles=MANAGERS)
def delete_rule(user, rule_id):
    """Delete a rule; escalations it made keep their recipients and due times."""
    rules.delete_rule(user, rules.get_rule(user, rule_id))


# Feed tokens and webhooks: the feature's other ways out, declared in their own modules (after
# the routes above, which the OpenAPI document lists first).
blp.register_blueprint(feed_api.blp)
blp.register_blueprint(webhook_api.blp)
