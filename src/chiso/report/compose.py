"""Compose a written report from the engine's answers, following a report template (spec).

Pure over the engine: every figure comes from ``Engine.value`` or ``Engine.rank``, and every number written
is a ``Run`` carrying the ``Stated`` figure behind it. An indicator without data for the period is not
written about: its section lists it once as without data. Nothing is invented, nothing is written as 0
for want of data, and a partial group figure is given only with its coverage.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import cast

from chiso.catalogue.indices import IndexDef
from chiso.catalogue.models import PILLAR_NAMES, Direction, Indicator, Pillar, Text, Unit, UnitType
from chiso.catalogue.names import fold
from chiso.catalogue.periods import Period, PeriodKind, parse_period
from chiso.engine import Answer, Engine, Figure, RankRow, change, change_pct, outlook
from chiso.engine.foresight import Foresight, Projection
from chiso.engine.indices import GroupScore, IndexScorer, UnitScore
from chiso.engine.robustness import analyse
from chiso.engine.structure import shown_structure
from chiso.errors import ChisoError, IndexScoreError, UnknownUnitError
from chiso.i18n import fmt_number, round_half_up, shown_value
from chiso.i18n import t as message
from chiso.report.document import (
    Block,
    Chart,
    ChartLine,
    Heading,
    Paragraph,
    Report,
    Role,
    Run,
    Section,
    Stated,
    Style,
    Table,
)
from chiso.report.foresight_text import level_name
from chiso.report.foresight_text import parts as foresight_parts
from chiso.report.index_text import fmt_index, fmt_share, index_name, rules_applied, say
from chiso.report.phrasing import (
    Phraser,
    Piece,
    capitalise,
    fmt_date,
    fmt_figure,
    fmt_percent,
    fmt_points,
    fmt_times,
    join_list,
    period_label,
    period_name,
    qualify,
    report_kind,
    sentence_name,
    slug,
    tidy,
    unit_word,
)
from chiso.report.specs import BLOCS, UNIT, IndexEntry, Item, Ranking, ReportSpec, Series, is_province
from chiso.report.specs import Section as SectionSpec

__all__ = ["compose"]

NATION = "VN"
_MAX_NAMED_BEHIND = 5  # name the units behind target when they are this few; count them otherwise


def compose(
    engine: Engine,
    spec: ReportSpec,
    period: str | Period,
    *,
    lang: str = "vi",
    generated_at: datetime | None = None,
    structure: date | None = None,
    unit: Unit | None = None,
) -> Report:
    """The report of ``period`` written from ``spec``, in ``lang`` ("vi" or "en").

    ``unit``: the province a province's spec (``scope: province``) is written about: its figures beside the
    nation's and its bloc's, its communes ranked; a national spec takes none.

    ``structure``: the date whose organisation of units the reader asked for: rankings list that date's
    members, rebased (docs/rules.md section 4), and the notes say so. By default a period is reported in the
    structure valid at its end: after a change, the new units; across one (2025, 2025S1), rebased.
    """
    p = parse_period(period)
    if (spec.scope == "province") != (unit is not None):
        raise ChisoError(
            f"report template {spec.id!r} is of scope {spec.scope!r}: "
            + ("it needs the province it is about" if unit is None else "it takes no unit")
        )
    if unit is not None and not is_province(unit):
        raise ChisoError(f"a province's report is about a province, not {unit.code} ({unit.name})")
    c = _Composer(engine, spec, p, "en" if lang == "en" else "vi", structure, unit)
    sections = [c.summary(), *(c.section(s) for s in spec.sections)]
    ahead = c.foresight()
    if ahead is not None:
        sections.append(ahead)
    annex = c.annex()
    if annex is not None:
        sections.append(annex)
    if c.tables:
        sections.append(Section("annex_ranking", c.label("ranking_annex"), tuple(c.tables)))
    draft = Report(
        id=spec.report_id.format(slug=slug(p), unit=c.subject_slug),
        template=spec.id,
        period=str(p),
        kind=report_kind(p),
        lang=c.lang,
        title=c.fill(spec.title),
        subtitle=c.fill(spec.subtitle),
        issuer=c.fill(spec.issuer) if c.province else spec.issuer.get(c.lang),
        generated_at=generated_at or datetime.now().astimezone(),
        sections=tuple(sections),
        missing=tuple(dict.fromkeys(c.missing)),
    )
    figures = draft.figures()
    return replace(draft, sources=c.sources(figures), notes=c.notes(figures, structure))


def _ok(a: Answer | None) -> bool:
    """A complete figure with a value: what may be stated as the unit's value."""
    return a is not None and a.figure is not None and a.figure.value is not None and a.figure.complete


def _partial(a: Answer | None) -> bool:
    f = a.figure if a is not None else None
    return f is not None and f.value is not None and not f.complete and f.coverage is not None and f.coverage[0] > 0


def _covering(periods: Sequence[Period]) -> Period:
    """The period a chart's series spans: "năm 2024" for its twelve months, "9 tháng năm 2024" for nine."""
    start, end = periods[0].start, periods[-1].end
    for kind in (PeriodKind.YEAR, PeriodKind.HALF, PeriodKind.QUARTER, PeriodKind.MONTH):
        p = Period.containing(kind, start)
        if p.start == start and p.end == end:
            return p
    if start.day == 1:
        return Period.span(start.year, start.month, end.year, end.month)
    return Period(PeriodKind.SPAN, start, end)


@dataclass(frozen=True)
class _Said:
    """A stated figure's provenance, for the report's sources and notes."""

    document: str | None
    computed: bool


