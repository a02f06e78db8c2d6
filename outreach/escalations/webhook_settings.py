"""An organisation's webhook settings: who may see and change them, and the changes.

Admins manage every organisation's webhook, a provider's users their own organisation's; a
coordinator may look at (never change) those of the organisations their programmes route to,
to see why one is not hearing about its escalations. The secret is shown once, when it is made;
it is never logged or audited.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import exists, or_, select, update

from outreach.audit.services import record, refuse
from outreach.auth.access import operator_programme_ids
from outreach.auth.models import User
from outreach.db import db, utcnow
from outreach.enums import Role
from outreach.errors import Conflict, NotFound
from outreach.escalations.models import (
    Escalation,
    RoutingRecipient,
    RoutingRule,
    WebhookDelivery,
)
from outreach.escalations.webhooks import (
    SENDING,
    WebhookHealth,
    deliver_after_commit,
    head_delivery,
    webhook_health,
)
from outreach.organisations.models import Organisation
from outreach.people.models import Client

SECRET_PREFIX = "whsec_"  # noqa: S105 - marks a signing secret, is none itself  # nosec B105


def routes_to(user: User, organisation_id: int) -> bool:
    """Whether a coordinator's programmes send (or may send) escalations to the organisation."""
    if organisation_id == user.organisation_id:
        return True
    programmes = operator_programme_ids(user)
    return bool(db.session.scalar(select(
        exists().where(Escalation.programme_id.in_(programmes),
                       Escalation.organisation_id == organisation_id)
        | exists().where(RoutingRecipient.rule_id == RoutingRule.id,
                         RoutingRule.programme_id.in_(programmes),
                         RoutingRecipient.organisation_id == organisation_id)
        | exists().where(Client.programme_id.in_(programmes),
                         Client.gp_practice_id == organisation_id))))


def may_read(user: User, organisation: Organisation) -> bool:
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.PROVIDER:
        return user.organisation_id == organisation.id
    return user.role == Role.COORDINATOR and routes_to(user, organisation.id)


def may_change(user: User, organisation: Organisation) -> bool:
    return user.role == Role.ADMIN or (user.role == Role.PROVIDER
                                       and user.organisation_id == organisation.id)


def get_organisation(actor: User, organisation_id: int, *, purpose: str) -> Organisation:
    """The organisation whose webhook `actor` asks about; a refusal is audited."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("No such organisation.")
    allowed = may_read if purpose == "read" else may_change
    if not allowed(actor, organisation):
        refuse(actor, "webhook.denied", "This organisation's webhook is not yours to "
               + ("see." if purpose == "read" else "change."), subject=organisation,
               detail={"organisation_id": organisation_id, "action": purpose})
    return organisation


def _where(url: str) -> str:
    """The scheme and host of a URL, for the audit trail (a query may carry a receiver's key)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}"


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def set_url(actor: User, organisation: Organisation, url: str,
            now: datetime | None = None) -> str:
    """Point the webhook at `url` with a new secret; answers the secret (shown only now).

    Deliveries waiting for the old URL go to the new one, starting now.
    """
    now = now or utcnow()
    secret = new_secret()
    organisation.webhook_url = url
    organisation.webhook_secret = secret
    organisation.webhook_failing_since = None
    _head_due_now(organisation, now)
    record(actor, "webhook.set", subject=organisation,
           detail={"organisation_id": organisation.id, "url": _where(url)})
    return secret


def rotate_secret(actor: User, organisation: Organisation) -> str:
    """Replace the signing secret; answers the new one (shown only now)."""
    if not organisation.webhook_url:
        raise Conflict("This organisation has no webhook URL: set one first.")
    organisation.webhook_secret = new_secret()
    record(actor, "webhook.secret_rotated", subject=organisation,
           detail={"organisation_id": organisation.id})
    return organisation.webhook_secret


def remove(actor: User, organisation: Organisation) -> None:
    """Stop POSTing: forget the URL and secret. Waiting deliveries stay, for a future URL."""
    had = organisation.webhook_url
    organisation.webhook_url = None
    organisation.webhook_secret = None
    organisation.webhook_failing_since = None
    record(actor, "webhook.removed", subject=organisation,
           detail={"organisation_id": organisation.id,
                   "url": _where(had) if had else None})


def retry_now(actor: User, organisation: Organisation,
              now: datetime | None = None) -> WebhookHealth:
    """Make the delivery at the head of the queue due now (after a receiver was mended)."""
    if not organisation.webhook_url:
        raise Conflict("This organisation has no webhook URL: set one first.")
    now = now or utcnow()
    head_id = _head_due_now(organisation, now)
    record(actor, "webhook.retry", subject=organisation,
           detail={"organisation_id": organisation.id, "delivery_id": head_id})
    return webhook_health(organisation, now)


def _head_due_now(organisation: Organisation, now: datetime) -> int | None:
    head = head_delivery(organisation.id)
    if head is None:
        return None
    # A head being sent right now keeps its lease: made due, a second worker would send it too.
    db.session.execute(update(WebhookDelivery).where(
        WebhookDelivery.id == head.id, WebhookDelivery.delivered_at.is_(None),
        or_(WebhookDelivery.last_error != SENDING, WebhookDelivery.next_attempt_at <= now))
        .values(next_attempt_at=now).execution_options(synchronize_session=False))
    deliver_after_commit(organisation.id)
    return head.id
