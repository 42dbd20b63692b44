"""entries written offline carry the id the phone made for them (issue 19)

Revision ID: 0013_i19_entry_client_id
Revises: 0012_i17a_grading_readiness
Create Date: 2026-12-07 11:40:00

An entry written without a signal is kept on the phone under a UUID it makes itself and sent
when the connection returns, maybe more than once (a retry after a lost answer, the page and
the service worker both sending). The server keeps that id, unique per author, so a second
sending finds the first entry instead of making another.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_i19_entry_client_id"
down_revision = "0012_i17a_grading_readiness"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_id", sa.String(length=36), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_entries_user_id_client_id"), ["user_id", "client_id"]
        )


def downgrade():
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_entries_user_id_client_id"), type_="unique")
        batch_op.drop_column("client_id")
