"""the file a report delivery carried: its name in reports/delivered, SHA-256 and size (issue 15 §3)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for warnings and for the reports sent before: their file was not recorded
    op.add_column("delivery", sa.Column("file", sa.String(200)))
    op.add_column("delivery", sa.Column("file_sha256", sa.String(64)))
    op.add_column("delivery", sa.Column("file_size", sa.BigInteger))


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("file_size")
        batch.drop_column("file_sha256")
        batch.drop_column("file")
