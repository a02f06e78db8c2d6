"""Start-up configuration: safe defaults, production refusal, unknown keys reported."""

import logging
import secrets
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outreach import create_app
from outreach.config import DEFAULT_SECRET_KEY
from outreach.config.checks import secret_key_problem
from outreach.db import db

STRONG_KEY = "q0c8Rk3Zt-7WmYx2LpVa9_Hn4FsEuJ6BdGi1ToNe5KrC"
PRODUCTION = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "TWILIO_AUTH_TOKEN": "t" * 32}


def test_production_refuses_the_default_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("OUTREACH_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SECRET_KEY": "short", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_starts_with_a_real_key_and_tightens_defaults(monkeypatch):
    monkeypatch.setenv("OUTREACH_ENV", "production")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://outreach.example.org")
    app = create_app({"SECRET_KEY": STRONG_KEY, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "TWILIO_AUTH_TOKEN": "t" * 32})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["ALLOW_FICTIONAL_NUMBERS"] is False
    response = app.test_client().get("/login")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_development_defaults(monkeypatch, tmp_path):
    for key in ("OUTREACH_ENV", "DATABASE_URL", "SECRET_KEY", "SMS_BACKEND",
                "TWILIO_FROM_NUMBER"):
        monkeypatch.delenv(key, raising=False)
    app = create_app()
    assert app.config["SMS_BACKEND"] == "console"
    # The console backend texts from a fictional number, as a real deployment has its own.
    assert app.config["TWILIO_FROM_NUMBER"] == "+447700900000"
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/outreach.sqlite3")
    assert app.config["SECRET_KEY"] != DEFAULT_SECRET_KEY
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_postgres_urls_are_given_the_psycopg_driver(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.internal/outreach")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.internal/outreach"


def test_unknown_settings_are_reported(monkeypatch, caplog):
    monkeypatch.setenv("OUTREACH_MISPELLED", "1")
    with caplog.at_level(logging.WARNING, logger="outreach.config"):
        create_app({"NOT_A_SETTING": 1, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "OUTREACH_MISPELLED" in messages
    assert "NOT_A_SETTING" in messages


def test_unknown_sms_backend_is_refused():
    with pytest.raises(RuntimeError, match="SMS_BACKEND"):
        create_app({"SMS_BACKEND": "pigeon", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_healthz_reports_an_unreachable_database(monkeypatch):
    # This app has its own engine; give it a normal session instead of the test transaction's.
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent-dir/x/y.sqlite3",
                      "TESTING": True})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_production_refuses_to_start_without_a_twilio_auth_token(monkeypatch):
    monkeypatch.setenv("OUTREACH_ENV", "production")
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://outreach.example.org")
    with pytest.raises(RuntimeError, match="TWILIO_AUTH_TOKEN"):
        create_app({"SECRET_KEY": STRONG_KEY, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_twilio_backend_needs_its_credentials_and_a_sender(monkeypatch):
    for key in ("TWILIO_ACCOUNT_SID", "TWILIO_FROM_NUMBER", "TWILIO_MESSAGING_SERVICE_SID"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(RuntimeError, match="TWILIO_ACCOUNT_SID.*TWILIO_FROM_NUMBER"):
        create_app({"SMS_BACKEND": "twilio", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_development_signs_inbound_texts_with_a_kept_random_token(monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("OUTREACH_ENV", raising=False)
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["TWILIO_AUTH_TOKEN"]
    again = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["TWILIO_AUTH_TOKEN"]
    assert len(first) >= 32 and first == again


@pytest.mark.parametrize("key", [
    "x" * 32, "x" * 200, "ab" * 20, "abcdefghij" * 4, "abcdefghijklmnopqrstuvwxyz012345",
    "change-me-change-me-change-me-change-me", "P@ssw0rdP@ssw0rdP@ssw0rdP@ssw0rd",
    "short-but-random-Zq8x",
])
def test_production_refuses_a_guessable_secret_key(monkeypatch, key):
    monkeypatch.setenv("OUTREACH_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY is too weak") as refused:
        create_app(dict(PRODUCTION, SECRET_KEY=key, PUBLIC_BASE_URL="https://outreach.example.org"))
    assert key not in str(refused.value)  # the message never repeats the secret
    assert "secrets.token_urlsafe" in str(refused.value)


@settings(max_examples=40, deadline=None, database=None)
@given(st.integers(min_value=1, max_value=9).flatmap(
    lambda n: st.lists(st.sampled_from(string.printable.strip()), min_size=n, max_size=n,
                       unique=True)), st.integers(min_value=32, max_value=120),
       st.randoms(use_true_random=False))
def test_keys_of_few_distinct_characters_are_always_refused(alphabet, length, rng):
    key = "".join(rng.choice(alphabet) for _ in range(length))
    assert secret_key_problem(key) is not None


@settings(max_examples=30, deadline=None, database=None)
@given(st.integers(min_value=24, max_value=64))
def test_random_keys_from_the_secrets_module_are_accepted(nbytes):
    assert secret_key_problem(secrets.token_urlsafe(nbytes)) is None
    assert secret_key_problem(secrets.token_hex(max(nbytes, 32))) is None


@pytest.mark.parametrize("url", ["http://outreach.example.org", "http://127.0.0.1:5000",
                                 "outreach.example.org", "https://", "ftp://outreach.example.org"])
def test_production_refuses_a_public_base_url_without_https(monkeypatch, url):
    monkeypatch.setenv("OUTREACH_ENV", "production")
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app(dict(PRODUCTION, SECRET_KEY=STRONG_KEY, PUBLIC_BASE_URL=url))


def test_production_refuses_cookies_without_secure(monkeypatch):
    monkeypatch.setenv("OUTREACH_ENV", "production")
    with pytest.raises(RuntimeError, match="SESSION_COOKIE_SECURE"):
        create_app(dict(PRODUCTION, SECRET_KEY=STRONG_KEY, SESSION_COOKIE_SECURE=False,
                        PUBLIC_BASE_URL="https://outreach.example.org"))


def test_development_accepts_plain_http_and_any_key(monkeypatch):
    monkeypatch.setenv("OUTREACH_ENV", "development")
    app = create_app(dict(PRODUCTION, SECRET_KEY="x" * 32, PUBLIC_BASE_URL="http://127.0.0.1:5000"))
    assert app.config["SESSION_COOKIE_SECURE"] is False
