"""Where a figure is heading: an indicator's year-end value at the current pace, with an 80 % prediction
interval and the probability of meeting its target (issue 15 §1).

The series are the engine's own monthly answers, in one unit structure (that of the year's end unless asked),
so a 2025 province is projected from its rebased 2024 months. Each kind is projected the way it adds up:

- a **rate** with its numerator and denominator (events, or reported with its parts): the monthly volume
  (denominator) and the monthly rate are each projected, and the year's rate is
  ``(numerator so far + Σ rate × volume) / (denominator so far + Σ volume)``;
- a **count** (a flow): the months so far plus the months projected;
- an **average per day**: the count so far and projected over the year's days;
- a **stock**, and any other level (a rate reported without its parts, a score): the value at the year's end.

The model is statsmodels' ETS (exponential smoothing, additive errors, an additive trend straight or damped,
whichever fits better by AICc), simulated ``SIMULATIONS`` times for the interval and the probability. ETS simulates
with its fitted level and trend as if they were known, so its spread is the months' noise alone; each simulation
also draws the level and slope of a straight line through the last ``TREND_MONTHS`` months from their sampling
distribution (the uncertainty of the trend itself, said in ``note``). An interval still narrower than the model's
own misses from earlier points of the series is widened to them. Which rule applies is
decided by the months of history, this year's and before, up to the forecast date, and always said
(``Projection.method``, ``note``):

- ``SEASONAL_MONTHS`` or more: ETS with a 12-month seasonality (a year-end push, Tết);
- ``MODEL_MONTHS`` or more: ETS without seasonality;
- fewer, with ``PACE_MONTHS`` of this year: the **pace rule**, no model: a straight line through this year's
  months carried on, its slope as far as its t statistic tells it from noise, its level's and slope's sampling
  uncertainty and the months' noise drawn (Student's t, n − 2 degrees of freedom; shaped by last year's months
  when last year is complete); two months make no line: their mean month, one degree of freedom;
- less than that: no projection, and why.

Pure: it reads through the engine and writes nothing.
"""

from __future__ import annotations

import calendar
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from chiso.catalogue.models import Direction, Indicator, Target, Unit
from chiso.catalogue.periods import Period
from chiso.engine import Engine
from chiso.errors import UnknownUnitError

F64 = npt.NDArray[np.float64]
Method = Literal["final", "ets_seasonal", "ets", "pace", "none"]
Shape = Literal["rate", "flow", "per_day", "level"]

LEVEL = 0.8  # the prediction interval's coverage
SIMULATIONS = 1000
SEASONAL_MONTHS = 26  # two seasons and a little: statsmodels needs more than two full cycles
MODEL_MONTHS = 8
PACE_MONTHS = 2
PACE_LINE_MONTHS = 3  # the pace rule's straight line through this year's months: one degree of freedom at least
PACE_SLOPE_T = 0.95  # the pace rule's slope goes on as far as its t statistic passes this point (see _kept)
TREND_MONTHS = 12  # the straight line whose level and slope uncertainty the simulations carry: the last year
MIN_ORIGINS = 4  # earlier forecasts needed before their misses may widen an interval
HISTORY_YEARS = 3  # months read before the year: at most this many years
SEED = 20_240_101  # the same question, the same answer


@dataclass(frozen=True)
class Month:
    """One month's answer as the projection uses it: the value and, for rates and averages, its parts."""

    period: Period
    value: float | None
    numerator: float | None = None
    denominator: float | None = None


@dataclass(frozen=True)
class PathPoint:
    """The year-to-date value at a month's end: actual up to the forecast date, then projected (median and
    interval), for a chart."""

    period: str
    value: float | None
    low: float | None = None
    high: float | None = None
    projected: bool = False


