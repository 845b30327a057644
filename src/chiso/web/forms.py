"""Data entry and approval, as pages and as a JSON API, over ``chiso.workflow``.

Pages: ``GET /forms`` (the forms the user can act on), ``GET /forms/{dataset}/{unit}/{period}`` (one form),
``POST`` the same path to save (``action=save``) or save and submit (``action=submit``), and
``POST …/approve``, ``…/return`` (with a comment), ``…/reopen`` (with a reason).
API: ``/api/v1/forms/…`` with the same verbs (``PUT`` saves), session cookie and ``X-CSRF-Token``.
The pages are ``pages_router``, the API ``api_router``.

Two people editing one value: each field carries the version its value had when the page was drawn,
and a hidden copy of what was shown. A field the user did not change is not written at all, so a
colleague's newer value survives; a changed field written over a newer version is refused (409) and the
page shows the current value beside the user's.

A move (submit, approve, return, reopen) names the form's version as read (``form_version`` in the pages'
forms, ``?version=`` in the API, from the form's ``version``): if the form changed since, it answers 409
(``conflict``) and moves nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from chiso import auth, workflow
from chiso.app import Workspace
from chiso.auth import User
from chiso.catalogue import Catalogue
from chiso.catalogue.datasets import DataSet
from chiso.catalogue.models import Indicator, Text, Unit, UnitType
from chiso.catalogue.periods import Period, check_year
from chiso.catalogue.records import StoredValue
from chiso.errors import (
    ChisoError,
    ConflictError,
    HttpProblem,
    PermissionDenied,
    Problem,
    UnknownNameError,
    ValidationError,
)
from chiso.i18n import t
from chiso.ingest.intake import reading_for
from chiso.ingest.vnnumbers import NumberError, read_number
from chiso.store import AuditEntry
from chiso.web.contexts import Context
from chiso.web.deps import WorkspaceDep
from chiso.web.params import period_param
from chiso.web.problems import page_errors, responses
from chiso.web.session import CheckCsrf, RequiredUser, check_csrf
from chiso.web.templating import lang_of, render
from chiso.workflow import EDITABLE, STATES, Entry, FormView, State

T = TypeVar("T")

Action = Literal["enter", "review", "reopen", "view"]  # what the list offers the user to do with a form
DONE = ("saved", "submitted", "approved", "returned", "reopened")  # ?done= after a move: what was done
PARTS = ("value", "numerator", "denominator")


# --- shared helpers --------------------------------------------------------------------------------
def unit_label(u: Unit, lang: str) -> str:
    return (u.name_en or u.short) if lang == "en" else u.short


def state_label(state: str, lang: str) -> str:
    return t(f"form.state.{state}", lang) if state in STATES else state


def action_label(action: str, lang: str) -> str:
    return t(f"form.action.{action}", lang)


def problem_text(p: Problem, lang: str) -> str:
    """A problem without its row and field: it is shown next to its field."""
    return Problem(None, None, p.reason, p.params, p.value).render(lang)


def problem_json(p: Problem, lang: str) -> dict[str, Any]:
    out: dict[str, Any] = {"field": p.field or "form", "reason": problem_text(p, lang), "rule": p.reason}
    if p.value not in (None, ""):
        out["value"] = p.value
    return out


def input_number(x: float | None, lang: str) -> str:
    """A number as an input shows it, so that ``read_number`` reads it back exactly: no thousands grouping,
    a decimal comma in Vietnamese; in English a decimal point, with a trailing 0 where the point would
    otherwise read as a thousands dot ("1.2340", not "1.234")."""
    if x is None:
        return ""
    text = str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:.6f}".rstrip("0").rstrip(".")
    if lang == "vi":
        return text.replace(".", ",")
    return text + "0" if re.fullmatch(r"-?[1-9]\d{0,2}\.\d{3}", text) else text


def _m(x: float | None) -> str:
    return "" if x is None else repr(float(x))


def canon(value: float | None, num: float | None, den: float | None, comment: str | None) -> str:
    """What a field holds, compared to tell whether the user changed it."""
    return json.dumps([_m(value), _m(num), _m(den), (comment or "").strip()], ensure_ascii=False)


def period_for(ds: DataSet, chosen: Period | None, today: date) -> Period:
    """The data set's period containing the chosen one's end; by default the last complete one."""
    if chosen is not None:
        return Period.containing(ds.period, chosen.end)
    return Period.containing(ds.period, today).previous()


def period_of_unit(ds: DataSet, unit: Unit, chosen: Period) -> Period:
    """``chosen``, moved into the unit's life: a former unit's last whole period, a new unit's first one."""
    if unit.valid_to is not None and unit.valid_to < chosen.end:
        last = Period.containing(ds.period, unit.valid_to)
        return last if last.end <= unit.valid_to else last.previous()
    if unit.valid_from is not None and unit.valid_from > chosen.start:
        return Period.containing(ds.period, unit.valid_from)
    return chosen


