"""`outreach webhook-listen`: the receiver a demonstration points an organisation's webhook at."""

from __future__ import annotations

import json
import time

from channels.webhooks import standard_headers
from outreach.escalations.webhook_cli import PATH, _handler, describe


def test_describe_names_the_event_and_the_escalation():
    payload = {"kind": "acknowledged", "escalation": {
        "id": 7, "category": "pain_or_illness", "severity": "urgent", "status": "acknowledged",
        "client": {"full_name": "Mary Le Brun"}}}
    assert describe(payload) == ("acknowledged: escalation 7 (pain_or_illness, urgent, now "
                                 "acknowledged) about Mary Le Brun")


def test_the_listener_prints_signed_posts_and_refuses_others(tmp_path):
    import threading
    import urllib.request
    from http.server import HTTPServer

    printed: list[str] = []
    server = HTTPServer(("127.0.0.1", 0), _handler("whsec_test", printed.append))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}{PATH}"
    body = json.dumps({"kind": "created", "escalation": {
        "id": 3, "category": "fall", "severity": "urgent", "status": "open",
        "client": {"full_name": "Jo Pallot"}}}).encode()

    def post(secret: str, message_id: str = "evt_1", age: int = 0) -> int:
        headers = standard_headers(message_id, int(time.time()) - age, body, secret)
        request = urllib.request.Request(url, data=body, method="POST", headers={
            **headers, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - loopback
                return answer.status
        except urllib.error.HTTPError as refused:
            return refused.code

    try:
        assert post("whsec_test") == 204
        assert post("another secret", "evt_2") == 401
        assert post("whsec_test", "evt_3", age=600) == 401  # a replay, ten minutes on
        assert post("whsec_test") == 204  # a retry: taken, not shown twice
    finally:
        server.shutdown()
        server.server_close()
    assert printed == ["created: escalation 3 (fall, urgent, now open) about Jo Pallot",
                       "Refused a POST whose signature did not verify (No matching signature "
                       "found).",
                       "Refused a POST whose signature did not verify (Message timestamp too "
                       "old).",
                       "Already had evt_1: not printed again."]


def test_an_unknown_organisation_is_refused(app):
    result = app.test_cli_runner().invoke(args=["outreach", "webhook-listen", "--organisation",
                                                "Nobody At All"])
    assert result.exit_code != 0 and "No organisation is called" in result.output


def test_the_listener_holds_no_transaction_while_it_waits(app, monkeypatch):
    """It serves until stopped; meanwhile the web process must be free to write."""
    from http.server import HTTPServer

    from outreach.db import db

    states = []

    def serve(self):
        states.append(db.session().in_transaction())
        raise KeyboardInterrupt

    monkeypatch.setattr(HTTPServer, "serve_forever", serve)
    with app.app_context():
        from tests import factories

        factories.organisation(name="Listening Surgery")
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["outreach", "webhook-listen", "--organisation",
                                                "Listening Surgery", "--port", "0"])
    assert result.exit_code == 0, result.output
    assert "Listening Surgery's webhook now points at http://127.0.0.1:" in result.output
    assert states == [False]