class _Composer:
    def __init__(
        self,
        engine: Engine,
        spec: ReportSpec,
        period: Period,
        lang: str,
        structure: date | None = None,
        unit: Unit | None = None,
    ) -> None:
        self.e = engine
        self.cat = engine.catalogue
        self.spec = spec
        self.p = period
        self.structure = shown_structure(engine.catalogue, period, structure)
        self.rebased: dict[str, set[date]] = {}  # group -> the days of the changes its stated figures crossed
        self.lang = lang
        # the unit the report is about: the nation, or the province of a province's report
        self.province = unit is not None
        self.subject = unit.code if unit is not None else NATION
        self.tables: list[Table] = []  # rankings' full tables, for their annex
        self._group_keys: dict[str, str] = {}  # a province's group ("P48.communes") -> its spec key ("{unit}.communes")
        self.ph = Phraser(spec.wording, lang)
        self.pname = period_name(period, lang)
        self.missing: list[str] = []
        self.foresight_said = False  # the report carries year-end projections: the notes say how they are made
        self._answers: dict[tuple[str, str, str], Answer] = {}
        self._said: dict[tuple[str, str, str, str], _Said] = {}
        self._titles: dict[str, str] | None = None
        self._scorer: IndexScorer | None = None
        in_sections = {i.code for s in spec.sections for i in s.indicators}
        # the summary names an indicator as its section does, unless it says otherwise
        self._labels = {i.code: i.label for i in spec.items() if i.label is not None}
        self._summary_only = [i for i in spec.summary.indicators if i.code not in in_sections]

    # --- small helpers -------------------------------------------------------------------------------------
    def t(self, text: Text) -> str:
        return text.get(self.lang)

    def label(self, key: str, **fields: str) -> str:
        return self.spec.labels[key].get(self.lang).format(**fields)

    @property
    def subject_name(self) -> str:
        """How sentences name the report's unit: "Việt Nam", "Đà Nẵng"."""
        if not self.province:
            return self.label("nation")
        return self.unit_name(self.cat.units[self.subject])

    @property
    def subject_slug(self) -> str:
        """The report's unit in its file names ("da-nang"); empty for the nation."""
        if not self.province:
            return ""
        return re.sub(r"[^a-z0-9]+", "-", fold(self.cat.units[self.subject].short).lower()).strip("-")

    def fill(self, text: Text) -> str:
        u = self.cat.units[self.subject]
        full = (u.name_en or u.name) if self.lang == "en" else u.name  # "Thành phố Đà Nẵng" in a title
        return text.get(self.lang).format(
            period=self.pname,
            start=fmt_date(self.p.start, self.lang),
            end=fmt_date(self.p.end, self.lang),
            unit=full if self.province else self.label("nation"),
        )

    def group_code(self, group: str) -> str:
        """A spec's group as a unit code: ``{unit}.communes`` is the province's communes."""
        if UNIT not in group:
            return group
        code = group.replace(UNIT, self.subject)
        self._group_keys[code] = group
        return code

    def answer(self, ind: Indicator, unit: str, period: Period | None = None) -> Answer:
        """``Engine.value`` with its comparisons, asked only when there is a value to compare (most units of
        most indicators have none: one question instead of three)."""
        p = period or self.p
        key = (ind.code, unit, str(p))
        if key not in self._answers:
            a = self.e.value(ind, unit, p, compare=False)
            if a.value is not None:
                prev, last = p.previous(), p.same_period_last_year()
                before = self.e.value(ind, unit, prev, compare=False)
                same = before if last == prev else self.e.value(ind, unit, last, compare=False)
                a = replace(a, previous=before, last_year=same)
            self._answers[key] = a
        return self._answers[key]

    def name(self, ind: Indicator, item: Item | None = None) -> str:
        label = item.label if item is not None and item.label else self._labels.get(ind.code)
        return sentence_name(self.t(label or ind.name), self.lang)

    def unit_name(self, u: Unit) -> str:
        if u.type is UnitType.COMMUNE or u.type is UnitType.DISTRICT:
            # "phường Hòa Hiệp Bắc", "xã Hòa Phú": the official word written small, as in running text
            word = u.local_type or ""
            if self.lang == "en" or not word or not u.name.lower().startswith(word.lower() + " "):
                return u.name_en or u.name
            return word.lower() + u.name[len(word) :]
        if self.lang == "en":
            return u.name_en or u.short
        return u.name if u.is_ministry else u.short

    def group_words(self, group: str) -> tuple[str, str]:
        """("khối tỉnh", "địa phương") for a group code."""
        w = self.spec.groups.get(group) or self.spec.groups.get(self._group_keys.get(group, ""))
        if w is not None:
            return self.t(w.name), self.t(w.members)
        u = self.cat.units[group]
        return sentence_name(self.unit_name(u), self.lang), sentence_name(self.unit_name(u), self.lang)

    def scope_name(self, unit: str) -> str:
        if unit == NATION:
            return self.label("nation_scope")
        u = self.cat.units[unit]
        if not u.is_group:
            return capitalise(self.unit_name(u))
        return capitalise(self.group_words(unit)[0])

    def source_title(self, doc: str) -> str:
        if self._titles is None:
            self._titles = {k: d.title for k, d in self.e.reader.sources().items()}
        return self._titles.get(doc, doc)

    # --- figures as runs ------------------------------------------------------------------------------------
    def stated(
        self,
        ind: Indicator,
        unit: str,
        period: Period,
        value: float,
        role: Role,
        text: str,
        decimals: int,
        approximate: bool = False,
    ) -> Run:
        return Run(text, Stated(text, float(value), ind.code, unit, str(period), role, decimals, approximate))

    def value_run(self, ind: Indicator, unit: str, period: Period, fig: Figure, role: Role = "value") -> Run:
        assert fig.value is not None
        text = fmt_figure(ind, fig.value, self.lang, self.spec.units)
        if fig.approximate:
            shown = shown_value(fig.value, ind.unit, ind.decimals, ind.kind)
            text = qualify(text, fig.qualifier or "khoảng", self.lang, value=fig.value, shown=shown)
        self._said[(ind.code, unit, str(period), role)] = _Said(fig.document, fig.source == "computed")
        return self.stated(ind, unit, period, fig.value, role, text, ind.decimals, fig.approximate)

    def target_run(self, a: Answer) -> Run:
        assert a.target is not None
        ind = a.indicator
        self._said[(ind.code, a.unit.code, str(self.p), "target")] = _Said(a.target.source, False)
        text = fmt_figure(ind, a.target.value, self.lang, self.spec.units)
        return self.stated(ind, a.unit.code, self.p, a.target.value, "target", text, ind.decimals)

    def coverage_run(self, ind: Indicator, unit: str, have: int, expected: int) -> Run:
        text = f"{fmt_number(have, 0, self.lang)}/{fmt_number(expected, 0, self.lang)}"
        return self.stated(ind, unit, self.p, have, "coverage", text, 0)

    # --- comparisons ----------------------------------------------------------------------------------------
    def ref(self, a: Answer, other: Answer, which: str) -> list[Run]:
        assert other.figure is not None
        role: Role = "previous" if which == "previous" else "last_year"
        value = [self.value_run(a.indicator, a.unit.code, other.period, other.figure, role)]
        name = period_name(other.period, self.lang)
        key = f"{a.indicator.code}|{a.unit.code}"
        if which == "previous":
            return self.ph.clause("ref_previous", key, period=name, value=value)
        return self.ph.clause("ref_last_year", key, period=name, year=str(other.period.start.year), value=value)

    def change_clause(self, a: Answer, other: Answer | None, which: str) -> list[Run] | None:
        if not _ok(other) or a.value is None:
            return None
        assert other is not None and other.value is not None
        ind, v, o = a.indicator, a.value, other.value
        key = f"{ind.code}|{a.unit.code}|{which}"
        ref = self.ref(a, other, which)
        diff = change(v, o)
        assert diff is not None
        if ind.kind in ("rate", "score", "rank"):
            rank = ind.is_rank
            if round_half_up(abs(diff), ind.decimals) == 0:
                return self.ph.clause("rank_flat" if rank else "change_flat", key, ref=ref)
            run = self.stated(
                ind,
                a.unit.code,
                self.p,
                abs(diff),
                "change",
                fmt_points(ind, diff, self.lang, self.spec.units),
                ind.decimals,
            )
            up = diff < 0 if rank else diff > 0  # a smaller rank is a better one
            slot = ("rank_up" if up else "rank_down") if rank else ("change_up" if up else "change_down")
            return self.ph.clause(slot, key, change=[run], ref=ref)
        pct = change_pct(v, o, ind)
        if pct is None:
            return None
        if o > 0 and v / o >= 2:
            run = self.stated(ind, a.unit.code, self.p, pct, "change_pct", fmt_times(v / o, self.lang), 1)
            return self.ph.clause("change_times", key, ratio=[run], ref=ref)
        if round_half_up(abs(pct), 2) == 0:
            return self.ph.clause("change_flat", key, ref=ref)
        run = self.stated(ind, a.unit.code, self.p, abs(pct), "change_pct", fmt_percent(pct, self.lang), 2)
        return self.ph.clause("change_up" if pct > 0 else "change_down", key, change=[run], ref=ref)

    def target_clause(self, a: Answer) -> list[Run] | None:
        ind, t = a.indicator, a.target
        if t is None or a.value is None or ind.direction is Direction.NEUTRAL:
            return None
        key = f"{ind.code}|{a.unit.code}"
        tp = period_name(Period.parse(t.period), self.lang)
        target = [self.target_run(a)]
        v, tv = round_half_up(a.value, ind.decimals), round_half_up(t.value, ind.decimals)
        if v == tv:
            return self.ph.clause("target_equal", key, target=target, target_period=tp)
        gap_value = abs(a.value - t.value)
        gap = [
            self.stated(
                ind,
                a.unit.code,
                self.p,
                gap_value,
                "gap",
                fmt_points(ind, gap_value, self.lang, self.spec.units),
                ind.decimals,
            )
        ]
        att = a.attainment
        attainment = (
            gap
            if att is None
            else [self.stated(ind, a.unit.code, self.p, 100 * att, "share", fmt_percent(100 * att, self.lang), 2)]
        )
        met = (v > tv) != (ind.direction is Direction.LOWER)
        return self.ph.clause(
            "target_above" if met else "target_below",
            key,
            target=target,
            target_period=tp,
            gap=gap,
            attainment=attainment,
        )

    def comparisons(self, a: Answer) -> list[Run]:
        """ ", tăng 3,2 điểm phần trăm so với quý II/2024 và … ; còn thiếu … so với mục tiêu 50%"."""
        wanted = self.spec.comparisons
        changes: list[list[Run]] = []
        if "previous" in wanted:
            got = self.change_clause(a, a.previous, "previous")
            if got:
                changes.append(got)
        same = a.last_year is not None and a.previous is not None and a.last_year.period == a.previous.period
        if "last_year" in wanted and not same:
            got = self.change_clause(a, a.last_year, "last_year")
            if got:
                changes.append(got)
        runs: list[Run] = []
        if changes:
            runs += [Run(", "), *join_list(changes, self.label("and"))]
        target = self.target_clause(a) if "target" in wanted else None
        if target:
            runs += [Run("; " if changes else ", "), *target]
        return runs

    # --- sentences about one indicator ------------------------------------------------------------------
    def value_sentence(self, item: Item, ind: Indicator, a: Answer) -> list[Run]:
        assert a.figure is not None
        slot = f"value_{ind.kind}" if self.ph.has(f"value_{ind.kind}") else "value"
        return self.ph.sentence(
            slot,
            ind.code,
            item.wording or None,
            name=self.name(ind, item),
            period=self.pname,
            nation=self.label("nation"),
            unit=self.subject_name,
            value=[self.value_run(ind, self.subject, self.p, a.figure)],
            comparisons=self.comparisons(a),
        )

    def bloc_piece(self, a: Answer) -> list[Run]:
        assert a.figure is not None
        ind = a.indicator
        runs = [self.value_run(ind, a.unit.code, self.p, a.figure)]
        if not a.figure.complete and a.figure.coverage is not None:
            have, expected = a.figure.coverage
            members = self.group_words(a.unit.code)[1]
            runs += [
                Run(" "),
                *self.ph.clause(
                    "coverage",
                    f"{ind.code}|{a.unit.code}",
                    coverage=[self.coverage_run(ind, a.unit.code, have, expected)],
                    members=members,
                ),
            ]
        if "target" in self.spec.comparisons and a.target is not None and ind.direction is not Direction.NEUTRAL:
            tp = period_name(Period.parse(a.target.period), self.lang)
            runs += [
                Run(" "),
                *self.ph.clause(
                    "bloc_target", f"{ind.code}|{a.unit.code}", target=[self.target_run(a)], target_period=tp
                ),
            ]
        return runs

    def blocs_sentence(self, item: Item, ind: Indicator, blocs: Sequence[Answer], alone: bool) -> list[Run]:
        name = self.name(ind, item)
        if len(blocs) == 2:
            by = {a.unit.code: a for a in blocs}
            return self.ph.sentence(
                "blocs_only" if alone else "blocs",
                ind.code,
                name=name,
                period=self.pname,
                ministries=self.bloc_piece(by["ministries"]),
                provinces=self.bloc_piece(by["provinces"]),
            )
        a = blocs[0]
        return self.ph.sentence(
            "bloc_only_one" if alone else "bloc_one",
            ind.code,
            name=name,
            period=self.pname,
            group=self.group_words(a.unit.code)[0],
            value=self.bloc_piece(a),
        )

    def alternative_sentence(self, item: Item, ind: Indicator, a: Answer) -> list[Run]:
        """Name the documents that give another figure for the same indicator, unit and period."""
        f = a.figure
        if f is None or f.value is None:
            return []
        shown = round_half_up(f.value, ind.decimals)
        docs = [
            alt.document
            for alt in a.alternatives
            if alt.document
            and alt.value is not None
            and alt.document != f.document
            and round_half_up(alt.value, ind.decimals) != shown
        ]
        titles = [f"“{self.source_title(d)}”" for d in dict.fromkeys(d for d in docs if d)]
        if not titles:
            return []
        source = join_list([[Run(t)] for t in titles[:2]], self.label("and"))
        return self.ph.sentence("alternative", ind.code, name=self.name(ind, item), source=source)

    def bloc_answers(self, ind: Indicator) -> list[Answer]:
        out = []
        for g in BLOCS:
            if g in self.cat.units:
                a = self.answer(ind, g)
                if _ok(a) or _partial(a):
                    out.append(a)
        return out

    def versus_sentence(self, item: Item, ind: Indicator) -> list[Run]:
        """A province's figure beside the nation's and its bloc's (khối tỉnh): [] when neither has one."""
        others = []
        for code in (NATION, "provinces"):
            if code in self.cat.units:
                a = self.answer(ind, code)
                if _ok(a) or _partial(a):
                    others.append(a)
        common: dict[str, Piece] = {"name": self.name(ind, item), "period": self.pname, "unit": self.subject_name}
        if len(others) == 2:
            nat, bloc = others
            return self.ph.sentence(
                "versus", ind.code, nation=self.bloc_piece(nat), bloc=self.bloc_piece(bloc), **common
            )
        if others:
            a = others[0]
            scope = sentence_name(self.label("nation_scope"), self.lang) if a.unit.code == NATION else None
            return self.ph.sentence(
                "versus_one",
                ind.code,
                scope=scope or self.group_words(a.unit.code)[0],
                value=self.bloc_piece(a),
                **common,
            )
        return []

    def headline(self, item: Item, *, alternatives: bool = False) -> list[Run]:
        """The indicator's value sentence, with its blocs; [] when the period has no data for it.
        A province's report: the province's sentence, then the nation's and the bloc's figures beside it."""
        ind = self.cat.indicator(item.code)
        if self.province:
            own = self.answer(ind, self.subject)
            if not _ok(own):
                return []
            said = self.value_sentence(item, ind, own)
            if item.blocs:
                versus = self.versus_sentence(item, ind)
                if versus:
                    said += [Run(" "), *versus]
            if alternatives:
                alt = self.alternative_sentence(item, ind, own)
                if alt:
                    said += [Run(" "), *alt]
            return said
        nat = self.answer(ind, NATION)
        blocs = self.bloc_answers(ind)
        runs: list[Run] = []
        if _ok(nat):
            runs += self.value_sentence(item, ind, nat)
            if item.blocs and blocs:
                runs += [Run(" "), *self.blocs_sentence(item, ind, blocs, alone=False)]
            if alternatives:
                alt = self.alternative_sentence(item, ind, nat)
                if alt:
                    runs += [Run(" "), *alt]
        elif blocs:
            runs += self.blocs_sentence(item, ind, blocs, alone=True)
        return runs

    # --- rankings and charts ------------------------------------------------------------------------------
    def unit_piece(self, ind: Indicator, row: RankRow) -> list[Run]:
        assert row.figure is not None
        value = [self.value_run(ind, row.unit.code, self.p, row.figure)]
        return self.ph.clause("unit_value", f"{ind.code}|{row.unit.code}", unit=self.unit_name(row.unit), value=value)

    def nameable(self, ind: Indicator, rows: Sequence[RankRow], n: int) -> list[RankRow]:
        """The first ``n`` rows whose figure is the unit's own answer: a named unit's figure is what the engine
        answers for it (a ranking may hold a figure the unit's own answer does not, e.g. a rate of 0 computed
        from members' events where the unit's own computation finds no numerator)."""
        out: list[RankRow] = []
        for row in rows:
            if len(out) >= n:
                break
            own = self.e.value(ind, row.unit, self.p, compare=False, structure=self.structure)
            if _ok(own) and own.value == row.value:
                out.append(row)
        return out

    def member_target(self, ind: Indicator, unit: Unit) -> float | None:
        t = self.e.target(ind, unit, self.p)
        return t.value if t is not None else None

    def ranking(self, item: Item, ind: Indicator, r: Ranking) -> tuple[list[Run], list[Block]]:
        group = self.group_code(r.group)
        if group not in self.cat.units:  # a province without a group of communes
            return [], []
        if group != r.group:
            r = r.model_copy(update={"group": group})
        rows = self.e.rank(ind, r.group, self.p, structure=self.structure)
        have = [x for x in rows if x.value is not None and x.figure is not None]
        if not have:
            return [], []
        for x in have:
            rb = x.figure.rebase if x.figure is not None else None
            for code in rb.rebased_from if rb is not None else ():
                former = self.cat.units.get(code)
                if code != x.unit.code and former is not None and former.valid_to is not None:
                    self.rebased.setdefault(r.group, set()).add(former.valid_to + timedelta(days=1))
        gname, members = self.group_words(r.group)
        key = f"{ind.code}|{r.group}"
        coverage: list[Run] = []
        if len(have) < len(rows):
            coverage = [
                Run(" "),
                *self.ph.clause(
                    "coverage", key, members=members, coverage=[self.coverage_run(ind, r.group, len(have), len(rows))]
                ),
            ]
        common: dict[str, Piece] = {
            "name": self.name(ind, item),
            "period": self.pname,
            "group": gname,
            "members": members,
            "coverage": coverage,
            "unit": self.subject_name,
        }
        runs: list[Run] = []
        top = self.nameable(ind, have, r.top)
        if top:
            units = join_list([self.unit_piece(ind, x) for x in top], self.label("and"))
            runs += self.ph.sentence("leaders", key, units=units, **common)
        named = {x.unit.code for x in top}
        bottom = self.nameable(ind, [x for x in reversed(have) if x.unit.code not in named], r.bottom)
        if bottom:
            units = join_list([self.unit_piece(ind, x) for x in bottom], self.label("and"))
            runs += [Run(" "), *self.ph.sentence("laggards", key, units=units, **common)]
        behind: list[int] = []
        if r.behind_target and ind.direction is not Direction.NEUTRAL:
            group_answer = self.answer(ind, r.group)
            group_target = group_answer.target.value if group_answer.target else None
            own = {x.unit.code: self.member_target(ind, x.unit) for x in have}
            lower = ind.direction is Direction.LOWER
            for i, x in enumerate(have):
                t = own[x.unit.code] if own[x.unit.code] is not None else group_target
                assert x.value is not None
                if t is not None and (x.value > t if lower else x.value < t):
                    behind.append(i)
            sentence = self.behind_sentence(
                ind, r, have, behind, group_answer, any(v is not None for v in own.values())
            )
            if sentence:
                runs += [Run(" "), *sentence]
        charts: list[Block] = []
        if r.chart:
            shown = have[: r.chart_limit] if r.chart_limit else have
            charts.append(
                Chart(
                    kind="ranking",
                    title=self.label(
                        "ranking_title", name=capitalise(self.name(ind, item)), group=gname, period=self.pname
                    ),
                    labels=tuple(self.unit_name(x.unit) for x in shown),
                    lines=(ChartLine(capitalise(gname), tuple(x.value for x in shown)),),
                    unit=unit_word(ind, self.lang, self.spec.units),
                    decimals=ind.decimals,
                    indicator_kind=ind.kind,
                    note=self.label("chart_computed")
                    if any(x.figure and x.figure.source == "computed" for x in shown)
                    else None,
                    invert=ind.is_rank,
                    highlight=tuple(i for i in behind if i < len(shown)),
                )
            )
        if r.table:
            self.tables.append(self.ranking_table(item, ind, r.group, have))
        return tidy(runs), charts

    def ranking_table(self, item: Item, ind: Indicator, group: str, have: Sequence[RankRow]) -> Table:
        """Every member with data, best first: its rank (shared by equal values), its name, its value."""
        rows: list[tuple[Run, ...]] = []
        for x in have:
            assert x.figure is not None and x.rank is not None
            rank = self.stated(ind, x.unit.code, self.p, x.rank, "rank", fmt_number(x.rank, 0, self.lang), 0)
            name = capitalise(self.unit_name(x.unit)) if self.lang == "en" else x.unit.name  # its official name
            rows.append((rank, Run(name), self.value_run(ind, x.unit.code, self.p, x.figure)))
        gname = self.group_words(group)[0]
        return Table(
            title=self.label("ranking_table", name=capitalise(self.name(ind, item)), group=gname, period=self.pname),
            header=(self.label("ranking_rank"), self.label("ranking_unit"), self.label("annex_value")),
            rows=tuple(rows),
            numeric=(True, False, True),
        )

    def behind_sentence(
        self,
        ind: Indicator,
        r: Ranking,
        have: Sequence[RankRow],
        behind: Sequence[int],
        group_answer: Answer,
        own_targets: bool,
    ) -> list[Run]:
        gname, members = self.group_words(r.group)
        key = f"{ind.code}|{r.group}|behind"
        gt = group_answer.target
        if not behind:
            if gt is None or own_targets:
                return []
            return self.ph.sentence(
                "all_met",
                key,
                members=members,
                group=gname,
                target=[self.target_run(group_answer)],
                target_period=period_name(Period.parse(gt.period), self.lang),
            )
        count = [self.coverage_run(ind, r.group, len(behind), len(have))]
        units: list[Run] = []
        if len(behind) <= _MAX_NAMED_BEHIND:
            names = [[Run(self.unit_name(have[i].unit))] for i in behind]
            units = self.ph.clause("behind_units", key, units=join_list(names, self.label("and")))
        if gt is not None and not own_targets:
            return self.ph.sentence(
                "behind_target",
                key,
                count=count,
                members=members,
                group=gname,
                units=units,
                target=[self.target_run(group_answer)],
                target_period=period_name(Period.parse(gt.period), self.lang),
            )
        return self.ph.sentence("behind_own_target", key, count=count, members=members, group=gname, units=units)

    def series_periods(self, s: Series) -> list[Period]:
        step = PeriodKind(s.step)
        if s.span == "subperiods":
            subs = self.p.subperiods(step)
            if subs:
                return subs
        if s.span == "year_to_date" or s.span == "subperiods":
            out, cur = [], Period.containing(step, self.p.year_period().start)
            while cur.end <= self.p.end:
                out.append(cur)
                cur = cur.shift(1)
            if len(out) >= 2:
                return out
        last = Period.containing(step, self.p.end)
        if last.end > self.p.end:
            last = last.shift(-1)
        return [last.shift(-i) for i in reversed(range(s.n))]

    def series(self, item: Item, ind: Indicator, s: Series) -> Chart | None:
        periods = self.series_periods(s)
        if len(periods) < 2:
            return None
        lines: list[ChartLine] = []
        computed = False
        units = [self.subject if u == UNIT else u for u in s.units]
        for u in units:
            values: list[float | None] = []
            for sp in periods:
                a = self.e.value(ind, u, sp, compare=False)
                values.append(a.value if _ok(a) else None)
                computed = computed or (a.figure is not None and a.figure.source == "computed")
            if any(v is not None for v in values):
                lines.append(ChartLine(self.scope_name(u), tuple(values)))
        if not lines:
            return None
        target: tuple[float | None, ...] | None = None
        if s.target and ind.direction is not Direction.NEUTRAL:
            unit = self.cat.unit(units[0], on=self.p.end)
            got = tuple(t.value if (t := self.e.target(ind, unit, sp)) else None for sp in periods)
            target = got if any(v is not None for v in got) else None
        notes = []
        if any(v is None for line in lines for v in line.values):
            notes.append(self.label("chart_gaps"))
        if computed:
            notes.append(self.label("chart_computed"))
        one_year = len({sp.start.year for sp in periods}) == 1
        return Chart(
            kind="series",
            title=self.label(
                "series_title", name=capitalise(self.name(ind, item)), period=period_name(_covering(periods), self.lang)
            ),
            labels=tuple(period_label(sp, self.lang, one_year=one_year) for sp in periods),
            lines=tuple(lines),
            unit=unit_word(ind, self.lang, self.spec.units),
            decimals=ind.decimals,
            indicator_kind=ind.kind,
            target=target,
            target_label=self.label("target_line") if target else "",
            note=" ".join(notes) or None,
            invert=ind.is_rank,
        )

    # --- sections -------------------------------------------------------------------------------------------
    def item_blocks(self, item: Item) -> list[Block]:
        ind = self.cat.indicator(item.code)
        runs = self.headline(item, alternatives=True)
        charts: list[Block] = []
        for r in item.rankings:
            more, bars = self.ranking(item, ind, r)
            if more:
                runs += [Run(" "), *more] if runs else more
            charts += bars
        if not runs:
            return []
        blocks: list[Block] = [Paragraph(tuple(tidy(runs)))]
        if item.series is not None:
            chart = self.series(item, ind, item.series)
            if chart is not None:
                blocks.append(chart)
        return blocks + list(charts)

    def missing_paragraph(self, key: str, items: Sequence[Item]) -> Paragraph:
        names = [self.name(self.cat.indicator(i.code), i) for i in items]
        runs = self.ph.sentence("missing", key, names="; ".join(names), period=self.pname)
        return Paragraph(tuple(runs), style="missing")

    def summary(self) -> Section:
        s = self.spec.summary
        sentences: list[list[Run]] = []
        missing: list[Item] = []
        for item in s.indicators:
            got = self.headline(item)
            if got:
                sentences.append(got)
            elif item in self._summary_only:
                missing.append(item)
                self.missing.append(item.code)
        blocks: list[Block] = []
        lead = self.ph.sentence(
            "summary_lead", "summary", period=self.pname, nation=self.label("nation"), unit=self.subject_name
        )
        for i in range(0, max(len(sentences), 1), s.per_paragraph):
            runs: list[Run] = list(lead) if i == 0 else []
            for sentence in sentences[i : i + s.per_paragraph]:
                runs += [Run(" "), *sentence] if runs else sentence
            style: Style = "lead" if i == 0 else "body"
            blocks.append(Paragraph(tuple(tidy(runs)), style=style))
        if missing:
            blocks.append(self.missing_paragraph("summary", missing))
        return Section("summary", self.t(s.title), tuple(blocks))

    def section(self, s: SectionSpec) -> Section:
        if s.title is not None:
            title = self.t(s.title)
        else:
            assert s.pillar is not None
            title = PILLAR_NAMES[s.pillar].get(self.lang)
        blocks: list[Block] = []
        missing: list[Item] = []
        for item in s.indicators:
            got = self.item_blocks(item)
            if got:
                blocks += got
            else:
                missing.append(item)
                self.missing.append(item.code)
        for entry in s.indices:
            blocks += self.index_blocks(entry)
        if missing:
            blocks.append(self.missing_paragraph(s.key, missing))
        return Section(s.key, title, tuple(blocks))

    # --- year-end projections ------------------------------------------------------------------------------
    def foresight(self) -> Section | None:
        """The projections of the year's targets from the data to the period's end, likely misses first, each in
        the sentences ``report.foresight_text`` says (its figures stated); None once the period ends the year."""
        spec, year = self.spec.foresight, self.p.end.year
        if spec is None or self.p.start.year != year or self.p.end >= date(year, 12, 31):
            return None
        fs = Foresight(self.e)
        got: list[Projection] = []
        units = [self.group_code(u) for u in spec.units]
        for tg in self.e.reader.targets(units=units, periods=[str(year)]):
            ind = self.cat.indicators.get(tg.indicator)
            if ind is None:
                continue
            try:
                pr = fs.project(ind, tg.unit, year, as_of=self.p.end)
            except UnknownUnitError:  # a target for a unit not in the year's structure
                continue
            if outlook.is_open(pr):
                got.append(pr)
        if not got:
            return None
        got.sort(key=lambda q: (not q.behind, *outlook.risk(q), q.indicator.code, q.unit.code))
        self.foresight_said = True
        # no count in the lead: every number a paragraph prints is a stated figure
        lead = message("foresight.report.lead", self.lang, period=self.pname, year=year)
        blocks: list[Block] = [Paragraph((Run(lead),), style="lead")]
        by_indicator: dict[str, list[Projection]] = {}  # one paragraph per indicator, its worst unit first
        for q in got:
            by_indicator.setdefault(q.indicator.code, []).append(q)
        for group in by_indicator.values():
            ind = group[0].indicator
            runs = [Run(f"{capitalise(self.name(ind))}.", strong=True)]
            for q in group:
                for sentence in foresight_parts(q, self.lang):
                    runs.append(Run(" "))
                    for text, role, value in sentence:
                        if role is None or value is None:
                            runs.append(Run(text))
                            continue
                        decimals = 0 if role == "probability" else 1 if role == "per_month" and ind.unit == "%" \
                            else ind.decimals
                        runs.append(Run(text, Stated(text, value, ind.code, q.unit.code, str(year),
                                                     cast(Role, role), decimals)))
            blocks.append(Paragraph(tuple(runs)))
        return Section("foresight", self.t(spec.title), tuple(blocks))

    # --- composite indices ----------------------------------------------------------------------------------
    @property
    def scorer(self) -> IndexScorer:
        if self._scorer is None:
            self._scorer = IndexScorer(self.e)
        return self._scorer

    def index_group(self, idx: IndexDef, group: str | Unit, period: Period) -> GroupScore | None:
        """The group's scores for ``period`` in the report's structure (in the period's own when the index cannot
        be rebased), or None when the index has no version or no score for it."""
        for structure in dict.fromkeys((self.structure, None)):
            try:
                gs = self.scorer.group(idx, group, period, structure)
            except IndexScoreError:
                continue
            return gs if any(u.value is not None for u in gs.units) else None
        return None

    def index_run(
        self,
        idx: IndexDef,
        unit: str,
        value: float,
        role: Role,
        text: str,
        decimals: int,
        detail: str | None = None,
        period: Period | None = None,
    ) -> Run:
        return Run(
            text,
            Stated(
                text, float(value), idx.code, unit, str(period or self.p), role, decimals, index=idx.code, detail=detail
            ),
        )

    def score_run(self, idx: IndexDef, us: UnitScore) -> Run:
        assert us.value is not None
        decimals = 2 if idx.value == "points" else idx.decimals
        return self.index_run(idx, us.unit.code, us.value, "value", fmt_index(idx, us.value, self.lang), decimals)

    def rank_run(
        self, idx: IndexDef, unit: str, rank: int, detail: str | None = None, period: Period | None = None
    ) -> Run:
        return self.index_run(idx, unit, rank, "rank", fmt_number(rank, 0, self.lang), 0, detail, period)

    def count_run(self, idx: IndexDef, group: str, n: int, detail: str) -> Run:
        return self.index_run(idx, group, n, "count", fmt_number(n, 0, self.lang), 0, detail)

    def index_blocks(self, entry: IndexEntry) -> list[Block]:
        """A composite index's part of its section: a heading, then for each group it ranks a paragraph on the
        ranking and one on what moved. Nothing when the index has no score for the period."""
        idx = self.cat.indices[entry.code]
        blocks: list[Block] = []
        for g in entry.groups or idx.units:
            gs = self.index_group(idx, self.group_code(g), self.p)
            if gs is not None:
                blocks += self.index_paragraphs(idx, entry, gs)
        if not blocks:
            return []
        heading = say("report_index.heading", self.lang, index=index_name(idx, self.lang), period=self.pname)
        return [Heading(capitalise("".join(r.text for r in heading))), *blocks]

    def index_paragraphs(self, idx: IndexDef, entry: IndexEntry, gs: GroupScore) -> list[Paragraph]:
        lang, g = self.lang, gs.group.code
        gname, members = self.group_words(g)
        pts = message("report_index.points", lang) if idx.value == "points" else ""
        scored = [u for u in gs.units if u.value is not None]
        values = [u.value for u in scored if u.value is not None]
        decimals = 2 if idx.value == "points" else idx.decimals
        median = statistics.median(values)
        count = f"{fmt_number(len(scored), 0, lang)}/{fmt_number(len(gs.units), 0, lang)}"
        runs = say(
            "report_index.spread",
            lang,
            group=capitalise(gname),
            count=[self.index_run(idx, g, len(scored), "coverage", count, 0)],
            members=members,
            period=self.pname,
            median=[self.index_run(idx, g, median, "median", fmt_index(idx, median, lang), decimals)],
            points=pts,
            best=[self.score_run(idx, scored[0])],
            worst=[self.score_run(idx, scored[-1])],
        )

        def piece(us: UnitScore) -> list[Run]:
            name = self.unit_name(us.unit)
            if us.rating is None:
                return say("report_index.unit_plain", lang, unit=name, value=[self.score_run(idx, us)], points=pts)
            return say(
                "report_index.unit",
                lang,
                unit=name,
                value=[self.score_run(idx, us)],
                points=pts,
                rating=us.rating.label.get(lang),
            )

        top = scored[: entry.top]
        named = {u.unit.code for u in top}
        bottom = [u for u in reversed(scored) if u.unit.code not in named][: entry.bottom]
        if top:
            runs += [
                Run(" "),
                *say("report_index.leaders", lang, units=join_list([piece(u) for u in top], self.label("and"))),
            ]
        if bottom:
            runs += [
                Run(" "),
                *say("report_index.laggards", lang, units=join_list([piece(u) for u in bottom], self.label("and"))),
            ]
        if idx.ratings:
            bands = []
            for r in sorted(idx.ratings, key=lambda r: -r.min):
                n = sum(1 for u in scored if u.rating is not None and u.rating.min == r.min)
                bands.append(
                    say(
                        "report_index.band",
                        lang,
                        rating=r.label.get(lang),
                        count=[self.count_run(idx, g, n, r.label.vi)],
                    )
                )
            runs += [Run(" "), *say("report_index.bands", lang, bands=join_list(bands, self.label("and")))]
        partial = [u for u in scored if u.top.coverage < 1 - 1e-9]
        if partial:
            lowest = min(u.top.coverage for u in partial)
            rules = set().union(*(rules_applied(u, gs) for u in partial))
            said = [message(f"index.rule.{r}", lang) for r in sorted(rules)]
            rule = "; ".join(said) or message("index.rule.refuse", lang)
            runs += [
                Run(" "),
                *say(
                    "report_index.partial",
                    lang,
                    count=[self.count_run(idx, g, len(partial), "partial")],
                    members=members,
                    lowest=[self.index_run(idx, g, 100 * lowest, "share", fmt_share(lowest, lang), 1, "coverage")],
                    rule=rule,
                ),
            ]
        if entry.robustness and len(scored) >= 3 and (top or bottom):
            shown = {u.unit.code: u for u in (*top, *bottom)}
            fragile = [
                r
                for r in analyse(gs, entry.samples, entry.seed, sensitivity=False).rows
                if r.unit in shown and r.robust is False and r.low is not None and r.high is not None
            ]
            if fragile:
                ranges = [
                    say(
                        "report_index.range",
                        lang,
                        unit=self.unit_name(shown[r.unit].unit),
                        low=[self.rank_run(idx, r.unit, r.low or 0, "low")],
                        high=[self.rank_run(idx, r.unit, r.high or 0, "high")],
                    )
                    for r in fragile
                ]
                runs += [Run(" "), *say("report_index.not_robust", lang, units=join_list(ranges, self.label("and")))]
        out = [Paragraph(tuple(tidy(runs)))]
        moves = self.index_moves(idx, entry, gs, gname, pts)
        if moves is None:
            prev = period_name(self.p.previous(), lang)
            out[0] = Paragraph(tuple(tidy([*runs, Run(" "), *say("report_index.no_previous", lang, previous=prev)])))
        elif moves:
            out.append(Paragraph(tuple(moves)))
        return out

    def index_moves(self, idx: IndexDef, entry: IndexEntry, gs: GroupScore, gname: str, pts: str) -> list[Run] | None:
        """Who rose and fell most since the previous period (None: no score then to compare with)."""
        lang, prev = self.lang, self.p.previous()
        if entry.moves == 0:
            return []
        before = self.index_group(idx, gs.group, prev)
        if before is None:
            return None
        then = {u.unit.code: u for u in before.units if u.value is not None}
        decimals = 2 if idx.value == "points" else idx.decimals
        changes: list[tuple[float, UnitScore, UnitScore]] = []
        for us in gs.units:
            old = then.get(us.unit.code)
            if us.value is None or old is None or old.value is None:
                continue
            d = us.value - old.value
            if round_half_up(abs(d), decimals) != 0:
                changes.append((d, us, old))

        def piece(d: float, us: UnitScore, old: UnitScore) -> list[Run]:
            assert us.rank is not None and old.rank is not None
            change_run = self.index_run(
                idx, us.unit.code, abs(d), "change", fmt_index(idx, abs(d), lang), decimals, "previous"
            )
            return say(
                "report_index.move",
                lang,
                unit=self.unit_name(us.unit),
                sign="+" if d > 0 else "−",
                change=[change_run],
                points=pts,
                before=[self.rank_run(idx, us.unit.code, old.rank, "previous", prev)],
                rank=[self.rank_run(idx, us.unit.code, us.rank)],
            )

        ups = sorted((c for c in changes if c[0] > 0), key=lambda c: (-c[0], c[1].unit.code))[: entry.moves]
        downs = sorted((c for c in changes if c[0] < 0), key=lambda c: (c[0], c[1].unit.code))[: entry.moves]
        pname = period_name(prev, lang)
        if not ups and not downs:
            return say("report_index.unchanged", lang, previous=pname, group=gname)
        clauses = []
        if ups:
            clauses.append(
                say("report_index.rises", lang, units=join_list([piece(*c) for c in ups], self.label("and")))
            )
        if downs:
            clauses.append(
                say("report_index.falls", lang, units=join_list([piece(*c) for c in downs], self.label("and")))
            )
        moves = [r for i, c in enumerate(clauses) for r in ([Run("; ")] if i else []) + c]
        return tidy(say("report_index.moves", lang, previous=pname, group=gname, moves=moves))

    # --- annex ----------------------------------------------------------------------------------------------
    def source_text(self, f: Figure) -> str:
        if f.source == "computed":
            return self.label("source_computed")
        if f.source == "aggregated":
            return self.label("source_aggregated")
        return self.source_title(f.document) if f.document else self.label("source_unknown")

    def annex_units(self, blocs: bool) -> tuple[str, ...]:
        """The units of the annex's rows: the nation and its blocs; a province, its bloc and the nation."""
        if self.province:
            return (self.subject, "provinces", NATION) if blocs else (self.subject,)
        return (NATION, *BLOCS) if blocs else (NATION,)

    def annex(self) -> Section | None:
        ax = self.spec.annex
        if not ax.include:
            return None
        dash = Run("—")
        year = self.p.kind is PeriodKind.YEAR  # the previous period is the same period last year
        header = [
            self.label(k) for k in ("annex_indicator", "annex_scope", "annex_value", "annex_target", "annex_attainment")
        ]
        header.append(self.label("annex_previous_year" if year else "annex_previous"))
        if not year:
            header.append(self.label("annex_last_year"))
        header.append(self.label("annex_source"))
        numeric = (False, False, *([True] * (len(header) - 3)), False)
        template = list(dict.fromkeys(i.code for i in self.spec.items()))
        tables: list[Block] = []
        for pillar in Pillar:
            codes = [c for c in template if self.cat.indicators[c].pillar is pillar]
            if ax.scope == "catalogue":
                codes += [i.code for i in self.cat.by_pillar(pillar) if i.code not in codes]
            rows: list[tuple[Run, ...]] = []
            for code in codes:
                ind = self.cat.indicators[code]
                if self.province and not _ok(self.answer(ind, self.subject)):
                    continue  # a province's annex: its own indicators, the nation's beside them
                for unit in self.annex_units(ax.blocs):
                    if unit not in self.cat.units:
                        continue
                    a = self.answer(ind, unit)
                    if not _ok(a):
                        continue
                    assert a.figure is not None
                    row = [
                        Run(self.t(ind.name)),
                        Run(self.scope_name(unit)),
                        self.value_run(ind, unit, self.p, a.figure),
                    ]
                    row.append(self.target_run(a) if a.target is not None else dash)
                    att = a.attainment
                    row.append(
                        self.stated(ind, unit, self.p, 100 * att, "share", fmt_percent(100 * att, self.lang), 2)
                        if att is not None
                        else dash
                    )
                    for other, role in ((a.previous, "previous"), (a.last_year, "last_year")):
                        if role == "last_year" and year:
                            continue
                        if _ok(other):
                            assert other is not None and other.figure is not None
                            row.append(self.value_run(ind, unit, other.period, other.figure, role))  # type: ignore[arg-type]
                        else:
                            row.append(dash)
                    row.append(Run(self.source_text(a.figure)))
                    rows.append(tuple(row))
            if rows:
                tables.append(
                    Table(
                        title=self.label("annex_table", pillar=PILLAR_NAMES[pillar].get(self.lang)),
                        header=tuple(header),
                        rows=tuple(rows),
                        numeric=numeric,
                    )
                )
        return Section("annex", self.t(ax.title), tuple(tables))

    # --- the report's sources and notes --------------------------------------------------------------------
    def sources(self, figures: Sequence[Stated]) -> tuple[tuple[str, str], ...]:
        docs: dict[str, None] = {}
        for f in figures:
            said = self._said.get((f.indicator, f.unit, f.period, f.role))
            if said is not None and said.document:
                docs[said.document] = None
        return tuple((d, self.source_title(d)) for d in docs)

    def notes(self, figures: Sequence[Stated], structure: date | None) -> tuple[str, ...]:
        out: list[str] = []
        n = self.spec.notes

        def add(key: str, **fields: str) -> None:
            if key in n:
                out.append(n[key].get(self.lang).format(**fields))

        add("method")
        if self.foresight_said:
            out.append(message("foresight.report.note", self.lang, level=level_name(self.lang)))
        if any(f.approximate for f in figures):
            add("approximate")
        if any((s := self._said.get((f.indicator, f.unit, f.period, f.role))) and s.computed for f in figures):
            add("computed")
        if structure is not None:
            add("structure", date=fmt_date(structure, self.lang))
        if self.structure is not None:
            for group in sorted(self.rebased):
                for day in sorted(self.rebased[group]):
                    add(
                        "rebased",
                        date=fmt_date(day, self.lang),
                        members=self.group_words(group)[1],
                        structure=fmt_date(self.structure, self.lang),
                    )
        return tuple(out)
