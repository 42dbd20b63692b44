"""users.name_sort_key: people listed in Vietnamese order (issue 17)

Revision ID: 0015_i17b_name_sort_key
Revises: 0014_i20_export_parts
Create Date: 2026-12-07 11:40:00

Lists of people sort by given name, then middle and family name, in the Vietnamese alphabet
(a ă â b c d đ e ê …): the key is ICU's Vietnamese sort key (app.core.collation), stored so that
SQL can order and page by it. Existing users get theirs here.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_i17b_name_sort_key"
down_revision = "0014_i20_export_parts"
branch_labels = None
depends_on = None

KEY = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")


def upgrade():
    from app.core.collation import name_sort_key

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_sort_key", KEY, nullable=False, server_default=""))
        batch_op.create_index(batch_op.f("ix_users_name_sort_key"), ["name_sort_key"], unique=False)
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("full_name", sa.String))
    keys = sa.table("users", sa.column("id", sa.Integer), sa.column("name_sort_key", sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.full_name)).all()
    for user_id, full_name in rows:
        connection.execute(
            sa.update(keys).where(keys.c.id == user_id).values(name_sort_key=name_sort_key(full_name))
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_name_sort_key"))
        batch_op.drop_column("name_sort_key")
