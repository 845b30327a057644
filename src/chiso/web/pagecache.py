"""Rendered public pages, cached while the data holds.

Anonymous GETs of the dashboard pages and of the read API are the same bytes for everyone with the same path, query and
language, so they are kept and served again while the data version holds — and, while events stream
in, for at most ``grace`` seconds after it moved (the figure cache's rule too); API answers only while
it holds exactly, so an accepted event shows at once. A saved or approved value (a new change set)
invalidates at once. Logged-in users, and requests with credentials, always get a fresh answer.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from chiso.web.session import COOKIE
from chiso.web.templating import LANG_COOKIE

Version = tuple[int, ...]  # (change set, event batches, last batch, then anything else that changes a page)
CACHED_PREFIXES = ("/indicators/", "/units/", "/api/v1/values/", "/api/v1/rankings/", "/api/v1/series/")


class PublicPageCache(BaseHTTPMiddleware):
    def __init__(self, app: ASGIApp, version: Callable[[], Version], *, size: int = 512, grace: float = 5.0) -> None:
        super().__init__(app)
        self.version, self.size, self.grace = version, size, grace
        self._items: OrderedDict[tuple[str, str, str], tuple[Version, float, bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def _cacheable(self, request: Request) -> bool:
        path = request.url.path
        return (request.method == "GET" and COOKIE not in request.cookies and "lang" not in request.query_params
                and "authorization" not in request.headers
                and (path == "/" or (path.startswith(CACHED_PREFIXES) and "." not in path.rsplit("/", 1)[-1])))

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if not self._cacheable(request):
            return await call_next(request)
        key = (request.url.path, request.url.query, request.cookies.get(LANG_COOKIE, "vi"))
        version = self.version()
        now = time.monotonic()
        with self._lock:
            got = self._items.get(key)
        if got is not None:
            v, at, body, media = got
            # pages may lag an event stream by ``grace``; the API answers with every accepted event
            grace = 0.0 if key[0].startswith("/api/") else self.grace
            events_only = v[0] == version[0] and v[3:] == version[3:]  # only the event stream moved
            if v == version or (events_only and now - at < grace):
                return Response(body, media_type=media, headers={"X-Chiso-Cache": "hit"})
        response = await call_next(request)
        if (response.status_code != 200 or "set-cookie" in response.headers
                or "no-store" in response.headers.get("cache-control", "")):  # a page still being made: not kept
            return response
        body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        media = response.headers.get("content-type", "text/html; charset=utf-8")
        with self._lock:
            self._items[key] = (version, now, body, media)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return Response(body, status_code=200, media_type=media, headers={"X-Chiso-Cache": "miss"})
