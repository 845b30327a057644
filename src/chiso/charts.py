"""Charts as inline SVG, drawn on the server: a line chart with a target line, a year-end projection with its
interval, ranking bars, a sparkline, a histogram and a tile-grid map of the provinces (with Hoàng Sa and Trường
Sa). The web pages and the written reports (HTML, and PDF / DOCX through typst) draw them alike.

Pure functions of numbers and already-translated text; no JavaScript and nothing fetched from outside, so
pages render on a closed network and print. Every chart has a ``<title>`` (screen readers) and stable
``data-testid`` hooks; the numbers a chart shows are also in a table and a download on the same page.

Styling is inline presentation attributes only (no stylesheet needed), and the root names a ``font-family``
that typst knows, so the same SVG renders as an image in a PDF; on the web the page's CSS sets its own font.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

Fmt = Callable[[float], str]

# Sequential classes for the map, light (low) to dark (high); white text on the two darkest.
PALETTE = ("#dbeafe", "#93c5fd", "#60a5fa", "#2563eb", "#1e3a8a")
NO_DATA = "#e5e7eb"
SERIES_COLOURS = ("#1d4ed8", "#b45309", "#15803d", "#7c3aed")
TARGET_COLOUR = "#b91c1c"
HIGHLIGHT_COLOUR = "#c2410c"
# typst embeds Libertinus Serif (Vietnamese glyphs included); browsers fall back to the next families
FONT_FAMILY = "Libertinus Serif, Georgia, serif"


def _n(x: float) -> str:
    """Coordinates with one decimal: small SVG, stable output."""
    return f"{x:.1f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def _e(text: str) -> str:
    return str(escape(text))


def _font(family: str | None) -> str:
    return f' font-family="{_e(family)}"' if family else ""


def _head(kind: str, width: int, height: int, testid: str, title: str, font_family: str | None, extra: str = "") -> str:
    """The opening ``<svg>`` of a chart, with its ``<title>`` (for screen readers)."""
    return (f'<svg class="chart {kind}" viewBox="0 0 {width} {height}" role="img" data-testid="{_e(testid)}"'
            f"{extra}{_font(font_family)}><title>{_e(title)}</title>")


def _empty(head: str, width: int, height: int, text: str, style: str = "") -> Markup:
    """A chart with nothing to draw: the reason, centred."""
    return Markup(f'{head}<text class="empty" x="{width // 2}" y="{height // 2}" text-anchor="middle"{style}>'
                  f"{_e(text)}</text></svg>")


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(1, count)
    mag = 10 ** math.floor(math.log10(raw))
    step = mag
    for m in (1, 2, 2.5, 5, 10):
        step = m * mag
        if step >= raw:
            break
    start = math.floor(lo / step + 1e-9) * step
    end = math.ceil(hi / step - 1e-9) * step
    n = round((end - start) / step)
    return [round(start + i * step, 10) for i in range(n + 1)]


# --- line chart ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    name: str
    values: Sequence[float | None]


def line_chart(
    labels: Sequence[str],
    lines: Sequence[Line],
    *,
    fmt: Fmt,
    title: str,
    target: Sequence[float | None] | None = None,
    target_label: str = "",
    empty_text: str = "",
    invert: bool = False,
    testid: str = "series-chart",
    width: int = 640,
    height: int = 260,
    font_family: str | None = FONT_FAMILY,
) -> Markup:
    """Lines over periods (gaps where a value is missing) and the target as a dashed step line.

    ``invert`` puts small numbers at the top (ranks: 1 is best).
    """
    values = [v for ln in lines for v in ln.values if v is not None]
    targets = [v for v in (target or []) if v is not None]
    head = _head("line-chart", width, height, testid, title, font_family, ' preserveAspectRatio="xMidYMid meet"')
    if not values and not targets:
        return _empty(head, width, height, empty_text)
    everything = values + targets
    lo, hi = min(everything), max(everything)
    if lo >= 0 and not invert:
        lo = 0.0  # bars of meaning start at zero for counts and rates
    ticks = nice_ticks(lo, hi)
    y0, y1 = ticks[0], ticks[-1]
    left, right, top, bottom = 64, 16, 28, 36
    pw, ph = width - left - right, height - top - bottom
    n = max(1, len(labels))

    def x(i: int) -> float:
        return left + (i + 0.5) * pw / n

    def y(v: float) -> float:
        frac = (v - y0) / (y1 - y0) if y1 != y0 else 0.5
        return top + (frac if invert else 1 - frac) * ph

    def _last_label(ln: Line) -> tuple[int, float] | None:
        """Where a line's last value is labelled: above its point, below when the target runs just above."""
        known = [i for i, v in enumerate(ln.values) if v is not None]
        if not known:
            return None
        i = known[-1]
        v = ln.values[i]
        assert v is not None
        ly = y(v) - 8
        tv = target[i] if target is not None and i < len(target) else None
        if tv is not None and abs(ly - y(tv)) < 14:
            ly = y(v) + 18
        return i, ly

    point_labels = [lab for lab in map(_last_label, lines) if lab is not None]
    out = [head]
    for t in ticks:
        out.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{_n(y(t))}" y2="{_n(y(t))}" '
                   f'stroke="#e5e7eb"/>')
        out.append(f'<text class="tick" x="{left - 6}" y="{_n(y(t) + 4)}" text-anchor="end" font-size="11">'
                   f"{_e(fmt(t))}</text>")
    every = max(1, math.ceil(n / 8))
    for i, lab in enumerate(labels):
        if i % every == 0 or i == n - 1:
            out.append(f'<text class="xlab" x="{_n(x(i))}" y="{height - bottom + 18}" text-anchor="middle" '
                       f'font-size="11">{_e(lab)}</text>')
    if target is not None and targets:
        # a step line: each period's target spans its own slot, so a change of target reads as a step
        pts: list[str] = []
        for i, tv in enumerate(target):
            if tv is None:
                if len(pts) > 2:
                    out.append(_polyline(pts, "target", TARGET_COLOUR, dashed=True))
                pts = []
                continue
            pts += [f"{_n(left + i * pw / n)},{_n(y(tv))}", f"{_n(left + (i + 1) * pw / n)},{_n(y(tv))}"]
        if pts:
            out.append(_polyline(pts, "target", TARGET_COLOUR, dashed=True))
        last = max(i for i, tv in enumerate(target) if tv is not None)
        tv = target[last]
        assert tv is not None
        tx, ty, anchor = x(last), y(tv) - 6, "middle"
        if any(i == last and abs(ly - ty) < 12 for i, ly in point_labels):
            # a line's last value is labelled right there: label the target where its last step begins
            start = last
            while start > 0 and target[start - 1] == tv:
                start -= 1
            if start < last:
                tx, anchor = left + start * pw / n + 2, "start"
            else:
                ty = y(tv) + 14
        out.append(f'<text class="target-label" x="{_n(tx)}" y="{_n(ty)}" text-anchor="{anchor}" '
                   f'font-size="11" fill="{TARGET_COLOUR}" data-testid="{_e(testid)}-target">'
                   f"{_e(target_label)} {_e(fmt(tv))}</text>")
    for k, ln in enumerate(lines):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        run: list[str] = []
        for i, v in enumerate(ln.values):
            if v is None:
                if len(run) > 1:
                    out.append(_polyline(run, f"line s{k}", colour))
                run = []
                continue
            run.append(f"{_n(x(i))},{_n(y(v))}")
        if len(run) > 1:
            out.append(_polyline(run, f"line s{k}", colour))
        for i, v in enumerate(ln.values):
            if v is not None:
                out.append(f'<circle class="pt s{k}" cx="{_n(x(i))}" cy="{_n(y(v))}" r="3.5" fill="{colour}">'
                           f"<title>{_e(ln.name)} · {_e(labels[i])}: {_e(fmt(v))}</title></circle>")
        label = _last_label(ln)
        if label is not None:
            i, ly = label
            v = ln.values[i]
            assert v is not None
            out.append(f'<text class="pt-label" x="{_n(x(i))}" y="{_n(ly)}" text-anchor="middle" '
                       f'font-size="12" font-weight="700" fill="{colour}">{_e(fmt(v))}</text>')
    # legend along the top
    lx = left
    for k, ln in enumerate(lines):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        out.append(f'<rect x="{lx}" y="8" width="14" height="4" fill="{colour}"/>'
                   f'<text x="{lx + 18}" y="14" font-size="11">{_e(ln.name)}</text>')
        lx += 24 + 7 * len(ln.name)
    if target is not None and targets:
        out.append(f'<line x1="{lx}" x2="{lx + 14}" y1="10" y2="10" stroke="{TARGET_COLOUR}" stroke-width="2" '
                   f'stroke-dasharray="4 3"/><text x="{lx + 18}" y="14" font-size="11">{_e(target_label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _polyline(points: Sequence[str], cls: str, colour: str, *, dashed: bool = False) -> str:
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    return (f'<polyline class="{cls}" points="{" ".join(points)}" fill="none" stroke="{colour}" '
            f'stroke-width="2"{dash}/>')


# --- a projection to the year's end ----------------------------------------------------------------


BAND_COLOUR = "#93c5fd"


@dataclass(frozen=True)
class ProjectionPoint:
    """A month's year-to-date value: actual, or projected with its interval."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    projected: bool = False


def projection_chart(
    points: Sequence[ProjectionPoint],
    *,
    fmt: Fmt,
    title: str,
    description: str,
    target: float | None,
    names: tuple[str, str, str, str],
    testid: str = "projection-chart",
    width: int = 640,
    height: int = 260,
    font_family: str | None = FONT_FAMILY,
) -> Markup:
    """The year so far (a solid line), the projected path to December (dashed) inside its interval (shaded)
    and the target (a red line across the year). ``names``: the legend's actual, projection, interval and
    target; ``description`` (the projection in words) is the chart's ``<desc>``, for screen readers."""
    head = _head("projection-chart", width, height, testid, title, font_family,
                 ' preserveAspectRatio="xMidYMid meet"') + f"<desc>{_e(description)}</desc>"
    known = [v for pt in points for v in (pt.value, pt.low, pt.high) if v is not None]
    if not known:
        return _empty(head, width, height, description)
    everything = known + ([target] if target is not None else [])
    lo, hi = min(everything), max(everything)
    if lo >= 0:
        lo = 0.0
    ticks = nice_ticks(lo, hi)
    y0, y1 = ticks[0], ticks[-1]
    left, right, top, bottom = 64, 16, 28, 36
    pw, ph = width - left - right, height - top - bottom
    n = max(1, len(points))

    def x(i: int) -> float:
        return left + (i + 0.5) * pw / n

    def y(v: float) -> float:
        return top + (1 - ((v - y0) / (y1 - y0) if y1 != y0 else 0.5)) * ph

    out = [head]
    for tk in ticks:
        out.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{_n(y(tk))}" y2="{_n(y(tk))}" '
                   f'stroke="#e5e7eb"/><text class="tick" x="{left - 6}" y="{_n(y(tk) + 4)}" text-anchor="end" '
                   f'font-size="11">{_e(fmt(tk))}</text>')
    for i, pt in enumerate(points):
        out.append(f'<text class="xlab" x="{_n(x(i))}" y="{height - bottom + 18}" text-anchor="middle" '
                   f'font-size="11">{_e(pt.label)}</text>')
    actual = [(i, pt.value) for i, pt in enumerate(points) if not pt.projected and pt.value is not None]
    ahead = [(i, pt) for i, pt in enumerate(points) if pt.projected and pt.value is not None]
    # the projection starts where the actual ends: the band opens from that point, with no width
    start = actual[-1] if actual else None
    if ahead:
        upper = ([(start[0], start[1])] if start else []) + [(i, pt.high if pt.high is not None else pt.value)
                                                             for i, pt in ahead]
        lower = ([(start[0], start[1])] if start else []) + [(i, pt.low if pt.low is not None else pt.value)
                                                             for i, pt in ahead]
        ring = [f"{_n(x(i))},{_n(y(v))}" for i, v in upper if v is not None]
        ring += [f"{_n(x(i))},{_n(y(v))}" for i, v in reversed(lower) if v is not None]
        out.append(f'<polygon class="band" data-testid="{_e(testid)}-band" points="{" ".join(ring)}" '
                   f'fill="{BAND_COLOUR}" fill-opacity="0.45" stroke="none"/>')
    if target is not None:
        out.append(f'<line class="target" data-testid="{_e(testid)}-target" data-value="{target!r}" x1="{left}" '
                   f'x2="{width - right}" y1="{_n(y(target))}" y2="{_n(y(target))}" stroke="{TARGET_COLOUR}" '
                   f'stroke-width="2"/><text class="target-label" x="{width - right - 2}" y="{_n(y(target) - 6)}" '
                   f'text-anchor="end" font-size="11" fill="{TARGET_COLOUR}">{_e(names[3])} {_e(fmt(target))}</text>')
    colour = SERIES_COLOURS[0]
    if len(actual) > 1:
        out.append(_polyline([f"{_n(x(i))},{_n(y(v))}" for i, v in actual], "line actual", colour))
    if ahead:
        path = ([start] if start else []) + [(i, pt.value) for i, pt in ahead]
        out.append(_polyline([f"{_n(x(i))},{_n(y(v))}" for i, v in path if v is not None], "line projected",
                             colour, dashed=True))
    for i, pt in enumerate(points):
        if pt.value is None:
            continue
        tip = f"{pt.label}: {fmt(pt.value)}"
        if pt.projected and pt.low is not None and pt.high is not None:
            tip += f" ({fmt(pt.low)}–{fmt(pt.high)})"
        attrs = (f'data-period="{_e(pt.label)}" data-value="{pt.value!r}"'
                 + (f' data-low="{pt.low!r}" data-high="{pt.high!r}"' if pt.projected else ""))
        fill = "#ffffff" if pt.projected else colour
        out.append(f'<circle class="pt {"projected" if pt.projected else "actual"}" {attrs} cx="{_n(x(i))}" '
                   f'cy="{_n(y(pt.value))}" r="3" fill="{fill}" stroke="{colour}"><title>{_e(tip)}</title></circle>')
    end = ahead[-1] if ahead else None
    if end is not None and end[1].value is not None:
        out.append(f'<text class="pt-label" data-testid="{_e(testid)}-end" x="{_n(x(end[0]) - 4)}" '
                   f'y="{_n(y(end[1].value) - 8)}" text-anchor="end" font-size="12" font-weight="700" '
                   f'fill="{colour}">{_e(fmt(end[1].value))}</text>')
    # the legend along the top: actual, projection, interval, target
    lx = left
    keys = [f'<line x1="0" x2="14" y1="10" y2="10" stroke="{colour}" stroke-width="2"/>',
            f'<line x1="0" x2="14" y1="10" y2="10" stroke="{colour}" stroke-width="2" stroke-dasharray="6 4"/>',
            f'<rect x="0" y="5" width="14" height="10" fill="{BAND_COLOUR}" fill-opacity="0.45"/>',
            f'<line x1="0" x2="14" y1="10" y2="10" stroke="{TARGET_COLOUR}" stroke-width="2"/>']
    for k, (key, name) in enumerate(zip(keys, names, strict=True)):
        if k == 3 and target is None:
            continue
        out.append(f'<g class="legend" transform="translate({lx},0)">{key}'
                   f'<text x="18" y="14" font-size="11">{_e(name)}</text></g>')
        lx += 30 + 6 * len(name)
    out.append("</svg>")
    return Markup("".join(out))


