"""A province's office asks about its communes on the command line: the simulated world's dossiers, attributed to
the communes that handled them, ranked within the province and answered for one commune by name."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from typer.testing import CliRunner

from chiso import app as core
from chiso.cli.main import app

runner = CliRunner()
RATE = "dossier_full_online_rate"


def chiso(ws: core.Workspace, *args: str) -> Any:
    res = runner.invoke(app, ["--workspace", str(ws.root), "--as", "tester", *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_the_communes_of_a_province_rank_and_answer_by_name(simulated_world: core.Workspace) -> None:
    ws = simulated_world
    cat = ws.catalogue
    got = chiso(ws, "rank", RATE, "--group", "communes of Đà Nẵng", "--period", "2024")
    rows = got["ranking"]
    members = {u.code for u in cat.communes_of("P48", date(2024, 12, 31))}
    codes = {r["unit"] for r in rows}
    assert codes == members  # every 2024 commune of Đà Nẵng, with or without data
    ranked = [r for r in rows if r["rank"] is not None]
    assert len(ranked) >= 10  # the simulated province names most of its communes
    values = [r["value"] for r in ranked]
    assert values == sorted(values, reverse=True)  # best first
    # one commune asked by its name and province gives its row's figure, from the same events
    best = cat.units[ranked[0]["unit"]]
    one = chiso(ws, "value", RATE, "--unit", f"{best.name}, Đà Nẵng", "--period", "2024")
    assert one["unit"] == best.code and one["value"] == ranked[0]["value"]
    # the communes' dossiers are part of the province's (some name no commune): parts sum to no more
    group_2024 = cat.unit("communes of Đà Nẵng", on=date(2024, 12, 31))  # undated, the name is 2025's group
    parts = [r.figure for r in ws.engine.rank(RATE, group_2024, "2024") if r.figure]
    nums = sum(f.numerator or 0 for f in parts)
    dens = sum(f.denominator or 0 for f in parts)
    province = chiso(ws, "value", RATE, "--unit", "P48", "--period", "2024")
    assert 0 < dens < province["denominator"]
    # the group of communes is computed from its members' parts, never an average of their rates
    group = chiso(ws, "value", RATE, "--unit", "communes of Đà Nẵng", "--period", "2024")
    assert (group["numerator"], group["denominator"]) == (nums, dens)
    assert group["value"] == round(100 * nums / dens, 2)
