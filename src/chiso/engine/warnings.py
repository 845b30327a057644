"""Early warnings (issue 15 §2): the rules, pure. Inputs are plain counts and values (read by the caller through
the store's and the engine's readers); outputs are ``Finding``s with a stable key. What a rule looked at is
returned too (``Checked``): a warning of those keys that was not found again no longer holds and is resolved.

The thresholds are the constants below (docs/warnings.md says why each is what it is).
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from chiso.catalogue.models import Indicator
from chiso.catalogue.periods import Period
from chiso.catalogue.warnings import Finding, dedup_key

# silent source --------------------------------------------------------------------------------------------------
SILENT_RATIO = 0.2  # seen at most this share of the usual volume …
SILENT_MIN_EXPECTED = 50.0  # … over a window where at least this many events were usual
USUAL_WEEKS = 4  # the usual volume of a slot: the mean of the same weekday (and hour) over the 4 weeks before
SILENT_DAYS = 7  # a unit's stream: windows of the last 1…7 complete days
SILENT_HOURS = 24  # an event source: windows of the last 1…24 complete hours
HOLIDAY_RATIO = 0.5  # the median unit below half its usual volume: the whole nation is quiet (Tết), no unit flagged
STOPPED_DAYS = 91  # a unit silent longer than its 4 weeks of usual volume: judged by its last active weeks, this far
WEEK = timedelta(days=7)

# a break in a series ----------------------------------------------------------------------------------------------
BREAK_HISTORY = 12  # the periods before one that are its history (the form check's: ``far_from_history``)
RATE_FALL_POINTS = 10.0  # a rate falling by more than this many percentage points from the month before …
MIN_DENOMINATOR = 100.0  # a rate is judged (break, fall) only over this many cases, where known (12 swing by chance)

# late reporting -------------------------------------------------------------------------------------------------
LATE_LOOKBACK_DAYS = 92  # deadlines passed within this many days are checked (older periods are history)


@dataclass
class Checked:
    """A rule's findings and every key it evaluated (found or not)."""

    findings: list[Finding] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)

    def add(self, other: Checked) -> None:
        self.findings.extend(other.findings)
        self.keys |= other.keys


def far_from_history(value: float, history: Sequence[float]) -> bool:
    """A value is flagged when it lies far outside the unit's own history: more than four robust standard
    deviations (1.4826 × MAD) and more than 30 % away from the median. Needs three past values. (The form's
    check, ``chiso.workflow``, and the series-break warning use this one rule.)"""
    if len(history) < 3:
        return False
    med = statistics.median(history)
    mad = statistics.median(abs(h - med) for h in history) * 1.4826
    return abs(value - med) > max(4 * mad, 0.3 * abs(med), 1e-9)


# silence ----------------------------------------------------------------------------------------------------------
def usual(counts: Mapping[datetime, float], slot: datetime, weeks: int = USUAL_WEEKS) -> float:
    """The usual volume of a slot (a day or an hour): the mean of the same slot 1…``weeks`` weeks before."""
    return sum(counts.get(slot - WEEK * k, 0.0) for k in range(1, weeks + 1)) / weeks


def silence(counts: Mapping[datetime, float], slots: Sequence[datetime], skip: Collection[datetime] = ()
            ) -> tuple[float, float, datetime] | None:
    """(expected, seen, since) when the stream is silent, else None. ``slots``: the recent complete slots, oldest
    first; ``skip``: slots that count for nothing (the nation's holidays). Windows of the last 1, 2, … slots are
    tried; one is silent when it usually holds at least ``SILENT_MIN_EXPECTED`` events and held at most
    ``SILENT_RATIO`` of them. The longest silent window, from its first low slot, says since when (a large unit is
    flagged after one slot, a small one when enough slots have passed to tell); expected and seen are over it."""
    live = [x for x in slots if x not in skip]
    expected = seen = 0.0
    start: datetime | None = None
    for slot in reversed(live):
        expected += usual(counts, slot)
        seen += counts.get(slot, 0.0)
        if expected >= SILENT_MIN_EXPECTED and seen <= SILENT_RATIO * expected:
            start = slot
    if start is None:
        return None

    def low(x: datetime) -> bool:  # volume was usual here, and it was missing
        u = usual(counts, x)
        return u > 0 and counts.get(x, 0.0) <= SILENT_RATIO * u

    # the window's start may be a normal slot the silence outweighed, or one where nothing is usual: from its first
    # low one
    window = [x for x in live if x >= start]
    while len(window) > 1 and not low(window[0]):
        window.pop(0)
    expected, seen = sum(usual(counts, x) for x in window), sum(counts.get(x, 0.0) for x in window)
    # since when: back, slot by slot, while each slot was low too (a silence longer than the window); a slot with
    # nothing usual (a weekend) ends it, a skipped one (a holiday) is passed over
    step = slots[1] - slots[0] if len(slots) > 1 else WEEK
    since = back = window[0]
    for _ in range(int(WEEK * USUAL_WEEKS / step)):
        back -= step
        if back in skip:
            continue
        if not low(back):
            break
        since = back
    return expected, seen, since


