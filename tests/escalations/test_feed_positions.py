"""Feed positions are never handed out twice, whatever is erased or withdrawn in between: a
poller following `since` sees every event after its cursor exactly once (on SQLite and, with
TEST_DATABASE_URL, PostgreSQL)."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from outreach.consent.models import Consent
from outreach.consent.services import record_consent, withdraw
from outreach.db import db
from outreach.enums import ConsentPurpose, EscalationStatus
from outreach.escalations import feed, services
from outreach.escalations.models import Escalation, EscalationEvent
from outreach.needs.services import create_need
from outreach.people import subject_access
from outreach.people.models import Client
from tests import factories
from tests.escalations.conftest import make_setting

CLIENTS = 3


def _drain(api, since: str, limit: int) -> tuple[list[dict], str]:
    """Every item after `since`, page by page, and the cursor to carry on from."""
    items: list[dict] = []
    while True:
        response = api.get("/escalations", query_string={"since": since, "limit": limit})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        items += body["items"]
        if not body["items"]:
            return items, body["next_cursor"]
        since = body["next_cursor"]


def _key(event_id: int, kind: str, cursor: str) -> tuple:
    """What tells one event from another: SQLite gives a deleted row's id to the next row, so
    the id alone does not (nor, before positions came from a sequence, the position)."""
    return event_id, kind, cursor


def _placed(organisation_id: int) -> set[tuple]:
    """The keys of the organisation's events that are in the feed now."""
    return {_key(row.id, row.kind.value, feed.encode(row.position)) for row in db.session.execute(
        select(EscalationEvent.id, EscalationEvent.kind, EscalationEvent.position).where(
            EscalationEvent.organisation_id == organisation_id,
            EscalationEvent.position.is_not(None)))}


def _share_consent(client_id: int, organisation_id: int) -> Consent | None:
    return db.session.scalar(select(Consent).where(
        Consent.client_id == client_id, Consent.purpose == ConsentPurpose.SHARE_INFORMATION,
        Consent.organisation_id == organisation_id, Consent.withdrawn_at.is_(None)))


def _people(setting) -> list[int]:
    """Mary and two more clients of the GP practice, each sharing with it."""
    ids = [setting.mary.id]
    for _ in range(CLIENTS - 1):
        person = factories.client(setting.programme, gp_practice_id=setting.gp.id)
        factories.consent(person, ConsentPurpose.TAKE_PART)
        ids.append(person.id)
    for client_id in ids:
        factories.consent(db.session.get(Client, client_id), ConsentPurpose.SHARE_INFORMATION,
                          organisation_id=setting.gp.id)
    return ids


def _apply(step: tuple, setting, people: list[int]) -> None:
    """One thing happening to the clients, committed and placed in the feed as after a request."""
    what, who = step
    client = db.session.get(Client, people[who])
    if client is None:
        return  # erased earlier in this run
    if what == "need":
        create_need(None, client, "pain_or_illness", "soon", "Aches all over", "visit")
    elif what == "act":
        live = db.session.scalar(select(Escalation).where(
            Escalation.client_id == client.id, Escalation.organisation_id == setting.gp.id,
            Escalation.status == EscalationStatus.OPEN).limit(1))
        if live is not None:
            services.acknowledge(db.session.get(type(setting.provider), setting.provider.id),
                                 live, "On it")
    elif what == "withdraw":
        consent = _share_consent(client.id, setting.gp.id)
        if consent is not None:
            withdraw(None, consent, "Changed her mind")
    elif what == "consent":
        if _share_consent(client.id, setting.gp.id) is None:
            record_consent(None, client, {"purpose": ConsentPurpose.SHARE_INFORMATION,
                                          "organisation_id": setting.gp.id})
    elif what == "erase":
        subject_access.erase(client)
    db.session.commit()
    feed.sequence_committed()


STEPS = st.lists(st.one_of(
    st.tuples(st.sampled_from(["need", "need", "act", "withdraw", "consent", "erase"]),
              st.integers(0, CLIENTS - 1)),
    st.tuples(st.just("poll"), st.integers(1, 4))), min_size=1, max_size=25)


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=STEPS)
# The interleaving that was found: the erased client's event held the newest position.
@example(steps=[("need", 0), ("need", 1), ("poll", 2), ("erase", 1), ("act", 0), ("poll", 2)])
def test_a_poller_sees_every_event_after_its_cursor_exactly_once(app, api_as, _transaction,
                                                                 steps):
    """For any interleaving of escalation events, erasures and consent withdrawals (and
    re-consent), each poll returns exactly the events placed since the last one: none skipped,
    none repeated, erased clients' withdrawn events included."""
    example = _transaction.begin_nested()  # each example starts from the same database
    try:
        with app.app_context():
            setting = make_setting()
            people = _people(setting)
            db.session.commit()
        gp = api_as(setting.provider)
        cursor, seen = "", []
        for step in [*steps, ("poll", 2)]:
            if step[0] == "poll":
                items, cursor = _drain(gp, cursor, step[1])
                seen += [_key(item["id"], item["kind"], item["cursor"]) for item in items]
                assert len(seen) == len(set(seen)), "an event was served twice"
                with app.app_context():
                    # Erasure deletes the client's own events; nothing still held was missed.
                    assert _placed(setting.gp.id) <= set(seen), "an event was skipped"
                assert all(item["escalation"] is None for item in items
                           if item["kind"] == "withdrawn"
                           and item["detail"]["because"] == "erased")
            else:
                with app.app_context():
                    _apply(step, setting, people)
    finally:
        example.rollback()


def test_after_an_erasure_the_next_event_is_not_given_a_position_already_handed_out(
        app, api_as, setting):
    """The example that was found: the newest events were an erased client's, so max + 1 gave
    the next urgent escalation a position the poller's cursor had already passed."""
    with app.app_context():
        setting.share_with_everyone()
        other = factories.client(setting.programme, gp_practice_id=setting.gp.id)
        factories.consent(other, ConsentPurpose.TAKE_PART)
        factories.consent(other, ConsentPurpose.SHARE_INFORMATION, organisation_id=setting.gp.id)
        create_need(None, db.session.get(Client, setting.mary.id), "pain_or_illness", "soon",
                    "Sore knee", "visit")
        db.session.commit()
        feed.sequence_committed()
        create_need(None, db.session.get(Client, other.id), "pain_or_illness", "soon",
                    "Back pain", "visit")
        db.session.commit()
        feed.sequence_committed()
        other_id = other.id
    gp = api_as(setting.provider)
    first, cursor = _drain(gp, "", 10)
    assert [item["kind"] for item in first] == ["created", "created"]
    with app.app_context():
        subject_access.erase(db.session.get(Client, other_id))
        db.session.commit()
        feed.sequence_committed()
        create_need(None, db.session.get(Client, setting.mary.id), "medication", "urgent",
                    "Ran out of her tablets", "visit")
        db.session.commit()
        feed.sequence_committed()
    after, _ = _drain(gp, cursor, 10)
    kinds = [(item["kind"], (item["escalation"] or {}).get("category")) for item in after]
    assert ("withdrawn", None) in kinds  # the erased client's escalation, without them
    assert ("created", "medication") in kinds  # the new urgent one: not skipped
    with app.app_context():
        urgent = db.session.scalars(select(EscalationEvent.id).where(
            EscalationEvent.organisation_id == setting.gp.id,
            EscalationEvent.escalation_id.is_not(None))).all()
    assert set(urgent) - {item["id"] for item in first} <= {item["id"] for item in after}
