"""Notifications in a real browser (issue 15 §3): headless Chromium (Debian's) through Playwright against a live
server. Hà Nội's reporter logs in, sees the unread count in the navigation, follows its link to the notifications,
marks one read and then all, and the count goes down and away; a signed report link opens its PDF in a browser
without a session, and a tampered one shows the refusal. No silent skip: without Chromium the test fails and says
to run scripts/browser.sh."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from browser_support import PASSWORD, chromium, live_server, log_in_page, reporter_workspace
from chiso import app as core
from chiso import auth
from chiso.catalogue.warnings import Finding
from chiso.notify import LINK_SECRET, Dispatcher, NotifySettings, signed_report_link
from chiso.store import schema as s
from chiso.web import create_app
from test_notify_deliver import TODAY, fake_pdf


@pytest.fixture
def ws(tmp_path: Path, cheap_hashes: None) -> Iterator[core.Workspace]:
    w = reporter_workspace(tmp_path)
    yield w
    w.close()


def silent(subject: str) -> Finding:
    return Finding("silent", "P01", subject, None, 120.0, 0.0, datetime(2026, 3, 2), {"window": "day"})


def test_a_reporter_reads_notifications_from_the_navigation(ws: core.Workspace) -> None:
    hanoi = core.user_named(ws, "hanoi")
    core.subscribe(ws, hanoi, unit="P01", channel="inapp")
    ws.store.warnings.sync([silent("stream:dossier"), silent("stream:payment")], [])
    ws.dispatcher().run_once()
    with live_server(create_app(ws)) as server, chromium() as browser:
        page = browser.new_context(base_url=server.url, locale="vi-VN").new_page()
        log_in_page(page, "hanoi")
        assert page.get_by_test_id("nav-unread").inner_text() == "2"
        assert page.get_by_test_id("nav-subscriptions").inner_text() == "Đăng ký nhận tin"
        page.get_by_test_id("nav-notifications").click()
        page.wait_for_url("**/subscriptions#notifications")
        notes = page.get_by_test_id("notifications")
        assert notes.locator("li.unread").count() == 2
        notes.locator("li.unread").first.get_by_role("button", name="Đánh dấu đã đọc").click()
        page.wait_for_url("**/subscriptions#notifications")
        assert page.get_by_test_id("nav-unread").inner_text() == "1"
        assert page.get_by_test_id("notifications").locator("li.unread").count() == 1
        page.get_by_role("button", name="Đánh dấu tất cả đã đọc").click()
        page.wait_for_url("**/subscriptions#notifications")
        assert page.get_by_test_id("nav-unread").count() == 0
        assert page.get_by_test_id("notifications").locator("li.unread").count() == 0
        page.set_viewport_size({"width": 390, "height": 844})  # a phone: the longer navigation wraps, no sideways
        page.goto("/forms")
        assert page.evaluate("document.querySelector('header.top').scrollWidth") <= 391
    assert ws.store.notify.unread(hanoi.id) == 0


def test_a_signed_report_link_opens_in_a_browser_without_a_session(ws: core.Workspace) -> None:
    ws.store.users.create("nat", "Văn phòng", PASSWORD, "viewer", "VN")
    nat = auth.user_of(ws.store.users.by_username("nat"))  # type: ignore[arg-type]
    sub = core.subscribe(ws, nat, unit="VN", report="monthly", when="day:10", channel="inapp")
    with ws.store.engine.begin() as conn:
        conn.execute(update(s.subscription).where(s.subscription.c.id == sub.id)
                     .values(created_at=datetime(2024, 11, 20)))
    Dispatcher(lambda: ws.catalogue, ws.store, NotifySettings(), fake_pdf(ws, {})).run_once(TODAY)
    [d] = ws.store.notify.deliveries()
    link = signed_report_link(d.id, None, ws.store.notify.secret(LINK_SECRET), int(time.time()) + 600)
    with live_server(create_app(ws)) as server, chromium() as browser:
        context = browser.new_context(base_url=server.url, locale="vi-VN")
        r = context.request.get(link)
        assert r.status == 200 and r.headers["content-type"] == "application/pdf" and r.body().startswith(b"%PDF")
        page = context.new_page()
        answer = page.goto(link[:-1] + ("0" if link[-1] != "0" else "1"))
        assert answer is not None and answer.status == 403
        refused = page.get_by_test_id("link-refused")
        assert refused.get_attribute("data-reason") == "bad" and "không hợp lệ" in refused.inner_text()