@dataclass(frozen=True)
class Projection:
    indicator: Indicator
    unit: Unit
    year: int
    as_of: date | None  # the last month's end used (None: no month with data)
    method: Method
    note: str  # the rule applied and why, in English (the CLI and pages word it from ``method`` and ``reason``)
    reason: str  # a message key suffix: why this rule (e.g. "months_26", "too_short", "no_monthly")
    actual: float | None = None  # the year so far (to ``as_of``)
    value: float | None = None  # the projected year-end value (the simulations' median)
    low: float | None = None
    high: float | None = None
    target: Target | None = None
    probability: float | None = None  # of meeting the target at year end
    needed: float | None = None  # the monthly value needed on average over the remaining months
    current: float | None = None  # the recent monthly value (the mean of the last three months)
    per_month: float | None = None  # the improvement per month, from ``current``, that reaches ``needed``
    months_left: int = 0
    history: int = 0  # months of history used
    widened: int = 0  # earlier forecasts whose misses widened the interval (0: the model's own spread)
    path: tuple[PathPoint, ...] = field(default=())
    level: float = LEVEL

    @property
    def behind(self) -> bool:
        """Likely to miss: the target is more likely missed than met (or, without a probability, the point
        projection falls short)."""
        if self.target is None or self.value is None:
            return False
        if self.probability is not None:
            return self.probability < 0.5
        return not bool(meets(self.indicator, np.array(self.value), self.target.value))

    @property
    def shortfall(self) -> float | None:
        """How far the projection falls short of the target, in the indicator's own unit (positive: short)."""
        if self.target is None or self.value is None:
            return None
        gap = self.target.value - self.value
        return gap if self.indicator.direction is not Direction.LOWER else -gap

    def as_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator.code, "unit": self.unit.code, "unit_name": self.unit.short, "year": self.year,
            "as_of": self.as_of.isoformat() if self.as_of else None, "method": self.method, "reason": self.reason,
            "note": self.note, "actual": self.actual, "value": self.value, "low": self.low, "high": self.high,
            "level": self.level, "target": self.target.value if self.target else None,
            "probability": self.probability, "behind": self.behind, "shortfall": self.shortfall,
            "needed": self.needed, "current": self.current, "per_month": self.per_month,
            "months_left": self.months_left, "history_months": self.history, "widened_from": self.widened,
            "path": [{"period": p.period, "value": p.value, "low": p.low, "high": p.high, "projected": p.projected}
                     for p in self.path],
        }


def shape_of(ind: Indicator, months: Sequence[Month]) -> Shape:
    """How the indicator's year adds up from its months (see the module doc)."""
    kind = getattr(ind, "kind", "")
    with_parts = bool(months) and all(m.numerator is not None and m.denominator is not None
                                      for m in months if m.value is not None)
    if kind == "rate" and with_parts:
        return "rate"
    if kind == "count":
        return "flow"
    if kind == "average_per_day" and with_parts:
        return "per_day"
    return "level"


