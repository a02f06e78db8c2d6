"""The `twilio` backend: texts go out through Twilio's Messaging API with the official client.

Every failure becomes a `SendFailed` whose reason a coordinator can read. Reasons never carry
the message body or a phone number, and the original exception is not chained, because
Twilio's own messages and the request URL can contain both.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

from channels.sms.base import LookupResult, OutboundText, ProviderStatus, SendFailed, SendResult

DEFAULT_API_BASE = "https://api.twilio.com"
DEFAULT_TIMEOUT_SECONDS = 10
LOOKUP_PAGE_SIZE = 50
# Pages read back when looking for an interrupted send (50 x 200: ten thousand texts to one
# number since the send); past that the look-up fails and is tried again, never "not found".
LOOKUP_MAX_PAGES = 200
# Our clock and Twilio's disagree a little, and Twilio's times are whole seconds.
CLOCK_SKEW = timedelta(minutes=2)

# The twilio client logs query strings (phone numbers, in a lookup) at INFO; keep them out.
_http_log = logging.getLogger(__name__ + ".http")
_http_log.setLevel(logging.WARNING)

_ERRORS = (TwilioException, requests.RequestException)

_STATUSES = {
    "accepted": ProviderStatus.SENDING,
    "scheduled": ProviderStatus.SENDING,
    "queued": ProviderStatus.SENDING,
    "sending": ProviderStatus.SENDING,
    "sent": ProviderStatus.SENT,
    "delivered": ProviderStatus.DELIVERED,
    "read": ProviderStatus.DELIVERED,  # only channels with read receipts; it was delivered
    "undelivered": ProviderStatus.UNDELIVERED,
    "failed": ProviderStatus.FAILED,
    "canceled": ProviderStatus.FAILED,  # a cancelled scheduled text will never go
}

REASONS: dict[int, str] = {
    20003: "Twilio did not accept our account details; check the Twilio settings",
    20404: "Twilio could not find that resource; check the Twilio settings",
    20429: "Twilio is busy; will try again",
    21211: "The phone number is not valid",
    21408: "Texts to this country are not enabled on our Twilio account",
    21602: "The text was empty",
    21606: "Our sending number cannot send texts to this number",
    21608: "Our Twilio trial account can only text verified numbers",
    21610: "The recipient has replied STOP and does not want texts from us",
    21612: "This number cannot be reached by text from our sending number",
    21614: "The number is not a valid mobile number",
    21617: "The text is too long (over 1600 characters)",
    30001: "Twilio had too many texts queued; try again later",
    30002: "Our Twilio account is suspended",
    30003: "The phone was switched off or out of reach",
    30004: "The text was blocked, perhaps by the recipient or their network",
    30005: "The number is unknown or no longer in use",
    30006: "The number is a landline or the network cannot take texts",
    30007: "The mobile network filtered the text as unwanted",
    30008: "The text could not be delivered for an unknown reason",
    30032: "Our toll-free sending number is not verified yet",
    30034: "Our sending number is not registered for texting (US A2P 10DLC)",
}


def reason_for(code: int | None) -> str:
    """A coordinator's explanation of a Twilio error code."""
    if code is None:
        return "Twilio gave no reason"
    return f"{REASONS.get(code, 'Twilio reported a problem')} (Twilio {code})"


def status_for(raw: str | None) -> ProviderStatus:
    """Our status for Twilio's message status; unknown ones still count as on their way."""
    return _STATUSES.get((raw or "").lower(), ProviderStatus.SENDING)


