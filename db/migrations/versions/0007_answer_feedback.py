"""answer feedback

What people said of an FAQ answer ("This helped", or "Talk to a person" pressed under it),
counted per local day, entry and language for the console and /stats: numbers only, no text
and no person.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 15:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_feedback",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("entry", sa.String(length=64), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("helped", sa.Integer(), nullable=False),
        sa.Column("not_helped", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "entry", "lang"),
    )


def downgrade() -> None:
    op.drop_table("answer_feedback")
