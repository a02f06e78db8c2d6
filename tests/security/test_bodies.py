"""Oversized and malformed bodies on the doors that need no login (the token endpoint, the login
form, the SMS webhooks): a clear 4xx in the right format, nothing stored, never a 500.
(tests/api/test_bad_input sends the same kinds of body to every authenticated API endpoint.)"""

from __future__ import annotations

import json

import pytest

from tests import factories
from tests.conftest import csrf_token
from tests.messages import inbound_form, post_signed

BIG = 2 * 1024 * 1024  # over MAX_CONTENT_LENGTH (1 MiB)


def _api_error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["code"] and error["message"] and isinstance(error["fields"], dict)
    return error


BODIES = {
    "over the size limit": (json.dumps({"email": "a@example.org", "password": "x" * BIG}), 413),
    "malformed": ('{"email": "a@example.org", "password": ', 400),
    "deeply nested": ('{"email": ' + "[" * 50_000 + "]" * 50_000 + "}", 400),
    "a huge number": ('{"email": "a@example.org", "password": ' + "9" * 10_000 + "}", 400),
    "NUL in the email": (json.dumps({"email": "a@example.org\x00", "password": "x"}), (401, 422)),
    "email as an object": (json.dumps({"email": {"$ne": None}, "password": "x"}), 422),
    "a list": (json.dumps([{"email": "a@example.org"}]), 400),
    # Found by the fuzzer: a blank email was read as "none" and failed the lookup with a 500.
    "a blank email": (json.dumps({"email": "  ", "password": "x"}), 422),
}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_the_token_endpoint_refuses_unusable_bodies_plainly(client, world, name):
    data, status = BODIES[name]
    response = client.post("/api/v1/auth/token", data=data, content_type="application/json")
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses
    _api_error(response, response.status_code)
    assert "token" not in response.get_json()


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "application/xml", "multipart/form-data; boundary=x"])
def test_the_token_endpoint_wants_json(client, world, content_type):
    response = client.post("/api/v1/auth/token", content_type=content_type,
                           data=f"email={world.admin.email}&password={factories.PASSWORD}")
    assert _api_error(response, 415)["code"] == "unsupported_media_type"


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_user_without_an_email_is_refused_not_a_500(api_as, world, method):
    """Found by the fuzzer: a blank email on a user made the duplicate check fail."""
    api = api_as(world.admin)
    body = {"email": "", "password": "a long enough password", "role": "visitor",
            "organisation_id": world.operator.id}
    path = "/users" if method == "POST" else f"/users/{world.visitor.id}"
    error = _api_error(api.request(method, path, json=body), 422)
    assert error["fields"]["email"] == ["Give an email address."]


def test_an_oversized_login_form_gets_a_page_not_a_crash(client, world):
    token = csrf_token(client)
    response = client.post("/login", data={"csrf_token": token, "email": world.admin.email,
                                           "password": "x" * BIG})
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "<h1>" in response.get_data(as_text=True)
    assert client.get("/clients/").status_code == 302


def test_an_oversized_api_body_asking_for_json_gets_the_error_format(client, api_as, world):
    api = api_as(world.coordinator)
    response = api.post("/clients", json={"programme_id": world.programme.id,
                                          "full_name": "x" * BIG})
    assert _api_error(response, 413)["code"] == "request_entity_too_large"


def test_an_oversized_status_report_is_refused_before_anything_is_read(app, client):
    form = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered", "Pad": "x" * BIG}
    assert post_signed(client, "/sms/status?message=1", form).status_code == 413
    big_text = inbound_form("y" * BIG, "+447700900642")
    assert post_signed(client, "/sms/inbound", big_text).status_code == 413
