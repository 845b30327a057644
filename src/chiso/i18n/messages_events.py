"""Messages of operational events: ingestion, sources, rejects: id → (Vietnamese, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
}
