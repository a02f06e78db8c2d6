"""Helpers for the SMS tests: webhook requests signed exactly as Twilio signs them."""

from __future__ import annotations

import secrets
from xml.etree import ElementTree

from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from outreach.db import db
from tests.conftest import TEST_SETTINGS

AUTH_TOKEN = TEST_SETTINGS["TWILIO_AUTH_TOKEN"]
BASE_URL = TEST_SETTINGS["PUBLIC_BASE_URL"]
OUR_NUMBER = TEST_SETTINGS["TWILIO_FROM_NUMBER"]
ACCOUNT_SID = "AC" + "0" * 32


def new_sid(prefix: str = "SM") -> str:
    return prefix + secrets.token_hex(16)


def sign(path: str, form: dict, *, token: str = AUTH_TOKEN, base: str = BASE_URL) -> str:
    """The X-Twilio-Signature Twilio would send for `form` posted to `base + path`."""
    return RequestValidator(token).compute_signature(base + path, form)


def inbound_form(body: str, sender: str, *, sid: str | None = None, to: str = OUR_NUMBER,
                 **extra) -> dict:
    """The fields Twilio posts for a text sent to our number (the ones it always sends)."""
    sid = sid or new_sid()
    return {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID, "From": sender,
            "To": to, "Body": body, "NumMedia": "0", "ApiVersion": "2010-04-01", **extra}


def post_signed(client, path: str, form: dict, **headers):
    """POST `form` to `path` with Twilio's signature of it."""
    return client.post(path, data=form, headers={"X-Twilio-Signature": sign(path, form),
                                                 **headers})


def text_in(client, body: str, sender: str, **kw):
    """A text from `sender` arriving at the inbound webhook."""
    return post_signed(client, "/sms/inbound", inbound_form(body, sender, **kw))


def reply_of(response) -> str | None:
    """The text of the TwiML answer's one <Message>, or None for an empty <Response/>."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml"
    root = ElementTree.fromstring(response.get_data(as_text=True))  # noqa: S314 - our own
    assert root.tag == "Response"
    messages = [m.text for m in root.iter("Message")]
    assert len(messages) <= 1
    return messages[0] if messages else None


def row_counts() -> dict[str, int]:
    """Rows in every table (inside an application context)."""
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}
