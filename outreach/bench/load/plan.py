"""The people the load test acts as, made on the bench database and handed to Locust as JSON:
visitors' tokens with the clients on their rounds, providers' tokens with their feed cursor
(caught up, as a system polling every 30 s is), coordinators' logins, and the fictional numbers
of the clients who answer this morning's check-in texts (each has one waiting).

Nothing here is secret beyond the run: tokens expire after a day, and the coordinators'
password is set on accounts the bench made.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path

import phonenumbers
from sqlalchemy import delete, func, insert, select, text, update

# Requests a second of each group at a national operator's peak; derived in locustfile.py.
PEAK = {"visitor": 8.3, "twilio": 3.75, "provider": 2.5, "coordinator": 2.7}
VISITORS = 200  # of the bench's 2,000 rounds: enough that no visitor records absurdly often
COORDINATORS = 40
COORDINATOR_EMAIL = "bench-load-coordinator-{}@example.org"
# Sessions are bound to the browser that logged in (Flask-Login's "strong" protection), so the
# runner logs in with the user agent the simulated coordinators then browse with.
USER_AGENT = "outreach-load-coordinator"
# The reference's row in the table (see Reference in locustfile.py).
REFERENCE = "reference: bare Flask endpoint, same callers"
# The classes in locustfile.py that make up the morning; Reference runs on its own.
MORNING = ("Visitor", "Twilio", "Provider", "Coordinator")
VACUUMED = ("programmes", "users", "api_tokens", "clients", "messages", "message_events",
            "needs", "escalations", "escalation_events", "escalation_needs", "visits",
            "audit_events")
# Clients who answer a check-in text during the run, each once (see texting_clients).
TEXTERS = 6000
CHECK_IN_BODY = "Call & Check: how are you today? Reply 1 if all is well, 2 for a call, 3 for help."


def users(group: str, scale: float) -> int:
    """Simulated users of a group (one request a second each) at `scale` times the peak."""
    return max(1, round(PEAK[group] * scale))


def all_users(scale: float) -> int:
    """Simulated users of every group at `scale` times the peak."""
    return sum(users(group, scale) for group in PEAK)


def _coordinators(db, operator_id: int, password: str) -> list[str]:
    """Emails of COORDINATORS coordinators of the bench operator, all with `password`."""
    from outreach.auth.models import User
    from outreach.auth.passwords import hash_password
    from outreach.db import utcnow

    hashed = hash_password(password)  # one hash for all: argon2 is slow on purpose
    emails = [COORDINATOR_EMAIL.format(i) for i in range(COORDINATORS)]
    known = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    for n, email in enumerate(emails):
        user = known.get(email)
        if user is None:
            now = utcnow()
            user = User(email=email, full_name=f"Load Coordinator {n}", role="coordinator",
                        organisation_id=operator_id, session_token=secrets.token_hex(16),
                        created_at=now, updated_at=now)
            db.session.add(user)
        user.password_hash, user.active = hashed, True
    return emails


def fictional_numbers(count: int) -> list[str]:
    """`count` numbers reserved for fiction, so no real person is ever texted or named.

    The UK has only 1,000 fictional mobiles (Ofcom's 07700 900000-900999); the rest are the
    North American Numbering Plan's fictional 555-0100 to 555-0199 of each valid area code.
    """
    from outreach.bench.sms import PHONES

    numbers = list(PHONES)
    for area in range(201, 1000):
        if len(numbers) >= count:
            break
        if phonenumbers.is_valid_number(phonenumbers.parse(f"+1{area}5550100")):
            numbers += [f"+1{area}55501{n:02d}" for n in range(100)]
    return numbers[:count]


def texting_clients(bench, count: int, now) -> list[str]:
    """Give `count` bench clients a fictional number and this morning's check-in text, sent
    ten minutes ago and waiting for its answer; answers their numbers.

    Texts at those numbers and the needs they raised (earlier runs') are removed first, so a
    second run starts as the first did; the clients' history at their old numbers stays.
    """
    from outreach.db import db
    from outreach.messages.models import Message
    from outreach.needs.models import Need
    from outreach.people.models import Client

    numbers = fictional_numbers(count)
    with bench.app.app_context():
        clients = db.session.execute(select(Client.id, Client.programme_id).where(
            Client.round_id.in_(bench.round_ids)).order_by(Client.id).limit(len(numbers))).all()
        db.session.execute(delete(Need).where(Need.id.in_(select(Message.need_id).where(
            Message.phone.in_(numbers), Message.need_id.is_not(None)))))
        db.session.execute(delete(Message).where(Message.phone.in_(numbers)))
        db.session.execute(update(Client), [{"id": row.id, "phone": number}
                                            for row, number in zip(clients, numbers, strict=False)])
        sent = now - timedelta(minutes=10)
        db.session.execute(insert(Message), [{
            "direction": "outbound", "kind": "check_in", "status": "sent",
            "client_id": row.id, "programme_id": row.programme_id, "phone": number,
            "service_number": "+447700900001", "body": CHECK_IN_BODY, "language": "en",
            "encoding": "GSM-7", "segments": 1, "backend": "console", "sent_at": sent,
            "reply_due_at": now + timedelta(hours=4), "created_at": sent, "updated_at": sent}
            for row, number in zip(clients, numbers, strict=False)])
        db.session.commit()
    return numbers


def caught_up_cursor(db, organisation_id: int) -> str:
    """The organisation's feed cursor after its latest event: where a system polling every
    30 s stands, so each poll brings what happened since the one before."""
    from outreach.escalations import feed
    from outreach.escalations.models import EscalationEvent

    position = db.session.scalar(select(func.max(EscalationEvent.position)).where(
        EscalationEvent.organisation_id == organisation_id))
    return feed.encode(position or 0)


def _vacuum(db) -> None:
    """Vacuumed and analysed, as autovacuum keeps a live database: each run rewrites thousands
    of rows (the numbers and texts above, the visits and needs of the run before), and the
    bench's import makes and empties a programme, which leaves the planner's guesses stale."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in VACUUMED:
            conn.execute(text(f"VACUUM (ANALYZE) {table}"))


def make(bench, path: Path, base_url: str, auth_token: str) -> dict:
    """Prepare everyone on the bench database and write the plan to `path`; answers it."""
    from outreach.auth import tokens
    from outreach.auth.models import User
    from outreach.bench.escalations import bench_operator, bench_providers
    from outreach.db import db, utcnow
    from outreach.people.models import Client
    from outreach.rounds.models import Round

    phones = texting_clients(bench, TEXTERS, utcnow())
    password = secrets.token_urlsafe(16)
    with bench.app.app_context():
        operator_id, programme_id = bench_operator(db)
        visitors = []
        for round_id in bench.round_ids[:VISITORS]:
            round_ = db.session.get(Round, round_id)
            clients = list(db.session.scalars(select(Client.id).where(
                Client.round_id == round_id).order_by(Client.walk_order)))
            raw, _ = tokens.issue(db.session.get(User, round_.visitor_id), "load", 1)
            visitors.append({"token": raw, "clients": clients})
        providers = []
        for organisation_id, user_id in bench_providers(db):
            raw, _ = tokens.issue(db.session.get(User, user_id), "load", 1)
            providers.append({"token": raw, "since": caught_up_cursor(db, organisation_id)})
        coordinators = _coordinators(db, operator_id, password)
        browse = list(db.session.scalars(select(Client.id).where(
            Client.programme_id == programme_id).order_by(Client.id).limit(5000)))
        db.session.commit()
        _vacuum(db)
    plan = {"visitors": visitors, "providers": providers, "coordinators": coordinators,
            "password": password, "clients": browse, "phones": phones,
            "sms_url": base_url.rstrip("/") + "/sms/inbound", "auth_token": auth_token}
    # Readable by this user only: it holds live tokens and a password.
    path.touch(mode=0o600)
    path.write_text(json.dumps(plan))
    return plan
