"""`flask outreach sms-simulate`: a signed text in, through the app or a running server."""

from __future__ import annotations

import shlex
import socket
import threading

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

from outreach.db import db
from outreach.messages import cli as simulate
from outreach.messages.models import Message
from outreach.needs.models import Need
from tests.messages import AUTH_TOKEN, BASE_URL, reply_of


def run(app, *args):
    return app.test_cli_runner().invoke(args=["outreach", "sms-simulate", *args])


def needs_of(app, client_id: int) -> list[Need]:
    with app.app_context():
        return list(db.session.scalars(select(Need).where(Need.client_id == client_id)))


@pytest.fixture
def served(app, monkeypatch):
    """The application served on a free loopback port, as scripts/run serves it."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", f"http://127.0.0.1:{server.port}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_local_posts_through_the_app_and_shows_the_reply(app, world):
    result = run(app, "--from", world.client_on_round.phone, "--body", "FALL", "--local")
    assert result.exit_code == 0, result.output
    assert "Reply: Thank you. We have noted: a fall. Someone will call you today." in result.output
    [need] = needs_of(app, world.client_on_round.id)
    assert need.category == "fall"
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.direction == "inbound"))
    assert (f"Stored as message {message.id} ({message.provider_sid}): understood as need, "
            f"need {need.id}.") in result.output
    assert message.service_number == "+447700900001"


def test_it_posts_to_the_running_server(app, world, served):
    result = run(app, "--from", world.client_on_round.phone, "--body", "no food left",
                 "--to", "+447700900002")
    assert result.exit_code == 0, result.output
    assert "Reply: Thank you. We have noted: food or shopping." in result.output
    assert [n.category for n in needs_of(app, world.client_on_round.id)] == ["food_or_shopping"]


def test_a_server_that_is_not_running_is_said_plainly(app, world, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    result = run(app, "--from", "+447700900123", "--body", "FALL")
    assert result.exit_code == 1
    assert "is the server running?" in result.output and "--local" in result.output


@pytest.mark.parametrize("base", ["https://outreach.example.org", "http://10.0.0.5:5000",
                                  "ftp://127.0.0.1"])
def test_it_only_ever_posts_to_this_machine(app, monkeypatch, base):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", base)

    def no_network(*args, **kwargs):
        raise AssertionError("tried to connect")

    monkeypatch.setattr(simulate.urllib.request, "urlopen", no_network)
    result = run(app, "--from", "+447700900123", "--body", "FALL")
    assert result.exit_code == 1
    assert "only posts to this machine" in result.output


def test_a_refused_signature_is_explained(app, world, monkeypatch):
    class OtherToken(RequestValidator):
        def __init__(self, token):
            super().__init__("not the server's token")

    monkeypatch.setattr(simulate, "RequestValidator", OtherToken)
    result = run(app, "--from", world.client_on_round.phone, "--body", "FALL", "--local")
    assert result.exit_code == 1
    assert "TWILIO_AUTH_TOKEN" in result.output
    assert needs_of(app, world.client_on_round.id) == []


def test_curl_prints_a_command_that_twilio_would_have_signed(app, client, world):
    result = run(app, "--from", world.client_on_round.phone, "--body", "I can't get up",
                 "--curl")
    assert result.exit_code == 0, result.output
    words = shlex.split(result.output)
    assert words[:5] == ["curl", "-sS", "-X", "POST", BASE_URL + "/sms/inbound"]
    signature = words[words.index("-H") + 1].removeprefix("X-Twilio-Signature: ")
    # curl --data-urlencode "name=value" sends the value as written, url-encoded.
    form = dict(w.split("=", 1) for i, w in enumerate(words)
                if i and words[i - 1] == "--data-urlencode")
    assert form["Body"] == "I can't get up" and form["From"] == world.client_on_round.phone
    assert form["MessageSid"].startswith("SM") and len(form["MessageSid"]) == 34
    assert RequestValidator(AUTH_TOKEN).validate(BASE_URL + "/sms/inbound", form, signature)
    assert needs_of(app, world.client_on_round.id) == []  # printed, not sent
    # Pasted, it is accepted (here through the test client instead of curl).
    response = client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})
    assert reply_of(response) == ("Thank you. We have noted: a fall. Someone will call you "
                                  "today.")


def test_from_and_body_are_required(app):
    result = run(app, "--body", "FALL")
    assert result.exit_code == 2 and "--from" in result.output
