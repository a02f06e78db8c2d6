"""The coordinator's escalation pages over HTTP: the overview, the routing-rules editor, the
client's history and what the visitor is told at the next visit."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.db import db, set_clock
from outreach.enums import (
    ConsentPurpose,
    EscalationOutcome,
    EscalationStatus,
    OrganisationKind,
)
from outreach.escalations.models import Escalation, RoutingRule
from outreach.escalations.views import overview as coordination_views
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from tests import factories
from tests.conftest import CSRF, as_user, counted, csrf_token

NOON = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _real_clock_afterwards():
    yield
    set_clock(None)


def text_of(response, status: int = 200) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    return response.get_data(as_text=True)


def rule_count(app, programme_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(RoutingRule.id)).where(
            RoutingRule.programme_id == programme_id))


@pytest.fixture
def queue(app, world):
    """At noon: one overdue routine escalation, one urgent and one soon still in time, one
    resolved this week, and one of the other operator's."""
    set_clock(NOON)
    with app.app_context():
        get = db.session.get
        on = get(Client, world.client_on_round.id)
        off = get(Client, world.client_off_round.id)
        programme = on.programme
        late = factories.client(programme, full_name="Ada Late")
        urgent = factories.client(programme, full_name="Bea Urgent")
        soon = factories.client(programme, full_name="Cy Soon")
        gp, food = get(Organisation, world.gp.id), get(Organisation, world.food_bank.id)
        made = {
            "late": factories.escalation(late, food, severity="routine",
                                         created_at=NOON - timedelta(days=4),
                                         due_at=NOON - timedelta(hours=2)),
            "urgent": factories.escalation(urgent, gp, category="pain_or_illness",
                                           severity="urgent", created_at=NOON,
                                           due_at=NOON + timedelta(minutes=50)),
            "soon": factories.escalation(soon, food, severity="soon", created_at=NOON,
                                         due_at=NOON + timedelta(hours=2)),
            "resolved": factories.escalation(
                off, gp, category="medication", status=EscalationStatus.RESOLVED,
                outcome=EscalationOutcome.HELPED, acknowledged_at=NOON - timedelta(days=1),
                resolved_at=NOON - timedelta(days=1), created_at=NOON - timedelta(days=2)),
            "foreign": factories.escalation(get(Client, world.foreign_client.id),
                                            get(Organisation, world.other_operator.id),
                                            created_at=NOON),
        }
        db.session.commit()
        return {key: e.id for key, e in made.items()} | {
            "names": {"late": late.full_name, "urgent": urgent.full_name,
                      "soon": soon.full_name, "foreign": world.foreign_client.full_name}}


# --- The overview ------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [
    ("admin", 200), ("coordinator", 200), ("other_coordinator", 200), ("visitor", 403),
    ("provider", 403), ("tutor", 403)])
def test_overview_is_for_coordinators_and_admins(role, status, world, client, login):
    login(getattr(world, role))
    assert client.get("/escalations/").status_code == status