def _guard(fn: Callable[[], T]) -> T:
    """The workflow's errors for the API. PermissionDenied (403 ``forbidden``) and ConflictError (409
    ``conflict``) go to the app's one table as they are; invalid values name each field and its rule; any
    other error means there is no such form (an unknown data set, unit or period, or a unit that does not
    report this data set): 404 ``unknown-form``, not the table's 400/422 for a bad name."""
    try:
        return fn()
    except (PermissionDenied, ConflictError):
        raise
    except ValidationError as exc:
        raise HttpProblem(422, "invalid-values", exc.render("en"),
                          errors=[problem_json(p, "en") for p in exc.problems]) from exc
    except ChisoError as exc:
        raise HttpProblem(404, "unknown-form", f"form: {exc}") from exc


def _conflicts(view: FormView, entries: Sequence[Entry]) -> list[str]:
    """Codes whose entry names an older version than the stored one (someone saved meanwhile)."""
    by = {f.indicator.code: f for f in view.fields}
    return [e.indicator for e in entries if e.indicator in by
            and any(x is not None for x in (e.value, e.numerator, e.denominator))
            and e.version != by[e.indicator].version]


# --- the list of forms -------------------------------------------------------------------------------
@dataclass
class ListRow:
    dataset: DataSet
    unit: Unit
    period: str
    state: str
    updated_by: str
    updated_at: datetime | None
    comment: str | None
    action: Action


def list_forms(ws: Workspace, user: User, *, dataset: str | None, period: Period | None, state: State | None,
               today: date) -> list[ListRow]:
    """Forms in the user's scope: every reporting unit for the chosen period of each data set, and any
    form awaiting review or returned, whatever its period. Those the user can act on come first."""
    cat = ws.catalogue
    book = ws.store.users
    rows: dict[tuple[str, str, str], ListRow] = {}
    states = {(f.dataset, f.unit, f.period): f for f in book.forms()}

    def add(ds: DataSet, u: Unit, p: str) -> None:
        f = states.get((ds.id, u.code, p))
        st = f.state if f else "open"
        action: Action
        if st in EDITABLE and auth.can_enter(cat, user, u.code):
            action = "enter"
        elif st == "submitted" and auth.can_review(cat, user, u.code):
            action = "review"
        elif st == "approved" and auth.can_reopen(cat, user, u.code):
            action = "reopen"
        else:
            action = "view"
        rows[(ds.id, u.code, p)] = ListRow(ds, u, p, st, f.updated_by if f else "", f.updated_at if f else None,
                                           f.comment if f else None, action)

    own = cat.units.get(user.unit)
    for ds in cat.datasets.values():
        if dataset and ds.id != dataset:
            continue
        if not dataset and _too_wide(cat, ds, own):
            continue  # thousands of communes' open forms: listed when the data set is chosen
        chosen = period_for(ds, period, today)
        members = cat.members(ds.group, chosen)
        for u in members:
            if auth.in_scope(cat, user, u.code):
                add(ds, u, str(chosen))
        if period is None and own is not None and ds.group in own.groups and own not in members:
            add(ds, own, str(period_of_unit(ds, own, chosen)))  # the reporter's unit began or ended meanwhile
    for (ds_id, code, p), f in states.items():
        ds_ = cat.datasets.get(ds_id)
        u_ = cat.units.get(code)
        if (ds_ is None or u_ is None or (dataset and ds_id != dataset) or f.state not in ("submitted", "returned")
                or (ds_id, code, p) in rows or not auth.in_scope(cat, user, code)):
            continue
        add(ds_, u_, p)
    out = [r for r in rows.values() if not state or r.state == state]
    return sorted(out, key=lambda r: (r.action == "view", r.dataset.id, r.period, r.unit.code))


