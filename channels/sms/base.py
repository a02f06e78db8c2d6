"""The contract between the domain and an SMS transport.

The domain hands over an `OutboundText` and gets back a `SendResult`, or a `SendFailed` that
says whether trying again could help and whether the provider may have taken the text anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class ProviderStatus(StrEnum):
    """A provider's word for where a text is, folded onto ours."""

    SENDING = "sending"  # accepted, queued, scheduled, sending
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"


@dataclass(frozen=True)
class OutboundText:
    message_id: int  # ours, so a status callback can name the message before its sid is saved
    to: str  # E.164
    body: str
    sender: str = ""  # our number; blank: the backend's configured sender
    # Provider ids already ours for other texts: a lookup for an interrupted send must not
    # take one of those for this text when two texts to one number read the same.
    known_sids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SendResult:
    sid: str
    status: ProviderStatus
    sender: str = ""
    raw_status: str = ""


@dataclass(frozen=True)
class LookupResult:
    """A text found at the provider when reconciling one whose send was cut off."""

    sid: str
    status: ProviderStatus
    raw_status: str = ""
    error_code: int | None = None


class SendFailed(Exception):  # noqa: N818 - reads as what happened: raise SendFailed(...)
    """The provider did not take the text.

    `retryable`: 429, 5xx, timeouts, connection errors. `ambiguous`: the request may have
    reached the provider (a timeout after sending), so look it up before sending again.
    """

    def __init__(self, reason: str, *, code: int | None = None, http_status: int | None = None,
                 retryable: bool = False, ambiguous: bool = False,
                 retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.http_status = http_status
        self.retryable = retryable
        self.ambiguous = ambiguous
        self.retry_after = retry_after  # seconds the provider asked us to wait (Retry-After)


class SmsBackend(Protocol):
    name: str

    def send(self, text: OutboundText, status_callback: str | None) -> SendResult:
        """Hand one text to the provider; raise SendFailed if it was not taken."""

    def lookup(self, text: OutboundText, since: datetime,
               until: datetime | None = None) -> LookupResult | None:
        """Find a text handed over between `since` and `until` (None: now) to `text.to` with
        `text.body`, or None; raise SendFailed when the provider cannot say."""
