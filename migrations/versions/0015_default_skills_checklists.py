"""every digital-literacy programme has its skills checklist: reading one no longer starts it

Revision ID: 0015_default_skills_checklists
Revises: 0014_escalation_queue_index
Create Date: 2026-11-25 06:00:00

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_default_skills_checklists'
down_revision = '0014_escalation_queue_index'
branch_labels = None
depends_on = None

# The defaults as they stood when checklists began to be started with their programme (frozen
# here: a migration does not follow later changes to the application's list).
DEFAULTS = (
    "Use email", "Video-call family", "Spot a scam", "Book a GP appointment online",
    "Order a repeat prescription online", "View my health record",
    "Use the NHS App or the local equivalent",
)

programmes = sa.table('programmes', sa.column('id', sa.Integer), sa.column('kind', sa.String))
skills = sa.table('skills', sa.column('programme_id', sa.Integer), sa.column('name', sa.String),
                  sa.column('position', sa.Integer), sa.column('active', sa.Boolean),
                  sa.column('created_at', sa.DateTime(timezone=True)),
                  sa.column('updated_at', sa.DateTime(timezone=True)))


def upgrade():
    # Programmes nobody had opened the checklist of until now had no skills at all.
    bare = op.get_bind().scalars(
        sa.select(programmes.c.id).where(
            programmes.c.kind == 'digital_literacy',
            ~sa.exists().where(skills.c.programme_id == programmes.c.id))
        .order_by(programmes.c.id)).all()
    now = datetime.now(UTC)
    rows = [{'programme_id': programme_id, 'name': name, 'position': n, 'active': True,
             'created_at': now, 'updated_at': now}
            for programme_id in bare for n, name in enumerate(DEFAULTS, start=1)]
    if rows:
        op.bulk_insert(skills, rows)


def downgrade():
    # The checklists stay: the earlier code would have made the same ones on first reading.
    pass
