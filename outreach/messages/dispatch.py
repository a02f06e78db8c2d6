"""The worker side of the outbox: claim a queued text, send it, record what happened.

Claiming commits `sending` with a claim token before the provider is called, so a crash leaves
evidence: a text in `sending` with no provider id. Such a text is never sent again blindly;
`reconcile.reconcile_stuck` looks it up at the provider and either adopts what it finds or
marks it `unknown` for a person.

Every send is fenced: just before calling the provider, and again before writing what it
said, the worker checks that its claim still stands (same token, still `sending`, and young
enough that nobody may yet take it for interrupted). On PostgreSQL the rows of a chunk stay
locked from that check until the results are committed, so the reconciler (which skips
locked rows) cannot take a text for lost while its worker, however frozen, may still send it.
Safe on several machines at once: rows are claimed with FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import logging
import math
import secrets
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
from outreach.jobs.tick import periodic
from outreach.messages import numbers, reconcile
from outreach.messages.models import Message, MessageEvent
from outreach.messages.outbox import hold
from outreach.messages.status import FROM_PROVIDER, moves_forward, set_status
from outreach.programmes.models import Programme

log = logging.getLogger(__name__)

BATCH = 500
# Results are committed after this many sends, or about a second's worth at SMS_SEND_RATE if
# that is fewer: the most a crash can leave to reconcile, and how long rows stay locked.
RESULTS_EVERY = 50
CHUNK_SECONDS = 1.0
# One pass claims what it can send at SMS_SEND_RATE in this share of SMS_STUCK_AFTER_SECONDS,
# and starts no send once its claim is older than LEASE_SHARE of it: a batch still going out
# is never taken for an interrupted one.
CLAIM_SHARE = 0.5
LEASE_SHARE = 0.8


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
        self.alone = False
        self.unavailable = redis.RedisError
        self.book = redis.Redis.from_url(url, socket_connect_timeout=1.0,
                                         socket_timeout=2.0).register_script(_BOOK_SLOT)

    def delay(self) -> float:
        try:
            pause = float(self.book(keys=[self.key],
                                    args=[f"{self.interval:.6f}", f"{self.CATCH_UP:.3f}"]))
        except self.unavailable:
            # Redis is away: pace by this process alone rather than fail texts already
            # marked `sending` (they would wait for a person as `unknown`). Said once per
            # outage, not once per text.
            if not self.alone:
                self.alone = True
                log.warning("The shared SMS rate limiter is unavailable; pacing this process "
                            "alone until it is back")
            return super().delay()
        if self.alone:
            self.alone = False
            log.warning("The shared SMS rate limiter is back")
        return pause


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


def hand_over(ids: list[int]) -> int:
    """Send these committed texts now (in-process) or through Celery when it is configured."""
    if current_app.config["CELERY_BROKER_URL"]:
        from outreach.jobs.background import send_text
        from outreach.jobs.broker import publish

        for handed, message_id in enumerate(ids):
            if not publish(send_text, message_id):
                return handed  # the broker is away: the rest wait for the sms_outbox job
        return len(ids)
    size = claim_limit()
    for start in range(0, len(ids), size):
        dispatch_many(ids[start:start + size])
    return len(ids)


def claim_limit() -> int:
    """How many texts one pass may claim: what it can send at SMS_SEND_RATE well within
    SMS_STUCK_AFTER_SECONDS (0, for tests with one sender: one at a time), at most BATCH."""
    rate = float(current_app.config["SMS_SEND_RATE"])
    stuck = float(current_app.config["SMS_STUCK_AFTER_SECONDS"])
    return max(1, min(BATCH, int(rate * stuck * CLAIM_SHARE)))


def _chunk_size() -> int:
    rate = float(current_app.config["SMS_SEND_RATE"])
    return max(1, min(RESULTS_EVERY, math.ceil(rate * CHUNK_SECONDS)))


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
                  limit: int | None = None) -> dict[int, MessageStatus]:
    """Send due queued texts (those in `ids`, or the oldest due); answers each one's status.

    Claiming commits `sending` for the whole batch (at most `claim_limit()`) under one claim
    token before the first call to the provider; the results are committed chunk by chunk, so
    a crash leaves at most a chunk for reconcile_stuck to look up.
    """
    now = now or utcnow()
    claimed = _claim(now, ids, limit or claim_limit())
    refused = numbers.refusals([m.phone for m in claimed])
    settled: dict[int, MessageStatus] = {}
    outgoing: list[tuple[int, OutboundText]] = []
    token = secrets.token_hex(16)
    for message in claimed:
        if not _still_wanted(message, refused.get(message.phone), now):
            settled[message.id] = message.status
            continue
        message.attempts += 1
        message.sending_started_at = now
        message.send_at = None
        message.held_reason = ""
        message.claim_token = token
        set_status(message, MessageStatus.SENDING, now,
                   f"Handing to the provider (try {message.attempts})")
        outgoing.append((message.id, outbound_text(message)))
    db.session.commit()  # from here a crash leaves `sending` with no sid: see reconcile_stuck
    if outgoing:
        settled.update(_send_claimed(outgoing, token, utcnow() + _lease()))
    return settled


def _lease() -> timedelta:
    """How long after claiming a worker may still start sends (SMS_STUCK_AFTER_SECONDS 0, a
    setting for tests with a single sender: for as long as it takes)."""
    stuck = float(current_app.config["SMS_STUCK_AFTER_SECONDS"])
    return timedelta(seconds=stuck * LEASE_SHARE) if stuck > 0 else timedelta(days=3650)


def _send_claimed(outgoing: list[tuple[int, OutboundText]], token: str,
                  lease_ends: datetime) -> dict[int, MessageStatus]:
    """Send the claimed texts chunk by chunk, each send fenced by the claim (see above)."""
    chosen, pace, size = backend(), limiter(), _chunk_size()
    locks_held = db.session.get_bind().dialect.name != "sqlite"
    settled: dict[int, MessageStatus] = {}
    for start in range(0, len(outgoing), size):
        results: dict[int, SendResult | SendFailed] = {}
        busy: SendFailed | None = None
        for message_id, text in outgoing[start:start + size]:
            if not _stands(message_id, token):
                continue  # decided about, or claimed again, while this worker was away
            if not locks_held:
                # SQLite locks the whole database for a writer: never hold it across a call
                # to the provider. One machine sends there, and the lease is its fence.
                db.session.commit()
            pace.wait()
            if utcnow() >= lease_ends:
                break  # claimed too long ago: what is left goes back to the queue below
            try:
                results[message_id] = chosen.send(text, status_callback_url(message_id))
            except SendFailed as failure:
                results[message_id] = failure
                if failure.http_status == 429:
                    busy = failure
                    break
        settled.update(_record(results, chosen, utcnow(), token))
        untried = [i for i, _ in outgoing[start:] if i not in results]
        if untried and (busy is not None or utcnow() >= lease_ends):
            # Told to slow down (the rest waits too, rather than meeting 429s), or out of time.
            settled.update(_put_back(untried, token, busy, utcnow()))
            db.session.commit()
            break
        db.session.commit()
    return settled


def _stands(message_id: int, token: str) -> bool:
    """Whether the text is still claimed under `token`: checked just before calling the
    provider, and locked from then until the results are committed (PostgreSQL)."""
    return db.session.scalar(
        select(Message.id).where(Message.id == message_id, Message.claim_token == token,
                                 Message.status == MessageStatus.SENDING,
                                 Message.provider_sid.is_(None))
        .with_for_update()) is not None


def _put_back(ids: list[int], token: str, busy: SendFailed | None,
              now: datetime) -> dict[int, MessageStatus]:
    """Put texts claimed but not tried back in the queue: until the provider's pause is over
    (`busy`), else at once. Not tried, so the attempt claiming counted is handed back."""
    pause = _retry_delay(busy, 1) if busy is not None else 0.0
    settled = {}
    for message in db.session.scalars(select(Message).where(
            Message.id.in_(ids), Message.claim_token == token,
            Message.status == MessageStatus.SENDING).with_for_update()):
        message.attempts -= 1
        message.claim_token = None
        if busy is not None:
            message.send_at = now + timedelta(seconds=pause)
            message.held_reason = f"Waiting: {busy.reason}"[:200]
            detail = f"Not tried: the provider asked us to slow down; try in {pause:g} s"
        else:
            detail = "Not tried: this worker ran out of time; back in the queue"
        set_status(message, MessageStatus.QUEUED, now, detail)
        settled[message.id] = message.status
    return settled


def _retry_delay(failure: SendFailed, attempts: int) -> float:
    """Seconds before the next try: the provider's Retry-After when it gave one (never less
    than a second), else SMS_RETRY_BASE_SECONDS doubling with each try."""
    if failure.retry_after is not None:
        return max(1.0, failure.retry_after)
    return current_app.config["SMS_RETRY_BASE_SECONDS"] * 2 ** (attempts - 1)


def _record(results: dict[int, SendResult | SendFailed], chosen: SmsBackend,
            now: datetime, token: str) -> dict[int, MessageStatus]:
    """Store what the provider said about each text of a chunk, in one transaction.

    Texts the provider took (nearly all) are written with two bulk statements; the few it
    refused go through `_failed` one by one, since each may teach us about its number. A text
    whose claim no longer stands (only possible on SQLite, see above) is settled apart.
    """
    # Locked and read afresh: a status callback may have got in before us.
    current = {row.id: (row.status, row.claim_token) for row in db.session.execute(
        select(Message.id, Message.status, Message.claim_token)
        .where(Message.id.in_(results)).with_for_update())}
    settled, rows, events = {}, [], []
    for message_id, result in results.items():
        was, holder = current[message_id]
        if holder != token:
            settled[message_id] = late_answer(message_id, result, chosen.name, now)
            continue
        if isinstance(result, SendFailed):
            continue
        row, event = _accepted(message_id, was, result, chosen.name, now)
        rows.append(row)
        if event is not None:
            events.append(event)
        settled[message_id] = row.get("status", was)
    if rows:
        db.session.execute(update(Message), rows)
        _forget(settled)
    if events:  # an empty list would insert one row of defaults
        db.session.execute(insert(MessageEvent), events)
    for message in db.session.scalars(select(Message).where(Message.id.in_(
            [i for i, r in results.items()
             if isinstance(r, SendFailed) and current[i][1] == token]))):
        _failed(message, results[message.id], chosen, now)
        settled[message.id] = message.status
    return settled


def late_answer(message_id: int, result: SendResult | SendFailed, backend_name: str,
                now: datetime) -> MessageStatus:
    """The provider's answer to a send whose claim was taken away meanwhile: a text it took is
    adopted if nobody has sent it since (so a pending "send again" does not send it twice)."""
    message = db.session.get(Message, message_id)
    if isinstance(result, SendResult) and message.provider_sid is None and message.status in (
            MessageStatus.UNKNOWN, MessageStatus.QUEUED):
        message.claim_token = None
        reconcile.adopt(message, result, backend_name, now,
                        "Taken by the provider on an earlier try that was thought lost")
    return message.status


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
            found = chosen.lookup(reconcile.lookup_text(message), message.sending_started_at)
        except SendFailed:
            message.error_reason = "No answer from the provider; checking later whether it went"
            return  # left in `sending` for reconcile_stuck
        if found is not None:
            reconcile.adopt(message, found, chosen.name, now)
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


@periodic("sms_outbox")
def send_due_texts(now: datetime) -> str:
    """Send texts held for quiet hours or a retry, and settle interrupted sends."""
    adopted, unknown = reconcile.reconcile_stuck(now)
    db.session.commit()
    if current_app.config["CELERY_BROKER_URL"]:
        # What the workers can send before the next run: a bulk batch is handed over a slice
        # at a time rather than all of it again at every run (tasks for texts already sent
        # only cost the workers a claim that finds nothing).
        every = float(current_app.config["JOB_INTERVAL_SECONDS"])
        slice_ = max(1, min(BATCH, math.ceil(float(current_app.config["SMS_SEND_RATE"]) * every)))
        sent = hand_over(list(db.session.scalars(
            select(Message.id).where(*_due(now)).order_by(Message.id).limit(slice_))))
    else:
        sent, size = 0, claim_limit()
        while True:
            # Each claim is stamped with the time it is made, not the tick's start: a long
            # tick's later batches must not look interrupted to the next tick.
            batch = dispatch_many(now=max(now, utcnow()), limit=size)
            sent += len(batch)
            # A text queued again means the provider is failing or busy: leave the rest for
            # the next tick rather than claiming batch after batch only to put it back.
            if len(batch) < size or MessageStatus.QUEUED in batch.values():
                break
    return (f"{sent} text(s) handed over, {adopted} interrupted send(s) found at the provider, "
            f"{unknown} marked unknown")
