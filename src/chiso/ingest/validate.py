"""Moved: a figure is checked in ``chiso.ingest.intake``, a typed number read in ``chiso.ingest.vnnumbers``.

``parse_number`` stays importable from here for the callers that still name this module.
"""

from __future__ import annotations

from chiso.ingest.vnnumbers import parse_number

__all__ = ["parse_number"]
