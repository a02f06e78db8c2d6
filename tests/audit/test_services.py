"""Audit events for lists: one event for each client a page or feed showed."""

from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.audit.services import record_listing_ids
from outreach.db import db


def _listed(actor_id):
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "client.list", AuditEvent.actor_id == actor_id)
        .order_by(AuditEvent.client_id)))


def test_a_listing_leaves_one_complete_event_for_each_client_shown(world, ctx):
    coordinator = world.coordinator
    client_ids = [world.client_on_round.id, world.client_off_round.id]

    record_listing_ids(coordinator, client_ids, purpose="dashboard")
    db.session.flush()

    events = _listed(coordinator.id)
    assert [e.client_id for e in events] == sorted(client_ids)
    for event in events:
        assert event.subject_type == "client"
        assert event.subject_id == str(event.client_id)
        assert event.actor_role == "coordinator"
        assert event.detail == {"for": "dashboard"}
        assert event.via == "web"
        assert event.occurred_at is not None


def test_an_empty_listing_leaves_nothing(world, ctx):
    record_listing_ids(world.coordinator, [], purpose="dashboard")
    db.session.flush()

    assert _listed(world.coordinator.id) == []


def test_a_long_listing_is_recorded_whole(world, ctx):
    # A page as long as the longest list: every id kept, none twice.
    record_listing_ids(world.coordinator, range(1, 1001), purpose="extract")
    db.session.flush()

    assert [e.client_id for e in _listed(world.coordinator.id)] == list(range(1, 1001))
