"""exported documents (issue 6)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 07:10:00

"""

import sqlalchemy as sa
from alembic import op

import app.core.db

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "exported_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_user_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=True),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("is_signed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_exported_documents_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["subject_user_id"], ["users.id"], name=op.f("fk_exported_documents_subject_user_id_users")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_exported_documents_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exported_documents")),
        sa.UniqueConstraint("number", name=op.f("uq_exported_documents_number")),
    )
    with op.batch_alter_table("exported_documents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_exported_documents_subject_created", ["subject_user_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_exported_documents_unit_created", ["unit_id", "created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("exported_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_exported_documents_unit_created")
        batch_op.drop_index("ix_exported_documents_subject_created")

    op.drop_table("exported_documents")
