"""events: kept daily aggregates, first-seen keys, batches, event sources, rejected events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_agg",
        sa.Column("measure", sa.String(100), primary_key=True),
        sa.Column("unit", sa.String(50), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_event_agg_measure_day", "event_agg", ["measure", "day"])
    op.create_table(
        "event_first_seen",
        sa.Column("measure", sa.String(100), primary_key=True),
        sa.Column("unit", sa.String(50), primary_key=True),
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("first_day", sa.Date, nullable=False),
    )
    op.create_table(
        "event_batch",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("accepted", sa.Integer, nullable=False, server_default="0"),
        sa.Column("duplicates", sa.Integer, nullable=False, server_default="0"),
        sa.Column("rejected", sa.Integer, nullable=False, server_default="0"),
        sa.Column("state", sa.String(20), nullable=False),  # received | stored | applied
    )
    op.create_table(
        "event_source",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("token_hash", sa.String(128), nullable=False, unique=True),
        sa.Column("units", sa.JSON, nullable=False),  # unit or group codes it may report for; ["*"] for all
        sa.Column("kinds", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime),
    )
    op.create_table(
        "event_reject",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("batch", sa.BigInteger, nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("position", sa.Integer),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("replayed_at", sa.DateTime),
        sa.Column("replay_batch", sa.BigInteger),
    )


def downgrade() -> None:
    for t in ("event_reject", "event_source", "event_batch", "event_first_seen", "event_agg"):
        op.drop_table(t)