def _too_wide(cat: Catalogue, ds: DataSet, own: Unit | None) -> bool:
    """A data set of communes, for a user above the provinces: its open forms are the provinces' business."""
    group = cat.units.get(ds.group)
    return (group is not None and cat.is_local(group) and own is not None
            and own.type not in (UnitType.PROVINCE, UnitType.CITY, UnitType.DISTRICT, UnitType.COMMUNE))


# --- one form, for the page ----------------------------------------------------------------------------
@dataclass
class FieldRow:
    code: str
    name: str
    kind: str
    unit: str
    has_parts: bool
    numerator_label: str
    denominator_label: str
    lo: float | None
    hi: float | None
    decimals: int
    texts: dict[str, str]  # value, numerator, denominator, comment: what the inputs show
    version: int
    orig: str
    stored: StoredValue | None
    history: list[tuple[str, float]]
    far: bool
    problems: list[str] = field(default_factory=list)
    conflict: str | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)


def _shown(f: workflow.Field, lang: str) -> dict[str, str]:
    s = f.stored
    return {"value": input_number(s.value if s else None, lang),
            "numerator": input_number(s.numerator if s else None, lang),
            "denominator": input_number(s.denominator if s else None, lang),
            "comment": (s.comment or "") if s else ""}


def _canon_texts(ind: Indicator, texts: Mapping[str, str]) -> str:
    nums: list[float | None] = []
    for k in PARTS:
        try:
            nums.append(read_number(texts[k], reading_for(ind, k)) if texts.get(k, "").strip() else None)
        except ValueError:
            nums.append(None)
    return canon(nums[0], nums[1], nums[2], texts.get("comment"))


def _change(a: AuditEntry, lang: str) -> dict[str, Any]:
    before, after = a.before or {}, a.after or {}
    diffs = []
    for k in ("value", "numerator", "denominator", "comment", "status"):
        b, n = before.get(k), after.get(k)
        if b != n:
            diffs.append({"field": k, "before": b, "after": n})
    return {"at": a.at, "actor": a.actor, "action": a.action, "changes": diffs}


def _changes_by_value(ws: Workspace, view: FormView) -> tuple[dict[str, list[AuditEntry]], list[AuditEntry]]:
    """Audit entries of this form's values (by value id) and of the form's own transitions."""
    hist = ws.store.history(unit=view.unit, period=str(view.period))
    ids = {str(f.stored.id): f.indicator.code for f in view.fields if f.stored is not None}
    per: dict[str, list[AuditEntry]] = {}
    form_key = f"{view.dataset.id}/{view.unit}/{view.period}"
    transitions = []
    for a in hist:
        if a.entity == "data_value" and a.entity_id in ids:
            per.setdefault(ids[a.entity_id], []).append(a)
        elif a.entity == "form" and a.entity_id == form_key:
            transitions.append(a)
    return per, transitions


def field_rows(ws: Workspace, view: FormView, lang: str, *, posted: Mapping[str, Mapping[str, str]] | None = None,
               problems: Sequence[Problem] = (), conflicts: Sequence[str] = ()) -> tuple[list[FieldRow],
                                                                                      list[AuditEntry]]:
    per, transitions = _changes_by_value(ws, view)
    out = []
    for f in view.fields:
        ind = f.indicator
        code = ind.code
        shown = _shown(f, lang)
        texts, version, orig = shown, f.version, _canon_texts(ind, shown)
        if posted is not None and code in posted:
            p = posted[code]
            texts = {k: p.get(k, "") for k in (*PARTS, "comment")}
            if code not in conflicts:  # keep what the user read; a conflict moves them to what is stored now
                version, orig = _int(p.get("version")), p.get("orig", orig)
        s = f.stored
        far = bool(s and s.value is not None and workflow.far_from_history(s.value, [h for _, h in f.history]))
        row = FieldRow(code, ind.name.get(lang), ind.kind, ind.unit, ind.has_parts,
                       _part_label(ind, "numerator", lang), _part_label(ind, "denominator", lang),
                       ind.range[0], ind.range[1], ind.decimals, texts, version, orig, s, f.history, far,
                       changes=[_change(a, lang) for a in per.get(code, [])])
        row.problems = [problem_text(p, lang) for p in problems if p.field == code]
        if code in conflicts:
            who = f"{s.updated_by}, {s.updated_at:%d/%m/%Y %H:%M}" if s else ""
            cur = input_number(s.value, lang) if s else "—"
            row.conflict = t("form.conflict", lang, who=who, current=cur)
        out.append(row)
    return out, transitions


