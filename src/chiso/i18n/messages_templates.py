"""Messages of the web pages' templates (ids used as t("id") in Jinja): id → (Vietnamese, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
}
