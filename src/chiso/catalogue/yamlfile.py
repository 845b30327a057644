"""YAML as the definitions are read: libyaml's parser where PyYAML has it (ten times the pure-Python one's speed: the
catalogue's units alone are 14,000 entries), the same safe types either way."""

from __future__ import annotations

from typing import Any

import yaml

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

__all__ = ["YAMLError", "safe_load"]

YAMLError = yaml.YAMLError


def safe_load(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)
