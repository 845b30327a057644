"""Early warnings from the engine's answers (issue 15 §2): a projection below its target is off track (and is
resolved when the target is met), and approving a form runs the checks on its values: a value far outside the
unit's history is a break, a form approved is no longer late. On SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import pytest

from chiso import app as core
from chiso import auth, workflow
from chiso.catalogue.models import Target
from chiso.catalogue.records import ValueInput
from chiso.errors import WorkspaceError

PW = "mật-khẩu-đủ-dài"
RATE = "dossier_full_online_rate"


def test_a_projection_below_its_target_is_off_track(workspace: core.Workspace) -> None:
    ws = workspace
    ws.store.write_values([ValueInput(indicator=RATE, unit="P01", period=f"2026-{m:02d}", value=40.0 + m / 10,
                                      source="test") for m in range(1, 7)], actor="test")
    ws.store.write_targets([Target(indicator=RATE, unit="P01", period="2026", value=80.0)], actor="test")
    watch = ws.watch()
    as_of = date(2026, 6, 30)
    assert watch.record(watch.off_track(2026, as_of=as_of, units=["P01"]))["raised"] == 1
    [w] = ws.store.warnings.find(kinds=["off_track"])
    assert (w.finding.unit, w.finding.subject, w.finding.period, w.finding.expected) == ("P01", RATE, "2026", 80.0)
    assert w.finding.seen is not None and w.finding.seen < 50 and w.finding.since.date() == as_of
    assert w.finding.detail["probability"] is not None and w.finding.detail["probability"] < 0.5
    # the target lowered within reach: the condition no longer holds, resolved by the system
    ws.store.write_targets([Target(indicator=RATE, unit="P01", period="2026", value=30.0)], actor="test")
    assert watch.record(watch.off_track(2026, as_of=as_of, units=["P01"]))["cleared"] == 1
    [w] = ws.store.warnings.find(kinds=["off_track"])
    assert (w.state, w.state_by, w.active) == ("resolved", "system", False)


def test_approving_a_form_checks_its_values_and_its_lateness(workspace: core.Workspace) -> None:
    ws = workspace
    ds = ws.catalogue.datasets["province_monthly"]
    teams = "community_dx_teams"
    ws.store.write_values([ValueInput(indicator=teams, unit="P01", period=f"2026-{m:02d}", value=100.0 + m,
                                      source="test") for m in range(1, 6)], actor="test")
    reporter = auth.user_of(ws.store.users.create("hn", "hn", PW, "reporter", "P01"))
    reviewer = auth.user_of(ws.store.users.create("hnrev", "hnrev", PW, "reviewer", "P01"))
    watch = ws.watch()
    # June's form was due on 10 July: late on the 20th
    watch.record(watch.late(date(2026, 7, 20), datasets=[ds.id], units=["P01"]))
    late = [w for w in ws.store.warnings.find(kinds=["late"]) if w.finding.period == "2026-06"]
    assert [(w.finding.unit, w.state) for w in late] == [("P01", "new")]

    entries = [workflow.Entry(c, value=500.0 if c == teams else 50.0,
                              comment="thành lập tổ ở mọi thôn" if c == teams else None) for c in ds.indicators]
    workflow.save_form(ws, reporter, ds.id, "P01", "2026-06", entries)
    workflow.submit_form(ws, reporter, ds.id, "P01", "2026-06")
    late = [w for w in ws.store.warnings.find(kinds=["late"]) if w.finding.period == "2026-06"]
    assert [(w.state, w.state_by) for w in late] == [("resolved", "system")]  # submitted: no longer late
    assert ws.store.warnings.find(kinds=["break"]) == []  # a draft is not published: not judged yet

    started = time.perf_counter()
    workflow.approve_form(ws, reviewer, ds.id, "P01", "2026-06")
    took = time.perf_counter() - started
    breaks = ws.store.warnings.find(kinds=["break"])
    assert [(f.unit, f.subject, f.period, f.expected, f.seen) for f in (w.finding for w in breaks)] == [
        ("P01", teams, "2026-06", 103.0, 500.0)]
    assert took < 10, f"approving with its checks took {took:.1f} s"
    # the form's other values have no history to judge by, and a form not yet due is not late
    assert {w.finding.kind for w in ws.store.warnings.find()} == {"break", "late"}
    assert ws.store.users.form(ds.id, "P01", "2026-06").state == "approved"
    late = [w for w in ws.store.warnings.find(kinds=["late"]) if w.finding.period == "2026-06"]
    assert [(w.state, w.active) for w in late] == [("resolved", False)]


def test_silent_event_source_from_the_batches_it_sent(workspace: core.Workspace) -> None:
    """A source that sent 60 events every weekday at 09:00 for four weeks, and nothing this Tuesday: silent since
    09:00 (``event_batch``'s arrival times, read by the hour); another source still sending is not."""
    from sqlalchemy import update

    from chiso.store import schema as s

    book = workspace.store.events
    tuesday = datetime(2026, 3, 31, 9)
    for source, weeks in (("portal-hn", range(1, 5)), ("portal-dn", range(0, 5))):
        for w in weeks:
            bid = book.new_batch("dossier", source, 60, [])
            with workspace.store.engine.begin() as conn:
                conn.execute(update(s.event_batch).where(s.event_batch.c.id == bid)
                             .values(received_at=tuesday - timedelta(weeks=w, minutes=-5), state="applied"))
    book.add_source("portal-hn", "Cổng DVC Hà Nội", ["P01"], ["dossier"])
    hours = workspace.store.warnings.source_hours(tuesday - timedelta(days=30))
    assert hours["portal-hn"] == {tuesday - timedelta(weeks=w): 60.0 for w in range(1, 5)}
    watch = workspace.watch()
    found = watch.silent_sources(at=tuesday + timedelta(hours=2, minutes=10))
    assert [(f.unit, f.subject, f.since, f.expected, f.seen) for f in found.findings] == [
        ("P01", "source:portal-hn", tuesday, 60.0, 0.0)]
    assert "silent|VN|source:portal-dn|" in found.keys  # looked at (a source of no one unit: the nation's)


def test_the_hook_can_be_turned_off(workspace: core.Workspace) -> None:
    (workspace.root / "chiso.toml").write_text("[warnings]\nafter_batch = false\n", encoding="utf-8")
    ing = workspace.ingestor()
    try:
        assert ing.after_apply == []
    finally:
        ing.events.close()
    (workspace.root / "chiso.toml").write_text("[warnings]\nafter_batch = \"yes\"\n", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="after_batch must be true or false"):
        workspace.ingestor()