def _part_label(ind: Indicator, which: str, lang: str) -> str:
    label = getattr(ind, which, None)  # rates name their parts; other kinds with parts do not
    if isinstance(label, Text):
        return label.get(lang)
    return t(f"form.{which}", lang)


def _int(text: str | None) -> int:
    try:
        return max(0, int(text or "0"))
    except ValueError:
        return 0


def parse_posted(view: FormView, form: Mapping[str, str]) -> tuple[dict[str, dict[str, str]], list[Entry],
                                                                     list[Problem]]:
    """The form's fields as typed, the entries the user changed, and the numbers that could not be read."""
    posted: dict[str, dict[str, str]] = {}
    entries: list[Entry] = []
    problems: list[Problem] = []
    for f in view.fields:
        code = f.indicator.code
        texts = {k: str(form.get(f"{code}.{k}", "")) for k in (*PARTS, "comment", "version", "orig")}
        posted[code] = texts
        nums: dict[str, float | None] = {}
        bad = False
        for k in PARTS:
            typed = texts[k].strip()
            try:  # read as the server reads every typed number: with the indicator known
                nums[k] = read_number(typed, reading_for(f.indicator, k)) if typed else None
            except NumberError as exc:
                shown = typed if exc.reason == "not_a_number" else None  # an ambiguity names the text itself
                problems.append(Problem(None, code, exc.reason, exc.params, shown))
                bad = True
        if bad:
            continue
        comment = texts["comment"].strip() or None
        if canon(nums["value"], nums["numerator"], nums["denominator"], comment) == texts["orig"]:
            continue  # untouched: never written, so a colleague's newer value stays
        entries.append(Entry(code, nums["value"], nums["numerator"], nums["denominator"], comment,
                             _int(texts["version"])))
    return posted, entries, problems


def _form_version(form: Mapping[str, str]) -> int | None:
    """The form's version the page was drawn with (``None``: not sent)."""
    text = form.get("form_version", "").strip()
    return int(text) if text.isdigit() else None


def _form_url(view: FormView) -> str:
    return f"/forms/{view.dataset.id}/{view.unit}/{view.period}"


# --- pages -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FormsListContext(Context):
    """What forms_list.html shows: the forms in the user's scope and the filters chosen."""

    rows: list[ListRow]
    datasets: list[DataSet]
    dataset: str
    period: str
    state: str
    states: tuple[State, ...]
    error: str | None  # the period filter, not understood
    state_label: Callable[[str], str]
    action_label: Callable[[str], str]
    unit_label: Callable[[Unit], str]


@dataclass(frozen=True)
class FormContext(Context):
    """What form.html shows of one form: its fields as the inputs show them, their problems and conflicts."""

    view: FormView
    rows: list[FieldRow]
    transitions: list[AuditEntry]
    general: list[str]  # problems not of one field (a move's note), with their label
    error: str | None
    unit_name: str
    dataset_name: str
    state_label: str
    done: str | None  # what was just done (``?done=``)
    url: str
    conflicts: list[str]
    history_json: dict[str, str]  # each field's approved history, for forms.js's "far from history" check


@dataclass(frozen=True)
class FatalContext(Context):
    """form.html when there is no form to show: only why."""

    view: None
    fatal: str


def forms_list_context(ws: Workspace, user: User, lang: str, *, dataset: str | None, period: str | None,
                       state: str | None, today: date) -> FormsListContext:
    chosen: Period | None = None
    error = None
    if period:
        try:
            chosen = check_year(Period.parse(period))
        except UnknownNameError as exc:
            error = exc.render(lang)
    ds = dataset if dataset in ws.catalogue.datasets else None
    st = next((s for s in STATES if s == state), None)
    return FormsListContext(
        rows=list_forms(ws, user, dataset=ds, period=chosen, state=st, today=today),
        datasets=list(ws.catalogue.datasets.values()), dataset=ds or "", period=period or "", state=st or "",
        states=STATES, error=error,
        state_label=lambda s: state_label(s, lang), action_label=lambda a: action_label(a, lang),
        unit_label=lambda u: unit_label(u, lang))


