"""The repository stands on its own: no path of one machine in it, and the tests say where files come from."""

from __future__ import annotations

import re
import subprocess

import pytest

from paths import ROOT

# a home or work folder of some machine; /tmp and /usr paths in examples are everyone's
MACHINE_PATH = re.compile(r"(?<![\w.~-])/(?:work|home|root|Users)/[\w.-]+")


def _tracked() -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files are unknown")
    return [f for f in out.splitlines() if f]


def test_no_absolute_path_of_a_machine() -> None:
    found = []
    for name in _tracked():
        path = ROOT / name
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # images, fonts
        found += [f"{name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group()}" for m in MACHINE_PATH.finditer(text)]
    assert not found, "absolute paths of one machine:\n" + "\n".join(found)


def test_shared_files_are_asked_for_by_marked_tests_only() -> None:
    """A test reads the team's folder only through paths.shared(), and says so with the ``shared`` marker, so
    that .ci/run can prove such tests skip in a clone with nothing beside it."""
    unmarked = []
    for path in sorted(p for p in (ROOT / "tests").glob("test_*.py") if p.name != "test_repository.py"):
        text = path.read_text(encoding="utf-8")
        if "SHARED" in text:
            unmarked.append(f"{path.name}: uses SHARED directly (ask through paths.shared())")
        tests = list(re.finditer(r"^((?:@.*\n)*)def (test_\w+)", text, re.M))
        for i, head in enumerate(tests):
            body = text[head.end() : tests[i + 1].start() if i + 1 < len(tests) else len(text)]
            if re.search(r"\bshared\(", body) and "@pytest.mark.shared" not in head.group(1):
                unmarked.append(f"{path.name}::{head.group(2)} reads the shared folder but is not marked shared")
    assert not unmarked, "\n".join(unmarked)
