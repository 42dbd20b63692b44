"""the reports' figures per unit (issue 9)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 10:05:50.552622

A unit's dashboard added up one row per member and month, and counted the entries waiting for
review live: at province size (3,000 members, 35,000 waiting entries) that grew with the
organisation. These tables hold the same figures per unit and month (report_unit_months) and
per unit and year (report_unit_years: branches, members, approved plans, members commended, who
wrote in the last 30 days, and until when the clock leaves them true), each over the unit's
whole subtree, so a dashboard reads one row per child unit. app.reports.stats keeps them
current: a branch's rows, and those of every unit above it, are computed again when anything of
the branch changes. Empty at first: the next report of each unit fills them.
"""

import sqlalchemy as sa
from alembic import op

import app.core.db

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_unit_months",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("answered_in_time", sa.Integer(), nullable=False),
        sa.Column("answered_late", sa.Integer(), nullable=False),
        sa.Column("exemplary", sa.Integer(), nullable=False),
        sa.Column("writers", sa.Integer(), nullable=False),
        sa.Column("signed", sa.Integer(), nullable=False),
        sa.Column("commended", sa.Integer(), nullable=False),
        sa.Column("waiting_due", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_report_unit_months_unit_id_units")),
        sa.PrimaryKeyConstraint("unit_id", "year", "month", name=op.f("pk_report_unit_months")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_unit_years",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("branches", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("approved_plans", sa.Integer(), nullable=False),
        sa.Column("commended_year", sa.Integer(), nullable=False),
        sa.Column("commended_q1", sa.Integer(), nullable=False),
        sa.Column("commended_q2", sa.Integer(), nullable=False),
        sa.Column("commended_q3", sa.Integer(), nullable=False),
        sa.Column("commended_q4", sa.Integer(), nullable=False),
        sa.Column("wrote_recently", sa.Integer(), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.Column("computed_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_report_unit_years_unit_id_units")),
        sa.PrimaryKeyConstraint("unit_id", "year", name=op.f("pk_report_unit_years")),
        sqlite_with_rowid=False,
    )


def downgrade():
    op.drop_table("report_unit_years")
    op.drop_table("report_unit_months")
