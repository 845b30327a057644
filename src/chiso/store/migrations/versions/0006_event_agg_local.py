"""kept aggregates per commune: ``event_agg_local`` (measure × commune × day → integer), the same shape and covering
index as ``event_agg``, filled from the dossier events whose ``subunit`` resolves to a commune (issue 13)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_agg_local",
        sa.Column("measure", sa.String(100), primary_key=True),
        sa.Column("unit", sa.String(50), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_event_agg_local_measure_day", "event_agg_local", ["measure", "day", "unit", "value"])


def downgrade() -> None:
    op.drop_index("ix_event_agg_local_measure_day", table_name="event_agg_local")
    op.drop_table("event_agg_local")
