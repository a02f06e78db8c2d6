"""The twilio backend, driving the real twilio client against Prism and a fault-injecting fake."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from channels.sms import backend_for
from channels.sms.base import LookupResult, OutboundText, ProviderStatus, SendFailed
from channels.sms.twilio import (
    DEFAULT_API_BASE,
    TwilioBackend,
    _HttpClient,
    reason_for,
    status_for,
)
from tests.channels.conftest import Answer

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
SERVICE_SID = "MG" + "fedcba9876543210" * 2
FROM = "+447700900001"
TO = "+447700900123"
BODY = "Hello Mrs Example, your visitor comes on Tuesday."
CALLBACK = "https://outreach.example/sms/status"
TEXT = OutboundText(message_id=7, to=TO, body=BODY)


@pytest.fixture(autouse=True)
def _transaction():
    """These tests need no database, so the suite's per-test transaction is left out."""
    yield


@pytest.fixture
def make_backend():
    """make_backend(api_base, **settings) -> a TwilioBackend, closed after the test."""
    made: list[TwilioBackend] = []

    def make(api_base: str, **settings) -> TwilioBackend:
        config = {"SMS_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                  "TWILIO_AUTH_TOKEN": "test-token", "TWILIO_FROM_NUMBER": FROM,
                  "TWILIO_MESSAGING_SERVICE_SID": "", "TWILIO_API_BASE": api_base,
                  "SMS_TIMEOUT_SECONDS": 0.5, **settings}
        backend = backend_for(config)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


def message_json(**fields) -> dict:
    """A Message resource as Twilio returns it."""
    now = datetime.now(UTC)
    return {"sid": "SM" + "1" * 32, "account_sid": ACCOUNT_SID, "to": TO, "from": FROM,
            "body": BODY, "status": "queued", "messaging_service_sid": None,
            "date_created": format_datetime(now), "date_sent": None, "error_code": None,
            "direction": "outbound-api", **fields}


def error_json(status: int, code: int, message: str) -> dict:
    """An error as Twilio's API returns it."""
    return {"code": code, "message": message, "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}"}


def assert_private(failure: SendFailed) -> None:
    """Nothing personal in what may end up in a log or on a coordinator's screen."""
    for secret in (TO, BODY, "test-token"):
        assert secret not in str(failure)
    assert failure.__cause__ is None and failure.__suppress_context__


# --- Against Prism, serving Twilio's own OpenAPI description ---------------------------------

def test_send_with_from_number_against_prism(prism_url, make_backend):
    result = make_backend(prism_url).send(TEXT, CALLBACK)
    assert result.sid.startswith("SM")
    # Prism answers the example from Twilio's description: a queued message.
    assert (result.status, result.raw_status) == (ProviderStatus.SENDING, "queued")
    assert result.sender == FROM


def test_send_with_messaging_service_against_prism(prism_url, make_backend):
    backend = make_backend(prism_url, TWILIO_FROM_NUMBER="",
                           TWILIO_MESSAGING_SERVICE_SID=SERVICE_SID)
    result = backend.send(TEXT, None)
    assert result.sid.startswith("SM")
    assert result.sender  # the number the service picked, as Twilio reports it


@pytest.mark.parametrize(("settings", "callback"), [
    ({}, "not a url"),  # StatusCallback must be a URI
    ({"TWILIO_FROM_NUMBER": "", "TWILIO_MESSAGING_SERVICE_SID": "MG123"}, None),
    ({"TWILIO_ACCOUNT_SID": "AC123"}, None),  # AccountSid is AC + 32 hex digits
])
def test_prism_rejects_malformed_requests_and_that_is_final(prism_url, make_backend, settings,
                                                            callback):
    with pytest.raises(SendFailed) as caught:
        make_backend(prism_url, **settings).send(TEXT, callback)
    failure = caught.value
    assert (failure.http_status, failure.code, failure.retryable) == (422, None, False)
    assert failure.reason == "Twilio refused the text (422)"
    assert_private(failure)


def test_prism_insists_on_basic_auth(prism_url):
    """So the successful sends above show that the client authenticated."""
    url = f"{prism_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    with requests.Session() as session:
        response = session.post(url, data={"To": TO, "Body": "x"}, timeout=5)
        assert response.status_code == 401
        response.close()


