"""export jobs and the task queue (issue 6)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 07:10:00

"""

import sqlalchemy as sa
from alembic import op

import app.core.db

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "export_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "scope",
            sa.Enum(
                "branch", "subtree", name="exportscope", native_enum=False, create_constraint=False, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "done",
                "failed",
                "expired",
                name="jobstatus",
                native_enum=False,
                create_constraint=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("members_total", sa.Integer(), nullable=False),
        sa.Column("members_done", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=200), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result_path", sa.String(length=255), nullable=True),
        sa.Column("result_size", sa.Integer(), nullable=True),
        sa.Column("documents_count", sa.Integer(), nullable=False),
        sa.Column("base_url", sa.String(length=255), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_export_jobs_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_export_jobs_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_jobs")),
    )
    with op.batch_alter_table("export_jobs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_export_jobs_requested_by_created", ["requested_by_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_export_jobs_status_expires", ["status", "expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_export_jobs_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "export_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["export_jobs.id"],
            name=op.f("fk_export_failures_job_id_export_jobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["member_id"], ["users.id"], name=op.f("fk_export_failures_member_id_users")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_export_failures_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_failures")),
    )
    with op.batch_alter_table("export_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_export_failures_job_id"), ["job_id"], unique=False)


def downgrade():
    with op.batch_alter_table("export_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_export_failures_job_id"))

    op.drop_table("export_failures")
    with op.batch_alter_table("export_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_export_jobs_unit_id"))
        batch_op.drop_index("ix_export_jobs_status_expires")
        batch_op.drop_index("ix_export_jobs_requested_by_created")

    op.drop_table("export_jobs")
