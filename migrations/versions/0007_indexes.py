"""province-scale indexes (issue 9)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 07:10:00

A branch's figures read a year of its entries (who wrote, in which status, on which day): the
index on (unit_id, deed_date) becomes a covering one, so those aggregates never visit the table
(in a province the branch's entries lie one per table page). The review queue gets the waiting
entries of a branch in submission order from an index, the links from a commitment to its entries
come from the index alone, a member's diary in one branch is read by date (a month, the latest
entry), and the notification centre reads a person's newest notifications.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.create_index("ix_entries_user_unit_date", ["user_id", "unit_id", "deed_date"], unique=False)
        batch_op.drop_index("ix_entries_unit_date")
        batch_op.create_index(
            "ix_entries_unit_date_cover",
            ["unit_id", "deed_date", "user_id", "status"],
            unique=False,
            postgresql_include=["id"],
        )
        batch_op.create_index(
            "ix_entries_unit_status_user", ["unit_id", "status", "user_id", "submitted_at"], unique=False
        )
    with op.batch_alter_table("entry_commitments", schema=None) as batch_op:
        batch_op.drop_index("ix_entry_commitments_commitment_id")
        batch_op.create_index(
            "ix_entry_commitments_commitment_entry", ["commitment_id", "entry_id"], unique=False
        )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_user_created", ["user_id", "created_at", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_created")
    with op.batch_alter_table("entry_commitments", schema=None) as batch_op:
        batch_op.drop_index("ix_entry_commitments_commitment_entry")
        batch_op.create_index("ix_entry_commitments_commitment_id", ["commitment_id"], unique=False)
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index("ix_entries_unit_status_user")
        batch_op.drop_index("ix_entries_unit_date_cover")
        batch_op.create_index("ix_entries_unit_date", ["unit_id", "deed_date"], unique=False)
        batch_op.drop_index("ix_entries_user_unit_date")
