"""people detached from what stays for statistics

A ticket whose person asked to be deleted, or whose conversation ended longer ago than the
retention, keeps its figures (language, subject, times, rating) with no person: `user_id`
becomes nullable. An unanswered question remembers who asked, so that /delete removes it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-17 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("user_id", existing_type=sa.BigInteger(), nullable=True)
    with op.batch_alter_table("unanswered") as batch:
        batch.add_column(sa.Column("user_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("unanswered") as batch:
        batch.drop_column("user_id")
    op.execute("DELETE FROM tickets WHERE user_id IS NULL")  # an older version needs a person
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("user_id", existing_type=sa.BigInteger(), nullable=False)
