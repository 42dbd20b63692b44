"""export parts: one task per document of a bulk export (issue 20)

Revision ID: 0014_i20_export_parts
Revises: 0013_i19_entry_client_id
Create Date: 2026-12-07 12:00:00

A unit's export is shared by every consumer on the queue: each member's book and each summary
document is a part made by its own task; the job's last task packs the parts into the ZIP.
"""

import sqlalchemy as sa
from alembic import op

import app.core.db

# revision identifiers, used by Alembic.
revision = "0014_i20_export_parts"
down_revision = "0013_i19_entry_client_id"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("export_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("packing_at", app.core.db.UTCDateTime(timezone=True), nullable=True))

    op.create_table(
        "export_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("summary_index", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("folder", sa.String(length=255), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "done",
                "failed",
                name="partstatus",
                native_enum=False,
                create_constraint=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        sa.Column("claimed_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("zip_name", sa.String(length=255), nullable=True),
        sa.Column("file_path", sa.String(length=255), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("cpu_seconds", sa.Float(), nullable=True),
        sa.Column("peak_rss_kb", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["export_jobs.id"],
            name=op.f("fk_export_parts_job_id_export_jobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["member_id"], ["users.id"], name=op.f("fk_export_parts_member_id_users")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_export_parts_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_parts")),
    )
    with op.batch_alter_table("export_parts", schema=None) as batch_op:
        batch_op.create_index("ix_export_parts_job_position", ["job_id", "position"], unique=True)
        batch_op.create_index("ix_export_parts_status_claimed", ["status", "claimed_at"], unique=False)


def downgrade():
    with op.batch_alter_table("export_parts", schema=None) as batch_op:
        batch_op.drop_index("ix_export_parts_status_claimed")
        batch_op.drop_index("ix_export_parts_job_position")
    op.drop_table("export_parts")
    with op.batch_alter_table("export_jobs", schema=None) as batch_op:
        batch_op.drop_column("packing_at")
