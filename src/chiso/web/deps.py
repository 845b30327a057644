"""What a route gets from the app through FastAPI dependencies: the workspace, the page data cache, the
event writer. ``create_app`` puts them on ``app.state``; routers are module-level and ask for them here.

Use them as ``ws: WorkspaceDep`` (or ``Annotated[Workspace, Depends(workspace)]``) in a handler's parameters.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from chiso.app import Workspace
from chiso.ingest.nats import EventWriter
from chiso.web.dashboards import Dashboards


def workspace(request: Request) -> Workspace:
    """The app's workspace."""
    ws: Workspace = request.app.state.workspace
    return ws


def dashboards(request: Request) -> Dashboards:
    """The app's one ``Dashboards``: the page data cache the pages and the read API share."""
    dash: Dashboards = request.app.state.dashboards
    return dash


def writer(request: Request) -> EventWriter:
    """The app's one event writer (every event batch goes through it)."""
    w: EventWriter = request.app.state.writer
    return w


WorkspaceDep = Annotated[Workspace, Depends(workspace)]
DashboardsDep = Annotated[Dashboards, Depends(dashboards)]
WriterDep = Annotated[EventWriter, Depends(writer)]
