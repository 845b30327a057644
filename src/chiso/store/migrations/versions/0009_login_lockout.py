"""failed logins at unknown user names kept in the store, so that several web nodes lock them alike (issue 14)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_lockout",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.DateTime),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_login_lockout_updated", "login_lockout", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_login_lockout_updated", table_name="login_lockout")
    op.drop_table("login_lockout")
