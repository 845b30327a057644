"""Messages of the web's accounts, forms, administration and event endpoints: id → (Vietnamese, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
}
