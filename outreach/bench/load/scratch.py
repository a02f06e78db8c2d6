"""Each load run works on a copy of the bench database, made from it as a template and dropped
afterwards, so every run starts from the same data.

A run writes thousands of visits, needs and escalations; kept, they made each run slower than
the one before (after a day of runs the coordinators' lists read half as many rows again), and
two runs could not be compared. PostgreSQL copies the 600 MB database in about two seconds.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

COPY = "{database}_load_{pid}"


def _copies_left_behind(conn, database: str) -> list[str]:
    """Copies whose run has gone (killed before it could drop its copy)."""
    prefix = COPY.format(database=database, pid="")
    names = conn.scalars(text("SELECT datname FROM pg_database WHERE starts_with(datname, :p)"),
                         {"p": prefix}).all()
    return [name for name in names if name[len(prefix):].isdigit()
            and not Path("/proc", name[len(prefix):]).exists()]


@contextmanager
def copy_of(bench):
    """A Bench like `bench` on a fresh copy of its database (the same data set, rounds and
    day), dropped when the block ends; `bench` itself when it is not on PostgreSQL."""
    from outreach import create_app
    from outreach.bench.run import Bench, admin_engine
    from outreach.db import db

    url = make_url(bench.app.config["SQLALCHEMY_DATABASE_URI"])
    if not url.drivername.startswith("postgresql"):
        print("The bench database is not PostgreSQL: the run writes to it directly.")
        yield bench
        return
    with bench.app.app_context():
        db.engine.dispose()  # a template database must have no one connected to it
    name = COPY.format(database=url.database, pid=os.getpid())
    admin = admin_engine(url)
    with admin.connect() as conn:
        for stale in _copies_left_behind(conn, url.database):
            conn.execute(text(f'DROP DATABASE "{stale}" WITH (FORCE)'))
        # FILE_COPY (PostgreSQL 15) copies the files after a checkpoint: much faster than
        # writing the whole database through the WAL, which is the default there.
        strategy = " STRATEGY FILE_COPY" if int(conn.scalar(text(
            "SHOW server_version_num"))) >= 150000 else ""
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"{strategy}'))
    copy = create_app({"SQLALCHEMY_DATABASE_URI": url.set(database=name)
                       .render_as_string(hide_password=False)})
    try:
        yield Bench(app=copy, round_ids=bench.round_ids, on=bench.on)
    finally:
        with copy.app_context():
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
