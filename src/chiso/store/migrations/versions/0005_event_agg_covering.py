"""kept aggregates: the (measure, day) index also covers unit and value, so a group's sums over a period (a
composite index reads a dozen measures of every unit at once) are read from the index alone

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_event_agg_measure_day", table_name="event_agg")
    op.create_index("ix_event_agg_measure_day", "event_agg", ["measure", "day", "unit", "value"])


def downgrade() -> None:
    op.drop_index("ix_event_agg_measure_day", table_name="event_agg")
    op.create_index("ix_event_agg_measure_day", "event_agg", ["measure", "day"])