def test_lookup_against_prism(prism_url, make_backend):
    backend = make_backend(prism_url)
    # Prism's example messages are from 2019: none can be the text we just sent.
    assert backend.lookup(TEXT, datetime.now(UTC)) is None
    old = backend.lookup(OutboundText(1, TO, "testing"), datetime(2000, 1, 1, tzinfo=UTC))
    assert old is None or isinstance(old, LookupResult)


# --- Against a local fake: answers Prism cannot give ----------------------------------------

def test_successful_answer_is_parsed(fake_twilio, make_backend):
    fake_twilio.answer = Answer(201, message_json(sid="SM" + "a" * 32, status="accepted"))
    result = make_backend(fake_twilio.url).send(TEXT, CALLBACK)
    assert (result.sid, result.status, result.raw_status, result.sender) == (
        "SM" + "a" * 32, ProviderStatus.SENDING, "accepted", FROM)
    [seen] = fake_twilio.seen
    assert (seen.method, seen.path) == ("POST", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json")
    assert seen.form == {"To": [TO], "From": [FROM], "Body": [BODY], "StatusCallback": [CALLBACK]}
    assert seen.authorization.startswith("Basic ")


def test_texts_own_sender_wins_and_no_callback_is_sent_when_none(fake_twilio, make_backend):
    fake_twilio.answer = Answer(201, message_json(status="sent"))
    result = make_backend(fake_twilio.url).send(
        OutboundText(message_id=8, to=TO, body=BODY, sender="+447700900999"), None)
    assert (result.status, result.sender) == (ProviderStatus.SENT, "+447700900999")
    assert fake_twilio.seen[0].form == {"To": [TO], "From": ["+447700900999"], "Body": [BODY]}


def test_messaging_service_is_used_without_a_from_number(fake_twilio, make_backend):
    fake_twilio.answer = Answer(201, message_json(**{"from": None}))
    backend = make_backend(fake_twilio.url, TWILIO_FROM_NUMBER="",
                           TWILIO_MESSAGING_SERVICE_SID=SERVICE_SID)
    assert backend.send(TEXT, None).sender == ""
    assert fake_twilio.seen[0].form == {"To": [TO], "MessagingServiceSid": [SERVICE_SID],
                                        "Body": [BODY]}


def test_region_and_edge_in_the_environment_do_not_move_the_host(fake_twilio, make_backend,
                                                                  monkeypatch):
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    monkeypatch.setenv("TWILIO_EDGE", "dublin")
    fake_twilio.answer = Answer(201, message_json())
    make_backend(fake_twilio.url).send(TEXT, None)
    assert len(fake_twilio.seen) == 1


@pytest.mark.parametrize(("status", "code", "message"), [
    (429, 20429, "Too Many Requests"),
    (500, 20500, "Internal Server Error"),
    (503, 20503, "Service Unavailable"),
])
def test_busy_or_broken_twilio_is_retryable_and_not_retried_here(fake_twilio, make_backend,
                                                                 status, code, message):
    fake_twilio.answer = Answer(status, error_json(status, code, message))
    with pytest.raises(SendFailed) as caught:
        make_backend(fake_twilio.url).send(TEXT, None)
    failure = caught.value
    assert (failure.http_status, failure.code, failure.retryable) == (status, code, True)
    # A 5xx may come after Twilio stored the text; a 429 never does.
    assert failure.ambiguous is (status >= 500)
    assert f"({status})" in failure.reason and "will try again" in failure.reason
    assert len(fake_twilio.seen) == 1  # retries are the domain's job
    assert_private(failure)


@pytest.mark.parametrize(("code", "reason"), [
    (21211, "The phone number is not valid (Twilio 21211)"),
    (21614, "The number is not a valid mobile number (Twilio 21614)"),
    (21610, "The recipient has replied STOP and does not want texts from us (Twilio 21610)"),
    (21408, "Texts to this country are not enabled on our Twilio account (Twilio 21408)"),
])
def test_refusals_are_final_and_explained(fake_twilio, make_backend, code, reason):
    # Twilio's own messages name the number; our reasons must not.
    fake_twilio.answer = Answer(400, error_json(400, code, f"The 'To' number {TO} is no good"))
    with pytest.raises(SendFailed) as caught:
        make_backend(fake_twilio.url).send(TEXT, None)
    failure = caught.value
    assert (failure.reason, failure.code, failure.http_status) == (reason, code, 400)
    assert not failure.retryable and not failure.ambiguous
    assert_private(failure)


def test_wrong_credentials_are_final(fake_twilio, make_backend):
    fake_twilio.answer = Answer(401, error_json(401, 20003, "Authenticate"))
    with pytest.raises(SendFailed) as caught:
        make_backend(fake_twilio.url).send(TEXT, None)
    assert (caught.value.code, caught.value.retryable) == (20003, False)
    assert "account details" in caught.value.reason


def test_no_answer_in_time_is_ambiguous(fake_twilio, make_backend):
    fake_twilio.answer = Answer(201, message_json(), delay=5)
    started = time.monotonic()
    with pytest.raises(SendFailed) as caught:
        make_backend(fake_twilio.url).send(TEXT, None)
    assert time.monotonic() - started < 2
    assert (caught.value.retryable, caught.value.ambiguous) == (True, True)
    assert len(fake_twilio.seen) == 1
    assert_private(caught.value)


def test_hanging_up_after_the_request_is_ambiguous(fake_twilio, make_backend):
    fake_twilio.answer = Answer(hang_up=True)
    with pytest.raises(SendFailed) as caught:
        make_backend(fake_twilio.url).send(TEXT, None)
    assert (caught.value.retryable, caught.value.ambiguous) == (True, True)


def test_refused_connection_is_retryable_and_not_ambiguous(closed_port_url, make_backend):
    with pytest.raises(SendFailed) as caught:
        make_backend(closed_port_url).send(TEXT, None)
    failure = caught.value
    assert (failure.retryable, failure.ambiguous, failure.http_status) == (True, False, None)
    assert failure.reason == "Could not reach Twilio; will try again"
    assert_private(failure)


def test_unreadable_success_is_ambiguous(fake_twilio, make_backend):
    fake_twilio.answer = Answer(201, raw=b"<html>gateway says hello</html>")
    with pytest.raises(SendFailed) as caught:
        make_backend(fake_twilio.url).send(TEXT, None)
    assert (caught.value.retryable, caught.value.ambiguous) == (True, True)


def page_json(*messages: dict) -> dict:
    return {"messages": list(messages), "page": 0, "page_size": 20, "next_page_uri": None}


def test_lookup_finds_the_text_by_body_and_time(fake_twilio, make_backend):
    since = datetime.now(UTC) - timedelta(minutes=5)
    fake_twilio.answer = Answer(200, page_json(
        message_json(sid="SM" + "2" * 32, body="Another text"),
        message_json(sid="SM" + "3" * 32, date_created=format_datetime(since - timedelta(days=1))),
        message_json(sid="SM" + "4" * 32, status="undelivered", error_code=30003),
    ))
    found = make_backend(fake_twilio.url).lookup(TEXT, since)
    assert found == LookupResult(sid="SM" + "4" * 32, status=ProviderStatus.UNDELIVERED,
                                 raw_status="undelivered", error_code=30003)
    [seen] = fake_twilio.seen
    assert seen.method == "GET"
    # No DateSent filter: a text still queued has no date_sent yet.
    assert seen.query == {"To": [TO], "From": [FROM], "PageSize": ["50"]}


def test_lookup_without_a_match_is_none_and_naive_times_are_utc(fake_twilio, make_backend):
    fake_twilio.answer = Answer(200, page_json(message_json()))
    later = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1)
    assert make_backend(fake_twilio.url).lookup(TEXT, later) is None


