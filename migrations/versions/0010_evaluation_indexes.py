"""outcome measures: one index the dashboard's wellbeing and satisfaction figures read alone

Revision ID: 0010_evaluation_indexes
Revises: 0009_outcome_measures
Create Date: 2026-11-24 15:35:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_evaluation_indexes'
down_revision = '0009_outcome_measures'
branch_labels = None
depends_on = None

NAME = 'ix_outcome_measures_programme_id_kind_client_id_completed_at'
# On PostgreSQL the answers ride along in the index, so that the first and last measures per
# client are read in order from it alone, without the table or a sort.
ANSWERS = ['declined', 'ucla_companionship', 'ucla_left_out', 'ucla_isolated',
           'ons_life_satisfaction', 'ons_worthwhile', 'ons_happy', 'ons_anxious',
           'satisfaction']


def upgrade():
    op.create_index(NAME, 'outcome_measures',
                    ['programme_id', 'kind', 'client_id', 'completed_at', 'id'],
                    unique=False, postgresql_include=ANSWERS)


def downgrade():
    op.drop_index(NAME, table_name='outcome_measures')
