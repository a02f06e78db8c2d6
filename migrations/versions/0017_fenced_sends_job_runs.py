"""fenced sends and job health: a claim token on each outbound text, and each periodic job's
latest run

Revision ID: 0017_fenced_sends_job_runs
Revises: 0016_feed_positions_sequence
Create Date: 2026-12-07 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_fenced_sends_job_runs'
down_revision = '0016_feed_positions_sequence'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
    op.create_table(
        'job_runs',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_succeeded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_summary', sa.String(length=300), nullable=False),
        sa.Column('failures_in_a_row', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_job_runs')),
    )


def downgrade():
    op.drop_table('job_runs')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('claim_token')
