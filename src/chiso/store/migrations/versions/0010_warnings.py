"""early warnings and their moves (issue 15 §2); event batches found by when they arrived (silent sources)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "warning",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(400), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("unit", sa.String(50), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("period", sa.String(30)),
        sa.Column("expected", sa.Float),
        sa.Column("seen", sa.Float),
        sa.Column("since", sa.DateTime, nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("first_seen", sa.DateTime, nullable=False),
        sa.Column("last_seen", sa.DateTime, nullable=False),
        sa.Column("state_by", sa.String(200)),
        sa.Column("state_at", sa.DateTime),
    )
    op.create_index("ix_warning_unit_state", "warning", ["unit", "state"])
    op.create_table(
        "warning_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("warning", sa.Integer, sa.ForeignKey("warning.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
    )
    op.create_index("ix_warning_log_warning", "warning_log", ["warning"])
    op.create_index("ix_event_batch_received_at", "event_batch", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_event_batch_received_at", table_name="event_batch")
    op.drop_index("ix_warning_log_warning", table_name="warning_log")
    op.drop_table("warning_log")
    op.drop_index("ix_warning_unit_state", table_name="warning")
    op.drop_table("warning")