class Foresight:
    """Projections over an engine's answers."""

    def __init__(self, engine: Engine, *, simulations: int = SIMULATIONS, history_years: int = HISTORY_YEARS,
                 trend_uncertainty: bool = True) -> None:
        self.engine = engine
        self.simulations = simulations
        self.history_years = history_years  # years before the projected one that the series may reach back
        self.trend_uncertainty = trend_uncertainty  # off: the model's own spread only (the backtest's before)

    def months(self, ind: Indicator, unit: str | Unit, first: Period, last: Period, structure: date) -> list[Month]:
        """The engine's monthly answers from ``first`` to ``last``, in the structure of ``structure``."""
        periods = []
        p = first
        while p <= last:
            periods.append(p)
            p = p.shift(1)
        out = []
        for a in self.engine.series(ind, unit, periods, structure=structure):
            f = a.figure
            ok = f is not None and f.value is not None and not (f.rebase is not None and f.rebase.refused)
            out.append(Month(a.period, f.value if ok and f else None, f.numerator if ok and f else None,
                             f.denominator if ok and f else None))
        return out

    def project(self, indicator: str | Indicator, unit: str | Unit, year: int, *, as_of: date | None = None,
                structure: date | None = None) -> Projection:
        """The year-end projection of ``indicator`` for ``unit`` made at ``as_of`` (default: today): the months
        that ended by then are the actual; the rest are projected."""
        eng = self.engine
        ind = eng.catalogue.indicator(indicator) if isinstance(indicator, str) else indicator
        year_end = date(year, 12, 31)
        on = structure or year_end
        u = unit if isinstance(unit, Unit) else eng.catalogue.unit(unit, on=on)
        cut = min(as_of or date.today(), year_end)
        target = eng.target(ind, u, Period.year(year))
        base = Projection(ind, u, year, None, "none", "", "", target=target)
        if cut < date(year, 1, 31):
            return replace(base, note="no month of the year has ended yet", reason="not_started")
        last = Period.month(cut.year, cut.month)
        if last.end != cut:  # a month counts once it has ended
            last = last.shift(-1)
        months = self.months(ind, u, Period.month(year - self.history_years, 1), last, on)
        this_year = [m for m in months if m.period.start.year == year]
        done = len(this_year)
        if not any(m.value is not None for m in this_year):
            return replace(base, as_of=last.end, note="no monthly figure in the year so far", reason="no_monthly",
                           months_left=12 - done)
        shape = shape_of(ind, [m for m in months if m.value is not None])
        left = 12 - done
        # the tail of months without a gap: what a model can be fitted on
        tail = _tail(months, shape)
        actual = _year_so_far(ind, shape, this_year)
        current = _recent(ind, shape, this_year)
        base = replace(base, as_of=last.end, actual=actual, current=current, months_left=left, history=len(tail))
        if left == 0:
            met = None if target is None or actual is None else float(meets(ind, np.array(actual), target.value))
            return replace(base, method="final", value=actual, low=actual, high=actual, note="the year is complete",
                           reason="final", probability=met, path=_actual_path(ind, shape, this_year))
        year_days = 366 if calendar.isleap(year) else 365
        past: dict[str, tuple[F64, F64]] = {}
        if len(tail) >= MODEL_MONTHS:
            seasonal = len(tail) >= SEASONAL_MONTHS
            sims, past = self._simulate_ets(shape, tail, left, seasonal)
            method: Method = "ets_seasonal" if seasonal else "ets"
            reason = "seasonal" if seasonal else "trend"
            note = (f"ETS over {len(tail)} months" + (" with a 12-month seasonality" if seasonal else
                                                      f", no seasonality (fewer than {SEASONAL_MONTHS} months)")
                    + (f"; the simulations also carry the uncertainty of the level and slope of the last "
                       f"{min(len(tail), TREND_MONTHS)} months' straight line" if self.trend_uncertainty else ""))
        elif sum(m.value is not None for m in this_year) >= PACE_MONTHS:
            last_year = [m for m in months if m.period.start.year == year - 1]
            sims, shaped = self._simulate_pace(shape, this_year, last_year, left)
            k = len(_paced(shape, this_year))
            lined = k >= PACE_LINE_MONTHS
            method, reason = "pace", ("pace" if lined else "pace_two") + ("_seasonal" if shaped else "")
            note = (f"too short for a model ({len(tail)} months, {MODEL_MONTHS} needed): the pace of this year's "
                    + (f"{k} months, a straight line carried on, its level's and slope's uncertainty and the months' "
                       f"noise drawn (Student's t, {k - 2} degrees of freedom)" if lined else
                       f"{k} months, their mean month carried on (no line through two points): the interval from "
                       "their difference alone, one degree of freedom: wide, and not to be trusted when they agree")
                    + (", shaped by last year's months" if shaped else ""))
        else:
            return replace(base, note=f"too short for a model or a pace ({len(tail)} months)", reason="too_short",
                           path=_actual_path(ind, shape, this_year))
        ends, paths = _year_end(ind, shape, this_year, sims, year_days)
        lo_q, hi_q = (1 - LEVEL) / 2, 1 - (1 - LEVEL) / 2
        value = float(np.median(ends))
        errors = _past_errors(ind, shape, this_year, sims, past, year_days)
        widened = 0
        if errors is not None and len(errors) >= MIN_ORIGINS:
            # the model's own simulations are narrower than its past misses at this horizon (a trend that bends,
            # a push it has not seen): the spread is widened, each side apart, to what those misses were
            centre = np.median(paths, axis=1, keepdims=True)
            for side, q in ((ends < value, lo_q), (ends > value, hi_q)):
                sim_gap = abs(float(np.quantile(ends, q)) - value)
                past_gap = abs(float(np.quantile(errors, q)))
                if past_gap <= sim_gap:
                    continue
                widened = len(errors)
                if sim_gap > 0:  # the same simulations, spread further on that side (the chart's months too)
                    factor = past_gap / sim_gap
                    ends = np.where(side, value + factor * (ends - value), ends)
                    paths = np.where(side[None, :], centre + factor * (paths - centre), paths)
                else:  # every simulation alike (a constant series): the past misses themselves
                    ends = np.where(side, value + float(np.quantile(errors, q)), ends)
            ends, paths = _clip(ind, ends), _clip(ind, paths)
            paths[-1] = ends  # the chart ends where the projection does, to the last digit
            value = float(np.median(ends))
            if widened:
                note += f"; the interval widened to the model's misses over the same {left} months from " \
                        f"{widened} earlier points of the series"
        prob = None if target is None else float(np.mean(meets(ind, ends, target.value)))
        needed, per_month = _needed(ind, shape, this_year, sims, target, current, left, year_days)
        path = list(_actual_path(ind, shape, this_year))
        for i in range(left):
            col = paths[i]
            path.append(PathPoint(str(last.shift(i + 1)), float(np.median(col)), float(np.quantile(col, lo_q)),
                                  float(np.quantile(col, hi_q)), True))
        return replace(base, method=method, reason=reason, note=note, value=value,
                       low=float(np.quantile(ends, lo_q)), high=float(np.quantile(ends, hi_q)), probability=prob,
                       needed=needed, per_month=per_month, path=tuple(path), widened=widened)

    def behind(self, year: int, *, as_of: date | None = None, structure: date | None = None,
               units: Sequence[str] | None = None) -> tuple[list[Projection], int]:
        """Every (indicator, unit) with a target for the year whose projection is likely to miss it, most at risk
        first (the lowest probability, then the largest shortfall relative to the target); and how many targets
        were projected at all."""
        eng = self.engine
        out = []
        checked = 0
        for t in eng.reader.targets(periods=[str(year)]):
            if units is not None and t.unit not in units:
                continue
            if t.indicator not in eng.catalogue.indicators:
                continue
            try:
                pr = self.project(t.indicator, t.unit, year, as_of=as_of, structure=structure)
            except UnknownUnitError:  # a target for a unit not in this structure
                continue
            checked += pr.value is not None
            if pr.behind:
                out.append(pr)
        return sorted(out, key=_risk), checked

    # models ---------------------------------------------------------------------------------------
    def _rng(self) -> np.random.Generator:
        return np.random.default_rng(SEED)

    def _simulate_ets(self, shape: Shape, tail: list[Month], left: int,
                      seasonal: bool) -> tuple[dict[str, F64], dict[str, tuple[F64, F64]]]:
        """Simulated future months (``left`` × simulations) of each series the shape needs; and, per series, the
        model's forecasts of ``left`` months from earlier points of the series beside what came (origins × left)."""
        rng = self._rng()
        out, past = {}, {}
        for name, series in _series(shape, tail).items():
            sims, past[name] = _ets(series, left, self.simulations, seasonal, rng)
            out[name] = sims + _trend_draws(series, left, self.simulations, rng) if self.trend_uncertainty else sims
        return out, past

    def _simulate_pace(self, shape: Shape, this_year: list[Month], last_year: list[Month],
                       left: int) -> tuple[dict[str, F64], bool]:
        """The pace rule: each series goes on along a straight line through this year's months (``_line``; its slope
        as far as ``_kept`` keeps it), its level and slope drawn from their sampling distribution and each month's
        noise added, Student's t with n − 2 degrees of freedom; shaped by last year's months around their own line
        when last year is complete. Two months make no line: their mean month goes on, one degree of freedom."""
        rng = self._rng()
        have = _paced(shape, this_year)
        done = len(this_year)
        at = np.array([m.period.start.month for m in have], dtype=float) - done  # 0: the forecast month
        ahead = np.arange(1, left + 1, dtype=float)
        profile = None
        if len(last_year) == 12 and all(m.value is not None for m in last_year):
            profile = _series(shape, last_year)
        out = {}
        shaped = False
        for name, series in _series(shape, have).items():
            factor = _season_of(profile[name]) if profile is not None and name != "rate" else None
            if factor is not None:  # the months as they would be without last year's seasons
                series, shaped = series / factor[at.astype(int) + done - 1], True
            if float(np.ptp(series)) == 0.0:  # nothing moves (a least-squares fit would add rounding noise)
                centre, sd, scale = np.full((left, 1), float(series[-1])), 0.0, np.ones((1, self.simulations))
            elif len(series) >= PACE_LINE_MONTHS:
                level, slope, cov, sd = _line(series, at)
                # the level now is the line's at the forecast month (the rise so far); only the slope onward is
                # held back to what the months tell from noise
                slope *= _kept(slope, cov[1, 1], len(series) - 2)
                errors, scale = _line_errors(cov, len(series) - 2, ahead, self.simulations, rng)
                centre = (level + slope * ahead)[:, None] + errors
            else:  # no line through two points: the mean month (a level: its last), its error and the noise, with
                # the one degree of freedom two months leave
                sd = float(np.std(series, ddof=1)) if len(series) > 1 else 0.0
                scale = np.sqrt(1.0 / rng.chisquare(1, size=(1, self.simulations)))
                mean_of = rng.normal(0.0, sd / math.sqrt(len(series)), size=(1, self.simulations)) * scale
                start = float(series[-1] if shape == "level" else np.mean(series))
                centre = np.broadcast_to(start + mean_of, (left, self.simulations))
            sims = centre + rng.normal(0.0, sd, size=(left, self.simulations)) * scale
            out[name] = sims * factor[done:, None] if factor is not None else sims
        return out, shaped


