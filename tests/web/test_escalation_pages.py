"""The provider's queue and the escalation page: who sees what, and each action's form, with
its refusals shown on the page and nothing stored."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db, set_clock
from outreach.enums import (
    ConsentPurpose,
    EscalationEventKind,
    EscalationOutcome,
    EscalationStatus,
    NeedStatus,
    OrganisationKind,
)
from outreach.escalations.models import Escalation, EscalationEvent
from outreach.needs.models import Need
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from tests import factories
from tests.conftest import csrf_token

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)  # a Monday in summer: 10:00 in Jersey (BST)


@pytest.fixture(autouse=True)
def _clock():
    set_clock(NOW)
    yield
    set_clock(None)


@pytest.fixture
def escs(app, world):
    """Escalations to the GP practice (one overdue, one resolved lately), to the food bank and
    to the other operator; the client on the round agreed to share with the food bank only."""
    with app.app_context():
        get = db.session.get
        on, off = get(Client, world.client_on_round.id), get(Client, world.client_off_round.id)
        on.notes, on.access_notes = "Private coordinator note", "Key under the blue pot"
        foreign = get(Client, world.foreign_client.id)
        gp, food = get(Organisation, world.gp.id), get(Organisation, world.food_bank.id)
        factories.consent(on)
        factories.consent(on, ConsentPurpose.SHARE_INFORMATION, organisation_id=food.id)
        late_need = factories.need(on, "medication", "urgent", description="Ran out of pills",
                                   created_at=NOW - timedelta(hours=5))
        made = SimpleNamespace(
            gp=factories.escalation(on, gp, category="pain_or_illness", severity="routine").id,
            overdue=factories.escalation(on, gp, need=late_need).id,
            resolved=factories.escalation(
                off, gp, category="transport", status=EscalationStatus.RESOLVED,
                outcome=EscalationOutcome.HELPED, resolved_at=NOW - timedelta(days=1),
                acknowledged_at=NOW - timedelta(days=2)).id,
            food=factories.escalation(off, food).id,
            foreign=factories.escalation(foreign, get(Organisation, world.other_operator.id)).id,
            on_name=on.full_name, off_name=off.full_name, foreign_name=foreign.full_name,
        )
        db.session.commit()
        return made


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return html.unescape(response.get_data(as_text=True))


def queue_of(shown: str) -> str:
    """The live part of the queue page (the filters name every category too)."""
    return shown[shown.index("Waiting for you"):shown.index("Resolved lately")]


def post(client, url: str, data: dict | None = None):
    form = dict(data or {}, csrf_token=csrf_token(client, "/clients/"))
    return client.post(url, data=form)


def escalation(app, escalation_id: int) -> Escalation:
    with app.app_context():
        found = db.session.get(Escalation, escalation_id)
        found.events  # loaded while the session is open  # noqa: B018
        return found


def audited(app, action: str, actor) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.actor_id == actor.id)
            .order_by(AuditEvent.id)))


# --- The queue ---------------------------------------------------------------------------------

def test_provider_queue_lists_own_live_escalations_overdue_first(app, world, escs, client,
                                                                  login):
    login(world.provider)
    shown = page(client, "/provider/")
    queue = shown[shown.index("Waiting for you"):shown.index("Resolved lately")]
    assert queue.index("Medication") < queue.index("Pain or illness"), "overdue is not first"
    assert 'class="flagged"' in shown and "Overdue by 4 h 0 min: not acknowledged in time" in shown
    assert "Acknowledge within 3 days" in shown  # routine: three days to acknowledge
    assert escs.foreign_name not in shown
    assert "Food or shopping" not in queue  # the food bank's, not theirs
    recent = shown[shown.index("Resolved lately"):]
    # Resolved, with nothing about that client live with the GP: listed without the name.
    assert escs.off_name not in recent and "Helped: the need was met" in recent
    assert f"Escalation {escs.resolved}" in recent
    listed = {e.client_id for e in audited(app, "client.list", world.provider)}
    assert listed == {world.client_on_round.id}


def test_queue_filters_narrow_it_and_bad_values_are_ignored(world, escs, client, login):
    login(world.provider)
    urgent = queue_of(page(client, "/provider/?severity=urgent"))
    assert "Medication" in urgent and "Pain or illness" not in urgent
    assert "Pain or illness" in queue_of(page(client, "/provider/?category=pain_or_illness"))
    assert "Nothing is waiting for you with these choices" in page(
        client, "/provider/?status=acknowledged")
    everything = queue_of(page(
        client, "/provider/?severity=<script>&status=resolved&category=' OR 1=1"))
    assert "Medication" in everything and "Pain or illness" in everything


@pytest.mark.parametrize("role", ["admin", "coordinator", "visitor", "tutor",
                                  "other_coordinator"])
def test_queue_is_for_providers_only(role, world, client, login):
    login(getattr(world, role))
    assert client.get("/provider/").status_code == 403


def test_queue_needs_login(client):
    assert client.get("/provider/").headers["Location"].startswith("/login")


def test_failing_webhook_is_noticed_at_the_top(app, world, escs, client, login):
    login(world.provider)
    assert "Your own system is not getting these" not in page(client, "/provider/")
    with app.app_context():
        gp = db.session.get(Organisation, world.gp.id)
        gp.webhook_url = "https://gp.example.org/hooks/outreach"
        gp.webhook_failing_since = NOW - timedelta(hours=2)
        db.session.commit()
    shown = page(client, "/provider/")
    assert "Your own system is not getting these" in shown
    assert "Mon 2 June 2025, 08:00" in shown  # 07:00 UTC in Jersey's summer time
    assert shown.index("Your own system") < shown.index("Waiting for you")


# --- One escalation ----------------------------------------------------------------------------

def test_provider_sees_the_minimum_about_the_client_and_the_timeline(app, world, escs, client,
                                                                     login):
    login(world.provider)
    shown = page(client, f"/escalations/{escs.overdue}")
    with app.app_context():
        on = db.session.get(Client, world.client_on_round.id)
        for value in (on.full_name, "17 May 1940", on.address, "Ran out of pills"):
            assert value in shown, value
    assert "Private coordinator note" not in shown and "Key under the blue pot" not in shown
    assert "Pain or illness" not in shown  # the client's other need is not this provider's
    assert "Why it went here" not in shown and "Send it to someone else" not in shown
    assert "Timeline" in shown and "Sent here" in shown
    assert "Mon 2 June 2025, 05:00" in shown  # created 04:00 UTC, shown in Jersey time
    reads = audited(app, "client.read", world.provider)
    assert [e.client_id for e in reads] == [world.client_on_round.id]


def test_coordinator_sees_why_and_the_coordinators_forms(app, world, escs, client, login):
    with app.app_context():
        factories.organisation(OrganisationKind.COMMUNITY, name="Island Transport")
        db.session.commit()
    login(world.coordinator)
    shown = page(client, f"/escalations/{escs.gp}")
    assert "Why it went here" in shown and "Send it to someone else" in shown
    assert ">Test Food Bank<" in shown  # the client agreed to share with the food bank
    assert ">Island Transport (no consent to share)<" in shown
    assert "Other Island Post" not in shown  # another operator is never a recipient
    assert "Hand it back" not in shown  # a provider's action
    assert "Reopen it" in page(client, f"/escalations/{escs.resolved}")


@pytest.mark.parametrize(("role", "which"), [
    ("provider", "food"), ("provider", "foreign"), ("other_coordinator", "gp"),
    ("coordinator", "foreign"), ("visitor", "gp"), ("tutor", "gp"),
])
def test_someone_elses_escalation_is_refused_and_audited(role, which, app, world, escs, client,
                                                         login):
    user = getattr(world, role)
    login(user)
    escalation_id = getattr(escs, which)
    shown = page(client, f"/escalations/{escalation_id}", status=403)
    assert escs.on_name not in shown and escs.off_name not in shown
    assert escs.foreign_name not in shown
    denied = audited(app, "escalation.denied", user)
    assert [e.detail["escalation_id"] for e in denied] == [escalation_id]
    assert audited(app, "client.read", user) == []
    response = post(client, f"/escalations/{escalation_id}/acknowledge")
    assert response.status_code == 403
    assert escalation(app, escalation_id).status == EscalationStatus.OPEN


def test_missing_escalation_is_not_found(world, client, login):
    login(world.provider)
    assert client.get("/escalations/2147483647").status_code == 404
    assert post(client, "/escalations/2147483647/resolve",
                {"outcome": "helped"}).status_code == 404


@pytest.mark.parametrize("action", ["acknowledge", "notes", "resolve", "hand-back"])
def test_form_without_csrf_token_is_refused(action, app, world, escs, client, login):
    login(world.provider)
    response = client.post(f"/escalations/{escs.gp}/{action}",
                           data={"outcome": "helped", "usefulness": "4", "note": "Done"})
    assert response.status_code == 400
    found = escalation(app, escs.gp)
    assert found.status == EscalationStatus.OPEN and len(found.events) == 1


# --- Acting on it ------------------------------------------------------------------------------

def test_acknowledge_from_the_queue_and_twice_is_harmless(app, world, escs, client, login):
    login(world.provider)
    first = post(client, f"/escalations/{escs.gp}/acknowledge", {"back": "queue"})
    assert first.status_code == 302 and first.headers["Location"] == "/provider/"
    assert "Acknowledged: it is yours to deal with now." in page(client, "/provider/")
    again = post(client, f"/escalations/{escs.gp}/acknowledge")
    assert again.headers["Location"] == f"/escalations/{escs.gp}"
    assert "It was already acknowledged." in page(client, again.headers["Location"])
    found = escalation(app, escs.gp)
    assert found.status == EscalationStatus.ACKNOWLEDGED
    assert found.acknowledged_by_id == world.provider.id
    assert [e.kind for e in found.events] == [EscalationEventKind.CREATED,
                                              EscalationEventKind.ACKNOWLEDGED]


def test_acknowledging_a_resolved_one_says_why_not(app, world, escs, client, login):
    login(world.provider)
    response = post(client, f"/escalations/{escs.resolved}/acknowledge", {"back": "queue"})
    assert response.status_code == 302
    assert "is resolved and cannot be acknowledged" in page(client, "/provider/")
    assert escalation(app, escs.resolved).status == EscalationStatus.RESOLVED


@pytest.mark.parametrize(("form", "errors"), [
    ({}, ["Say what happened before resolving.", "Rate how useful this referral was"]),
    ({"outcome": "helped"}, ["Rate how useful this referral was"]),
    ({"usefulness": "4"}, ["Say what happened before resolving."]),
    ({"outcome": "fixed it'); DROP TABLE escalations;--", "usefulness": "4"},
     ["Choose what happened from the list."]),
    ({"outcome": "helped", "usefulness": "9"}, ["Choose 1 to 5."]),
    ({"outcome": "helped", "usefulness": "lots"}, ["Choose 1 to 5."]),
    ({"outcome": "helped", "usefulness": "4", "note": "x" * 4001},
     ["Must be at most 4000 characters."]),
])
def test_resolve_with_something_missing_shows_errors_and_stores_nothing(
        form, errors, app, world, escs, client, login):
    login(world.provider)
    response = post(client, f"/escalations/{escs.gp}/resolve", form)
    assert response.status_code == 422
    shown = html.unescape(response.get_data(as_text=True))
    assert "It is not resolved yet" in shown
    for error in errors:
        assert error in shown
    found = escalation(app, escs.gp)
    assert found.status == EscalationStatus.OPEN and found.outcome is None
    assert len(found.events) == 1
    if form.get("outcome") == "helped" and form.get("usefulness") != "lots":
        assert 'value="helped" selected' in shown  # what was chosen is kept


def test_provider_resolves_with_outcome_and_rating(app, world, escs, client, login):
    login(world.provider)
    response = post(client, f"/escalations/{escs.gp}/resolve",
                    {"outcome": "helped", "usefulness": "4", "note": "Seen at the surgery"})
    assert response.status_code == 302
    shown = page(client, response.headers["Location"])
    assert "Resolved. Thank you." in shown and "4 out of 5" in shown
    found = escalation(app, escs.gp)
    assert (found.status, found.outcome, found.usefulness) == (
        EscalationStatus.RESOLVED, EscalationOutcome.HELPED, 4)
    with app.app_context():
        assert db.session.get(Need, found.need_id).status == NeedStatus.RESOLVED
    assert "Resolved lately" in page(client, "/provider/")


def test_coordinator_resolves_without_a_rating(app, world, escs, client, login):
    login(world.coordinator)
    response = post(client, f"/escalations/{escs.food}/resolve", {"outcome": "not_needed"})
    assert response.status_code == 302
    found = escalation(app, escs.food)
    assert found.status == EscalationStatus.RESOLVED and found.usefulness is None


def test_note_is_added_to_the_timeline_with_who_wrote_it(app, world, escs, client, login):
    login(world.provider)
    assert post(client, f"/escalations/{escs.gp}/notes", {"note": "   "}).status_code == 422
    response = post(client, f"/escalations/{escs.gp}/notes",
                    {"note": "Called her daughter <b>today</b>"})
    assert response.status_code == 302
    raw = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Called her daughter &lt;b&gt;today&lt;/b&gt;" in raw  # escaped, not markup
    assert f"{world.provider.full_name} (Test GP Practice)" in html.unescape(raw)
    assert [e.kind for e in escalation(app, escs.gp).events][-1] == EscalationEventKind.NOTE


def test_hand_back_creates_the_coordinators_escalation(app, world, escs, client, login):
    login(world.provider)
    blank = post(client, f"/escalations/{escs.gp}/hand-back", {"note": ""})
    assert blank.status_code == 422 and "Cannot be blank." in blank.get_data(as_text=True)
    assert escalation(app, escs.gp).status == EscalationStatus.OPEN
    response = post(client, f"/escalations/{escs.gp}/hand-back",
                    {"note": "She is not registered with us"})
    assert response.status_code == 302
    assert "Handed back to the coordinator." in page(client, response.headers["Location"])
    assert escalation(app, escs.gp).status == EscalationStatus.REASSIGNED
    with app.app_context():
        successor = db.session.scalar(select(Escalation).where(
            Escalation.previous_id == escs.gp))
        assert successor.organisation_id == world.operator.id
        assert successor.status == EscalationStatus.OPEN
        successor_id = successor.id
    client.post("/logout", data={"csrf_token": csrf_token(client, "/clients/")})
    login(world.coordinator)
    shown = page(client, f"/escalations/{successor_id}")
    assert "She is not registered with us" in shown and "Where it came from" in shown


def test_only_providers_hand_back(app, world, escs, client, login):
    login(world.coordinator)
    response = post(client, f"/escalations/{escs.gp}/hand-back", {"note": "Not theirs"})
    assert response.status_code == 403
    assert [e.detail["action"] for e in audited(app, "escalation.denied", world.coordinator)] \
        == ["hand_back"]
    assert escalation(app, escs.gp).status == EscalationStatus.OPEN


def test_reassign_asks_consent_and_goes_to_the_new_escalation(app, world, escs, client, login):
    with app.app_context():
        charity = factories.organisation(OrganisationKind.COMMUNITY, name="Island Transport")
        db.session.commit()
        charity_id = charity.id
    login(world.coordinator)
    refused = post(client, f"/escalations/{escs.gp}/reassign",
                   {"recipient": f"org:{charity_id}", "note": "Lift to the surgery"})
    assert refused.status_code == 422
    assert "has not agreed to share information with Island Transport" in html.unescape(
        refused.get_data(as_text=True))
    for nonsense in ("org:abc", "someone", "org:99999999999", ""):
        assert post(client, f"/escalations/{escs.gp}/reassign",
                    {"recipient": nonsense}).status_code == 422
    assert escalation(app, escs.gp).status == EscalationStatus.OPEN
    response = post(client, f"/escalations/{escs.gp}/reassign",
                    {"recipient": f"org:{world.food_bank.id}", "note": "Better placed"})
    assert response.status_code == 302
    with app.app_context():
        successor = db.session.scalar(select(Escalation).where(
            Escalation.previous_id == escs.gp))
        assert successor.organisation_id == world.food_bank.id
    assert response.headers["Location"] == f"/escalations/{successor.id}"
    assert escalation(app, escs.gp).status == EscalationStatus.REASSIGNED


def test_provider_cannot_reassign_or_reopen(app, world, escs, client, login):
    login(world.provider)
    assert post(client, f"/escalations/{escs.gp}/reassign",
                {"recipient": f"org:{world.food_bank.id}"}).status_code == 403
    assert post(client, f"/escalations/{escs.resolved}/reopen",
                {"note": "Back again"}).status_code == 403
    actions = [e.detail["action"] for e in audited(app, "escalation.denied", world.provider)]
    assert actions == ["reassign", "reopen"]
    assert escalation(app, escs.resolved).status == EscalationStatus.RESOLVED


def test_reopen_needs_a_reason_and_a_resolved_escalation(app, world, escs, client, login):
    login(world.coordinator)
    assert post(client, f"/escalations/{escs.resolved}/reopen", {"note": ""}).status_code == 422
    live = post(client, f"/escalations/{escs.gp}/reopen", {"note": "Again"})
    assert live.status_code == 409
    assert "Only a resolved escalation can be reopened." in live.get_data(as_text=True)
    response = post(client, f"/escalations/{escs.resolved}/reopen",
                    {"note": "Still no lift"})
    assert response.status_code == 302
    assert escalation(app, escs.resolved).status == EscalationStatus.REOPENED
    with app.app_context():
        events = db.session.scalars(select(EscalationEvent.kind).where(
            EscalationEvent.escalation_id == escs.resolved)).all()
    assert events[-1] == EscalationEventKind.REOPENED

