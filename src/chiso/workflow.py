"""Data entry and approval: a form is one data set for one unit and one period.

open → (save…) → submit → approve (locked), or return with a comment → (save…) → submit …;
an admin may reopen an approved form (audited). Values saved in a form are ``draft`` until the form
is approved; published views (dashboards, the public API, rankings) read approved values only.
Two people saving the same value cannot overwrite each other: each save names the version it read.
A move (submit, approve, return, reopen) names the form's version it read (``FormView.version``) the same way,
and re-reads the form's values inside its own transaction: it never writes back values read before a save.
With ``[workflow] four_eyes`` on (the default; chiso.toml), whoever submitted a form or last saved one of its
values may not approve it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

from chiso import auth
from chiso.app import SETTINGS, Workspace
from chiso.auth import User
from chiso.catalogue.datasets import DataSet
from chiso.catalogue.models import Indicator
from chiso.catalogue.periods import Period, check_year
from chiso.catalogue.records import Origin, StoredValue, ValueInput
from chiso.engine.warnings import far_from_history as far_from_history  # the form check: one rule
from chiso.errors import (
    ChisoError,
    ConflictError,
    PermissionDenied,
    Problem,
    UnknownNameError,
    ValidationError,
    WorkspaceError,
)
from chiso.ingest.intake import Figure, check_figure
from chiso.store.users import FormState

State = Literal["open", "submitted", "approved", "returned"]  # a form's state: a closed set
STATES: tuple[State, ...] = get_args(State)
EDITABLE: tuple[State, ...] = ("open", "returned")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    indicator: str
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    comment: str | None = None
    version: int = 0  # the version the user read (0: the value did not exist)


@dataclass
class Field:
    indicator: Indicator
    stored: StoredValue | None
    history: list[tuple[str, float]]

    @property
    def version(self) -> int:
        return self.stored.version if self.stored else 0


@dataclass
class FormView:
    dataset: DataSet
    unit: str
    period: Period
    state: FormState
    fields: list[Field]
    can_edit: bool
    can_review: bool
    can_reopen: bool
    problems: list[Problem] = field(default_factory=list)

    @property
    def version(self) -> int:
        """The form's version: its state's and its values' versions summed. Every save and every move raises
        it, so a move naming an older one is refused (someone changed the form since it was read)."""
        return self.state.version + sum(f.version for f in self.fields)


def four_eyes(ws: Workspace) -> bool:
    """``[workflow] four_eyes`` of the workspace's chiso.toml (on when absent): a second person approves.
    Off only for one-person installations; each approval's audit entry records it."""
    value = ws.settings.get("workflow", {}).get("four_eyes", True)
    if not isinstance(value, bool):
        raise WorkspaceError(f"{ws.root / SETTINGS}: [workflow] four_eyes must be true or false, not {value!r}")
    return value


def source_of(dataset: DataSet) -> str:
    return f"form:{dataset.id}"


def _dataset(ws: Workspace, dataset: str) -> DataSet:
    ds = ws.catalogue.datasets.get(dataset)
    if ds is None:
        raise UnknownNameError(dataset, sorted(ws.catalogue.datasets), detail="no such data set")
    return ds


def _check_place(ws: Workspace, ds: DataSet, unit: str, period: str) -> tuple[str, Period]:
    p = check_year(Period.parse(period))  # 1900Q1 is a slip: no form opens for it
    if p.kind is not ds.period:
        raise ChisoError(f"data set {ds.id} is reported by {ds.period.value}, not for period {p}")
    u = ws.catalogue.unit(unit, on=p.end)
    if u.code not in {m.code for m in ws.catalogue.members(ds.group, p)}:
        raise ChisoError(f"{u.code} does not report data set {ds.id} (it is for the members of {ds.group})")
    return u.code, p


def open_form(ws: Workspace, user: User | None, dataset: str, unit: str, period: str) -> FormView:
    ds = _dataset(ws, dataset)
    code, p = _check_place(ws, ds, unit, period)
    cat = ws.catalogue
    if not auth.can_read_unpublished(cat, user, code):
        raise PermissionDenied(f"{user.username if user else 'the public'} may not open the form of {code}")
    stored = {v.indicator: v for v in ws.store.values(units=[code], period=str(p), source=source_of(ds))}
    fields = [Field(cat.indicators[c], stored.get(c), _history(ws, c, code, p)) for c in ds.indicators]
    state = ws.store.users.form(ds.id, code, str(p))
    return FormView(
        ds,
        code,
        p,
        state,
        fields,
        can_edit=state.state in EDITABLE and auth.can_enter(cat, user, code),
        can_review=state.state == "submitted" and auth.can_review(cat, user, code),
        can_reopen=state.state == "approved" and auth.can_reopen(cat, user, code),
    )


