"""`outreach sms-simulate`: text in as Twilio would, to try the SMS path without a phone.

The text is posted to /sms/inbound with the fields and the signature Twilio would send (signed
with this deployment's TWILIO_AUTH_TOKEN), so the webhook's real check is what lets it in.
"""

from __future__ import annotations

import secrets
import shlex
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree  # parses only our own application's TwiML  # nosec B405

import click
from flask import current_app
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from outreach.cli import cli
from outreach.config import CONSOLE_FROM_NUMBER
from outreach.db import db
from outreach.enums import MessageDirection
from outreach.messages.models import Message

LOOPBACK = {"localhost", "127.0.0.1", "::1"}
PATH = "/sms/inbound"
TIMEOUT_SECONDS = 15


def twilio_form(sender: str, to: str, body: str) -> dict[str, str]:
    """The form Twilio posts for an inbound text, with a fresh MessageSid."""
    sid = "SM" + secrets.token_hex(16)
    account = current_app.config["TWILIO_ACCOUNT_SID"] or "AC" + "0" * 32
    return {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": account,
            "From": sender, "To": to, "Body": body, "NumMedia": "0", "NumSegments": "1",
            "SmsStatus": "received", "ApiVersion": "2010-04-01"}


def curl_command(url: str, form: dict[str, str], signature: str) -> str:
    """A shell command that posts `form` to `url` with `signature`."""
    parts = ["curl", "-sS", "-X", "POST", url, "-H", f"X-Twilio-Signature: {signature}"]
    for name, value in form.items():
        parts += ["--data-urlencode", f"{name}={value}"]
    return " ".join(shlex.quote(part) for part in parts)


def replies_in(twiml: str) -> list[str]:
    """The texts of the <Message> elements of a TwiML answer."""
    # Our own application's answer (loopback only, or in-process): not untrusted XML.
    root = ElementTree.fromstring(twiml)  # noqa: S314  # nosec B314
    return [element.text or "" for element in root.iter("Message")]


@cli.command("sms-simulate")
@click.option("--from", "sender", required=True, help="The sender's number, e.g. +447700900101.")
@click.option("--body", required=True, help="What the text says.")
@click.option("--to", default=None,
              help="Our number it is sent to (default: TWILIO_FROM_NUMBER).")
@click.option("--local", is_flag=True,
              help="Post through the application in this process; no server needed.")
@click.option("--curl", "as_curl", is_flag=True,
              help="Print a curl command that sends this text, instead of sending it.")
def sms_simulate(sender: str, body: str, to: str | None, local: bool, as_curl: bool) -> None:
    """Send a text to /sms/inbound as Twilio would (signed), and show the reply."""
    config = current_app.config
    url = config["PUBLIC_BASE_URL"].rstrip("/") + PATH
    form = twilio_form(sender, to or config["TWILIO_FROM_NUMBER"] or CONSOLE_FROM_NUMBER, body)
    signature = RequestValidator(config["TWILIO_AUTH_TOKEN"]).compute_signature(url, form)
    if as_curl:
        click.echo(curl_command(url, form, signature))
        return
    status, answer = (_post_in_process(form, signature) if local
                      else _post_over_http(url, form, signature))
    if status == 403:
        raise click.ClickException(
            "The webhook refused the signature (403). The server and this command must share "
            "TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL.")
    if status != 200:
        raise click.ClickException(f"The webhook answered {status}: {answer[:300]}")
    replies = replies_in(answer)
    click.echo(f"Reply: {' / '.join(replies)}" if replies else "Reply: (none)")
    _describe(form["MessageSid"])


def _post_in_process(form: dict[str, str], signature: str) -> tuple[int, str]:
    response = current_app.test_client().post(PATH, data=form,
                                              headers={"X-Twilio-Signature": signature})
    return response.status_code, response.get_data(as_text=True)


def _post_over_http(url: str, form: dict[str, str], signature: str) -> tuple[int, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK:
        raise click.ClickException(
            f"sms-simulate only posts to this machine, and PUBLIC_BASE_URL points elsewhere "
            f"({parts.scheme}://{parts.netloc}). Use --local to post through the application "
            f"itself.")
    request = urllib.request.Request(  # noqa: S310 - http(s) on loopback, checked above
        url, data=urlencode(form).encode(), method="POST",
        headers={"X-Twilio-Signature": signature,
                 "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310  # nosec B310
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        raise click.ClickException(
            f"Nothing answered at {parts.scheme}://{parts.netloc}: is the server running? "
            f"Start it with scripts/run, or use --local.") from error


def _describe(sid: str) -> None:
    """What the application made of the text, if this process can see its database."""
    message = db.session.scalar(select(Message).where(
        Message.direction == MessageDirection.INBOUND, Message.provider_sid == sid))
    if message is None:
        click.echo(f"Sent as {sid} (not found in this command's database).")
        return
    understood = message.meaning.value if message.meaning else "nothing"
    need = f", need {message.need_id}" if message.need_id else ""
    click.echo(f"Stored as message {message.id} ({sid}): understood as {understood}{need}.")
