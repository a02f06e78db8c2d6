"""feed positions from a sequence, never reused; withdrawn events outlive an erased escalation

Revision ID: 0016_feed_positions_sequence
Revises: 0015_default_skills_checklists
Create Date: 2026-12-07 16:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_feed_positions_sequence'
down_revision = '0015_default_skills_checklists'
branch_labels = None
depends_on = None

SEQUENCE = 'escalation_event_positions'
COUNTER = 'escalation_events'
KINDS = ['created', 'joined', 'acknowledged', 'note', 'resolved', 'reassigned', 'handed_back',
         'reopened', 'overdue', 'resolve_overdue', 'message']
KIND_CHECK = 'ck_escalation_events_kind'


def _events(kinds, nullable: bool) -> None:
    """Set which kinds the events' CHECK constraint allows and whether escalation_id may be
    blank (SQLite rebuilds the table to change either)."""
    condition = f"kind IN ({', '.join(repr(k) for k in kinds)})"
    with op.batch_alter_table('escalation_events', recreate='auto') as batch_op:
        batch_op.drop_constraint(op.f(KIND_CHECK), type_='check')
        batch_op.create_check_constraint(op.f(KIND_CHECK), condition)
        batch_op.alter_column('escalation_id', existing_type=sa.Integer(), nullable=nullable)


def _top(connection) -> int:
    return connection.execute(sa.text(
        'SELECT COALESCE(MAX(position), 0) FROM escalation_events')).scalar() or 0


def upgrade():
    connection = op.get_bind()
    # Both databases get the counter table (the models declare it); only SQLite uses it.
    op.create_table(
        'feed_counters',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_feed_counters')),
    )
    top = _top(connection)
    # Start past every position already handed out: a poller's cursor may be at the top one.
    op.execute(sa.text('INSERT INTO feed_counters (name, value) VALUES (:name, :value)')
               .bindparams(name=COUNTER, value=top))
    if connection.dialect.name == 'postgresql':
        op.execute(f'CREATE SEQUENCE {SEQUENCE} START WITH {top + 1}')
    _events(KINDS + ['withdrawn'], nullable=True)


def downgrade():
    # An erased escalation's withdrawn event has no escalation: it cannot stay without one.
    op.execute("DELETE FROM escalation_events WHERE escalation_id IS NULL OR kind = 'withdrawn'")
    _events(KINDS, nullable=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP SEQUENCE {SEQUENCE}')
    op.drop_table('feed_counters')
