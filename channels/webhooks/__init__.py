"""Provider webhooks: POST a signed JSON body to an organisation's URL, and check signatures.

The domain decides what to send and when; this package only speaks HTTP. The signature is
`sha256=<hex HMAC-SHA256 of the raw body>` keyed with the organisation's secret, in the
`X-Outreach-Signature` header, so a receiver can check the body came from us unaltered.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass

import requests
from urllib3.util import Timeout

USER_AGENT = "OutreachToolkit-Webhooks/1.0"
SIGNATURE_HEADER = "X-Outreach-Signature"
EVENT_HEADER = "X-Outreach-Event"
DELIVERY_HEADER = "X-Outreach-Delivery"
# Read at most this much of an answer (only so the connection can be reused); nobody needs it.
DRAIN_LIMIT = 64 * 1024


def sign(body: bytes, secret: str) -> str:
    """The X-Outreach-Signature value for `body` under `secret`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(body: bytes, secret: str, header: str | None) -> bool:
    """Whether `header` is the signature of exactly `body` under `secret` (for receivers)."""
    if not header or not secret:
        return False
    return hmac.compare_digest(sign(body, secret).encode(), header.strip().encode())


@dataclass(frozen=True)
class WebhookResult:
    """What became of one POST. `error` is short, and never holds a secret or the body."""

    ok: bool
    status_code: int | None = None
    error: str = ""


class WebhookSender:
    """POSTs to receivers with a hard time limit, following no redirects and no proxy settings.

    Each thread gets its own requests Session (they are not documented as thread-safe), so a
    worker thread and a periodic job in the same process never share a connection.
    """

    def __init__(self, timeout: float = 5.0, user_agent: str = USER_AGENT):
        self.timeout = float(timeout)
        self.user_agent = user_agent
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            # Proxy variables, .netrc and the like are the host's business, not the receiver's:
            # a webhook goes straight to the URL the organisation gave.
            session.trust_env = False
            self._local.session = session
        return session

    def post(self, url: str, body: bytes, *, secret: str, event: str,
             delivery_id: int | str) -> WebhookResult:
        """POST `body` to `url`, signed with `secret`; any 2xx answer is a success."""
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, secret),
            EVENT_HEADER: event,
            DELIVERY_HEADER: str(delivery_id),
            "User-Agent": self.user_agent,
        }
        deadline = time.monotonic() + self.timeout
        try:
            response = self._session().post(
                url, data=body, headers=headers, allow_redirects=False, stream=True,
                # urllib3's total: connecting and waiting for the answer share one budget.
                timeout=Timeout(total=self.timeout))
        except requests.exceptions.Timeout:
            return WebhookResult(False, None, f"No answer within {self.timeout:g} s")
        except requests.exceptions.SSLError:
            return WebhookResult(False, None, "TLS handshake or certificate check failed")
        except requests.exceptions.ConnectionError:
            return WebhookResult(False, None, "Could not connect (refused, reset or no route)")
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema):
            return WebhookResult(False, None, "The webhook URL is not valid")
        except requests.exceptions.RequestException as exc:
            # The exception's text can quote the URL (and a token in its query): name it only.
            return WebhookResult(False, None, f"Request failed ({type(exc).__name__})")
        try:
            _drain(response, deadline)
        finally:
            response.close()
        code = response.status_code
        if 200 <= code < 300:
            return WebhookResult(True, code)
        if 300 <= code < 400:
            return WebhookResult(False, code, f"Redirected (HTTP {code}); redirects are not "
                                              "followed: give the final URL")
        return WebhookResult(False, code, f"HTTP {code}")


def _drain(response: requests.Response, deadline: float) -> None:
    """Read a little of the answer so the connection may be reused, never past the deadline."""
    read = 0
    try:
        for chunk in response.iter_content(8192):
            read += len(chunk)
            if read > DRAIN_LIMIT or time.monotonic() > deadline:
                return
    except requests.exceptions.RequestException:
        return  # the status line is what counts; a broken body changes nothing
