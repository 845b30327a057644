"""``chiso extract`` measured on passages it was not built from: the development set (tuned on) and the
held-back set (never read while tuning; its floors are set by the lead engineer after measuring it).

Scoring: ``chiso.ingest.extract_score`` (unflagged proposals only; docs/extract.md gives the figures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chiso.catalogue import Catalogue
from chiso.ingest.extract_score import load_corpus, score

CORPUS = Path(__file__).resolve().parent / "extract_corpus"
DEV_FLOORS = (1.0, 1.0)  # (precision, recall) measured on dev.yaml (266/266, 266/266), rounded down
HELD_FLOORS: tuple[float, float] | None = (0.92, 0.71)  # measured once on held.yaml (228/247, 228/318), rounded down


def test_dev_corpus_is_big_enough() -> None:
    passages = load_corpus(CORPUS / "dev.yaml")
    assert len(passages) >= 80 and sum(len(p.expect) for p in passages) >= 200
    assert len({p.id for p in passages}) == len(passages)


def test_dev_floors(catalogue: Catalogue) -> None:
    s = score(load_corpus(CORPUS / "dev.yaml"), catalogue)
    print(f"dev: precision {s.correct}/{s.proposed} = {s.precision:.3f}, recall {s.correct}/{s.expected}")
    assert s.precision >= DEV_FLOORS[0], [(pid, p.key, p.value) for pid, p in s.wrong]
    assert s.recall >= DEV_FLOORS[1], [(pid, e) for pid, e in s.missed]


def test_held_floors(catalogue: Catalogue) -> None:
    path = CORPUS / "held.yaml"
    if not path.exists():
        pytest.skip(f"{path} is not there: the held-back set is written apart from the extractor")
    if HELD_FLOORS is None:
        pytest.skip("HELD_FLOORS is not set yet: the lead engineer measures held.yaml, then sets the floors")
    s = score(load_corpus(path), catalogue)
    assert s.precision >= HELD_FLOORS[0] and s.recall >= HELD_FLOORS[1], (s.precision, s.recall)