def test_overview_needs_a_login(client):
    response = client.get("/escalations/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_overview_puts_overdue_first_then_urgency(app, world, client, login, queue):
    login(world.coordinator)
    page = text_of(client.get("/escalations/"))
    names = queue["names"]
    assert page.index(names["late"]) < page.index(names["urgent"]) < page.index(names["soon"])
    assert "Not acknowledged in time: overdue by 2 h<" in page
    assert page.count('class="flagged"') == 2  # the overdue row, and the overdue count
    assert f'href="/escalations/{queue["late"]}"' in page
    assert names["foreign"] not in page  # another operator's
    # Resolved ones are not live: shown only when asked for.
    assert f'/escalations/{queue["resolved"]}"' not in page
    counts = {name: re.search(rf'id="count-{name}">(\d+)<', page).group(1)
              for name in ("open", "overdue", "resolved")}
    assert counts == {"open": "3", "overdue": "1", "resolved": "1"}

    set_clock(NOON + timedelta(hours=1))  # now the urgent one is late too, and goes up
    page = text_of(client.get("/escalations/"))
    assert page.index(names["urgent"]) < page.index(names["late"]) < page.index(names["soon"])


def test_counts_leave_out_the_finished_and_the_long_resolved(app, world, client, login, queue):
    """One pass counts all three: a reassigned escalation is neither open nor resolved, and one
    resolved eight days ago is not "in the last 7 days"."""
    with app.app_context():
        programme = db.session.get(Client, world.client_on_round.id).programme
        food = db.session.get(Organisation, world.food_bank.id)
        factories.escalation(factories.client(programme), food,
                             status=EscalationStatus.REASSIGNED,
                             created_at=NOON - timedelta(days=3), due_at=NOON - timedelta(days=2))
        factories.escalation(factories.client(programme), food,
                             status=EscalationStatus.RESOLVED,
                             outcome=EscalationOutcome.HELPED,
                             acknowledged_at=NOON - timedelta(days=9),
                             resolved_at=NOON - timedelta(days=8),
                             created_at=NOON - timedelta(days=10))
        db.session.commit()
    login(world.coordinator)
    page = text_of(client.get("/escalations/"))
    counts = {name: re.search(rf'id="count-{name}">(\d+)<', page).group(1)
              for name in ("open", "overdue", "resolved")}
    assert counts == {"open": "3", "overdue": "1", "resolved": "1"}


def counts_on(page: str) -> dict:
    return {name: re.search(rf'id="count-{name}">(\d+)<', page).group(1)
            for name in ("open", "overdue", "resolved")}


def test_counts_for_an_admin_and_for_one_programme(app, world, client, login, queue):
    """The live and the recently resolved are counted apart: every programme's for an admin,
    one programme's when filtered, and nothing at all counts 0."""
    with app.app_context():
        other = db.session.get(Client, world.foreign_client.id).programme_id
        mine = db.session.get(Client, world.client_on_round.id).programme_id
    login(world.admin)
    assert counts_on(text_of(client.get("/escalations/"))) == {
        "open": "4", "overdue": "1", "resolved": "1"}
    assert counts_on(text_of(client.get(f"/escalations/?programme_id={other}"))) == {
        "open": "1", "overdue": "0", "resolved": "0"}
    assert counts_on(text_of(client.get(f"/escalations/?programme_id={mine}"))) == {
        "open": "3", "overdue": "1", "resolved": "1"}


def test_counts_are_zero_without_escalations(world, client, login):
    login(world.other_coordinator)
    assert counts_on(text_of(client.get("/escalations/"))) == {
        "open": "0", "overdue": "0", "resolved": "0"}


def test_other_operator_sees_only_their_own(world, client, login, queue):
    login(world.other_coordinator)
    page = text_of(client.get("/escalations/"))
    assert queue["names"]["foreign"] in page
    assert all(queue["names"][k] not in page for k in ("late", "urgent", "soon"))


def test_filters(world, client, login, queue):
    login(world.coordinator)
    names = queue["names"]
    page = text_of(client.get("/escalations/?overdue=1"))
    assert names["late"] in page and names["urgent"] not in page and names["soon"] not in page
    page = text_of(client.get("/escalations/?status=resolved"))
    assert f'/escalations/{queue["resolved"]}"' in page and names["late"] not in page
    assert "Helped" in page
    page = text_of(client.get(f"/escalations/?organisation_id={world.gp.id}"))
    assert names["urgent"] in page and names["late"] not in page
    page = text_of(client.get("/escalations/?category=pain_or_illness&severity=urgent"))
    assert names["urgent"] in page and names["soon"] not in page
    page = text_of(client.get(f"/escalations/?programme_id={world.other_programme.id}"))
    assert names["foreign"] not in page and names["late"] in page  # not theirs: ignored
    # Nonsense in any filter is ignored, never an error.
    for junk in ("status=x", "page=-1", "page=99999999999", "programme_id=%00", "overdue=yes",
                 "category=' OR 1=1 --", "organisation_id=ü"):
        assert client.get(f"/escalations/?{junk}").status_code == 200


def test_overview_pages(world, client, login, queue, monkeypatch):
    monkeypatch.setattr(coordination_views, "PAGE", 2)
    login(world.coordinator)
    first = text_of(client.get("/escalations/"))
    assert queue["names"]["soon"] not in first and "Next page" in first
    second = text_of(client.get("/escalations/?page=2"))
    assert queue["names"]["soon"] in second and "Previous page" in second
    assert "Next page" not in second


def _contacts_told(app, world, count: int) -> None:
    """`count` more live escalations of the coordinator's programme, each to a client's
    daughter."""
    with app.app_context():
        programme = db.session.get(Client, world.client_on_round.id).programme
        for n in range(count):
            someone = factories.client(programme, full_name=f"Told Client {n}")
            factories.escalation(someone, contact=factories.contact(
                someone, name=f"Daughter {n}", relationship="daughter"), created_at=NOON)
        db.session.commit()


def test_overview_names_each_recipient_and_reads_as_much_for_3_as_for_13(app, world, client,
                                                                         login, queue):
    login(world.coordinator)
    text_of(client.get("/escalations/"))  # the first page of a session reads the user once
    with counted(app) as statements:
        page = text_of(client.get("/escalations/"))
    few = len(statements)
    assert "To Test Food Bank · " in page  # an organisation, by its name
    _contacts_told(app, world, 10)
    with counted(app) as statements:
        page = text_of(client.get("/escalations/"))
    assert len(statements) == few, statements
    for n in range(10):
        assert f"Told Client {n}</strong>" in page and f"To Daughter {n} (daughter)" in page
    names = queue["names"]
    assert all(names[key] in page for key in ("late", "urgent", "soon"))


def test_listing_is_audited(app, world, client, login, queue):
    login(world.coordinator)
    text_of(client.get("/escalations/"))
    with app.app_context():
        listed = set(db.session.scalars(select(AuditEvent.client_id).where(
            AuditEvent.action == "client.list", AuditEvent.actor_id == world.coordinator.id)))
        shown = set(db.session.scalars(select(Escalation.client_id).where(
            Escalation.id.in_([queue["late"], queue["urgent"], queue["soon"]]))))
    assert listed == shown


def test_failing_webhooks_of_recipients_are_shown(app, world, client, login, queue):
    with app.app_context():
        gp = db.session.get(Organisation, world.gp.id)
        gp.webhook_url = "https://gp.example.org/hook"
        gp.webhook_failing_since = NOON - timedelta(hours=5)
        food = db.session.get(Organisation, world.food_bank.id)
        food.webhook_url = "https://food.example.org/hook"
        food.webhook_failing_since = NOON - timedelta(minutes=1)  # a blip, not yet "failing"
        stranger = factories.organisation(name="Unrelated Charity Ltd",
                                          webhook_url="https://charity.example.org/hook")
        stranger.webhook_failing_since = NOON - timedelta(days=1)
        db.session.commit()
    login(world.coordinator)
    page = text_of(client.get("/escalations/"))
    notice = page.split("Webhooks not getting through")[1].split("</section>")[0]
    assert "Test GP Practice</strong>: failing since Mon 3 March 2025, 07:00" in notice
    assert "Test Food Bank" not in notice and "Unrelated Charity Ltd" not in notice
    other = as_user(app, world.other_coordinator)
    assert "Webhooks not getting through" not in text_of(other.get("/escalations/"))


def test_failing_webhooks_of_every_kind_of_recipient(app, world, client, login, queue):
    """An organisation hears of the programme's escalations by being sent one, by being named
    in a routing rule, or by being a client's GP practice: each is reported when failing."""
    from outreach.escalations.models import RoutingRecipient

    broken = NOON - timedelta(hours=5)
    with app.app_context():
        programme = db.session.get(Client, world.client_on_round.id).programme
        sent = factories.organisation(OrganisationKind.COMMUNITY, name="Sent One Charity")
        named = factories.organisation(OrganisationKind.COMMUNITY, name="Named In A Rule")
        practice = factories.organisation(OrganisationKind.HEALTH, name="Hillside Surgery")
        quiet = factories.organisation(OrganisationKind.COMMUNITY, name="Heard Of Nothing")
        for organisation in (sent, named, practice, quiet):
            organisation.webhook_url = "https://hook.example.org/"
            organisation.webhook_failing_since = broken
        factories.escalation(factories.client(programme), sent, created_at=NOON,
                             due_at=NOON + timedelta(hours=2))
        rule = RoutingRule(programme_id=programme.id, category="loneliness")
        rule.recipients.append(RoutingRecipient(tier=1, kind="organisation",
                                                organisation_id=named.id))
        db.session.add(rule)
        factories.client(programme, gp_practice_id=practice.id)
        db.session.commit()
    login(world.coordinator)
    page = text_of(client.get("/escalations/"))
    notice = page.split("Webhooks not getting through")[1].split("</section>")[0]
    for name in ("Sent One Charity", "Named In A Rule", "Hillside Surgery"):
        assert f"<strong>{name}</strong>" in notice
    assert "Heard Of Nothing" not in notice


def test_dashboard_shows_overdue_count_in_red(app, world, client, login, queue):
    login(world.coordinator)
    page = text_of(client.get("/dashboard/"))
    box = page.split('id="overdue-escalations"')[1].split("</p>")[0]
    assert 'class="error notice"' in box and "1 overdue escalation<" in box
    assert 'href="/escalations/?overdue=1"' in box
    page = text_of(as_user(app, world.other_coordinator).get("/dashboard/"))
    assert "No overdue escalations" in page


def test_navigation(app, world, client, login):
    login(world.coordinator)
    page = text_of(client.get("/clients/"))
    assert 'href="/escalations/">Escalations<' in page and "My queue" not in page
    page = text_of(as_user(app, world.provider).get("/clients/"))
    assert 'href="/provider/">My queue<' in page and ">Escalations<" not in page


# --- Routing rules -------------------------------------------------------------------------


def test_routing_page_lists_the_default_rules(app, world, client, login):
    login(world.coordinator)
    page = text_of(client.get(f"/programmes/{world.programme.id}/routing"))
    assert "Any concern · Any urgency" in page
    assert "A fall · Any urgency" in page and "The client&#39;s designated contacts" in page
    assert "The client&#39;s GP practice" in page
    assert "the default: 1 hour if urgent, 1 day if soon, 3 days if routine" in page
    assert "the same day if urgent, 3 days if soon, 14 days if routine" in page
    assert rule_count(app, world.programme.id) > 1  # installed on first look, and kept


@pytest.mark.parametrize(("role", "own", "other", "missing"), [
    ("admin", 200, 200, 404), ("coordinator", 200, 403, 404),
    ("other_coordinator", 403, 200, 404), ("visitor", 403, 403, 403),
    ("provider", 403, 403, 403), ("tutor", 403, 403, 403)])
def test_routing_pages_only_for_the_programmes_coordinators(role, own, other, missing, world,
                                                            client, login):
    login(getattr(world, role))
    for programme_id, status in ((world.programme.id, own), (world.other_programme.id, other),
                                 (2**31 - 1, missing)):
        assert client.get(f"/programmes/{programme_id}/routing").status_code == status
        assert client.get(f"/programmes/{programme_id}/routing/new").status_code == status


def new_rule_form(client, programme_id: int, **changes) -> dict:
    token = csrf_token(client, f"/programmes/{programme_id}/routing/new")
    form = {"csrf_token": token, "category": "money", "severity": "urgent",
            "told_first": ["coordinator"], "fallback": [], "acknowledge_within": "30",
            "acknowledge_unit": "minutes", "resolve_within": "", "resolve_unit": "days",
            "note": "Money worries need a call today"}
    form.update(changes)
    return form


def test_add_a_rule_through_the_form(app, world, client, login):
    login(world.coordinator)
    url = f"/programmes/{world.programme.id}/routing/new"
    form = new_rule_form(client, world.programme.id,
                         told_first=["coordinator", f"org:{world.food_bank.id}"],
                         fallback=["contacts"])
    response = client.post(url, data=form)
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "Routing rule saved" in page and "Money · Urgent" in page
    assert "within 30 minutes" in page and "within the same day (the default)" in page
    with app.app_context():
        rule = db.session.scalar(select(RoutingRule).where(
            RoutingRule.programme_id == world.programme.id, RoutingRule.category == "money"))
        assert (rule.severity, rule.acknowledge_minutes, rule.resolve_minutes) == (
            "urgent", 30, None)
        assert sorted((r.tier, r.kind.value, r.organisation_id) for r in rule.recipients) == [
            (1, "coordinator", None), (1, "organisation", world.food_bank.id),
            (2, "contacts", None)]
        assert db.session.scalar(select(AuditEvent.id).where(
            AuditEvent.action == "routing_rule.create",
            AuditEvent.actor_id == world.coordinator.id)) is not None


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"told_first": []}, "told_first", "Choose at least one recipient"),
    ({"told_first": ["org:999999"]}, "told_first", "Choose from the list"),
    ({"told_first": ["org:abc"]}, "told_first", "Choose from the list"),
    ({"told_first": ["somebody"]}, "told_first", "Choose from the list"),
    ({"fallback": ["coordinator"]}, "fallback", "cannot also be the fallback"),
    ({"acknowledge_within": "soon"}, "acknowledge_within", "Not a valid integer"),
    ({"acknowledge_within": "0"}, "acknowledge_within", "whole number from 1"),
    ({"acknowledge_within": "9999", "acknowledge_unit": "days"}, "acknowledge_within",
     "At most a year"),
    ({"acknowledge_unit": "fortnights"}, "acknowledge_unit", "Must be one of"),
    ({"acknowledge_within": "2", "acknowledge_unit": "days", "resolve_within": "3",
      "resolve_unit": "hours"}, "resolve_within", "Cannot be shorter"),
    ({"category": "<script>alert(1)</script>"}, "category", "Must be one of"),
    ({"severity": "whenever"}, "severity", "Must be one of"),
    ({"note": "x" * 501}, "note", "at most 500"),
    ({"note": "bad\x00byte"}, "note", "not allowed"),
])
def test_rule_form_errors_are_shown_and_nothing_is_stored(changes, field, message, app, world,
                                                          client, login):
    login(world.coordinator)
    text_of(client.get(f"/programmes/{world.programme.id}/routing"))  # defaults installed
    before = rule_count(app, world.programme.id)
    form = new_rule_form(client, world.programme.id, **changes)
    page = text_of(client.post(f"/programmes/{world.programme.id}/routing/new", data=form),
                   422)
    assert "Please check the form" in page and message in page
    assert f'href="#{field}"' in page
    assert "<script>alert(1)</script>" not in page
    assert rule_count(app, world.programme.id) == before


