"""Every dashboard table as a download: CSV (UTF-8 with BOM, so Excel shows diacritics) and XLSX, and the
routes that serve them beside their pages (``/overview.csv``, ``/indicators/{code}/ranking.xlsx``…).

A table's columns and title are message ids (``chiso.i18n``): the file reads in the reader's language. A bad
name in the query answers with the page's own error page, as the page would. A text cell that a spreadsheet
would take for a formula (a unit's name, a source's title beginning with "=") is written with a leading "'"
(``chiso.catalogue.columns.neutralise``), in CSV and in XLSX, where it is also typed as text; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.styles import Font

from chiso.catalogue.columns import neutralise
from chiso.catalogue.models import PILLAR_NAMES, Indicator
from chiso.engine.reading import Cell, Ranking
from chiso.i18n import t
from chiso.report.exports import number_text
from chiso.web.dashboards import IndicatorView, Overview, UnitView
from chiso.web.deps import DashboardsDep, WorkspaceDep
from chiso.web.labels import unit_label
from chiso.web.pages import INDICATOR_ERRORS, OVERVIEW_ERRORS, UNIT_ERRORS
from chiso.web.params import indicator_of, overview_of, unit_of
from chiso.web.templating import lang_of

Fmt = Literal["csv", "xlsx"]


@dataclass(frozen=True)
class Column:
    """A column's header: a message id, or ``text`` as it is (a period)."""

    msg: str = ""
    text: str = ""

    def label(self, lang: str) -> str:
        return t(self.msg, lang) if self.msg else self.text


Cellish = str | float | int | None


@dataclass
class DataTable:
    stem: str  # the file name without extension
    title: str  # a message id
    columns: list[Column]
    rows: list[list[Cellish]]

    def header(self, lang: str) -> list[str]:
        return [c.label(lang) for c in self.columns]


def _text_cell(x: Cellish) -> Cellish:
    return neutralise(x) if isinstance(x, str) else x


