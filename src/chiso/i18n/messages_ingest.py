"""Messages of values in: imports, forms, intake: id → (Vietnamese, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
}