def test_an_organisation_of_the_operator_kind_is_not_offered(app, world, client, login):
    login(world.coordinator)
    page = text_of(client.get(f"/programmes/{world.programme.id}/routing/new"))
    assert f'value="org:{world.food_bank.id}"' in page and f'value="org:{world.gp.id}"' in page
    assert f'value="org:{world.other_operator.id}"' not in page
    form = new_rule_form(client, world.programme.id,
                         told_first=[f"org:{world.other_operator.id}"])
    assert client.post(f"/programmes/{world.programme.id}/routing/new",
                       data=form).status_code == 422


def test_duplicate_rule_is_refused_as_a_form_error(app, world, client, login):
    login(world.coordinator)
    url = f"/programmes/{world.programme.id}/routing/new"
    assert client.post(url, data=new_rule_form(client, world.programme.id)).status_code == 302
    before = rule_count(app, world.programme.id)
    page = text_of(client.post(url, data=new_rule_form(client, world.programme.id)), 409)
    assert "already has a rule for this category and severity" in page
    assert rule_count(app, world.programme.id) == before


def test_form_post_without_csrf_is_refused(app, world, client, login):
    login(world.coordinator)
    form = new_rule_form(client, world.programme.id)
    del form["csrf_token"]
    before = rule_count(app, world.programme.id)
    assert client.post(f"/programmes/{world.programme.id}/routing/new",
                       data=form).status_code == 400
    assert rule_count(app, world.programme.id) == before


