"""A deterministic simulated nation: a year of dossier status records and NDXP transactions.

Why synthetic: the portals' real records are not public, yet every indicator computed from events
needs a world to run on (tests, demos, benchmarks). This one is calibrated so that the indicators the
engine computes over it reproduce the published 2024 figures (docs/simulate.md: each target and the
value achieved), and it is identical for identical (year, scale, seed).

How it stays deterministic and fast at any scale:
- Generation is blocked by day. The dossiers submitted on one day, and the NDXP transactions of one
  day, come from their own random stream ``PCG64(SeedSequence(seed, spawn_key=(kind, day)))``, so chunk
  and file sizes never change the data, and a dossier submitted on 31 Dec 2024 is the same dossier
  whether it is generated for 2024 or as warm-up for 2025 (all parameters are functions of the date).
- Everything is vectorised with numpy per block; strings are built only at output, with Arrow kernels.
- A dossier's events stretch over the following weeks; they wait in per-day buckets (compact numpy
  columns) until their day is complete, so the output is in time order with bounded memory.

How it stays calibrated at small scales:
- The flags that indicators count (full-online, digitised, e-result, documents reused) are drawn by
  systematic sampling: random order within each bloc and day, one random start. Each dossier keeps
  exactly its own probability, but a bloc's daily count is within one of its expectation, so the
  sampling error of a quarter's rate is a small fraction of a percentage point even at scale 0.001.
- The per-unit offsets, trends and seasonality are fixed; the per-bloc levels are solved once so that
  the expected indicators equal the published figures (``calibration()``).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from queue import SimpleQueue
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chiso.catalogue import load_catalogue
from chiso.catalogue.events import SCHEMA_VERSION
from chiso.catalogue.periods import Period

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]
Kind = Literal["dossier", "ndxp"]
Progress = Callable[[str, int, int], None]

# --- the published figures this world reproduces (scale 1 = the nation) -------------------------------

ANNUAL_DOSSIERS = 46_000_000  # dossiers received in 2024 (seed 001: "hơn 46,2 triệu hồ sơ")
RECORDS_PER_DOSSIER = 8.3  # 382 M status records / 46 M dossiers (seed 000)
ANNUAL_NDXP = 942_000_000  # NDXP transactions in 2024 (seed 000)
NDXP_APRIL_PER_DAY = 2_800_000  # seed 001 (April 2024 report)
MINISTRY_SHARE = 0.6067  # of dossiers: 45.8 = 0.6067 · 63.47 + 0.3933 · 18.54 (seed 002)
MINISTRY_SHARE_YTD = 0.5967  # January–September: 43.8 = 0.5967 · 61.1 + 0.4033 · 18.2 (seed 004)
DOSSIER_GROWTH = 1.06  # per year, for years other than 2024 (extrapolated, not calibrated)
NDXP_GROWTH = 1.20  # "tăng trưởng 20%/năm" (seed 002)

# (bloc, period) → target; blocs: 0 = khối bộ (ministries), 1 = khối tỉnh (provinces).
# Seed 004 (the third-quarter report) gives its rates without a date; they are read as the year to date,
# January–September (YTD): so read, the ministries' 61.1 (Jan–Sep), 62.48 (Jan–Nov, seed 000) and 63.47
# (the year) are one steady rise, where a quarter's own rate would need a steep Q4 campaign.
YTD = "2024-01..2024-09"
TARGETS: dict[str, dict[tuple[int, str], float]] = {
    "dossier_full_online_rate": {(0, "2024"): 63.47, (1, "2024"): 18.54, (0, YTD): 61.1, (1, YTD): 18.2},
    "dossier_digitisation_rate": {(0, YTD): 45.14, (1, YTD): 65.38},
    "e_result_rate": {(0, YTD): 45.48, (1, YTD): 67.2},
    "digitised_data_reuse_rate": {(0, YTD): 1.29, (1, YTD): 13.15},
}

# The calibrated indicators counted straight over the simulator's dossier records (numerator, denominator as DuckDB
# aggregates): the simulated truth that the engine's answers are checked against (tests, bench/national.py).
COUNTS: dict[str, tuple[str, str]] = {
    "dossier_full_online_rate": ("count(*) FILTER (WHERE status = 'received' AND full_online)",
                                 "count(*) FILTER (WHERE status = 'received')"),
    "dossier_digitisation_rate": ("count(*) FILTER (WHERE status = 'result_issued' AND digitised)",
                                  "count(*) FILTER (WHERE status = 'result_issued')"),
    "e_result_rate": ("count(*) FILTER (WHERE status = 'result_issued' AND e_result)",
                      "count(*) FILTER (WHERE status = 'result_issued')"),
    "digitised_data_reuse_rate": ("sum(documents_reused) FILTER (WHERE status = 'received')",
                                  "sum(documents) FILTER (WHERE status = 'received')"),
}

CALIBRATION_YEAR = 2024
WARMUP_DAYS = 45  # dossiers submitted before 1 January whose later records fall in the year
DAY_S = 86_400
MIN_YEAR, MAX_YEAR = 2022, 2029  # the Tết table below must cover the year before and after (warm-up, tails)

# --- units: fixed character of each ministry and province ---------------------------------------------

# Share of the ministries' dossiers (relative) and full-online logit offset. BCT, BGDDT, BLDTBXH and
# BTTTT provide 100 % of their services full-online (seed 003), hence high; defence, inspection and
# ethnic affairs receive few dossiers and mostly on paper.
_MINISTRIES: dict[str, tuple[float, float]] = {
    "BCA": (30.0, 0.35), "BTC": (24.0, 0.85), "BGTVT": (8.0, -0.9), "BKHDT": (6.0, 1.2), "BCT": (6.0, 2.2),
    "BTP": (4.0, 0.3), "BLDTBXH": (3.0, 1.6), "BYT": (3.0, -0.2), "BNNPTNT": (3.0, -0.6), "BGDDT": (2.5, 2.0),
    "BTNMT": (1.5, -1.2), "BTTTT": (1.5, 2.4), "BNG": (1.5, -0.8), "BXD": (1.0, -1.0), "BKHCN": (1.0, 0.5),
    "NHNN": (1.0, 0.0), "BVHTTDL": (1.0, -0.3), "BNV": (0.5, -1.4), "BQP": (0.3, -2.0), "VPCP": (0.1, 0.2),
    "UBDT": (0.05, -1.6), "TTCP": (0.05, -1.8),
}
# Population (millions, approximate, 2023): the provinces' dossier volume follows it.
_POPULATION: dict[str, float] = {
    "P01": 8.6, "P02": 0.9, "P04": 0.55, "P06": 0.32, "P08": 0.8, "P10": 0.77, "P11": 0.63, "P12": 0.48,
    "P14": 1.3, "P15": 0.84, "P17": 0.87, "P19": 1.33, "P20": 0.8, "P22": 1.37, "P24": 1.9, "P25": 1.5,
    "P26": 1.2, "P27": 1.5, "P30": 1.95, "P31": 2.1, "P33": 1.3, "P34": 1.87, "P35": 0.88, "P36": 1.88,
    "P37": 1.0, "P38": 3.7, "P40": 3.4, "P42": 1.3, "P44": 0.9, "P45": 0.65, "P46": 1.16, "P48": 1.22,
    "P49": 1.5, "P51": 1.25, "P52": 1.5, "P54": 0.88, "P56": 1.25, "P58": 0.6, "P60": 1.25, "P62": 0.58,
    "P64": 1.6, "P66": 1.93, "P67": 0.67, "P68": 1.33, "P70": 1.03, "P72": 1.19, "P74": 2.8, "P75": 3.3,
    "P77": 1.2, "P79": 9.4, "P80": 1.7, "P82": 1.8, "P83": 1.3, "P84": 1.0, "P86": 1.03, "P87": 1.6,
    "P89": 1.9, "P91": 1.75, "P92": 1.25, "P93": 0.73, "P94": 1.2, "P95": 0.92, "P96": 1.2,
}
_CITIES = {"P01": 1.3, "P79": 1.3, "P31": 1.2, "P48": 1.25, "P92": 1.15}  # more business dossiers per head
# Full-online leaders named in the seeds (Đà Nẵng, Cà Mau, Tây Ninh), then a few known good performers.
_PROVINCE_FO: dict[str, float] = {
    "P48": 2.45, "P96": 2.2, "P72": 2.15, "P22": 1.0, "P46": 0.8, "P51": 0.6, "P38": 0.4, "P01": 0.25, "P79": 0.1,
}
_REGION_FO = {
    "red_river_delta": 0.15, "southeast": 0.1, "mekong_delta": 0.1, "north_central_coast": 0.0,
    "central_highlands": -0.35, "northern_midlands_mountains": -0.6,
}
_PARAM_SEED = 20_240_101  # fixed: the nation's character does not change with the user's seed

# Lunar new year's day (mùng 1 Tết) and the official holidays, 2021–2029. Years without an explicit
# list get New Year, Tết (two days before to four after), 30/4–1/5 and 2/9.
_TET = {
    2020: "2020-01-25", 2021: "2021-02-12", 2022: "2022-02-01", 2023: "2023-01-22", 2024: "2024-02-10",
    2025: "2025-01-29", 2026: "2026-02-17", 2027: "2027-02-06", 2028: "2028-01-26", 2029: "2029-02-13",
    2030: "2030-02-03",
}
_HOLIDAYS: dict[int, list[tuple[str, str]]] = {
    2023: [("2023-01-01", "2023-01-02"), ("2023-01-20", "2023-01-26"), ("2023-04-29", "2023-05-03"),
           ("2023-09-01", "2023-09-04")],
    2024: [("2024-01-01", "2024-01-01"), ("2024-02-08", "2024-02-14"), ("2024-04-18", "2024-04-18"),
           ("2024-04-27", "2024-05-01"), ("2024-08-31", "2024-09-03")],
    2025: [("2025-01-01", "2025-01-01"), ("2025-01-25", "2025-02-02"), ("2025-04-05", "2025-04-07"),
           ("2025-04-30", "2025-05-04"), ("2025-08-30", "2025-09-02")],
    2026: [("2026-01-01", "2026-01-01"), ("2026-02-14", "2026-02-22"), ("2026-04-25", "2026-04-27"),
           ("2026-04-30", "2026-05-03"), ("2026-08-29", "2026-09-02")],
}
_MAKEUP_WORKDAYS = {"2024-05-04"}  # Saturday worked in exchange for Monday 29/4/2024
# Dossier volume by month (mid-month anchors, interpolated): pre-Tết rush in January, year-end peak.
_SEASON = (1.08, 0.97, 1.0, 0.97, 0.98, 1.0, 1.02, 1.0, 0.97, 1.03, 1.07, 1.17)
_WEEKDAY = (1.12, 1.04, 1.0, 0.98, 0.92, 0.2, 0.12)  # Mon..Sun; a weekend dossier is filed online
_HOLIDAY_FACTOR = 0.08
_TET_BEFORE = (0.35, 0.5, 0.65, 0.8, 0.9)  # the last working days before Tết, nearest first
_TET_AFTER = (0.5, 0.6, 0.7, 0.8, 0.88, 0.94)  # the first days back
_TET_RUSH = 1.08  # the three weeks before that: papers done before Tết

# Working time: 07:30–11:30 and 13:00–17:00, 480 minutes a working day.
_AM0, _AM1, _PM0, _PM1 = 450, 690, 780, 1020
_WORK = 480

STATUS = ("received", "processing", "supplement_requested", "result_issued", "returned", "cancelled")
CHANNEL = ("online", "in_person", "postal")
OUTCOME = ("ok", "error", "timeout", "denied")
_R, _P, _S, _X, _T, _C = 0, 1, 2, 3, 4, 5  # status codes, indices into STATUS
_Q = _P  # processing resumed after a supplement


def _d(s: str) -> int:
    return int(np.datetime64(s, "D").astype(np.int64))


def _sigmoid(x: F64) -> F64:
    out: F64 = 1.0 / (1.0 + np.exp(-x))
    return out


def _rng(seed: int, kind: int, day: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(kind, day + 1_000_000))))


def _bisect(f: Callable[[float], float], lo: float, hi: float, tol: float = 1e-10) -> float:
    """Root of a monotone function on [lo, hi] (the bracket is widened if needed)."""
    flo, fhi = f(lo), f(hi)
    for _ in range(60):
        if flo * fhi <= 0:
            break
        lo, hi = lo - (hi - lo), hi + (hi - lo)
        flo, fhi = f(lo), f(hi)
    for _ in range(200):
        mid = (lo + hi) / 2
        fm = f(mid)
        if (fm <= 0) == (flo <= 0):
            lo, flo = mid, fm
        else:
            hi = mid
        if hi - lo < tol:
            break
    return (lo + hi) / 2


# --- calendar -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """Days from ``day0`` (epoch days) on: working days, holidays, volume factors and the work clock."""

    day0: int
    working: Bool
    holiday: Bool
    tet_holiday: Bool
    factor: F64  # weekday × holiday × Tết factor of dossier volume
    cumw: F64  # working minutes before each day
    wdays: I64  # epoch day of each working day, in order

    def idx(self, day: I64 | int) -> I64:
        out: I64 = np.asarray(day, dtype=np.int64) - self.day0
        return out

    def w_of(self, t: I64) -> F64:
        """Working minutes since day0 at time ``t`` (epoch seconds): the work clock stops outside hours."""
        k = t // DAY_S - self.day0
        m = (t % DAY_S) / 60.0
        within = np.clip(m - _AM0, 0, _AM1 - _AM0) + np.clip(m - _PM0, 0, _PM1 - _PM0)
        out: F64 = self.cumw[k] + np.where(self.working[k], within, 0.0)
        return out

    def t_of(self, w: F64) -> I64:
        """Inverse of ``w_of``: the moment the work clock reaches ``w`` (epoch seconds)."""
        j = np.minimum((w // _WORK).astype(np.int64), self.wdays.size - 1)
        r = w - j * _WORK
        minute = np.where(r < _AM1 - _AM0, _AM0 + r, _PM0 + (r - (_AM1 - _AM0)))
        out: I64 = self.wdays[j] * DAY_S + np.round(minute * 60).astype(np.int64)
        return out


def _holiday_ranges(year: int) -> list[tuple[int, int]]:
    if year in _HOLIDAYS:
        return [(_d(a), _d(b)) for a, b in _HOLIDAYS[year]]
    tet = _d(_TET[year])
    return [(_d(f"{year}-01-01"), _d(f"{year}-01-01")), (tet - 2, tet + 4),
            (_d(f"{year}-04-30"), _d(f"{year}-05-01")), (_d(f"{year}-09-02"), _d(f"{year}-09-02"))]


def _tet_range(year: int) -> tuple[int, int]:
    tet = _d(_TET[year])
    for a, b in _holiday_ranges(year):
        if a <= tet <= b:
            return a, b
    return tet - 2, tet + 4


@lru_cache(maxsize=8)
def calendar(year: int) -> Calendar:
    """The calendar from the year before ``year`` to the end of the year after (warm-up and tails)."""
    day0, day1 = _d(f"{year - 1}-01-01"), _d(f"{year + 2}-01-01")
    days = np.arange(day0, day1, dtype=np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    holiday = np.zeros(days.size, dtype=bool)
    tet_h = np.zeros(days.size, dtype=bool)
    factor = np.asarray(_WEEKDAY, dtype=np.float64)[weekday]
    for y in (year - 1, year, year + 1):
        for a, b in _holiday_ranges(y):
            holiday[a - day0: b - day0 + 1] = True
        ta, tb = _tet_range(y)
        tet_h[ta - day0: tb - day0 + 1] = True
    working = (weekday < 5) & ~holiday
    for s in _MAKEUP_WORKDAYS:
        k = _d(s) - day0
        if 0 <= k < days.size:
            working[k] = True
            factor[k] = 0.9
    factor = np.where(holiday, _HOLIDAY_FACTOR, factor)
    factor = np.where(tet_h, _HOLIDAY_FACTOR * 0.6, factor)
    for y in (year - 1, year, year + 1):
        ta, tb = _tet_range(y)
        # working days just before Tết: a slowdown after a rush; just after: a slow restart
        before = [k for k in range(ta - day0 - 1, ta - day0 - 40, -1) if 0 <= k < days.size and working[k]]
        for i, k in enumerate(before):
            factor[k] *= _TET_BEFORE[i] if i < len(_TET_BEFORE) else (_TET_RUSH if i < 20 else 1.0)
        after = [k for k in range(tb - day0 + 1, tb - day0 + 15) if 0 <= k < days.size and working[k]]
        for i, k in enumerate(after[: len(_TET_AFTER)]):
            factor[k] *= _TET_AFTER[i]
    cumw = np.concatenate(([0.0], np.cumsum(working * float(_WORK))[:-1]))
    return Calendar(day0, working, holiday, tet_h, factor, cumw, days[working])


def _season(days: I64) -> F64:
    """Month-of-year factor, interpolated between mid-month anchors (periodic)."""
    dt = days.astype("datetime64[D]")
    doy = (dt - dt.astype("datetime64[Y]")).astype(np.int64).astype(np.float64)
    anchors = 15.2 + 30.44 * np.arange(-1, 13)
    vals = np.asarray((_SEASON[-1], *_SEASON, _SEASON[0]), dtype=np.float64)
    out: F64 = np.interp(doy, anchors, vals)
    return out


def _tau(days: I64 | int) -> F64:
    """Time in years since 1 January of the calibration year (the trends' clock)."""
    out: F64 = (np.asarray(days, dtype=np.float64) - _d(f"{CALIBRATION_YEAR}-01-01")) / 366.0
    return out


# Slopes of the line outside the calibration year, relative to the year's. Before it, the year's own slope: the
# simulated 2023 is then 35.1 % for the nation, seed 000's "tăng 28% so với 2023" read as a relative rise
# (45 / 1.28); a slower past (0.25, kept until 2026-12-07) gave 38.9 %, further from every reading of the seeds.
_FO_AFTER = 0.75
_FO_BEFORE = 1.0


def _fo_shape(tau: F64) -> F64:
    """Shape of the full-online trend: a steady rise through the calibration year.

    January–September (61.1 %), January–November (62.48 %, seed 000) and the year (63.47 %) fit one straight
    ramp, with no year-end campaign. The years before continue the line at its slope; the years after more
    gently (neither calibrated: no published monthly figure says).
    """
    t = np.clip(tau, 0.0, 1.0)
    out: F64 = t + np.where(tau > 1, _FO_AFTER * (tau - 1), 0.0) + np.where(tau < 0, _FO_BEFORE * tau, 0.0)
    return out


def _ministry_dip(days: I64) -> F64:
    """Ministries file relatively fewer dossiers from spring to early autumn and more in the last quarter:
    their January–September share is 59.7 %, the year's 60.7 %. Periodic, so years join smoothly."""
    dt = days.astype("datetime64[D]")
    doy = (dt - dt.astype("datetime64[Y]")).astype(np.int64).astype(np.float64)
    out: F64 = 0.5 * (1.0 + np.cos(2.0 * np.pi * (doy - 135.0) / 366.0))
    return out


# --- units ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Units:
    codes: tuple[str, ...]
    bloc: I64  # 0 ministries, 1 provinces
    weight: F64  # share of the bloc's dossiers
    fo: F64  # full-online logit offset
    dig: F64  # digitisation logit offset
    eres: F64  # e-result logit offset
    reuse: F64  # multiplier of the reuse share
    partial: F64  # P(online | not full-online, working day)
    pay: F64  # P(paid online | online, fee)
    supp: F64  # P(supplement requested)
    late: F64  # P(finished late)
    fee_policy: I64  # provinces: 0 none, 1 halved online (57 provinces), 2 free online (3 provinces)
    districts: I64  # subunits (districts) of a province, 0 for ministries
    vendor: tuple[str, ...]


@lru_cache(maxsize=1)
def units() -> Units:
    cat = load_catalogue()
    calibration = Period.parse(str(CALIBRATION_YEAR))  # the 2024 units: a later year's events follow their successors
    mins = [u.code for u in cat.members("ministries", calibration)]
    provs = cat.members("provinces", calibration)
    rng = np.random.Generator(np.random.PCG64(_PARAM_SEED))
    codes: list[str] = []
    bloc: list[int] = []
    weight: list[float] = []
    fo: list[float] = []
    for c in mins:
        vol, off = _MINISTRIES.get(c, (0.5, 0.0))
        codes.append(c)
        bloc.append(0)
        weight.append(vol)
        fo.append(off)
    noise = rng.normal(0.0, 0.4, len(provs))
    for i, p in enumerate(provs):
        codes.append(p.code)
        bloc.append(1)
        weight.append(_POPULATION.get(p.code, 1.0) * _CITIES.get(p.code, 1.0))
        base = _REGION_FO.get(p.region or "", 0.0) + float(noise[i])
        fo.append(_PROVINCE_FO.get(p.code, base))
    n = len(codes)
    b = np.asarray(bloc, dtype=np.int64)
    wt = np.asarray(weight, dtype=np.float64)
    for k in (0, 1):
        wt[b == k] /= wt[b == k].sum()
    fa = np.asarray(fo, dtype=np.float64)
    dig = 0.45 * fa + rng.normal(0.0, 0.45, n)
    eres = 0.5 * fa + rng.normal(0.0, 0.4, n)
    reuse = np.exp(0.45 * fa + rng.normal(0.0, 0.35, n))
    partial = np.clip(np.where(b == 0, 0.18, 0.22) * np.exp(0.25 * fa + rng.normal(0.0, 0.25, n)), 0.02, 0.9)
    pay = _sigmoid(np.where(b == 0, 0.5, 0.1) + 0.45 * fa + rng.normal(0.0, 0.35, n))
    supp = np.clip(np.where(b == 0, 0.09, 0.12) * np.exp(rng.normal(0.0, 0.3, n)), 0.02, 0.3)
    late = np.clip(np.where(b == 0, 0.02, 0.035) * np.exp(rng.normal(0.0, 0.65, n) - 0.25 * fa), 0.003, 0.3)
    policy = np.where(b == 1, 1, 0).astype(np.int64)
    prov_idx = np.flatnonzero(b == 1)
    picks = rng.permutation(prov_idx)
    policy[picks[:3]] = 2  # "3 tỉnh, thành phố miễn phí, lệ phí" (seed 003)
    policy[picks[3:6]] = 0  # the remaining 3 of 63 reduce nothing for online filing
    pop = np.asarray([_POPULATION.get(c, 1.0) for c in codes])
    districts = np.where(b == 1, np.clip(np.round(6 + 4.5 * pop), 7, 30), 0).astype(np.int64)
    vendors = ("vnpt-igate", "vnpt-igate", "vnpt-igate", "viettel-dvc", "fpt-dvc", "cmc-dvc")
    vend = tuple(
        f"htttgq-{c.lower()}" if b[i] == 0 else f"{vendors[int(rng.integers(len(vendors)))]}/{c}"
        for i, c in enumerate(codes)
    )
    return Units(tuple(codes), b, wt, fa, dig, eres, reuse, partial, pay, supp, late, policy, districts, vend)


# --- procedures (thủ tục hành chính) ------------------------------------------------------------------

_DUE_DAYS = np.asarray([0.5, 1, 2, 3, 5, 7, 10, 15, 20, 30], dtype=np.float64)
_DUE_P = np.asarray([0.14, 0.08, 0.08, 0.15, 0.17, 0.12, 0.11, 0.07, 0.05, 0.03])
_FEES = np.asarray([10_000, 20_000, 30_000, 50_000, 100_000, 150_000, 200_000, 300_000, 500_000, 1_000_000,
                    2_000_000], dtype=np.int64)
_FEE_P = np.asarray([0.12, 0.14, 0.1, 0.16, 0.15, 0.06, 0.08, 0.06, 0.06, 0.04, 0.03])
_PROVINCE_PROCS = 320


@dataclass(frozen=True)
class Procedures:
    codes: pa.Array  # global index → MaTTHC
    cdf: F64  # unit u's procedures occupy (u, u + 1] of this cumulative table
    due: F64  # working days allowed
    docs: I64  # components in the dossier
    fee: I64  # đồng, 0 for free procedures


@lru_cache(maxsize=1)
def procedures() -> Procedures:
    """Each ministry's own catalogue; the provinces share the national list (each with its own code)."""
    us = units()
    rng = np.random.Generator(np.random.PCG64(_PARAM_SEED + 1))

    def attrs(n: int) -> tuple[F64, I64, I64]:
        due = rng.choice(_DUE_DAYS, size=n, p=_DUE_P / _DUE_P.sum())
        docs = np.minimum(1 + rng.poisson(2.4, n), 12).astype(np.int64)
        fee = np.where(rng.random(n) < 0.42, rng.choice(_FEES, size=n, p=_FEE_P / _FEE_P.sum()), 0)
        return due, docs, fee.astype(np.int64)

    p_due, p_docs, p_fee = attrs(_PROVINCE_PROCS)
    p_num = rng.choice(np.arange(1, 12_000), size=_PROVINCE_PROCS, replace=False)
    p_pop = 1.0 / (np.arange(_PROVINCE_PROCS) + 3.0) ** 1.1
    codes: list[str] = []
    cdf_parts, due_parts, docs_parts, fee_parts = [], [], [], []
    m = 0
    for u, c in enumerate(us.codes):
        if us.bloc[u] == 0:
            m += 1
            n = int(12 + round(230 * math.sqrt(float(us.weight[u]))))
            due, docs, fee = attrs(n)
            num = rng.choice(np.arange(12_000, 14_000), size=n, replace=False)
            pop = 1.0 / (np.arange(n) + 2.0) ** 1.15
            codes.extend(f"{1 + (k % 3 == 0)}.{k:06d}.000.00.00.G{m:02d}" for k in num)
        else:
            due, docs, fee = p_due, p_docs, p_fee
            pop = p_pop * np.exp(rng.normal(0.0, 0.3, _PROVINCE_PROCS))
            codes.extend(f"{1 + (k % 3 == 0)}.{k:06d}.000.00.00.H{c[1:]}" for k in p_num)
        cdf_parts.append(u + np.cumsum(pop) / pop.sum())
        due_parts.append(due)
        docs_parts.append(docs)
        fee_parts.append(fee)
    cdf = np.concatenate(cdf_parts)
    cdf[-1] = len(us.codes)  # guard against rounding at the very end
    return Procedures(pa.array(codes, pa.string()), cdf, np.concatenate(due_parts),
                      np.concatenate(docs_parts), np.concatenate(fee_parts))


# --- volumes ------------------------------------------------------------------------------------


def _bloc_profile(days: I64, bump: float) -> F64:
    """Unnormalised daily dossier volume of the two blocs, shape (2, days)."""
    cal = calendar(_year_of(int(days[0])))
    base = _season(days) * cal.factor[cal.idx(days)]
    out: F64 = np.vstack([base * (1.0 - bump * _ministry_dip(days)), base])
    return out


def _year_of(day: int) -> int:
    return int(np.datetime64(day, "D").astype("datetime64[Y]").astype(np.int64)) + 1970


def _year_days(year: int) -> I64:
    out: I64 = np.arange(_d(f"{year}-01-01"), _d(f"{year + 1}-01-01"), dtype=np.int64)
    return out


@lru_cache(maxsize=64)
def _bloc_daily(year: int, bump: float) -> F64:
    """Expected dossiers per bloc and day of ``year`` at scale 1, shape (2, days)."""
    days = _year_days(year)
    prof = _bloc_profile(days, bump)
    total = ANNUAL_DOSSIERS * DOSSIER_GROWTH ** (year - CALIBRATION_YEAR)
    share = np.asarray([MINISTRY_SHARE, 1 - MINISTRY_SHARE])[:, None]
    out: F64 = prof / prof.sum(axis=1, keepdims=True) * share * total
    return out


# --- calibration -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    ministry_dip: float  # depth of the ministries' spring–summer dip
    fo_level: tuple[float, float]  # per bloc: logit level
    fo_trend: tuple[float, float]  # per bloc: multiplier of _fo_shape
    dig_level: tuple[float, float]
    eres_level: tuple[float, float]
    reuse_level: tuple[float, float]
    processing_mean: float  # mean extra processing records per dossier
    ndxp_level: float  # NDXP transactions per day at factor 1 (scale 1)
    ndxp_spring: float  # the tax-season bump (March–April)


_DIG_TREND = 0.35  # logit per year: digitisation, e-results and reuse rise slowly
_FO_DIG = 0.6  # a full-online dossier is more often digitised / gets an e-result (logit)
_FO_ERES = 0.9
_RESULT_LAG = 5  # days from submission to result, on average: the results' January–September is shifted by it
_CANCEL = 0.025


@dataclass(frozen=True)
class _BlocLevels:
    fo_level: float
    fo_trend: float
    dig_level: float
    eres_level: float
    reuse_level: float


def _solve_bloc(b: int, vol: F64, days: I64) -> _BlocLevels:
    """The levels of one bloc: full-online (year and January–September), digitisation, e-results and reuse
    (January–September)."""
    us = units()
    year = CALIBRATION_YEAR
    tau = _tau(days)
    shape = _fo_shape(tau)[None, :]
    ytd = days < _d(f"{year}-10-01")
    # results of January–September come from dossiers submitted a few days earlier
    ytd_res = days < _d(f"{year}-10-01") - _RESULT_LAG
    every = np.ones(days.size, dtype=bool)
    sel = us.bloc == b
    w = us.weight[sel][:, None] * vol[b][None, :]  # expected dossiers (units, days)
    off = us.fo[sel][:, None]

    def fo_rate(a: float, beta: float, mask: Bool) -> float:
        r = _sigmoid(a + off + beta * shape)
        return float((w[:, mask] * r[:, mask]).sum() / w[:, mask].sum())

    def target(code: str, period: str) -> float:
        return TARGETS[code][(b, period)] / 100

    t_ytd, t_year = target("dossier_full_online_rate", YTD), target("dossier_full_online_rate", str(year))

    def level_for(beta: float) -> float:
        return _bisect(lambda a: fo_rate(a, beta, ytd) - t_ytd, -4.0, 4.0)

    beta = _bisect(lambda bt: fo_rate(level_for(bt), bt, every) - t_year, 0.0, 3.0)
    a = level_for(beta)
    r_fo = _sigmoid(a + off + beta * shape)

    def flag_rate(lvl: float, uoff: F64, kappa: float) -> float:
        x = lvl + uoff[sel][:, None] + _DIG_TREND * tau[None, :]
        p = r_fo * _sigmoid(x + kappa) + (1 - r_fo) * _sigmoid(x)
        return float((w[:, ytd_res] * p[:, ytd_res]).sum() / w[:, ytd_res].sum())

    t_dig, t_er = target("dossier_digitisation_rate", YTD), target("e_result_rate", YTD)
    dig = _bisect(lambda lv: flag_rate(lv, us.dig, _FO_DIG) - t_dig, -4.0, 4.0)
    eres = _bisect(lambda lv: flag_rate(lv, us.eres, _FO_ERES) - t_er, -4.0, 4.0)
    # reuse = Σ reused / Σ documents of received dossiers: linear in the level
    wd = w * _mean_docs()[sel][:, None]
    share = us.reuse[sel][:, None] * (1 + _DIG_TREND * tau[None, :])
    reuse = target("digitised_data_reuse_rate", YTD) * float(wd[:, ytd].sum() / (wd[:, ytd] * share[:, ytd]).sum())
    return _BlocLevels(a, beta, dig, eres, reuse)


@lru_cache(maxsize=1)
def calibration() -> Calibration:
    """Solve the per-bloc levels so that the expected indicators equal the targets (2024)."""
    us = units()
    year = CALIBRATION_YEAR
    days = _year_days(year)
    ytd = days < _d(f"{year}-10-01")

    def mshare_ytd(bump: float) -> float:
        v = _bloc_daily(year, bump)[:, ytd].sum(axis=1)
        return float(v[0] / v.sum()) - MINISTRY_SHARE_YTD

    bump = _bisect(mshare_ytd, 0.0, 0.9, 1e-12)
    vol = _bloc_daily(year, bump)  # (2, days)
    m, p = _solve_bloc(0, vol, days), _solve_bloc(1, vol, days)
    # Records per dossier: received + processing + 2 per supplement + result + returned (or cancelled).
    wsum = us.weight * np.where(us.bloc == 0, MINISTRY_SHARE, 1 - MINISTRY_SHARE)
    e_supp = float((wsum * us.supp * 1.15).sum())
    cancelled = 1 + 1.0 + 1  # received, Poisson(1) processing, cancelled
    per_kept = RECORDS_PER_DOSSIER - _CANCEL * cancelled
    processing_mean = per_kept / (1 - _CANCEL) - (1 + 2 * e_supp + 2)
    level, spring = _ndxp_solve()
    return Calibration(
        bump, (m.fo_level, p.fo_level), (m.fo_trend, p.fo_trend), (m.dig_level, p.dig_level),
        (m.eres_level, p.eres_level), (m.reuse_level, p.reuse_level), processing_mean, level, spring,
    )


@lru_cache(maxsize=1)
def _mean_docs() -> F64:
    """Expected documents per dossier of each unit (its procedures weighted by popularity)."""
    pr = procedures()
    n = len(units().codes)
    out = np.empty(n)
    pdf = np.diff(np.concatenate(([0.0], pr.cdf)))
    unit_of = np.floor(pr.cdf - 1e-12).astype(np.int64)
    for u in range(n):
        m = unit_of == u
        out[u] = float((pdf[m] * pr.docs[m]).sum() / pdf[m].sum())
    return out


# --- NDXP: the national data-sharing platform -------------------------------------------------------------

_NDXP_WEEKDAY = (1.0, 1.0, 1.0, 0.99, 0.96, 0.55, 0.45)
_NDXP_HOLIDAY = 0.5
_NDXP_HOURS = np.asarray([0.35, 0.25, 0.2, 0.2, 0.25, 0.4, 0.8, 1.6, 2.4, 2.6, 2.5, 2.0, 1.3, 1.7, 2.4, 2.5, 2.3,
                          1.8, 1.2, 1.0, 0.9, 0.8, 0.6, 0.45])
_NDXP_TREND = 0.12  # growth within the year


def _ndxp_factor(days: I64) -> F64:
    cal = calendar(_year_of(int(days[0])))
    k = cal.idx(days)
    weekday = (days + 3) % 7
    f = np.asarray(_NDXP_WEEKDAY)[weekday]
    f = np.where(cal.holiday[k] & ~cal.working[k], _NDXP_HOLIDAY * np.minimum(f, 1.0), f)
    tau = _tau(days)
    out: F64 = f * (1 + _NDXP_TREND * (tau - np.floor(tau)))
    return out


def _spring(days: I64) -> F64:
    """Personal income-tax settlement season (deadline early May): heavy identity and tax lookups."""
    dt = days.astype("datetime64[D]")
    doy = (dt - dt.astype("datetime64[Y]")).astype(np.int64).astype(np.float64)
    out: F64 = np.exp(-(((doy - 105.0) / 26.0) ** 2))
    return out


def _ndxp_solve() -> tuple[float, float]:
    year = CALIBRATION_YEAR
    days = _year_days(year)
    april = (days >= _d(f"{year}-04-01")) & (days < _d(f"{year}-05-01"))
    f = _ndxp_factor(days)
    s = _spring(days)

    def april_mean(a: float) -> float:
        v = f * (1 + a * s)
        level = ANNUAL_NDXP / v.sum()
        return float(level * v[april].mean()) - NDXP_APRIL_PER_DAY

    a = _bisect(april_mean, 0.0, 1.0)
    return float(ANNUAL_NDXP / (f * (1 + a * s)).sum()), a


def _ndxp_daily(year: int) -> F64:
    """Expected NDXP transactions per day of ``year`` at scale 1."""
    cal = calibration()
    days = _year_days(year)
    out: F64 = (cal.ndxp_level * NDXP_GROWTH ** (year - CALIBRATION_YEAR)
                * _ndxp_factor(days) * (1 + cal.ndxp_spring * _spring(days)))
    return out


# Data services on NDXP: (service, provider unit, provider system, weight, latency ms, size bytes)
_SERVICES: tuple[tuple[str, str, str, float, float, float], ...] = (
    ("dancu.xac-thuc", "BCA", "CSDLQG-DANCU", 20.0, 90, 1_800),
    ("dancu.tra-cuu", "BCA", "CSDLQG-DANCU", 12.0, 140, 5_200),
    ("dancu.dong-bo-bien-dong", "BCA", "CSDLQG-DANCU", 3.0, 300, 24_000),
    ("vneid.xac-thuc", "BCA", "VNEID", 8.0, 110, 2_100),
    ("vneid.giay-to-so", "BCA", "VNEID", 2.0, 220, 48_000),
    ("xe.dang-ky", "BCA", "CSDL-PTGT", 1.5, 180, 6_000),
    ("xnc.ho-chieu", "BCA", "CSDL-XNC", 0.5, 200, 7_000),
    ("bhxh.qua-trinh-dong", "X-BHXH", "CSDLQG-BAOHIEM", 6.0, 260, 9_500),
    ("bhyt.the", "X-BHXH", "CSDLQG-BAOHIEM", 4.0, 160, 3_000),
    ("dkdn.doanh-nghiep", "BKHDT", "CSDLQG-DKDN", 3.0, 170, 8_000),
    ("dkdn.dong-bo", "BKHDT", "CSDLQG-DKDN", 1.0, 320, 30_000),
    ("hotich.khai-sinh", "BTP", "CSDL-HOTICH", 2.5, 150, 4_000),
    ("hotich.ket-hon", "BTP", "CSDL-HOTICH", 0.8, 150, 4_000),
    ("hotich.khai-tu", "BTP", "CSDL-HOTICH", 0.7, 150, 3_500),
    ("lltp.ly-lich-tu-phap", "BTP", "CSDL-LLTP", 0.8, 420, 12_000),
    ("thue.ma-so-thue", "BTC", "CSDL-THUE", 3.0, 130, 2_500),
    ("thue.nghia-vu-tai-chinh", "BTC", "CSDL-THUE", 1.5, 380, 15_000),
    ("hq.mot-cua-quoc-gia", "BTC", "HQ-MCQG", 1.2, 450, 60_000),
    ("kbnn.doi-chieu", "BTC", "KBNN", 0.6, 500, 40_000),
    ("tthc.danh-muc", "VPCP", "CSDLQG-TTHC", 1.0, 120, 20_000),
    ("dvcqg.dong-bo-ho-so", "VPCP", "CONG-DVCQG", 7.0, 240, 14_000),
    ("dvcqg.thanh-toan", "VPCP", "CONG-DVCQG", 1.5, 300, 3_000),
    ("baocao.chi-tieu", "VPCP", "HT-BAOCAO", 0.5, 600, 80_000),
    ("cbccvc.tra-cuu", "BNV", "CSDLQG-CBCCVC", 0.4, 160, 6_000),
    ("gplx.tra-cuu", "BGTVT", "CSDL-GPLX", 1.2, 140, 3_500),
    ("dangkiem.tra-cuu", "BGTVT", "CSDL-DANGKIEM", 0.4, 170, 4_500),
    ("datdai.tra-cuu", "BTNMT", "CSDL-DATDAI", 1.0, 520, 35_000),
    ("asxh.tro-cap", "BLDTBXH", "CSDL-ASXH", 1.0, 260, 7_000),
    ("yte.so-suc-khoe", "BYT", "HSSK", 1.0, 230, 16_000),
    ("gd.van-bang", "BGDDT", "CSDL-GD", 0.4, 190, 9_000),
    ("nhnn.thong-tin-tin-dung", "NHNN", "CSDL-TTTD", 0.3, 350, 11_000),
    ("vanban.lien-thong", "BTTTT", "TRUC-LIENTHONG", 2.5, 400, 220_000),
)
# Agencies outside the 85 units (X- codes): social insurance, post, power, telecoms, banks, courts.
_EXTERNAL: tuple[tuple[str, tuple[str, ...], str, float, str | None], ...] = (
    ("X-BHXH", ("CSDLQG-BAOHIEM", "HT-GIAMDINH-BHYT", "HT-NGHIEPVU"), "gov", 3.0, None),
    ("X-VNPOST", ("BCCI",), "portal", 0.8, None),
    ("X-EVN", ("HT-CSKH",), "bank", 0.6, None),
    ("X-VIETTEL", ("HT-THUEBAO",), "telco", 2.2, None),
    ("X-VNPT", ("HT-THUEBAO",), "telco", 1.6, None),
    ("X-MOBIFONE", ("HT-THUEBAO",), "telco", 1.0, None),
    ("X-VCB", ("CORE-EKYC",), "bank", 1.1, None),
    ("X-BIDV", ("CORE-EKYC",), "bank", 1.0, None),
    ("X-VIETINBANK", ("CORE-EKYC",), "bank", 0.9, None),
    ("X-AGRIBANK", ("CORE-EKYC",), "bank", 0.9, None),
    ("X-NAPAS", ("HT-THANHTOAN",), "pay", 0.7, None),
    ("X-MBBANK", ("CORE-EKYC",), "bank", 0.8, "2024-03-18"),
    ("X-TANDTC", ("HT-QLAN",), "justice", 0.15, "2024-05-20"),
    ("X-VKSNDTC", ("HT-QLAN",), "justice", 0.1, "2024-10-14"),
)
_LATE_MINISTRIES = {"UBDT": "2024-06-17", "TTCP": "2024-09-09"}  # joined NDXP during 2024
# Provinces' digitised-data stores (kho dữ liệu số hóa) connecting during 2024: 15 by end of April.
_KHO_2024 = ("2024-01-09", "2024-01-17", "2024-01-24", "2024-02-01", "2024-02-22", "2024-03-05", "2024-03-12",
             "2024-03-19", "2024-03-27", "2024-04-02", "2024-04-09", "2024-04-16", "2024-04-19", "2024-04-23",
             "2024-04-25", "2024-07-16", "2024-08-20", "2024-11-12")
# Profiles: which services a consumer system calls (weights multiply the services' own weights).
_PROFILES: dict[str, dict[str, float]] = {
    "bank": {"dancu.xac-thuc": 4.0, "dancu.tra-cuu": 1.0, "vneid.xac-thuc": 2.5, "thue.ma-so-thue": 0.3},
    "telco": {"dancu.xac-thuc": 5.0, "vneid.xac-thuc": 1.0},
    "pay": {"dvcqg.thanh-toan": 5.0, "kbnn.doi-chieu": 1.0},
    "justice": {"lltp.ly-lich-tu-phap": 3.0, "dancu.tra-cuu": 1.0, "hotich.khai-sinh": 0.3},
    "docs": {"vanban.lien-thong": 1.0},
    "portal": {"dvcqg.dong-bo-ho-so": 3.0, "dvcqg.thanh-toan": 1.0, "dancu.xac-thuc": 1.0},
    "land": {"datdai.tra-cuu": 3.0, "dancu.tra-cuu": 1.0, "thue.nghia-vu-tai-chinh": 1.5},
    "kho": {"dancu.tra-cuu": 1.0, "hotich.khai-sinh": 1.0, "vneid.giay-to-so": 1.0, "dkdn.doanh-nghiep": 0.5},
}


@dataclass(frozen=True)
class Topology:
    """Endpoints (unit, system), their activation, and the weighted (consumer, service) links."""

    ep_unit: tuple[str, ...]
    ep_system: tuple[str, ...]
    ep_active: I64  # epoch day from which the endpoint is connected (very small = before 2022)
    service: tuple[str, ...]
    svc_provider: I64  # endpoint providing each service
    svc_latency: F64
    svc_size: F64
    link_consumer: I64
    link_service: I64
    link_weight: F64
    floor_link: I64  # per endpoint: the link that proves it alive once a week and on its first day


@lru_cache(maxsize=1)
def topology() -> Topology:
    us = units()
    ep: dict[tuple[str, str], int] = {}
    ep_active: list[int] = []
    consumer: list[tuple[int, str, float]] = []  # (endpoint, profile, weight)
    before = _d("2022-01-01")

    def add(unit: str, system: str, active: int = before) -> int:
        if (unit, system) not in ep:
            ep[(unit, system)] = len(ep_active)
            ep_active.append(active)
        return ep[(unit, system)]

    for _name, unit, system, *_ in _SERVICES:
        add(unit, system, _d(_LATE_MINISTRIES[unit]) if unit in _LATE_MINISTRIES else before)
    kho = iter(_KHO_2024)
    n_prov = int((us.bloc == 1).sum())
    kho_from = n_prov - len(_KHO_2024)  # provinces (in code order) whose store connects during 2024
    pi = 0
    for u, code in enumerate(us.codes):
        w = float(us.weight[u]) * (MINISTRY_SHARE if us.bloc[u] == 0 else 1 - MINISTRY_SHARE)
        if us.bloc[u] == 0:
            act = _d(_LATE_MINISTRIES[code]) if code in _LATE_MINISTRIES else before
            consumer.append((add(code, "HTTTGQTTHC", act), "gov", 0.3 + 8 * w))
            consumer.append((add(code, "QLVB", act), "docs", 0.08))
            if code == "TTCP":
                consumer.append((add(code, "CSDL-KNTC", act), "justice", 0.05))
            if code == "VPCP":
                consumer.append((add(code, "CONG-DVCQG", act), "gov", 9.0))
        else:
            consumer.append((add(code, "LGSP", before), "gov", 0.4 + 14 * w))
            consumer.append((add(code, "HTTTGQTTHC", before), "gov", 0.3 + 10 * w))
            consumer.append((add(code, "QLVB", before), "docs", 0.05 + 0.6 * w))
            consumer.append((add(code, "CSDL-DATDAI", before), "land", 0.1 + 3 * w))
            act = _d(next(kho)) if pi >= kho_from else before
            consumer.append((add(code, "KHO-SO-HOA", act), "kho", 0.05 + 1.5 * w))
            pi += 1
    for code, systems, profile, weight, joined in _EXTERNAL:
        act = _d(joined) if joined else before
        for i, system in enumerate(systems):
            consumer.append((add(code, system, act), profile if i == 0 else "gov", weight / (1 + 2 * i)))
    svc_w = np.asarray([s[3] for s in _SERVICES])
    svc_names = [s[0] for s in _SERVICES]
    svc_provider = np.asarray([ep[(s[1], s[2])] for s in _SERVICES], dtype=np.int64)
    lc, ls, lw = [], [], []
    for e, profile, w in consumer:
        if profile == "gov":
            prefs = svc_w / svc_w.sum()
        else:
            raw = np.asarray([_PROFILES[profile].get(n, 0.0) * svc_w[i] for i, n in enumerate(svc_names)])
            prefs = raw / raw.sum()
        for s in np.flatnonzero(prefs > 0):
            if svc_provider[s] == e:
                continue
            lc.append(e)
            ls.append(int(s))
            lw.append(w * float(prefs[s]))
    link_c = np.asarray(lc, dtype=np.int64)
    link_s = np.asarray(ls, dtype=np.int64)
    link_w = np.asarray(lw)
    active = np.asarray(ep_active, dtype=np.int64)
    # Every endpoint's floor link: its heaviest link whose other end has always been connected.
    floor = np.full(active.size, -1, dtype=np.int64)
    prov_of = svc_provider[link_s]
    for e in range(active.size):
        as_consumer = np.flatnonzero((link_c == e) & (active[prov_of] <= before))
        as_provider = np.flatnonzero((prov_of == e) & (active[link_c] <= before))
        cand = as_consumer if as_consumer.size else as_provider
        floor[e] = cand[np.argmax(link_w[cand])]
    units_, systems_ = zip(*ep.keys(), strict=True)
    return Topology(
        tuple(units_), tuple(systems_), active, tuple(svc_names), svc_provider,
        np.asarray([s[4] for s in _SERVICES]), np.asarray([s[5] for s in _SERVICES]),
        link_c, link_s, link_w, floor,
    )


# --- blocks -----------------------------------------------------------------------------------------

Cols = dict[str, npt.NDArray[Any]]  # one block's events as numpy columns (strings are built at output)


def _systematic(p: F64, group: I64, rng: np.random.Generator) -> Bool:
    """Select each item with probability p, in random order within groups, one random start:
    the selected count of every group (and of the whole) is within one of its expected sum."""
    n = p.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((rng.random(n), group))
    c = np.floor(np.cumsum(p[order]) + rng.random())
    prev = np.concatenate(([0.0], c[:-1]))
    sel = np.empty(n, dtype=bool)
    sel[order] = c > prev
    return sel


def _systematic_counts(e: F64, group: I64, rng: np.random.Generator) -> I64:
    """Integer counts with expectation e (floor or ceil of each), systematic as above."""
    n = e.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((rng.random(n), group))
    c = np.floor(np.cumsum(e[order]) + rng.random())
    prev = np.concatenate(([0.0], c[:-1]))
    out = np.empty(n, dtype=np.int64)
    out[order] = (c - prev).astype(np.int64)
    return out


_ONLINE_HOURS = np.asarray([0.4, 0.25, 0.15, 0.1, 0.1, 0.2, 0.6, 1.5, 3.0, 3.5, 3.3, 2.6, 1.6, 1.8, 2.9, 3.1, 2.8,
                            2.0, 1.4, 1.5, 1.7, 1.6, 1.2, 0.8])
# Counter arrivals in half-hour slots of working time (07:30…11:30, 13:00…17:00)
_COUNTER_SLOTS = np.asarray([1.2, 2.2, 2.8, 3.0, 2.9, 2.6, 2.0, 1.2, 1.0, 1.8, 2.4, 2.6, 2.5, 2.2, 1.6, 0.8])


def _time_of_day(rng: np.random.Generator, n: int, weights: F64) -> I64:
    """Seconds after midnight, from an hourly profile."""
    h = rng.choice(weights.size, size=n, p=weights / weights.sum())
    out: I64 = (h * 3600 + rng.integers(0, 3600, n)).astype(np.int64)
    return out


def _counter_time(rng: np.random.Generator, n: int) -> I64:
    slot = rng.choice(_COUNTER_SLOTS.size, size=n, p=_COUNTER_SLOTS / _COUNTER_SLOTS.sum())
    r = slot * 30.0 + rng.random(n) * 30.0
    minute = np.where(r < _AM1 - _AM0, _AM0 + r, _PM0 + (r - (_AM1 - _AM0)))
    out: I64 = np.round(minute * 60).astype(np.int64)
    return out


def _unit_daily(day: int) -> F64:
    """Expected dossiers per unit submitted on ``day`` (scale 1)."""
    cal = calibration()
    us = units()
    year = _year_of(day)
    vol = _bloc_daily(year, cal.ministry_dip)[:, day - _d(f"{year}-01-01")]
    out: F64 = us.weight * vol[us.bloc]
    return out


@dataclass(frozen=True)
class Communes:
    """The communes of each simulated unit (2024, the calibration year), with the weight of the dossiers each
    handles: a phường or thị trấn three times a xã's (a stated rule: the package holds no population per commune;
    urban one-stop shops serve more people). ``bounds`` is each unit's cumulative weight shifted by its index, so
    one ``searchsorted`` over all units picks a commune for every dossier."""

    codes: tuple[str, ...]  # every commune, unit by unit
    bounds: F64  # unit u's communes: cumulative weights in (u, u + 1]
    has: npt.NDArray[np.bool_]  # whether a unit has communes at all


URBAN_WEIGHT = 3.0


@lru_cache(maxsize=1)
def communes() -> Communes:
    cat = load_catalogue()
    calibration = Period.parse(str(CALIBRATION_YEAR))
    us = units()
    codes: list[str] = []
    bounds: list[float] = []
    has = np.zeros(len(us.codes), dtype=bool)
    for u, c in enumerate(us.codes):
        group = f"{c}.communes"
        members = cat.members(group, calibration) if group in cat.units else []
        if not members:
            continue
        has[u] = True
        w = np.array([URBAN_WEIGHT if (m.local_type or "") in ("Phường", "Thị trấn") else 1.0 for m in members])
        cum = np.cumsum(w) / w.sum()
        cum[-1] = 1.0  # exactly: a draw just under 1 must not spill into the next unit's communes
        codes.extend(m.code for m in members)
        bounds.extend((u + cum).tolist())
    return Communes(tuple(codes), np.asarray(bounds, dtype=np.float64), has)


def _commune_of(seed: int, day: int, unit: npt.NDArray[np.int64], named: npt.NDArray[np.bool_]) -> I64:
    """1 + the index (in ``communes().codes``) of the commune that handled each dossier; 0 where none is named."""
    cs = communes()
    r = _rng(seed, 4, day).random(unit.size)  # a stream of its own: the calibrated draws stay as they were
    pick = np.searchsorted(cs.bounds, unit + r, side="right")
    return np.where(named & cs.has[unit], np.minimum(pick, len(cs.codes) - 1) + 1, 0).astype(np.int64)


@lru_cache(maxsize=1)
def _sync_gap() -> npt.NDArray[np.float64]:
    """Each unit's share of dossiers synced to the national portal without their reception time (766:
    transparency): 0–12 %, fixed per unit."""
    return np.random.default_rng(766).uniform(0.0, 0.12, len(units().codes))


def _untracked(seed: int, day: int, unit: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    # Its own random stream (kind 3): the calibrated draws of kind 1 stay as they were.
    return _rng(seed, 3, day).random(unit.size) < _sync_gap()[unit]


def dossier_block(day: int, scale: float, seed: int) -> Cols | None:
    """The status records of every dossier submitted on ``day`` (epoch day), in no particular order."""
    rng = _rng(seed, 1, day)
    us, pr, cal = units(), procedures(), calibration()
    clock = calendar(_year_of(day))
    lam = _unit_daily(day) * scale * math.exp(rng.normal(0.0, 0.05) - 0.00125)
    n_u = rng.poisson(lam)
    n = int(n_u.sum())
    if n == 0:
        return None
    unit = np.repeat(np.arange(n_u.size), n_u)
    bloc = us.bloc[unit]
    proc = np.searchsorted(pr.cdf, unit + rng.random(n) * (1 - 1e-12) + 1e-12)
    due_days = pr.due[proc]
    tau = float(_tau(day))
    working = bool(clock.working[day - clock.day0])

    # Flags counted by indicators: systematic within each bloc (see module doc).
    a_fo = np.asarray(cal.fo_level)[bloc] + np.asarray(cal.fo_trend)[bloc] * float(_fo_shape(np.asarray(tau)))
    fo = _systematic(_sigmoid(a_fo + us.fo[unit]), bloc, rng)
    trend = _DIG_TREND * tau
    dig = _systematic(_sigmoid(np.asarray(cal.dig_level)[bloc] + us.dig[unit] + trend + _FO_DIG * fo), bloc, rng)
    eres = _systematic(_sigmoid(np.asarray(cal.eres_level)[bloc] + us.eres[unit] + trend + _FO_ERES * fo), bloc,
                       rng)
    docs = np.maximum(1, pr.docs[proc] + rng.integers(-1, 2, n))
    q = np.minimum(np.asarray(cal.reuse_level)[bloc] * us.reuse[unit] * (1 + trend), 0.95)
    reused = np.minimum(_systematic_counts(docs * q, bloc, rng), docs)

    # Channel: full-online is online; otherwise online (partial), post or counter; closed days → online.
    u_ch = rng.random(n)
    partial = us.partial[unit] if working else np.ones(n)
    channel = np.where(fo | (u_ch < partial), 0, np.where(u_ch < partial + 0.03, 2, 1)).astype(np.int64)
    online = channel == 0
    fee = pr.fee[proc].copy()
    pol = us.fee_policy[unit]
    fee = np.where(online & (pol == 1), (fee // 2000) * 1000, fee)
    fee = np.where(online & (pol == 2), 0, fee)
    paid = online & (fee > 0) & (rng.random(n) < us.pay[unit])
    vneid = online & (rng.random(n) < 0.96)
    lookups = reused + (rng.random(n) < np.where(online, 0.6, 0.3))
    districts = us.districts[unit]
    # Where a dossier was handled: 72 % of a province's dossiers name their commune. These draws stay as they
    # were (the calibrated stream of kind 1); which commune comes from a stream of its own (_commune_of).
    subunit = np.where((districts > 0) & (rng.random(n) < 0.72),
                       np.minimum(rng.zipf(1.6, n), np.maximum(districts, 1)), 0)
    subunit = _commune_of(seed, day, unit, subunit > 0)

    # Times: submission, reception (tiếp nhận), due date (hẹn trả) on the work clock.
    t_sub = day * DAY_S + np.where(online, _time_of_day(rng, n, _ONLINE_HOURS), _counter_time(rng, n))
    auto = online & (rng.random(n) < np.where(fo, 0.35, 0.08))
    w_sub = clock.w_of(t_sub)
    delay = rng.exponential(90.0, n) + 1.0
    t_rec = np.where(online & ~auto, clock.t_of(w_sub + delay), t_sub)
    w0 = clock.w_of(t_rec)
    due_at = clock.t_of(w0 + due_days * _WORK)

    # Lifecycle in working minutes after reception (before pauses).
    cancelled = rng.random(n) < _CANCEL
    n_s = np.where(cancelled, 0, (rng.random(n) < us.supp[unit]) * (1 + (rng.random(n) < 0.15))).astype(np.int64)
    has1, has2 = n_s >= 1, n_s >= 2
    late = ~cancelled & (rng.random(n) < us.late[unit] * np.where(has2, 2.5, 1.0))
    allowed = due_days * _WORK
    frac = 0.02 + 0.95 * rng.beta(2.2, 2.0, n)
    dur = np.where(late, allowed + _WORK * (0.25 + rng.exponential(2.0, n)), allowed * frac)
    dur = np.maximum(np.where(cancelled, dur * rng.uniform(0.2, 1.0, n), dur), 6.0)
    s_lo, s_hi = np.sort(rng.uniform(0.1, 0.8, (n, 2)), axis=1).T
    s1 = np.where(has1, s_lo * dur, np.inf)
    s2 = np.where(has2, s_hi * dur, np.inf)
    p1 = np.where(has1, _WORK * rng.lognormal(math.log(1.6), 0.8, n), 0.0)  # the applicant's time
    p2 = np.where(has2, _WORK * rng.lognormal(math.log(1.6), 0.8, n), 0.0)
    s1f, s2f = np.where(has1, s1, 0.0), np.where(has2, s2, 0.0)
    # Calendar length of each pause (paused_days), shown from the resumption on
    cal1 = (clock.t_of(w0 + s1f + p1) - clock.t_of(w0 + s1f)) / DAY_S * has1
    cal2 = (clock.t_of(w0 + s2f + p1 + p2) - clock.t_of(w0 + s2f + p1)) / DAY_S * has2
    n_p = np.where(cancelled, rng.poisson(1.0, n), 1 + rng.poisson(cal.processing_mean - 1, n))

    # Processing records at sorted positions (order statistics from a segmented cumsum), so that each
    # record's step follows arithmetically, without sorting: step = 1 + rank + 2 · supplements before it.
    pd_ = np.repeat(np.arange(n), n_p)
    p_start = np.concatenate(([0], np.cumsum(n_p)[:-1]))
    e = rng.exponential(1.0, pd_.size)
    cs = np.cumsum(e)
    before = np.concatenate(([0.0], cs))[p_start]
    tot = np.concatenate(([0.0], cs))[p_start + n_p] - before + rng.exponential(1.0, n)
    x_p = 1.0 + (cs - before[pd_]) / tot[pd_] * (dur[pd_] - 2.0)
    a1, a2 = x_p > s1[pd_], x_p > s2[pd_]
    step_p = 1 + np.arange(pd_.size) - p_start[pd_] + 2 * (a1.astype(np.int64) + a2)
    before1 = np.bincount(pd_, weights=~a1, minlength=n).astype(np.int64)  # processing before supplement 1
    before2 = np.bincount(pd_, weights=~a2, minlength=n).astype(np.int64)
    res_at = clock.t_of(w0 + dur + p1 + p2)
    # Returned: e-results and online results within the hour; post in 1–3 days; counter pick-up later.
    ret = np.where(
        eres | online, res_at + rng.integers(60, 1800, n),
        np.where(channel == 2, clock.t_of(clock.w_of(res_at) + _WORK * (1 + 2 * rng.random(n))),
                 clock.t_of(clock.w_of(res_at) + _WORK * rng.exponential(1.2, n) + 10)),
    )
    rated = rng.random(n) < np.where(online, 0.22, 0.06)
    stars = np.clip(5 - rng.choice(5, n, p=[0.7, 0.18, 0.07, 0.03, 0.02]) - late, 1, 5)  # late: a star less
    i1, i2 = np.flatnonzero(has1), np.flatnonzero(has2)
    kept, canc = np.flatnonzero(~cancelled), np.flatnonzero(cancelled)
    paused_all = cal1 + cal2
    last = 1 + n_p + 2 * n_s
    z = np.zeros
    # Record groups: (dossier, status, at, step, supplements so far, paused so far, rating)
    groups = [
        (np.arange(n), _R, t_rec, z(n, np.int64), z(n, np.int64), z(n), z(n, np.int64)),
        (pd_, _P, clock.t_of(w0[pd_] + x_p + p1[pd_] * a1 + p2[pd_] * a2), step_p, a1.astype(np.int64) + a2,
         cal1[pd_] * a1 + cal2[pd_] * a2, z(pd_.size, np.int64)),
        (i1, _S, clock.t_of(w0[i1] + s1[i1]), 1 + before1[i1], np.ones(i1.size, np.int64), z(i1.size),
         z(i1.size, np.int64)),
        (i1, _Q, clock.t_of(w0[i1] + s1[i1] + p1[i1]), 2 + before1[i1], np.ones(i1.size, np.int64), cal1[i1],
         z(i1.size, np.int64)),
        (i2, _S, clock.t_of(w0[i2] + s2[i2] + p1[i2]), 3 + before2[i2], np.full(i2.size, 2, np.int64), cal1[i2],
         z(i2.size, np.int64)),
        (i2, _Q, clock.t_of(w0[i2] + s2[i2] + p1[i2] + p2[i2]), 4 + before2[i2], np.full(i2.size, 2, np.int64),
         paused_all[i2], z(i2.size, np.int64)),
        (kept, _X, res_at[kept], last[kept], n_s[kept], paused_all[kept], z(kept.size, np.int64)),
        (kept, _T, ret[kept], last[kept] + 1, n_s[kept], paused_all[kept], np.where(rated, stars, 0)[kept]),
        (canc, _C, clock.t_of(w0[canc] + dur[canc]), last[canc], z(canc.size, np.int64), z(canc.size),
         z(canc.size, np.int64)),
    ]
    d_of = np.concatenate([g[0] for g in groups])
    status = np.concatenate([np.full(g[0].size, g[1], np.int8) for g in groups])
    at = np.concatenate([g[2] for g in groups])
    # Rows sorted by the day they fall on (radix sort of a small integer), ready for the day buckets.
    o = np.argsort((at // DAY_S - day).astype(np.int16), kind="stable")
    d_of, status, at = d_of[o], status[o], at[o]
    has_result = (status == _X) | (status == _T)

    # Dossier numbers follow the order of submission within the unit and day.
    order = np.lexsort((t_sub, unit))
    seq = np.empty(n, dtype=np.int32)
    seq[order] = np.arange(n) - np.repeat(np.concatenate(([0], np.cumsum(n_u)[:-1])), n_u)
    return {
        "at": at, "unit": unit.astype(np.int16)[d_of], "subday": np.full(d_of.size, day, np.int32),
        "seq": seq[d_of], "step": np.concatenate([g[3] for g in groups])[o].astype(np.int16), "status": status,
        "subunit": subunit.astype(np.int32)[d_of], "proc": proc.astype(np.int32)[d_of],
        "channel": channel.astype(np.int8)[d_of], "full_online": fo[d_of], "digitised": dig[d_of],
        "result_digitised": has_result & (eres | dig)[d_of], "e_result": has_result & eres[d_of],
        "documents": docs[d_of], "documents_reused": reused[d_of], "fee": fee[d_of], "paid_online": paid[d_of],
        "received_at": np.where(_untracked(seed, day, unit), 0, t_rec)[d_of], "due_at": due_at[d_of],
        "paused_days": np.round(np.concatenate([g[5] for g in groups])[o], 4),
        "supplement_requests": np.concatenate([g[4] for g in groups])[o], "vneid": vneid[d_of],
        "national_db_lookups": lookups.astype(np.int64)[d_of],
        "rating": np.concatenate([g[6] for g in groups])[o],
    }


def ndxp_block(day: int, scale: float, seed: int) -> Cols | None:
    """The NDXP transactions of ``day`` (epoch day), sorted by time."""
    rng = _rng(seed, 2, day)
    topo = topology()
    year = _year_of(day)
    lam = float(_ndxp_daily(year)[day - _d(f"{year}-01-01")]) * scale * math.exp(rng.normal(0.0, 0.04) - 0.0008)
    total = int(rng.poisson(lam))
    alive = topo.ep_active <= day
    # Topology does not scale: every connected endpoint shows up on its first day and once a week.
    weekly = (day + 5 * np.arange(alive.size)) % 7 == 0
    floor_links = topo.floor_link[alive & (weekly | (topo.ep_active == day))]
    n_reg = max(0, total - floor_links.size)
    prov_ep = topo.svc_provider[topo.link_service]
    w = topo.link_weight * (alive[topo.link_consumer] & alive[prov_ep])
    # Counts per link (multinomial), then shuffled onto the day's sorted instants: no sort of the rows.
    per_link = rng.multinomial(n_reg, w / w.sum())
    links = np.concatenate((floor_links, np.repeat(np.arange(w.size), per_link)))
    n = links.size
    if n == 0:
        return None
    links = links[rng.permutation(n)]
    clock = calendar(year)
    hours = _NDXP_HOURS if clock.working[day - clock.day0] else np.sqrt(_NDXP_HOURS)
    per_hour = rng.multinomial(n, hours / hours.sum())
    ms = np.repeat(np.arange(24, dtype=np.int64) * 3_600_000, per_hour) + rng.integers(0, 3_600_000, n)
    ms.sort()
    at = (day * DAY_S * 1000 + ms) * 1000
    svc = topo.link_service[links]
    u = rng.random(n)
    outcome = np.select([u < 0.002, u < 0.006, u < 0.014], [3, 2, 1], default=0)
    latency = rng.lognormal(0.0, 0.55, n) * topo.svc_latency[svc]
    latency = np.where(outcome == 2, 30_000 + rng.integers(0, 500, n), np.where(outcome == 3, 20 + 40 * u, latency))
    size = np.where(outcome == 0, rng.lognormal(0.0, 0.7, n) * topo.svc_size[svc], 300 + 500 * rng.random(n))
    return {
        "at": at, "seq": np.arange(n, dtype=np.int64), "day": np.full(n, day, np.int32),
        "consumer": topo.link_consumer[links], "provider": topo.svc_provider[svc], "service": svc,
        "outcome": outcome.astype(np.int8), "latency_ms": np.round(latency).astype(np.int64),
        "size_bytes": np.round(size).astype(np.int64),
    }


# --- output: Arrow batches in time order ------------------------------------------------------------------

_TS = pa.timestamp("us")
DOSSIER_SCHEMA = pa.schema([
    pa.field("schema_version", pa.int64(), nullable=False), pa.field("event_id", pa.string(), nullable=False),
    pa.field("at", _TS, nullable=False), pa.field("source_system", pa.string(), nullable=False),
    pa.field("kind", pa.string(), nullable=False), pa.field("dossier_id", pa.string(), nullable=False),
    pa.field("procedure_code", pa.string(), nullable=False), pa.field("unit", pa.string(), nullable=False),
    pa.field("subunit", pa.string()), pa.field("status", pa.string(), nullable=False),
    pa.field("channel", pa.string(), nullable=False), pa.field("full_online", pa.bool_(), nullable=False),
    pa.field("digitised", pa.bool_(), nullable=False), pa.field("result_digitised", pa.bool_(), nullable=False),
    pa.field("e_result", pa.bool_(), nullable=False), pa.field("documents", pa.int64(), nullable=False),
    pa.field("documents_reused", pa.int64(), nullable=False), pa.field("fee", pa.int64(), nullable=False),
    pa.field("paid_online", pa.bool_(), nullable=False), pa.field("received_at", _TS),
    pa.field("due_at", _TS), pa.field("paused_days", pa.float64(), nullable=False),
    pa.field("supplement_requests", pa.int64(), nullable=False), pa.field("vneid", pa.bool_(), nullable=False),
    pa.field("national_db_lookups", pa.int64(), nullable=False), pa.field("rating", pa.int64()),
])
NDXP_SCHEMA = pa.schema([
    pa.field("schema_version", pa.int64(), nullable=False), pa.field("event_id", pa.string(), nullable=False),
    pa.field("at", _TS, nullable=False), pa.field("source_system", pa.string(), nullable=False),
    pa.field("kind", pa.string(), nullable=False), pa.field("consumer_unit", pa.string(), nullable=False),
    pa.field("consumer_system", pa.string(), nullable=False), pa.field("provider_unit", pa.string(), nullable=False),
    pa.field("provider_system", pa.string(), nullable=False), pa.field("service", pa.string(), nullable=False),
    pa.field("outcome", pa.string(), nullable=False), pa.field("latency_ms", pa.int64(), nullable=False),
    pa.field("size_bytes", pa.int64(), nullable=False),
])
SCHEMAS: dict[str, pa.Schema] = {"dossier": DOSSIER_SCHEMA, "ndxp": NDXP_SCHEMA}


@dataclass(frozen=True)
class _Strings:
    unit: pa.Array
    source: pa.Array
    subunit: pa.Array  # every commune's code (communes().codes)
    status: pa.Array
    channel: pa.Array
    outcome: pa.Array
    ep_unit: pa.Array
    ep_system: pa.Array
    service: pa.Array


@lru_cache(maxsize=1)
def _strings() -> _Strings:
    us, topo = units(), topology()
    return _Strings(
        pa.array(us.codes, pa.string()), pa.array(us.vendor, pa.string()), pa.array(communes().codes, pa.string()),
        pa.array(STATUS, pa.string()), pa.array(CHANNEL, pa.string()), pa.array(OUTCOME, pa.string()),
        pa.array(topo.ep_unit, pa.string()), pa.array(topo.ep_system, pa.string()),
        pa.array(topo.service, pa.string()),
    )


def _const(value: str, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), n)


def _ts(seconds_or_us: npt.NDArray[np.int64], factor: int, mask: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    return pa.array((seconds_or_us * factor).astype("datetime64[us]"), _TS, mask=mask)


def _ymd_strings(days: npt.NDArray[np.int32]) -> pa.Array:
    """'YYYYMMDD' for each epoch day, built once per distinct day."""
    if days.size and bool(np.all(days[1:] >= days[:-1])):  # NDXP: runs of one day
        starts = np.concatenate(([0], np.flatnonzero(np.diff(days)) + 1))
        uniq = days[starts].astype(np.int64)
        inv = np.repeat(np.arange(starts.size), np.diff(np.concatenate((starts, [days.size]))))
    else:  # dossiers: a few hundred distinct days at most
        lo = int(days.min()) if days.size else 0
        uniq = np.arange(lo, int(days.max()) + 1 if days.size else lo, dtype=np.int64)
        inv = days.astype(np.int64) - lo
    txt = pa.array([str(x).replace("-", "") for x in uniq.astype("datetime64[D]")], pa.string())
    return pc.take(txt, pa.array(inv.astype(np.int64)))


def _pad(values: npt.NDArray[np.generic], width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width=width, padding="0")


def _i64(a: npt.NDArray[np.generic]) -> pa.Array:
    return pa.array(a.astype(np.int64, copy=False))


def _dossier_batch(c: Cols) -> pa.RecordBatch:
    s = _strings()
    n = int(c["at"].size)
    unit = pa.array(c["unit"])
    unit_s = pc.take(s.unit, unit)
    dossier_id = pc.binary_join_element_wise(unit_s, _ymd_strings(c["subday"]), _pad(c["seq"], 6), "-")
    sub = c["subunit"]
    sub_idx = pa.array(sub.astype(np.int64) - 1, mask=sub == 0)
    rating = c["rating"].astype(np.int64, copy=False)
    cols = [
        pa.array(np.full(n, SCHEMA_VERSION, dtype=np.int64)),
        pc.binary_join_element_wise(dossier_id, _pad(c["step"], 2), "-"),
        _ts(c["at"], 1_000_000), pc.take(s.source, unit), _const("dossier", n), dossier_id,
        pc.take(procedures().codes, pa.array(c["proc"])), unit_s, pc.take(s.subunit, sub_idx),
        pc.take(s.status, pa.array(c["status"])), pc.take(s.channel, pa.array(c["channel"])),
        pa.array(c["full_online"]), pa.array(c["digitised"]), pa.array(c["result_digitised"]),
        pa.array(c["e_result"]), _i64(c["documents"]), _i64(c["documents_reused"]), _i64(c["fee"]),
        pa.array(c["paid_online"]), _ts(c["received_at"], 1_000_000, mask=c["received_at"] == 0),
        _ts(c["due_at"], 1_000_000),
        pa.array(c["paused_days"]), _i64(c["supplement_requests"]), pa.array(c["vneid"]),
        _i64(c["national_db_lookups"]), pa.array(rating, mask=rating == 0),
    ]
    return pa.RecordBatch.from_arrays(cols, schema=DOSSIER_SCHEMA)


def _ndxp_batch(c: Cols) -> pa.RecordBatch:
    s = _strings()
    n = int(c["at"].size)
    cons = pa.array(c["consumer"].astype(np.int64))
    prov = pa.array(c["provider"].astype(np.int64))
    event_id = pc.binary_join_element_wise(_const("NDXP", n), _ymd_strings(c["day"]), _pad(c["seq"], 9), "-")
    cols = [
        pa.array(np.full(n, SCHEMA_VERSION, dtype=np.int64)), event_id, _ts(c["at"], 1), _const("ndxp", n),
        _const("ndxp", n), pc.take(s.ep_unit, cons), pc.take(s.ep_system, cons), pc.take(s.ep_unit, prov),
        pc.take(s.ep_system, prov), pc.take(s.service, pa.array(c["service"].astype(np.int64))),
        pc.take(s.outcome, pa.array(c["outcome"].astype(np.int64))), pa.array(c["latency_ms"]),
        pa.array(c["size_bytes"]),
    ]
    return pa.RecordBatch.from_arrays(cols, schema=NDXP_SCHEMA)


def _concat(chunks: Sequence[Cols]) -> Cols:
    if len(chunks) == 1:
        return chunks[0]
    return {k: np.concatenate([ch[k] for ch in chunks]) for k in chunks[0]}


def _take(c: Cols, idx: npt.NDArray[np.int64]) -> Cols:
    return {k: v[idx] for k, v in c.items()}


def _check_args(year: int, scale: float) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year {year} is outside the simulated calendar ({MIN_YEAR}–{MAX_YEAR})")
    if not scale >= 0 or math.isinf(scale):
        raise ValueError(f"scale must be a non-negative number, not {scale}")


def _order_key(c: Cols) -> I64:
    """One int64 key ordering a day's records by time, then unit, dossier and step (a total order)."""
    at = c["at"]
    day = at.min() // DAY_S
    key: I64 = ((at - day * DAY_S) << 41) | (c["unit"].astype(np.int64) << 34)
    key |= ((day - c["subday"].astype(np.int64)) & 0x1FF) << 25
    key |= np.minimum(c["seq"].astype(np.int64), (1 << 20) - 1) << 5 | np.minimum(c["step"].astype(np.int64), 31)
    return key


def _dossier_days(year: int, scale: float, seed: int, tick: Callable[[int, int], None] | None) -> Iterator[Cols]:
    """Each day's records in time order. A dossier's later records wait in the bucket of their day."""
    first, last = _d(f"{year}-01-01"), _d(f"{year + 1}-01-01")
    pending: dict[int, list[Cols]] = defaultdict(list)
    for day in range(first - WARMUP_DAYS, last):
        block = dossier_block(day, scale, seed) if scale > 0 else None
        if block is not None:  # rows come sorted by day: cut them at the day boundaries
            ev_day = block["at"] // DAY_S
            bounds = np.concatenate(([0], np.flatnonzero(np.diff(ev_day)) + 1, [ev_day.size]))
            # The next days' records (≈75 %) keep views of the block; later ones are copied in a few
            # tiers (up to 2 weeks, 6 weeks, beyond), so the block is freed within 4 days and each tier
            # as soon as its last day is out: memory stays near a few days of records at any scale.
            cuts = [0, *np.searchsorted(ev_day, [day + 4, day + 15, day + 43]).tolist(), ev_day.size]
            for t, (a, b) in enumerate(itertools.pairwise(cuts)):
                if b <= a:
                    continue
                part = block if t == 0 else {k: v[a:b].copy() for k, v in block.items()}
                base = 0 if t == 0 else a
                for lo, hi in itertools.pairwise([x for x in bounds.tolist() if a <= x <= b]):
                    d = int(ev_day[lo])
                    if first <= d < last:
                        pending[d].append({k: v[lo - base:hi - base] for k, v in part.items()})
        if day >= first:
            chunks = pending.pop(day, [])
            if chunks:
                c = _concat(chunks)
                yield _take(c, np.argsort(_order_key(c), kind="stable"))
            if tick is not None:
                tick(day - first + 1, last - first)


def _ndxp_days(year: int, scale: float, seed: int, tick: Callable[[int, int], None] | None) -> Iterator[Cols]:
    first, last = _d(f"{year}-01-01"), _d(f"{year + 1}-01-01")
    for day in range(first, last):
        block = ndxp_block(day, scale, seed) if scale > 0 else None
        if block is not None:
            yield block
        if tick is not None:
            tick(day - first + 1, last - first)


def _rebatch(days: Iterator[Cols], rows: int) -> Iterator[Cols]:
    """Re-cut a stream of numpy column blocks into blocks of exactly ``rows`` (the last one shorter)."""
    buf: list[Cols] = []
    n = 0
    for c in days:
        m = int(c["at"].size)
        if m == 0:
            continue
        buf.append(c)
        n += m
        if n < rows:
            continue
        whole = _concat(buf)
        start = 0
        while n - start >= rows:
            yield {k: v[start:start + rows] for k, v in whole.items()}
            start += rows
        buf = [{k: v[start:] for k, v in whole.items()}] if start < n else []
        n -= start
    if n:
        yield _concat(buf)


def _batches(kind: Kind, year: int, scale: float, seed: int, rows: int,
             tick: Callable[[int, int], None] | None = None) -> Iterator[pa.RecordBatch]:
    _check_args(year, scale)
    if rows < 1:
        raise ValueError("batch_rows must be at least 1")
    if kind == "dossier":
        return (_dossier_batch(c) for c in _rebatch(_dossier_days(year, scale, seed, tick), rows))
    if kind == "ndxp":
        return (_ndxp_batch(c) for c in _rebatch(_ndxp_days(year, scale, seed, tick), rows))
    raise ValueError(f"unknown event kind {kind!r} (dossier, ndxp)")


# the column that names an event's unit: what switching a unit off matches
UNIT_OF: dict[str, str] = {"dossier": "unit", "ndxp": "consumer_unit"}


def switched_off(kind: Kind, batch: pa.RecordBatch, off: Mapping[str, datetime]) -> pa.RecordBatch:
    """``batch`` without the events of each unit in ``off`` from its time on (the unit's systems stopped sending:
    a dossier begun before keeps no later record either). The rest of the nation is untouched, event for event."""
    if not off or not batch.num_rows:
        return batch
    units, at = batch.column(UNIT_OF[kind]), batch.column("at")
    drop = None
    for code, since in off.items():
        hit = pc.and_(pc.equal(units, code), pc.greater_equal(at, pa.scalar(since, at.type)))
        drop = hit if drop is None else pc.or_(drop, hit)
    return batch.filter(pc.invert(drop)) if drop is not None else batch


def parse_off(values: Sequence[str]) -> dict[str, datetime]:
    """``UNIT@YYYY-MM-DD[THH:MM]`` (the command line's ``--off``) → unit → from when."""
    out: dict[str, datetime] = {}
    for v in values:
        code, sep, when = v.partition("@")
        try:
            if not sep or not code:
                raise ValueError(v)
            out[code.strip()] = datetime.fromisoformat(when.strip())
        except ValueError:
            raise ValueError(f"--off {v!r}: expected UNIT@YYYY-MM-DD or UNIT@YYYY-MM-DDTHH:MM, e.g. P01@2024-03-10")\
                from None
    return out


def iter_batches(year: int, scale: float, *, seed: int = 2024, kind: Kind, batch_rows: int = 100_000,
                 off: Mapping[str, datetime] | None = None) -> Iterator[pa.RecordBatch]:
    """The same events as ``generate`` writes, as Arrow record batches in time order; ``off``: units switched off
    from a time (``switched_off``), to show a silent source."""
    batches = _batches(kind, year, scale, seed, batch_rows)
    return batches if not off else (switched_off(kind, b, off) for b in batches)


@dataclass(frozen=True)
class SimSummary:
    year: int
    scale: float
    seed: int
    dossiers: int  # dossiers received in the year (their ``received`` record is in it)
    dossier_events: int
    ndxp_events: int
    files: list[Path]


def _write_kind(kind: Kind, year: int, scale: float, seed: int, out_dir: Path, chunk_rows: int,
                tick: Callable[[int, int], None] | None, off: Mapping[str, datetime] | None = None
                ) -> tuple[list[Path], int, int]:
    """Write one kind's part files; returns (files, rows, dossiers received in the year)."""
    group = chunk_rows if chunk_rows <= 1 << 20 else -(-chunk_rows // -(-chunk_rows // (1 << 20)))
    folder = out_dir / kind
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part-*.parquet"):  # a re-run replaces, never mixes with, an earlier output
        old.unlink()
    files: list[Path] = []
    writer: pq.ParquetWriter | None = None
    part = in_file = total = received = 0
    path = folder / "part-00000.parquet"
    for batch in _batches(kind, year, scale, seed, group, tick):
        batch = switched_off(kind, batch, off or {})
        total += batch.num_rows
        if kind == "dossier":
            received += int(pc.sum(pc.equal(batch.column("status"), "received")).as_py() or 0)
        while batch.num_rows:
            if writer is None:
                path = folder / f"part-{part:05d}.parquet"
                writer = pq.ParquetWriter(path, SCHEMAS[kind], compression="snappy")
            take = min(batch.num_rows, chunk_rows - in_file)  # files hold exactly chunk_rows rows
            writer.write_batch(batch.slice(0, take))
            batch, in_file = batch.slice(take), in_file + take
            if in_file == chunk_rows:
                writer.close()
                files.append(path)
                writer, part, in_file = None, part + 1, 0
    if writer is not None:
        writer.close()
        files.append(path)
    elif part == 0:  # nothing at all (scale 0): an empty file keeps the layout readable
        pq.write_table(SCHEMAS[kind].empty_table(), path, compression="snappy")
        files.append(path)
    return files, total, received


_WORKER = "import sys; from chiso.simulate.nation import _worker_main; _worker_main(sys.argv[1:])"


def _worker_main(argv: Sequence[str]) -> None:
    """``python -c _WORKER KIND YEAR SCALE SEED OUT CHUNK``: one kind's files, for ``generate``.

    A plain subprocess rather than multiprocessing: nothing depends on how the caller's own main
    module is written. Progress goes to stdout as lines, the result as one JSON line at the end.
    """
    name, year, scale, seed, out, chunk, off = argv
    kinds: dict[str, Kind] = {"dossier": "dossier", "ndxp": "ndxp"}
    if name not in kinds:
        raise SystemExit(f"unknown kind {name}")
    kind = kinds[name]

    def tick(done: int, total: int) -> None:
        sys.stdout.write(f"progress {done} {total}\n")
        sys.stdout.flush()

    files, rows, received = _write_kind(kind, int(year), float(scale), int(seed), Path(out), int(chunk), tick,
                                        {u: datetime.fromisoformat(x) for u, x in json.loads(off).items()})
    sys.stdout.write("result " + json.dumps({"files": [str(f) for f in files], "rows": rows, "received": received})
                     + "\n")


def generate(year: int, scale: float, out_dir: Path, *, seed: int = 2024, progress: Progress | None = None,
             chunk_rows: int = 2_000_000, workers: int | None = None, off: Mapping[str, datetime] | None = None
             ) -> SimSummary:
    """Write ``out_dir/dossier/part-NNNNN.parquet`` and ``out_dir/ndxp/part-NNNNN.parquet`` (snappy).

    Files hold ``chunk_rows`` rows each (the last fewer), in row groups of at most about a million;
    memory stays bounded by a day's records plus the records of dossiers still in progress.
    ``progress(stage, done, total)`` reports the days of the year done, per stage ("dossier", "ndxp"),
    always from the calling thread. ``workers``: 2 writes the NDXP files in a second process (the
    default when the machine has two cores and the scale is 0.01 or more); the files are identical. ``off``: units
    switched off from a time (``switched_off``: no event of theirs from then on), to show a silent source.
    """
    off = dict(off or {})
    _check_args(year, scale)
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    out_dir = Path(out_dir)
    if workers is None:
        workers = 2 if (os.cpu_count() or 1) > 1 and scale >= 0.01 else 1
    results: dict[str, tuple[list[Path], int, int]] = {}

    def report(kind: str) -> Callable[[int, int], None] | None:
        return None if progress is None else (lambda done, total: progress(kind, done, total))

    if workers <= 1:
        kind: Kind
        for kind in ("dossier", "ndxp"):
            results[kind] = _write_kind(kind, year, scale, seed, out_dir, chunk_rows, report(kind), off)
    else:
        cmd = [sys.executable, "-c", _WORKER, "ndxp", str(year), repr(float(scale)), str(seed), str(out_dir),
               str(chunk_rows), json.dumps({u: x.isoformat() for u, x in off.items()})]
        # the child finds chiso where this process found it, however that was
        env = dict(os.environ)
        src = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(x for x in (src, env.get("PYTHONPATH", "")) if x)
        child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        lines: SimpleQueue[str | None] = SimpleQueue()
        err: list[str] = []

        def pump() -> None:  # the child's stdout, line by line, for the calling thread to read
            assert child.stdout is not None
            for line in child.stdout:
                lines.put(line)
            lines.put(None)

        readers = [threading.Thread(target=pump, daemon=True),
                   threading.Thread(target=lambda: err.extend(child.stderr or []), daemon=True)]
        for t in readers:
            t.start()
        done = False

        def drain(block: bool) -> None:
            nonlocal done
            while not done and (block or not lines.empty()):
                line = lines.get()
                if line is None:
                    done = True
                elif line.startswith("progress ") and progress is not None:
                    d, t = line.split()[1:3]
                    progress("ndxp", int(d), int(t))
                elif line.startswith("result "):
                    r = json.loads(line[7:])
                    results["ndxp"] = ([Path(f) for f in r["files"]], int(r["rows"]), int(r["received"]))

        try:
            own = report("dossier")

            def tick(d: int, t: int) -> None:
                if own is not None:
                    own(d, t)
                drain(block=False)

            results["dossier"] = _write_kind("dossier", year, scale, seed, out_dir, chunk_rows, tick, off)
            drain(block=True)
            code = child.wait()
            for t in readers:
                t.join()
            if code != 0 or "ndxp" not in results:
                raise RuntimeError(f"the NDXP worker failed (exit {code}):\n{''.join(err)[-4000:]}")
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    d_files, d_rows, received = results["dossier"]
    n_files, n_rows, _ = results["ndxp"]
    return SimSummary(year, scale, seed, received, d_rows, n_rows, d_files + n_files)