# --- ranking bars --------------------------------------------------------------------------------


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    fmt: Fmt,
    title: str,
    target: float | Sequence[float | None] | None = None,
    target_label: str = "",
    highlight: Collection[int] = (),
    invert: bool = False,
    empty_text: str = "",
    no_data_text: str = "—",
    testid: str = "bar-chart",
    width: int = 640,
    font_family: str | None = FONT_FAMILY,
) -> Markup:
    """Horizontal bars, one per unit in the order given (a ranking), unit names on the left and each value
    at the end of its bar.

    ``target`` is one value (a dashed line across every bar) or one per bar (a mark on each bar).
    ``highlight`` holds the indices of bars drawn in the highlight colour (e.g. below their target).
    ``invert`` is for ranks: 1 is best, so the smaller the number the longer the bar.
    """
    n = len(labels)
    known = [v for v in values if v is not None]
    common: float | None = None
    marks: list[float | None] = []
    if isinstance(target, int | float):
        common = float(target)
    elif target is not None:
        marks = list(target)
    targets = [common] if common is not None else [t for t in marks if t is not None]
    thick = 18 if n <= 15 else 13 if n <= 30 else 9
    gap = max(3, thick // 3)
    size = 11 if thick >= 13 else 9
    char = size * 0.56  # average glyph width: enough room for names without measuring text
    texts = [fmt(v) for v in known]
    left = round(min(width * 0.42, 10 + char * max((len(s) for s in labels), default=0)))
    right = round(10 + char * max((len(s) for s in texts), default=len(no_data_text)))
    top = 26 if targets else 8
    bottom = 26
    height = top + n * (thick + gap) + bottom
    head = _head("bar-chart", width, height, testid, title, font_family)
    if not known:
        return _empty(head, width, height, empty_text, ' font-size="14" fill="#6b7280"')
    lo, hi = min(known + targets), max(known + targets)
    if invert:
        ticks = nice_ticks(min(lo, 0.0), hi)
        if hi >= ticks[-1]:  # the last rank would get no bar at all
            ticks.append(ticks[-1] + (ticks[1] - ticks[0]))
    else:
        ticks = nice_ticks(min(lo, 0.0), max(hi, 0.0))
    t0, t1 = ticks[0], ticks[-1]
    pw = width - left - right

    def x(v: float) -> float:
        frac = (v - t0) / (t1 - t0) if t1 != t0 else 0.0
        return left + (1 - frac if invert else frac) * pw

    base = x(t1) if invert else x(min(max(0.0, t0), t1))
    plot_bottom = top + n * (thick + gap)
    out = [head]
    for t in ticks:
        out.append(f'<line class="grid" x1="{_n(x(t))}" x2="{_n(x(t))}" y1="{top - 2}" y2="{plot_bottom}" '
                   f'stroke="#e5e7eb"/>')
        out.append(f'<text class="tick" x="{_n(x(t))}" y="{plot_bottom + 16}" text-anchor="middle" '
                   f'font-size="{size}" fill="#374151">{_e(fmt(t))}</text>')
    hl = set(highlight)
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        y0 = top + i * (thick + gap) + gap / 2
        cy = y0 + thick / 2 + size * 0.35
        weight = ' font-weight="700"' if i in hl else ""
        out.append(f'<text class="ylab" x="{left - 6}" y="{_n(cy)}" text-anchor="end" font-size="{size}"'
                   f'{weight}>{_e(lab)}</text>')
        if v is None:
            out.append(f'<text class="bar-value missing" x="{_n(base + 4)}" y="{_n(cy)}" font-size="{size}" '
                       f'fill="#6b7280">{_e(no_data_text)}</text>')
            continue
        xv = x(v)
        colour = HIGHLIGHT_COLOUR if i in hl else SERIES_COLOURS[0]
        a, b = sorted((base, xv))
        out.append(f'<g class="bar{" hl" if i in hl else ""}" data-testid="{_e(testid)}-bar" data-index="{i}" '
                   f'data-value="{v!r}"><title>{_e(lab)}: {_e(fmt(v))}</title>'
                   f'<rect x="{_n(a)}" y="{_n(y0)}" width="{_n(max(b - a, 0.5))}" height="{thick}" '
                   f'fill="{colour}"/></g>')
        after = xv >= base or invert
        out.append(f'<text class="bar-value" x="{_n(xv + 4 if after else xv - 4)}" y="{_n(cy)}" '
                   f'text-anchor="{"start" if after else "end"}" font-size="{size}" fill="{colour}"{weight}>'
                   f"{_e(fmt(v))}</text>")
        tv = marks[i] if i < len(marks) else None
        if tv is not None:
            out.append(f'<line class="target-mark" x1="{_n(x(tv))}" x2="{_n(x(tv))}" y1="{_n(y0 - 2)}" '
                       f'y2="{_n(y0 + thick + 2)}" stroke="{TARGET_COLOUR}" stroke-width="2"/>')
    out.append(f'<line class="axis" x1="{_n(base)}" x2="{_n(base)}" y1="{top - 2}" y2="{plot_bottom}" '
               f'stroke="#6b7280"/>')
    if common is not None:
        xt = x(common)
        anchor = "end" if xt > left + pw * 0.75 else "start" if xt < left + pw * 0.25 else "middle"
        out.append(f'<line class="target" x1="{_n(xt)}" x2="{_n(xt)}" y1="{top - 6}" y2="{plot_bottom}" '
                   f'stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/>'
                   f'<text class="target-label" x="{_n(xt)}" y="{top - 10}" text-anchor="{anchor}" '
                   f'font-size="{size}" fill="{TARGET_COLOUR}" data-testid="{_e(testid)}-target">'
                   f"{_e(target_label)} {_e(fmt(common))}</text>")
    elif targets:
        out.append(f'<line x1="{left}" x2="{left}" y1="6" y2="18" stroke="{TARGET_COLOUR}" stroke-width="2"/>'
                   f'<text class="target-label" x="{left + 6}" y="16" font-size="{size}" fill="{TARGET_COLOUR}" '
                   f'data-testid="{_e(testid)}-target">{_e(target_label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


# --- sparkline -----------------------------------------------------------------------------------


def sparkline(values: Sequence[float | None], *, title: str = "", width: int = 96, height: int = 24,
              invert: bool = False) -> Markup:
    """A small trend line (gaps where a value is missing), the last point marked."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(known) < 2:  # one point is no trend
        return Markup("")
    lo, hi = min(v for _, v in known), max(v for _, v in known)
    n = max(1, len(values) - 1)

    def x(i: int) -> float:
        return 2 + i * (width - 4) / n

    def y(v: float) -> float:
        frac = 0.5 if hi == lo else (v - lo) / (hi - lo)
        return 2 + (frac if invert else 1 - frac) * (height - 4)

    out = [f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">'
           f"<title>{_e(title)}</title>"]
    run: list[str] = []
    for i, v in enumerate(values):
        if v is None:
            if len(run) > 1:
                out.append(_polyline(run, "spark-line", SERIES_COLOURS[0]))
            run = []
        else:
            run.append(f"{_n(x(i))},{_n(y(v))}")
    if len(run) > 1:
        out.append(_polyline(run, "spark-line", SERIES_COLOURS[0]))
    i, v = known[-1]
    out.append(f'<circle cx="{_n(x(i))}" cy="{_n(y(v))}" r="2.5" fill="{SERIES_COLOURS[0]}"/></svg>')
    return Markup("".join(out))


# --- histogram -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bin:
    lo: float
    hi: float
    count: int


def histogram_bins(values: Sequence[float], max_bins: int = 8) -> list[Bin]:
    """Equal-width bins on round edges; the last bin includes its upper edge."""
    if not values:
        return []
    lo, hi = min(values), max(values)
    if lo == hi:
        return [Bin(lo, hi, len(values))]
    want = min(max_bins, max(3, math.ceil(math.sqrt(len(values)))))
    edges = nice_ticks(lo, hi, want)
    bins = [Bin(a, b, 0) for a, b in itertools.pairwise(edges)]
    counts = [0] * len(bins)
    for v in values:
        k = len(bins) - 1
        for j, b in enumerate(bins):
            if v < b.hi:
                k = j
                break
        counts[k] += 1
    return [Bin(b.lo, b.hi, c) for b, c in zip(bins, counts, strict=True)]


def histogram(bins: Sequence[Bin], *, fmt: Fmt, title: str, empty_text: str = "", testid: str = "histogram",
              width: int = 420, height: int = 180, font_family: str | None = FONT_FAMILY) -> Markup:
    head = _head("histogram", width, height, testid, title, font_family)
    if not bins:
        return _empty(head, width, height, empty_text)
    left, right, top, bottom = 12, 12, 18, 34
    pw, ph = width - left - right, height - top - bottom
    top_count = max(b.count for b in bins) or 1
    bw = pw / len(bins)
    out = [head]
    for j, b in enumerate(bins):
        h = ph * b.count / top_count
        x0 = left + j * bw
        label = f"{fmt(b.lo)} – {fmt(b.hi)}"
        out.append(f'<g class="bin" data-count="{b.count}"><rect x="{_n(x0 + 2)}" y="{_n(top + ph - h)}" '
                   f'width="{_n(bw - 4)}" height="{_n(h)}" fill="{SERIES_COLOURS[0]}" opacity="0.8">'
                   f"<title>{_e(label)}: {b.count}</title></rect>"
                   f'<text x="{_n(x0 + bw / 2)}" y="{_n(top + ph - h - 4)}" text-anchor="middle" font-size="11">'
                   f"{b.count}</text></g>")
    every = max(1, math.ceil(len(bins) / 5))
    for j, b in enumerate(bins):
        if j % every == 0:
            out.append(f'<text class="xlab" x="{_n(left + j * bw)}" y="{height - bottom + 16}" font-size="10" '
                       f'text-anchor="start">{_e(fmt(b.lo))}</text>')
    out.append(f'<text class="xlab" x="{width - right}" y="{height - bottom + 16}" font-size="10" '
               f'text-anchor="end">{_e(fmt(bins[-1].hi))}</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{top + ph}" y2="{top + ph}" stroke="#9ca3af"/></svg>')
    return Markup("".join(out))


# --- tile-grid map -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    code: str
    name: str
    row: int
    col: int
    value: float | None
    text: str  # the value as the reader sees it
    href: str
    rank: int | None = None
    fill: tuple[str, str] | None = None  # (fill, ink) chosen by the caller (a rating's colour); None: by value class
    tag: str | None = None  # a data-rating attribute: what the fill stands for


@dataclass(frozen=True)
class Island:
    """A labelled marker off the coast; ``testid`` names it for tests (``island-hoang-sa``)."""

    testid: str
    label: str
    sub: str  # the province it belongs to
    row: int
    col: int
    href: str


def colour_classes(values: Sequence[float], k: int = len(PALETTE)) -> list[float]:
    """The k-1 inner edges of k equal-width classes over [min, max]."""
    if not values:
        return []
    lo, hi = min(values), max(values)
    if lo == hi:
        return []
    return [lo + (hi - lo) * i / k for i in range(1, k)]


def class_of(value: float, edges: Sequence[float]) -> int:
    if not edges:
        return len(PALETTE) // 2
    for i, e in enumerate(edges):
        if value < e:
            return i
    return len(edges)


def _wrap(name: str, width: int = 10) -> list[str]:
    words, lines, cur = name.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    if cur:
        lines.append(cur)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    return lines


def tile_map(
    tiles: Sequence[Tile],
    islands: Sequence[Island],
    *,
    fmt: Fmt,
    title: str,
    no_data_text: str,
    testid: str = "tile-map",
    cell: int = 64,
    gap: int = 3,
    font_family: str | None = FONT_FAMILY,
    legend: Sequence[tuple[str, str]] | None = None,
) -> Markup:
    """Provinces as tiles on their grid position, coloured by value (light = low, dark = high) or by the fill each
    tile brings, a legend (the value classes, or ``legend``'s (colour, label) pairs), and the islands as labelled
    dotted markers."""
    rows = max([t.row for t in tiles] + [i.row for i in islands] + [0]) + 1
    cols = max([t.col for t in tiles] + [i.col for i in islands] + [0]) + 1
    th = cell * 3 // 4  # tiles a little wider than tall: names fit on two lines
    known_count = len({t.value for t in tiles if t.value is not None})
    legend_rows = (len(legend) if legend is not None else (len(PALETTE) if known_count > 1 else known_count)) + 1
    width, height = cols * cell + 24, rows * th + 26 * legend_rows + 14
    known = [t.value for t in tiles if t.value is not None]
    edges = colour_classes(known)
    out = [f'<svg class="chart tile-map" viewBox="0 0 {width} {height}" role="img" data-testid="{_e(testid)}"'
           f"{_font(font_family)}><title>{_e(title)}</title>"]
    for t in tiles:
        x, y = 4 + t.col * cell, t.row * th
        if t.fill is not None:
            fill, ink = t.fill
        elif t.value is None:
            fill, ink = NO_DATA, "#374151"
        else:
            c = class_of(t.value, edges)
            fill, ink = PALETTE[c], "#ffffff" if c >= 3 else "#111827"
        rank = f" · #{t.rank}" if t.rank is not None else ""
        lines = _wrap(t.name)
        names = "".join(f'<text x="{x + cell // 2 - 1}" y="{y + 13 + 10 * k}" text-anchor="middle" font-size="9" '
                        f'fill="{ink}">{_e(s)}</text>' for k, s in enumerate(lines))
        vy = y + 16 + 10 * len(lines)
        value = t.text if t.value is not None else "—"
        data_value = ("" if t.value is None else f' data-value="{t.value!r}"') + \
            ("" if t.tag is None else f' data-rating="{_e(t.tag)}"')
        out.append(
            f'<a href="{_e(t.href)}"><g class="tile" data-testid="tile-{_e(t.code)}" data-unit="{_e(t.code)}"'
            f"{data_value}>"
            f"<title>{_e(t.name)}: {_e(t.text if t.value is not None else no_data_text)}{_e(rank)}</title>"
            f'<rect x="{x}" y="{y}" width="{cell - gap}" height="{th - gap}" rx="4" fill="{fill}"/>{names}'
            f'<text x="{x + cell // 2 - 1}" y="{vy}" text-anchor="middle" font-size="10" font-weight="700" '
            f'fill="{ink}">{_e(value)}</text></g></a>'
        )
    for isl in islands:
        x, y = 4 + isl.col * cell, isl.row * th
        dots = "".join(f'<circle cx="{x + dx}" cy="{y + dy}" r="2.2" fill="#4b5563"/>'
                       for dx, dy in ((14, 7), (22, 12), (30, 6), (38, 13), (46, 8)))
        words = "".join(f'<text x="{x + cell // 2 + 4}" y="{y + 28 + 10 * k}" text-anchor="middle" font-size="9">'
                        f"{_e(s)}</text>" for k, s in enumerate(_wrap(isl.label, 9)))
        out.append(
            f'<a href="{_e(isl.href)}"><g class="island" data-testid="{_e(isl.testid)}">'
            f"<title>{_e(isl.label)} ({_e(isl.sub)})</title>"
            f'<rect x="{x - 2}" y="{y - 2}" width="{cell + 12}" height="{th + 22}" rx="6" fill="none" '
            f'stroke="#9ca3af" stroke-dasharray="3 3"/>{dots}{words}'
            f'<text x="{x + cell // 2 + 4}" y="{y + 50}" text-anchor="middle" font-size="8" fill="#4b5563">'
            f"({_e(isl.sub)})</text></g></a>"
        )
    # legend: each class with its range, then "no data"
    ly = rows * th + 10
    lo = min(known) if known else 0.0
    hi = max(known) if known else 0.0
    bounds = [lo, *edges, hi]
    classes = range(len(PALETTE)) if edges else ([len(PALETTE) // 2] if known else [])
    k = 0
    for colour, label in legend or ():
        out.append(f'<rect x="8" y="{ly + 26 * k}" width="20" height="16" fill="{_e(colour)}"/>'
                   f'<text x="34" y="{ly + 26 * k + 12}" font-size="11" class="legend">{_e(label)}</text>')
        k += 1
    for c in classes if legend is None else ():
        text = f"{fmt(bounds[c])} – {fmt(bounds[c + 1])}" if edges else fmt(lo)
        out.append(f'<rect x="8" y="{ly + 26 * k}" width="20" height="16" fill="{PALETTE[c]}"/>'
                   f'<text x="34" y="{ly + 26 * k + 12}" font-size="11" class="legend">{_e(text)}</text>')
        k += 1
    out.append(f'<rect x="8" y="{ly + 26 * k}" width="20" height="16" fill="{NO_DATA}"/>'
               f'<text x="34" y="{ly + 26 * k + 12}" font-size="11" class="legend">{_e(no_data_text)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
