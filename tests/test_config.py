"""Start-up configuration: safe defaults, production refusal, unknown keys reported."""

import logging

import pytest

from outreach import create_app
from outreach.config import DEFAULT_SECRET_KEY
from outreach.db import db


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
    app = create_app({"SECRET_KEY": "x" * 48, "SQLALCHEMY_DATABASE_URI": "sqlite://",
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
    with pytest.raises(RuntimeError, match="TWILIO_AUTH_TOKEN"):
        create_app({"SECRET_KEY": "x" * 48, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


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
