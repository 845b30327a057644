"""``chiso extract`` measured on passages it was not built from: the development set (tuned on) and the
held-back set (never read while tuning; its floors are set by the lead engineer after measuring it).

Scoring: ``chiso.ingest.extract_score`` (unflagged proposals only; docs/extract.md gives the figures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chiso.catalogue import Catalogue
from chiso.ingest.extract_score import Expected, Passage, load_corpus, same_period, score

CORPUS = Path(__file__).resolve().parent / "extract_corpus"
# (precision, recall) of each development set, rounded down: dev.yaml was written with the extractor; dev2.yaml was
# the first held-back set (0.923 and 0.717 when measured once, unseen), held.yaml the second (0.951 and 0.769), each
# tuned on since (round 3: dev2 311/311 and 311/318, held 307/307 and 307/329)
DEV_FLOORS = {
    "dev.yaml": (1.0, 1.0),
    # round 5: 312/312, 312/318; round 6: the same; round 11 (two relabels to convention 1): 313/313, 313/318;
    # round 13 (a trap relabelled to convention 6): 314/314, 314/319
    "dev2.yaml": (1.0, 0.98),
    # round 5: 314/314, 314/329; round 6: 316/316, 316/329; round 8: 320/320, 320/329; round 9: 324/324, 324/329;
    # round 11 (one relabel to convention 4): 324/324, 324/329; round 12: 325/325, 325/329; round 13: 326/326, 326/329
    "held.yaml": (1.0, 0.99),
    # developed on in round 4 (245/246, 245/322); round 5: 263/263, 263/322; round 6: 271/271, 271/322; round 8:
    # 279/279, 279/322; round 9: 290/290, 290/322; round 11: 291/291, 291/322; round 12: 293/293, 293/322; round 13:
    # the same; round 14: 299/299, 299/322 (round 15: 298/298); round 16: 299/299, 299/322
    "held3.yaml": (1.0, 0.92),
    # measured once in round 4 (246/255, 246/298), developed on in round 5: 280/280, 280/298; round 6: 281/281, 281/298;
    # round 11: 283/283, 283/298; round 12: 284/284, 284/298; round 13: the same; round 14: 292/292, 292/298 (round 15:
    # 291/291); round 16: 292/292, 292/298
    "held4.yaml": (1.0, 0.97),
    "dev3.yaml": (1.0, 1.0),  # round 5's own passages, one or more per rule (22/22)
    # measured once in round 5 (228/243, 228/313), developed on in round 6: 281/283, 281/313; round 8: 287/289, 287/313;
    # round 9: 291/293, 291/313; round 11 (relabelled to the conventions): 293/293, 293/313; round 12: 295/295, 295/313;
    # round 13: 296/296, 296/313; round 14: 300/300, 300/313; round 16: 301/301, 301/313
    "held5.yaml": (1.0, 0.96),
    "dev4.yaml": (1.0, 1.0),  # round 6's own passages, one or more per rule (55/55)
    # measured once in round 6 (162/179, 162/327), developed on in round 7: 175/181, 175/327; round 8: 206/213, 206/327;
    # round 9: 235/242, 235/327; round 11 (relabelled to the conventions): 243/243, 243/327; round 12: 248/248, 248/327;
    # round 13: 254/254, 254/327; round 14: 277/277, 277/327; round 16: 285/285, 285/327
    "held6.yaml": (1.0, 0.87),
    # round 7's own passages, one or more per rule (19/19; round 13: the same)
    "dev5.yaml": (1.0, 1.0),
    "dev6.yaml": (1.0, 1.0),  # round 8's own passages, one or more per rule (40/40)
    # measured once in round 7 (247/270, 247/374), developed on in round 8: 292/299, 292/374; round 9: 306/313, 306/374;
    # round 11 (relabelled to the conventions, one trap now expects a figure): 311/313, 311/375; round 12: 315/317,
    # 315/375; round 13: 325/327, 325/375; round 14 (a trap relabelled to convention 3): 346/348, 346/377; round 16:
    # 349/351, 349/377
    "held7.yaml": (0.99, 0.92),
    # round 9's own passages, one or more per rule (28/28; round 13, a second aim of dev7-009 now expected: 29/29)
    "dev7.yaml": (1.0, 1.0),
    # measured once in round 8 (277/291, 277/383), developed on in round 9: 323/328, 323/383; round 11 (relabelled to
    # the conventions): 328/329, 328/383; round 12: 329/330, 329/383; round 13: 330/331, 330/383; round 14: 338/339,
    # 338/383; round 15, an alias no longer shared by a count and its rate (one indicator per alias): 337/338, 337/383;
    # round 16: 339/340, 339/383
    "held8.yaml": (0.99, 0.88),
    "dev8.yaml": (1.0, 1.0),  # round 10's own passages, one or more per rule (13/13)
    # measured once in round 9 (312/335, 312/400), developed on in round 10: 317/332, 317/400; round 11 (relabelled to
    # the conventions): 334/336, 334/400; round 12: 342/344, 342/400; round 13: 346/348, 346/400; round 14: 365/367,
    # 365/400; round 15: 369/371, 369/400; round 16: 373/375, 373/400
    "held9.yaml": (0.99, 0.93),
    # round 11's own passages, one or more per rule and convention (26/26, 26/27; round 12: 27/27)
    "dev9.yaml": (1.0, 1.0),
    # measured once in round 10 (293/304, 293/396), developed on in round 11 (relabelled to the conventions):
    # 311/311, 311/396; round 12: 315/315, 315/396; round 13: 316/316, 316/396; round 14: 343/343, 343/396; round 16:
    # 351/351, 351/396
    "held10.yaml": (1.0, 0.88),
    "dev10.yaml": (1.0, 1.0),  # round 12's own passages, one or more per rule and alias (12/12)
    # measured once in round 11 (308/314, 308/420), developed on in round 12: 322/322, 322/420; round 13: 326/326,
    # 326/420; round 14: 349/349, 349/420; round 16: 353/353, 353/420
    "held11.yaml": (1.0, 0.84),
    # measured once in round 12 (281/294, 281/420), developed on in round 13: 310/312, 310/420; round 14: 334/334,
    # 334/420; round 16: 340/340, 340/420
    "held12.yaml": (1.0, 0.8),
    "dev11.yaml": (1.0, 1.0),  # round 13's own passages, one or more per rule, alias and convention 6 and 7 (19/19)
    # round 14's own passages, one or more per rule and alias (54/54; 52/54 since two aliases a count and its rate
    # shared were left to the count: the catalogue holds an alias for one indicator; 54/54 again in round 16, a percent
    # named by a count's words going to the share whose numerator the count is)
    "dev12.yaml": (1.0, 1.0),
    "dev13.yaml": (1.0, 1.0),  # round 15's own passages, one or more per rule (10/10)
    # round 16's own passages, one or more per rule, with traps (56/56; four stocks at a month's last day relabelled
    # to the month in round 16b, convention 4)
    "dev14.yaml": (1.0, 1.0),
    # measured once in round 13 (307/319, 307/422; three shares relabelled since to convention 4: 309/319, 309/422),
    # developed on in round 14: 346/348, 346/422; round 16: 354/356, 354/422
    "held13.yaml": (0.99, 0.83),
    # measured once in round 14 (331/347, 331/454; round 13's code: 301/324, 301/454), developed on in round 15:
    # 344/349, 344/454 (343/348, 343/454 with the aliases of dev12's note); round 16: 366/368, 366/454
    "held14.yaml": (0.99, 0.8),
    # measured once in round 14 (356/371, 356/484; round 13's code: 337/355, 337/484), developed on in round 15:
    # 363/372, 363/484 (364/373, 364/484 with the aliases of dev12's note); round 16: 378/383, 378/484
    "held15.yaml": (0.98, 0.78),
    # measured once in round 15 (437/452, 437/575; 435/450, 435/575 with the aliases of dev12's note), developed on in
    # round 16: 453/462, 453/575
    "held16.yaml": (0.98, 0.78),
    # round 16b: measured once on main a1e2c67 (330/366, 330/514: press), developed on (eleven year-end stocks
    # relabelled to the year, as the 2024 dataset reads seed 003): 389/395, 389/514; with round 16's rules: 395/400
    "held17.yaml": (0.98, 0.76),
    # round 16b: measured once on main a1e2c67 (311/368, 311/523: official documents), developed on (a mid-month
    # day kept, two blocs' shares added: 525 figures): 506/506, 506/525; with round 16's rules: 509/509
    "held18.yaml": (1.0, 0.96),
}
# the latest held-back sets and their floors, set once they were measured, unseen (round 3 on held3.yaml: 222/240,
# 222/322); round 15, measured once, 2026-12-07 19:33 UTC, on held16.yaml: 437/452, 437/575 (435/450, 435/575 with
# the aliases of dev12's note; round 13's code on it: 407/421, 407/575)
# held16.yaml was tuned on in round 16 (now in DEV_FLOORS). Round 16b (with round 16), measured once, 2026-12-07
# 22:38 UTC, on held19.yaml, written apart in a register none of the sets before it had: 316/335, 316/537 (a1e2c67's
# code 300/322, 300/537; round 16 alone 306/328, 306/537)
HELD: dict[str, tuple[float, float]] = {"held19.yaml": (0.94, 0.58)}


def test_scorer_compares_periods_by_their_days(catalogue: Catalogue) -> None:
    # the contract's names for one period are one period, for every set: 2024S1 is "6 tháng đầu năm" = 2024-01..2024-06
    assert same_period("2025S1", "2025-01..2025-06")
    assert same_period("2024Q3", "2024-07..2024-09") and same_period("2024", "2024-01..2024-12")
    assert same_period("2024-04", "2024-04")
    assert not same_period("2025S1", "2025-01..2025-05") and not same_period("2024Q3", "2024S2")
    assert not same_period("2024-06", "2024-01..2024-06")
    assert not same_period("thing", "2024") and same_period("thing", "thing")  # a name that does not parse
    title = "Báo cáo kết quả chuyển đổi số quốc gia 6 tháng đầu năm 2025"
    text = "Trong 06 tháng đầu năm 2025, tỷ lệ hồ sơ nộp trực tuyến đạt 52,3%."
    for period in ("2025S1", "2025-01..2025-06"):
        expect = (Expected("dossier_online_submission_rate", "VN", period, 52.3, None),)
        s = score([Passage("s1", "half-year-summary", title, text, expect)], catalogue)
        assert (s.correct, s.proposed) == (1, 1), period
    expect = (Expected("dossier_online_submission_rate", "VN", "2025Q2", 52.3, None),)
    assert score([Passage("s1", "half-year-summary", title, text, expect)], catalogue).correct == 0


def test_dev_corpus_is_big_enough() -> None:
    passages = load_corpus(CORPUS / "dev.yaml")
    assert len(passages) >= 80 and sum(len(p.expect) for p in passages) >= 200
    assert len({p.id for p in passages}) == len(passages)


@pytest.mark.parametrize("name", sorted(DEV_FLOORS))
def test_dev_floors(catalogue: Catalogue, name: str) -> None:
    s = score(load_corpus(CORPUS / name), catalogue)
    print(f"{name}: precision {s.correct}/{s.proposed} = {s.precision:.3f}, recall {s.correct}/{s.expected}")
    assert s.precision >= DEV_FLOORS[name][0], [(pid, p.key, p.value) for pid, p in s.wrong]
    assert s.recall >= DEV_FLOORS[name][1], [(pid, e) for pid, e in s.missed]


@pytest.mark.parametrize("name", sorted(HELD))
def test_held_floors(catalogue: Catalogue, name: str) -> None:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} is not there: the held-back set is written apart from the extractor")
    s = score(load_corpus(path), catalogue)
    assert s.precision >= HELD[name][0] and s.recall >= HELD[name][1], (s.precision, s.recall)
