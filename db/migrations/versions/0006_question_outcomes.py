"""question outcomes

How the bot's decisions on questions ended (answered, clarified, not understood, urgent,
passed to a person), counted per local day and language for the console's dashboard:
numbers only, no text and no person.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-18 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question_outcomes",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "lang", "outcome"),
    )


def downgrade() -> None:
    op.drop_table("question_outcomes")
