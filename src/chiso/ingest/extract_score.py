"""Score ``chiso.ingest.extract`` on a corpus of passages with their expected figures (tests/extract_corpus).

A corpus is a YAML list of passages: ``id``, ``style``, optional ``title`` (the document's first line: it gives
the document's period), ``text`` and ``expect`` (``{code, unit, period, value}`` and/or ``target``). A proposal
that is not flagged is correct when its (code, unit, period), value and target match an expected figure not yet
matched (values equal within 1e-9 relative); precision = correct / unflagged proposals, recall = expected figures
found / expected figures. Flagged proposals are counted apart: ``--accept-all`` never takes them.

    python -m chiso.ingest.extract_score tests/extract_corpus/dev.yaml
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chiso.catalogue import Catalogue, load_catalogue, yamlfile
from chiso.catalogue.periods import Period
from chiso.errors import UnknownPeriodError
from chiso.ingest.extract import Proposal, extract

__all__ = ["Expected", "Passage", "Score", "load_corpus", "main", "same_period", "score"]


@dataclass(frozen=True)
class Expected:
    code: str
    unit: str
    period: str
    value: float | None
    target: float | None


@dataclass(frozen=True)
class Passage:
    id: str
    style: str
    title: str | None
    text: str
    expect: tuple[Expected, ...]


@dataclass
class Score:
    passages: int = 0
    expected: int = 0
    proposed: int = 0  # unflagged
    correct: int = 0
    flagged: int = 0
    flagged_right: int = 0  # flagged proposals that would have been correct
    wrong: list[tuple[str, Proposal]] = field(default_factory=list)
    missed: list[tuple[str, Expected]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.correct / self.proposed if self.proposed else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0


def _num(x: Any) -> float | None:
    return None if x is None else float(x)


def load_corpus(path: Path) -> list[Passage]:
    """The passages of a corpus file; ValueError naming the passage for a malformed one."""
    data = yamlfile.safe_load(path.read_text(encoding="utf-8")) or []
    out = []
    for entry in data:
        pid = str(entry.get("id", "?"))
        try:
            expect = tuple(
                Expected(str(e["code"]), str(e["unit"]), str(e["period"]), _num(e.get("value")), _num(e.get("target")))
                for e in entry.get("expect") or []
            )
            out.append(Passage(pid, str(entry.get("style", "")), entry.get("title"), str(entry["text"]), expect))
        except KeyError as exc:
            raise ValueError(f"{path}: passage {pid}: missing field {exc}") from None
        except TypeError as exc:
            raise ValueError(f"{path}: passage {pid}: {exc}") from None
    return out


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9)


def _days(period: str) -> tuple[object, ...]:
    """The days a period covers (first, last), or its name when it does not parse."""
    try:
        parsed = Period.parse(period)
    except UnknownPeriodError:
        return (period,)
    return (parsed.start, parsed.end)


def same_period(a: str, b: str) -> bool:
    """Two period names for the same days: ``2024S1`` and ``2024-01..2024-06``, ``2024Q3`` and
    ``2024-07..2024-09``, ``2024`` and ``2024-01..2024-12`` (the contract's forms, parsed by the catalogue)."""
    return a == b or _days(a) == _days(b)


def _matches(p: Proposal, e: Expected) -> bool:
    return (
        (p.code, p.unit) == (e.code, e.unit)
        and same_period(p.period, e.period)
        and _same(p.value, e.value)
        and _same(p.target, e.target)
    )


def score(passages: Sequence[Passage], catalogue: Catalogue) -> Score:
    s = Score()
    for passage in passages:
        text = f"{passage.title}\n{passage.text}" if passage.title else passage.text
        props = extract(text, catalogue)
        s.passages += 1
        s.expected += len(passage.expect)
        used: set[int] = set()
        for p in props:
            hit = next((i for i, e in enumerate(passage.expect) if i not in used and _matches(p, e)), None)
            if p.flagged:
                s.flagged += 1
                s.flagged_right += hit is not None
                continue
            s.proposed += 1
            if hit is None:
                s.wrong.append((passage.id, p))
            else:
                used.add(hit)
                s.correct += 1
        s.missed += [(passage.id, e) for i, e in enumerate(passage.expect) if i not in used]
    return s


def interval(k: int, n: int) -> tuple[float, float]:
    """Wilson's 95 % interval of the proportion k/n (statsmodels): how far a set's figure may lie from the reader's
    rate on text of its kind. It treats figures as independent; a passage's figures share words, so it is, if
    anything, too narrow."""
    from statsmodels.stats.proportion import proportion_confint

    if n == 0:
        return 0.0, 1.0
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return float(low), float(high)


def _share(k: int, n: int) -> str:
    low, high = interval(k, n)
    return f"{k}/{n} = {k / n if n else 1.0:.3f} (95 %: {low:.3f}–{high:.3f})"


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:g}"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    usage = "usage: python -m chiso.ingest.extract_score CORPUS.yaml [CORPUS.yaml …]"
    if not args or any(a in ("-h", "--help") for a in args):
        print(usage, file=sys.stderr)
        return 0 if args else 2
    if missing := [a for a in args if not Path(a).is_file()]:
        print(f"{usage}\nno such corpus file: {', '.join(missing)}", file=sys.stderr)
        return 2
    catalogue = load_catalogue()
    for name in args:
        try:
            passages = load_corpus(Path(name))
        except ValueError as exc:  # names the file and the passage
            print(exc, file=sys.stderr)
            return 2
        except yamlfile.YAMLError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            return 2
        s = score(passages, catalogue)
        for pid, p in s.wrong:
            print(f"WRONG {pid}: {p.code} {p.unit} {p.period} value={_fmt(p.value)} target={_fmt(p.target)}")
        for pid, e in s.missed:
            print(f"MISSED {pid}: {e.code} {e.unit} {e.period} value={_fmt(e.value)} target={_fmt(e.target)}")
        print(
            f"{name}: {s.passages} passages, {s.expected} expected figures; precision {_share(s.correct, s.proposed)}, "
            f"recall {_share(s.correct, s.expected)}; flagged {s.flagged} "
            f"({s.flagged_right} of them right)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
