"""chiso.charts: the SVG the web pages and the written reports share, read back as XML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from chiso import charts


def pct(x: float) -> str:
    return f"{x:g}%".replace(".", ",")


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML: typst (usvg) reads it as an image


def bars(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter("g") if "bar" in (g.get("class") or "").split()]


def rect_of(g: ET.Element) -> ET.Element:
    r = g.find("rect")
    assert r is not None
    return r


NAMES = ["Đà Nẵng", "Bắc Giang", "Hà Giang", "Điện <Biên> & #1"]


def test_bar_chart_draws_one_bar_per_value_in_order_with_escaped_names() -> None:
    svg = str(charts.bar_chart(NAMES, [92.5, 90.1, 31.7, 28.4], fmt=pct, title="Xếp hạng <tỷ lệ>", testid="rk"))
    root = parse(svg)
    assert root.get("data-testid") == "rk"
    assert root.findtext("title") == "Xếp hạng <tỷ lệ>"
    assert "<Biên>" not in svg and "Điện &lt;Biên&gt; &amp; #1" in svg
    gs = bars(root)
    assert [float(g.get("data-value") or "nan") for g in gs] == [92.5, 90.1, 31.7, 28.4]
    assert [g.get("data-index") for g in gs] == ["0", "1", "2", "3"]
    assert [g.findtext("title") for g in gs] == [
        f"{n}: {pct(v)}" for n, v in zip(NAMES, [92.5, 90.1, 31.7, 28.4], strict=True)
    ]
    labels = [t.text for t in root.iter("text") if t.get("class") == "ylab"]
    assert labels == NAMES
    values = [t.text for t in root.iter("text") if (t.get("class") or "").startswith("bar-value")]
    assert values == ["92,5%", "90,1%", "31,7%", "28,4%"]
    # bars start at zero: lengths are proportional to the values, top to bottom in the order given
    widths = [float(rect_of(g).get("width") or 0) for g in gs]
    ys = [float(rect_of(g).get("y") or 0) for g in gs]
    assert ys == sorted(ys)
    assert widths[0] / widths[2] == pytest.approx(92.5 / 31.7, rel=0.02)
    # self-contained: inline presentation attributes and a font typst knows, no stylesheet, no address
    assert root.get("font-family") == charts.FONT_FAMILY
    assert "<style" not in svg and "http" not in svg
    assert all(rect_of(g).get("fill") == charts.SERIES_COLOURS[0] for g in gs)


def test_bar_chart_target_line_and_highlighted_bars() -> None:
    svg = str(
        charts.bar_chart(
            NAMES, [92.5, 90.1, 31.7, 28.4], fmt=pct, title="t", target=50.0, target_label="Mục tiêu", highlight=(2, 3)
        )
    )
    root = parse(svg)
    gs = bars(root)
    assert [("hl" in (g.get("class") or "")) for g in gs] == [False, False, True, True]
    assert [rect_of(g).get("fill") for g in gs[2:]] == [charts.HIGHLIGHT_COLOUR] * 2
    (target,) = [ln for ln in root.iter("line") if ln.get("class") == "target"]
    assert target.get("stroke-dasharray") and target.get("x1") == target.get("x2")
    label = next(t for t in root.iter("text") if t.get("class") == "target-label")
    assert label.text == "Mục tiêu 50%"
    # the target sits where a bar of 50 would end
    first = rect_of(gs[0])
    x0, w0 = float(first.get("x") or 0), float(first.get("width") or 0)
    assert float(target.get("x1") or 0) == pytest.approx(x0 + w0 * 50 / 92.5, abs=0.6)
    # highlighted names are bold too
    bold = [t.text for t in root.iter("text") if t.get("class") == "ylab" and t.get("font-weight") == "700"]
    assert bold == NAMES[2:]


def test_bar_chart_per_unit_targets_mark_each_bar() -> None:
    root = parse(
        str(
            charts.bar_chart(
                NAMES,
                [92.5, 90.1, 31.7, 28.4],
                fmt=pct,
                title="t",
                target=[90.0, None, 40.0, 45.0],
                target_label="Mục tiêu",
            )
        )
    )
    assert len([ln for ln in root.iter("line") if ln.get("class") == "target-mark"]) == 3
    assert not [ln for ln in root.iter("line") if ln.get("class") == "target"]


def test_bar_chart_inverted_for_ranks_gives_rank_one_the_longest_bar() -> None:
    root = parse(str(charts.bar_chart(["A", "B", "C"], [1, 12, 63], fmt=lambda x: f"{x:g}", title="DTI", invert=True)))
    widths = [float(rect_of(g).get("width") or 0) for g in bars(root)]
    assert widths[0] > widths[1] > widths[2] > 0  # the last rank still gets a visible bar
    ticks = sorted((float(t.get("x") or 0), t.text) for t in root.iter("text") if t.get("class") == "tick")
    assert ticks[-1][1] == "0" and float(ticks[0][1] or 0) > 63  # from past the last rank on the left to 0


def test_bar_chart_missing_values_and_no_values() -> None:
    root = parse(str(charts.bar_chart(["A", "B"], [5.0, None], fmt=pct, title="t", no_data_text="chưa có")))
    assert len(bars(root)) == 1
    assert [t.text for t in root.iter("text") if "missing" in (t.get("class") or "")] == ["chưa có"]
    empty = parse(str(charts.bar_chart(["A"], [None], fmt=pct, title="t", empty_text="Chưa có số liệu")))
    assert not bars(empty) and [t.text for t in empty.iter("text")] == ["Chưa có số liệu"]


def test_bar_chart_many_units_get_thinner_bars() -> None:
    few = parse(str(charts.bar_chart(["A"] * 5, [1.0] * 5, fmt=pct, title="t")))
    many = parse(
        str(charts.bar_chart([f"Tỉnh {i}" for i in range(63)], [float(i) for i in range(63)], fmt=pct, title="t"))
    )
    h_few = float(rect_of(bars(few)[0]).get("height") or 0)
    h_many = float(rect_of(bars(many)[0]).get("height") or 0)
    assert h_many < h_few
    w, h = (float(v) for v in (many.get("viewBox") or "").split()[2:])
    assert h / w < 2  # a page-high picture at most


def test_negative_values_grow_left_of_zero() -> None:
    root = parse(str(charts.bar_chart(["A", "B"], [4.0, -2.0], fmt=lambda x: f"{x:+g}", title="change")))
    a, b = (rect_of(g) for g in bars(root))
    axis = next(ln for ln in root.iter("line") if ln.get("class") == "axis")
    zero = float(axis.get("x1") or 0)
    assert float(a.get("x") or 0) == pytest.approx(zero, abs=0.1)
    assert float(b.get("x") or 0) + float(b.get("width") or 0) == pytest.approx(zero, abs=0.1)


def test_font_family_is_a_parameter_and_the_web_may_leave_it_out() -> None:
    line = str(charts.line_chart(["T1", "T2"], [charts.Line("a", [1.0, 2.0])], fmt=pct, title="t"))
    assert parse(line).get("font-family") == "Libertinus Serif, Georgia, serif"
    bare = str(charts.line_chart(["T1", "T2"], [charts.Line("a", [1.0, 2.0])], fmt=pct, title="t", font_family=None))
    assert "font-family" not in bare
    hist = str(charts.histogram(charts.histogram_bins([1.0, 2.0, 3.0]), fmt=pct, title="t", font_family="X"))
    assert parse(hist).get("font-family") == "X"
    quoted = str(charts.bar_chart(["A"], [1.0], fmt=pct, title="t", font_family='"Evil" <font>'))
    assert parse(quoted).get("font-family") == '"Evil" <font>'


def test_line_chart_target_label_steps_aside_from_the_last_value_label() -> None:
    # the last value sits just above the target: both labels would print on top of each other
    svg = str(
        charts.line_chart(
            [f"T{m}" for m in range(1, 7)],
            [charts.Line("a", [40, 45, 50, 55, 58, 63.5])],
            fmt=pct,
            title="t",
            target=[50, 50, 50, 60, 60, 60],
            target_label="Mục tiêu",
        )
    )
    root = parse(svg)
    label = next(t for t in root.iter("text") if t.get("class") == "target-label")
    value = next(t for t in root.iter("text") if t.get("class") == "pt-label")
    assert label.text == "Mục tiêu 60%" and value.text == "63,5%"
    far_apart = abs(float(label.get("x") or 0) - float(value.get("x") or 0)) > 40
    assert far_apart or abs(float(label.get("y") or 0) - float(value.get("y") or 0)) >= 12
    # where there is room, the label stays above the end of the target line, as before
    calm = parse(
        str(
            charts.line_chart(
                ["T1", "T2"],
                [charts.Line("a", [10.0, 12.0])],
                fmt=pct,
                title="t",
                target=[50, 50],
                target_label="Mục tiêu",
            )
        )
    )
    label = next(t for t in calm.iter("text") if t.get("class") == "target-label")
    assert label.get("text-anchor") == "middle"
    assert re.fullmatch(r"[\d.]+", label.get("x") or "")