def _paced(shape: Shape, months: Sequence[Month]) -> list[Month]:
    """The months the pace rule reads: those with a figure (a rate's with its denominator)."""
    return [m for m in months if m.value is not None and (shape != "rate" or m.denominator)]


def _series(shape: Shape, months: Sequence[Month]) -> dict[str, F64]:
    """The series a shape projects: the volume and the rate of a rate; the count of a flow or average per day
    (its numerator); the value of a level."""
    if shape == "rate":
        den = np.array([m.denominator or 0.0 for m in months], dtype=float)
        num = np.array([m.numerator or 0.0 for m in months], dtype=float)
        return {"volume": den, "rate": np.divide(num, den, out=np.zeros_like(num), where=den > 0)}
    if shape == "per_day":
        return {"count": np.array([m.numerator or 0.0 for m in months], dtype=float)}
    return {"value": np.array([m.value or 0.0 for m in months], dtype=float)}


def _ets(y: F64, left: int, n: int, seasonal: bool, rng: np.random.Generator) -> tuple[F64, tuple[F64, F64]]:
    """ETS fitted on ``y``: ``left`` months simulated ``n`` times (left × n); and the fitted model's forecasts of
    ``left`` months from each earlier origin that has them all behind it, with what came (each origins × left)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    if float(np.ptp(y)) == 0.0:  # a constant series: nothing to fit, it stays
        return np.full((left, n), float(y[-1])), (np.zeros((0, left)), np.zeros((0, left)))
    scale = float(np.max(np.abs(y))) or 1.0  # fitted in units of the series' size: the optimiser is steadier
    with warnings.catch_warnings():  # convergence chatter: the fit is still the best found, and is used
        warnings.simplefilter("ignore")
        # a straight trend and a damped one, the better by AICc: damping alone under-projects a steady rise (the
        # backtest's bias), a straight line alone overshoots a series that levels off
        fits = [ETSModel(y / scale, error="add", trend="add", damped_trend=damped, seasonal="add" if seasonal else None,
                         seasonal_periods=12 if seasonal else None).fit(disp=False, maxiter=200)
                for damped in (False, True)]
        fit = min(fits, key=lambda f: f.aicc if np.isfinite(f.aicc) else np.inf)
        sims = np.asarray(fit.simulate(nsimulations=left, anchor="end", repetitions=n, rng=rng), dtype=float)
        first = 13 if seasonal else 3  # an origin needs a few months (a season) behind it
        starts = range(first, len(y) - left + 1)
        pred = np.array([np.asarray(fit.predict(start=s, end=s + left - 1, dynamic=0), dtype=float)
                         for s in starts]).reshape(-1, left)
    came = np.array([y[s:s + left] for s in starts], dtype=float).reshape(-1, left)
    return sims.reshape(left, n) * scale, (pred * scale, came)


def _trend_draws(y: F64, left: int, n: int, rng: np.random.Generator) -> F64:
    """Where the series' level and slope may really be (left × n): ETS simulates with its fitted parameters and
    state as if known, so its spread is the months' noise alone, and the backtest's 80 % intervals held half the
    outcomes. Each simulation draws the level now and the slope of a straight line through the last
    ``TREND_MONTHS`` months from their sampling distribution and carries that error on over the months ahead."""
    y = y[-TREND_MONTHS:]
    k = len(y)
    if k < 4 or float(np.ptp(y)) == 0.0:  # too few months for a spread of the line, or nothing moves
        return np.zeros((left, n))
    cov = _line(y, np.arange(k, dtype=float) - (k - 1))[2]
    return _line_errors(cov, k - 2, np.arange(1, left + 1, dtype=float), n, rng)[0]


def _line(y: F64, at: F64) -> tuple[float, float, F64, float]:
    """A least-squares straight line through ``y`` at months ``at`` (statsmodels OLS; 0: the month projected
    from): its level there, its slope per month, their covariance, and the residuals' standard deviation."""
    from statsmodels.regression.linear_model import OLS  # not statsmodels.api: 0.15 s more to import

    fit = OLS(y, np.column_stack([np.ones(len(y)), at])).fit()
    level, slope = (float(v) for v in fit.params)
    return level, slope, np.asarray(fit.cov_params(), dtype=float), float(np.sqrt(fit.scale))