def _a_rule(app, world, programme_id=None) -> int:
    with app.app_context():
        from outreach.escalations.models import RoutingRecipient

        rule = RoutingRule(programme_id=programme_id or world.programme.id,
                           category="loneliness", severity="routine", resolve_minutes=2 * 1440)
        rule.recipients.append(RoutingRecipient(tier=1, kind="organisation",
                                                organisation_id=world.food_bank.id))
        rule.recipients.append(RoutingRecipient(tier=2, kind="coordinator"))
        db.session.add(rule)
        db.session.commit()
        return rule.id


def test_edit_a_rule(app, world, client, login):
    rule_id = _a_rule(app, world)
    login(world.coordinator)
    url = f"/programmes/{world.programme.id}/routing/{rule_id}"
    page = text_of(client.get(url))
    assert 'value="loneliness" selected' in page and 'value="routine" selected' in page
    assert re.search(rf'name="told_first" value="org:{world.food_bank.id}" checked', page)
    assert re.search(r'name="fallback" value="coordinator" checked', page)
    assert 'id="resolve_within" name="resolve_within" type="text" value="2"' in page
    form = {"csrf_token": CSRF.search(page).group(1), "category": "loneliness",
            "severity": "routine", "told_first": ["contacts"], "fallback": ["coordinator"],
            "acknowledge_within": "4", "acknowledge_unit": "hours", "resolve_within": "",
            "resolve_unit": "days"}
    assert client.post(url, data=form).status_code == 302
    with app.app_context():
        rule = db.session.get(RoutingRule, rule_id)
        assert rule.acknowledge_minutes == 240 and rule.resolve_minutes is None
        assert [(r.tier, r.kind.value) for r in rule.recipients] == [
            (1, "contacts"), (2, "coordinator")]
    # Errors on an edit re-show the form for the same rule and change nothing.
    page = text_of(client.post(url, data=dict(form, told_first=[])), 422)
    assert "Choose at least one recipient" in page and f"/routing/{rule_id}" in page
    with app.app_context():
        assert db.session.get(RoutingRule, rule_id).acknowledge_minutes == 240


