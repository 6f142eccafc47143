"""durable message path: inbox, outbox, leases

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("actor", sa.BigInteger(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("update_id"),
    )
    op.create_index("inbox_pending", "inbox", ["state", "actor", "update_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lane", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("update_id", sa.BigInteger(), nullable=True),
        sa.Column("media_group", sa.String(length=64), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("fallback", sa.String(length=16), nullable=True),
        sa.Column("mirrored", sa.Boolean(), nullable=False),
        sa.Column("result", sa.String(length=200), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("outbox_pending", "outbox", ["state", "lane", "id"])
    op.create_index("ix_outbox_ticket_id", "outbox", ["ticket_id"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("header_message_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("topic_error", sa.String(length=200), nullable=True))
    # Tickets made before: their topic exists and its header was sent.
    op.execute("UPDATE tickets SET header_message_id = 0 WHERE thread_id IS NOT NULL")
    op.drop_table("processed_updates")


def downgrade() -> None:
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id"),
    )
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("topic_error")
        batch.drop_column("header_message_id")
    op.drop_table("leases")
    op.drop_index("ix_outbox_ticket_id", table_name="outbox")
    op.drop_index("outbox_pending", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("inbox_pending", table_name="inbox")
    op.drop_table("inbox")
