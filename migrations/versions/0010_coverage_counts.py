"""the branch dashboard's coverage counts (issue 9)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 10:45:00

The branch dashboard counted a year of the branch's entries per member, commitment lineage and
month on every view (10–15 ms for a branch of 30). coverage_counts keeps those counts per member
year, coverage_stale lists the member-years changed since, coverage_built the branch-years
counted; app.dashboard.coverage keeps them current. Empty at first: the next dashboard of each
branch counts its year.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "coverage_stale",
        sa.Column("unit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("unit_id", "user_id", "year", name=op.f("pk_coverage_stale")),
    )
    op.create_table(
        "coverage_built",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_coverage_built_unit_id_units")),
        sa.PrimaryKeyConstraint("unit_id", "year", name=op.f("pk_coverage_built")),
    )
    op.create_table(
        "coverage_counts",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("lineage_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_coverage_counts_unit_id_units")),
        sa.PrimaryKeyConstraint(
            "unit_id", "year", "user_id", "lineage_id", "month", name=op.f("pk_coverage_counts")
        ),
        sqlite_with_rowid=False,
    )


def downgrade():
    op.drop_table("coverage_counts")
    op.drop_table("coverage_built")
    op.drop_table("coverage_stale")
