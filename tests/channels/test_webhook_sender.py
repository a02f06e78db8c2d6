"""The webhook sender against a real HTTP receiver on 127.0.0.1: signing, headers, answers that
are not a success, a receiver that hangs or is down, and the proxy settings it must ignore."""

from __future__ import annotations

import json
import time

import pytest

from channels.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    USER_AGENT,
    WebhookResult,
    WebhookSender,
    public_addresses,
    sign,
    verify,
)
from tests.webhook_receiver import running

SECRET = "whsec_test-secret-0123456789"


BODY = json.dumps({"kind": "created", "escalation": {"id": 7, "client": {"full_name": "Mary"}}},
                  separators=(",", ":")).encode()


@pytest.fixture
def receiver():
    with running() as made:
        yield made


def post(receiver, body: bytes = BODY, *, timeout: float = 2.0, url: str | None = None):
    return WebhookSender(timeout).post(url or receiver.url, body, secret=SECRET,
                                       event="created", delivery_id=42)


def test_posts_the_raw_body_signed_with_the_headers_asked_for(receiver):
    result = post(receiver)

    assert result.ok and result.status_code == 200 and result.error == ""
    [got] = receiver.received
    assert got.path == "/hooks/outreach"
    assert got.body == BODY
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers[EVENT_HEADER.lower()] == "created"
    assert headers[DELIVERY_HEADER.lower()] == "42"
    assert headers["user-agent"] == USER_AGENT
    signature = headers[SIGNATURE_HEADER.lower()]
    assert signature.startswith("sha256=") and len(signature) == len("sha256=") + 64
    assert verify(got.body, SECRET, signature)


def test_a_signature_fails_for_a_changed_body_another_secret_or_none(receiver):
    post(receiver)
    got = receiver.received[0]
    signature = got.headers[SIGNATURE_HEADER]

    assert not verify(got.body.replace(b"Mary", b"Mark"), SECRET, signature)
    assert not verify(got.body + b" ", SECRET, signature)
    assert not verify(got.body, SECRET + "x", signature)
    assert not verify(got.body, SECRET, None)
    assert not verify(got.body, SECRET, "")
    assert not verify(got.body, "", sign(got.body, ""))
    assert not verify(got.body, SECRET, "sha1=" + signature[len("sha256="):])


@pytest.mark.parametrize("status", [500, 503, 404, 410, 400])
def test_any_answer_but_2xx_is_a_failure(receiver, status):
    receiver.status = status

    result = post(receiver)

    assert (result.ok, result.status_code, result.error) == (False, status, f"HTTP {status}")


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_every_2xx_is_a_success(receiver, status):
    receiver.status = status

    assert post(receiver).ok


def test_a_redirect_is_not_followed(receiver):
    receiver.status = 301

    result = post(receiver)

    assert not result.ok and result.status_code == 301
    assert "Redirected" in result.error
    assert len(receiver.received) == 1


def test_a_receiver_that_hangs_is_given_up_on_within_the_time_limit(receiver):
    receiver.delay = 10.0
    started = time.monotonic()

    result = post(receiver, timeout=0.5)

    assert time.monotonic() - started < 3.0
    assert (result.ok, result.status_code) == (False, None)
    assert result.error == "No answer within 0.5 s"


def test_a_receiver_that_is_down_is_a_failure_not_an_exception(closed_port_url):
    result = WebhookSender(1.0).post(closed_port_url + "/hook?token=receiver-key-123", BODY,
                                     secret=SECRET, event="created", delivery_id=1)

    assert (result.ok, result.status_code) == (False, None)
    assert result.error.startswith("Could not connect")
    # Neither the URL (its query may hold the receiver's key), the secret nor the body leaks.
    for secret_or_content in ("receiver-key-123", SECRET, "Mary", "127.0.0.1"):
        assert secret_or_content not in result.error


@pytest.mark.parametrize("url", ["http://", "not a url", "ftp://127.0.0.1/x"])
def test_a_url_that_cannot_be_used_is_a_failure(url):
    result = WebhookSender(1.0).post(url, BODY, secret=SECRET, event="created", delivery_id=1)

    assert not result.ok and result.status_code is None and result.error


def test_proxy_settings_of_the_host_are_ignored(receiver, closed_port_url, monkeypatch):
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, closed_port_url)

    assert post(receiver).ok
    assert len(receiver.received) == 1


# --- Only the public internet, in production ----------------------------------------------


PRIVATE_REFUSAL = "Not sent: the URL's host is on this machine or a private network"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "[::ffff:127.0.0.1]"])
def test_a_public_only_sender_refuses_this_machine_by_any_name(receiver, host):
    url = receiver.url.replace("127.0.0.1", host)

    result = WebhookSender(2.0, public_only=True).post(url, BODY, secret=SECRET,
                                                        event="created", delivery_id=1)

    assert result == WebhookResult(False, None, PRIVATE_REFUSAL)
    assert receiver.received == []  # refused before connecting
    if "[" not in host:  # the receiver listens on IPv4: outside production these arrive
        assert post(receiver, url=url).ok


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.0.9", "172.16.5.5", "169.254.169.254",
                                     "100.64.0.1", "::1", "fe80::1", "fd00::7", "::ffff:10.0.0.1",
                                     "0.0.0.0"])  # noqa: S104 - an address checked, not bound
def test_private_loopback_link_local_and_reserved_addresses_are_not_public(address):
    with pytest.raises(ValueError, match="not a public address"):
        public_addresses(address, 443)


def test_public_addresses_are_answered_without_sending_anything():
    assert public_addresses("93.184.216.34", 443) == ["93.184.216.34"]
    assert public_addresses("2606:4700:4700::1111", 443) == ["2606:4700:4700::1111"]


def test_a_name_that_does_not_resolve_is_a_failure_not_an_exception():
    result = WebhookSender(2.0, public_only=True).post(
        "https://no-such-host.invalid/hook", BODY, secret=SECRET, event="created",
        delivery_id=1)

    assert not result.ok and result.error == "Could not connect (refused, reset or no route)"


def test_a_public_only_sender_connects_to_the_address_it_checked(receiver, monkeypatch):
    # DNS rebinding: a name answers with a public address for the check, then with a private
    # one for the connection. Here the check is given the receiver's address as the answer
    # and any further look-up of the name fails: the POST arrives only if the connection went
    # to the address checked, without resolving the name a second time.
    import socket

    import channels.webhooks as webhooks

    checked: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def check(host, port):
        checked.append(host)
        return ["127.0.0.1"]

    def resolve(host, *args, **kwargs):
        if host == "rebind.test":
            raise socket.gaierror(socket.EAI_NONAME, "resolved a second time")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(webhooks, "public_addresses", check)
    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    url = receiver.url.replace("127.0.0.1", "rebind.test")

    result = WebhookSender(2.0, public_only=True).post(url, BODY, secret=SECRET,
                                                        event="created", delivery_id=1)

    assert result.ok and len(receiver.received) == 1
    assert checked == ["rebind.test"]