class TwilioBackend:
    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, *, from_number: str = "",
                 messaging_service_sid: str = "", api_base: str = DEFAULT_API_BASE,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS):
        if not (account_sid and auth_token):
            raise ValueError("SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        if timeout <= 0:
            raise ValueError("SMS_TIMEOUT_SECONDS must be more than 0")
        if not api_base.startswith(("http://", "https://")):
            raise ValueError("TWILIO_API_BASE must start with http:// or https://")
        if not (from_number or messaging_service_sid):
            raise ValueError("SMS_BACKEND=twilio needs TWILIO_FROM_NUMBER or "
                             "TWILIO_MESSAGING_SERVICE_SID")
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        # No retries inside the client: the domain decides when and whether to try again.
        self._http = _HttpClient(timeout=timeout, max_retries=0, logger=_http_log)
        # Proxies and .netrc from the environment play no part: the API base is all that
        # decides where texts go (and reading them costs more than the request on loopback).
        self._http.session.trust_env = False
        # A minimal environment so TWILIO_EDGE / TWILIO_REGION in os.environ cannot rewrite
        # the host we were told to use.
        self._client = Client(account_sid, auth_token, http_client=self._http,
                              environment={"TWILIO_ACCOUNT_SID": account_sid})
        self._client.api.base_url = api_base.rstrip("/")

    @classmethod
    def from_config(cls, config: Mapping) -> TwilioBackend:
        """A backend configured from the TWILIO_* and SMS_TIMEOUT_SECONDS settings."""
        return cls(
            config.get("TWILIO_ACCOUNT_SID") or "",
            config.get("TWILIO_AUTH_TOKEN") or "",
            from_number=config.get("TWILIO_FROM_NUMBER") or "",
            messaging_service_sid=config.get("TWILIO_MESSAGING_SERVICE_SID") or "",
            api_base=config.get("TWILIO_API_BASE") or DEFAULT_API_BASE,
            timeout=float(config.get("SMS_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS),
        )

    def close(self) -> None:
        """Close the pooled connections to Twilio."""
        if self._http.session is not None:
            self._http.session.close()

    def __enter__(self) -> TwilioBackend:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def send(self, text: OutboundText, status_callback: str | None) -> SendResult:
        """Hand one text to Twilio; raise SendFailed if Twilio did not take it."""
        sender = text.sender or self.from_number
        params = {"to": text.to, "body": text.body}
        if sender:
            params["from_"] = sender
        else:
            params["messaging_service_sid"] = self.messaging_service_sid
        if status_callback:
            params["status_callback"] = status_callback
        try:
            message = self._client.messages.create(**params)
        except _ERRORS as exc:
            failure = _failure(exc)
            if failure.http_status == 429:
                failure.retry_after = _retry_after(self._http.last_headers)
            raise failure from None
        except ValueError:
            # A 2xx answer we cannot read: Twilio has most likely taken the text.
            raise SendFailed("Twilio's answer could not be read; will check before trying again",
                             retryable=True, ambiguous=True) from None
        raw = str(message.status or "")
        return SendResult(sid=message.sid or "", status=status_for(raw),
                          sender=sender or message.from_ or "", raw_status=raw)

    def lookup(self, text: OutboundText, since: datetime,
               until: datetime | None = None) -> LookupResult | None:
        """Find a text handed over between `since` and `until` (None: now) to `text.to` with
        `text.body`, or None once Twilio's list has been read back past `since`."""
        sender = text.sender or self.from_number
        since, until = _aware(since), _aware(until or datetime.now(UTC))
        filters = {"to": text.to, "page_size": LOOKUP_PAGE_SIZE}
        if sender:
            filters["from_"] = sender
        # No DateSent filter at Twilio: a text still in Twilio's queue has no date_sent yet
        # and would be left out. The list comes newest first, so we read page after page
        # until a text sent before the window shows that ours cannot be further on.
        try:
            page = self._client.messages.page(**filters)
            for _ in range(LOOKUP_MAX_PAGES):
                found, past = self._match(page, text, sender, since, until)
                if found is not None or past:
                    return found
                page = page.next_page()
                if page is None:
                    return None
        except _ERRORS as exc:
            failure = _failure(exc)
        except ValueError:
            failure = SendFailed("Twilio's answer could not be read")
        else:
            # Never "not found" unless we read past the window: that answer leads to a resend.
            failure = SendFailed("Too many texts to this number to read back")
        raise SendFailed("Could not check with Twilio whether the text went: " + failure.reason,
                         code=failure.code, http_status=failure.http_status,
                         retryable=True) from None

    def _match(self, page, text: OutboundText, sender: str, since: datetime,
               until: datetime) -> tuple[LookupResult | None, bool]:
        """Our text on this page of the list, and whether the page went back past `since`."""
        earliest = since - CLOCK_SKEW
        for message in page:
            sent = message.date_sent if isinstance(message.date_sent, datetime) else None
            if sent is not None and sent < earliest:
                return None, True  # the rest of the list was sent (so made) before the window
            made = message.date_created if isinstance(message.date_created, datetime) else sent
            if made is None or not earliest <= made <= until + CLOCK_SKEW:
                continue
            if message.body != text.body or message.sid in text.known_sids:
                continue  # known: the same words sent to the same number for another text
            if not sender and message.messaging_service_sid != self.messaging_service_sid:
                continue
            raw = str(message.status or "")
            return LookupResult(sid=message.sid or "", status=status_for(raw), raw_status=raw,
                                error_code=message.error_code), False
        return None, False


def _aware(moment: datetime) -> datetime:
    """Stored times are UTC, whether or not they say so."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _failure(exc: TwilioException | requests.RequestException) -> SendFailed:
    """The SendFailed for an exception raised while talking to Twilio."""
    if isinstance(exc, TwilioRestException | TwilioServiceException):
        return _http_failure(exc.status, exc.code)
    if isinstance(exc, TwilioException):
        # Fetching a page raises a bare TwilioException carrying the response.
        response = exc.args[1] if len(exc.args) > 1 else None
        if isinstance(response, Response):
            return _http_failure(response.status_code, _code_in(response.text))
        return SendFailed("The Twilio client failed; check the Twilio settings")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return SendFailed("Could not reach Twilio in time; will try again", retryable=True)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return SendFailed("Twilio did not answer in time; will check before trying again",
                          retryable=True, ambiguous=True)
    if isinstance(exc, requests.exceptions.ConnectionError) and _never_connected(exc):
        return SendFailed("Could not reach Twilio; will try again", retryable=True)
    # Anything else broke the exchange after the request may have gone out.
    return SendFailed("The connection to Twilio broke; will check before trying again",
                      retryable=True, ambiguous=True)


def _http_failure(status: int, code: int | None) -> SendFailed:
    """The SendFailed for an error answer from Twilio."""
    # Without a code in the body the client puts the HTTP status in `code`.
    code = code if isinstance(code, int) and code != status else None
    if status == 429:
        return SendFailed("Twilio is busy (429); will try again", code=code, http_status=status,
                          retryable=True)
    if status >= 500:
        # Twilio may have stored the text before failing, so look before sending again.
        return SendFailed(f"Twilio had a problem ({status}); will try again", code=code,
                          http_status=status, retryable=True, ambiguous=True)
    if code is not None:
        return SendFailed(reason_for(code), code=code, http_status=status)
    if status in (401, 403):
        return SendFailed(f"Twilio did not accept our account details ({status}); check the "
                          "Twilio settings", http_status=status)
    return SendFailed(f"Twilio refused the text ({status})", http_status=status)


class _HttpClient(TwilioHttpClient):
    """The twilio client's HTTP client, keeping each thread's last answer's headers: a 429's
    Retry-After is read from there (the client's errors do not carry headers), and threads that
    share a backend must each read their own answer's."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._answers = threading.local()

    @property
    def last_headers(self) -> Mapping[str, str]:
        """The headers of the last answer this thread received ({} before any)."""
        return getattr(self._answers, "headers", {})

    def request(self, *args, **kwargs) -> Response:
        response = super().request(*args, **kwargs)
        self._answers.headers = response.headers or {}
        return response


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """The seconds a 429 answer's Retry-After header asks for (a number; dates are rare)."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds < 86400 else None


def _code_in(text: str) -> int | None:
    """Twilio's error code in an error answer's JSON, if there is one."""
    try:
        code = json.loads(text).get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, int) else None


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """Whether the connection failed before anything was sent (refused, DNS, TLS)."""
    if isinstance(exc, requests.exceptions.SSLError):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)
