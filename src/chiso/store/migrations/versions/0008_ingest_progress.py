"""a bulk ingest's place in a file, so that a killed ingest resumes where it stopped (issue 14)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_progress",
        sa.Column("file_key", sa.String(100), primary_key=True),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ingest_progress")
