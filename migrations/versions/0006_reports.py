"""reports and diary reads (issue 7)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 07:10:00

"""

import sqlalchemy as sa
from alembic import op

import app.core.db

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    # Who read whose diary (app/reports/models.py: DiaryRead).
    op.create_table(
        "diary_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reader_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(length=20), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("month", sa.Integer(), nullable=True),
        sa.Column("reader_capacity", sa.String(length=255), nullable=False),
        sa.Column("read_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_diary_reads_owner_id_users")),
        sa.ForeignKeyConstraint(["reader_id"], ["users.id"], name=op.f("fk_diary_reads_reader_id_users")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_diary_reads_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diary_reads")),
    )
    with op.batch_alter_table("diary_reads", schema=None) as batch_op:
        batch_op.create_index("ix_diary_reads_owner_at", ["owner_id", "read_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_diary_reads_reader_id"), ["reader_id"], unique=False)

    # The member-month figures the dashboards add up (app/reports/stats.py), and their upkeep.
    op.create_table(
        "report_member_months",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("answered_in_time", sa.Integer(), nullable=False),
        sa.Column("answered_late", sa.Integer(), nullable=False),
        sa.Column("exemplary", sa.Integer(), nullable=False),
        sa.Column("last_deed", sa.Date(), nullable=True),
        sa.Column("signed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("computed_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_report_member_months_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_report_member_months_user_id_users")
        ),
        sa.PrimaryKeyConstraint("unit_id", "year", "month", "user_id", name=op.f("pk_report_member_months")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_stale",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_stale")),
    )
    with op.batch_alter_table("report_stale", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_stale_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "report_built",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("built_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_report_built_unit_id_units")),
        sa.PrimaryKeyConstraint("unit_id", "year", name=op.f("pk_report_built")),
    )
    # Entries waiting for review (a few weeks' worth): counted live, as they become due by the hour.
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_entries_waiting_review",
            ["unit_id", "deed_date", "submitted_at", "user_id"],
            unique=False,
            sqlite_where=sa.text("status = 'submitted'"),
            postgresql_where=sa.text("status = 'submitted'"),
        )
        # Commended entries (the sổ vàng across a subtree).
        batch_op.create_index(
            "ix_entries_exemplary",
            ["unit_id", "deed_date"],
            unique=False,
            sqlite_where=sa.text("is_exemplary = true"),
            postgresql_where=sa.text("is_exemplary = true"),
        )


def downgrade():
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index("ix_entries_exemplary")
        batch_op.drop_index("ix_entries_waiting_review")
    op.drop_table("report_built")
    with op.batch_alter_table("report_stale", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_stale_unit_id"))
    op.drop_table("report_stale")
    op.drop_table("report_member_months")
    with op.batch_alter_table("diary_reads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diary_reads_reader_id"))
        batch_op.drop_index("ix_diary_reads_owner_at")

    op.drop_table("diary_reads")
