"""messages: every SMS in or out, its status history, numbers opted out or invalid; SMS settings per programme

Revision ID: 0003_messages
Revises: 0002_call_and_check
Create Date: 2026-11-24 08:21:25.505144

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_messages'
down_revision = '0002_call_and_check'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sms_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opt_out_source', sa.String(length=100), nullable=False),
    sa.Column('opted_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('invalid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('invalid_code', sa.Integer(), nullable=True),
    sa.Column('invalid_reason', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_numbers')),
    sa.UniqueConstraint('phone', name=op.f('uq_sms_numbers_phone'))
    )
    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.Enum('inbound', 'outbound', name='direction', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('kind', sa.Enum('check_in', 'appointment_reminder', 'prescription_notice', 'visit_report', 'alert', 'workshop_reminder', 'reply', 'free_text', name='kind', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('meaning', sa.Enum('check_in_answer', 'opt_out', 'opt_in', 'help', 'need', 'repeat', 'loop', 'unknown_sender', name='meaning', native_enum=False, create_constraint=True, length=19), nullable=True),
    sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'unknown', 'cancelled', 'received', name='status', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('programme_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('service_number', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('language', sa.Enum('en', 'pt', 'pl', 'fr', name='language', native_enum=False, create_constraint=True, length=6), nullable=False),
    sa.Column('encoding', sa.String(length=8), nullable=False),
    sa.Column('segments', sa.Integer(), nullable=False),
    sa.Column('cost_estimate', sa.Numeric(precision=10, scale=4), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=120), nullable=True),
    sa.Column('provider_sid', sa.String(length=64), nullable=True),
    sa.Column('backend', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('send_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('held_reason', sa.String(length=200), nullable=False),
    sa.Column('not_after', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sending_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('error_reason', sa.String(length=500), nullable=False),
    sa.Column('reply_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer', sa.String(length=20), nullable=False),
    sa.Column('in_reply_to_id', sa.Integer(), nullable=True),
    sa.Column('need_id', sa.Integer(), nullable=True),
    sa.Column('fingerprint', sa.String(length=160), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_messages_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_messages_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['in_reply_to_id'], ['messages.id'], name=op.f('fk_messages_in_reply_to_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_messages_need_id_needs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_messages_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_messages_dedupe_key'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_in_reply_to_id'), ['in_reply_to_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_need_id'), ['need_id'], unique=False)
        batch_op.create_index('ix_messages_phone_created_at', ['phone', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index('ix_messages_status_send_at', ['status', 'send_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_provider_sid'), ['provider_sid'], unique=False)
        batch_op.create_index('uq_messages_inbound_sid', ['provider_sid'], unique=True,
                              sqlite_where=sa.text("direction = 'inbound'"),
                              postgresql_where=sa.text("direction = 'inbound'"))

    op.create_table('message_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'unknown', 'cancelled', 'received', name='status', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_events_message_id_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_events'))
    )
    with op.batch_alter_table('message_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_events_message_id'), ['message_id'], unique=False)

    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('check_in_reply_window_minutes', sa.Integer(), nullable=False, server_default='240'))
        batch_op.add_column(sa.Column('check_in_time', sa.Time(), nullable=False, server_default='10:00:00'))
        batch_op.add_column(sa.Column('quiet_hours_start', sa.Time(), nullable=False, server_default='21:00:00'))
        batch_op.add_column(sa.Column('quiet_hours_end', sa.Time(), nullable=False, server_default='08:00:00'))
        batch_op.add_column(sa.Column('sms_number', sa.String(length=32), nullable=False, server_default=''))



def downgrade():
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_column('sms_number')
        batch_op.drop_column('quiet_hours_end')
        batch_op.drop_column('quiet_hours_start')
        batch_op.drop_column('check_in_time')
        batch_op.drop_column('check_in_reply_window_minutes')

    with op.batch_alter_table('message_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_events_message_id'))

    op.drop_table('message_events')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('uq_messages_inbound_sid')
        batch_op.drop_index(batch_op.f('ix_messages_provider_sid'))
        batch_op.drop_index('ix_messages_status_send_at')
        batch_op.drop_index(batch_op.f('ix_messages_programme_id'))
        batch_op.drop_index('ix_messages_phone_created_at')
        batch_op.drop_index(batch_op.f('ix_messages_need_id'))
        batch_op.drop_index(batch_op.f('ix_messages_in_reply_to_id'))
        batch_op.drop_index(batch_op.f('ix_messages_contact_id'))
        batch_op.drop_index(batch_op.f('ix_messages_client_id'))

    op.drop_table('messages')
    op.drop_table('sms_numbers')
