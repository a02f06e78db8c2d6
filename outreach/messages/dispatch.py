"""The worker side of the outbox: claim a queued text, send it, record what happened.

Claiming commits `sending` before the provider is called, so a crash leaves evidence: a text in
`sending` with no provider id. Such a text is never sent again blindly; `reconcile_stuck` looks
it up at the provider and either adopts what it finds or marks it `unknown` for a person.
Safe on several machines at once: rows are claimed with FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import insert, or_, select, update

from channels.sms import (
    OutboundText,
    SendFailed,
    SendResult,
    SmsBackend,
    backend_for,
)
from outreach.db import db, utcnow
from outreach.enums import MessageDirection, MessageStatus
from outreach.messages import numbers
from outreach.messages.models import Message, MessageEvent
from outreach.messages.outbox import hold
from outreach.messages.status import FROM_PROVIDER, moves_forward, set_status
from outreach.programmes.models import Programme
from outreach.tick import periodic

log = logging.getLogger(__name__)

BATCH = 500
# Results are committed after this many sends: the most a crash can leave to reconcile.
RESULTS_EVERY = 50


class RateLimiter:
    """At most `rate` sends a second from this process, spaced evenly.

    Slots follow a schedule: a sender that fell behind (a pause to commit a batch) catches up
    on slots it missed in the last CATCH_UP seconds, so over any longer stretch the rate is
    the configured one; after a longer idle spell the schedule starts again from now.
    """

    CATCH_UP = 1.0

    def __init__(self, rate: float):
        self.interval = 1.0 / rate
        self.next_slot = 0.0
        self.lock = threading.Lock()

    def delay(self) -> float:
        """Book the next slot; answers how long to wait for it."""
        with self.lock:
            now = time.monotonic()
            slot = now if now - self.next_slot > self.CATCH_UP else self.next_slot
            self.next_slot = slot + self.interval
        return max(0.0, slot - now)

    def wait(self) -> None:
        """Sleep until the next text may be sent."""
        pause = self.delay()
        if pause > 0:
            time.sleep(pause)


# The same booking, kept in Redis so that every worker on every machine shares one rate.
_BOOK_SLOT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local booked = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = booked
if now - booked > tonumber(ARGV[2]) then slot = now end
redis.call('SET', KEYS[1], string.format('%.6f', slot + tonumber(ARGV[1])), 'PX', 60000)
return string.format('%.6f', math.max(0, slot - now))
"""


class SharedRateLimiter(RateLimiter):
    """At most `rate` sends a second across all processes using the same Redis."""

    def __init__(self, rate: float, url: str, key: str = "outreach:sms-send-slot"):
        import redis

        super().__init__(rate)
        self.key = key
        self.unavailable = redis.RedisError
        self.book = redis.Redis.from_url(url, socket_connect_timeout=1.0,
                                         socket_timeout=2.0).register_script(_BOOK_SLOT)

    def delay(self) -> float:
        try:
            return float(self.book(keys=[self.key],
                                   args=[f"{self.interval:.6f}", f"{self.CATCH_UP:.3f}"]))
        except self.unavailable:
            # Redis is away: pace by this process alone rather than fail texts already
            # marked `sending` (they would wait for a person as `unknown`).
            log.warning("The shared SMS rate limiter is unavailable; pacing this process alone")
            return super().delay()


def backend() -> SmsBackend:
    """The configured SMS backend, made once per application."""
    made = current_app.extensions.get("sms_backend")
    if made is None:
        made = current_app.extensions["sms_backend"] = backend_for(current_app.config)
    return made


def limiter() -> RateLimiter:
    """The limiter for SMS_SEND_RATE: shared through Redis when RATELIMIT_STORAGE_URI is one
    (several workers), else this process's own."""
    rate = float(current_app.config["SMS_SEND_RATE"])
    made = current_app.extensions.get("sms_rate_limiter")
    if made is None or made.interval != 1.0 / rate:
        storage = str(current_app.config["RATELIMIT_STORAGE_URI"])
        made = (SharedRateLimiter(rate, storage) if storage.startswith(("redis://", "rediss://"))
                else RateLimiter(rate))
        current_app.extensions["sms_rate_limiter"] = made
    return made


