"""answer feedback, and indexes for the console's figures

What people said of an FAQ answer ("This helped", or "Talk to a person" pressed under it),
counted per local day, entry and language for the console and /stats: numbers only, no text
and no person. Indexes of the event log by kind and by ticket and time, for the console's
queue over time (it follows the tickets put back in the queue or transferred).

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
    op.create_index("ticket_events_by_kind", "ticket_events", ["kind", "ticket_id"])
    op.create_index("tickets_log", "ticket_events", ["ticket_id", "at"])


def downgrade() -> None:
    op.drop_index("tickets_log", table_name="ticket_events")
    op.drop_index("ticket_events_by_kind", table_name="ticket_events")
    op.drop_table("answer_feedback")
