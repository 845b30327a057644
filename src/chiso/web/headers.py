"""Security headers on every response: pages, the API, static files, errors and cached pages alike.

The pages load nothing from elsewhere (every script, style and font is chiso's own) and run no inline script,
so their policy allows only this origin; the one inline thing they use is a ``style`` attribute (the attainment
bars' widths), allowed by ``style-src-attr``. A written report (``/reports/<name>.html``) is a self-contained
document with its own ``<style>`` element and no script. Everything else (JSON, CSV, static files) gets a policy
that allows nothing at all. No page may be framed (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_NO_FRAMES = "frame-ancestors 'none'; base-uri 'none'"
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
            "img-src 'self'; font-src 'self'; connect-src 'self'; form-action 'self'; " + _NO_FRAMES)
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'none'; " + _NO_FRAMES
OTHER_CSP = "default-src 'none'; form-action 'none'; " + _NO_FRAMES
COMMON = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def policy(path: str, content_type: str) -> str | None:
    """The Content-Security-Policy of a response to ``path`` with ``content_type`` (None: none, for a PDF,
    which Chromium's viewer would not show under a policy)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/pdf":
        return None
    if kind == "text/html":
        return REPORT_CSP if path.startswith("/reports/") else PAGE_CSP
    return OTHER_CSP


def secure(headers: MutableHeaders, path: str) -> None:
    """Add the security headers to ``headers`` (those a response sets itself are kept)."""
    for k, v in COMMON.items():
        headers.setdefault(k, v)
    csp = policy(path, headers.get("content-type", ""))
    if csp is not None:
        headers.setdefault("Content-Security-Policy", csp)


class SecurityHeaders:
    """ASGI middleware: ``secure`` on every HTTP response start (streamed responses too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                secure(MutableHeaders(scope=message), path)
            await send(message)

        await self.app(scope, receive, send_secured)
