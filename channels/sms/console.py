"""The `console` backend: nothing leaves the machine; texts appear in the web outbox."""

from __future__ import annotations

import secrets
from datetime import datetime

from channels.sms.base import LookupResult, OutboundText, ProviderStatus, SendResult


class ConsoleBackend:
    name = "console"

    def send(self, text: OutboundText, status_callback: str | None) -> SendResult:
        """Accept the text at once; it is "delivered" to the outbox page."""
        return SendResult(sid="CO" + secrets.token_hex(16), status=ProviderStatus.DELIVERED,
                          sender=text.sender, raw_status="delivered")

    def lookup(self, text: OutboundText, since: datetime,
               until: datetime | None = None) -> LookupResult | None:
        """Nothing is kept outside our own database, so there is nothing to find."""
        return None
