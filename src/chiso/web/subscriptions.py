"""Subscriptions and in-app notifications (issue 15 §3; docs/notifications.md), the logged-in user's own: the page
``/subscriptions`` (list, add, remove; the notifications, marked read one or all), and the API
``GET/POST /api/v1/subscriptions``, ``DELETE /api/v1/subscriptions/{id}``, ``GET /api/v1/notifications``,
``POST /api/v1/notifications/{id}/read`` and ``/api/v1/notifications/read``. Changes need the session's CSRF token
(the form's, or ``X-CSRF-Token``), like every write. The scope rule is ``chiso.notify.check_subscription``'s. A
delivered report's PDF: ``/notifications/{id}/report``, to its subscriber logged in, or to anyone with its signed,
expiring link (a mail's, a webhook's: ``chiso.notify.signed_report_link``)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from chiso import app as core
from chiso.catalogue.warnings import KINDS, WarningRecord
from chiso.errors import ChisoError, LinkRefused, NotAuthenticated, UnknownNotificationError
from chiso.i18n import t
from chiso.notify import (
    MAX_EMAIL,
    MAX_EXP,
    MAX_SECRET,
    MAX_URL,
    digest_text,
    parse_report_item,
    report_link,
    report_text,
    when_label,
)
from chiso.report.warnings_text import describe, kind_name, unit_label
from chiso.store.notify import CHANNELS, DIGESTS, REPORTS, Delivery, Subscription
from chiso.web.contexts import Context
from chiso.web.deps import WorkspaceDep
from chiso.web.problems import page_errors, responses
from chiso.web.session import CheckCsrf, CheckFormCsrf, CurrentUser, RequiredUser
from chiso.web.templating import lang_of, render

router = APIRouter(prefix="/api/v1", tags=["subscriptions"])
SubId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the subscription's number")]
NoteId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the notification's (delivery's) number")]


class NewSubscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: str = Field(max_length=50, description="a unit in the user's scope")
    below: bool = Field(True, description="the units below it too")
    indicator: str | None = Field(None, max_length=100)
    kind: Literal["silent", "break", "fall", "off_track", "late"] | None = None
    report: Literal["monthly", "quarterly", "annual"] | None = None
    when: str | None = Field(None, max_length=20, description="a report's: `approved` (the default: when the "
                             "period's data is approved), `day:N` (N days after the period ends, 0-60) or "
                             "`approved+day:N` (whichever comes first)")
    digest: Literal["hourly", "daily", "weekly"] | None = Field(
        None, description="warnings gathered into one message each hour, day or ISO week (Vietnam's time; a week "
        "closes on Monday at 00:00); none: each at once")
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
                       limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                       unread: Annotated[bool, Query(description="only those not read yet")] = False,
                       ) -> dict[str, Any]:
    """The logged-in user's in-app notifications, the newest first (warnings still in their scope), each with its
    ``read_at`` (null: unread), and ``unread``: how many of theirs are unread."""
    return _notes(ws, user, limit, lang_of(request), unread)


@router.post("/notifications/read", dependencies=[CheckCsrf], responses=responses(
    401, s403="a missing CSRF token"))
def read_all_notifications(ws: WorkspaceDep, user: RequiredUser) -> dict[str, Any]:
    """Mark every in-app notification of the logged-in user's read: how many were unread (``marked``)."""
    return {"marked": core.mark_read(ws, user), "unread": core.unread_count(ws, user)}


@router.post("/notifications/{did}/read", dependencies=[CheckCsrf], responses=responses(
    401, s403="a missing CSRF token", s404="no such notification of the user's"))
def read_notification(ws: WorkspaceDep, user: RequiredUser, did: NoteId) -> dict[str, Any]:
    """Mark one in-app notification of the logged-in user's read (again: no change); anyone else's is a 404."""
    return {"id": did, "marked": core.mark_read(ws, user, did), "unread": core.unread_count(ws, user)}


def _notes(ws: core.Workspace, user: Any, limit: int, lang: str, unread: bool = False) -> dict[str, Any]:
    rows = core.notifications(ws, user, limit, unread=unread)
    digests = core.digest_warnings(ws, user, [d for d, _ in rows if d.item.startswith("digest:")])
    notes = [_note(ws, d, w, lang, digests.get(d.id, [])) for d, w in rows]
    return {"count": len(notes), "unread": core.unread_count(ws, user), "notifications": notes}


