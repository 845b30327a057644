"""Administration pages, for national admins only: indicators, targets, units, users, event sources.

Every change here is audited: targets through ``Store.write_targets``; users and event sources through
``UserBook.record``. An event source's token is shown once, on the page answering its creation, and is
stored only as a hash.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import IntegrityError

from chiso import auth
from chiso.app import Workspace
from chiso.auth import Role, User
from chiso.catalogue.events import EVENT_KINDS
from chiso.catalogue.models import PILLAR_NAMES, Pillar, Target, UnitType
from chiso.catalogue.periods import Period, PeriodKind
from chiso.errors import PermissionDenied, UnknownNameError
from chiso.ingest.events import ALL
from chiso.ingest.validate import parse_number
from chiso.web.auth_routes import ROLE_NAMES, install_handlers
from chiso.web.bootstrap import password_problem, username_problem
from chiso.web.session import check_csrf, require_user
from chiso.web.templating import lang_of, render, tr

SOURCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
DONE = {
    "target": ("Đã lưu mục tiêu.", "Target saved."),
    "user": ("Đã tạo người dùng.", "User created."),
    "deactivated": ("Đã vô hiệu hóa người dùng; các phiên của họ không còn hiệu lực.",
                    "User deactivated; their sessions no longer work."),
    "activated": ("Đã kích hoạt lại người dùng.", "User reactivated."),
    "revoked": ("Đã thu hồi token của nguồn sự kiện.", "The event source's token was revoked."),
}


class AdminDenied(Exception):
    """A logged-in user who is not a national admin asked for an admin page."""


def require_admin(request: Request) -> User:
    user = require_user(request)
    if not auth.can_administer(user):
        raise AdminDenied()
    return user


Admin = Annotated[User, Depends(require_admin)]


def _page(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> Response:
    lang = lang_of(request)
    done = request.query_params.get("done")
    resp = render(request, name, {"done": tr(lang, *DONE[done]) if done in DONE else None,
                                  "role_label": lambda r: tr(lang, *ROLE_NAMES.get(r, (r, r))), **ctx},
                  status_code=status)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _error(request: Request, status: int, vi: str, en: str) -> Response:
    return _page(request, "admin_error.html", {"message": tr(lang_of(request), vi, en)}, status)


def _definition(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"vi", "en"}:
        return f"{value['vi']} / {value['en']}"
    if isinstance(value, list | tuple):
        return ", ".join("—" if v is None else str(v) for v in value) or "—"
    return "—" if value is None else str(value)


async def _form(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    form = await request.form()
    return ({k: str(v) for k, v in form.items()},
            {k: [str(x) for x in form.getlist(k)] for k in form})


def router(ws: Workspace) -> APIRouter:
    r = APIRouter(prefix="/admin", tags=["admin"], include_in_schema=False)
    cat = ws.catalogue

    def guarded(request: Request, form: Mapping[str, str], fn: Callable[[], Response]) -> Response:
        try:
            check_csrf(request, form.get("csrf"))
        except PermissionDenied:
            return _error(request, 403, "Yêu cầu không hợp lệ (thiếu hoặc sai mã CSRF); hãy tải lại trang.",
                          "Invalid request (missing or wrong CSRF token); reload the page.")
        return fn()

    @r.get("")
    def index(request: Request, user: Admin) -> Response:
        return _page(request, "admin_index.html", {
            "counts": {"indicators": len(cat.indicators), "datasets": len(cat.datasets), "units": len(cat.units),
                       "users": len(ws.store.users.all()), "sources": len(ws.store.events.sources()),
                       "rejects": len(ws.store.events.rejects(limit=100_000)),
                       "targets": ws.store.table_counts().get("target", 0)}})

    # indicators ------------------------------------------------------------------------------------
    @r.get("/indicators")
    def indicators(request: Request, user: Admin, pillar: str | None = None) -> Response:
        lang = lang_of(request)
        rows = [i for i in cat.indicators.values() if not pillar or i.pillar.value == pillar]
        return _page(request, "admin_indicators.html", {
            "rows": sorted(rows, key=lambda i: (list(Pillar).index(i.pillar), i.code)), "pillar": pillar or "",
            "pillars": [(p.value, PILLAR_NAMES[p].get(lang)) for p in Pillar],
            "event_derived": set(cat.event_indicators)})

    @r.get("/indicators/{code}")
    def indicator(request: Request, code: str, user: Admin) -> Response:
        ind = cat.indicators.get(code)
        if ind is None:
            return _error(request, 404, f"Không có chỉ tiêu {code!r}.", f"No indicator {code!r}.")
        lang = lang_of(request)
        ei = cat.event_indicators.get(code)
        return _page(request, "admin_indicator.html", {
            "ind": ind, "pillar_name": PILLAR_NAMES[ind.pillar].get(lang),
            "definition": [(k, _definition(v)) for k, v in ind.model_dump(mode="json").items()],
            "event": [(k, _definition(v)) for k, v in ei.model_dump(mode="json").items()] if ei else [],
            "datasets": [d for d in cat.datasets.values() if code in d.indicators],
            "targets": ws.store.targets(indicator=code)})

    # targets ------------------------------------------------------------------------------------------
    def targets_page(request: Request, *, status: int = 200, errors: list[str] | None = None,
                     entry: Mapping[str, str] | None = None) -> Response:
        q = request.query_params
        ind, unit = q.get("indicator") or None, q.get("unit") or None
        rows = ws.store.targets(indicator=ind if ind in cat.indicators else None,
                                units=[unit] if unit else None)
        edit = dict(entry or {})
        if not edit and q.get("edit"):
            found = [t for t in rows if t.period == q.get("period")] if ind and unit else []
            edit = ({"indicator": ind or "", "unit": unit or "", "period": q.get("period", "")} if not found else
                    {"indicator": found[0].indicator, "unit": found[0].unit, "period": found[0].period,
                     "value": f"{found[0].value:g}", "source": found[0].source or "",
                     "paragraph": str(found[0].paragraph or ""), "note": found[0].note or ""})
        history = []
        if edit.get("indicator") and edit.get("unit") and edit.get("period"):
            history = [a for a in ws.store.history(indicator=edit["indicator"], unit=edit["unit"],
                                                   period=edit["period"]) if a.entity == "target"]
        return _page(request, "admin_targets.html", {
            "rows": rows[:1000], "total": len(rows), "indicator": ind or "", "unit": unit or "",
            "edit": edit, "errors": errors or [], "history": history,
            "indicators": sorted(cat.indicators), "units": sorted(cat.units), "sources": sorted(ws.store.sources())},
            status)

    @r.get("/targets")
    def targets(request: Request, user: Admin) -> Response:
        return targets_page(request)

    def save_target(request: Request, user: User, form: Mapping[str, str]) -> Response:
        lang = lang_of(request)
        entry = {k: form.get(k, "").strip() for k in ("indicator", "unit", "period", "value", "source", "paragraph",
                                                      "note")}
        errors: list[str] = []
        ind = cat.indicators.get(entry["indicator"])
        if ind is None:
            errors.append(tr(lang, "Chỉ tiêu: không có mã này", "Indicator: no such code"))
        if entry["unit"] not in cat.units:
            errors.append(tr(lang, "Đơn vị: không có mã này", "Unit: no such code"))
        try:
            p = Period.parse(entry["period"])
            if p.kind not in (PeriodKind.YEAR, PeriodKind.QUARTER):
                errors.append(tr(lang, "Kỳ: mục tiêu chỉ đặt cho năm hoặc quý", "Period: a target is for a year "
                                                                                  "or a quarter"))
        except UnknownNameError as exc:
            errors.append(tr(lang, "Kỳ", "Period") + ": " + exc.render(lang))
        value: float | None = None
        try:
            value = parse_number(entry["value"])
        except ValueError:
            errors.append(tr(lang, "Giá trị: phải là một số", "Value: must be a number"))
        if value is not None and ind is not None:
            lo, hi = ind.range
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                errors.append(tr(lang, f"Giá trị: ngoài khoảng cho phép {lo} – {hi}",
                                 f"Value: outside the allowed range {lo} – {hi}"))
        if entry["source"] and entry["source"] not in ws.store.sources():
            errors.append(tr(lang, "Nguồn: không có văn bản này", "Source: no such document"))
        paragraph = None
        if entry["paragraph"]:
            if entry["paragraph"].isdigit():
                paragraph = int(entry["paragraph"])
            else:
                errors.append(tr(lang, "Mục: phải là số nguyên", "Paragraph: must be a whole number"))
        if errors or value is None:
            return targets_page(request, status=422, errors=errors, entry=entry)
        ws.store.write_targets([Target(indicator=entry["indicator"], unit=entry["unit"], period=entry["period"],
                                       value=value, source=entry["source"] or None, paragraph=paragraph,
                                       note=entry["note"] or None)],
                               actor=user.username, description="admin: target")
        return RedirectResponse(f"/admin/targets?indicator={entry['indicator']}&done=target", status_code=303)

    @r.post("/targets")
    async def targets_post(request: Request, user: Admin) -> Response:
        form, _ = await _form(request)
        return await run_in_threadpool(guarded, request, form, lambda: save_target(request, user, form))

    # units ------------------------------------------------------------------------------------------
    @r.get("/units")
    def units(request: Request, user: Admin, type: str | None = None) -> Response:
        rows = [u for u in cat.units.values() if not type or u.type.value == type]
        return _page(request, "admin_units.html", {
            "rows": sorted(rows, key=lambda u: (u.type is not UnitType.NATION, u.type is not UnitType.GROUP,
                                                u.code)),
            "type": type or "", "types": [t.value for t in UnitType]})

    # users -----------------------------------------------------------------------------------------------
    def users_page(request: Request, *, status: int = 200, errors: list[str] | None = None,
                   entry: Mapping[str, str] | None = None) -> Response:
        return _page(request, "admin_users.html", {
            "rows": ws.store.users.all(), "errors": errors or [], "entry": dict(entry or {}),
            "roles": [r.value for r in Role], "units": sorted(cat.units)}, status)

    @r.get("/users")
    def users(request: Request, user: Admin) -> Response:
        return users_page(request)

    def add_user(request: Request, user: User, form: Mapping[str, str]) -> Response:
        lang = lang_of(request)
        entry = {k: form.get(k, "").strip() for k in ("username", "name", "role", "unit")}
        password = form.get("password", "")
        errors = [tr(lang, *p) for p in (username_problem(entry["username"]),
                                          password_problem(password, entry["username"])) if p]
        if not entry["name"]:
            errors.append(tr(lang, "Họ tên: bắt buộc", "Name: required"))
        if entry["role"] not in {r.value for r in Role}:
            errors.append(tr(lang, "Vai trò: không hợp lệ", "Role: not valid"))
        if entry["unit"] not in cat.units:
            errors.append(tr(lang, "Đơn vị phạm vi: không có mã này", "Scope unit: no such code"))
        if not errors and ws.store.users.by_username(entry["username"]) is not None:
            errors.append(tr(lang, "Tên đăng nhập đã có người dùng", "The user name is taken"))
        if errors:
            return users_page(request, status=422, errors=errors, entry=entry)
        try:
            rec = ws.store.users.create(entry["username"], entry["name"], password, entry["role"], entry["unit"])
        except IntegrityError:  # created meanwhile
            return users_page(request, status=422, entry=entry,
                              errors=[tr(lang, "Tên đăng nhập đã có người dùng", "The user name is taken")])
        ws.store.users.record(user.username, "user", str(rec.id), "insert", unit=rec.unit, after=entry)
        return RedirectResponse("/admin/users?done=user", status_code=303)

    @r.post("/users")
    async def users_post(request: Request, user: Admin) -> Response:
        form, _ = await _form(request)
        return await run_in_threadpool(guarded, request, form, lambda: add_user(request, user, form))

    def set_active(request: Request, user: User, uid: int, active: bool) -> Response:
        rec = ws.store.users.by_id(uid)
        if rec is None:
            return _error(request, 404, "Không có người dùng này.", "No such user.")
        if rec.id == user.id and not active:
            return _error(request, 400, "Bạn không thể tự vô hiệu hóa chính mình.", "You cannot deactivate yourself.")
        ws.store.users.set_active(uid, active)
        ws.store.users.record(user.username, "user", str(uid), "activate" if active else "deactivate", unit=rec.unit,
                              before={"active": rec.active}, after={"active": active})
        return RedirectResponse(f"/admin/users?done={'activated' if active else 'deactivated'}", status_code=303)

    @r.post("/users/{uid}/deactivate")
    async def deactivate(request: Request, uid: int, user: Admin) -> Response:
        form, _ = await _form(request)
        return await run_in_threadpool(guarded, request, form, lambda: set_active(request, user, uid, False))

    @r.post("/users/{uid}/activate")
    async def activate(request: Request, uid: int, user: Admin) -> Response:
        form, _ = await _form(request)
        return await run_in_threadpool(guarded, request, form, lambda: set_active(request, user, uid, True))

    # event sources -------------------------------------------------------------------------------------
    def sources_page(request: Request, *, status: int = 200, errors: list[str] | None = None,
                     entry: Mapping[str, Any] | None = None, token: str | None = None) -> Response:
        pending: dict[str, int] = {}
        for x in ws.store.events.rejects(limit=100_000):
            pending[x.source] = pending.get(x.source, 0) + 1
        return _page(request, "admin_sources.html", {
            "rows": ws.store.events.sources(), "pending": pending, "errors": errors or [],
            "entry": dict(entry or {}), "token": token, "kinds": list(EVENT_KINDS), "units": sorted(cat.units)},
            status)

    @r.get("/sources")
    def sources(request: Request, user: Admin) -> Response:
        return sources_page(request)

    def add_source(request: Request, user: User, form: Mapping[str, str], lists: Mapping[str, list[str]]) -> Response:
        lang = lang_of(request)
        sid, name = form.get("id", "").strip(), form.get("name", "").strip()
        kinds = [k for k in lists.get("kinds", []) if k in EVENT_KINDS]
        unit_text = form.get("units", "").strip()
        entry = {"id": sid, "name": name, "units": unit_text, "kinds": kinds}
        errors = []
        if not SOURCE_ID.match(sid):
            errors.append(tr(lang, "Mã nguồn: 1–100 ký tự chữ không dấu, số, . _ : -",
                             "Source id: 1–100 characters: letters, digits, . _ : -"))
        elif any(s.id == sid for s in ws.store.events.sources()):
            errors.append(tr(lang, "Mã nguồn đã có", "The source id is taken"))
        if not kinds:
            errors.append(tr(lang, "Loại sự kiện: chọn ít nhất một", "Event kinds: choose at least one"))
        units: list[str] = []
        for ref in re.split(r"[,;\s]+", unit_text):
            if not ref:
                continue
            if ref == ALL:
                units.append(ALL)
                continue
            u = cat.units.get(ref)
            if u is None:
                errors.append(tr(lang, f"Đơn vị: không có mã {ref!r}", f"Units: no unit code {ref!r}"))
            else:
                units.append(u.code)
        if errors:
            return sources_page(request, status=422, errors=errors, entry=entry)
        scope = units or [ALL]
        try:
            token = ws.store.events.add_source(sid, name or sid, scope, kinds)
        except IntegrityError:
            return sources_page(request, status=422, entry=entry,
                                errors=[tr(lang, "Mã nguồn đã có", "The source id is taken")])
        ws.store.users.record(user.username, "event_source", sid, "insert",
                              after={"name": name or sid, "units": scope, "kinds": kinds})
        resp = sources_page(request, token=token, entry={"id": sid})
        resp.status_code = 201
        return resp

    @r.post("/sources")
    async def sources_post(request: Request, user: Admin) -> Response:
        form, lists = await _form(request)
        return await run_in_threadpool(guarded, request, form, lambda: add_source(request, user, form, lists))

    def revoke(request: Request, user: User, sid: str) -> Response:
        if not ws.store.events.revoke_source(sid):
            return _error(request, 404, "Không có nguồn sự kiện này.", "No such event source.")
        ws.store.users.record(user.username, "event_source", sid, "revoke", after={"active": False})
        return RedirectResponse("/admin/sources?done=revoked", status_code=303)

    @r.post("/sources/{sid}/revoke")
    async def revoke_post(request: Request, sid: str, user: Admin) -> Response:
        form, _ = await _form(request)
        return await run_in_threadpool(guarded, request, form, lambda: revoke(request, user, sid))

    @r.get("/rejects")
    def rejects(request: Request, user: Admin, source: str | None = None, kind: str | None = None,
                replayed: bool = False) -> Response:
        rows = ws.store.events.rejects(kind=kind or None, source=source or None, pending_only=not replayed,
                                       limit=1000)
        return _page(request, "admin_rejects.html", {
            "rows": rows, "source": source or "", "kind": kind or "", "replayed": replayed,
            "sources": [s.id for s in ws.store.events.sources()], "kinds": list(EVENT_KINDS)})

    return r


def register(app: FastAPI, ws: Workspace) -> None:
    install_handlers(app)
    if AdminDenied not in app.exception_handlers:
        async def on_denied(request: Request, _exc: Exception) -> Response:
            return _error(request, 403, "Chỉ quản trị viên cấp quốc gia được vào trang quản trị.",
                          "Only national administrators may use the admin pages.")

        app.add_exception_handler(AdminDenied, on_denied)
    app.include_router(router(ws))

