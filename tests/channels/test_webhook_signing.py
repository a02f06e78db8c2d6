"""The Standard Webhooks signature as a property: for any secret, body, id and moment, the
`standardwebhooks` library verifies what channels.webhooks signs, and nothing else."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from channels.webhooks import sign, signing_key, standard_headers, verify

URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
bodies = st.binary(max_size=300)
ids = st.text(st.sampled_from(URLSAFE), min_size=1, max_size=40)
standard_keys = st.binary(min_size=24, max_size=64)
# What secrets.token_urlsafe(32) made before the scheme: 43 URL-safe characters.
old_secrets = st.text(st.sampled_from(URLSAFE), min_size=43, max_size=43).map(
    lambda text: "whsec_" + text)


@settings(max_examples=60, deadline=None, database=None)
@given(key=standard_keys, body=bodies, message_id=ids)
def test_standard_secrets_verify_with_the_library(key, body, message_id):
    secret = "whsec_" + base64.b64encode(key).decode()
    assert signing_key(secret) == key
    now = int(time.time())
    headers = standard_headers(message_id, now, body, secret)
    Webhook(secret).verify(body, headers, json_parse=False)
    assert verify(body, secret, sign(body, secret))
    tampered = {**headers, "webhook-id": message_id + "x"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, tampered, json_parse=False)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b"!", headers, json_parse=False)


@settings(max_examples=60, deadline=None, database=None)
@given(secret=old_secrets, body=bodies, message_id=ids)
def test_old_secrets_sign_with_their_own_text(secret, body, message_id):
    assert signing_key(secret) == secret.encode()
    headers = standard_headers(message_id, int(time.time()), body, secret)
    Webhook(secret.encode()).verify(body, headers, json_parse=False)


@settings(max_examples=30, deadline=None, database=None)
@given(key=standard_keys, body=bodies, message_id=ids,
       age=st.integers(min_value=301, max_value=10**7))
def test_old_or_future_timestamps_are_refused(key, body, message_id, age):
    secret = "whsec_" + base64.b64encode(key).decode()
    now = int(datetime.now(UTC).timestamp())
    for moment in (now - age - 5, now + age + 5):
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(body, standard_headers(message_id, moment, body, secret),
                                   json_parse=False)
