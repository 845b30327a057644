"""warnings as a digest: a subscription's digest (hourly, daily), and which digest carried a warning (issue 15 §3)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: each warning at once, as every subscription made before went
    op.add_column("subscription", sa.Column("digest", sa.String(10)))
    # a held warning's row: the digest delivery that gathered it (NULL: not gathered yet)
    op.add_column("delivery", sa.Column("digest", sa.BigInteger))


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("digest")
    with op.batch_alter_table("subscription") as batch:
        batch.drop_column("digest")
