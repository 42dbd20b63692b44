"""abuse resistance (issue 16): failed sign-ins, shared by every worker and shown to their owner;
invitations to a unit for people who already have an account

Revision ID: 0016_i16_abuse
Revises: 0015_i17b_name_sort_key
Create Date: 2026-12-07 11:40:00

login_failures is both the login throttle's counter when no Redis is configured (every gunicorn
worker shares the database) and the record an account's owner reads on "Lần đăng nhập không thành
công".

unit_invitations: a secretary adds directly only people already in units they manage; anyone else
is invited and becomes a member only by accepting.
"""

import sqlalchemy as sa
from alembic import op

from app.core.db import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0016_i16_abuse"
down_revision = "0015_i17b_name_sort_key"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_login_failures_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(op.f("ix_login_failures_at"), "login_failures", ["at"], unique=False)
    op.create_index("ix_login_failures_user_id_at", "login_failures", ["user_id", "at"], unique=False)
    op.create_index("ix_login_failures_address_at", "login_failures", ["address", "at"], unique=False)
    op.create_table(
        "unit_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "member",
                "deputy_secretary",
                "secretary",
                "officer",
                name="role",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_unit_invitations_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_unit_invitations_unit_id_units"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_unit_invitations_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_invitations")),
    )
    op.create_index(op.f("ix_unit_invitations_unit_id"), "unit_invitations", ["unit_id"], unique=False)
    op.create_index(op.f("ix_unit_invitations_user_id"), "unit_invitations", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_unit_invitations_user_id"), table_name="unit_invitations")
    op.drop_index(op.f("ix_unit_invitations_unit_id"), table_name="unit_invitations")
    op.drop_table("unit_invitations")
    op.drop_index("ix_login_failures_address_at", table_name="login_failures")
    op.drop_index("ix_login_failures_user_id_at", table_name="login_failures")
    op.drop_index(op.f("ix_login_failures_at"), table_name="login_failures")
    op.drop_table("login_failures")
