"""escalations by organisation and status in id order (a provider's open FHIR Tasks)

Revision ID: 0013_escalation_status_index
Revises: 0012_search_indexes
Create Date: 2026-11-24 20:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013_escalation_status_index'
down_revision = '0012_search_indexes'
branch_labels = None
depends_on = None


def upgrade():
    # `organisation_id = ? AND status IN (...) AND id > ? ORDER BY id LIMIT n`: the open ones
    # have the newest ids, so walking (organisation_id, id) read thousands of resolved rows.
    op.create_index('ix_escalations_organisation_status_id', 'escalations',
                    ['organisation_id', 'status', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_escalations_organisation_status_id', table_name='escalations')
