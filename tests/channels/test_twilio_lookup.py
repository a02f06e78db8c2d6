"""Looking an interrupted send up at Twilio: the real twilio client reads Twilio's list of texts
to the number page after page, newest first, until it is past the send's time window, so a
text with many newer ones is still found; "not found" is answered only once the whole window
has been read. Against a fake Twilio that pages as Twilio does, and against Prism."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from channels.sms import twilio
from channels.sms.base import OutboundText, ProviderStatus, SendFailed
from channels.sms.twilio import TwilioBackend

ACCOUNT = "AC" + "0123456789abcdef" * 2
FROM = "+447700900001"
TO = "+447700900123"
SENT_AT = datetime(2026, 5, 12, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _transaction():
    """No database here."""
    yield


class Listing:
    """What the fake holds: texts to one number, listed newest first (by date_sent, those still
    queued first), `page_size` at a time with a next_page_uri, as Twilio's Messages list."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.requests: list[dict[str, list[str]]] = []

    def add(self, body: str, created: datetime, sent: datetime | None, sid: str) -> None:
        self.messages.append({
            "sid": sid, "account_sid": ACCOUNT, "to": TO, "from": FROM, "body": body,
            "status": "sent" if sent else "queued", "direction": "outbound-api",
            "date_created": format_datetime(created),
            "date_sent": format_datetime(sent) if sent else None, "error_code": None,
            "messaging_service_sid": None, "_order": sent or datetime.max.replace(tzinfo=UTC)})

    def page(self, query: dict[str, list[str]]) -> dict:
        self.requests.append(query)
        size, number = int(query["PageSize"][0]), int(query.get("Page", ["0"])[0])
        ordered = sorted(self.messages, key=lambda m: m["_order"], reverse=True)
        chunk = ordered[number * size:(number + 1) * size]
        more = len(ordered) > (number + 1) * size
        path = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
        following = urlencode({"To": TO, "From": FROM, "PageSize": size, "Page": number + 1,
                               "PageToken": f"PA{number + 1}"})
        return {"messages": [{k: v for k, v in m.items() if k != "_order"} for m in chunk],
                "page": number, "page_size": size, "uri": path,
                "next_page_uri": f"{path}?{following}" if more else None}


@pytest.fixture
def listing() -> Iterator[tuple[Listing, str]]:
    held = Listing()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            payload = json.dumps(held.page(parse_qs(urlsplit(self.path).query))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format, *args):
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield held, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def backend(url: str) -> TwilioBackend:
    return TwilioBackend(ACCOUNT, "test-token", from_number=FROM, api_base=url, timeout=2)


def text(body: str, known: frozenset[str] = frozenset()) -> OutboundText:
    return OutboundText(message_id=1, to=TO, body=body, known_sids=known)


def test_a_text_with_many_newer_ones_to_the_same_number_is_found(listing):
    held, url = listing
    held.add("Older one", SENT_AT - timedelta(hours=1), SENT_AT - timedelta(hours=1), "SMold")
    held.add("Your parcel is on its way.", SENT_AT, SENT_AT + timedelta(seconds=2), "SMours")
    for n in range(120):  # sent since, to the same number: more than two pages
        moment = SENT_AT + timedelta(seconds=10 + n)
        held.add(f"Newer text {n}", moment, moment, f"SMnew{n}")
    with backend(url) as twilio_backend:
        found = twilio_backend.lookup(text("Your parcel is on its way."), SENT_AT,
                                      SENT_AT + timedelta(minutes=5))
    assert found is not None and (found.sid, found.status) == ("SMours", ProviderStatus.SENT)
    assert len(held.requests) == 3  # pages of 50: the third holds ours, and no further
    assert [q.get("Page", ["0"]) for q in held.requests] == [["0"], ["1"], ["2"]]
    assert all("DateSent>" not in q and "DateSent<" not in q for q in held.requests)


def test_not_found_only_after_reading_back_past_the_window(listing):
    held, url = listing
    for n in range(60):
        moment = SENT_AT + timedelta(seconds=n)
        held.add(f"Newer text {n}", moment, moment, f"SMnew{n}")
    # Same words, but sent the day before: another text, not ours.
    held.add("Your parcel", SENT_AT - timedelta(days=1), SENT_AT - timedelta(days=1), "SMday")
    held.add("Much older", SENT_AT - timedelta(days=9), SENT_AT - timedelta(days=9), "SMnine")
    for n in range(100):  # never read: the list is past the window before them
        moment = SENT_AT - timedelta(days=10, seconds=n)
        held.add(f"Ancient {n}", moment, moment, f"SMold{n}")
    with backend(url) as twilio_backend:
        assert twilio_backend.lookup(text("Your parcel"), SENT_AT, SENT_AT) is None
    assert len(held.requests) == 2


def test_a_text_still_in_twilios_queue_is_found_and_does_not_end_the_search(listing):
    held, url = listing
    # Queued at Twilio for hours (a long code's queue): no date_sent, listed first.
    held.add("Stuck in the queue", SENT_AT - timedelta(hours=3), None, "SMqueued")
    held.add("Your parcel", SENT_AT + timedelta(seconds=1), None, "SMtheirs")
    held.add("Your parcel", SENT_AT, None, "SMours")
    with backend(url) as twilio_backend:
        found = twilio_backend.lookup(text("Your parcel", frozenset({"SMtheirs"})), SENT_AT)
    assert found is not None and (found.sid, found.raw_status) == ("SMours", "queued")


def test_a_text_handed_over_after_the_window_is_not_taken_for_ours(listing):
    held, url = listing
    later = SENT_AT + timedelta(hours=1)
    held.add("Your parcel", later, later, "SMlater")
    with backend(url) as twilio_backend:
        assert twilio_backend.lookup(text("Your parcel"), SENT_AT,
                                     SENT_AT + timedelta(minutes=5)) is None


def test_a_list_too_long_to_read_back_is_a_failure_not_a_not_found(listing, monkeypatch):
    held, url = listing
    monkeypatch.setattr(twilio, "LOOKUP_MAX_PAGES", 2)
    for n in range(150):
        moment = SENT_AT + timedelta(seconds=n)
        held.add(f"Newer text {n}", moment, moment, f"SMnew{n}")
    with backend(url) as twilio_backend, pytest.raises(SendFailed) as caught:
        twilio_backend.lookup(text("Your parcel"), SENT_AT)
    assert caught.value.retryable and not caught.value.ambiguous
    assert caught.value.reason.startswith("Could not check with Twilio")
    assert TO not in str(caught.value)


def test_paging_follows_twilios_own_next_page_uri_against_prism(prism_url, monkeypatch):
    """Prism answers every page with the description's example (texts of 2019) and a next
    page: reading back to 2000 follows each next_page_uri, which Prism checks against Twilio's
    description, until the page limit ends the look-up as a failure."""
    monkeypatch.setattr(twilio, "LOOKUP_MAX_PAGES", 3)
    with backend(prism_url) as twilio_backend:
        with pytest.raises(SendFailed, match="Too many texts"):
            twilio_backend.lookup(text("No such words"), datetime(2000, 1, 1, tzinfo=UTC))
        # Within the window of the example's text: found on the first page.
        found = twilio_backend.lookup(OutboundText(1, TO, "testing"),
                                      datetime(2019, 5, 24, 17, 44, tzinfo=UTC),
                                      datetime(2019, 5, 24, 17, 46, tzinfo=UTC))
        assert found is not None and found.sid.startswith("SM")
