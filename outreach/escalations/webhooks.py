"""Provider webhooks: each event on an escalation to an organisation with a webhook URL is
POSTed there, signed, in event order, retried with backoff until taken, never dropped.

A delivery row is written with its event (an escalation_event_recorded receiver), in the same
transaction, so it exists exactly when the event does. After commit (outreach.db.after_commit)
the organisation is handed to a courier (a Celery task, or this process's background thread) so
the request that caused the event never waits on a receiver; the periodic job sends what is
left: retries whose time has come, and deliveries whose handover died with its process.

Order: an organisation's deliveries go one at a time, oldest event first. Only the head (its
oldest undelivered delivery) may be sent; the rest wait until it has been taken, however long
its receiver is down. Workers claim a head with SKIP LOCKED and a lease, so two workers never
send the same delivery at once; a crash mid-send means it is sent again after the lease
(receivers de-duplicate with webhook-id, or X-Outreach-Delivery). Each try is signed afresh
with the time it is made (webhook-timestamp), from the application's clock.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import func, or_, select, update

from channels.webhooks import WebhookResult, WebhookSender
from outreach.audit.services import record
from outreach.db import after_commit, db, utcnow
from outreach.db import hand_over_committed as committed_work
from outreach.escalations import disclosure, feed
from outreach.escalations.models import EscalationEvent, WebhookDelivery
from outreach.escalations.schemas import FeedItemOut
from outreach.jobs.tick import periodic
from outreach.organisations.models import Organisation

log = logging.getLogger(__name__)

BATCH = 200  # attempts in one call of deliver_due
# A claimed delivery is left alone this much longer than the POST may take; past that, its
# worker is taken to have died and another sends it again.
LEASE_MARGIN_SECONDS = 60
FAILING_ATTEMPTS = 3  # a head tried this often without success counts as failing
SENDING = "Sending now"  # the last error of a delivery while a worker holds its lease


# --- Written with the event ---------------------------------------------------------------


def queue_delivery(event: EscalationEvent) -> WebhookDelivery | None:
    """Add a delivery of `event` for its organisation's webhook, if it has one (a hook)."""
    if event.organisation_id is None:  # an escalation to a contact: nobody to POST to
        return None
    organisation = db.session.get(Organisation, event.organisation_id)
    if organisation is None or not organisation.webhook_url:
        return None
    now = utcnow()
    delivery = WebhookDelivery(organisation_id=organisation.id, event_id=event.id,
                               created_at=now, next_attempt_at=now)
    db.session.add(delivery)
    deliver_after_commit(organisation.id)
    return delivery


def deliver_after_commit(organisation_id: int) -> None:
    """Hand this organisation to a courier once the current transaction commits."""
    after_commit(_hand_over, organisation_id)


# --- Handing over after commit --------------------------------------------------------------


def handover_mode() -> str:
    """How committed deliveries leave this process: celery, thread or none."""
    mode = current_app.config["WEBHOOK_HANDOVER"]
    if mode == "auto":
        return "celery" if current_app.config["CELERY_BROKER_URL"] else "thread"
    return mode


def hand_over(organisation_ids: Iterable[int]) -> None:
    """Have these organisations' due deliveries sent, without waiting for them."""
    ids = sorted(set(organisation_ids))
    mode = handover_mode()
    if not ids or mode == "none":
        return
    if mode == "celery":
        from outreach.jobs.background import deliver_webhooks
        from outreach.jobs.broker import publish

        publish(deliver_webhooks, ids)  # if the broker is away, the periodic job delivers
        return
    courier(current_app._get_current_object()).wake(ids)


def _hand_over(organisation_ids: list[int]) -> int:
    hand_over(organisation_ids)
    return len(organisation_ids)


def hand_over_committed() -> int:
    """Hand over what this session committed; answers how many organisations."""
    return sum(committed_work(only=_hand_over))


