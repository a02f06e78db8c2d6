"""The people the load test acts as, made on the bench database and handed to Locust as JSON:
visitors' tokens with the clients on their rounds, providers' tokens with a feed cursor from
mid-history, coordinators' logins, and the fictional mobiles inbound texts come from.

Nothing here is secret beyond the run: tokens expire after a day, and the coordinators'
password is set on accounts the bench made.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from sqlalchemy import select

# Requests a second of each group at a national operator's peak; derived in locustfile.py.
PEAK = {"visitor": 8.3, "twilio": 3.75, "provider": 2.5, "coordinator": 2.7}
VISITORS = 200  # of the bench's 2,000 rounds: enough that no visitor records absurdly often
COORDINATORS = 40
COORDINATOR_EMAIL = "bench-load-coordinator-{}@example.org"
# Sessions are bound to the browser that logged in (Flask-Login's "strong" protection), so the
# runner logs in with the user agent the simulated coordinators then browse with.
USER_AGENT = "outreach-load-coordinator"


def users(group: str, scale: float) -> int:
    """Simulated users of a group (one request a second each) at `scale` times the peak."""
    return max(1, round(PEAK[group] * scale))


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


def make(bench, path: Path, base_url: str, auth_token: str) -> dict:
    """Prepare everyone on the bench database and write the plan to `path`; answers it."""
    from outreach.auth import tokens
    from outreach.auth.models import User
    from outreach.bench_escalations import bench_operator, bench_providers, middle_cursor
    from outreach.bench_sms import PHONES, _bench_phones
    from outreach.db import db
    from outreach.people.models import Client
    from outreach.rounds.models import Round

    _bench_phones(bench)  # 1,000 bench clients get a drama-range mobile; old texts cleared
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
            providers.append({"token": raw, "since": middle_cursor(db, organisation_id)})
        coordinators = _coordinators(db, operator_id, password)
        browse = list(db.session.scalars(select(Client.id).where(
            Client.programme_id == programme_id).order_by(Client.id).limit(5000)))
        db.session.commit()
    plan = {"visitors": visitors, "providers": providers, "coordinators": coordinators,
            "password": password, "clients": browse, "phones": PHONES,
            "sms_url": base_url.rstrip("/") + "/sms/inbound", "auth_token": auth_token}
    # Readable by this user only: it holds live tokens and a password.
    path.touch(mode=0o600)
    path.write_text(json.dumps(plan))
    return plan
