"""notifications marked read, and signed links to delivered reports (issue 15 §3)

``delivery.read_at`` is there since 0011 (kept, not set until now): this adds the index a user's unread count reads
on every page, and ``app_secret``, the server's secret that signs the expiring links to a delivered report's PDF.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_delivery_unread", "delivery", ["subscription", "state", "read_at"])
    op.create_table(
        "app_secret",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("app_secret")
    op.drop_index("ix_delivery_unread", table_name="delivery")
