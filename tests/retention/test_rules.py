"""Each retention rule, just inside and just outside its period, through the `retention` job."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from outreach import config
from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.messages.models import Message, MessageEvent
from outreach.retention.policy import Policy
from tests import factories
from tests.retention.conftest import NOW, run_retention

DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)


def _runs(app) -> list[dict]:
    with app.app_context():
        return [e.detail for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention.run"))]


def test_unset_or_zero_periods_change_nothing(app, world, keep):
    keep(RETENTION_MESSAGE_BODY_DAYS=0, RETENTION_AUDIT_DAYS="")
    with app.app_context():
        old = factories.message(world.client_on_round, created_at=NOW - 3650 * DAY)
        factories.message(None, direction="inbound", status="received",
                          created_at=NOW - 3650 * DAY)
        db.session.add(AuditEvent(action="client.read", occurred_at=NOW - 3650 * DAY))
        db.session.commit()
        before = (db.session.scalar(select(func.count(Message.id))),
                  db.session.scalar(select(func.count(AuditEvent.id))))
    assert run_retention(app) == "no retention periods set; nothing done"
    with app.app_context():
        assert db.session.get(Message, old.id).body == "Hello, it's Call & Check."
        assert (db.session.scalar(select(func.count(Message.id))),
                db.session.scalar(select(func.count(AuditEvent.id)))) == before
    assert _runs(app) == []


def test_policy_reads_blank_and_negative_settings_as_keep():
    policy = Policy.from_config({"RETENTION_MESSAGE_BODY_DAYS": "", "RETENTION_AUDIT_DAYS": -5,
                                 "RETENTION_CLIENT_AFTER_LEAVING_DAYS": "30"})
    assert policy == Policy(clients=30)
    assert policy.cutoff("audit_events", NOW) is None
    assert policy.cutoff("clients", NOW) == NOW - 30 * DAY


def test_text_bodies_are_blanked_after_the_period_and_the_rows_kept(app, world, keep):
    keep(RETENTION_MESSAGE_BODY_DAYS=90)
    with app.app_context():
        outside = factories.message(world.client_on_round, status="delivered",
                                    created_at=NOW - 90 * DAY - MINUTE)
        inside = factories.message(world.client_on_round, status="delivered",
                                   created_at=NOW - 90 * DAY + MINUTE)
        waiting = factories.message(world.client_on_round, status="queued",
                                    created_at=NOW - 200 * DAY)
        reply = factories.message(world.client_on_round, direction="inbound", status="received",
                                  body="2 please ring me", fingerprint="2 please ring me",
                                  created_at=NOW - 200 * DAY)
        db.session.commit()
    assert run_retention(app) == "2 text bodies blanked"
    with app.app_context():
        assert db.session.get(Message, outside.id).body == ""
        assert db.session.get(Message, reply.id).fingerprint == ""
        assert db.session.get(Message, reply.id).phone  # the row (and its figures) stays
        assert db.session.get(Message, inside.id).body == "Hello, it's Call & Check."
        assert db.session.get(Message, waiting.id).body == "Hello, it's Call & Check."
    assert _runs(app) == [{"counts": {"message_bodies": 2}}]


def test_old_audit_events_are_deleted_but_not_the_runs_own(app, world, keep):
    keep(RETENTION_AUDIT_DAYS=365)
    with app.app_context():
        outside = AuditEvent(action="client.read", occurred_at=NOW - 365 * DAY - MINUTE)
        inside = AuditEvent(action="client.read", occurred_at=NOW - 365 * DAY + MINUTE)
        db.session.add_all([outside, inside])
        db.session.commit()
        ids = outside.id, inside.id
    assert run_retention(app) == "1 audit events deleted"
    with app.app_context():
        assert db.session.get(AuditEvent, ids[0]) is None
        assert db.session.get(AuditEvent, ids[1]) is not None
    assert _runs(app) == [{"counts": {"audit_events": 1}}]


def test_texts_from_unknown_senders_are_deleted_after_the_period(app, world, keep):
    keep(RETENTION_UNKNOWN_SENDER_DAYS=30)
    with app.app_context():
        outside = factories.message(None, direction="inbound", status="received",
                                    body="who is this", created_at=NOW - 30 * DAY - MINUTE)
        db.session.add(MessageEvent(message_id=outside.id, status="received"))
        answer = factories.message(None, phone=outside.phone, kind="reply",
                                   in_reply_to_id=outside.id, created_at=NOW - 30 * DAY)
        inside = factories.message(None, direction="inbound", status="received",
                                   created_at=NOW - 30 * DAY + MINUTE)
        known = factories.message(world.client_on_round, direction="inbound",
                                  status="received", created_at=NOW - 300 * DAY)
        db.session.commit()
        ids = outside.id, answer.id, inside.id, known.id
    assert run_retention(app) == "1 texts from unknown senders deleted"
    with app.app_context():
        assert db.session.get(Message, ids[0]) is None
        assert db.session.scalar(select(func.count(MessageEvent.id))
                                 .where(MessageEvent.message_id == ids[0])) == 0
        assert db.session.get(Message, ids[1]).in_reply_to_id is None
        assert db.session.get(Message, ids[2]) is not None
        assert db.session.get(Message, ids[3]) is not None


def test_a_second_run_changes_nothing_more(app, world, keep):
    keep(RETENTION_MESSAGE_BODY_DAYS=1, RETENTION_AUDIT_DAYS=1,
         RETENTION_UNKNOWN_SENDER_DAYS=1, RETENTION_CLIENT_AFTER_LEAVING_DAYS=1)
    with app.app_context():
        factories.message(world.client_on_round, status="sent", created_at=NOW - 5 * DAY)
        factories.message(None, direction="inbound", status="received",
                          created_at=NOW - 5 * DAY)
        db.session.add(AuditEvent(action="client.read", occurred_at=NOW - 5 * DAY))
        db.session.commit()
    run_retention(app)
    second = run_retention(app, NOW + MINUTE)
    assert second == ("0 client(s) anonymised, 0 text bodies blanked, "
                      "0 texts from unknown senders deleted, 0 audit events deleted")
    assert len(_runs(app)) == 2


def test_a_mistyped_retention_setting_is_reported(app, monkeypatch, caplog):
    monkeypatch.setenv("RETENTION_AUDIT_DAY", "30")
    monkeypatch.setenv("RETENTION_AUDIT_DAYS", "45")
    loaded = config.load({}, app.instance_path)
    assert loaded["RETENTION_AUDIT_DAYS"] == 45
    assert "RETENTION_AUDIT_DAY is ignored" in caplog.text
