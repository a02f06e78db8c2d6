"""escalation events: an organisation's latest by when they happened (the Atom feed's order)

Revision ID: 0021_atom_order_index
Revises: 0019_password_reset_links
Create Date: 2026-12-07 16:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021_atom_order_index'
down_revision = '0019_password_reset_links'
branch_labels = None
depends_on = None


def upgrade():
    # The Atom feed reads by time now, not row id: the id-ordered index served it alone.
    with op.batch_alter_table('escalation_events', schema=None) as batch_op:
        batch_op.drop_index('ix_escalation_events_organisation_id_id')
        batch_op.create_index('ix_escalation_events_organisation_at',
                              ['organisation_id', 'at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('escalation_events', schema=None) as batch_op:
        batch_op.drop_index('ix_escalation_events_organisation_at')
        batch_op.create_index('ix_escalation_events_organisation_id_id',
                              ['organisation_id', 'id'], unique=False)