def _line_errors(cov: F64, df: int, ahead: F64, n: int, rng: np.random.Generator) -> tuple[F64, F64]:
    """The line's error at the months ``ahead`` (len(ahead) × n): the level's draw plus ``ahead`` times the
    slope's, from their sampling distribution, Student's t with ``df`` degrees of freedom (as few months leave
    the noise itself uncertain); and each simulation's scale of that noise, sqrt(df / χ²) (1 × n)."""
    normal = rng.multivariate_normal(np.zeros(2), cov, size=n)
    scale = np.sqrt(df / rng.chisquare(df, size=(n, 1)))
    draws = normal * scale
    return np.asarray(draws[:, 0][None, :] + ahead[:, None] * draws[:, 1][None, :], dtype=float), scale.T


def _kept(slope: float, variance: float, df: int) -> float:
    """How much of a short line's slope goes on: 1 − (t₀/t)², none when its t statistic is within Student's
    ``PACE_SLOPE_T`` point t₀. A slope read from three to seven noisy months, carried on for the rest of the year,
    misses by more than ignoring it (the backtest's straight line: 2–2.6 times the last value's error), unless the
    months tell it from their noise."""
    from scipy.stats import t as student

    if variance <= 0.0:
        return 1.0
    t0 = float(student.ppf(PACE_SLOPE_T, df))
    return max(0.0, 1.0 - t0 * t0 * variance / (slope * slope)) if slope else 0.0


