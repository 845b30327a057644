"""The operational store's tables (SQLAlchemy Core). Migrations in ``migrations/`` create them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

source_document = Table(
    "source_document",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("title", Text, nullable=False),
    Column("publisher", Text),
    Column("published", Date),
    Column("file", Text),
    Column("authority", Integer, nullable=False, default=5),
    Column("note", Text),
)

# A set of changes made together (one import, one load, one form save): the audit groups by it.
change_set = Table(
    "change_set",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("actor", String(200), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("kind", String(40), nullable=False),  # load | import | edit | delete
    Column("description", Text),
)

data_value = Table(
    "data_value",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("indicator", String(100), nullable=False, index=True),
    Column("unit", String(50), nullable=False, index=True),
    Column("period", String(30), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("origin", String(20), nullable=False),  # reported | computed
    Column("source", String(200), nullable=False),
    Column("value", Float),
    Column("numerator", Float),
    Column("denominator", Float),
    Column("approximate", Boolean, nullable=False, default=False),
    Column("qualifier", String(40)),
    Column("paragraph", Integer),
    Column("comment", Text),
    Column("status", String(20), nullable=False, default="approved"),
    Column("version", Integer, nullable=False, default=1),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("indicator", "unit", "period", "origin", "source", name="uq_data_value_key"),
)

target = Table(
    "target",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("indicator", String(100), nullable=False, index=True),
    Column("unit", String(50), nullable=False),
    Column("period", String(30), nullable=False),
    Column("value", Float, nullable=False),
    Column("source", String(200)),
    Column("paragraph", Integer),
    Column("note", Text),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("indicator", "unit", "period", name="uq_target_key"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("change_set", Integer, ForeignKey("change_set.id"), nullable=False, index=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("entity", String(30), nullable=False),  # data_value | target | source_document
    Column("entity_id", String(100), nullable=False),
    Column("action", String(20), nullable=False),  # insert | update | delete
    Column("indicator", String(100)),
    Column("unit", String(50)),
    Column("period", String(30)),
    Column("before", JSON),
    Column("after", JSON),
)
