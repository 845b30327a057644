"""One error page for every HTML router (``web.pages.error_page``): the router's template and context, the
error's status, and ``no-store`` on a logged-in user's answer where the router asks for it."""

from __future__ import annotations

import pytest

from chiso import app as core
from web_support import MakeClient

pytestmark = pytest.mark.usefixtures("cheap_hashes")


def test_error_pages_keep_their_template_status_and_caching(sqlite_workspace: core.Workspace,
                                                             make_client: MakeClient) -> None:
    ws = sqlite_workspace
    public = make_client(ws, follow_redirects=False)
    r = public.get("/indicators/no_such")  # the dashboard page saying so, public
    assert r.status_code == 404 and 'data-testid="error"' in r.text
    assert "no-store" not in r.headers.get("cache-control", "")
    viewer = make_client(ws, user="viewer", role="viewer", follow_redirects=False)
    r = viewer.get("/admin/users")  # not a national admin: the admin error page, private
    assert r.status_code == 403 and 'role="alert"' in r.text and r.headers["cache-control"] == "no-store"
    r = viewer.post("/reports", data={"period": "2024", "format": "html", "csrf": "wrong"})
    assert r.status_code == 403 and 'data-testid="report-error"' in r.text and "CSRF" in r.text
    assert r.headers["cache-control"] == "no-store"
