"""data retention: when a client's personal details were removed

Revision ID: 0011_retention
Revises: 0010_evaluation_indexes
Create Date: 2026-11-24 14:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_retention'
down_revision = '0010_evaluation_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
