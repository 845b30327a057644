"""What a request asks for: its names parsed (a ``ParameterError`` naming the field when one is not understood),
who asks (the ``Policy`` of what they may see), and the dashboards' views the pages and downloads show.
"""

from __future__ import annotations

from datetime import date

from fastapi import Request

from chiso.app import Workspace
from chiso.auth import User, subtree
from chiso.catalogue import Catalogue
from chiso.catalogue.models import Indicator, Unit, UnitType
from chiso.catalogue.periods import Period
from chiso.engine.reading import PUBLIC, Policy
from chiso.engine.structure import parse_structure
from chiso.errors import (
    ParameterError,
    UnknownIndicatorError,
    UnknownPeriodError,
    UnknownStructureError,
    UnknownUnitError,
)
from chiso.web.dashboards import Dashboards, IndicatorView, Overview, UnitView
from chiso.web.session import load_user


def policy_of(request: Request, ws: Workspace, drafts: bool) -> Policy:
    """Public unless a logged-in user asks for drafts: then the unapproved values of their subtree too."""
    if not drafts:
        return PUBLIC
    user: User | None = load_user(request)
    if user is None or not user.active:
        return PUBLIC
    scope = subtree(ws.catalogue, user)
    if not scope:
        return PUBLIC
    return Policy(scope, f"drafts:{user.unit}")


# --- names -----------------------------------------------------------------------------------------------


def indicator_param(cat: Catalogue, code: str, field: str = "code", *, in_path: bool = True) -> Indicator:
    try:
        return cat.indicator(code)
    except UnknownIndicatorError as exc:
        raise ParameterError(field, exc, in_path=in_path) from exc


def unit_param(cat: Catalogue, ref: str, field: str, *, in_path: bool = False, status: int | None = None) -> Unit:
    try:
        return cat.unit(ref)
    except UnknownUnitError as exc:
        raise ParameterError(field, exc, in_path=in_path, status=status) from exc


def period_param(text: str, field: str = "period", *, status: int | None = None) -> Period:
    try:
        return Period.parse(text)
    except UnknownPeriodError as exc:
        raise ParameterError(field, exc, status=status) from exc


def structure_param(text: str | None) -> date | None:
    """A unit structure: 2024, 2025 or a date; None (each period in the structure valid at its end) when blank."""
    try:
        return parse_structure(text)
    except UnknownStructureError as exc:
        raise ParameterError("structure", exc) from exc


def optional_period(text: str | None, field: str = "period") -> Period | None:
    """A period, or None (the page's default) when blank."""
    return period_param(text, field) if text is not None and text.strip() else None


def optional_unit(cat: Catalogue, ref: str | None, field: str, default: Unit) -> Unit:
    return unit_param(cat, ref, field) if ref is not None and ref.strip() else default


def group_param(cat: Catalogue, ref: str | None, default: str = "provinces") -> Unit:
    """A group of units (the pages' filter): blank is ``default``; a unit that is not a group is refused."""
    g = optional_unit(cat, ref, "group", cat.units[default])
    if g.type is not UnitType.GROUP:
        names = [f"{x.code} ({x.short})" for x in cat.groups()]
        raise ParameterError("group", UnknownUnitError(ref or "", names, detail="not a group of units"))
    return g


# --- the dashboards' views, as a request asks for them ------------------------------------------------------


def overview_of(request: Request, ws: Workspace, dash: Dashboards, period: str | None, drafts: bool) -> Overview:
    return dash.overview(optional_period(period), policy_of(request, ws, drafts))


def indicator_of(request: Request, ws: Workspace, dash: Dashboards, code: str, period: str | None,
                 group: str | None, unit: str | None, drafts: bool, structure: str | None = None) -> IndicatorView:
    cat = ws.catalogue
    ind = indicator_param(cat, code)
    p = optional_period(period)
    g = group_param(cat, group)
    su = optional_unit(cat, unit, "unit", cat.nation)
    return dash.indicator(ind, p, g, su, policy_of(request, ws, drafts), structure_param(structure))


def unit_of(request: Request, ws: Workspace, dash: Dashboards, code: str, period: str | None,
            drafts: bool) -> UnitView:
    u = unit_param(ws.catalogue, code, "code", in_path=True)
    return dash.unit(u, optional_period(period), policy_of(request, ws, drafts))
