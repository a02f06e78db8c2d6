"""search indexes: client search by name, parish or phone; live and recently resolved escalations

Revision ID: 0012_search_indexes
Revises: 0011_retention
Create Date: 2026-11-24 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_search_indexes'
down_revision = '0011_retention'
branch_labels = None
depends_on = None

LIVE = sa.text("status IN ('open', 'acknowledged', 'reopened')")
RESOLVED = sa.text("status = 'resolved'")


def upgrade():
    # The escalations page counts the live escalations (and the overdue among them) and those
    # resolved in the last week; on PostgreSQL both are read from these indexes alone.
    op.create_index('ix_escalations_live_programme_id', 'escalations', ['programme_id'],
                    unique=False, postgresql_include=['status', 'due_at', 'resolve_due_at'],
                    postgresql_where=LIVE, sqlite_where=LIVE)
    op.create_index('ix_escalations_resolved_at', 'escalations', ['resolved_at'],
                    unique=False, postgresql_include=['programme_id'],
                    postgresql_where=RESOLVED, sqlite_where=RESOLVED)
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite has no trigram index; its search reads the table, as before
    # pg_trgm is a trusted extension: the database's owner may create it.
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    # Named with the extension's schema: tables in a schema of their own (a test's search_path)
    # would not otherwise find the operator class.
    trgm = op.get_bind().execute(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'")).scalar_one() + '.gin_trgm_ops'
    # The search's `lower(full_name) LIKE '%q%' OR lower(parish) LIKE ... OR phone LIKE ...`:
    # one GIN index answers each term, and the planner ORs the three.
    op.create_index('ix_clients_search', 'clients',
                    [sa.func.lower(sa.column('full_name')).label('lower_full_name'),
                     sa.func.lower(sa.column('parish')).label('lower_parish'), 'phone'],
                    unique=False, postgresql_using='gin',
                    postgresql_ops={'lower_full_name': trgm, 'lower_parish': trgm,
                                    'phone': trgm})


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        # pg_trgm stays: it may have been there before, and dropping it would need its owner.
        op.drop_index('ix_clients_search', table_name='clients')
    op.drop_index('ix_escalations_resolved_at', table_name='escalations')
    op.drop_index('ix_escalations_live_programme_id', table_name='escalations')