def _season_of(prev: F64) -> F64 | None:
    """Last year's months as shares of its own straight line (12): its seasons without its rise; None when a
    month or the line is not positive."""
    line = np.polyval(np.polyfit(np.arange(12, dtype=float), prev, 1), np.arange(12, dtype=float))
    if np.any(prev <= 0) or np.any(line <= 0):
        return None
    return np.asarray(prev / line, dtype=float)


def _past_errors(ind: Indicator, shape: Shape, this_year: Sequence[Month], sims: dict[str, F64],
                 past: dict[str, tuple[F64, F64]], year_days: int) -> F64 | None:
    """What the model's earlier forecasts of as many months missed by, in the year-end value's own terms: a rate's
    mean monthly rate weighted by the remaining months' share of the year's volume, a flow's sum, a level's
    last month."""
    if not past:
        return None
    if shape == "rate":
        pred, came = past["rate"]
        if not len(pred):
            return None
        den0, vol = _parts(this_year)[1], _volume_left(sims)
        share = vol / (den0 + vol) if den0 + vol > 0 else 0.0
        return np.asarray(ind.scale * share * (came.mean(axis=1) - pred.mean(axis=1)), dtype=float)
    name = "count" if shape == "per_day" else "value"
    pred, came = past[name]
    if not len(pred):
        return None
    if shape == "level":
        return np.asarray(came[:, -1] - pred[:, -1], dtype=float)
    missed = came.sum(axis=1) - pred.sum(axis=1)
    return np.asarray(missed / year_days if shape == "per_day" else missed, dtype=float)


def _parts(months: Sequence[Month]) -> tuple[float, float]:
    """The numerators and the denominators summed over the months with a figure."""
    have = [m for m in months if m.value is not None]
    return sum(m.numerator or 0.0 for m in have), sum(m.denominator or 0.0 for m in have)


def _volume_left(sims: dict[str, F64]) -> float:
    """A rate's remaining volume (denominator), the simulations' median."""
    return float(np.median(np.clip(sims["volume"], 0.0, None).sum(axis=0)))


def _clip(ind: Indicator, x: F64) -> F64:
    """Within the indicator's range (a rate's 0–100)."""
    lo, hi = ind.range
    return np.clip(x, -np.inf if lo is None else lo, np.inf if hi is None else hi)


def _tail(months: Sequence[Month], shape: Shape) -> list[Month]:
    """The latest months without a gap (a rate's month needs a denominator)."""
    out: list[Month] = []
    for m in reversed(months):
        if m.value is None or (shape == "rate" and not m.denominator):
            break
        out.append(m)
    return out[::-1]


