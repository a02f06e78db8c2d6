"""After consent is withdrawn, no route serves the provider the client's personal data.

Every rule of `app.url_map` (not a list kept here) is called by the access matrix's provider
(the GP practice) with every credential it holds (its session on pages, an API token on the API,
FHIR and the Atom feed, its feed token on the Atom feed), about the client on the round, whose
consent to share with the GP practice was withdrawn after the GP held escalations about them.
The client's name, address, phone, date of birth, the need in their words and the notes written
on the escalations were seeded with values found nowhere else: no answer may contain one. Every
refusal to act on a withdrawn escalation is audited.

The world is the access matrix's (tests/test_access_matrix.py), with its ids.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.auth.models import User
from outreach.consent.models import Consent
from outreach.consent.services import withdraw
from outreach.db import db, utcnow
from outreach.enums import ConsentPurpose, EscalationOutcome, EscalationStatus
from outreach.escalations import feed, feed_tokens, services
from outreach.escalations.models import Escalation
from outreach.extensions import limiter
from outreach.needs.models import Need
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from tests import factories
from tests.conftest import csrf_token

# The matrix's module-wide world, and its per-test savepoint in place of the suite's transaction.
from tests.test_access_matrix import (  # noqa: F401 - fixtures
    _gate,
    _matrix_world,
    _transaction,
    _url,
)

NAME, ADDRESS, PHONE = "Ermengarde Vibert", "4 Clos des Tulipiers, Grouville", "+447700900654"
BIRTH = date(1933, 11, 23)
WORDS, NOTE, OUTCOME = "Wheezing at night", "Her nephew Aurelien calls", "Saw Dr Pinel twice"
PERSONAL = (NAME, "Ermengarde", "Vibert", ADDRESS, "Tulipiers", PHONE, "7700900654",
            BIRTH.isoformat(), "23 November 1933", "23/11/1933", WORDS, NOTE, "Aurelien",
            OUTCOME, "Pinel")
# Route parameters, by name: what to put in each, as keys into the matrix's ids (or values).
PARAMS = {
    "escalation_id": "esc_gp_on", "task_id": "esc_gp_on", "client_id": "client_on_round",
    "organisation_id": "gp", "need_id": "need_on", "visit_id": "visit_on",
    "message_id": "message_on", "prescription_id": "prescription_gp",
    "appointment_id": "appointment_on", "contact_id": "contact_on", "consent_id": "consent_on",
    "programme_id": "programme", "round_id": "round", "feed_token_id": "feed_token_gp",
    "enrolment_id": "enr_off", "workshop_id": "ws_own", "session_id": "sess_own",
    "skill_id": "skill_own", "rule_id": "rule_own", "user_id": "provider_user",
    "number_id": "number_on", "pause_id": "missing", "cover_id": "missing",
    "token": "selfreport_token", "filename": "file:app.css", "name": "table_clients",
    "month": "month",
}
# The escalation routes are walked for each GP escalation about the client: live when consent
# was withdrawn (passed back to the coordinator), and resolved before that.
ESCALATIONS = ("esc_gp_on", "esc_resolved_on")
BODY = {"note": "Calling again", "outcome": "helped", "usefulness": 4, "reason": "Because",
        "status": "out_for_delivery", "description": "Repeat"}


def seed(ids: dict) -> Client:
    """Give the client on the round values found nowhere else, a note by the GP on the live
    escalation and an outcome on the resolved one, and the GP its tokens (in the app context;
    committed)."""
    person = db.session.get(Client, ids["client_on_round"])
    person.full_name, person.address, person.phone = NAME, ADDRESS, PHONE
    person.date_of_birth = BIRTH
    live = db.session.get(Escalation, ids["esc_gp_on"])
    db.session.get(Need, live.need_id).description = WORDS
    provider = db.session.get(User, ids["provider_user"])
    services.add_note(provider, live, NOTE)
    resolved = db.session.get(Escalation, ids["esc_resolved_on"])
    resolved.outcome, resolved.outcome_note = EscalationOutcome.HELPED, OUTCOME
    resolved.status = EscalationStatus.RESOLVED
    raw, _ = feed_tokens.issue(provider, db.session.get(Organisation, ids["gp"]), "Reader")
    ids["feed_token_raw"] = raw
    ids["api_token"] = factories.token(provider)
    ids["month"] = utcnow().strftime("%Y-%m")
    db.session.commit()
    return person


@pytest.fixture(scope="module")
def withdrawn(app, _matrix_world):  # noqa: F811
    """The matrix world, with the client on the round seeded and their consent to share with
    the GP practice withdrawn (the GP had noted and resolved escalations about them)."""
    made, ids = _matrix_world
    with app.app_context():
        person = seed(ids)
        consent = db.session.scalar(select(Consent).where(
            Consent.client_id == person.id, Consent.organisation_id == ids["gp"],
            Consent.purpose == ConsentPurpose.SHARE_INFORMATION))
        withdraw(None, consent, "Does not want the surgery told")
        # A later change must not reach the GP practice either.
        person.address = "11 Rue Apres, St Martin"
        db.session.commit()
        feed.sequence_committed()
    return made, ids


def _fill(rule: str, ids: dict, escalation: str) -> str:
    def value(name: str):
        if name not in PARAMS:
            raise AssertionError(f"{rule}: say what to put in <{name}> (PARAMS)")
        key = escalation if name in ("escalation_id", "task_id") else PARAMS[name]
        return ids[key]

    return _url(rule, {name: value(name) for name in re.findall(r"<(?:[a-z]+:)?(\w+)>", rule)})


def _calls(rule, ids: dict):
    """(method, url, kind) for every way the provider can call the rule: each escalation, each
    of its credentials, and the feeds from the start."""
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
    escalations = ESCALATIONS if {"escalation_id", "task_id"} & set(rule.arguments) else ("",)
    for method in methods:
        for escalation in escalations:
            url = _fill(rule.rule, ids, escalation) if rule.arguments else rule.rule
            kinds = ["bearer"] if url.startswith(("/api/", "/fhir/")) else ["session"]
            if url.startswith("/feeds/"):
                kinds = ["bearer", "feed_token"]
            for kind in kinds:
                yield method, url, kind
                if method == "GET" and kind != "session":
                    yield method, url + "?since=0&limit=200", kind  # the pull feed from the start


def _call(client, method: str, url: str, kind: str, ids: dict):
    if kind == "feed_token":
        return client.get(url + ("&" if "?" in url else "?") + f"token={ids['feed_token_raw']}")
    if kind == "bearer":
        headers = {"Authorization": f"Bearer {ids['api_token']}"}
        return client.open(url, method=method, headers=headers,
                           json=BODY if method != "GET" else None)
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method,
                       data={**BODY, "csrf_token": csrf_token(client, "/clients/")})


def test_no_route_serves_the_provider_the_client_after_consent_was_withdrawn(
        app, client, login, withdrawn):
    made, ids = withdrawn
    errors, leaked, unaudited, reached = walk(app, client, login, made, ids)
    assert errors == []
    assert leaked == [], "personal data served after consent was withdrawn"
    assert unaudited == [], "a refusal to act on a withdrawn escalation was not audited"
    # The walk reached the escalation's own pages, API and FHIR (a withdrawn record, not 404).
    assert {("GET", "/api/v1/escalations/<int:escalation_id>"),
            ("GET", "/escalations/<int:escalation_id>"),
            ("GET", "/fhir/r4/Task/<task_id>")} <= reached


def walk(app, client, login, made, ids: dict):
    """Call every route of the app as the GP practice, every way it can: the 5xx answers, the
    answers holding a seeded value, the unaudited refusals to act on an escalation, and the
    escalation routes that answered with the escalation's record (200, or 410 once erased)."""
    login(made.provider)
    leaked, errors, unaudited, reached = [], [], [], set()
    for rule in app.url_map.iter_rules():
        for method, url, kind in _calls(rule, ids):
            limiter.reset()
            response = _call(client, method, url, kind, ids)
            text = response.get_data().decode("utf-8", "replace")  # PDFs too
            response.close()  # a file-backed answer (a static file) is closed once read
            if kind == "session" and method != "GET" \
                    and client.get("/provider/").status_code != 200:
                login(made.provider)  # that was the logout form
            # /readyz answers 503 by design here: no periodic job has run in this database.
            if response.status_code >= 500 and rule.rule != "/readyz":
                errors.append((method, url, kind, response.status_code))
            found = [value for value in PERSONAL if value in text] + (
                ["11 Rue Apres"] if "Rue Apres" in text else [])
            if found:
                leaked.append((method, url, kind, response.status_code, found))
            if response.status_code in (200, 410) \
                    and {"escalation_id", "task_id"} & rule.arguments:
                reached.add((method, rule.rule))
            gate = _gate(app, rule.rule, method)
            if response.status_code == 403 and method != "GET" \
                    and "escalation_id" in rule.arguments \
                    and (gate is None or "provider" in gate):  # not refused by role alone
                unaudited += [] if _denied(app, ids, url) else [(method, url, kind)]
    return errors, leaked, unaudited, reached


def _denied(app, ids: dict, url: str) -> bool:
    """Whether the provider's latest refusal about the escalation in `url` was audited."""
    escalation_id = int(re.search(r"escalations/(\d+)", url).group(1))
    with app.app_context():
        details = db.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.actor_id == ids["provider_user"],
            AuditEvent.action == "escalation.denied")).all()
    return any(d.get("escalation_id") == escalation_id for d in details)


def test_before_withdrawal_the_same_walk_would_find_the_client(app, api_as, withdrawn):
    """The seeded values are what the routes showed while consent stood (the walk can see a
    leak): re-consented, with a live escalation, the GP reads them again."""
    made, ids = withdrawn
    with app.app_context():
        person = db.session.get(Client, ids["client_on_round"])
        factories.consent(person, ConsentPurpose.SHARE_INFORMATION, organisation_id=ids["gp"])
        factories.escalation(person, db.session.get(Organisation, ids["gp"]),
                             category="transport")
        db.session.commit()
    text = api_as(made.provider).get(f"/escalations/{ids['esc_gp_on']}").get_data(as_text=True)
    assert NAME in text and WORDS in text and NOTE in text