class Courier:
    """One background thread per process and application, sending what commits hand it.

    A second wake-up while it works only adds organisations to its list, so a slow receiver
    never piles up threads, and two threads of this process never race for the same row.
    """

    def __init__(self, app: Flask):
        self.app = app
        self._lock = threading.Lock()
        self._wanted: set[int] = set()
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def wake(self, organisation_ids: Iterable[int]) -> None:
        """Add organisations to deliver for, starting the thread if it is not running."""
        with self._lock:
            self._wanted.update(organisation_ids)
            self._idle.clear()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="webhook-courier",
                                                daemon=True)
                self._thread.start()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is left to do; answers whether that happened in time."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._wanted:
                    self._thread = None
                    self._idle.set()
                    return
                wanted, self._wanted = sorted(self._wanted), set()
            try:
                with self.app.app_context():
                    deliver_due(organisation_ids=wanted)
            except Exception:
                log.exception("Delivering webhooks failed; the periodic job will try again")


def courier(app: Flask) -> Courier:
    """The application's courier, made on first use."""
    made = app.extensions.get("webhook_courier")
    if made is None:
        made = app.extensions["webhook_courier"] = Courier(app)
    return made


def public_only_urls() -> bool:
    """The one rule for where webhooks may go, read by the URL check and the sender alike:
    only to https on the public internet in production (OUTREACH_ENV), anywhere (this machine
    included, as the demo's webhook-listen needs) in development and tests."""
    return current_app.config["OUTREACH_ENV"] == "production"


def sender() -> WebhookSender:
    """The HTTP sender, made once per application (again if the timeout setting changes). In
    production it sends only to public addresses."""
    timeout = float(current_app.config["WEBHOOK_TIMEOUT_SECONDS"])
    public_only = public_only_urls()
    made = current_app.extensions.get("webhook_sender")
    if made is None or made.timeout != timeout or made.public_only != public_only:
        made = current_app.extensions["webhook_sender"] = WebhookSender(
            timeout, public_only=public_only)
    return made


# --- Delivering -----------------------------------------------------------------------------


def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _head_order() -> tuple:
    """Event order: the feed's (positions are given after commit, always increasing); events
    not placed yet come last."""
    return (EscalationEvent.position.is_(None), EscalationEvent.position, EscalationEvent.id)


def _due_heads(now: datetime, organisation_ids: list[int] | None, held: set[int],
               limit: int) -> list[tuple[int, int]]:
    """(delivery id, organisation id) of each organisation's first undelivered delivery, where
    that one is due and the organisation has a URL; the longest waiting first."""
    rank = func.row_number().over(partition_by=WebhookDelivery.organisation_id,
                                  order_by=_head_order()).label("rank")
    pending = (select(WebhookDelivery.id, WebhookDelivery.organisation_id,
                      WebhookDelivery.next_attempt_at, EscalationEvent.position, rank)
               .join(EscalationEvent, EscalationEvent.id == WebhookDelivery.event_id)
               .join(Organisation, Organisation.id == WebhookDelivery.organisation_id)
               .where(WebhookDelivery.delivered_at.is_(None),
                      Organisation.webhook_url.is_not(None)))
    if organisation_ids is not None:
        pending = pending.where(WebhookDelivery.organisation_id.in_(organisation_ids))
    if held:
        pending = pending.where(WebhookDelivery.organisation_id.not_in(held))
    heads = pending.subquery()
    rows = db.session.execute(
        select(heads.c.id, heads.c.organisation_id)
        # Until the head is placed in the feed it has no cursor, and no place in the order.
        .where(heads.c.rank == 1, heads.c.position.is_not(None), heads.c.next_attempt_at <= now)
        .order_by(heads.c.next_attempt_at, heads.c.id).limit(limit))
    return [(row.id, row.organisation_id) for row in rows]


def deliver_due(now: datetime | None = None, limit: int = BATCH,
                organisation_ids: list[int] | None = None) -> int:
    """POST due deliveries (of these organisations, or all), each organisation's in event
    order; answers how many were delivered. Commits as it goes."""
    given = now
    # Events committed elsewhere but not yet placed would hold their organisation back until
    # the sequencer's next run: place them now (the sequencer is safe to run anywhere).
    feed.assign_positions()
    db.session.commit()
    delivered = tried = 0
    held: set[int] = set()  # organisations whose turn is over in this call
    while tried < limit:
        moment = given or utcnow()
        heads = _due_heads(moment, organisation_ids, held, limit - tried)
        db.session.commit()  # no transaction is kept open while receivers are asked
        if not heads:
            break
        for delivery_id, organisation_id in heads:
            outcome = attempt(delivery_id, given or utcnow())
            if not outcome:
                # Someone else has it, or it failed: its successors wait for a later turn.
                held.add(organisation_id)
            if outcome is not None:
                tried += 1
                delivered += int(outcome)
    return delivered