def test_lookup_through_a_messaging_service_matches_the_service(fake_twilio, make_backend):
    fake_twilio.answer = Answer(200, page_json(
        message_json(sid="SM" + "5" * 32, messaging_service_sid="MG" + "9" * 32),
        message_json(sid="SM" + "6" * 32, messaging_service_sid=SERVICE_SID, status="delivered"),
    ))
    backend = make_backend(fake_twilio.url, TWILIO_FROM_NUMBER="",
                           TWILIO_MESSAGING_SERVICE_SID=SERVICE_SID)
    found = backend.lookup(TEXT, datetime.now(UTC) - timedelta(minutes=1))
    assert found is not None and (found.sid, found.status) == ("SM" + "6" * 32,
                                                               ProviderStatus.DELIVERED)
    assert fake_twilio.seen[0].query == {"To": [TO], "PageSize": ["50"]}


def test_lookup_failures_are_retryable(fake_twilio, closed_port_url, make_backend):
    fake_twilio.answer = Answer(401, error_json(401, 20003, "Authenticate"))
    for url in (fake_twilio.url, closed_port_url):
        with pytest.raises(SendFailed) as caught:
            make_backend(url).lookup(TEXT, datetime.now(UTC))
        assert caught.value.retryable and not caught.value.ambiguous
        assert caught.value.reason.startswith("Could not check with Twilio")
        assert_private(caught.value)
    fake_twilio.answer = Answer(200, raw=b"not json")
    with pytest.raises(SendFailed, match="could not be read") as caught:
        make_backend(fake_twilio.url).lookup(TEXT, datetime.now(UTC))
    assert caught.value.retryable


