"""Subscriptions and in-app notifications on the API (issue 15 §3; docs/notifications.md), the logged-in user's own:
``GET/POST /api/v1/subscriptions``, ``DELETE /api/v1/subscriptions/{id}``, ``GET /api/v1/notifications``. Changes
need the session's ``X-CSRF-Token``, like every API write. The scope rule is ``chiso.notify.check_subscription``'s."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from chiso import app as core
from chiso.notify import MAX_EMAIL, MAX_SECRET, MAX_URL
from chiso.report.warnings_text import describe
from chiso.web.deps import WorkspaceDep
from chiso.web.problems import responses
from chiso.web.session import CheckCsrf, RequiredUser
from chiso.web.templating import lang_of

router = APIRouter(prefix="/api/v1", tags=["subscriptions"])
SubId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the subscription's number")]


class NewSubscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: str = Field(max_length=50, description="a unit in the user's scope")
    below: bool = Field(True, description="the units below it too")
    indicator: str | None = Field(None, max_length=100)
    kind: Literal["silent", "break", "fall", "off_track", "late"] | None = None
    report: Literal["monthly", "quarterly", "annual"] | None = None
    channel: Literal["email", "webhook", "inapp"]
    target: str | None = Field(None, max_length=max(MAX_URL, MAX_EMAIL), description="an e-mail address or a URL")
    secret: str | None = Field(None, max_length=MAX_SECRET, description="the webhook's HMAC key")
    lang: Literal["vi", "en"] = "vi"


@router.get("/subscriptions", responses=responses(401))
def list_subscriptions(ws: WorkspaceDep, user: RequiredUser) -> dict[str, Any]:
    """The logged-in user's subscriptions (never their secrets)."""
    subs = core.subscriptions(ws, user)
    return {"count": len(subs), "subscriptions": [s.public() for s in subs]}


@router.post("/subscriptions", status_code=201, dependencies=[CheckCsrf], responses=responses(
    401, s403="a unit outside the user's scope, or a missing CSRF token", s422="a field out of its bounds"))
def add_subscription(ws: WorkspaceDep, user: RequiredUser, body: NewSubscription) -> dict[str, Any]:
    """Subscribe the logged-in user to a unit's warnings (or a report), by e-mail, webhook or in-app."""
    return core.subscribe(ws, user, **body.model_dump()).public()


@router.delete("/subscriptions/{sid}", status_code=204, dependencies=[CheckCsrf], responses=responses(
    401, s403="a missing CSRF token", s404="no such subscription of the user's"))
def remove_subscription(ws: WorkspaceDep, user: RequiredUser, sid: SubId) -> None:
    core.unsubscribe(ws, user, sid)


@router.get("/notifications", responses=responses(401))
def list_notifications(request: Request, ws: WorkspaceDep, user: RequiredUser,
                       limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """The logged-in user's in-app notifications, the newest first (warnings still in their scope)."""
    lang = lang_of(request)
    rows = core.notifications(ws, user, limit)
    return {"count": len(rows), "notifications": [
        {"id": d.id, "at": (d.sent_at or d.created_at).isoformat(), "subscription": d.subscription.id,
         "warning": w.id, "kind": w.kind, "unit": w.unit, "text": describe(ws.catalogue, w, lang)} for d, w in rows]}