def _due(delivery_id: int, now: datetime) -> tuple:
    return (WebhookDelivery.id == delivery_id, WebhookDelivery.delivered_at.is_(None),
            WebhookDelivery.next_attempt_at <= now)


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    """Take a due delivery for this worker: locked (skipping one another worker holds), then
    leased, so it is ours alone even after the lock is let go for the POST."""
    locked = select(WebhookDelivery.id).where(*_due(delivery_id, now))
    if _on_postgresql():
        locked = locked.with_for_update(skip_locked=True)
    if db.session.scalar(locked) is None:
        return None
    timeout = float(current_app.config["WEBHOOK_TIMEOUT_SECONDS"])
    lease = max(now, utcnow()) + timedelta(seconds=timeout + LEASE_MARGIN_SECONDS)
    # Also the claim itself on SQLite, which has no row locks: the write lock serialises it.
    taken = db.session.execute(
        update(WebhookDelivery).where(*_due(delivery_id, now))
        .values(next_attempt_at=lease, last_attempt_at=now, last_error=SENDING,
                attempts=WebhookDelivery.attempts + 1)
        .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        return None
    return db.session.get(WebhookDelivery, delivery_id, populate_existing=True)


def body_of(event: EscalationEvent) -> bytes:
    """The JSON body for an event: the feed item (event, cursor, escalation), serialised once
    so the bytes signed are the bytes sent. It shows the client only as the receiving
    organisation may see it now (escalations.disclosure), not as when the event happened."""
    with disclosure.speaking_to(event.organisation_id):
        item = FeedItemOut().dump(event)
    return json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def message_id(event_id: int) -> str:
    """The webhook-id of an event's delivery: the same on every try, so receivers drop
    repeats (an event belongs to one organisation, so it names the delivery too)."""
    return f"evt_{event_id}"


def attempt(delivery_id: int, now: datetime) -> bool | None:
    """Send one due delivery; answers whether it was taken (None: not ours to send now)."""
    db.session.expire_all()  # read the organisation and escalation as they are now
    delivery = _claim(delivery_id, now)
    if delivery is None:
        db.session.rollback()
        return None
    organisation = delivery.organisation
    url, secret = organisation.webhook_url, organisation.webhook_secret
    kind = delivery.event.kind.value
    body = body_of(delivery.event)
    # None once the client was erased (a withdrawn event outlives its escalation).
    client_id = getattr(delivery.event.escalation, "client_id", None)
    event_id = delivery.event_id
    db.session.commit()  # the lease holds it; no lock is kept while the receiver is asked
    if not url or not secret:
        result = WebhookResult(False, None, "No webhook URL or secret: set them again")
    else:
        result = sender().post(url, body, secret=secret, event=kind, delivery_id=delivery_id,
                               message_id=message_id(event_id),
                               timestamp=int(utcnow().timestamp()))
    _record(delivery_id, result, max(now, utcnow()), client_id)
    db.session.commit()
    return result.ok


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: doubling, up to the maximum."""
    base = int(current_app.config["WEBHOOK_RETRY_BASE_SECONDS"])
    most = int(current_app.config["WEBHOOK_RETRY_MAX_SECONDS"])
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), most))


def _record(delivery_id: int, result: WebhookResult, at: datetime,
            client_id: int | None) -> None:
    delivery = db.session.get(WebhookDelivery, delivery_id, populate_existing=True)
    delivery.last_status_code = result.status_code
    organisation = Organisation.id == delivery.organisation_id
    if result.ok:
        delivery.delivered_at = at
        delivery.last_error = ""
        db.session.execute(update(Organisation).where(
            organisation, Organisation.webhook_failing_since.is_not(None))
            .values(webhook_failing_since=None).execution_options(synchronize_session=False))
        # The client's details left the system: as traceable as a read.
        record(None, "webhook.delivered", subject=delivery, client_id=client_id, via="system",
               detail={"organisation_id": delivery.organisation_id,
                       "event_id": delivery.event_id, "status_code": result.status_code})
        return
    delivery.last_error = result.error[:500]
    delivery.next_attempt_at = at + retry_delay(delivery.attempts)
    db.session.execute(update(Organisation).where(
        organisation, Organisation.webhook_failing_since.is_(None))
        .values(webhook_failing_since=at).execution_options(synchronize_session=False))
    log.warning("Webhook delivery %s to organisation %s failed (try %s): %s", delivery_id,
                delivery.organisation_id, delivery.attempts, result.error)


@periodic("webhooks")
def send_due_webhooks(now: datetime) -> str:
    """Send webhook deliveries whose time has come (retries, and any a handover lost)."""
    delivered = deliver_due(now)
    failing = len(failing_webhooks(now=now))
    return f"{delivered} webhook(s) delivered, {failing} organisation(s) failing"


# --- Health, for dashboards -----------------------------------------------------------------


@dataclass
class WebhookHealth:
    """How an organisation's webhook is doing."""

    organisation_id: int
    organisation_name: str
    url: str | None
    failing: bool
    failing_since: datetime | None
    pending: int
    oldest_pending_at: datetime | None
    attempts: int  # on the delivery at the head of the queue
    last_error: str
    last_status_code: int | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None


def head_delivery(organisation_id: int) -> WebhookDelivery | None:
    """The organisation's first undelivered delivery: the one its receiver gets next."""
    return db.session.scalar(
        select(WebhookDelivery)
        .join(EscalationEvent, EscalationEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.organisation_id == organisation_id,
               WebhookDelivery.delivered_at.is_(None))
        .order_by(*_head_order()).limit(1)
        .execution_options(populate_existing=True))


def webhook_health(organisation: Organisation, now: datetime | None = None) -> WebhookHealth:
    """The state of one organisation's webhook: failing or not, what waits, the last error."""
    now = now or utcnow()
    pending, oldest = db.session.execute(
        select(func.count(WebhookDelivery.id), func.min(WebhookDelivery.created_at))
        .where(WebhookDelivery.organisation_id == organisation.id,
               WebhookDelivery.delivered_at.is_(None))).one()
    head = head_delivery(organisation.id) if pending else None
    attempts = head.attempts if head is not None else 0
    since = organisation.webhook_failing_since
    after = timedelta(minutes=int(current_app.config["WEBHOOK_FAILING_AFTER_MINUTES"]))
    failing = bool(organisation.webhook_url) and (
        (since is not None and since <= now - after) or attempts >= FAILING_ATTEMPTS)
    if oldest is not None and oldest.tzinfo is None:  # SQLite hands aggregates back naive
        oldest = oldest.replace(tzinfo=UTC)
    return WebhookHealth(
        organisation_id=organisation.id, organisation_name=organisation.name,
        url=organisation.webhook_url, failing=failing, failing_since=since, pending=pending,
        oldest_pending_at=oldest, attempts=attempts,
        last_error=head.last_error if head is not None else "",
        last_status_code=head.last_status_code if head is not None else None,
        last_attempt_at=head.last_attempt_at if head is not None else None,
        next_attempt_at=head.next_attempt_at if head is not None else None)


def failing_webhooks(organisation_ids: Iterable[int] | None = None,
                     now: datetime | None = None) -> list[WebhookHealth]:
    """Organisations (of these, or all) whose webhooks keep failing, the longest first."""
    now = now or utcnow()
    after = timedelta(minutes=int(current_app.config["WEBHOOK_FAILING_AFTER_MINUTES"]))
    stuck = select(WebhookDelivery.organisation_id).where(
        WebhookDelivery.delivered_at.is_(None), WebhookDelivery.attempts >= FAILING_ATTEMPTS)
    query = select(Organisation).where(
        Organisation.webhook_url.is_not(None),
        or_(Organisation.webhook_failing_since <= now - after, Organisation.id.in_(stuck)))
    if organisation_ids is not None:
        query = query.where(Organisation.id.in_(list(organisation_ids)))
    found = [webhook_health(o, now) for o in db.session.scalars(query.order_by(Organisation.id))]
    return sorted((h for h in found if h.failing),
                  key=lambda h: (h.failing_since or now, h.organisation_id))