def stopped(counts: Mapping[datetime, float], slots: Sequence[datetime]) -> tuple[float, float, datetime] | None:
    """A stream with no event in the window nor in the four weeks its usual volume is taken from (so nothing is
    usual any more), that had events before: judged against its last four active weeks, silent since the day after
    its last event. ``counts`` reach back ``STOPPED_DAYS`` at most (the caller's read)."""
    active = [d for d, v in counts.items() if v > 0 and d < slots[0]]
    if not active or any(counts.get(x, 0.0) for x in slots):
        return None
    last = max(active)
    if any(usual(counts, x) for x in slots):
        return None  # its usual volume still holds events: the ordinary rule judged it
    weeks = max(1, ((slots[0] - last).days - 1) // 7)  # whole weeks forward: its last active weeks just before
    moved = {d + WEEK * weeks: v for d, v in counts.items() if d <= last}
    hit = silence(moved, slots)
    return None if hit is None else (hit[0], hit[1], last + timedelta(days=1))


def recent_days(last_complete: date, n: int = SILENT_DAYS) -> list[datetime]:
    return [datetime.combine(last_complete - timedelta(days=n - 1 - i), time()) for i in range(n)]


def recent_hours(now: datetime, n: int = SILENT_HOURS) -> list[datetime]:
    top = now.replace(minute=0, second=0, microsecond=0)  # the hour in progress is not complete: left out
    return [top - timedelta(hours=n - i) for i in range(n)]


def silent_units(daily: Mapping[str, Mapping[datetime, float]], last_complete: date, stream: str) -> Checked:
    """Units whose ``stream`` (dossier, ndxp) fell silent, from their daily counts. A unit is judged only when it
    had events in the four weeks before. A day when most units are quiet together (``_quiet``: a holiday) counts
    for no unit; when the last day is one, none is flagged and none resolved: it says nothing about one unit."""
    out = Checked()
    slots = recent_days(last_complete)
    first = slots[0] - WEEK * USUAL_WEEKS
    holidays = {d for d in (first + timedelta(days=i) for i in range((slots[-1] - first).days + 1))
                if _quiet(daily, d)}
    if slots[-1] in holidays:
        return out
    subject = f"stream:{stream}"
    for unit, counts in sorted(daily.items()):
        if not any(usual(counts, s) for s in slots) and not any(counts.values()):
            continue  # nothing usual here: no stream to fall silent
        out.keys.add(dedup_key("silent", unit, subject, None))
        hit = silence(counts, slots, holidays) or stopped(counts, slots)
        if hit is not None:
            exp, seen, since = hit
            out.findings.append(Finding("silent", unit, subject, None, round(exp, 1), seen, since,
                                        {"window": "day", "as_of": last_complete.isoformat()}))
    return out


def _quiet(daily: Mapping[str, Mapping[datetime, float]], day: datetime) -> bool:
    """Most units far below their usual volume together: a holiday (Tết), not a silent unit."""
    ratios = [counts.get(day, 0.0) / exp for counts in daily.values() if (exp := usual(counts, day)) > 0]
    return bool(ratios) and statistics.median(ratios) < HOLIDAY_RATIO


def silent_sources(hourly: Mapping[str, Mapping[datetime, float]], units: Mapping[str, str], now: datetime
                   ) -> Checked:
    """Event sources (``source id`` → hour → events received) that stopped or fell far below their usual volume
    for the hour and weekday; ``units``: the unit a source reports for (its first), else the nation."""
    out = Checked()
    slots = recent_hours(now)
    for source, counts in sorted(hourly.items()):
        if not any(usual(counts, s) for s in slots):
            continue
        unit, subject = units.get(source, "VN"), f"source:{source}"
        out.keys.add(dedup_key("silent", unit, subject, None))
        hit = silence(counts, slots)
        if hit is not None:
            exp, seen, since = hit
            out.findings.append(Finding("silent", unit, subject, None, round(exp, 1), seen, since,
                                        {"window": "hour"}))
    return out


# series ----------------------------------------------------------------------------------------------------------
def series_break(ind: Indicator, unit: str, period: Period, value: float | None, history: Sequence[float],
                 previous: float | None, denominators: tuple[float | None, float | None] = (None, None)
                 ) -> Checked:
    """A value far outside the unit's own history (``far_from_history``), and, for a rate, a fall of more than
    ``RATE_FALL_POINTS`` points from the period before (``previous``: the value of ``period.shift(-1)``). A rate is
    judged only when its ``denominators`` (before, now), where known, count at least ``MIN_DENOMINATOR``: the
    period's for a break, both for a fall."""
    out = Checked()
    since = datetime.combine(period.start, time())
    out.keys.add(dedup_key("break", unit, ind.code, str(period)))
    now_enough = not ind.is_rate or denominators[1] is None or denominators[1] >= MIN_DENOMINATOR
    if value is not None and now_enough and far_from_history(value, history):
        out.findings.append(Finding("break", unit, ind.code, str(period), statistics.median(history), value, since,
                                    {"history": len(history)}))
    if ind.is_rate:
        out.keys.add(dedup_key("fall", unit, ind.code, str(period)))
        enough = all(d is None or d >= MIN_DENOMINATOR for d in denominators)
        if value is not None and previous is not None and enough and previous - value > RATE_FALL_POINTS:
            out.findings.append(Finding("fall", unit, ind.code, str(period), previous, value, since,
                                        {"points": round(previous - value, 2), "limit": RATE_FALL_POINTS}))
    return out


# off track -------------------------------------------------------------------------------------------------------
def off_track(indicator: str, unit: str, year: int, target: float | None, projected: float | None,
              behind: bool, as_of: date | None, probability: float | None) -> Checked:
    """The year-end projection (``chiso.engine.foresight``) likely to miss the year's target."""
    out = Checked(keys={dedup_key("off_track", unit, indicator, str(year))})
    if behind and target is not None and projected is not None:
        since = datetime.combine(as_of or date(year, 1, 1), time())
        out.findings.append(Finding("off_track", unit, indicator, str(year), target, projected, since,
                                    {"probability": probability}))
    return out


# late reporting ---------------------------------------------------------------------------------------------------
def deadline(period: Period, days: int) -> date:
    """A data set's deadline for a period: ``days`` days after the period ends."""
    return period.end + timedelta(days=days)


def late_reports(dataset: str, days: int, places: Iterable[tuple[str, Period]], states: Mapping[tuple[str, str], str],
                 today: date) -> Checked:
    """Forms of ``dataset`` (unit, period) not submitted by their deadline. ``states``: (unit, period) → form state
    (absent: never opened). A form not yet due is not looked at; one submitted or approved is on time (or no
    longer late). (Which periods to look at is the caller's: ``chiso.watch`` those due within
    ``LATE_LOOKBACK_DAYS``, and the one form just submitted or approved.)"""
    out = Checked()
    for unit, period in places:
        due = deadline(period, days)
        if due >= today:
            continue
        out.keys.add(dedup_key("late", unit, dataset, str(period)))
        state = states.get((unit, str(period)), "open")
        if state not in ("submitted", "approved"):
            out.findings.append(Finding("late", unit, dataset, str(period), None, None,
                                        datetime.combine(due + timedelta(days=1), time()),
                                        {"deadline": due.isoformat(), "state": state,
                                         "days_late": (today - due).days}))
    return out


__all__ = ["Checked", "far_from_history", "late_reports", "off_track", "series_break", "silence",
           "silent_sources", "silent_units", "usual"]
