"""Where the tests find files: the repository's own, and the team's shared folder beside a developer's clone.

A user's clone has nothing beside it: a test that measures against the published 2024 reports asks for them
through ``shared()``, is marked ``shared``, and skips saying what is missing. ``.ci/run`` runs those tests in a
clone with nothing beside it to prove they skip rather than fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "docs" / "framework.md"  # chiso's own statement of the framework contract
SHARED = ROOT.parent / "shared"  # the team's folder (seed reports, framework), beside the repository


def shared(relative: str, why: str) -> Path:
    """``SHARED / relative``, or a skip that says which file is missing and what the test would have shown."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{why}: {path} is not there (the team's shared folder is not beside this clone)")
    return path
