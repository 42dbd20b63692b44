"""the notification an email copies (issue 9 follow-up: emails sent by the worker)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 11:20:00

Email copies of notifications are queued and sent by the worker after the action commits; the
outbox row names its notification, so that whoever sends it (the first try, or the periodic
retry of a message left queued) marks the notification emailed.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notification_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_messages_notification_id_notifications"),
            "notifications",
            ["notification_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_messages_notification_id_notifications"), type_="foreignkey"
        )
        batch_op.drop_column("notification_id")
