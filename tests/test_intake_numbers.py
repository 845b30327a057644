"""Typed numbers are read by one rule (chiso.ingest.vnnumbers.read_number), the same in the server and in the
browser (forms.js readNumber): a Vietnamese user's "1.234" is one thousand two hundred and thirty-four for a
count, "45,8" is a rate; an entry that reads two ways is asked about, never read silently."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from chiso.catalogue import Catalogue
from chiso.ingest.intake import reading_for
from chiso.ingest.vnnumbers import MACHINE, NumberError, Reading, read_number
from chiso.web.templating import STATIC

READINGS: dict[str, Reading] = {
    "machine": MACHINE,
    "count": Reading(whole=True, lo=0.0),
    "rank": Reading(whole=True, lo=1.0, hi=193.0),
    "rate": Reading(lo=0.0, hi=100.0),
    "growth": Reading(lo=-100.0),
    "average": Reading(lo=0.0),
}

# text, reading → the number, or the refusal's reason
CASES: list[tuple[str, str, float | str]] = [
    ("1234", "count", 1234),
    ("1.234", "count", 1234),  # a dot groups thousands in a whole quantity
    ("1.234", "rank", 1234),  # (then above the rank's range: a problem of the value, not of its reading)
    ("1.234", "rate", 1.234),  # 1234 cannot be a rate: the decimal reading is the one in range
    ("1.234", "average", "ambiguous_number"),  # both readings fit: asked
    ("1.234", "growth", "ambiguous_number"),
    ("1.234", "machine", 1.234),  # Excel or DHIS2 wrote it: a decimal point
    ("100.000", "rate", 100),
    ("100.000", "count", 100000),
    ("-1.234", "growth", -1.234),  # -1234 is below a growth rate's -100 %
    ("12.345", "growth", "ambiguous_number"),
    ("999.999", "rate", "ambiguous_number"),  # neither reading in range: asked too
    ("1,234", "average", 1.234),  # a comma is the decimal mark
    ("1,234", "count", 1.234),  # (a count with a decimal part: refused by the value rules)
    ("45,8", "rate", 45.8),
    ("45,8%", "rate", 45.8),
    ("45.8", "rate", 45.8),  # a lone dot not before three digits is a decimal point
    ("45.8", "count", 45.8),
    ("0.5", "average", 0.5),
    ("0,5", "average", 0.5),
    ("0.123", "average", 0.123),  # no thousands group begins with 0
    ("01.234", "average", 1.234),
    ("1.2345", "average", 1.2345),
    ("1000.000", "average", 1000.0),  # four digits before the dot: not a thousands group
    ("1.267.427", "average", 1267427),
    ("1.267.427,5", "average", 1267427.5),
    ("1.234,5", "average", 1234.5),
    ("1,267,427", "average", 1267427),  # several commas cannot be a decimal mark
    ("1,267.5", "average", 1267.5),
    ("2 800 000", "count", 2800000),
    ("2\u00a0800\u00a0000", "count", 2800000),
    (" 56 ", "count", 56),
    ("-3", "count", -3),
    ("+5", "count", 5),
    ("2.8e6", "count", 2800000),
    ("4e1", "rate", 40),
    ("1e999", "rate", "not_a_number"),
    ("", "rate", "not_a_number"),
    ("abc", "rate", "not_a_number"),
    ("năm mươi", "count", "not_a_number"),
    ("1..2", "rate", "not_a_number"),
    ("1.2.3", "rate", "not_a_number"),
    ("1.234.5", "count", "not_a_number"),
    ("1,2,3.4.5", "rate", "not_a_number"),
    ("12a", "rate", "not_a_number"),
    ("--3", "rate", "not_a_number"),
    (".5", "rate", "not_a_number"),
    ("5.", "rate", "not_a_number"),
    ("5,", "rate", "not_a_number"),
    ("\u0663", "count", "not_a_number"),  # an Arabic-Indic digit: not a digit here
    ("5\n%", "count", "not_a_number"),
]


def python_result(text: str, reading: Reading) -> dict[str, Any]:
    try:
        return {"value": read_number(text, reading)}
    except NumberError as exc:
        return {"error": exc.reason, "params": exc.params}


@pytest.mark.parametrize(("text", "reading", "expected"), CASES)
def test_the_rule(text: str, reading: str, expected: float | str) -> None:
    got = python_result(text, READINGS[reading])
    if isinstance(expected, str):
        assert got.get("error") == expected
    else:
        assert got == {"value": expected}


def test_an_ambiguous_entry_names_both_readings() -> None:
    with pytest.raises(NumberError) as info:
        read_number("1.234", READINGS["average"])
    assert info.value.reason == "ambiguous_number"
    from chiso.errors import Problem

    problem = Problem(3, "value", info.value.reason, info.value.params)
    assert problem.render("vi") == "dòng 3, trường 'value': 1.234 có thể là 1234 hoặc 1,234: viết 1234 hoặc 1,234"
    assert "write 1234 or 1,234" in problem.render("en")
    # and each way of writing it reads back as meant
    assert read_number("1234", READINGS["average"]) == 1234 and read_number("1,234", READINGS["average"]) == 1.234


def test_the_reading_comes_from_the_indicator(catalogue: Catalogue) -> None:
    rate, count = catalogue.indicator("dossier_full_online_rate"), catalogue.indicator("community_dx_teams")
    assert read_number("1.234", reading_for(count, "value")) == 1234
    assert read_number("1.234", reading_for(rate, "value")) == 1.234
    with pytest.raises(NumberError):  # a numerator is a plain quantity: both readings fit
        read_number("1.234", reading_for(rate, "numerator"))


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run forms.js")
def test_forms_js_reads_every_entry_as_the_server_does(tmp_path: Path) -> None:
    harness = tmp_path / "read.js"
    harness.write_text(
        "const {readNumber} = require(process.argv[2]);\n"
        'const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));\n'
        "console.log(JSON.stringify(cases.map((c) => {\n"
        "  const x = readNumber(c.text, c.reading);\n"
        '  return typeof x === "number" ? {value: x} : x;\n'
        "})));\n",
        encoding="utf-8",
    )
    readings = {k: {"whole": r.whole, "lo": r.lo, "hi": r.hi, "machine": r.machine} for k, r in READINGS.items()}
    # every text under every reading, not only the expected pairs
    table = [(text, name) for text, _, _ in CASES for name in READINGS]
    out = subprocess.run(
        ["node", str(harness), str(STATIC / "forms.js")],
        input=json.dumps([{"text": t, "reading": readings[r]} for t, r in table]),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    browser = json.loads(out.stdout)
    server = [python_result(t, READINGS[r]) for t, r in table]
    assert [(t, r, b) for (t, r), b in zip(table, browser, strict=True)] == [
        (t, r, s) for (t, r), s in zip(table, server, strict=True)
    ]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_what_a_form_shows_reads_back_as_itself(catalogue: Catalogue, lang: str) -> None:
    """An untouched field must not become a problem: what the input shows reads back exactly."""
    from chiso.web.forms import input_number

    cases = [
        ("ndxp_transactions_per_day", 1.234),
        ("ndxp_transactions_per_day", 12.5),
        ("dossier_full_online_rate", 61.234),
        ("digital_economy_growth_rate", -12.345),
        ("community_dx_teams", 1234.0),
        ("gci_score", 99.74),
    ]
    for code, x in cases:
        shown = input_number(x, lang)
        assert read_number(shown, reading_for(catalogue.indicator(code), "value")) == x, (code, shown)
    assert input_number(1.234, "en") == "1.2340" and input_number(1.234, "vi") == "1,234"
