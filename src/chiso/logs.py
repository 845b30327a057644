"""The process's log: plain text for a person at a terminal, or JSON lines for a deployment's log collector.

``configure(format, level)`` is called once by the long-running commands (``chiso serve``, the writer
``chiso ingest --from nats://…``) with ``[log] format`` and ``level`` of chiso.toml (``CHISO_LOG_FORMAT``,
``CHISO_LOG_LEVEL`` override them; ``chiso.app.Deployment`` reads them). Every line goes to stderr.

A JSON line holds ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``msg``, and the fields a record carries in
``extra={"fields": {...}}``: an HTTP request's ``method``, ``path``, ``status``, ``duration_ms``, ``node`` and
``user``; an applied batch's ``kind``, ``batch``, ``accepted``, ``duplicates``, ``rejected``, ``seconds``, ``lag``.

Secrets are never written on purpose (requests are logged by path, never their query, headers or body), and
every message and field is passed through ``redact`` as well: a password, token, cookie, CSRF token or
Authorization value that slipped into a message is replaced by ``***``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")
LEVELS = ("debug", "info", "warning", "error")
FIELDS = "fields"  # the ``extra`` key of a record's structured fields
SHOWN = "shown"  # the ``extra`` key of the fields its message already says (left out of a text line)

_SECRET = re.compile(
    r"(?i)((?:password|passwd|pwd|token|csrf|secret|cookie|session|authorization|api[_-]?key)[\w-]*"
    r"[\"']?\s*[=:]\s*[\"']?)(?:bearer\s+|basic\s+)?[^\s&\"',;}]+")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_HANDLER_MARK = "_chiso_handler"


def redact(text: str) -> str:
    """``text`` with the values of anything named like a secret (``password=…``, ``token: …``,
    ``Authorization: Bearer …``, ``csrf=…``) replaced by ``***``."""
    if not text:
        return text
    return _BEARER.sub(r"\1 ***", _SECRET.sub(r"\1***", text))


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, the record's fields, and an exception's text."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        fields = getattr(record, FIELDS, None)
        if isinstance(fields, dict):
            for k, v in fields.items():
                if k not in out:
                    out[str(k)] = _clean(v)
        if record.exc_info:
            out["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2026-12-06 13:00:01,123 INFO chiso.web.requests: GET /units/P48 200 12.3 ms`` and its fields as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = redact(super().format(record))
        fields = getattr(record, FIELDS, None)
        shown = getattr(record, SHOWN, ())
        if isinstance(fields, dict) and fields:
            rest = [f"{k}={_clean(v)}" for k, v in fields.items() if k not in shown]
            line += (" " + " ".join(rest)) if rest else ""
        return line


def configured() -> bool:
    """Whether ``configure`` has set this process's log up."""
    return any(getattr(h, _HANDLER_MARK, False) for h in logging.getLogger().handlers)


def configure(fmt: str = "text", level: str = "info") -> None:
    """Send every logger's records (chiso's, uvicorn's, the libraries') to stderr in ``fmt`` from ``level`` up.
    Called again, it replaces the handler it added before (never the others')."""
    if fmt not in FORMATS:
        raise ValueError(f"log format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if level not in LEVELS:
        raise ValueError(f"log level {level!r}: expected one of {', '.join(LEVELS)}")
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, _HANDLER_MARK, False):
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # through the root handler, in the same format
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # requests: chiso's own line (no query strings)


__all__ = ["FIELDS", "FORMATS", "LEVELS", "SHOWN", "JsonFormatter", "TextFormatter", "configure", "configured",
           "redact"]
