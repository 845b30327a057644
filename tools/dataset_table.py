"""Regenerate the value and target tables of docs/dataset-2024.md from the vn-2024 dataset.

Usage: python tools/dataset_table.py            (rewrites the tables between the markers in place)
       python tools/dataset_table.py --check    (exits 1 when the document is out of date)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT / "src" / "chiso" / "datasets" / "vn-2024"
DOC = ROOT / "docs" / "dataset-2024.md"


def _num(x: Any) -> str:
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    if isinstance(x, int):
        return f"{x:,}".replace(",", " ")
    return str(x)


def _value(e: dict[str, Any]) -> str:
    v = _num(e["value"])
    if "numerator" in e:
        v += f" ({_num(e['numerator'])}/{_num(e['denominator'])})"
    return v


def values_table() -> str:
    rows = yaml.safe_load((DATASET / "values.yaml").read_text(encoding="utf-8"))["values"]
    out = [
        "| indicator | unit | period | value | approx | source | paragraph |",
        "|---|---|---|---:|---|---|---:|",
    ]
    for e in rows:
        approx = e.get("qualifier", "") if e.get("approximate") else ""
        out.append(
            f"| `{e['indicator']}` | {e['unit']} | {e['period']} | {_value(e)} | {approx} | {e['source']} "
            f"| {e['paragraph']} |"
        )
    return "\n".join(out)


def targets_table() -> str:
    rows = yaml.safe_load((DATASET / "targets.yaml").read_text(encoding="utf-8"))["targets"]
    out = ["| indicator | unit | period | target | source | paragraph |", "|---|---|---|---:|---|---:|"]
    for t in rows:
        out.append(
            f"| `{t['indicator']}` | {t['unit']} | {t['period']} | {_num(t['value'])} | {t['source']} "
            f"| {t['paragraph']} |"
        )
    return "\n".join(out)


def _replace(text: str, name: str, table: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{table}\n{end}{tail}"


def render(text: str) -> str:
    return _replace(_replace(text, "values", values_table()), "targets", targets_table())


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    new = render(text)
    if "--check" in argv:
        if new != text:
            print(f"{DOC} is out of date: run python tools/dataset_table.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
