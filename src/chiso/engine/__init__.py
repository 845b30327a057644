"""The engine: answers ``value(indicator, unit or group, period)`` and rankings from stored facts.

Pure over a ``ValueReader`` and an ``EventReader`` (the store implements both). The rules, in order
(docs/rules.md):

0. An event-derived indicator answers with the value computed from the kept event aggregates of every
   event in scope (unless it prefers reported values); other figures stay visible.
1. A group (khối bộ, khối tỉnh, the nation) is computed from its components when every component
   has what the indicator's kind needs (rates: numerator and denominator); otherwise a value
   published for the group stands; otherwise a partial computation is given with its coverage.
2. A unit's value for a period is the best value recorded for exactly that period; failing that,
   it is computed from sub-periods that tile the period (rates and counts), or, for stocks, ranks
   and scores, the latest value inside the period.
3. Among values recorded for the same key, ``prefer`` of the indicator orders reported and computed;
   then the source's authority (1 is highest), exact before approximate, with parts before without,
   and the most recently updated. The others stay visible as alternatives.

Rates are always recomputed from summed numerators and denominators, never averaged. Ranks and
scores are never combined over units.

The package, bottom up: ``answers`` (Figure, Answer, RankRow, and how a figure was rebased), ``structure``
(naming a unit structure, the one a period is shown in), ``rebase`` (moving figures into another structure),
this module (the ``Engine``), ``reading`` (the engine as every view asks it: snapshots, the "latest
sub-period" fallback, rankings) and ``latest`` (the latest period with data, the live year). None of them
imports the store, the web, the reports or the composition root.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date
from typing import Any, Protocol

from chiso.catalogue import Catalogue
from chiso.catalogue.measures import DAYS, EventIndicator
from chiso.catalogue.models import (
    Direction,
    Indicator,
    PeriodsRule,
    SourceDocument,
    Target,
    Unit,
    UnitsRule,
    UnitType,
)
from chiso.catalogue.periods import TILING_KINDS, Period, PeriodKind, parse_period
from chiso.catalogue.records import Origin, StoredValue
from chiso.engine import rebase as rb
from chiso.engine.answers import Answer, Figure, RankRow, Source, attainment, change, change_pct
from chiso.engine.answers import ratio as _ratio
from chiso.engine.structure import in_structure
from chiso.i18n import round_half_up


class ValueReader(Protocol):
    def values(
        self,
        *,
        indicator: str | None = ...,
        units: Collection[str] | None = ...,
        within: Period | None = ...,
        statuses: Collection[str] | None = ...,
    ) -> list[StoredValue]: ...

    def targets(
        self, *, indicator: str | None = ..., units: Collection[str] | None = ..., periods: Collection[str] | None = ...
    ) -> list[Target]: ...

    def sources(self) -> dict[str, SourceDocument]: ...


class EventReader(Protocol):
    """The kept event aggregates (``chiso.store.aggregates.EventBook`` implements it): ``by_unit`` per province,
    ministry or other unit (``event_agg``), ``by_unit_local`` per commune (``event_agg_local``)."""

    def by_unit(self, measure: str, units: Collection[str] | None, start: date | None, end: date) -> dict[str, int]: ...

    def by_unit_local(self, measure: str, communes: Collection[str], start: date | None,
                      end: date) -> dict[str, int]: ...

    def first_seen_by_unit(self, measure: str, units: Collection[str] | None, end: date) -> dict[str, int]: ...

    def days_with_data(self, measure: str, start: date, end: date) -> int: ...


class _Facts:
    """The stored values of one indicator for a set of units inside a window, indexed for the rules."""

    def __init__(self, values: Sequence[StoredValue]) -> None:
        self.by_key: dict[tuple[str, str], list[StoredValue]] = {}
        self.by_unit: dict[str, list[StoredValue]] = {}
        self.computed: dict[str, Figure | None] = {}  # figures from events, fetched ahead for rankings
        for v in values:
            self.by_key.setdefault((v.unit, v.period), []).append(v)
            self.by_unit.setdefault(v.unit, []).append(v)


class Engine:
    def __init__(
        self,
        catalogue: Catalogue,
        reader: ValueReader,
        events: EventReader | None = None,
        statuses: Collection[str] | None = ("approved",),
    ) -> None:
        self.catalogue = catalogue
        self.reader = reader
        self.events = events
        self.statuses = statuses  # published views read approved values only; None reads drafts too
        # The sources' authority orders competing values. An engine lives as long as a server, and sources change
        # under it (an import, an extract), so it is read again once per question that needs it (rule 3).
        self._asked = 0  # questions asked so far
        self._authority: tuple[int, dict[str, SourceDocument], dict[str, int]] | None = None
        self._communes: dict[str, list[str]] | None = None  # district → its communes (units whose parent it is)

    # public API -----------------------------------------------------------------------------
    def value(
        self,
        indicator: str | Indicator,
        unit: str | Unit,
        period: str | Period,
        *,
        compare: bool = True,
        structure: date | None = None,
        estimate: str | None = None,
    ) -> Answer:
        """``structure``: answer in the unit structure of that date (rebasing, ``chiso.engine.rebase``);
        ``estimate``: a basis indicator that may weight what cannot be combined exactly (said to be an estimate)."""
        self._asked += 1
        ind = indicator if not isinstance(indicator, str) else self.catalogue.indicator(indicator)
        p = parse_period(period)
        if structure is None:
            u = unit if isinstance(unit, Unit) else self.catalogue.unit(unit, on=p.end)
        else:
            asked = unit if isinstance(unit, Unit) else self.catalogue.unit(unit, on=structure)
            u = in_structure(self.catalogue, asked, structure)

        def ask(q: Period) -> Answer:
            if structure is None:
                return self._answer(ind, u, q)
            return self._answer_in(ind, u, q, structure, estimate)

        ans = ask(p)
        if compare:
            ans = replace(ans, previous=ask(p.previous()), last_year=ask(p.same_period_last_year()))
        return ans

    def series(
        self,
        indicator: str | Indicator,
        unit: str | Unit,
        periods: Sequence[str | Period],
        *,
        structure: date | None = None,
        estimate: str | None = None,
    ) -> list[Answer]:
        """One answer per period, all in one unit structure: ``structure``, by default the newest period's end.

        Periods before a change come rebased (their figure's ``rebase`` says from what); ``rebase.series_note``
        words it for a chart."""
        ind = indicator if not isinstance(indicator, str) else self.catalogue.indicator(indicator)
        ps = [parse_period(x) for x in periods]
        if not ps:
            return []
        s = structure or max(x.end for x in ps)
        return [self.value(ind, unit, x, compare=False, structure=s, estimate=estimate) for x in ps]

    def rank(
        self,
        indicator: str | Indicator,
        group: str | Unit,
        period: str | Period,
        *,
        structure: date | None = None,
        estimate: str | None = None,
    ) -> list[RankRow]:
        """Members of a group ordered best first; ties share a rank (1, 2, 2, 4); no data last.

        With ``structure``, the members are those of that date's structure, each with its rebased value."""
        self._asked += 1
        ind = indicator if not isinstance(indicator, str) else self.catalogue.indicator(indicator)
        p = parse_period(period)
        g = group if isinstance(group, Unit) else self.catalogue.unit(group, on=p.end)
        rows: list[tuple[Unit, Figure | None]] = []
        if structure is None:
            members = self.catalogue.components(g, p)
            facts = self._facts(ind, [m.code for m in members], p)
            facts.computed = self._computed_members(ind, members, p)
            for m in members:
                fig, _ = self._resolve(ind, m, p, facts, {})
                rows.append((m, fig))
        else:
            members = self.catalogue.components(g, Period.day(structure))
            got = self._in_structure(ind, members, p, structure, estimate)
            rows = [(m, got[m.code][0]) for m in members]
        sign = 1 if ind.direction is Direction.LOWER else -1
        # ties at the shown precision: each value rounded once
        with_value = [(round_half_up(f.value, ind.decimals), m, f)
                      for m, f in rows if f is not None and f.value is not None]
        without = [(m, f) for m, f in rows if f is None or f.value is None]
        with_value.sort(key=lambda kmf: (sign * float(kmf[0]), kmf[1].code))
        out: list[RankRow] = []
        prev_key: Any = None
        rank = 0
        for i, (key, m, f) in enumerate(with_value, start=1):
            if key != prev_key:
                rank, prev_key = i, key
            out.append(RankRow(m, f.value, rank, f))
        out.extend(RankRow(m, None, None, f) for m, f in sorted(without, key=lambda mf: mf[0].code))
        return out

    def best_per_key(self, values: Sequence[StoredValue]) -> list[StoredValue]:
        """One value per (indicator, unit, period): the one that would answer, by rule 3 of the module doc."""
        self._asked += 1
        by_key: dict[tuple[str, str, str], list[StoredValue]] = {}
        for v in values:
            by_key.setdefault((v.indicator, v.unit, v.period), []).append(v)
        out = []
        for (code, _, _), vs in by_key.items():
            ind = self.catalogue.indicators.get(code)
            out.append(self._order(ind, vs)[0] if ind is not None else vs[0])
        return out

    def _computed_members(self, ind: Indicator, members: Sequence[Unit], p: Period) -> dict[str, Figure | None]:
        """Each leaf member's computed figure with one aggregate query per measure (not one per member)."""
        ei = self.catalogue.event_indicators.get(ind.code)
        if ei is None or self.events is None or any(self.catalogue.components(m, p) for m in members):
            return {}
        if any(m.type is UnitType.DISTRICT for m in members):
            return {}  # a district is its communes' sum: each asked on its own
        codes = [m.code for m in members]
        plain = [m.code for m in members if m.type is not UnitType.COMMUNE]
        local = [m.code for m in members if m.type is UnitType.COMMUNE]

        def by(measure: str) -> dict[str, int]:
            assert self.events is not None
            if self.catalogue.measures[measure].agg == "first_seen":  # kept per province only
                return self.events.first_seen_by_unit(measure, plain, p.end) if plain or not local else {}
            start = None if ei.cumulative else p.start
            got = self.events.by_unit(measure, plain, start, p.end) if plain or not local else {}
            if local:
                got = {**got, **self.events.by_unit_local(measure, local, start, p.end)}
            return got

        out: dict[str, Figure | None] = dict.fromkeys(codes)
        if ei.value is not None:
            for c, v in by(ei.value).items():
                out[c] = Figure(float(v), source="computed", method="events")
            return out
        assert ei.numerator is not None and ei.denominator is not None
        nums = by(ei.numerator)
        if ei.denominator == DAYS:
            days = self.events.days_with_data(ei.numerator, p.start, p.end)
            dens = dict.fromkeys(nums, days)
        else:
            dens = by(ei.denominator)
        for c in codes:
            n, d = nums.get(c), dens.get(c)
            if d:
                out[c] = Figure(_ratio(n or 0, d, ind), float(n or 0), float(d), "computed", method="events")
        return out

    def target(self, ind: Indicator, unit: Unit, period: Period) -> Target | None:
        """The target for exactly the period, else for its year."""
        wanted = [str(period)]
        if period.kind is not PeriodKind.YEAR:
            wanted.append(str(period.year_period()))
        found = {t.period: t for t in self.reader.targets(indicator=ind.code, units=[unit.code], periods=wanted)}
        for w in wanted:
            if w in found:
                return found[w]
        return None

    # events -----------------------------------------------------------------------------------
    def _event_scope(self, unit: Unit, p: Period) -> list[str] | None:
        """The leaf units whose events make this unit's figure; None for the nation (every event)."""
        if unit.type is UnitType.NATION:
            return None
        leaves, todo = [], [unit]
        while todo:
            u = todo.pop()
            comps = self.catalogue.components(u, p)
            if comps:
                todo.extend(comps)
            else:
                leaves.append(u.code)
        return leaves

    def _local_scope(self, units: list[str] | None) -> tuple[list[str] | None, list[str]]:
        """(the units read from the province aggregates, the communes read from the per-commune ones): a commune
        is its own; a district (2024) is its communes'."""
        if units is None:
            return None, []
        plain: list[str] = []
        local: list[str] = []
        for c in units:
            u = self.catalogue.units.get(c)
            if u is None or not u.is_local:
                plain.append(c)
            elif u.type is UnitType.COMMUNE:
                local.append(c)
            else:
                local.extend(self._communes_of(c))
        return plain, local

    def _communes_of(self, district: str) -> list[str]:
        if self._communes is None:
            found: dict[str, list[str]] = {}
            for u in self.catalogue.units.values():
                if u.type is UnitType.COMMUNE and u.parent is not None:
                    found.setdefault(u.parent, []).append(u.code)
            self._communes = found
        return self._communes.get(district, [])

    def _sum(self, measure: str, ei: EventIndicator, units: list[str] | None, p: Period) -> int | None:
        """A measure over the units' events. A province, a ministry, a bloc, the nation: one query on the province
        aggregates, as ever; communes and districts: the per-commune ones (first_seen measures are kept per province
        only, so a commune has none)."""
        assert self.events is not None
        m = self.catalogue.measures[measure]
        plain, local = self._local_scope(units)
        read_plain = plain is None or bool(plain) or not local
        start = None if ei.cumulative else p.start
        if m.agg == "first_seen":
            got = self.events.first_seen_by_unit(measure, plain, p.end) if read_plain else {}
        else:
            got = self.events.by_unit(measure, plain, start, p.end) if read_plain else {}
            if local:
                got = {**got, **self.events.by_unit_local(measure, local, start, p.end)}
        return sum(got.values()) if got else None

    def computed(self, ind: Indicator, unit: Unit, p: Period) -> Figure | None:
        """The figure computed from the kept event aggregates, or None without events in scope."""
        ei = self.catalogue.event_indicators.get(ind.code)
        if ei is None or self.events is None:
            return None
        units = self._event_scope(unit, p)
        if ei.value is not None:
            v = self._sum(ei.value, ei, units, p)
            return None if v is None else Figure(float(v), source="computed", method="events")
        assert ei.numerator is not None and ei.denominator is not None
        num = self._sum(ei.numerator, ei, units, p)
        if ei.denominator == DAYS:
            if num is None:
                return None
            den: int | None = self.events.days_with_data(ei.numerator, p.start, p.end)
        else:
            den = self._sum(ei.denominator, ei, units, p)
            num = num or 0  # dossiers received, none of them online: 0%, as the ranking says
        if not den:
            return None
        return Figure(_ratio(num, den, ind), float(num), float(den), "computed", method="events")

    # structures -------------------------------------------------------------------------------
    def _answer_in(self, ind: Indicator, unit: Unit, p: Period, structure: date, estimate: str | None) -> Answer:
        if unit.is_group:
            return self._answer(ind, unit, p)  # a bloc's total is the same data in any structure
        fig, alts = self._in_structure(ind, [unit], p, structure, estimate)[unit.code]
        return Answer(ind, unit, p, fig, self.target(ind, unit, p), tuple(alts))

    def _in_structure(
        self, ind: Indicator, units: Sequence[Unit], p: Period, structure: date, estimate: str | None
    ) -> dict[str, tuple[Figure | None, list[Figure]]]:
        """Each unit's figure for ``p`` in the structure of ``structure``, with one fetch of stored values."""
        basis = None
        if estimate is not None:
            basis = self.catalogue.indicator(estimate)
            rb.check_basis(basis)
        as_of = ind.periods_rule is PeriodsRule.LATEST
        plans = {u.code: rb.contributions(self.catalogue, u, p, structure, as_of=as_of) for u in units}
        plain = {u.code for u in units if rb.is_plain(u, plans[u.code], p, structure)}  # nothing to rebase
        leaves = {x.unit.code: x.unit for parts in plans.values() for x in parts}
        leaves.update({u.code: u for u in units if u.code in plain})
        facts = self._facts(ind, [c for u in leaves.values() for c in self.closure(u, p)], p)
        whole_period = [
            u
            for u in leaves.values()
            if all(x.period is None for ps in plans.values() for x in ps if x.unit.code == u.code)
        ]
        facts.computed = self._computed_members(ind, whole_period, p)  # keyed by unit: only for the whole period
        memo: dict[tuple[str, str], Any] = {}

        def figure_of(x: rb.Part) -> Figure | None:
            return self._resolve(ind, x.unit, x.period or p, facts, memo)[0]

        basis_facts: _Facts | None = None
        basis_memo: dict[tuple[str, str], Any] = {}

        def basis_of(x: rb.Part) -> Figure | None:
            nonlocal basis_facts
            assert basis is not None
            if basis_facts is None:
                basis_facts = self._facts(basis, list(leaves), p)
            return self._resolve(basis, x.unit, x.period or p, basis_facts, basis_memo)[0]

        out: dict[str, tuple[Figure | None, list[Figure]]] = {}
        for u in units:
            parts = plans[u.code]
            if u.code in plain:
                out[u.code] = self._resolve(ind, u, p, facts, memo)
            else:
                out[u.code] = (rb.combine(ind, self.catalogue, u, p, structure, parts, figure_of, basis, basis_of), [])
        return out

    # rules ------------------------------------------------------------------------------------
    def _answer(self, ind: Indicator, unit: Unit, p: Period) -> Answer:
        codes = self.closure(unit, p)
        facts = self._facts(ind, codes, p)
        fig, alts = self._resolve(ind, unit, p, facts, {})
        return Answer(ind, unit, p, fig, self.target(ind, unit, p), tuple(alts))

    def closure(self, unit: Unit, p: Period) -> list[str]:
        """The unit and everything its figure can be made of, in the structure at the period's end."""
        out, todo = [], [unit]
        while todo:
            u = todo.pop()
            out.append(u.code)
            todo.extend(self.catalogue.components(u, p))
        return out

    def _facts(self, ind: Indicator, units: Sequence[str], p: Period) -> _Facts:
        return _Facts(self.reader.values(indicator=ind.code, units=set(units), within=p, statuses=self.statuses))

    def _authority_of(self, source: str) -> int:
        got = self._authority
        if got is None or got[0] != self._asked:
            docs = self.reader.sources()  # a page's snapshot gives the same dict back: nothing to rebuild
            if got is None or docs is not got[1]:
                got = (self._asked, docs, {k: d.authority for k, d in docs.items()})
            else:
                got = (self._asked, got[1], got[2])
            self._authority = got
        return got[2].get(source, 5)

    def _order(self, ind: Indicator, values: Sequence[StoredValue]) -> list[StoredValue]:
        if len(values) < 2:
            return list(values)  # nothing to order: spares reading the sources' authority
        first = self.catalogue.prefer(ind)
        origins = ["reported", "computed"] if first == "reported" else ["computed", "reported"]
        return sorted(
            values,
            key=lambda v: (
                origins.index(v.origin.value) if v.origin.value in origins else 9,
                self._authority_of(v.source),
                v.approximate,
                v.numerator is None or v.denominator is None,
                -v.updated_at.timestamp(),
                v.id,
            ),
        )

    def _figure(self, v: StoredValue) -> Figure:
        return Figure(
            value=v.value,
            numerator=v.numerator,
            denominator=v.denominator,
            source="computed" if v.origin is Origin.COMPUTED else "reported",
            approximate=v.approximate,
            period=v.period,
            document=v.source,
            paragraph=v.paragraph,
            qualifier=v.qualifier,
            stored_id=v.id,
        )

    def _resolve(
        self,
        ind: Indicator,
        unit: Unit,
        p: Period,
        facts: _Facts,
        memo: dict[tuple[str, str], Any],
        events: bool = True,
    ) -> tuple[Figure | None, list[Figure]]:
        """``events=False`` when an enclosing unit or period already found no events: none can be inside."""
        key = (unit.code, str(p))
        if key in memo:
            return memo[key]  # type: ignore[no-any-return]
        memo[key] = (None, [])  # guards against cycles in odd hierarchies
        direct = [self._figure(v) for v in self._order(ind, facts.by_key.get(key, []))]
        if unit.code in facts.computed:
            ev = facts.computed[unit.code]
        else:
            ev = self.computed(ind, unit, p) if events else None
        events = events and ev is not None
        if ev is not None:
            direct = [ev, *direct] if self.catalogue.prefer(ind) == "computed" else [*direct, ev]
        comps = self.catalogue.components(unit, p)
        result: tuple[Figure | None, list[Figure]]
        if comps and ev is not None and direct[0] is ev:
            result = (ev, direct[1:])  # measured from every event in scope: complete by construction
        elif comps:
            agg = self._over_units(ind, comps, p, facts, memo, events)
            if agg is not None and agg.complete:
                result = (agg, direct)
            else:
                partial = [agg] if agg is not None and agg.value is not None else []
                if direct:
                    result = (direct[0], direct[1:] + partial)
                else:
                    own = self._over_periods(ind, unit, p, facts, memo, events)
                    result = (own, partial) if own is not None else (partial[0] if partial else None, [])
        elif direct:
            result = (direct[0], direct[1:])
        else:
            result = (self._over_periods(ind, unit, p, facts, memo, events), [])
        memo[key] = result
        return result

    def _over_units(
        self,
        ind: Indicator,
        comps: Sequence[Unit],
        p: Period,
        facts: _Facts,
        memo: dict[tuple[str, str], Any],
        events: bool = True,
    ) -> Figure | None:
        rule = ind.units_rule
        if rule is UnitsRule.NONE:
            return None
        figs = [(c, self._resolve(ind, c, p, facts, memo, events)[0]) for c in comps]
        with_data = [(c, f) for c, f in figs if f is not None and f.value is not None]
        if not with_data:
            return None
        approx = any(f.approximate for _, f in with_data)
        if rule is UnitsRule.RATIO:
            usable = [(c, f) for c, f in with_data if f.numerator is not None and f.denominator is not None]
            missing = tuple(c.code for c, f in figs if f is None or f.numerator is None or f.denominator is None)
            if not usable:
                return Figure(
                    None,
                    source="aggregated",
                    method="members",
                    coverage=(0, len(comps)),
                    complete=False,
                    missing=missing,
                )
            num = sum(f.numerator for _, f in usable)  # type: ignore[misc]
            den = sum(f.denominator for _, f in usable)  # type: ignore[misc]
            return Figure(
                _ratio(num, den, ind),
                num,
                den,
                "aggregated",
                approx,
                method="members",
                coverage=(len(usable), len(comps)),
                complete=not missing,
                missing=missing,
            )
        missing = tuple(c.code for c, f in figs if f is None or f.value is None)
        total = sum(f.value for _, f in with_data)  # type: ignore[misc]
        return Figure(
            float(round_half_up(total, max(ind.decimals, 6))),
            source="aggregated",
            approximate=approx,
            method="members",
            coverage=(len(with_data), len(comps)),
            complete=not missing,
            missing=missing,
        )

    def _over_periods(
        self,
        ind: Indicator,
        unit: Unit,
        p: Period,
        facts: _Facts,
        memo: dict[tuple[str, str], Any],
        events: bool = True,
    ) -> Figure | None:
        rule = ind.periods_rule
        if rule is PeriodsRule.NONE:
            return None
        if not events and not any(p.contains(Period.parse(v.period)) for v in facts.by_unit.get(unit.code, [])):
            return None  # nothing stored inside the period and no events: no tiling can succeed
        if rule is PeriodsRule.LATEST:
            inside = [v for v in facts.by_unit.get(unit.code, []) if p.contains(Period.parse(v.period))]
            if not inside:
                return None
            latest_end = max(Period.parse(v.period).end for v in inside)
            at_end = [v for v in inside if Period.parse(v.period).end == latest_end]
            best = self._order(ind, at_end)[0]
            return replace(self._figure(best), method="latest")
        stored = [Period.parse(v.period) for c in self.closure(unit, p) for v in facts.by_unit.get(c, [])]
        for kind in TILING_KINDS:
            subs = p.subperiods(kind)
            if not subs:
                continue
            if not events and not all(any(sp.contains(s) for s in stored) for sp in subs):
                continue  # a sub-period with nothing stored inside cannot be computed: skip the whole tiling
            figs = [self._resolve(ind, unit, sp, facts, memo, events)[0] for sp in subs]
            if any(f is None or f.value is None for f in figs):
                continue
            approx = any(f.approximate for f in figs)  # type: ignore[union-attr]
            if rule is PeriodsRule.RATIO:
                if any(f.numerator is None or f.denominator is None for f in figs):  # type: ignore[union-attr]
                    continue
                num = sum(f.numerator for f in figs)  # type: ignore[misc, union-attr]
                den = sum(f.denominator for f in figs)  # type: ignore[misc, union-attr]
                return Figure(
                    _ratio(num, den, ind),
                    num,
                    den,
                    "aggregated",
                    approx,
                    method="sub-periods",
                    coverage=(len(subs), len(subs)),
                    note=kind.value,
                )
            total = sum(f.value for f in figs)  # type: ignore[misc, union-attr]
            return Figure(
                float(round_half_up(total, max(ind.decimals, 6))),
                source="aggregated",
                approximate=approx,
                method="sub-periods",
                coverage=(len(subs), len(subs)),
                note=kind.value,
            )
        return None


__all__ = [
    "Answer",
    "Engine",
    "EventReader",
    "Figure",
    "RankRow",
    "Source",
    "ValueReader",
    "attainment",
    "change",
    "change_pct",
]