def form_context(ws: Workspace, view: FormView, lang: str, *, done: str | None = None,
                 posted: Mapping[str, Mapping[str, str]] | None = None, problems: Sequence[Problem] = (),
                 conflicts: Sequence[str] = (), error: str | None = None) -> FormContext:
    rows, transitions = field_rows(ws, view, lang, posted=posted, problems=problems, conflicts=conflicts)
    known = {f.indicator.code for f in view.fields}
    labels = {"comment": t("form.note.comment", lang), "reason": t("form.note.reason", lang)}
    general = [f"{labels.get(p.field, p.field)}: {problem_text(p, lang)}" if p.field else problem_text(p, lang)
               for p in problems if p.field not in known]
    return FormContext(
        view=view, rows=rows, transitions=transitions, general=general, error=error,
        unit_name=unit_label(ws.catalogue.units[view.unit], lang), dataset_name=view.dataset.name.get(lang),
        state_label=state_label(view.state.state, lang),
        done=t(f"form.done.{done}", lang) if done in DONE else None,
        url=_form_url(view), conflicts=list(conflicts),
        history_json={r.code: json.dumps([h for _, h in r.history]) for r in rows})


def form_page(ws: Workspace, request: Request, view: FormView, *, status: int = 200,
              posted: Mapping[str, Mapping[str, str]] | None = None, problems: Sequence[Problem] = (),
              conflicts: Sequence[str] = (), error: str | None = None) -> Response:
    done = request.query_params.get("done") if status == 200 else None
    ctx = form_context(ws, view, lang_of(request), done=done, posted=posted, problems=problems,
                       conflicts=conflicts, error=error)
    resp = render(request, "form.html", ctx.as_dict(), status_code=status)
    resp.headers["Cache-Control"] = "no-store"  # unpublished figures: not kept by shared caches
    return resp


def fatal_page(request: Request, exc: ChisoError, _status: int = 0) -> Response:
    """The forms pages' answer to an error (``web.problems.page_errors``): no right, 403; anything else means
    there is no such form (an unknown data set, unit or period; a unit that does not report it), 404."""
    lang = lang_of(request)
    if isinstance(exc, PermissionDenied):
        status, fatal = 403, t("form.denied", lang, reason=exc)
    else:
        status, fatal = 404, t("form.unknown", lang, reason=exc.render(lang))
    return render(request, "form.html", FatalContext(view=None, fatal=fatal).as_dict(), status_code=status)


pages_router = APIRouter(tags=["pages"], include_in_schema=False, dependencies=[Depends(page_errors(fatal_page))])


@pages_router.get("/forms")
def forms_list(request: Request, ws: WorkspaceDep, user: RequiredUser, dataset: str | None = None,
               period: str | None = None, state: str | None = None) -> Response:
    ctx = forms_list_context(ws, user, lang_of(request), dataset=dataset, period=period, state=state,
                             today=date.today())
    resp = render(request, "forms_list.html", ctx.as_dict())
    resp.headers["Cache-Control"] = "no-store"
    return resp


@pages_router.get("/forms/{dataset}/{unit}/{period}")
def form_get(request: Request, dataset: str, unit: str, period: str, ws: WorkspaceDep,
             user: RequiredUser) -> Response:
    return form_page(ws, request, workflow.open_form(ws, user, dataset, unit, period))


