"""The rule behind every route, as a property: a provider reads a client only while it holds a
live escalation about them and the client's consent to share with it (and to take part) stands,
whatever happened before: escalations raised, resolved, handed back, consent withdrawn and given
again. Checked on the escalation API (list, single, the pull feed from the start)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from outreach.auth.models import User
from outreach.consent.models import Consent
from outreach.consent.services import record_consent, withdraw
from outreach.db import db
from outreach.enums import ESCALATION_LIVE, ConsentPurpose
from outreach.escalations import feed, services
from outreach.escalations.models import Escalation
from outreach.needs.services import create_need
from outreach.people.models import Client
from tests import factories
from tests.escalations.conftest import make_setting

CLIENTS = 2


def _standing(client_id: int, organisation_id: int | None) -> Consent | None:
    purpose = (ConsentPurpose.TAKE_PART if organisation_id is None
               else ConsentPurpose.SHARE_INFORMATION)
    return db.session.scalar(select(Consent).where(
        Consent.client_id == client_id, Consent.purpose == purpose,
        Consent.organisation_id.is_(None) if organisation_id is None
        else Consent.organisation_id == organisation_id, Consent.withdrawn_at.is_(None)))


def _live(client_id: int, organisation_id: int) -> list[Escalation]:
    return list(db.session.scalars(select(Escalation).where(
        Escalation.client_id == client_id, Escalation.organisation_id == organisation_id,
        Escalation.status.in_(ESCALATION_LIVE)).order_by(Escalation.id)))


def _expected(client_id: int, gp_id: int) -> tuple[bool, str | None]:
    """(shown, withdrawn) as the rule says, from the database as it stands."""
    consented = (_standing(client_id, None) is not None
                 and _standing(client_id, gp_id) is not None)
    return consented and bool(_live(client_id, gp_id)), None if consented \
        else "consent_withdrawn"


def _apply(step: tuple, setting, people: list[int]) -> None:
    what, who = step
    client = db.session.get(Client, people[who])
    gp, provider = setting.gp.id, db.session.get(User, setting.provider.id)
    live = _live(client.id, gp)
    if what in ("pain_or_illness", "medication"):
        create_need(None, client, what, "soon", "Feeling poorly", "visit")
    elif what == "resolve" and live and live[0].acknowledged_at is None:
        services.resolve(provider, live[0], "helped", usefulness=4)
    elif what == "hand_back" and live:
        services.hand_back(provider, live[0], "Not one for us")
    elif what in ("withdraw", "leave"):
        consent = _standing(client.id, gp if what == "withdraw" else None)
        if consent is not None:
            withdraw(None, consent, "Changed their mind")
    elif what in ("consent", "rejoin"):
        purpose = (ConsentPurpose.SHARE_INFORMATION if what == "consent"
                   else ConsentPurpose.TAKE_PART)
        if _standing(client.id, gp if what == "consent" else None) is None:
            record_consent(None, client, {"purpose": purpose, **(
                {"organisation_id": gp} if what == "consent" else {})})
    db.session.commit()
    feed.sequence_committed()


STEPS = st.lists(st.tuples(st.sampled_from([
    "pain_or_illness", "medication", "resolve", "hand_back", "withdraw", "consent", "leave",
    "rejoin"]), st.integers(0, CLIENTS - 1)), min_size=1, max_size=12)


@settings(max_examples=20, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=STEPS)
def test_a_provider_reads_a_client_only_while_it_holds_a_live_escalation_and_consent_stands(
        app, api_as, _transaction, steps):
    example = _transaction.begin_nested()  # each example starts from the same database
    try:
        with app.app_context():
            setting = make_setting()
            people = [setting.mary.id]
            for _ in range(CLIENTS - 1):
                person = factories.client(setting.programme, gp_practice_id=setting.gp.id)
                factories.consent(person, ConsentPurpose.TAKE_PART)
                people.append(person.id)
            for client_id in people:
                factories.consent(db.session.get(Client, client_id),
                                  ConsentPurpose.SHARE_INFORMATION,
                                  organisation_id=setting.gp.id)
            db.session.commit()
        gp = api_as(setting.provider)
        for step in steps:
            with app.app_context():
                _apply(step, setting, people)
                expected = {c: _expected(c, setting.gp.id) for c in people}
            listed = gp.get("/escalations", query_string={"limit": 200}).get_json()["items"]
            pulled = gp.get("/escalations", query_string={"since": "0", "limit": 200}
                            ).get_json()["items"]
            shown = [(e["client_id"], e["client"] is not None, e["withdrawn"]) for e in listed]
            shown += [(i["escalation"]["client_id"], i["escalation"]["client"] is not None,
                       i["escalation"]["withdrawn"]) for i in pulled]
            for escalation in listed[:3]:
                one = gp.get(f"/escalations/{escalation['id']}").get_json()
                shown.append((one["client_id"], one["client"] is not None, one["withdrawn"]))
            for client_id, seen, withdrawn in shown:
                assert (seen, withdrawn) == expected[client_id], (step, client_id)
    finally:
        example.rollback()
