"""grading readiness: going ahead with something missing, the minutes' number and times, the
ratifying unit (issue 17)

Revision ID: 0012_i17a_grading_readiness
Revises: 0011
Create Date: 2026-12-07 11:40:00

A step of the grading (the meeting, the submission, the ratification) taken while self-assessments,
proposals, plans or diaries are missing is recorded with what was missing and the reason given.
The minutes print their number and the meeting's start and end. The round keeps the unit on whose
behalf it was ratified (an officer of Đoàn Khối may ratify a branch under a Đoàn cơ sở).
"""

import sqlalchemy as sa
from alembic import op

import app.core.db

# revision identifiers, used by Alembic.
revision = "0012_i17a_grading_readiness"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "grading_step_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("missing", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["users.id"],
            name=op.f("fk_grading_step_confirmations_confirmed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["grading_rounds.id"],
            name=op.f("fk_grading_step_confirmations_round_id_grading_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grading_step_confirmations")),
    )
    with op.batch_alter_table("grading_step_confirmations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_grading_step_confirmations_round_id"), ["round_id"], unique=False
        )
    with op.batch_alter_table("grading_rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meeting_start", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("meeting_end", sa.Time(), nullable=True))
        batch_op.add_column(
            sa.Column("minutes_number", sa.String(length=40), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("ratified_unit_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_grading_rounds_ratified_unit_id_units"), "units", ["ratified_unit_id"], ["id"]
        )
    with op.batch_alter_table("grading_rounds", schema=None) as batch_op:
        batch_op.alter_column("minutes_number", server_default=None)


def downgrade():
    with op.batch_alter_table("grading_rounds", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_grading_rounds_ratified_unit_id_units"), type_="foreignkey")
        batch_op.drop_column("ratified_unit_id")
        batch_op.drop_column("minutes_number")
        batch_op.drop_column("meeting_end")
        batch_op.drop_column("meeting_start")
    with op.batch_alter_table("grading_step_confirmations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grading_step_confirmations_round_id"))
    op.drop_table("grading_step_confirmations")
