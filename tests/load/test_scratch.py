"""Each load run on a copy of the bench database, dropped afterwards (PostgreSQL pass only: a
SQLite bench is used as it is)."""

import os
import subprocess
import sys
from datetime import date

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from outreach import create_app
from outreach.bench.load.scratch import copy_of
from outreach.bench.run import Bench
from tests.deploy.stack import fresh_database, postgresql_pass

TEMPLATE = "outreach_scratch_template"


def _marks(url: str) -> list[int]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        marks = list(conn.scalars(text("SELECT n FROM marks ORDER BY n")))
    engine.dispose()
    return marks


def _databases(server: str) -> set[str]:
    engine = create_engine(make_url(server).set(database="postgres"), poolclass=NullPool)
    with engine.connect() as conn:
        names = set(conn.scalars(text("SELECT datname FROM pg_database")))
    engine.dispose()
    return names


def _bench_on(url: str) -> Bench:
    return Bench(app=create_app({"SQLALCHEMY_DATABASE_URI": url}), round_ids=[3, 1, 2],
                 on=date(2026, 5, 12))


def test_a_run_writes_to_a_copy_that_is_dropped_afterwards():
    server = postgresql_pass()
    with fresh_database(server, TEMPLATE) as url:
        engine = create_engine(url, poolclass=NullPool)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE marks (n integer)"))
            conn.execute(text("INSERT INTO marks VALUES (1)"))
        engine.dispose()
        bench = _bench_on(url)

        with copy_of(bench) as copy:
            copied = str(copy.app.config["SQLALCHEMY_DATABASE_URI"])
            assert make_url(copied).database == f"{TEMPLATE}_load_{os.getpid()}"
            assert (copy.round_ids, copy.on) == (bench.round_ids, bench.on)
            engine = create_engine(copied, poolclass=NullPool)
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO marks VALUES (2)"))
            engine.dispose()
            assert _marks(copied) == [1, 2]

        assert _marks(url) == [1]  # the bench database as it was
        assert f"{TEMPLATE}_load_{os.getpid()}" not in _databases(server)


def test_copies_of_runs_that_died_are_dropped_and_a_running_ones_kept():
    server = postgresql_pass()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    running = str(os.getppid())  # a process that is still there: another run's
    with fresh_database(server, TEMPLATE) as url, \
            fresh_database(server, f"{TEMPLATE}_load_{gone}"), \
            fresh_database(server, f"{TEMPLATE}_load_{running}"):
        with copy_of(_bench_on(url)):
            names = _databases(server)

        assert f"{TEMPLATE}_load_{gone}" not in names
        assert f"{TEMPLATE}_load_{running}" in names


def test_a_bench_not_on_postgresql_is_used_as_it_is(tmp_path, capsys):
    bench = _bench_on(f"sqlite:///{tmp_path / 'bench.db'}")

    with copy_of(bench) as copy:
        assert copy is bench
    assert "writes to it directly" in capsys.readouterr().out
