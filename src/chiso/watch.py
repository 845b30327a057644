"""Early warnings, computed continuously (issue 15 §2): the checks run over a workspace's store and engine, and
their findings kept in the store (``Store.warnings``).

- ``Watch.after_batch``: called by the event writer after each batch is applied (``Workspace.ingestor`` hooks it).
  Cheap per batch: one indexed ``max(day)`` read; the silent-unit check runs when the data's last complete day
  moves on (once a simulated or real day), the silent-source check when the wall clock's hour does, and the
  month-on-month checks of event-derived rates once per unit of the batch and newly completed month.
- ``Watch.after_approval``: after a form is approved (``chiso.workflow``): its values against their history, its
  lateness resolved, the year-end projections of its indicators with a target.
- ``Watch.check``: every rule now, over every unit (``chiso warnings check``).

A check never fails the batch or the approval that triggered it: an error is logged (the batch is committed).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from chiso.catalogue import Catalogue
from chiso.catalogue.periods import Period, PeriodKind
from chiso.engine import Engine
from chiso.engine import warnings as rules
from chiso.engine.answers import Figure
from chiso.engine.foresight import Foresight
from chiso.errors import ChisoError
from chiso.store import Store
from chiso.store.clock import now as utc_now

log = logging.getLogger(__name__)

# the measure that counts every event of a stream per unit and day: its volume
VOLUME = {"dossier": "dossier_status_records", "ndxp": "ndxp_tx"}
NATIONAL_GROUPS = ("provinces", "ministries")  # read a group per question (Engine.rank)
HISTORY_DAYS = rules.SILENT_DAYS + rules.STOPPED_DAYS  # the days a silence check reads


class Watch:
    def __init__(self, catalogue: Catalogue, store: Store, engine: Engine) -> None:
        self.catalogue = catalogue
        self.store = store
        self.engine = engine
        self._lock = threading.Lock()
        self._days: dict[str, date] = {}  # stream → the last complete day its silence was checked on
        self._hour: datetime | None = None  # the hour the sources' silence was checked in
        self._months: set[tuple[str, str]] = set()  # (stream, month) whose event series were checked

    def use(self, catalogue: Catalogue, engine: Engine) -> None:
        """The definitions as they are now (a long-running writer's workspace reloads them when they change)."""
        self.catalogue, self.engine = catalogue, engine

    # the checks -------------------------------------------------------------------------------------------------
    def silent_units(self, stream: str, last_complete: date | None = None) -> rules.Checked:
        """Per unit, the stream's daily volume (the kept aggregates: they are daily, so the usual volume is the
        same weekday's, not the same hour's) against its usual; ``last_complete``: by default the day before the
        stream's latest (events arrive in time order: the latest day is still coming in)."""
        book, measure = self.store.warnings, VOLUME[stream]
        if last_complete is None:
            last = book.last_day(measure)
            if last is None:
                return rules.Checked()
            last_complete = last.date() - timedelta(days=1)
        start = datetime.combine(last_complete - timedelta(days=HISTORY_DAYS), datetime.min.time())
        daily = book.unit_days(measure, start, datetime.combine(last_complete, datetime.min.time()))
        return rules.silent_units(daily, last_complete, stream)

    def silent_sources(self, at: datetime | None = None) -> rules.Checked:
        """Per event source, the events received per hour (``event_batch``: kept per batch, so by the hour and
        weekday) against its usual volume for that hour and weekday, by the wall clock (UTC)."""
        at = at or utc_now()
        hourly = self.store.warnings.source_hours(at - timedelta(days=7 * rules.USUAL_WEEKS + 2))
        units = {s.id: (s.units[0] if len(s.units) == 1 and s.units[0] != "*" else "VN")
                 for s in self.store.events.sources()}
        return rules.silent_sources(hourly, units, at)

    def series(self, indicators: Iterable[str], units: Iterable[str], period: Period) -> rules.Checked:
        """Each indicator's value of ``period`` for each unit against its own last ``BREAK_HISTORY`` periods, and a
        rate's fall from the period before (the engine's answers: approved values and event-derived ones). Units of
        the national groups (provinces, ministries) are read a whole group per period (``Engine.rank``: one
        question for every member); any other unit by its own series."""
        out = rules.Checked()
        n = rules.BREAK_HISTORY
        periods = [period.shift(i - n) for i in range(n + 1)]
        wanted = set(units)
        for code in indicators:
            ind = self.catalogue.indicators.get(code)
            if ind is None or ind.is_rank:
                continue
            figures: dict[str, list[Figure | None]] = {}
            for group in NATIONAL_GROUPS:
                members = {u.code for u in self.catalogue.members(group, period)} & wanted
                if not members:
                    continue
                for u in members:
                    figures[u] = [None] * len(periods)
                for i, p in enumerate(periods):
                    for row in self.engine.rank(ind, group, p, structure=period.end):
                        if row.unit.code in members:
                            figures[row.unit.code][i] = row.figure
            for unit in sorted(wanted - set(figures)):
                try:
                    answers = self.engine.series(ind, unit, periods, structure=period.end)
                except ChisoError:  # a unit not in this period's structure
                    continue
                figures[unit] = [a.figure for a in answers]
            for unit, figs in sorted(figures.items()):
                vals = [f.value if f is not None else None for f in figs]
                history = [v for v in vals[:-1] if v is not None]
                dens = (figs[-2].denominator if figs[-2] else None, figs[-1].denominator if figs[-1] else None)
                out.add(rules.series_break(ind, unit, period, vals[-1], history, vals[-2], dens))
        return out

    def off_track(self, year: int, *, as_of: date | None = None, units: Collection[str] | None = None,
                  indicators: Collection[str] | None = None) -> rules.Checked:
        """The year-end projections (``Foresight``) of every target of the year (of ``units``, ``indicators``)."""
        out = rules.Checked()
        fs = Foresight(self.engine)
        for t in self.engine.reader.targets(periods=[str(year)]):
            if (units is not None and t.unit not in units) or (indicators is not None and t.indicator not in
                                                               indicators) or t.indicator not in \
                    self.catalogue.indicators:
                continue
            try:
                pr = fs.project(t.indicator, t.unit, year, as_of=as_of)
            except ChisoError:
                continue
            out.add(rules.off_track(t.indicator, t.unit, year, t.value, pr.value, pr.behind, pr.as_of,
                                    pr.probability))
        return out

    def late(self, today: date | None = None, *, datasets: Collection[str] | None = None,
             units: Collection[str] | None = None) -> rules.Checked:
        """Forms of each data set with a deadline not submitted by it."""
        today = today or utc_now().date()
        out = rules.Checked()
        for ds in self.catalogue.datasets.values():
            if ds.deadline_days is None or (datasets is not None and ds.id not in datasets):
                continue
            periods = _periods_due(ds.period, ds.deadline_days, today)
            places = [(u.code, p) for p in periods for u in self.catalogue.members(ds.group, p)
                      if units is None or u.code in units]
            states = {(f.unit, f.period): f.state for f in self.store.users.forms(units=sorted({u for u, _ in places}))
                      if f.dataset == ds.id} if places else {}
            out.add(rules.late_reports(ds.id, ds.deadline_days, places, states, today))
        return out

    def month_series(self, stream: str, month: Period) -> rules.Checked:
        """The event-derived indicators of ``stream`` for ``month``, for every unit with events in it."""
        start, end = (datetime.combine(d, datetime.min.time()) for d in (month.start, month.end))
        units = sorted(self.store.warnings.unit_days(VOLUME[stream], start, end))
        return self.series(self.stream_indicators(stream), units, month)

    def stream_indicators(self, kind: str) -> list[str]:
        """The indicators computed from a stream's events (their first measure's kind)."""
        ms = self.catalogue.measures
        return sorted(c for c, ei in self.catalogue.event_indicators.items()
                      if ei.measures and ms[ei.measures[0]].events == kind)

    def late_form(self, dataset: str, unit: str, period: str, today: date | None = None) -> rules.Checked:
        """One form's lateness (after it was submitted or approved), however long ago it was due."""
        ds = self.catalogue.datasets[dataset]
        if ds.deadline_days is None:
            return rules.Checked()
        f = self.store.users.form(dataset, unit, period)
        return rules.late_reports(dataset, ds.deadline_days, [(unit, Period.parse(period))],
                                  {(unit, period): f.state}, today or utc_now().date())

    def record(self, checked: rules.Checked) -> dict[str, int]:
        return self.store.warnings.sync(checked.findings, checked.keys)

    # when they run ----------------------------------------------------------------------------------------------
    def after_batch(self, kind: str, units: Collection[str]) -> dict[str, int]:
        """After a batch of ``kind`` was applied (see the module's docstring for the cost). ``units``, the batch's,
        bound no rule yet: a silent unit is the one missing from the batch, and a completed month is judged for
        every unit at once (a group per question); a subscription may use them to say which batch raised what."""
        total = {"raised": 0, "updated": 0, "cleared": 0}
        try:
            with self._lock:
                checked = rules.Checked()
                measure = VOLUME.get(kind)
                last = self.store.warnings.last_day(measure) if measure else None
                if last is not None:
                    complete = last.date() - timedelta(days=1)
                    if self._days.get(kind) != complete:
                        self._days[kind] = complete
                        checked.add(self.silent_units(kind, complete))
                    month = _last_month(complete)
                    if (kind, str(month)) not in self._months:  # a month completed: every unit's, at once
                        self._months.add((kind, str(month)))
                        checked.add(self.month_series(kind, month))
                hour = utc_now().replace(minute=0, second=0)
                if hour != self._hour:
                    self._hour = hour
                    checked.add(self.silent_sources())
                total = self.record(checked)
        except Exception:  # the batch is committed: a failed check must not undo or fail it
            log.exception("the early-warning checks after a %s batch failed", kind)
        return total

    def after_approval(self, dataset: str, unit: str, period: str) -> dict[str, int]:
        ds = self.catalogue.datasets[dataset]
        p = Period.parse(period)
        checked = rules.Checked()
        try:
            checked.add(self.series(ds.indicators, [unit], p))
            checked.add(self.late_form(dataset, unit, period))
            checked.add(self.off_track(p.start.year, units=[unit], indicators=ds.indicators))
            return self.record(checked)
        except Exception:
            log.exception("the early-warning checks after approving %s %s %s failed", dataset, unit, period)
            return {"raised": 0, "updated": 0, "cleared": 0}

    def check(self, *, today: date | None = None, year: int | None = None) -> dict[str, Any]:
        """Every rule now (``chiso warnings check``): silent units and sources, the last complete month's series of
        every unit with events, the year's projections, late reports. Returns the counts per rule and in all."""
        found: dict[str, Any] = {}
        all_checked = rules.Checked()

        def run(name: str, c: rules.Checked) -> None:
            found[name] = len(c.findings)
            all_checked.add(c)

        for stream in VOLUME:
            run(f"silent:{stream}", self.silent_units(stream))
        run("silent:sources", self.silent_sources())
        for stream, measure in VOLUME.items():
            last = self.store.warnings.last_day(measure)
            if last is not None:
                run(f"series:{stream}", self.month_series(stream, _last_month(last.date() - timedelta(days=1))))
        today = today or utc_now().date()
        year = year or today.year
        run("off_track", self.off_track(year, as_of=min(today, date(year, 12, 31))))
        run("late", self.late(today))
        found["recorded"] = self.record(all_checked)
        return found


def _last_month(complete: date) -> Period:
    """The last month complete by the day ``complete``."""
    month = Period.containing(PeriodKind.MONTH, complete)
    return month if month.end == complete else month.shift(-1)


def _periods_due(kind: PeriodKind, days: int, today: date) -> list[Period]:
    """The periods of ``kind`` whose deadline (``days`` after their end) passed within the lookback."""
    out = []
    p = Period.containing(kind, today)
    while True:
        due = rules.deadline(p, days)
        if due < today - timedelta(days=rules.LATE_LOOKBACK_DAYS):
            break
        if due < today:
            out.append(p)
        p = p.shift(-1)
    return out

