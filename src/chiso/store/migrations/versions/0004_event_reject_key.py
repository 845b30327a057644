"""event rejects: a key per (source, kind, batch identity, position), so a resent batch records its rejects once

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("event_reject", sa.Column("dedup_key", sa.String(64)))
    # rejects recorded before this revision have no key (NULL): unique indexes let NULLs repeat
    op.create_index("ix_event_reject_dedup_key", "event_reject", ["dedup_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_event_reject_dedup_key", table_name="event_reject")
    with op.batch_alter_table("event_reject") as b:  # SQLite drops a column by copying the table
        b.drop_column("dedup_key")