def _note(ws: core.Workspace, d: Delivery, w: WarningRecord | None, lang: str,
          digest: list[WarningRecord]) -> dict[str, Any]:
    """One in-app notification: a warning (its id, kind, unit), a report (its period, edition, link and PDF), or a
    digest (its warnings)."""
    return {**_note_body(ws, d, w, lang, digest), "read_at": d.read_at.isoformat() if d.read_at else None}


def _note_body(ws: core.Workspace, d: Delivery, w: WarningRecord | None, lang: str,
               digest: list[WarningRecord]) -> dict[str, Any]:
    at = (d.sent_at or d.created_at).isoformat()
    if w is not None:
        return {"id": d.id, "at": at, "subscription": d.subscription.id, "item": d.item, "warning": w.id,
                "kind": w.finding.kind, "unit": w.finding.unit, "text": describe(ws.catalogue, w.finding, lang)}
    if d.item.startswith("digest:"):
        sub = replace(d.subscription, lang=lang)
        return {"id": d.id, "at": at, "subscription": sub.id, "item": d.item, "warning": None, "kind": "digest",
                "unit": sub.unit, "text": digest_text(ws.catalogue, sub, len(digest)),
                "warnings": [{"id": x.id, "kind": x.finding.kind, "unit": x.finding.unit,
                              "text": describe(ws.catalogue, x.finding, lang)} for x in digest]}
    period, edition = parse_report_item(d.item)
    f = d.file
    return {"id": d.id, "at": at, "subscription": d.subscription.id, "item": d.item, "warning": None,
            "kind": "report", "unit": d.subscription.unit,
            "text": report_text(ws.catalogue, period, d.subscription.unit, lang, edition),
            "report": {"kind": d.subscription.report, "period": period, "edition": edition,
                       "link": report_link(d.id), "sha256": f.sha256 if f else None, "size": f.size if f else None}}


# the page ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubscriptionsContext(Context):
    # and the unit's name, the channel's, a report's when and name, a digest's name
    subs: list[tuple[Subscription, str, str, str, str, str]]
    # (its id, when, the sentence, a report's link or "", a digest's warnings, unread)
    notes: list[tuple[int, str, str, str, list[str], bool]]
    digests: list[tuple[str, str]]
    kinds: list[tuple[str, str]]
    channels: list[tuple[str, str]]
    reports: list[tuple[str, str]]
    unit: str  # the user's own: the form's default
    error: str | None
    unread: int = 0  # of the user's notifications


def _page(request: Request, ws: core.Workspace, user: Any, error: str | None = None, status: int = 200) -> Response:
    lang = lang_of(request)
    cat = ws.catalogue
    day = ws.notify_settings.report_day
    subs = [(s, unit_label(cat, s.unit, lang), t(f"page.subscriptions.channel.{s.channel}", lang),
             when_label(s, day, lang), t(f"page.subscriptions.report.{s.report}", lang) if s.report else "",
             t(f"page.subscriptions.digest.{s.digest}", lang) if s.digest else "")
            for s in core.subscriptions(ws, user)]
    listed = _notes(ws, user, 50, lang)
    notes = [(n["id"], datetime.fromisoformat(n["at"]).strftime("%d/%m/%Y %H:%M"), n["text"],
              n.get("report", {}).get("link", ""), [x["text"] for x in n.get("warnings", [])], n["read_at"] is None)
             for n in listed["notifications"]]
    ctx = SubscriptionsContext(subs, notes, [(k, kind_name(k, lang)) for k in KINDS],
                               [(c, t(f"page.subscriptions.channel.{c}", lang)) for c in CHANNELS],
                               [(r, t(f"page.subscriptions.report.{r}", lang)) for r in REPORTS],
                               [(g, t(f"page.subscriptions.digest.{g}", lang)) for g in DIGESTS], user.unit, error,
                               listed["unread"])
    resp = render(request, "subscriptions.html", ctx.as_dict(), status_code=status)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def error_page(request: Request, exc: ChisoError, status: int = 400) -> Response:
    user = getattr(request.state, "user", None)
    ws = request.app.state.workspace
    if user is None:
        return render(request, "subscriptions.html", SubscriptionsContext([], [], [], [], [], [], "", exc.render(
            lang_of(request))).as_dict(), status_code=status)
    return _page(request, ws, user, exc.render(lang_of(request)), status)