# --- Configuration and plain-language helpers -----------------------------------------------

@pytest.mark.parametrize("settings", [
    {"TWILIO_AUTH_TOKEN": ""},
    {"TWILIO_FROM_NUMBER": "", "TWILIO_MESSAGING_SERVICE_SID": ""},
    {"SMS_TIMEOUT_SECONDS": -1},
    {"TWILIO_API_BASE": "127.0.0.1:4010"},
])
def test_incomplete_settings_are_refused(settings):
    config = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": "t",
              "TWILIO_FROM_NUMBER": FROM, **settings}
    with pytest.raises(ValueError, match="TWILIO_|SMS_TIMEOUT"):
        TwilioBackend.from_config(config)


def test_defaults_to_twilio_itself():
    backend = TwilioBackend.from_config({"TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                                         "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM_NUMBER": FROM})
    with backend:
        assert backend._client.api.base_url == DEFAULT_API_BASE
        assert backend.name == "twilio"


@pytest.mark.parametrize(("raw", "status"), [
    ("accepted", ProviderStatus.SENDING), ("scheduled", ProviderStatus.SENDING),
    ("queued", ProviderStatus.SENDING), ("sending", ProviderStatus.SENDING),
    ("sent", ProviderStatus.SENT), ("delivered", ProviderStatus.DELIVERED),
    ("read", ProviderStatus.DELIVERED), ("undelivered", ProviderStatus.UNDELIVERED),
    ("failed", ProviderStatus.FAILED), ("canceled", ProviderStatus.FAILED),
    ("something-new", ProviderStatus.SENDING), (None, ProviderStatus.SENDING),
])
def test_status_mapping(raw, status):
    assert status_for(raw) is status


def test_reasons_are_plain_language():
    assert reason_for(30003) == "The phone was switched off or out of reach (Twilio 30003)"
    assert reason_for(99999) == "Twilio reported a problem (Twilio 99999)"
    assert reason_for(None) == "Twilio gave no reason"


class _TooManyRequests(BaseHTTPRequestHandler):
    """429, asking to wait the seconds the path names (/7: seven)."""

    def do_GET(self):
        self.send_response(429)
        self.send_header("Retry-After", self.path.strip("/"))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        """Quiet."""


def test_threads_sharing_a_backend_each_read_their_own_answers_retry_after():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TooManyRequests)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    serving.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    http = _HttpClient(timeout=5, max_retries=0)
    first_answered, second_answered = threading.Event(), threading.Event()
    read: dict[str, str] = {}

    def first():
        http.request("GET", f"{url}/7")
        first_answered.set()
        second_answered.wait(5)  # the other thread's answer comes in meanwhile
        read["first"] = http.last_headers["Retry-After"]

    def second():
        first_answered.wait(5)
        http.request("GET", f"{url}/60")
        read["second"] = http.last_headers["Retry-After"]
        second_answered.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    finally:
        http.session.close()
        server.shutdown()
        server.server_close()
        serving.join()
    assert read == {"first": "7", "second": "60"}
    assert http.last_headers == {}  # this thread has had no answer