def test_another_programmes_rule_is_not_reachable(app, world, client, login):
    foreign = _a_rule(app, world, world.other_programme.id)
    own = _a_rule(app, world)
    login(world.coordinator)
    # Through the coordinator's own programme: no such rule there.
    assert client.get(f"/programmes/{world.programme.id}/routing/{foreign}").status_code == 404
    # Through its own programme: not theirs.
    assert client.get(f"/programmes/{world.other_programme.id}/routing/{foreign}"
                      ).status_code == 403
    token = csrf_token(client, f"/programmes/{world.programme.id}/routing")
    for url in (f"/programmes/{world.programme.id}/routing/{foreign}/delete",
                f"/programmes/{world.other_programme.id}/routing/{foreign}/delete"):
        assert client.post(url, data={"csrf_token": token}).status_code in (403, 404)
    with app.app_context():
        assert db.session.get(RoutingRule, foreign) is not None
    # The other coordinator cannot reach ours either.
    other = as_user(app, world.other_coordinator)
    assert other.get(f"/programmes/{world.programme.id}/routing/{own}").status_code == 403


def test_delete_a_rule_twice_and_never_the_last(app, world, client, login):
    login(world.coordinator)
    base = f"/programmes/{world.programme.id}/routing"
    text_of(client.get(base))  # the defaults are installed
    rule_id = _a_rule(app, world)
    token = csrf_token(client, base)
    response = client.post(f"{base}/{rule_id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Routing rule deleted" in text_of(client.get(base))
    response = client.post(f"{base}/{rule_id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert "already deleted" in text_of(client.get(base))
    with app.app_context():
        ids = db.session.scalars(select(RoutingRule.id).where(
            RoutingRule.programme_id == world.programme.id)).all()
        for extra in ids[1:]:
            db.session.delete(db.session.get(RoutingRule, extra))
        db.session.commit()
    client.post(f"{base}/{ids[0]}/delete", data={"csrf_token": token})
    assert "keeps at least one rule" in text_of(client.get(base))
    assert rule_count(app, world.programme.id) == 1


# --- The client's history ------------------------------------------------------------------


def test_client_page_shows_the_full_history_newest_first(app, world, client, login, queue):
    with app.app_context():
        on = db.session.get(Client, world.client_on_round.id)
        older = factories.escalation(on, db.session.get(Organisation, world.gp.id),
                                     category="fall", created_at=NOON - timedelta(days=30),
                                     status=EscalationStatus.RESOLVED,
                                     outcome=EscalationOutcome.NOT_NEEDED,
                                     resolved_at=NOON - timedelta(days=29))
        newer = factories.escalation(on, db.session.get(Organisation, world.food_bank.id),
                                     created_at=NOON - timedelta(hours=3),
                                     due_at=NOON - timedelta(hours=1))
        db.session.commit()
        older_id, newer_id = older.id, newer.id
    login(world.coordinator)
    page = text_of(client.get(f"/clients/{world.client_on_round.id}"))
    section = page.split('id="escalations-heading"')[1].split("</section>")[0]
    assert section.index(f"/escalations/{newer_id}") < section.index(f"/escalations/{older_id}")
    assert "Test Food Bank" in section and "overdue by 1 h" in section
    assert "Not needed after all" in section and "Resolved" in section
    # The visitor may open the client's page, but not this section.
    page = text_of(as_user(app, world.visitor).get(f"/clients/{world.client_on_round.id}"))
    assert "Concerns and escalations" not in page


def test_client_page_without_escalations(world, client, login):
    login(world.coordinator)
    page = text_of(client.get(f"/clients/{world.client_off_round.id}"))
    assert "Concerns and escalations" in page and "has been passed on yet" in page


# --- What the visitor is told --------------------------------------------------------------


def visit_form(client, client_id: int) -> str:
    return text_of(client.get(f"/round/visit/{client_id}"))


def test_visitor_sees_outcomes_once_then_not_after_the_visit(app, world, client, login):
    with app.app_context():
        on = db.session.get(Client, world.client_on_round.id)
        food = db.session.get(Organisation, world.food_bank.id)
        factories.consent(on, ConsentPurpose.SHARE_INFORMATION, organisation_id=food.id)
        earlier = datetime.now(UTC) - timedelta(hours=2)
        told = factories.escalation(on, food, status=EscalationStatus.RESOLVED,
                                    outcome=EscalationOutcome.HELPED, resolved_at=earlier,
                                    acknowledged_at=earlier,
                                    outcome_note="Clinical: do not show this note")
        still_open = factories.escalation(on, db.session.get(Organisation, world.gp.id),
                                          category="pain_or_illness")
        to_contact = factories.escalation(on, contact=factories.contact(on), category="fall",
                                          status=EscalationStatus.RESOLVED,
                                          outcome=EscalationOutcome.HELPED, resolved_at=earlier)
        db.session.commit()
        ids = told.id, still_open.id, to_contact.id
    login(world.visitor)
    page = visit_form(client, world.client_on_round.id)
    section = page.split('id="since-heading"')[1].split("</section>")[0]
    assert "Test Food Bank helped (about food or shopping)." in section
    assert "Clinical" not in page and "pain or illness" not in section
    assert section.count("<li>") == 1  # the contact's and the open one are not told

    visit_id = re.search(r'name="id" value="([^"]+)"', page).group(1)
    form = {"csrf_token": CSRF.search(page).group(1), "id": visit_id, "outcome": "seen_well",
            "questionnaire_version": "1"}
    assert client.post(f"/round/visit/{world.client_on_round.id}", data=form).status_code == 302
    assert "Since your last visit" not in visit_form(client, world.client_on_round.id)
    with app.app_context():
        shown = {e.id: e.outcome_shown_visit_id for e in db.session.scalars(
            select(Escalation).where(Escalation.id.in_(ids)))}
    assert shown == {ids[0]: visit_id, ids[1]: None, ids[2]: None}


def test_outcome_resolved_after_an_offline_visit_waits_for_the_next(app, world, client, login):
    """A visit synced late (made before the resolve) does not count as having told it."""
    with app.app_context():
        on = db.session.get(Client, world.client_on_round.id)
        food = db.session.get(Organisation, world.food_bank.id)
        now = datetime.now(UTC)
        factories.escalation(on, food, status=EscalationStatus.RESOLVED,
                             outcome=EscalationOutcome.DECLINED, resolved_at=now)
        db.session.commit()
    login(world.visitor)
    token = csrf_token(client, "/round/")
    sent = {"id": str(uuid.uuid4()), "client_id": world.client_on_round.id,
            "visited_at": (now - timedelta(hours=1)).isoformat(), "outcome": "seen_well"}
    response = client.post("/round/visits", json=sent, headers={"X-CSRFToken": token})
    assert response.status_code == 201
    page = visit_form(client, world.client_on_round.id)
    assert "Test Food Bank offered help, which the client did not want" in page


def test_visitor_of_another_round_sees_no_outcomes(app, world, client, login):
    with app.app_context():
        off = db.session.get(Client, world.client_off_round.id)
        factories.escalation(off, db.session.get(Organisation, world.food_bank.id),
                             status=EscalationStatus.RESOLVED, outcome=EscalationOutcome.HELPED,
                             resolved_at=datetime.now(UTC))
        db.session.commit()
    login(world.visitor)
    response = client.get(f"/round/visit/{world.client_off_round.id}")
    assert response.status_code == 403
    assert "Test Food Bank" not in response.get_data(as_text=True)
