"""The store's clock: naive UTC, to the second (SQLite keeps no time zones)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