def _history(ws: Workspace, code: str, unit: str, p: Period, n: int = 12) -> list[tuple[str, float]]:
    """The unit's approved values for the ``n`` periods before ``p`` (of the same kind)."""
    wanted = {str(p.shift(-i)) for i in range(1, n + 1)}
    vals = [v for v in ws.store.values(indicator=code, units=[unit], statuses=["approved"]) if v.period in wanted]
    return sorted((v.period, v.value) for v in vals if v.value is not None)


def save_form(ws: Workspace, user: User, dataset: str, unit: str, period: str, entries: Sequence[Entry]) -> FormView:
    """Validate and save; every problem is reported at once (field = indicator code) and nothing is saved."""
    view = open_form(ws, user, dataset, unit, period)
    if not view.can_edit:
        raise PermissionDenied(
            f"the form {view.dataset.id} {view.unit} {view.period} is {view.state.state}; it cannot be changed"
            if view.state.state not in EDITABLE
            else f"{user.username} may not enter data for {view.unit}"
        )
    problems, inputs, versions = _check(ws, view, entries)
    if problems:
        raise ValidationError(problems, source=f"{dataset} {view.unit} {view.period}")
    book, key = ws.store.users, (view.dataset.id, view.unit, str(view.period))
    with ws.store.batch():
        book.form_now(*key, source=source_of(view.dataset))  # the form's values locked (PostgreSQL)
        ws.store.write_values(
            inputs,
            actor=user.username,
            kind="edit",
            description=f"form {dataset}",
            status="draft",
            expected_versions=versions,
        )
        now, _ = book.form_now(*key, source=source_of(view.dataset))
        if now.version != view.state.version:  # moved (submitted…) since it was read: nothing is saved
            raise ConflictError(f"form {' '.join(key)} changed meanwhile ({view.state.state} → {now.state})")
    return open_form(ws, user, dataset, unit, period)


def check_entries(ws: Workspace, view: FormView, entries: Sequence[Entry]) -> list[Problem]:
    """The problems ``save_form`` would report for ``entries``, without saving: lets a page report them
    together with its own (numbers it could not read)."""
    return _check(ws, view, entries)[0]


def _check(
    ws: Workspace, view: FormView, entries: Sequence[Entry]
) -> tuple[list[Problem], list[ValueInput], dict[tuple[str, str, str, str, str], int]]:
    """Each entry through the one intake (``chiso.ingest.intake``), then the form's own rule: a value far
    from the unit's history needs a comment. Problems name the indicator as their field."""
    by_code = {f.indicator.code: f for f in view.fields}
    problems: list[Problem] = []
    inputs: list[ValueInput] = []
    versions: dict[tuple[str, str, str, str, str], int] = {}
    for i, e in enumerate(entries, start=1):
        f = by_code.get(e.indicator)
        if f is None:
            problems.append(
                Problem(i, e.indicator, "not_in_dataset", {"code": e.indicator, "dataset": view.dataset.id})
            )
            continue
        if e.value is None and e.numerator is None and e.denominator is None:
            continue  # left empty
        figure = Figure(
            code=e.indicator,
            unit=view.unit,
            period=str(view.period),
            value=e.value,
            numerator=e.numerator,
            denominator=e.denominator,
            source=source_of(view.dataset),
            comment=e.comment or None,
            origin=Origin.REPORTED,
        )
        out = check_figure(ws.catalogue, figure, row=i, group_values=False)
        problems.extend(Problem(p.row, e.indicator, p.reason, p.params, p.value) for p in out.problems)
        vi = out.value
        if vi is None or vi.value is None:
            continue
        if far_from_history(vi.value, [h for _, h in f.history]) and not (e.comment or "").strip():
            problems.append(Problem(i, e.indicator, "far_from_history"))  # the value stands in its input
            continue
        inputs.append(vi)
        versions[vi.key] = e.version
    return problems, inputs, versions


def _restatus(ws: Workspace, view: FormView, vals: Sequence[StoredValue], status: str, actor: str) -> None:
    """The values' new status, written over the versions just read (a change meanwhile is a conflict)."""
    inputs = [v.as_input() for v in vals]
    ws.store.write_values(
        inputs,
        actor=actor,
        kind="edit",
        description=f"form {view.dataset.id} {status}",
        status=status,
        expected_versions={vi.key: v.version for vi, v in zip(inputs, vals, strict=True)},
    )


def _stale(view: FormView, version: int | None, now: int | None = None) -> None:
    have = view.version if now is None else now
    if version is not None and version != have:
        where = f"{view.dataset.id} {view.unit} {view.period}"
        raise ConflictError(f"form {where} changed since it was read (version {version}, now {have})")


