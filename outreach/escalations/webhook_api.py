"""API: an organisation's webhook (where its escalation events are POSTed), and its health."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict
from urllib.parse import urlsplit

from marshmallow import ValidationError, fields

from outreach.api import Blueprint
from outreach.enums import Role
from outreach.escalations import webhook_settings as settings
from outreach.escalations.webhooks import public_only_urls, webhook_health
from outreach.schemas import Input, Output

READERS = (Role.ADMIN, Role.COORDINATOR, Role.PROVIDER)
ORG = "/organisations/<int:organisation_id>/webhook"
MAX_URL = 500
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")  # control characters and spaces


class WebhookUrl(fields.String):
    """An http(s) URL to POST to: no credentials in it, https outside development and tests."""

    def _deserialize(self, value, attr, data, **kwargs):
        url = super()._deserialize(value, attr, data, **kwargs).strip()
        if not url:
            raise ValidationError("Give the URL to POST escalation events to.")
        if len(url) > MAX_URL:
            raise ValidationError(f"Must be at most {MAX_URL} characters.")
        if _UNSAFE.search(url):
            raise ValidationError("Must not contain spaces or control characters.")
        parts = urlsplit(url)
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError as exc:
            raise ValidationError("The port is not valid.") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError("Give a full http:// or https:// URL.")
        if "@" in parts.netloc:
            raise ValidationError("Leave user names and passwords out of the URL: each POST is "
                                  "signed with the secret instead.")
        if parts.fragment:
            raise ValidationError("Leave the #fragment out: it is never sent.")
        if _production():
            _check_public(parts.scheme, parts.hostname)
        return url


def _production() -> bool:
    return public_only_urls()


def _check_public(scheme: str, host: str) -> None:
    """In production: https only, and never to this machine or a private network by address."""
    if scheme != "https":
        raise ValidationError("Use https: client details travel in every POST.")
    if host == "localhost" or host.endswith(".localhost"):
        raise ValidationError("Give an address on the internet, not this machine.")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    if not address.is_global:
        raise ValidationError("Give an address on the internet, not a private one.")


class WebhookIn(Input):
    url = WebhookUrl(required=True)


class WebhookOut(Output):
    organisation_id = fields.Integer()
    url = fields.String(allow_none=True)
    failing = fields.Boolean()
    failing_since = fields.AwareDateTime(allow_none=True)
    pending = fields.Integer(metadata={"description": "Deliveries waiting to be taken."})
    oldest_pending_at = fields.AwareDateTime(allow_none=True)
    attempts = fields.Integer(metadata={"description": "Tries of the next delivery so far."})
    last_error = fields.String()
    last_status_code = fields.Integer(allow_none=True)
    last_attempt_at = fields.AwareDateTime(allow_none=True)
    next_attempt_at = fields.AwareDateTime(allow_none=True)


class WebhookSecretOut(WebhookOut):
    secret = fields.String(metadata={
        "description": "The signing secret. Shown this once: store it now. Each POST carries "
                       "X-Outreach-Signature: sha256=<hex HMAC-SHA256 of the raw body>."})


def _with_secret(organisation, secret: str) -> dict:
    return {**asdict(webhook_health(organisation)), "secret": secret}


blp = Blueprint("webhooks", __name__, part=True)


@blp.operation(ORG, summary="An organisation's webhook and its health", tag="webhooks",
               response=WebhookOut, roles=READERS)
def get_webhook(user, organisation_id):
    """The URL, whether it keeps failing, what waits and the last error; never the secret."""
    return webhook_health(settings.get_organisation(user, organisation_id, purpose="read"))


@blp.operation(ORG, method="PUT", summary="Set the webhook URL", tag="webhooks", body=WebhookIn,
               response=WebhookSecretOut, roles=READERS)
def put_webhook(user, organisation_id, data):
    """Set where events are POSTed; answers a new signing secret, shown this once."""
    organisation = settings.get_organisation(user, organisation_id, purpose="set")
    return _with_secret(organisation, settings.set_url(user, organisation, data["url"]))


@blp.operation(ORG + "/rotate-secret", method="POST", summary="Replace the signing secret",
               tag="webhooks", response=WebhookSecretOut, roles=READERS)
def rotate_webhook_secret(user, organisation_id):
    """Make a new signing secret (the old one stops at once); answers it, shown this once."""
    organisation = settings.get_organisation(user, organisation_id, purpose="rotate_secret")
    return _with_secret(organisation, settings.rotate_secret(user, organisation))


@blp.operation(ORG, method="DELETE", summary="Stop the webhook", tag="webhooks",
               response=WebhookOut, roles=READERS)
def delete_webhook(user, organisation_id):
    """Forget the URL and secret; deliveries not yet taken wait for a new URL."""
    organisation = settings.get_organisation(user, organisation_id, purpose="remove")
    settings.remove(user, organisation)
    return webhook_health(organisation)


@blp.operation(ORG + "/retry", method="POST", summary="Retry the webhook now", tag="webhooks",
               response=WebhookOut, roles=READERS)
def retry_webhook(user, organisation_id):
    """Send the next waiting delivery now rather than at its retry time."""
    organisation = settings.get_organisation(user, organisation_id, purpose="retry")
    return settings.retry_now(user, organisation)