def _year_so_far(ind: Indicator, shape: Shape, months: Sequence[Month]) -> float | None:
    have = [m for m in months if m.value is not None]
    if not have:
        return None
    num, den = _parts(have)
    if shape == "rate":
        return ind.scale * num / den if den else None
    if shape == "flow":
        return float(sum(m.value or 0.0 for m in have))
    if shape == "per_day":
        return num / den if den else None  # over the days with data
    return have[-1].value


def _recent(ind: Indicator, shape: Shape, months: Sequence[Month]) -> float | None:
    """The mean month of the last three with data, as ``needed`` is counted (a rate's monthly rate, a flow's
    monthly count, a level's value)."""
    have = [m for m in months if m.value is not None][-3:]
    if not have:
        return None
    if shape == "rate":  # the three months' rate, as the year's is counted
        return _year_so_far(ind, shape, have)
    if shape == "per_day":
        return float(np.mean([m.numerator or 0.0 for m in have]))
    return float(np.mean([m.value or 0.0 for m in have]))


def _year_end(ind: Indicator, shape: Shape, this_year: Sequence[Month], sims: dict[str, F64],
              year_days: int) -> tuple[F64, F64]:
    """(the year-end value of each simulation, the year-to-date value at each future month's end × simulation)."""
    have = [m for m in this_year if m.value is not None]
    num0, den0 = _parts(have)
    if shape == "rate":
        vol = np.clip(sims["volume"], 0.0, None)
        rate = np.clip(sims["rate"], 0.0, 1.0)  # a month's share: numerator within its denominator
        num = num0 + np.cumsum(rate * vol, axis=0)
        den = den0 + np.cumsum(vol, axis=0)
        path = ind.scale * np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    elif shape == "flow":
        path = float(sum(m.value or 0.0 for m in have)) + np.cumsum(np.clip(sims["value"], 0.0, None), axis=0)
    elif shape == "per_day":
        done = len(this_year)
        year = this_year[0].period.start.year if this_year else 2000
        days = den0 + np.cumsum([calendar.monthrange(year, k)[1] for k in range(done + 1, 13)])
        path = (num0 + np.cumsum(np.clip(sims["count"], 0.0, None), axis=0)) / days[:, None]
    else:
        path = sims["value"]
    path = _clip(ind, path)
    return path[-1], path


def _needed(ind: Indicator, shape: Shape, this_year: Sequence[Month], sims: dict[str, F64], target: Target | None,
            current: float | None, left: int, year_days: int) -> tuple[float | None, float | None]:
    """The mean monthly value needed over the remaining months to end the year on target, and the improvement per
    month from ``current`` that gets there on a straight ramp (mean of a ramp c + s, …, c + k·s is c + s(k+1)/2)."""
    if target is None or left == 0:
        return None, None
    have = [m for m in this_year if m.value is not None]
    t = target.value
    num0, den0 = _parts(have)
    if shape == "rate":
        vol = _volume_left(sims)
        if vol <= 0:
            return None, None
        needed = ind.scale * ((t / ind.scale) * (den0 + vol) - num0) / vol
    elif shape == "flow":
        needed = (t - sum(m.value or 0.0 for m in have)) / left
    elif shape == "per_day":
        needed = (t * year_days - num0) / left
    else:
        needed = t  # a level must reach the target itself
    per_month = None if current is None else 2 * (needed - current) / (left + 1)
    return float(needed), None if per_month is None else float(per_month)


def _actual_path(ind: Indicator, shape: Shape, this_year: Sequence[Month]) -> tuple[PathPoint, ...]:
    out = []
    for i, m in enumerate(this_year):
        v = _year_so_far(ind, shape, this_year[: i + 1]) if m.value is not None else None
        out.append(PathPoint(str(m.period), v))
    return tuple(out)


def meets(ind: Indicator, values: F64, target: float) -> npt.NDArray[np.bool_]:
    """Which values meet the target (a value, or the simulations at once)."""
    return np.asarray(values <= target if ind.direction is Direction.LOWER else values >= target)


def _risk(p: Projection) -> tuple[float, float]:
    rel = (p.shortfall or 0.0) / abs(p.target.value) if p.target and p.target.value else 0.0
    return (p.probability if p.probability is not None else 0.5, -rel if math.isfinite(rel) else 0.0)

