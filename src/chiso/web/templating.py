"""Pages: one Jinja2 environment, the base layout, the language switch, Vietnamese number filters.

Every asset is served by chiso itself from ``static/`` (no CDN, no web fonts from the internet), so
the pages work on a closed network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from chiso.i18n import fmt_compact, fmt_number, fmt_value

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LANG_COOKIE = "chiso_lang"

env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True,
                  lstrip_blocks=True)


def lang_of(request: Request) -> str:
    """?lang= wins, then the cookie, then Vietnamese."""
    q = request.query_params.get("lang")
    if q in ("vi", "en"):
        return q
    c = request.cookies.get(LANG_COOKIE)
    return c if c in ("vi", "en") else "vi"


def tr(lang: str, vi: str, en: str) -> str:
    return en if lang == "en" else vi


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    lang = lang_of(request)
    user = getattr(request.state, "user", None)
    csrf = getattr(request.state, "csrf", "")
    ctx = {
        "request": request, "lang": lang, "user": user, "csrf": csrf,
        "t": lambda vi, en: tr(lang, vi, en),
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
