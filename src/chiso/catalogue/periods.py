"""Periods of the framework contract: parsing, containment, previous period, same period last year.

Forms: ``2024`` (year), ``2024S1`` (half), ``2024Q3`` (quarter), ``2024-04`` (month),
``2024-W15`` (ISO week), ``2024-04-15`` (day), ``2024-01..2024-09`` (span of months).
A period is a closed date interval with a kind; two periods of any kinds compare by their dates.

Any period parses (stored data is read back whatever its years), but a figure coming in must lie within the
framework's years, ``YEARS`` (``within_years``, ``check_year``): 1900Q1 or 2999 is a slip, not a period.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import total_ordering

from chiso.errors import UnknownPeriodError


class PeriodKind(StrEnum):
    YEAR = "year"
    HALF = "half"
    QUARTER = "quarter"
    MONTH = "month"
    WEEK = "week"
    DAY = "day"
    SPAN = "span"  # a run of whole months


# Coarse to fine: the order in which sub-period tilings are tried.
TILING_KINDS = (PeriodKind.HALF, PeriodKind.QUARTER, PeriodKind.MONTH, PeriodKind.DAY)

_YEAR = re.compile(r"^(\d{4})$")
_HALF = re.compile(r"^(\d{4})S([12])$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_SPAN = re.compile(r"^(\d{4})-(\d{2})\.\.(\d{4})-(\d{2})$")

# The years a period of a figure coming in may cover, first and last inclusive.
YEARS = (2000, 2100)

EXAMPLES = ["2024", "2024S1", "2024Q3", "2024-04", "2024-W15", "2024-04-15", "2024-01..2024-09"]


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _add_months(y: int, m: int, n: int) -> tuple[int, int]:
    k = y * 12 + (m - 1) + n
    return k // 12, k % 12 + 1


@total_ordering
@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: date
    end: date  # inclusive

    # construction -------------------------------------------------------
    @staticmethod
    def parse(text: str) -> Period:
        s = str(text).strip().upper().replace("–", "..")
        try:
            if m := _YEAR.match(s):
                return Period.year(int(m[1]))
            if m := _HALF.match(s):
                return Period.half(int(m[1]), int(m[2]))
            if m := _QUARTER.match(s):
                return Period.quarter(int(m[1]), int(m[2]))
            if m := _MONTH.match(s):
                return Period.month(int(m[1]), int(m[2]))
            if m := _WEEK.match(s):
                return Period.week(int(m[1]), int(m[2]))
            if m := _DAY.match(s):
                d = date(int(m[1]), int(m[2]), int(m[3]))
                return Period(PeriodKind.DAY, d, d)
            if m := _SPAN.match(s):
                return Period.span(int(m[1]), int(m[2]), int(m[3]), int(m[4]))
        except ValueError as exc:
            raise UnknownPeriodError(str(text), EXAMPLES, detail=str(exc)) from None
        raise UnknownPeriodError(str(text), EXAMPLES, detail="expected one of the contract's forms")

    @staticmethod
    def year(y: int) -> Period:
        return Period(PeriodKind.YEAR, date(y, 1, 1), date(y, 12, 31))

    @staticmethod
    def half(y: int, h: int) -> Period:
        if h not in (1, 2):
            raise ValueError(f"half-year must be 1 or 2, not {h}")
        return Period(PeriodKind.HALF, date(y, 6 * h - 5, 1), _month_end(y, 6 * h))

    @staticmethod
    def quarter(y: int, q: int) -> Period:
        if not 1 <= q <= 4:
            raise ValueError(f"quarter must be 1 to 4, not {q}")
        return Period(PeriodKind.QUARTER, date(y, 3 * q - 2, 1), _month_end(y, 3 * q))

    @staticmethod
    def month(y: int, m: int) -> Period:
        if not 1 <= m <= 12:
            raise ValueError(f"month must be 01 to 12, not {m:02d}")
        return Period(PeriodKind.MONTH, date(y, m, 1), _month_end(y, m))

    @staticmethod
    def week(y: int, w: int) -> Period:
        start = date.fromisocalendar(y, w, 1)  # raises for week 53 in a 52-week year
        return Period(PeriodKind.WEEK, start, start + timedelta(days=6))

    @staticmethod
    def day(d: date) -> Period:
        return Period(PeriodKind.DAY, d, d)

    @staticmethod
    def containing(kind: PeriodKind, d: date) -> Period:
        """The period of ``kind`` that holds the day ``d`` (a span is taken as its month)."""
        if kind is PeriodKind.YEAR:
            return Period.year(d.year)
        if kind is PeriodKind.HALF:
            return Period.half(d.year, 1 if d.month <= 6 else 2)
        if kind is PeriodKind.QUARTER:
            return Period.quarter(d.year, (d.month - 1) // 3 + 1)
        if kind is PeriodKind.WEEK:
            iy, iw, _ = d.isocalendar()
            return Period.week(iy, iw)
        if kind is PeriodKind.DAY:
            return Period.day(d)
        return Period.month(d.year, d.month)

    @staticmethod
    def span(y1: int, m1: int, y2: int, m2: int) -> Period:
        if not (1 <= m1 <= 12 and 1 <= m2 <= 12):
            raise ValueError("months must be 01 to 12")
        if (y2, m2) < (y1, m1):
            raise ValueError("a span must not end before it starts")
        if (y1, m1) == (y2, m2):
            return Period.month(y1, m1)
        return Period(PeriodKind.SPAN, date(y1, m1, 1), _month_end(y2, m2))

    # naming -------------------------------------------------------------
    def __str__(self) -> str:
        s, k = self.start, self.kind
        if k is PeriodKind.YEAR:
            return f"{s.year}"
        if k is PeriodKind.HALF:
            return f"{s.year}S{1 if s.month == 1 else 2}"
        if k is PeriodKind.QUARTER:
            return f"{s.year}Q{(s.month - 1) // 3 + 1}"
        if k is PeriodKind.MONTH:
            return f"{s.year}-{s.month:02d}"
        if k is PeriodKind.WEEK:
            iy, iw, _ = s.isocalendar()
            return f"{iy}-W{iw:02d}"
        if k is PeriodKind.DAY:
            return s.isoformat()
        return f"{s.year}-{s.month:02d}..{self.end.year}-{self.end.month:02d}"

    def __repr__(self) -> str:
        return f"Period({str(self)!r})"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return (self.start, self.end) < (other.start, other.end)

    # relations ----------------------------------------------------------
    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end

    def contains_date(self, d: date) -> bool:
        return self.start <= d <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def months(self) -> int:
        """Whole months covered (0 for weeks and days that are not whole months)."""
        if self.kind in (PeriodKind.WEEK, PeriodKind.DAY):
            return 0
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    @property
    def year_number(self) -> int:
        return self.start.year

    def shift(self, n: int) -> Period:
        """The period n steps later (earlier for negative n) of the same kind and length."""
        k = self.kind
        if k is PeriodKind.DAY:
            d = self.start + timedelta(days=n)
            return Period(k, d, d)
        if k is PeriodKind.WEEK:
            s = self.start + timedelta(weeks=n)
            return Period(k, s, s + timedelta(days=6))
        step = {PeriodKind.YEAR: 12, PeriodKind.HALF: 6, PeriodKind.QUARTER: 3, PeriodKind.MONTH: 1}.get(k)
        if step is None:  # span: shift by its own length
            step = self.months
        y, m = _add_months(self.start.year, self.start.month, n * step)
        ey, em = _add_months(self.end.year, self.end.month, n * step)
        return Period(k, date(y, m, 1), _month_end(ey, em))

    def previous(self) -> Period:
        return self.shift(-1)

    def same_period_last_year(self) -> Period:
        k = self.kind
        if k is PeriodKind.DAY:
            try:
                d = self.start.replace(year=self.start.year - 1)
            except ValueError:  # 29 February
                d = date(self.start.year - 1, 2, 28)
            return Period(k, d, d)
        if k is PeriodKind.WEEK:
            iy, iw, _ = self.start.isocalendar()
            if iw == 53 and date(iy - 1, 12, 28).isocalendar()[1] < 53:
                iw = 52
            return Period.week(iy - 1, iw)
        y, m = _add_months(self.start.year, self.start.month, -12)
        ey, em = _add_months(self.end.year, self.end.month, -12)
        return Period(k, date(y, m, 1), _month_end(ey, em))

    def year_period(self) -> Period:
        return Period.year(self.start.year)

    def subperiods(self, kind: PeriodKind) -> list[Period]:
        """The periods of ``kind`` that tile this one exactly, or [] when they cannot."""
        out: list[Period] = []
        if kind is PeriodKind.DAY:
            return [Period.day(self.start + timedelta(days=i)) for i in range(self.days)]
        if self.kind in (PeriodKind.WEEK, PeriodKind.DAY):
            return []
        size = {PeriodKind.HALF: 6, PeriodKind.QUARTER: 3, PeriodKind.MONTH: 1}.get(kind)
        if size is None or self.months <= size:
            return []
        first = self.start.month - 1
        if first % size or self.months % size:
            return []
        y, m = self.start.year, self.start.month
        for _ in range(self.months // size):
            if kind is PeriodKind.MONTH:
                out.append(Period.month(y, m))
            elif kind is PeriodKind.QUARTER:
                out.append(Period.quarter(y, (m - 1) // 3 + 1))
            else:
                out.append(Period.half(y, (m - 1) // 6 + 1))
            y, m = _add_months(y, m, size)
        return out


def parse_period(text: str | Period) -> Period:
    return text if isinstance(text, Period) else Period.parse(text)


def within_years(p: Period) -> bool:
    """Whether ``p`` lies wholly within the framework's years (``YEARS``)."""
    return YEARS[0] <= p.start.year and p.end.year <= YEARS[1]


def check_year(p: Period) -> Period:
    """``p`` when it lies within ``YEARS``; UnknownPeriodError, saying why, otherwise (input: forms, imports)."""
    if not within_years(p):
        raise UnknownPeriodError(str(p), EXAMPLES, detail=f"outside the years {YEARS[0]}–{YEARS[1]}")
    return p
