"""Provider webhooks: POST a signed JSON body to an organisation's URL, and check signatures.

The domain decides what to send and when; this package only speaks HTTP. Each POST is signed
twice with the organisation's secret:

- by the Standard Webhooks scheme: `webhook-id` (the same on every try of one event, so a
  receiver can drop repeats), `webhook-timestamp` (seconds; a receiver refuses old ones, so a
  captured delivery cannot be replayed later) and `webhook-signature`, `v1,<base64 HMAC-SHA256
  of "{id}.{timestamp}.{body}">`, keyed with the secret's base64 bytes after `whsec_`;
- as before, `X-Outreach-Signature: sha256=<hex HMAC-SHA256 of the raw body>` keyed with the
  secret's text, for receivers that have not moved yet (it covers the body only: replayable).

Secrets made before the scheme was adopted are not base64 after `whsec_`; for them the Standard
Webhooks key is the secret's UTF-8 bytes (`signing_key`), so they keep working unchanged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import socket
import threading
import time
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError, NewConnectionError
from urllib3.util import Timeout

USER_AGENT = "OutreachToolkit-Webhooks/1.0"
SIGNATURE_HEADER = "X-Outreach-Signature"
EVENT_HEADER = "X-Outreach-Event"
DELIVERY_HEADER = "X-Outreach-Delivery"
# The Standard Webhooks headers (https://www.standardwebhooks.com).
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 - marks a signing secret, is none itself  # nosec B105
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


def signing_key(secret: str) -> bytes:
    """The Standard Webhooks key of `secret`: the bytes its base64 (after `whsec_`) stands for,
    as the scheme defines; for a secret that is not strict base64 there (one made before the
    scheme was adopted), its own UTF-8 bytes, the key X-Outreach-Signature has always used."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    return key or secret.encode("utf-8")


def sign_standard(message_id: str, timestamp: int, body: bytes, secret: str) -> str:
    """The webhook-signature value: `v1,` and the base64 HMAC-SHA256 of id.timestamp.body."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def standard_headers(message_id: str, timestamp: int, body: bytes, secret: str) -> dict:
    """The three Standard Webhooks headers for one try of one message."""
    return {ID_HEADER: message_id, TIMESTAMP_HEADER: str(timestamp),
            STANDARD_SIGNATURE_HEADER: sign_standard(message_id, timestamp, body, secret)}


# --- Only to the public internet ----------------------------------------------------------


class PrivateAddressError(NewConnectionError):
    """The receiver's host name led to this machine or a private network."""


def public_addresses(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, when every one is on the public internet; raises
    ValueError naming the first that is not (loopback, private, link-local such as a cloud's
    metadata service, or reserved), socket.gaierror when the name does not resolve."""
    found = list(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM)))
    for text in found:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 scope is no address
        mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:10.0.0.1 is 10.0.0.1
        if not (mapped or address).is_global:
            raise ValueError(f"{host} resolves to {text}, which is not a public address")
    return found


class _PublicOnly:
    """A urllib3 connection that resolves its host itself, refuses when any address is not
    public, and connects to an address it checked: a name cannot pass the check and then
    resolve elsewhere for the connection. TLS still checks the certificate for the name."""

    def _new_conn(self):
        try:
            checked = public_addresses(self.host, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        except ValueError as exc:
            raise PrivateAddressError(self, str(exc)) from exc
        self._dns_host = checked[0]
        return super()._new_conn()


class _PublicHTTPConnection(_PublicOnly, HTTPConnection):
    pass


class _PublicHTTPSConnection(_PublicOnly, HTTPSConnection):
    pass


class _PublicHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class _PublicOnlyAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PublicHTTPPool,
                                                   "https": _PublicHTTPSPool}


def _refused_as_private(exc: requests.exceptions.ConnectionError) -> bool:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, PrivateAddressError)


# --- Sending ------------------------------------------------------------------------------


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

    With `public_only` (production), a receiver whose host name leads to this machine or a
    private network is refused before any connection: an organisation's URL must not reach
    services behind our firewall (server-side request forgery). A URL that names such an
    address outright is refused when it is set; a name is checked here, on every connection.
    """

    def __init__(self, timeout: float = 5.0, user_agent: str = USER_AGENT, *,
                 public_only: bool = False):
        self.timeout = float(timeout)
        self.user_agent = user_agent
        self.public_only = public_only
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            # Proxy variables, .netrc and the like are the host's business, not the receiver's:
            # a webhook goes straight to the URL the organisation gave.
            session.trust_env = False
            if self.public_only:
                for scheme in ("http://", "https://"):
                    session.mount(scheme, _PublicOnlyAdapter())
            self._local.session = session
        return session

    def post(self, url: str, body: bytes, *, secret: str, event: str,
             delivery_id: int | str, message_id: str | None = None,
             timestamp: int | None = None) -> WebhookResult:
        """POST `body` to `url`, signed with `secret` both ways; any 2xx answer is a success.

        `message_id` must be the same on every try of one message (default: from the delivery
        id); `timestamp` is when this try is made (default: now), in seconds.
        """
        message_id = message_id or f"msg_{delivery_id}"
        timestamp = int(time.time()) if timestamp is None else int(timestamp)
        headers = {
            "Content-Type": "application/json",
            **standard_headers(message_id, timestamp, body, secret),
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
        except requests.exceptions.ConnectionError as exc:
            if _refused_as_private(exc):
                return WebhookResult(False, None, "Not sent: the URL's host is on this machine "
                                                  "or a private network")
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
