"""Configuration read from environment variables, with safe defaults for a laptop."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

# Our number on a laptop with the console backend: Ofcom's drama range, never anyone's.
CONSOLE_FROM_NUMBER = "+447700900000"
# An API token's lifetime unless TOKEN_LIFETIME_DAYS says otherwise.
DEFAULT_TOKEN_LIFETIME_DAYS = 90
# No value until the environment gives one (a secret is never written here).
NOT_SET = ""
DEFAULT_SECRET_KEY = "dev-insecure-change-me"  # noqa: S105 - refused in production, see check()  # nosec B105

# Every setting the application understands, with its default. Values from the environment are
# converted to the type of the default.
DEFAULTS: dict[str, object] = {
    "OUTREACH_ENV": "development",  # development | testing | production
    "DATABASE_URL": "",  # empty: SQLite file under instance/
    "SECRET_KEY": DEFAULT_SECRET_KEY,
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    "SMS_BACKEND": "console",
    "TWILIO_ACCOUNT_SID": "",
    "TWILIO_AUTH_TOKEN": NOT_SET,
    "TWILIO_FROM_NUMBER": "",
    "TWILIO_MESSAGING_SERVICE_SID": "",
    "TWILIO_API_BASE": "https://api.twilio.com",
    "CELERY_BROKER_URL": "",
    # How often the scheduler (Celery beat, or cron running `outreach tick`) runs each periodic
    # job; a job without a success for 3 of these shows as late and fails GET /readyz.
    "JOB_INTERVAL_SECONDS": 60.0,
    # Outbound texts per second, per sending process (Twilio's long codes take about 1 a second,
    # short codes 100).
    "SMS_SEND_RATE": 10.0,
    "SMS_COST_PER_SEGMENT": "0.04",  # an estimate shown per message, in SMS_COST_CURRENCY
    "SMS_COST_CURRENCY": "GBP",
    "SMS_MAX_ATTEMPTS": 6,  # tries of one text before it is marked failed
    "SMS_RETRY_BASE_SECONDS": 30,  # first retry after this, doubling each time
    "SMS_TIMEOUT_SECONDS": 10,  # for each call to the SMS provider
    # A text in `sending` this long without word from the provider was cut off by a crash.
    "SMS_STUCK_AFTER_SECONDS": 300,
    "SMS_REPEAT_WINDOW_MINUTES": 10,  # the same text again within this is one need
    "SMS_LOOP_LIMIT": 6,  # texts from one number within the window before we stop answering
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_RATE_LIMIT": "10 per minute",  # attempts on one account, and from one address on it
    # Failed logins from one address whatever the accounts: looser, as a depot's or an office's
    # staff may share one address.
    "LOGIN_ADDRESS_RATE_LIMIT": "30 per minute",
    # Reverse proxies of our own in front of the application (0: none; X-Forwarded-* ignored).
    "TRUSTED_PROXY_HOPS": 0,
    # How long an administrator's password-reset link works (a number, not a secret).
    "PASSWORD_RESET_HOURS": 24,  # nosec B105
    "DEFAULT_PHONE_REGION": "JE",
    "ALLOWED_PHONE_REGIONS": "JE,GG,IM,GB",
    # Ofcom's range reserved for drama (07700 900000-900999) is accepted outside production so
    # demo and test data can never reach a real person.
    "ALLOW_FICTIONAL_NUMBERS": True,
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Each web process counts every round's progress at most this often (0: on every view).
    "DASHBOARD_COUNT_SECONDS": 15,
    "API_PAGE_SIZE": 50,
    "API_MAX_PAGE_SIZE": 200,
    "TOKEN_LIFETIME_DAYS": DEFAULT_TOKEN_LIFETIME_DAYS,
    # Provider webhooks (outreach.escalations.webhooks). After each commit the new deliveries
    # are handed over without blocking the request: `auto` is a Celery task when
    # CELERY_BROKER_URL is set, else a background thread of this process; `thread` and `celery`
    # force one; `none` leaves them to the periodic job (tests call deliver_due themselves).
    "WEBHOOK_HANDOVER": "auto",
    "WEBHOOK_TIMEOUT_SECONDS": 5.0,  # the whole POST, connecting included
    "WEBHOOK_RETRY_BASE_SECONDS": 30,  # first retry after this, doubling each time...
    "WEBHOOK_RETRY_MAX_SECONDS": 3600,  # ...up to this; a delivery is never given up
    # Shown as failing once it has failed this long (or its oldest delivery 3 times running).
    "WEBHOOK_FAILING_AFTER_MINUTES": 15,
    # Mixed with SECRET_KEY into the key of the anonymised extract's pseudonyms: the same key
    # gives a client the same pseudonym in every extract; a new salt starts an unlinkable set.
    "EXTRACT_PSEUDONYM_SALT": "outreach-extract-1",
    # Data retention (outreach/retention), in days; 0 keeps the records for ever.
    "RETENTION_MESSAGE_BODY_DAYS": 0,  # blank the words of texts older than this
    "RETENTION_CLIENT_AFTER_LEAVING_DAYS": 0,  # anonymise clients who left longer ago
    "RETENTION_AUDIT_DAYS": 0,  # delete audit events older than this
    "RETENTION_UNKNOWN_SENDER_DAYS": 0,  # delete texts from numbers of no client or contact
}

# Flask and extension settings that may be passed to create_app() directly.
PASSTHROUGH = {
    "TESTING",
    "DEBUG",
    "SERVER_NAME",
    "WTF_CSRF_ENABLED",
    "RATELIMIT_ENABLED",
    "SQLALCHEMY_ENGINE_OPTIONS",
    "SQLALCHEMY_DATABASE_URI",
    "SESSION_COOKIE_SECURE",
}

ENV_PREFIXES = ("OUTREACH_", "TWILIO_", "SMS_", "WEBHOOK_", "RETENTION_")
# Read by the scripts, not by the application.
SCRIPT_VARIABLES = {"OUTREACH_VENV"}


def _coerce(default: object, raw: str) -> object:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def load(overrides: dict | None, instance_path: str) -> dict:
    """Build the configuration from defaults, the environment and explicit overrides."""
    config: dict[str, object] = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        if key in os.environ:
            config[key] = _coerce(default, os.environ[key])
    for key in os.environ:
        if key.startswith(ENV_PREFIXES) and key not in DEFAULTS and key not in SCRIPT_VARIABLES:
            log.warning("Unknown configuration variable %s is ignored", key)
    for key, value in (overrides or {}).items():
        if key not in DEFAULTS and key not in PASSTHROUGH:
            log.warning("Unknown configuration key %s is ignored", key)
            continue
        config[key] = value

    production = config["OUTREACH_ENV"] == "production"
    explicit = set(overrides or {}) | set(os.environ)
    if production and "ALLOW_FICTIONAL_NUMBERS" not in explicit:
        config["ALLOW_FICTIONAL_NUMBERS"] = False
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        config["SQLALCHEMY_DATABASE_URI"] = database_uri(str(config["DATABASE_URL"]), instance_path)
    config.setdefault("SESSION_COOKIE_SECURE", str(config["PUBLIC_BASE_URL"]).startswith("https"))
    # A pooled connection the database dropped (a restart, a failover) is noticed and replaced
    # before use, rather than failing the first request after it.
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True,
                                           **(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})}
    # With the limits shared in Redis and Redis down, each process counts on its own meanwhile:
    # logins keep working and are still limited, rather than failing with the store.
    config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = not str(
        config["RATELIMIT_STORAGE_URI"]).startswith("memory://")
    config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=config["SESSION_COOKIE_SECURE"],
        REMEMBER_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="outreach_session",
        PERMANENT_SESSION_LIFETIME=60 * 60 * 12,
        WTF_CSRF_TIME_LIMIT=None if config.get("TESTING") else 60 * 60 * 12,
        JSON_SORT_KEYS=False,
    )
    if config["SECRET_KEY"] == DEFAULT_SECRET_KEY and not production:
        config["SECRET_KEY"] = _instance_secret(instance_path, "secret_key")
    if not config["TWILIO_AUTH_TOKEN"] and not production:
        # Inbound texts are signed with this token; on a laptop `sms-simulate` signs with the
        # same one, so the webhook's check is the real one even without a Twilio account.
        config["TWILIO_AUTH_TOKEN"] = _instance_secret(instance_path, "twilio_auth_token")
    if config["SMS_BACKEND"] == "console" and not config["TWILIO_FROM_NUMBER"]:
        # Texts in the outbox come from, and texts in go to, a number like a real one would.
        config["TWILIO_FROM_NUMBER"] = CONSOLE_FROM_NUMBER
    return config


def check(config: dict) -> None:
    """Refuse settings that would be unsafe in production."""
    key = str(config["SECRET_KEY"])
    if config["OUTREACH_ENV"] == "production" and key == DEFAULT_SECRET_KEY:
        raise RuntimeError(
            "Refusing to start in production with the default SECRET_KEY: "
            "set SECRET_KEY to a long random value."
        )
    if config["OUTREACH_ENV"] == "production":
        from outreach.config.checks import production_problems

        if problems := production_problems(config):
            raise RuntimeError("Refusing to start in production: " + " ".join(problems))
    if config["SMS_BACKEND"] not in ("console", "twilio"):
        raise RuntimeError(
            f"SMS_BACKEND must be 'console' or 'twilio', not {config['SMS_BACKEND']!r}")
    if config["SMS_BACKEND"] == "twilio":
        missing = [name for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")
                   if not config[name]]
        if not (config["TWILIO_FROM_NUMBER"] or config["TWILIO_MESSAGING_SERVICE_SID"]):
            missing.append("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
        if missing:
            raise RuntimeError("SMS_BACKEND=twilio needs " + ", ".join(missing) + ".")
    if config["OUTREACH_ENV"] == "production" and not config["TWILIO_AUTH_TOKEN"]:
        raise RuntimeError("Refusing to start in production without TWILIO_AUTH_TOKEN: inbound "
                           "texts could not be checked.")
    if float(config["SMS_SEND_RATE"]) <= 0:
        raise RuntimeError("SMS_SEND_RATE must be a positive number of texts per second.")
    if config["WEBHOOK_HANDOVER"] not in ("auto", "thread", "celery", "none"):
        raise RuntimeError("WEBHOOK_HANDOVER must be auto, thread, celery or none, not "
                           f"{config['WEBHOOK_HANDOVER']!r}")
    if config["WEBHOOK_HANDOVER"] == "celery" and not config["CELERY_BROKER_URL"]:
        raise RuntimeError("WEBHOOK_HANDOVER=celery needs CELERY_BROKER_URL.")
    if int(config["TRUSTED_PROXY_HOPS"]) < 0:
        raise RuntimeError("TRUSTED_PROXY_HOPS must be 0 (no proxy) or the number of proxies.")
    if float(config["WEBHOOK_TIMEOUT_SECONDS"]) <= 0:
        raise RuntimeError("WEBHOOK_TIMEOUT_SECONDS must be a positive number of seconds.")


def database_uri(url: str, instance_path: str) -> str:
    """Turn DATABASE_URL into a SQLAlchemy URL; empty means a SQLite file under instance/."""
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "outreach.sqlite3")
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _instance_secret(instance_path: str, name: str) -> str:
    """A random key kept under instance/ so development sessions survive restarts."""
    path = Path(instance_path) / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