def savers(ws: Workspace, view: FormView) -> set[str]:
    """Who last saved each of the form's values (the last audit entry changing its figures or comment; a
    move only changes the status)."""
    ids = {str(f.stored.id) for f in view.fields if f.stored is not None}
    last: dict[str, str] = {}
    for a in sorted(ws.store.history(unit=view.unit, period=str(view.period)), key=lambda a: a.id):
        if a.entity != "data_value" or a.entity_id not in ids:
            continue
        before, after = a.before or {}, a.after or {}
        if any(before.get(k) != after.get(k) for k in ("value", "numerator", "denominator", "comment")):
            last[a.entity_id] = a.actor
    return set(last.values())


def _second_person(ws: Workspace, user: User, view: FormView) -> dict[str, object]:
    """The four-eyes rule for an approval, and what its audit entry records of it."""
    submitter = view.state.updated_by
    on = four_eyes(ws)
    if on:
        if user.username == submitter:
            raise PermissionDenied(
                f"{user.username} submitted the form of {view.unit}; another person must approve it"
                " ([workflow] four_eyes)"
            )
        if user.username in savers(ws, view):
            raise PermissionDenied(
                f"{user.username} entered values of the form of {view.unit}; another person must approve it"
                " ([workflow] four_eyes)"
            )
    return {"submitted_by": submitter, "four_eyes": on}


def _move(
    ws: Workspace,
    user: User,
    dataset: str,
    unit: str,
    period: str,
    *,
    verb: str,
    may: str,
    state: State,
    values: str,
    version: int | None,
    note: tuple[str, str] | None = None,
) -> FormView:
    """One workflow move: check the right (``may``: a FormView flag), the form's version the user read
    (``None``: not checked) and a required note, then move the form and its values' status in one
    transaction: both, or neither. Inside it the form's row is moved first (that locks it) and its values
    are read again, locked: the move writes the values current in its transaction, never older ones."""
    view = open_form(ws, user, dataset, unit, period)
    if not getattr(view, may):
        raise PermissionDenied(f"{user.username} may not {verb} the form of {view.unit} ({view.state.state})")
    _stale(view, version)
    if note is not None and not note[1].strip():
        raise ValidationError([Problem(None, note[0], "required")], source=verb)
    detail = _second_person(ws, user, view) if verb == "approve" else None
    book, key, src = ws.store.users, (view.dataset.id, view.unit, str(view.period)), source_of(view.dataset)
    with ws.store.batch():
        book.set_form(view.state, state, user.username, note[1] if note else None, detail=detail)
        _, locked = book.form_now(*key, source=src)
        codes = set(view.dataset.indicators)
        vals = [v for v in ws.store.values(units=[view.unit], period=key[2], source=src) if v.indicator in codes]
        if {v.indicator: v.version for v in vals} != {c: n for c, n in locked.items() if c in codes}:
            raise ConflictError(f"form {' '.join(key)} changed meanwhile")  # not expected: the rows are locked
        _stale(view, version, view.state.version + sum(v.version for v in vals))
        if verb == "submit":
            have = {v.indicator for v in vals}
            empty = [c for c in view.dataset.indicators if c not in have]
            if empty:
                raise ValidationError([Problem(None, c, "required") for c in empty], source=f"{dataset} {view.unit}")
        _restatus(ws, view, vals, values, user.username)
    return open_form(ws, user, dataset, unit, period)


def submit_form(
    ws: Workspace, user: User, dataset: str, unit: str, period: str, *, version: int | None = None
) -> FormView:
    view = _move(ws, user, dataset, unit, period, verb="submit", may="can_edit", state="submitted",
                 values="submitted", version=version)
    watch = ws.watch()  # submitted: no longer late (chiso.watch)
    try:
        watch.record(watch.late_form(view.dataset.id, view.unit, str(view.period)))
    except Exception:  # the move is committed: a failed check must not fail it
        log.exception("the late-reporting check after submitting %s %s failed", view.dataset.id, view.unit)
    return view


def approve_form(
    ws: Workspace, user: User, dataset: str, unit: str, period: str, *, version: int | None = None
) -> FormView:
    view = _move(ws, user, dataset, unit, period, verb="approve", may="can_review", state="approved",
                 values="approved", version=version)
    ws.watch().after_approval(view.dataset.id, view.unit, str(view.period))  # the values now published
    # their warnings, and the period's report if this approval completed it (chiso.notify.When), to the subscribers:
    # from a thread, the approval does not wait
    ws.notify_now()
    return view


def return_form(
    ws: Workspace, user: User, dataset: str, unit: str, period: str, comment: str, *, version: int | None = None
) -> FormView:
    return _move(ws, user, dataset, unit, period, verb="return", may="can_review", state="returned",
                 values="returned", version=version, note=("comment", comment))


def reopen_form(
    ws: Workspace, user: User, dataset: str, unit: str, period: str, reason: str, *, version: int | None = None
) -> FormView:
    return _move(ws, user, dataset, unit, period, verb="reopen", may="can_reopen", state="open",
                 values="draft", version=version, note=("reason", reason))
