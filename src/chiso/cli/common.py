"""What every command shares: the consoles, global options, the workspace, error handling."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TypeVar

import typer
from rich.console import Console

from chiso import app as core
from chiso.errors import ChisoError, ValidationError
from chiso.i18n import t
from chiso.store import default_actor

T = TypeVar("T")

out = Console()
err = Console(stderr=True, soft_wrap=True)
WIDE = 100  # below this many columns, tables drop their borders and long records go one per block


def as_of_date(text: str | None) -> date | None:
    """``--as-of``: an ISO date (2024-09-30), or None when not given."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ChisoError(t("cli.forecast.bad_date", None, value=text)) from exc


def fit_width() -> None:
    """The consoles' width from ``COLUMNS`` when it is set, read at each command rather than at import (a shell
    that resized, a test runner): Rich reads it once, when the consoles are made."""
    cols = os.environ.get("COLUMNS", "")
    if cols.isdigit() and int(cols) > 0:
        out.width = err.width = int(cols)


class State:
    workspace: str | None = None
    db: str | None = None
    actor: str = default_actor()


state = State()


def workspace() -> core.Workspace:
    return core.find_workspace(state.workspace, state.db)


def fail(exc: ChisoError) -> None:
    err.print(f"[red]{t('cli.error')}:[/red] {exc.render()}", highlight=False)
    if isinstance(exc, ValidationError) and len(exc.problems) > 1:
        for p in exc.problems:
            err.print(f"  - {p.render()}", highlight=False)
    raise typer.Exit(2)


@contextmanager
def fail_on_errors() -> Iterator[None]:
    """chiso's errors become one clear line on stderr and exit code 2."""
    try:
        yield
    except ChisoError as exc:
        fail(exc)


def run(fn: Callable[[], T]) -> T:
    """Run a command body, turning chiso's errors into one clear line and a non-zero exit."""
    with fail_on_errors():
        return fn()