def status_callback_url(message_id: int) -> str:
    """Where the provider reports delivery; names our id in case its sid is not saved yet."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/sms/status?message={message_id}"


def outbound_text(message: Message) -> OutboundText:
    return OutboundText(message_id=message.id, to=message.phone, body=message.body,
                        sender=message.service_number)


def lookup_text(message: Message) -> OutboundText:
    """The text to look for at the provider after an interrupted send, with the provider ids
    our other texts to the same number already hold (identical words must not be mixed up)."""
    known = db.session.scalars(select(Message.provider_sid).where(
        Message.phone == message.phone, Message.id != message.id,
        Message.direction == MessageDirection.OUTBOUND, Message.provider_sid.is_not(None),
        Message.body == message.body))
    return OutboundText(message_id=message.id, to=message.phone, body=message.body,
                        sender=message.service_number, known_sids=frozenset(known))


def hand_over(ids: list[int]) -> int:
    """Send these committed texts now (in-process) or through Celery when it is configured."""
    if current_app.config["CELERY_BROKER_URL"]:
        from outreach.background import send_text

        for message_id in ids:
            send_text.delay(message_id)
        return len(ids)
    for start in range(0, len(ids), BATCH):
        dispatch_many(ids[start:start + BATCH])
    return len(ids)


def _due(now: datetime):
    """The condition of a queued outbound text whose time has come."""
    return (Message.direction == MessageDirection.OUTBOUND,
            Message.status == MessageStatus.QUEUED,
            or_(Message.send_at.is_(None), Message.send_at <= now))


def _claim(now: datetime, ids: list[int] | None, limit: int) -> list[Message]:
    """Lock due queued texts (those named, or the oldest due), skipping any another worker has."""
    query = select(Message).where(*_due(now))
    if ids is not None:
        query = query.where(Message.id.in_(ids))
    return list(db.session.scalars(query.order_by(Message.id).limit(limit)
                                   .with_for_update(skip_locked=True)))


def _still_wanted(message: Message, refusal: str | None, now: datetime) -> bool:
    """Cancel or hold a claimed text that should not go now; answers whether it should."""
    if message.not_after is not None and now > message.not_after:
        set_status(message, MessageStatus.CANCELLED, now, "Too late to be useful; not sent")
        return False
    if refusal is not None:
        message.error_reason = refusal
        set_status(message, MessageStatus.CANCELLED, now, refusal)
        return False
    programme = db.session.get(Programme, message.programme_id) if message.programme_id else None
    return not hold(message, programme, now)


def dispatch(message_id: int, now: datetime | None = None) -> MessageStatus | None:
    """Send one queued text if it is due; answers its status afterwards (None: not ours now)."""
    settled = dispatch_many([message_id], now)
    return settled.get(message_id)


def dispatch_many(ids: list[int] | None = None, now: datetime | None = None,
                  limit: int = BATCH) -> dict[int, MessageStatus]:
    """Send due queued texts (those in `ids`, or the oldest due); answers each one's status.

    Claiming commits `sending` for the whole batch before the first call to the provider; the
    results are committed every RESULTS_EVERY texts, so a crash leaves at most that many for
    reconcile_stuck to look up.
    """
    now = now or utcnow()
    claimed = _claim(now, ids, limit)
    refused = numbers.refusals([m.phone for m in claimed])
    settled: dict[int, MessageStatus] = {}
    outgoing: list[tuple[int, OutboundText]] = []
    for message in claimed:
        if not _still_wanted(message, refused.get(message.phone), now):
            settled[message.id] = message.status
            continue
        message.attempts += 1
        message.sending_started_at = now
        message.send_at = None
        message.held_reason = ""
        set_status(message, MessageStatus.SENDING, now,
                   f"Handing to the provider (try {message.attempts})")
        outgoing.append((message.id, outbound_text(message)))
    db.session.commit()  # from here a crash leaves `sending` with no sid: see reconcile_stuck
    if not outgoing:
        return settled
    chosen, pace = backend(), limiter()
    for start in range(0, len(outgoing), RESULTS_EVERY):
        chunk = outgoing[start:start + RESULTS_EVERY]
        results: dict[int, SendResult | SendFailed] = {}
        busy: SendFailed | None = None
        for message_id, text in chunk:
            pace.wait()
            try:
                results[message_id] = chosen.send(text, status_callback_url(message_id))
            except SendFailed as failure:
                results[message_id] = failure
                if failure.http_status == 429:
                    busy = failure
                    break
        settled.update(_record(results, chosen, utcnow()))
        if busy is not None:
            # Told to slow down: the rest of the batch waits too, rather than meeting 429s.
            untried = [message_id for message_id, _ in outgoing[start:]
                       if message_id not in results]
            settled.update(_back_off(untried, busy, utcnow()))
            db.session.commit()
            break
        db.session.commit()
    return settled


def _back_off(ids: list[int], busy: SendFailed, now: datetime) -> dict[int, MessageStatus]:
    """Put texts claimed but not tried back in the queue until the provider's pause is over;
    not tried, so the attempt claiming counted is handed back."""
    pause = _retry_delay(busy, 1)
    settled = {}
    for message in db.session.scalars(select(Message).where(Message.id.in_(ids))):
        message.attempts -= 1
        message.send_at = now + timedelta(seconds=pause)
        message.held_reason = f"Waiting: {busy.reason}"[:200]
        set_status(message, MessageStatus.QUEUED, now,
                   f"Not tried: the provider asked us to slow down; try in {pause:g} s")
        settled[message.id] = message.status
    return settled


def _retry_delay(failure: SendFailed, attempts: int) -> float:
    """Seconds before the next try: the provider's Retry-After when it gave one (never less
    than a second), else SMS_RETRY_BASE_SECONDS doubling with each try."""
    if failure.retry_after is not None:
        return max(1.0, failure.retry_after)
    return current_app.config["SMS_RETRY_BASE_SECONDS"] * 2 ** (attempts - 1)


def _record(results: dict[int, SendResult | SendFailed], chosen: SmsBackend,
            now: datetime) -> dict[int, MessageStatus]:
    """Store what the provider said about each text of a chunk, in one transaction.

    Texts the provider took (nearly all) are written with two bulk statements; the few it
    refused go through `_failed` one by one, since each may teach us about its number.
    """
    # Locked and read afresh: a status callback may have got in before us.
    current = {row.id: row.status for row in db.session.execute(
        select(Message.id, Message.status).where(Message.id.in_(results)).with_for_update())}
    settled, rows, events = {}, [], []
    for message_id, result in results.items():
        if isinstance(result, SendFailed):
            continue
        row, event = _accepted(message_id, current[message_id], result, chosen.name, now)
        rows.append(row)
        if event is not None:
            events.append(event)
        settled[message_id] = row.get("status", current[message_id])
    if rows:
        db.session.execute(update(Message), rows)
        _forget(settled)
    if events:  # an empty list would insert one row of defaults
        db.session.execute(insert(MessageEvent), events)
    for message in db.session.scalars(select(Message).where(Message.id.in_(
            [i for i, r in results.items() if isinstance(r, SendFailed)]))):
        _failed(message, results[message.id], chosen, now)
        settled[message.id] = message.status
    return settled


def _accepted(message_id: int, was: MessageStatus, result: SendResult, backend_name: str,
              now: datetime) -> tuple[dict, dict | None]:
    """The row changes and the history event for a text the provider took."""
    row = {"id": message_id, "provider_sid": result.sid, "backend": backend_name,
           "error_reason": "", "updated_at": now}
    if result.sender:
        row["service_number"] = result.sender
    status = FROM_PROVIDER[result.status]
    # Still `sending`, now with the provider (worth a line in the history), or further on;
    # never backwards: a `delivered` callback that beat this answer stands.
    if not (status == was == MessageStatus.SENDING or moves_forward(was, status)):
        return row, None
    row["status"] = status
    if status in (MessageStatus.SENT, MessageStatus.DELIVERED):
        row["sent_at"] = now
    if status == MessageStatus.DELIVERED:
        row["delivered_at"] = now
    return row, {"message_id": message_id, "status": status, "at": now,
                 "detail": f"Accepted by {backend_name} ({result.raw_status or result.status})"}


def _forget(ids) -> None:
    """Bulk statements bypass the objects this session holds: have them read afresh."""
    # By identity key: reading `held.id` would load each expired object just to expire it.
    for (model, key, *_), held in list(db.session.identity_map.items()):
        if model is Message and key[0] in ids:
            db.session.expire(held)


def _failed(message: Message, failure: SendFailed, chosen: SmsBackend, now: datetime) -> None:
    if failure.ambiguous:
        # The provider may have taken it: look before sending again.
        try:
            found = chosen.lookup(lookup_text(message), message.sending_started_at)
        except SendFailed:
            message.error_reason = "No answer from the provider; checking later whether it went"
            return  # left in `sending` for reconcile_stuck
        if found is not None:
            _adopt(message, found, chosen.name, now)
            return
    message.error_code = failure.code
    message.error_reason = failure.reason[:500]
    if failure.retryable and message.attempts < current_app.config["SMS_MAX_ATTEMPTS"]:
        delay = _retry_delay(failure, message.attempts)
        message.send_at = now + timedelta(seconds=delay)
        message.held_reason = f"Trying again after a failure ({failure.reason})"[:200]
        set_status(message, MessageStatus.QUEUED, now,
                   f"{failure.reason}; try {message.attempts + 1} in {delay:g} s", failure.code)
        return
    gave_up = f"Gave up after {message.attempts} tries: " if failure.retryable else ""
    set_status(message, MessageStatus.FAILED, now, gave_up + failure.reason, failure.code)
    numbers.learn_from_failure(message.phone, failure.code, failure.reason, now)


def _adopt(message: Message, found, backend_name: str, now: datetime) -> None:
    message.provider_sid = found.sid
    message.backend = backend_name
    message.error_reason = ""
    status = FROM_PROVIDER[found.status]
    set_status(message, status, now, f"Found at {backend_name} after an interrupted send "
               f"({found.raw_status or found.status})", found.error_code)


def reconcile_stuck(now: datetime) -> tuple[int, int]:
    """Settle texts left in `sending` without a provider id; answers (adopted, unknown)."""
    cutoff = now - timedelta(seconds=current_app.config["SMS_STUCK_AFTER_SECONDS"])
    stuck = db.session.scalars(
        select(Message).where(Message.direction == MessageDirection.OUTBOUND,
                              Message.status == MessageStatus.SENDING,
                              Message.provider_sid.is_(None),
                              Message.sending_started_at <= cutoff)
        .order_by(Message.id).limit(BATCH).with_for_update(skip_locked=True)).all()
    adopted = unknown = 0
    chosen = backend()
    for message in stuck:
        try:
            found = chosen.lookup(lookup_text(message), message.sending_started_at)
        except SendFailed:
            continue  # the provider cannot be asked now; try at the next tick
        if found is not None:
            _adopt(message, found, chosen.name, now)
            adopted += 1
        else:
            message.error_reason = ("The send was interrupted and the provider has no record "
                                    "of it. Check with the recipient, then send again or drop.")
            set_status(message, MessageStatus.UNKNOWN, now, "Interrupted send: not found at "
                       "the provider; a person must decide")
            unknown += 1
    return adopted, unknown


@periodic("sms_outbox")
def send_due_texts(now: datetime) -> str:
    """Send texts held for quiet hours or a retry, and settle interrupted sends."""
    adopted, unknown = reconcile_stuck(now)
    db.session.commit()
    if current_app.config["CELERY_BROKER_URL"]:
        sent = hand_over(list(db.session.scalars(
            select(Message.id).where(*_due(now)).order_by(Message.id).limit(BATCH))))
    else:
        sent = 0
        while True:
            batch = dispatch_many(now=now)
            sent += len(batch)
            # A text queued again means the provider is failing or busy: leave the rest for
            # the next tick rather than claiming batch after batch only to put it back.
            if len(batch) < BATCH or MessageStatus.QUEUED in batch.values():
                break
    return (f"{sent} text(s) handed over, {adopted} interrupted send(s) found at the provider, "
            f"{unknown} marked unknown")