def to_csv(table: DataTable, lang: str) -> bytes:
    """UTF-8 with a BOM (Excel then reads the diacritics); numbers exact, with '.' as the decimal mark."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([neutralise(h) for h in table.header(lang)])
    for row in table.rows:
        w.writerow(["" if x is None else number_text(x) if isinstance(x, int | float) else neutralise(x) for x in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(table: DataTable, lang: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = t(table.title, lang)[:31]
    ws.append([neutralise(h) for h in table.header(lang)])
    for c in ws[1]:
        c.font = Font(bold=True)
    for row in table.rows:
        ws.append([_text_cell(x) for x in row])
    for r in ws.iter_rows():
        for c in r:
            if isinstance(c.value, str):
                c.data_type = "s"  # openpyxl takes a text beginning with "=" for a formula; this one is text
            elif isinstance(c.value, float):
                c.number_format = "#,##0" if c.value.is_integer() else "#,##0.00##"
            elif isinstance(c.value, int):
                c.number_format = "#,##0"
    ws.freeze_panes = "A2"
    for i, col in enumerate(table.header(lang), start=1):
        width = max([len(col), *(len(str(r[i - 1])) for r in table.rows if r[i - 1] is not None)])
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(60, max(8, width + 2))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def download(table: DataTable, fmt: Fmt, lang: str) -> Response:
    if fmt == "xlsx":
        body = to_xlsx(table, lang)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, media = to_csv(table, lang), "text/csv; charset=utf-8"
    name = f"{table.stem}.{fmt}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


C_PILLAR = Column("web.col.pillar")
C_CODE = Column("web.col.code")
C_NAME = Column("web.col.indicator")
C_UNIT_CODE = Column("web.col.unit_code")
C_UNIT = Column("web.col.unit")
C_PERIOD = Column("web.col.period")
C_AS_OF = Column("web.col.as_of")
C_VALUE = Column("web.col.value")
C_MEASURE = Column("web.col.measure")
C_TARGET = Column("web.col.target")
C_ATTAIN = Column("web.col.attainment")
C_APPROX = Column("web.col.approximate")
C_SOURCE = Column("web.col.source")


def _attain(c: Cell) -> float | None:
    return None if c.attainment is None else round(100 * c.attainment, 2)


def _approx(c: Cell, lang: str) -> str:
    return (c.qualifier or t("web.yes", lang)) if c.approximate else ""


def _cell_row(c: Cell, lang: str) -> list[Cellish]:
    ind = c.indicator
    return [ind.code, ind.name.get(lang), c.unit.code, unit_label(c.unit, lang), str(c.period), c.shown_period,
            c.value, ind.unit, c.target, _attain(c), _approx(c, lang)]


CELL_COLUMNS = [C_CODE, C_NAME, C_UNIT_CODE, C_UNIT, C_PERIOD, C_AS_OF, C_VALUE, C_MEASURE, C_TARGET, C_ATTAIN,
                C_APPROX]


def overview_table(ov: Overview, lang: str) -> DataTable:
    rows = [[PILLAR_NAMES[pillar].get(lang), *_cell_row(c, lang)]
            for pillar, rs in ov.pillars for r in rs for c in r.cells]
    return DataTable(f"tong-quan_{ov.period}", "web.table.overview", [C_PILLAR, *CELL_COLUMNS], rows)


def targets_table(ov: Overview, lang: str) -> DataTable:
    rows = [[t("web.targets.behind", lang), *_cell_row(c, lang)] for c in ov.behind]
    rows += [[t("web.targets.on_target", lang), *_cell_row(c, lang)] for c in ov.ahead]
    return DataTable(f"muc-tieu_{ov.period}", "web.table.targets",
                     [Column("web.col.status"), *CELL_COLUMNS], rows)


def series_table(v: IndicatorView, lang: str) -> DataTable:
    rows: list[list[Cellish]] = [[*_cell_row(c, lang), c.numerator, c.denominator, c.document or ""]
                                 for c in v.series]
    return DataTable(f"chuoi_{v.indicator.code}_{v.series_unit.code}_{v.period}", "web.table.series",
                     [*CELL_COLUMNS, Column("web.col.numerator"), Column("web.col.denominator"), C_SOURCE], rows)


def summary_table(v: IndicatorView, lang: str) -> DataTable:
    rows = [_cell_row(c, lang) for c in v.headline]
    return DataTable(f"tom-tat_{v.indicator.code}_{v.period}", "web.table.summary", CELL_COLUMNS, rows)


def ranking_table(ind: Indicator, rk: Ranking, lang: str) -> DataTable:
    rows: list[list[Cellish]] = []
    for r in rk.rows:
        f = r.figure
        approx = ((f.qualifier or t("web.yes", lang)) if f is not None and f.approximate else "")
        rows.append([r.rank, r.unit.code, unit_label(r.unit, lang), r.value, ind.unit, rk.shown_period, approx,
                     (f.document or "") if f else ""])
    return DataTable(f"xep-hang_{ind.code}_{rk.group.code}_{rk.period}", "web.table.ranking",
                     [Column("web.col.rank"), C_UNIT_CODE, C_UNIT, C_VALUE, C_MEASURE, C_AS_OF, C_APPROX, C_SOURCE],
                     rows)


def distribution_table(v: IndicatorView, lang: str) -> DataTable:
    rows: list[list[Cellish]] = [[b.lo, b.hi, b.count] for b in v.bins]
    return DataTable(f"phan-bo_{v.indicator.code}_{v.focus.group.code}_{v.period}", "web.table.distribution",
                     [Column("web.col.from"), Column("web.col.to"), Column("web.col.units")], rows)


def unit_table(v: UnitView, lang: str) -> DataTable:
    rows: list[list[Cellish]] = []
    for pillar, rs in v.pillars:
        for r in rs:
            prev = r.previous
            rows.append([PILLAR_NAMES[pillar].get(lang), *_cell_row(r.cell, lang),
                         str(prev.period) if prev else None, prev.value if prev else None,
                         r.rank, r.ranked if r.rank is not None else None])
    return DataTable(f"don-vi_{v.unit.code}_{v.period}", "web.table.unit",
                     [C_PILLAR, *CELL_COLUMNS, Column("web.col.previous_period"),
                      Column("web.col.previous_value"), Column("web.col.rank"),
                      Column("web.col.out_of")], rows)


def history_table(v: UnitView, lang: str) -> DataTable:
    cols = [C_CODE, C_NAME, C_MEASURE, *(Column(text=str(q)) for q in v.history_periods)]
    rows: list[list[Cellish]] = [[r.indicator.code, r.indicator.name.get(lang), r.indicator.unit,
                                  *(h.value for h in r.history)] for _, rs in v.pillars for r in rs]
    return DataTable(f"lich-su_{v.unit.code}_{v.period}", "web.table.history", cols, rows)



# --- routes ------------------------------------------------------------------------------------------------

router = APIRouter(include_in_schema=False)


@router.get("/overview.{fmt}", dependencies=[OVERVIEW_ERRORS])
def overview_download(request: Request, ws: WorkspaceDep, dash: DashboardsDep, fmt: Fmt, period: str | None = None,
                      drafts: bool = False) -> Response:
    ov = overview_of(request, ws, dash, period, drafts)
    return download(overview_table(ov, lang_of(request)), fmt, lang_of(request))


@router.get("/overview/targets.{fmt}", dependencies=[OVERVIEW_ERRORS])
def targets_download(request: Request, ws: WorkspaceDep, dash: DashboardsDep, fmt: Fmt, period: str | None = None,
                     drafts: bool = False) -> Response:
    ov = overview_of(request, ws, dash, period, drafts)
    return download(targets_table(ov, lang_of(request)), fmt, lang_of(request))


@router.get("/indicators/{code}/series.{fmt}", dependencies=[INDICATOR_ERRORS])
def series_download(request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str, fmt: Fmt,
                    period: str | None = None, unit: str | None = None, drafts: bool = False) -> Response:
    v = indicator_of(request, ws, dash, code, period, None, unit, drafts)
    return download(series_table(v, lang_of(request)), fmt, lang_of(request))


@router.get("/indicators/{code}/summary.{fmt}", dependencies=[INDICATOR_ERRORS])
def summary_download(request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str, fmt: Fmt,
                     period: str | None = None, drafts: bool = False) -> Response:
    v = indicator_of(request, ws, dash, code, period, None, None, drafts)
    return download(summary_table(v, lang_of(request)), fmt, lang_of(request))


@router.get("/indicators/{code}/ranking.{fmt}", dependencies=[INDICATOR_ERRORS])
def ranking_download(request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str, fmt: Fmt,
                     period: str | None = None, group: str | None = None, drafts: bool = False,
                     structure: str | None = None) -> Response:
    v = indicator_of(request, ws, dash, code, period, group, None, drafts, structure)
    return download(ranking_table(v.indicator, v.focus, lang_of(request)), fmt, lang_of(request))


@router.get("/indicators/{code}/distribution.{fmt}", dependencies=[INDICATOR_ERRORS])
def distribution_download(request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str, fmt: Fmt,
                          period: str | None = None, group: str | None = None, drafts: bool = False) -> Response:
    v = indicator_of(request, ws, dash, code, period, group, None, drafts)
    return download(distribution_table(v, lang_of(request)), fmt, lang_of(request))


@router.get("/units/{code}/indicators.{fmt}", dependencies=[UNIT_ERRORS])
def unit_download(request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str, fmt: Fmt,
                  period: str | None = None, drafts: bool = False) -> Response:
    v = unit_of(request, ws, dash, code, period, drafts)
    return download(unit_table(v, lang_of(request)), fmt, lang_of(request))


@router.get("/units/{code}/history.{fmt}", dependencies=[UNIT_ERRORS])
def history_download(request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str, fmt: Fmt,
                     period: str | None = None, drafts: bool = False) -> Response:
    v = unit_of(request, ws, dash, code, period, drafts)
    return download(history_table(v, lang_of(request)), fmt, lang_of(request))
