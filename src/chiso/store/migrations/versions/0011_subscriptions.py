"""subscriptions, their deliveries (one per subscription and item) and the dispatcher's cursor (issue 15 §3)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscription",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("unit", sa.String(50), nullable=False),
        sa.Column("below", sa.Boolean, nullable=False),
        sa.Column("indicator", sa.String(100)),
        sa.Column("kind", sa.String(20)),
        sa.Column("report", sa.String(20)),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("target", sa.String(500)),
        sa.Column("secret", sa.String(200)),
        sa.Column("lang", sa.String(5), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_subscription_user_id", "subscription", ["user_id"])
    op.create_table(
        "delivery",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("subscription", sa.Integer, sa.ForeignKey("subscription.id", ondelete="CASCADE"), nullable=False),
        sa.Column("item", sa.String(100), nullable=False),
        sa.Column("warning", sa.Integer, sa.ForeignKey("warning.id", ondelete="CASCADE")),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("claimed_until", sa.DateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime),
        sa.Column("read_at", sa.DateTime),
        sa.UniqueConstraint("subscription", "item", name="uq_delivery_item"),
    )
    op.create_index("ix_delivery_due", "delivery", ["state", "next_attempt_at"])
    op.create_table(
        "notify_cursor",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notify_cursor")
    op.drop_index("ix_delivery_due", table_name="delivery")
    op.drop_table("delivery")
    op.drop_index("ix_subscription_user_id", table_name="subscription")
    op.drop_table("subscription")
