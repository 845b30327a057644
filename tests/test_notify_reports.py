"""Reports by subscription: the monthly report falls due ``report_day`` days after its month, is written
(``app.write_report``, the PDF) and mailed to a real SMTP server once per period, even with two schedulers; a
scheduler back from downtime catches up on every month it missed, and sends none twice."""

from __future__ import annotations

import time
from datetime import date, datetime

import pytest
from sqlalchemy import update

from chiso import app as core
from chiso import auth
from chiso.errors import ValidationError
from chiso.notify import reports_due
from chiso.store import schema as s
from receivers import Mailbox, smtp_server


def test_reports_due_catch_up_every_missed_period_and_none_early() -> None:
    got = [str(p) for p in reports_due("monthly", date(2024, 11, 20), date(2025, 1, 15), 10)]
    assert got == ["2024-11", "2024-12"]  # October's fell due (10 November) before the subscription
    assert [str(p) for p in reports_due("monthly", date(2024, 11, 20), date(2024, 12, 9), 10)] == []
    assert [str(p) for p in reports_due("quarterly", date(2024, 9, 1), date(2025, 1, 20), 15)] == ["2024Q3",
                                                                                                   "2024Q4"]
    assert [str(p) for p in reports_due("annual", date(2024, 2, 1), date(2025, 1, 10), 10)] == ["2024"]


def test_the_monthly_report_is_mailed_once_per_period_with_its_pdf(sqlite_workspace: core.Workspace,
                                                                   cheap_hashes: None) -> None:
    ws = sqlite_workspace
    core.load(ws, "vn-2024", "tester")
    box = Mailbox()
    with smtp_server(box) as port:
        (ws.root / "chiso.toml").write_text((ws.root / "chiso.toml").read_text() + f'\n[notify]\nsmtp_host = '
                                            f'"127.0.0.1"\nsmtp_port = {port}\nreport_day = 10\n')
        r = ws.store.users.create("nat", "Văn phòng", "pw-nat-123", "viewer", "VN")
        nat = auth.user_of(r)
        sub = core.subscribe(ws, nat, unit="VN", report="monthly", when="day:10", channel="email",
                             target="vp@example.vn")
        with ws.store.engine.begin() as conn:  # subscribed in November 2024
            conn.execute(update(s.subscription).where(s.subscription.c.id == sub.id)
                         .values(created_at=datetime(2024, 11, 20)))
        other = core.Workspace(ws.root, ws.db_url)  # a second process's scheduler
        a, b = ws.dispatcher(), other.dispatcher()
        today = date(2025, 1, 15)  # down since before 10 December: November's and December's are due
        assert a.schedule_reports(today) == 2 and b.schedule_reports(today) == 0
        done = a.run_once(today)
        assert done["sent"] == 2 and done["failed"] == 0, done
        assert b.run_once(today)["sent"] == 0 and a.run_once(today)["new"] == 0
        time.sleep(0.2)
        subjects = sorted(str(m["Subject"]) for m in box.messages())
        assert len(subjects) == 2 and "2024-11" in subjects[0] and "2024-12" in subjects[1]
        for m in box.messages():
            pdfs = [p for p in m.iter_attachments() if p.get_content_type() == "application/pdf"]
            assert len(pdfs) == 1 and pdfs[0].get_content().startswith(b"%PDF")
        other.close()
        commune = next(c for c, u in ws.catalogue.units.items() if u.parent == "P01")
        with pytest.raises(ValidationError):  # the written reports are the nation's and the provinces'
            core.subscribe(ws, nat, unit=commune, report="monthly", channel="inapp")