def _save(ws: Workspace, request: Request, user: User, dataset: str, unit: str, period: str,
          form: Mapping[str, str]) -> Response:
    check_csrf(request, form.get("csrf"))
    view = workflow.open_form(ws, user, dataset, unit, period)
    if not view.can_edit:
        raise PermissionDenied(f"the form is {view.state.state}; it cannot be changed" if view.state.state
                               not in EDITABLE else f"{user.username} may not enter data for {view.unit}")
    posted, entries, problems = parse_posted(view, form)
    if problems:
        problems += workflow.check_entries(ws, view, entries)
        return form_page(ws, request, view, status=422, posted=posted, problems=problems)
    conflicts = _conflicts(view, entries)
    if conflicts:
        return form_page(ws, request, view, status=409, posted=posted, conflicts=conflicts)
    submit, version = form.get("action") == "submit", _form_version(form)
    if submit and version is not None and version != view.version:  # submitting what the user has not seen
        return form_page(ws, request, view, status=409, posted=posted, error=t("form.changed", lang_of(request)))
    try:
        if entries:
            view = workflow.save_form(ws, user, view.dataset.id, view.unit, str(view.period), entries)
    except ValidationError as exc:
        return form_page(ws, request, view, status=422, posted=posted, problems=exc.problems)
    except ConflictError:  # lost a race after the check above
        view = workflow.open_form(ws, user, dataset, unit, period)
        return form_page(ws, request, view, status=409, posted=posted,
                         conflicts=_conflicts(view, entries) or [e.indicator for e in entries])
    done = "saved"
    if submit:
        try:
            view = workflow.submit_form(ws, user, view.dataset.id, view.unit, str(view.period),
                                        version=None if version is None else view.version)
        except ValidationError as exc:  # saved, but not complete
            return form_page(ws, request, view, status=422, problems=exc.problems)
        except ConflictError:  # saved; someone changed the form before it was submitted
            view = workflow.open_form(ws, user, dataset, unit, period)
            return form_page(ws, request, view, status=409, error=t("form.changed", lang_of(request)))
        done = "submitted"
    return RedirectResponse(f"{_form_url(view)}?done={done}", status_code=303)


@pages_router.post("/forms/{dataset}/{unit}/{period}")
async def form_post(request: Request, dataset: str, unit: str, period: str, ws: WorkspaceDep,
                    user: RequiredUser) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    return await run_in_threadpool(_save, ws, request, user, dataset, unit, period, form)


Move = Literal["approve", "return", "reopen"]


def _move(ws: Workspace, request: Request, user: User, dataset: str, unit: str, period: str,
          form: Mapping[str, str], what: Move) -> Response:
    check_csrf(request, form.get("csrf"))
    version = _form_version(form)
    try:
        if what == "approve":
            view = workflow.approve_form(ws, user, dataset, unit, period, version=version)
            done = "approved"
        elif what == "return":
            view = workflow.return_form(ws, user, dataset, unit, period, form.get("comment", ""), version=version)
            done = "returned"
        else:
            view = workflow.reopen_form(ws, user, dataset, unit, period, form.get("reason", ""), version=version)
            done = "reopened"
    except ValidationError as exc:
        return form_page(ws, request, workflow.open_form(ws, user, dataset, unit, period), status=422,
                         problems=exc.problems)
    except ConflictError:
        view = workflow.open_form(ws, user, dataset, unit, period)
        return form_page(ws, request, view, status=409, error=t("form.changed", lang_of(request)))
    return RedirectResponse(f"{_form_url(view)}?done={done}", status_code=303)


async def _move_post(request: Request, ws: Workspace, user: User, dataset: str, unit: str, period: str,
                     what: Move) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    return await run_in_threadpool(_move, ws, request, user, dataset, unit, period, form, what)


@pages_router.post("/forms/{dataset}/{unit}/{period}/approve")
async def approve_post(request: Request, dataset: str, unit: str, period: str, ws: WorkspaceDep,
                       user: RequiredUser) -> Response:
    return await _move_post(request, ws, user, dataset, unit, period, "approve")


@pages_router.post("/forms/{dataset}/{unit}/{period}/return")
async def return_post(request: Request, dataset: str, unit: str, period: str, ws: WorkspaceDep,
                      user: RequiredUser) -> Response:
    return await _move_post(request, ws, user, dataset, unit, period, "return")


@pages_router.post("/forms/{dataset}/{unit}/{period}/reopen")
async def reopen_post(request: Request, dataset: str, unit: str, period: str, ws: WorkspaceDep,
                      user: RequiredUser) -> Response:
    return await _move_post(request, ws, user, dataset, unit, period, "reopen")


