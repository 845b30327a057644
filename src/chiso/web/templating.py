"""Pages: one Jinja2 environment, the base layout, the language switch, Vietnamese number filters.

Templates name their texts by message id, ``{{ t("page.overview") }}`` or with values
``{{ t("page.targets.list", n=total) }}``; the texts are in ``chiso.i18n.MESSAGES``
(``chiso/i18n/messages/templates.yaml``). ``t`` returns a plain string, so autoescape escapes it and its values.

Every asset is served by chiso itself from ``static/`` (no CDN, no web fonts from the internet), so
the pages work on a closed network.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from chiso.i18n import MESSAGES, current_lang, fmt_compact, fmt_number, fmt_value, measure_name, t

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LANG_COOKIE = "chiso_lang"

env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True,
                  lstrip_blocks=True)
env.globals["measure_name"] = measure_name


def lang_of(request: Request) -> str:
    """?lang= wins, then the cookie, then Vietnamese."""
    q = request.query_params.get("lang")
    if q in ("vi", "en"):
        return q
    c = request.cookies.get(LANG_COOKIE)
    return c if c in ("vi", "en") else "vi"


def page_t(lang: str) -> Callable[..., str]:
    """The templates' ``t``: a message id and its values, in ``lang``."""

    def page_text(msg_id: str, /, **params: object) -> str:
        return t(msg_id, lang, **params)

    return page_text


def messages_json(ids: Iterable[str], lang: str) -> str:
    """The texts of ``ids`` in ``lang``, as templates with their ``{params}``, in a JSON object (for a page's script:
    forms.js fills the values in). A plain string: in an attribute, autoescape escapes it and the browser unescapes."""
    i = 1 if current_lang(lang) == "en" else 0
    return json.dumps({msg_id: MESSAGES[msg_id][i] for msg_id in ids}, ensure_ascii=False)


def nav_unread(request: Request, user: Any) -> int:
    """The logged-in user's unread notifications, for the navigation's count (0 for the public, or when the store
    cannot be asked: an error page must still render)."""
    if user is None:
        return 0
    try:
        return int(request.app.state.workspace.store.notify.unread(user.id))
    except Exception:
        log.warning("the unread notifications could not be counted", exc_info=True)
        return 0


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    lang = lang_of(request)
    user = getattr(request.state, "user", None)
    csrf = getattr(request.state, "csrf", "")
    ctx = {
        "request": request, "lang": lang, "user": user, "csrf": csrf, "nav_unread": nav_unread(request, user),
        "t": page_t(lang),
        "messages_json": lambda ids: messages_json(ids, lang),
        "num": lambda x, d=2: fmt_number(x, d, lang),
        "compact": lambda x: fmt_compact(x, lang),
        "val": lambda x, ind: fmt_value(x, ind.unit, ind.decimals, lang, kind=ind.kind),
        "pct": lambda x: "—" if x is None else f"{fmt_number(100 * x, 1, lang)}%",
        **context,
    }
    resp = HTMLResponse(env.get_template(name).render(ctx), status_code=status_code)
    if request.query_params.get("lang") in ("vi", "en"):
        resp.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return resp
