"""The README's first command, end to end: ``chiso demo DIR --no-serve`` builds the demo workspace (the framework,
the 2024 figures, a simulated nation, the annual report) and prints what it holds, readable in 80 columns."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from chiso import app as core
from chiso.cli.main import app as cli


def test_the_demo_builds_a_workspace_that_answers(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "80", "CHISO_LANG": "vi"}
    env.pop("CHISO_HOME", None)
    done = subprocess.run([sys.executable, "-m", "chiso", "demo", str(tmp_path / "demo"), "--no-serve"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    wide = [line for line in lines if len(line) > 80 and str(tmp_path) not in line]  # a long path cannot wrap
    assert not wide, "\n".join(wide)
    assert any(line.split()[:2] == ["Khối", "bộ"] and "mục tiêu 70%" in line for line in lines), done.stdout
    ws = core.find_workspace(tmp_path / "demo")
    try:
        # the published 2024 figures and the simulated nation's events are both there
        ans = ws.engine.value("dossier_full_online_rate", "ministries", "2024")
        assert ans.figure is not None and ans.figure.source == "computed"
        assert any(a.source == "reported" and a.value == 63.47 for a in ans.alternatives)
        files = {p.suffix for p in (ws.root / "reports").iterdir()}
        assert {".html", ".pdf", ".docx"} <= files
        assert str(ws.root / "reports") in "".join(lines)  # where the report is, said (a long path is folded)
        # every command the demo suggests works as printed (a newcomer copies them)
        tries = [shlex.split(line.strip())[1:] for line in lines if line.startswith("  chiso ")]
        assert any("communes of Đà Nẵng" in args for args in tries), tries
        for args in tries:
            res = CliRunner().invoke(cli, ["--workspace", str(ws.root), *args])
            assert res.exit_code == 0, (args, res.output)
        assert (ws.root / "reports" / "bao-cao-cds-da-nang-2024.pdf").exists()
        # the national admin hears of silent streams, in the app and by mail into the demo's outbox
        admin = core.user_named(ws, "admin")
        subs = ws.store.notify.subscriptions(admin.id)
        assert sorted(s.channel for s in subs) == ["email", "inapp"] and {s.kind for s in subs} == {"silent"}
        assert ws.notify_settings.outbox == str(ws.root / "outbox")
    finally:
        ws.close()