pages_router = APIRouter(tags=["pages"], include_in_schema=False, dependencies=[Depends(page_errors(error_page))])


@pages_router.get("/subscriptions")
def subscriptions_page(request: Request, ws: WorkspaceDep, user: RequiredUser) -> Response:
    return _page(request, ws, user)


@pages_router.post("/subscriptions", dependencies=[CheckFormCsrf])
def subscriptions_add(request: Request, ws: WorkspaceDep, user: RequiredUser,
                      unit: Annotated[str, Form(max_length=50)], channel: Annotated[str, Form(max_length=20)],
                      kind: Annotated[str, Form(max_length=20)] = "",
                      report: Annotated[str, Form(max_length=20)] = "",
                      when: Annotated[str, Form(max_length=20)] = "",
                      digest: Annotated[str, Form(max_length=20)] = "",
                      target: Annotated[str, Form(max_length=max(MAX_URL, MAX_EMAIL))] = "",
                      secret: Annotated[str, Form(max_length=MAX_SECRET)] = "") -> Response:
    core.subscribe(ws, user, unit=unit.strip(), kind=kind or None, report=report or None,
                   when=when.strip() or None, digest=digest or None, channel=channel, target=target.strip() or None,
                   secret=secret or None, lang=lang_of(request))
    return RedirectResponse("/subscriptions", status_code=303)


@pages_router.get("/notifications/{did}/report")
def notification_report(request: Request, ws: WorkspaceDep, user: CurrentUser, did: NoteId,
                        exp: Annotated[int | None, Query(ge=0, lt=MAX_EXP)] = None,
                        sig: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    """The PDF a report notification carried: to its subscriber logged in (in-app), while the unit is in their
    scope, 404 for anyone else's; or, with ``exp`` and ``sig`` (a mail's or a webhook's signed link), to anyone
    holding the link until it expires (the subscriber's scope checked still): a 403 page saying why when it expired
    or does not match. A subscriber logged in still opens their own report from an expired link."""
    if exp is None and sig is None:
        if user is None:
            raise NotAuthenticated()
        path = core.delivered_report(ws, user, did)
    else:
        try:
            path = core.signed_report(ws, did, exp, sig)
        except (LinkRefused, UnknownNotificationError) as exc:
            if user is not None:
                with contextlib.suppress(UnknownNotificationError):
                    return _pdf(core.delivered_report(ws, user, did))
            return _refused(request, exc)
    return _pdf(path)


def _pdf(path: FilePath) -> Response:
    resp = FileResponse(path, media_type="application/pdf", filename=path.name, content_disposition_type="inline")
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"  # a signed link's sig stays out of the next page's Referer
    return resp


def _refused(request: Request, exc: ChisoError) -> Response:
    """A signed link refused: 403 (expired, bad signature) or 404 (no longer there), a page saying which."""
    lang = lang_of(request)
    status = 403 if isinstance(exc, LinkRefused) else 404
    text = exc.render(lang) if isinstance(exc, LinkRefused) else t("notify.link.gone", lang)
    resp = render(request, "notification_link.html", {"message": text, "reason": getattr(exc, "reason", "gone")},
                  status_code=status)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@pages_router.post("/notifications/read", dependencies=[CheckFormCsrf])
def notifications_read_all(ws: WorkspaceDep, user: RequiredUser) -> Response:
    core.mark_read(ws, user)
    return RedirectResponse("/subscriptions#notifications", status_code=303)


@pages_router.post("/notifications/{did}/read", dependencies=[CheckFormCsrf])
def notifications_read(ws: WorkspaceDep, user: RequiredUser, did: NoteId) -> Response:
    core.mark_read(ws, user, did)
    return RedirectResponse("/subscriptions#notifications", status_code=303)


@pages_router.post("/subscriptions/{sid}/delete", dependencies=[CheckFormCsrf])
def subscriptions_delete(ws: WorkspaceDep, user: RequiredUser, sid: SubId) -> Response:
    core.unsubscribe(ws, user, sid)
    return RedirectResponse("/subscriptions", status_code=303)
