"""initial: source documents, change sets, data values, targets, audit

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_document",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("publisher", sa.Text),
        sa.Column("published", sa.Date),
        sa.Column("file", sa.Text),
        sa.Column("authority", sa.Integer, nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_table(
        "change_set",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("description", sa.Text),
    )
    op.create_table(
        "data_value",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("indicator", sa.String(100), nullable=False),
        sa.Column("unit", sa.String(50), nullable=False),
        sa.Column("period", sa.String(30), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("numerator", sa.Float),
        sa.Column("denominator", sa.Float),
        sa.Column("approximate", sa.Boolean, nullable=False),
        sa.Column("qualifier", sa.String(40)),
        sa.Column("paragraph", sa.Integer),
        sa.Column("comment", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("indicator", "unit", "period", "origin", "source", name="uq_data_value_key"),
    )
    op.create_index("ix_data_value_indicator", "data_value", ["indicator"])
    op.create_index("ix_data_value_unit", "data_value", ["unit"])
    op.create_table(
        "target",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("indicator", sa.String(100), nullable=False),
        sa.Column("unit", sa.String(50), nullable=False),
        sa.Column("period", sa.String(30), nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("source", sa.String(200)),
        sa.Column("paragraph", sa.Integer),
        sa.Column("note", sa.Text),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("indicator", "unit", "period", name="uq_target_key"),
    )
    op.create_index("ix_target_indicator", "target", ["indicator"])
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("change_set", sa.Integer, sa.ForeignKey("change_set.id"), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("entity", sa.String(30), nullable=False),
        sa.Column("entity_id", sa.String(100), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("indicator", sa.String(100)),
        sa.Column("unit", sa.String(50)),
        sa.Column("period", sa.String(30)),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON),
    )
    op.create_index("ix_audit_change_set", "audit", ["change_set"])


def downgrade() -> None:
    op.drop_table("audit")
    op.drop_table("target")
    op.drop_table("data_value")
    op.drop_table("change_set")
    op.drop_table("source_document")
