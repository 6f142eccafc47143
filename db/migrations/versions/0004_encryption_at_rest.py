"""encryption at rest: what people wrote is stored encrypted

The columns stay TEXT; their values become Fernet tokens of the configured key (and back to
plain text on downgrade, which needs the key too).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10 09:00:00
"""

from alembic import op

from db.crypto import keys_of, recode

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# (table, primary key, column): what a person or an operator wrote, and raw updates
ENCRYPTED = (
    ("ticket_messages", "id", "text"),
    ("unanswered", "id", "text"),
    ("inbox", "update_id", "raw"),
    ("outbox", "id", "payload"),
)


def _recode(encrypting: bool) -> None:
    connection = op.get_bind()

    def change(value: str) -> str:  # a database with no values needs no keys
        keys = keys_of(connection.dialect)
        return keys.encrypt(value) if encrypting else keys.decrypt(value)

    for table, key, column in ENCRYPTED:
        recode(connection, table, key, column, change)


def upgrade() -> None:
    _recode(encrypting=True)


def downgrade() -> None:
    _recode(encrypting=False)
