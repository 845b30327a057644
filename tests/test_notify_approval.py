"""Reports sent when their period's data is approved (issue 15 §3; docs/notifications.md, "When a report goes"),
against real parts: a real store (SQLite and PostgreSQL), the real workflow for the forms that complete a period,
the real report writer (the PDF) and a real SMTP server (aiosmtpd).

- approving the last form of December 2024 sends the monthly report once, with its PDF; all but one: nothing;
- a province's report goes when the province's part is approved (its subtree), the nation's when every form is;
- approve, reopen, approve again: one corrected edition, marked so; never a third mail for one approval;
- a user without rights to a unit never receives its report (a subscription that slipped past the check);
- the set day and the approval never double; ``when`` is bounded and refused clearly on the CLI, API and page.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import insert, update
from typer.testing import CliRunner

from chiso import app as core
from chiso import auth, workflow
from chiso.catalogue.periods import Period
from chiso.cli.main import app as cli
from chiso.errors import ValidationError
from chiso.notify import When, approval_periods, parse_report_item, report_item
from chiso.store import schema as s
from chiso.store.users import FormState
from chiso.watch import approval
from receivers import Mailbox, smtp_server
from web_support import MakeClient

PERIOD = "2024-12"
TODAY = date(2025, 1, 5)  # December has ended; its set day (day:10) has not come
DS = "province_monthly"


@dataclass
class World:
    ws: core.Workspace
    box: Mailbox
    other: core.Workspace  # a second process: its dispatcher schedules and sends (the approvals' own stays off)

    def run(self, today: date = TODAY) -> dict[str, int]:
        done = self.other.dispatcher().run_once(today)
        time.sleep(0.1)  # the SMTP server's handler runs in its own thread
        return done


def person(ws: core.Workspace, name: str, role: str, unit: str) -> auth.User:
    return auth.user_of(ws.store.users.create(name, name, f"pw-{name}-123", role, unit))


def subscribe(ws: core.Workspace, user: auth.User, unit: str, to: str, **kw: Any) -> int:
    sub = core.subscribe(ws, user, unit=unit, report="monthly", channel="email", target=to, **kw)
    with ws.store.engine.begin() as conn:  # subscribed in December 2024
        conn.execute(update(s.subscription).where(s.subscription.c.id == sub.id)
                     .values(created_at=datetime(2024, 12, 20)))
    return sub.id


def approve_directly(ws: core.Workspace, dataset: str, unit: str, period: str = PERIOD) -> None:
    """A form approved earlier (the setup's many forms): its state only, as the workflow leaves it."""
    ws.store.users.set_form(FormState(dataset, unit, period, "open", None, "", None, 0), "approved", "setup", None)


def approve_by_workflow(ws: core.Workspace, unit: str, reporter: auth.User, reviewer: auth.User) -> None:
    ds = ws.catalogue.datasets[DS]
    view = workflow.open_form(ws, reporter, DS, unit, PERIOD)
    entries = [workflow.Entry(c, value=40.0, comment="số liệu kiểm tra", version=f.version)
               for c, f in zip(ds.indicators, view.fields, strict=True)]
    workflow.save_form(ws, reporter, DS, unit, PERIOD, entries)
    workflow.submit_form(ws, reporter, DS, unit, PERIOD)
    workflow.approve_form(ws, reviewer, DS, unit, PERIOD)


def expected(ws: core.Workspace) -> list[tuple[str, str]]:
    return [(ds.id, u.code) for ds, u in ws.catalogue.expected_forms(Period.parse(PERIOD))]


@pytest.fixture
def world(loaded: core.Workspace, cheap_hashes: None) -> Iterator[World]:
    ws = loaded
    box = Mailbox()
    with smtp_server(box) as port:
        with (ws.root / "chiso.toml").open("a", encoding="utf-8") as f:
            f.write(f'\n[notify]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\nreport_day = 10\nafter_batch = false\n')
        other = core.Workspace(ws.root, ws.db_url)
        try:
            yield World(ws, box, other)
        finally:
            other.close()


def pdf_of(m: EmailMessage) -> bytes:
    [pdf] = [p for p in m.iter_attachments() if p.get_content_type() == "application/pdf"]
    body = pdf.get_content()
    assert isinstance(body, bytes)
    return body


def test_the_last_approval_sends_the_report_once_and_only_to_those_who_may_read_it(world: World) -> None:
    ws = world.ws
    nat = person(ws, "vp", "viewer", "VN")
    hn_view, hn_rep, hn_rev = (person(ws, "hn_view", "viewer", "P01"), person(ws, "hn_rep", "reporter", "P01"),
                               person(ws, "hn_rev", "reviewer", "P01"))
    hcm = person(ws, "hcm", "viewer", "P79")
    subscribe(ws, nat, "VN", "vp@example.vn")  # the default: on approval
    subscribe(ws, hn_view, "P01", "hn@example.vn", when="approved")
    subscribe(ws, hcm, "P79", "hcm@example.vn")
    with ws.store.engine.begin() as conn:  # Hồ Chí Minh's viewer on Hà Nội's report: past the check, never sent
        conn.execute(insert(s.subscription).values(
            user_id=hcm.id, unit="P01", below=True, report="monthly", send_when="approved", channel="email",
            target="spy@example.vn", lang="vi", created_at=datetime(2024, 12, 20)))
    due = expected(ws)
    assert (DS, "P01") in due and (DS, "P79") in due and len(due) > 60  # the provinces' and the ministries'
    for dataset, unit in due:
        if unit not in ("P01", "P79"):
            approve_directly(ws, dataset, unit)

    assert world.run()["new"] == 0 and world.box.mails == []  # all but two: nothing
    assert not approval(ws.catalogue, ws.store, Period.parse(PERIOD), "VN").complete

    approve_by_workflow(ws, "P01", hn_rep, hn_rev)  # Hà Nội's part is whole: its report; the nation still waits
    assert world.run()["sent"] == 1
    [hn_mail] = world.box.to("hn@example.vn")
    assert PERIOD in str(hn_mail["Subject"]) and "Hà Nội" in str(hn_mail["Subject"])
    assert pdf_of(hn_mail).startswith(b"%PDF")

    approve_directly(ws, DS, "P79")  # the very last form of December
    a, b = world.other.dispatcher(), core.Workspace(ws.root, ws.db_url)
    try:
        assert b.dispatcher().schedule_reports(TODAY) == 2  # the nation's and Hồ Chí Minh's, once…
        assert a.schedule_reports(TODAY) == 0  # …whichever scheduler comes second
        assert b.dispatcher().run_once(TODAY)["sent"] + world.run()["sent"] == 2
    finally:
        b.close()
    time.sleep(0.1)
    [vn_mail] = world.box.to("vp@example.vn")
    assert PERIOD in str(vn_mail["Subject"]) and pdf_of(vn_mail).startswith(b"%PDF")
    assert len(world.box.to("hcm@example.vn")) == 1 and len(world.box.to("hn@example.vn")) == 1
    assert world.box.to("spy@example.vn") == []  # no right to Hà Nội: never
    assert [d.state for d in ws.store.notify.deliveries() if d.subscription.target == "spy@example.vn"] in (
        [], ["skipped"])
    assert world.run()["new"] == 0 and len(world.box.mails) == 3  # nothing twice
    assert world.run(date(2025, 1, 15))["new"] == 0  # nor when the set day of December has come


def test_approve_reopen_approve_sends_one_corrected_edition(world: World) -> None:
    ws = world.ws
    rep, rev, admin = (person(ws, "hn_rep", "reporter", "P01"), person(ws, "hn_rev", "reviewer", "P01"),
                       person(ws, "root", "admin", "VN"))
    viewer = person(ws, "hn_view", "viewer", "P01")
    subscribe(ws, viewer, "P01", "hn@example.vn")
    approve_by_workflow(ws, "P01", rep, rev)
    assert world.run()["sent"] == 1
    [first] = world.box.to("hn@example.vn")
    assert "đính chính" not in str(first["Subject"])

    time.sleep(1.1)  # the store's clock keeps seconds: the second approval is a later one
    workflow.reopen_form(ws, admin, DS, "P01", PERIOD, "sửa số tổ công nghệ số")
    assert world.run()["new"] == 0  # reopened: nothing yet
    approve_by_workflow(ws, "P01", rep, rev)
    assert world.run()["sent"] == 1
    assert world.run()["new"] == 0  # one correction per approval that completes the period again
    first_again, corrected = world.box.to("hn@example.vn")
    assert first_again is first
    assert "bản đính chính (lần 2)" in str(corrected["Subject"])
    assert "BẢN ĐÍNH CHÍNH" in corrected.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert pdf_of(corrected).startswith(b"%PDF")
    items = sorted(d.item for d in ws.store.notify.deliveries())
    assert items == [report_item(PERIOD), report_item(PERIOD, 2)] == ["report:2024-12", "report:2024-12#2"]


def test_a_reapproval_before_the_report_went_needs_no_correction(world: World) -> None:
    ws = world.ws
    rep, rev, admin = (person(ws, "hn_rep", "reporter", "P01"), person(ws, "hn_rev", "reviewer", "P01"),
                       person(ws, "root", "admin", "VN"))
    subscribe(ws, person(ws, "hn_view", "viewer", "P01"), "P01", "hn@example.vn")
    approve_by_workflow(ws, "P01", rep, rev)
    assert world.other.dispatcher().schedule_reports(TODAY) == 1  # queued, not sent yet
    time.sleep(1.1)
    workflow.reopen_form(ws, admin, DS, "P01", PERIOD, "sửa lại")
    approve_by_workflow(ws, "P01", rep, rev)
    assert world.run()["sent"] == 1 and world.run()["new"] == 0  # written from the figures approved again
    [mail] = world.box.to("hn@example.vn")
    assert "đính chính" not in str(mail["Subject"])


def test_the_set_day_and_the_approval_never_double(world: World) -> None:
    ws = world.ws
    rep, rev, viewer = (person(ws, "hn_rep", "reporter", "P01"), person(ws, "hn_rev", "reviewer", "P01"),
                        person(ws, "hn_view", "viewer", "P01"))
    subscribe(ws, viewer, "P01", "either@example.vn", when="approved+day:10")
    subscribe(ws, viewer, "P01", "day@example.vn", when="day:10")
    subscribe(ws, viewer, "P01", "approved@example.vn", when="approved")
    approve_by_workflow(ws, "P01", rep, rev)  # approved on 5 January: before the set day
    assert world.run()["sent"] == 2
    assert world.run(date(2025, 1, 10))["sent"] == 1  # the set day: only the day-only subscription's
    assert world.run(date(2025, 1, 31))["new"] == 0  # (January's set day is 10 February)
    for to in ("either", "day", "approved"):
        assert len(world.box.to(f"{to}@example.vn")) == 1, to


def test_a_period_never_approved_goes_on_the_set_day_only_if_chosen(world: World) -> None:
    ws = world.ws
    viewer = person(ws, "hn_view", "viewer", "P01")
    subscribe(ws, viewer, "P01", "either@example.vn", when="approved+day:10")
    subscribe(ws, viewer, "P01", "approved@example.vn")
    assert world.run(date(2025, 1, 10))["sent"] == 1
    assert [parse_report_item(d.item) for d in ws.store.notify.deliveries()] == [(PERIOD, 1)]
    assert len(world.box.to("either@example.vn")) == 1 and world.box.to("approved@example.vn") == []


def test_when_is_parsed_bounded_and_defaults_to_on_approval(sqlite_workspace: core.Workspace,
                                                            cheap_hashes: None) -> None:
    assert When.parse("approved") == When(True, None) and When.parse("day:5") == When(False, 5)
    assert When.parse("approved+day:60") == When(True, 60) and str(When(True, 0)) == "approved+day:0"
    for bad in ("", "day", "day:61", "day:-1", "day:5+day:6", "approved+approved", "tomorrow", "day:1e3",
                "approved+day:5+x", "x" * 30, None, 5):
        assert When.parse(bad) is None, bad
    assert [str(p) for p in approval_periods("monthly", date(2024, 12, 20), date(2025, 1, 5))] == ["2024-11",
                                                                                                   "2024-12"]
    assert approval_periods("monthly", date(2023, 1, 1), date(2025, 1, 5))[0] == Period.parse("2024-01")
    ws = sqlite_workspace
    nat = person(ws, "vp", "viewer", "VN")
    sub = core.subscribe(ws, nat, unit="VN", report="quarterly", channel="email", target="vp@example.vn")
    assert sub.when == "approved" and sub.public()["when"] == "approved"
    yearly = core.subscribe(ws, nat, unit="VN", report="annual", channel="email", target="vp@example.vn")
    assert yearly.when == "day:10"  # no data set is reported by year: nothing to approve, so the set day
    with pytest.raises(ValidationError) as exc:
        core.subscribe(ws, nat, unit="VN", report="annual", when="approved", channel="email", target="vp@x.vn")
    assert exc.value.problems[0].reason == "notify.bad.when_no_forms"
    for fields in ({"report": "monthly", "when": "day:99"}, {"report": "monthly", "when": "soon"},
                   {"kind": "silent", "when": "approved"}):
        with pytest.raises(ValidationError) as exc:
            core.subscribe(ws, nat, unit="VN", channel="email", target="vp@example.vn", **fields)
        assert exc.value.problems[0].field == "when"


def test_the_command_line_api_and_page_set_and_show_when(workspace: core.Workspace, make_client: MakeClient) -> None:
    ws = workspace
    hn = make_client(ws, user="hn", role="viewer", unit="P01")
    res = CliRunner().invoke(cli, ["--workspace", str(ws.root), "subscribe", "--user", "hn", "--unit", "P01",
                                   "--report", "monthly", "--when", "day:5", "--channel", "email", "--to",
                                   "hn@example.vn"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "5 ngày sau khi kỳ kết thúc" in res.output  # Vietnamese first
    res = CliRunner().invoke(cli, ["--workspace", str(ws.root), "--lang", "en", "subscribe", "--user", "hn",
                                   "--unit", "P01", "--report", "monthly", "--when", "day:61", "--channel", "email",
                                   "--to", "hn@example.vn"])
    assert res.exit_code == 2 and "0 to 60" in res.output, res.output
    listed = json.loads(CliRunner().invoke(cli, ["--workspace", str(ws.root), "subscriptions", "--json"]).output)
    assert [x["when"] for x in listed] == ["day:5"]

    body = {"unit": "P01", "report": "monthly", "channel": "email", "target": "hn@example.vn"}
    r = hn.post("/api/v1/subscriptions", json=body, headers={"X-CSRF-Token": hn.csrf})
    assert r.status_code == 201 and r.json()["when"] == "approved", r.text
    for when in ("day:100", "sometime", "x" * 50, 7):
        r = hn.post("/api/v1/subscriptions", json=body | {"when": when}, headers={"X-CSRF-Token": hn.csrf})
        assert r.status_code in (400, 422) and r.json()["detail"], r.text  # its shape: 400; chiso's rule: 422
    r = hn.post("/api/v1/subscriptions", json={"unit": "P01", "channel": "inapp", "when": "approved"},
                headers={"X-CSRF-Token": hn.csrf})
    assert r.status_code == 422 and r.json()["detail"], r.text

    form = {"unit": "P01", "channel": "email", "target": "page@example.vn", "report": "monthly",
            "when": "approved+day:12", "csrf": hn.csrf}
    page = hn.post("/subscriptions", data=form)
    assert page.status_code == 200 and "khi số liệu được phê duyệt, chậm nhất 12 ngày" in page.text
    bad = hn.post("/subscriptions", data=form | {"when": "day:61"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text and "0 đến 60" in bad.text
    assert [x.when for x in core.subscriptions(ws, core.user_named(ws, "hn"))] == ["day:5", "approved",
                                                                                   "approved+day:12"]
