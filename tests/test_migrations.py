"""The migrations build the schema the models declare, and its search indexes serve the queries."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from outreach.auth.models import User
from outreach.db import db
from outreach.enums import Role
from outreach.people.services import visible_clients


def test_models_and_migrations_agree(app):
    with app.app_context():  # on the test's own connection: SQLite allows one writer
        context = MigrationContext.configure(db.session.connection(),
                                             opts={"compare_type": True})
        with warnings.catch_warnings():
            # SQLite cannot reflect the (PostgreSQL-only) expression index on clients.
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified "
                                    "expression-based index", UserWarning)
            assert compare_metadata(context, db.metadata) == []


def test_client_search_can_use_the_trigram_index(app):
    """The search's expressions are the index's: were either changed alone (ILIKE for
    lower(...) LIKE, say), PostgreSQL would read every client again."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return  # no trigram index on SQLite
        query = visible_clients(User(role=Role.ADMIN), q="Walker 07700900403")
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a few rows: no index
        plan = "\n".join(db.session.scalars(text("EXPLAIN " + str(query.compile(
            dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})))))
    assert plan.count("ix_clients_search") == 3, plan  # name, parish and phone
