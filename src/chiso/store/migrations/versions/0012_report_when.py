"""when a report subscription is sent: on approval of its period's data, on a set day, or both (issue 15 §3)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for the rows made before it: those reports keep going out on [notify] report_day, as they did
    op.add_column("subscription", sa.Column("send_when", sa.String(20)))


def downgrade() -> None:
    with op.batch_alter_table("subscription") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("send_when")
