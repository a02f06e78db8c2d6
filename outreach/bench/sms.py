"""SMS figures for `scripts/bench`.

- Inbound: the `/sms/inbound` webhook (signature check, parse, store, understand, TwiML) as a
  share of a bare Flask route answering constant TwiML, both under the same gunicorn settings
  and load, in the same run, on the bench database; and its p99 latency.
- Outbound: texts dispatched per second to a local fake Twilio that answers at once, through the
  real twilio client (target 1,000 a second: ten times Twilio's short-code rate), and a
  configured SMS_SEND_RATE measured against what was asked for (target: within 5 %).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import secrets
import time
from urllib.parse import urlencode

from flask import Flask, Response
from sqlalchemy import delete, insert, select, update

from outreach.bench.http import _free_port, load, served

PHONES = [f"+447700900{i:03d}" for i in range(1000)]
BASE_URL = "https://bench.outreach.example"
AUTH_TOKEN = "bench-auth-token-" + "0" * 16
ACCOUNT_SID = "AC" + "0" * 32
OUTBOUND_TEXTS = int(os.environ.get("BENCH_SMS_TEXTS", "6000"))
DISPATCHERS = int(os.environ.get("BENCH_SMS_DISPATCHERS", "4"))
# Twilio sends from a short code at 100 messages a second (its default throughput for short
# codes, against 1 a second for a long code); the target is ten times that.
TWILIO_SHORT_CODE_RATE = 100.0
DISPATCH_TARGET = 10 * TWILIO_SHORT_CODE_RATE
LIMITED_RATE = 200.0
LIMITED_TEXTS = 1000
TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thank you, we have '
         'your message.</Message></Response>')


def bare_twiml_app() -> Flask:
    """The reference: a Flask route that answers every text with the same TwiML."""
    app = Flask("bare-twiml")

    @app.post("/sms/inbound")
    def inbound():
        return Response(TWIML, mimetype="text/xml")

    return app


# --- A fake Twilio that answers at once -----------------------------------------------------


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            body = json.dumps({"sid": "SM" + secrets.token_hex(16), "status": "queued",
                               "account_sid": ACCOUNT_SID}).encode()
            writer.write(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def _serve_fake_twilio(port: int) -> None:
    async def main():
        server = await asyncio.start_server(_answer, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- Inbound --------------------------------------------------------------------------------


def _bench_phones(bench) -> None:
    """Give 1,000 bench clients a fictional mobile and clear texts left by earlier runs."""
    from outreach.db import db
    from outreach.messages.models import Message
    from outreach.needs.models import Need
    from outreach.people.models import Client

    with bench.app.app_context():
        ids = list(db.session.scalars(select(Client.id).where(
            Client.round_id.in_(bench.round_ids)).order_by(Client.id).limit(len(PHONES))))
        for client_id, phone in zip(ids, PHONES, strict=False):
            db.session.execute(update(Client).where(Client.id == client_id).values(phone=phone))
        db.session.execute(delete(Need).where(Need.client_id.in_(ids), Need.source == "sms"))
        db.session.execute(delete(Message).where(Message.phone.in_(PHONES)))
        db.session.commit()


def inbound_figures(bench) -> list:
    """Inbound texts answered per second, as a share of constant TwiML from bare Flask."""
    from twilio.request_validator import RequestValidator

    from outreach.bench.run import Row

    _bench_phones(bench)
    validator = RequestValidator(AUTH_TOKEN)
    url = BASE_URL + "/sms/inbound"
    counter = iter(range(10**9))

    def text_in():
        n = next(counter)
        form = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": ACCOUNT_SID,
                "From": PHONES[n % len(PHONES)], "To": "+447700900001",
                "Body": f"FOOD please, the cupboard is bare ({n})", "NumMedia": "0"}
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Twilio-Signature": validator.compute_signature(url, form)}
        return "POST", "/sms/inbound", urlencode(form).encode(), headers

    env = {"DATABASE_URL": bench.app.config["SQLALCHEMY_DATABASE_URI"],
           "OUTREACH_ENV": "development", "SECRET_KEY": "bench-" + "x" * 40,
           "PUBLIC_BASE_URL": BASE_URL, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "SMS_LOOP_LIMIT": "1000000"}  # the bench texts fast from few numbers on purpose
    with served("outreach.bench.sms:bare_twiml_app()", {}) as port:
        bare = load(port, text_in)
    with served("outreach:create_app()", env) as port:
        real = load(port, text_in)
    versus = "bare TwiML route"
    return [
        Row("bare Flask TwiML route (reference)", bare["rps"], "req/s"),
        Row("bare Flask TwiML route, p99 latency (reference)", bare["p99"], "ms"),
        Row("inbound text (POST /sms/inbound)", real["rps"], "req/s", reference=bare["rps"],
            versus=versus, higher_is_better=True),
        Row("inbound text, p99 latency", real["p99"], "ms", reference=bare["p99"],
            versus=versus),
        Row("inbound text, non-2xx answers", real["errors"], "count", 0),
    ]


# --- Outbound -------------------------------------------------------------------------------


def _queue(app, count: int) -> None:
    from outreach.db import db, utcnow
    from outreach.messages.models import Message

    now = utcnow()
    with app.app_context():
        db.session.execute(delete(Message).where(Message.phone.in_(PHONES),
                                                 Message.direction == "outbound"))
        db.session.execute(insert(Message), [{
            "direction": "outbound", "kind": "free_text", "status": "queued",
            "phone": PHONES[i % len(PHONES)], "service_number": "+447700900001",
            "body": "Hello, it's Call & Check: a test text from the bench.", "language": "en",
            "encoding": "GSM-7", "segments": 1, "urgent": True, "created_at": now,
            "updated_at": now} for i in range(count)])
        db.session.commit()


def _outbound_app(database_url: str, twilio_port: int, rate: float):
    from outreach import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": "+447700900001", "TWILIO_API_BASE": f"http://127.0.0.1:{twilio_port}",
        "SMS_SEND_RATE": rate, "PUBLIC_BASE_URL": BASE_URL})


def _dispatcher(database_url: str, twilio_port: int, rate: float, times) -> None:
    """One worker process: send due texts until none is left; report when it began and ended."""
    from outreach.messages.dispatch import dispatch_many

    app = _outbound_app(database_url, twilio_port, rate)
    with app.app_context():
        began = time.time()
        while dispatch_many(limit=100):
            pass
        times.put((began, time.time()))


def _dispatch_rate(database_url: str, twilio_port: int, count: int, workers: int,
                   rate: float) -> float:
    from outreach.db import db
    from outreach.enums import MessageStatus
    from outreach.messages.models import Message

    app = _outbound_app(database_url, twilio_port, rate)
    _queue(app, count)
    context = multiprocessing.get_context("spawn")
    times = context.Queue()
    processes = [context.Process(target=_dispatcher,
                                 args=(database_url, twilio_port, rate, times))
                 for _ in range(workers)]
    for process in processes:
        process.start()
    spans = [times.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    # From the first worker ready to the last one done: process start-up is not dispatching.
    elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
    with app.app_context():
        sent = db.session.scalar(select(db.func.count()).where(
            Message.phone.in_(PHONES), Message.direction == "outbound",
            Message.status == MessageStatus.SENDING, Message.provider_sid.is_not(None)))
    if sent != count:
        raise RuntimeError(f"only {sent} of {count} bench texts reached the fake Twilio")
    return count / elapsed


def outbound_figures(bench) -> list:
    """Texts dispatched per second to a fake Twilio, unlimited and at a configured rate."""
    from outreach.bench.run import Row

    database_url = bench.app.config["SQLALCHEMY_DATABASE_URI"]
    port = _free_port()
    fake = multiprocessing.get_context("spawn").Process(target=_serve_fake_twilio, args=(port,),
                                                         daemon=True)
    fake.start()
    try:
        time.sleep(1)
        flat_out = _dispatch_rate(database_url, port, OUTBOUND_TEXTS, DISPATCHERS, 1e6)
        limited = _dispatch_rate(database_url, port, LIMITED_TEXTS, 1, LIMITED_RATE)
    finally:
        fake.terminate()
        fake.join()
    off_by = abs(limited - LIMITED_RATE) / LIMITED_RATE * 100
    return [
        Row(f"texts dispatched to a fake Twilio, {DISPATCHERS} processes", flat_out,
            "texts/s", DISPATCH_TARGET, reference=TWILIO_SHORT_CODE_RATE,
            versus="Twilio short code, 100/s", higher_is_better=True),
        Row(f"SMS_SEND_RATE={LIMITED_RATE:.0f}: rate reached", limited, "texts/s",
            reference=LIMITED_RATE, versus="configured rate"),
        Row("rate reached vs configured", off_by, "% off", 5),
    ]
