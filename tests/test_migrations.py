"""The Alembic migrations make exactly the schema of ``chiso.store.schema``, on SQLite and PostgreSQL.

A column, index, constraint or table added to schema.py without its migration (or the other way round) fails
here, naming the difference, before a deployed store is left behind its code.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from chiso.store import Store
from chiso.store.schema import metadata


def _differences(url: str) -> list[Any]:
    st = Store.open(url)  # runs every migration
    try:
        with st.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
            return list(compare_metadata(ctx, metadata))
    finally:
        st.close()


def test_migrations_make_the_schema(db_url: str) -> None:
    diff = _differences(db_url)
    assert not diff, "the migrations and store/schema.py differ:\n" + "\n".join(map(repr, diff))


def test_the_comparison_sees_a_missing_migration(db_url: str) -> None:
    """The check is not blind: a column only the code knows of is reported."""
    from sqlalchemy import Column, Integer

    table = metadata.tables["data_value"]
    extra = Column("not_migrated", Integer)
    table.append_column(extra)
    try:
        diff = _differences(db_url)
    finally:
        table._columns.remove(extra)  # put the shared metadata back as it was
    assert any("not_migrated" in repr(d) for d in diff)
