"""A broker outage is logged once when it begins (no traceback) and once when it ends, with how
many hand-offs it cost; meanwhile a process tries the broker only now and then, so requests do
not each wait on a dead broker. A real Celery producer against a port nothing listens on, then
a real redis-server started on that port."""

from __future__ import annotations

import logging
import time

from celery import Celery

from outreach.jobs.broker import Outage
from tests.deploy.stack import PrivateRedis, free_port


def _task(port: int):
    app = Celery("broker-test", broker=f"redis://127.0.0.1:{port}/0", set_as_current=False)
    app.conf.update(broker_connection_timeout=0.5,
                    broker_transport_options={"socket_connect_timeout": 0.5},
                    task_publish_retry_policy={"max_retries": 0})
    def ping() -> None:
        """Nothing: the test is about getting it onto the broker."""

    return app, app.task(name="broker_test.ping")(ping)


def records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "outreach.jobs.broker"]


def test_an_outage_is_logged_once_with_a_count_and_once_when_it_ends(caplog):
    caplog.set_level(logging.INFO)
    port = free_port()
    app, task = _task(port)
    outage = Outage(retry_seconds=0)  # every hand-off tries the broker
    for _ in range(30):
        assert outage.publish(task) is False
    [begun] = records(caplog)
    assert begun.levelno == logging.ERROR and begun.exc_info is None
    assert "unreachable" in begun.getMessage() and "OperationalError" in begun.getMessage()
    assert "Traceback" not in caplog.text

    redis = PrivateRedis()
    redis.port = port  # the broker comes back where it was
    redis.start()
    try:
        assert outage.publish(task) is True
        assert outage.publish(task) is True
    finally:
        app.close()
        redis.destroy()
    begun, ended = records(caplog)
    assert ended.levelno == logging.WARNING
    assert "reachable again" in ended.getMessage() and "30 hand-off(s)" in ended.getMessage()

    # A second outage is a new one: logged once again.
    app, task = _task(port)
    assert outage.publish(task) is False and outage.publish(task) is False
    app.close()
    assert len(records(caplog)) == 3


def test_while_the_broker_is_away_requests_do_not_each_wait_on_it(caplog):
    app, task = _task(free_port())
    outage = Outage(retry_seconds=60)
    assert outage.publish(task) is False  # this one tried, and found it away
    started = time.monotonic()
    for _ in range(1000):
        assert outage.publish(task) is False
    assert time.monotonic() - started < 0.5  # not tried again within the minute
    assert outage.missed == 1001
    app.close()
    assert len(records(caplog)) == 1