# --- JSON API ------------------------------------------------------------------------------------------------
Number = Annotated[float | None, Field(default=None, allow_inf_nan=False)]


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    indicator: str = Field(description="indicator code, one of the data set's")
    value: Number = None
    numerator: Number = None
    denominator: Number = None
    comment: str | None = Field(default=None, max_length=2000,
                                description="required when the value is far from the unit's history")
    version: int = Field(default=0, ge=0, description="the version read with GET (0: the value did not exist)")


class EntriesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entries: list[EntryIn] = Field(max_length=500)


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str = Field(max_length=2000)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=2000)


def form_json(ws: Workspace, view: FormView, lang: str = "vi") -> dict[str, Any]:
    per, transitions = _changes_by_value(ws, view)
    st = view.state
    fields = []
    for f in view.fields:
        ind, s = f.indicator, f.stored
        fields.append({
            "indicator": ind.code, "name": ind.name.get(lang), "kind": ind.kind, "unit": ind.unit,
            "range": list(ind.range), "decimals": ind.decimals, "has_parts": ind.has_parts,
            "value": s.value if s else None, "numerator": s.numerator if s else None,
            "denominator": s.denominator if s else None, "comment": s.comment if s else None,
            "status": s.status if s else None, "version": f.version,
            "updated_by": s.updated_by if s else None, "updated_at": s.updated_at.isoformat() if s else None,
            "history": [{"period": p, "value": v} for p, v in f.history],
            "far_from_history": bool(s and s.value is not None
                                     and workflow.far_from_history(s.value, [h for _, h in f.history])),
            "changes": [{**c, "at": c["at"].isoformat()} for c in (_change(a, lang) for a in per.get(ind.code, []))],
        })
    return {
        "dataset": view.dataset.id, "dataset_name": view.dataset.name.get(lang), "unit": view.unit,
        "unit_name": unit_label(ws.catalogue.units[view.unit], lang), "period": str(view.period),
        "state": st.state, "version": view.version, "comment": st.comment, "updated_by": st.updated_by or None,
        "updated_at": st.updated_at.isoformat() if st.updated_at else None,
        "can_edit": view.can_edit, "can_review": view.can_review, "can_reopen": view.can_reopen,
        "fields": fields,
        "transitions": [{"at": a.at.isoformat(), "actor": a.actor, "state": a.action,
                         "comment": (a.after or {}).get("comment")} for a in transitions],
    }


def _conflict(view: FormView, codes: list[str]) -> HttpProblem:
    """409 naming the first changed field, with the current version and value of each."""
    by = {f.indicator.code: f for f in view.fields}
    cur = []
    for c in codes:
        s = by[c].stored if c in by else None
        cur.append({"field": c, "version": by[c].version if c in by else 0,
                    "value": s.value if s else None, "updated_by": s.updated_by if s else None,
                    "updated_at": s.updated_at.isoformat() if s else None})
    return HttpProblem(409, "conflict", f"{codes[0]}: changed since it was read; GET the form again, check "
                       "the current value, and save with its version", title="Conflict", current=cur)


api_router = APIRouter(prefix="/api/v1/forms", tags=["forms"])
FormVersion = Annotated[int | None, Query(ge=0, description="the form's `version` as read with GET: if it changed "
                                          "since, 409 and nothing moves (omitted: not checked)")]
ONE_FORM = responses(401, s403="not allowed, or a missing CSRF token", s404="no such form")
CHANGE = responses(401, s403="not allowed, or a missing CSRF token", s404="no such form",
                   s409="changed meanwhile", s422="invalid values: `errors` lists each {field, reason, rule}")
CHANGE_WITH_BODY = {**CHANGE, **responses(s400="the body is not valid JSON of this shape")}


@api_router.get("", responses=responses(s400="an unknown data set, period or state", s401="not logged in"))
def forms(ws: WorkspaceDep, user: RequiredUser,
          dataset: Annotated[str | None, Query(description="a data set id")] = None,
          period: Annotated[str | None, Query(description="e.g. 2024-04 (default: the last complete)")] = None,
          state: Annotated[State | None, Query(description="only the forms in this state")] = None,
          ) -> dict[str, Any]:
    """The forms in the user's scope, those the user can act on first."""
    if dataset is not None and dataset not in ws.catalogue.datasets:
        raise HttpProblem(400, "unknown-dataset", f"dataset: unknown data set {dataset!r}")
    chosen = period_param(period, "period", status=400) if period else None
    rows = list_forms(ws, user, dataset=dataset, period=chosen, state=state, today=date.today())
    return {"count": len(rows), "forms": [
        {"dataset": x.dataset.id, "unit": x.unit.code, "period": x.period, "state": x.state, "action": x.action,
         "url": f"/api/v1/forms/{x.dataset.id}/{x.unit.code}/{x.period}"} for x in rows]}


