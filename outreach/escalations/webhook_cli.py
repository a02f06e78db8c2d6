"""`outreach webhook-listen`: see an organisation's webhooks arrive, on this machine.

For a demonstration or a first integration: it points the organisation's webhook at a small
receiver on 127.0.0.1, then prints each signed POST as it comes in until stopped, checking it as
a receiving system should: the Standard Webhooks signature with the `standardwebhooks` library
(which refuses timestamps more than five minutes off), and each webhook-id taken once. Refused
in production, where webhooks go to the organisation's own https system.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, HTTPServer

import click
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from channels.webhooks import ID_HEADER, signing_key
from outreach.cli import cli
from outreach.db import db
from outreach.escalations import webhook_settings
from outreach.escalations.webhooks import public_only_urls
from outreach.organisations.models import Organisation

PATH = "/outreach-webhook"


def describe(payload: dict) -> str:
    """One line for one delivered event: what happened to which escalation."""
    escalation = payload.get("escalation") or {}
    client = escalation.get("client") or {}
    return (f"{payload.get('kind')}: escalation {escalation.get('id')} "
            f"({escalation.get('category')}, {escalation.get('severity')}, "
            f"now {escalation.get('status')}) about {client.get('full_name')}")


def _handler(secret: str, echo):
    webhook = Webhook(signing_key(secret))
    seen: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the name http.server calls
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = dict(self.headers.items())
            try:
                if self.path != PATH:
                    raise WebhookVerificationError("Not the webhook's path")
                payload = webhook.verify(body, headers)
            except (WebhookVerificationError, ValueError) as refused:
                echo(f"Refused a POST whose signature did not verify ({refused}).")
                self.send_response(401)
            else:
                message_id = self.headers.get(ID_HEADER, "")
                if message_id in seen:  # a retry of one already taken: acknowledge, once only
                    echo(f"Already had {message_id}: not printed again.")
                else:
                    seen.add(message_id)
                    echo(describe(payload))
                self.send_response(204)
            self.end_headers()

        def log_message(self, format, *args):
            """Quiet: each delivery is printed once, above."""

    return Handler


@cli.command("webhook-listen")
@click.option("--organisation", "name", required=True,
              help="The organisation's name, e.g. \"Maison Verte Medical Practice\".")
@click.option("--port", default=8025, show_default=True, type=click.IntRange(0, 65535),
              help="0: any free port.")
def webhook_listen(name: str, port: int) -> None:
    """Receive and print an organisation's webhooks on 127.0.0.1 (not in production)."""
    if public_only_urls():
        raise click.ClickException("webhook-listen is for development and demonstrations.")
    organisation = db.session.query(Organisation).filter_by(name=name).one_or_none()
    if organisation is None:
        raise click.ClickException(f"No organisation is called {name!r}.")
    server = HTTPServer(("127.0.0.1", port), None)  # bound first: a busy port fails here
    url = f"http://127.0.0.1:{server.server_address[1]}{PATH}"
    secret = webhook_settings.set_url(None, organisation, url)
    db.session.commit()
    # Let go of the database while serving: an open transaction would lock SQLite for the
    # web process (even reading the name again after commit would open one).
    db.session.close()
    server.RequestHandlerClass = _handler(secret, click.echo)
    click.echo(f"{name}'s webhook now points at {url}.\n"
               "Waiting for events (Ctrl+C to stop; later events wait for the next URL) ...")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.server_close()