@api_router.get("/{dataset}/{unit}/{period}", responses=ONE_FORM)
def get_form(request: Request, dataset: str, unit: str, period: str, ws: WorkspaceDep,
             user: RequiredUser) -> dict[str, Any]:
    """One form: its state, each field's value, version, approved history and change history."""
    return form_json(ws, _guard(lambda: workflow.open_form(ws, user, dataset, unit, period)), lang_of(request))


@api_router.put("/{dataset}/{unit}/{period}", responses=CHANGE_WITH_BODY, dependencies=[CheckCsrf])
def put_form(request: Request, dataset: str, unit: str, period: str, body: EntriesIn, ws: WorkspaceDep,
             user: RequiredUser) -> dict[str, Any]:
    """Save entries (each with the version read); all or nothing. Empty entries are left as they are."""
    entries = [Entry(e.indicator, e.value, e.numerator, e.denominator, e.comment, e.version)
               for e in body.entries]
    view = _guard(lambda: workflow.open_form(ws, user, dataset, unit, period))
    if view.can_edit and (codes := _conflicts(view, entries)):
        raise _conflict(view, codes)
    try:
        view = _guard(lambda: workflow.save_form(ws, user, dataset, unit, period, entries))
    except ConflictError as exc:  # lost a race after the check above
        view = _guard(lambda: workflow.open_form(ws, user, dataset, unit, period))
        raise _conflict(view, _conflicts(view, entries) or [e.indicator for e in entries]) from exc
    return form_json(ws, view, lang_of(request))


@api_router.post("/{dataset}/{unit}/{period}/submit", responses=CHANGE, dependencies=[CheckCsrf])
def submit(request: Request, dataset: str, unit: str, period: str, ws: WorkspaceDep,
           user: RequiredUser, version: FormVersion = None) -> dict[str, Any]:
    """Submit for review (every field must have a value)."""
    return form_json(ws, _guard(lambda: workflow.submit_form(ws, user, dataset, unit, period, version=version)),
                     lang_of(request))


@api_router.post("/{dataset}/{unit}/{period}/approve", responses=CHANGE, dependencies=[CheckCsrf])
def approve(request: Request, dataset: str, unit: str, period: str, ws: WorkspaceDep,
            user: RequiredUser, version: FormVersion = None) -> dict[str, Any]:
    """Approve a submitted form: its values are published and the form is locked. With ``[workflow]
    four_eyes`` on (the default) whoever submitted it or saved its values may not (403)."""
    return form_json(ws, _guard(lambda: workflow.approve_form(ws, user, dataset, unit, period, version=version)),
                     lang_of(request))


@api_router.post("/{dataset}/{unit}/{period}/return", responses=CHANGE_WITH_BODY, dependencies=[CheckCsrf])
def return_(request: Request, dataset: str, unit: str, period: str, body: CommentIn, ws: WorkspaceDep,
            user: RequiredUser, version: FormVersion = None) -> dict[str, Any]:
    """Return a submitted form to its unit, with a comment saying what to fix."""
    return form_json(ws, _guard(lambda: workflow.return_form(ws, user, dataset, unit, period, body.comment,
                                                             version=version)), lang_of(request))


@api_router.post("/{dataset}/{unit}/{period}/reopen", responses=CHANGE_WITH_BODY, dependencies=[CheckCsrf])
def reopen(request: Request, dataset: str, unit: str, period: str, body: ReasonIn, ws: WorkspaceDep,
           user: RequiredUser, version: FormVersion = None) -> dict[str, Any]:
    """Reopen an approved form (admins only; audited with the reason). Its values are unpublished."""
    return form_json(ws, _guard(lambda: workflow.reopen_form(ws, user, dataset, unit, period, body.reason,
                                                             version=version)), lang_of(request))
