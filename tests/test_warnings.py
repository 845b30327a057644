"""Early warnings (issue 15 §2): the rules on plain data, the store's keeping of them on SQLite and PostgreSQL,
a simulated province switched off firing a silent-source warning through the event writer's hook (and no other
unit's), late reporting against deadlines as data, and the ``chiso warnings`` commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from chiso import app as core
from chiso import workflow
from chiso.catalogue import Catalogue
from chiso.catalogue.periods import Period
from chiso.catalogue.warnings import Finding
from chiso.cli.main import app as cli
from chiso.engine import warnings as rules
from chiso.simulate.nation import iter_batches, parse_off, switched_off
from chiso.store import Store
from chiso.store.users import FormState

runner = CliRunner()
MONDAY = datetime(2026, 3, 2)


def weekly(days: int, per_weekday: float, start: datetime = MONDAY, stop: datetime | None = None
           ) -> dict[datetime, float]:
    """A unit sending ``per_weekday`` events each weekday and none at weekends, nothing from ``stop`` on."""
    out = {}
    for i in range(days):
        d = start + timedelta(days=i)
        if d.weekday() < 5 and (stop is None or d < stop):
            out[d] = per_weekday
    return out


# --- the rules -------------------------------------------------------------------------------------------------
def test_a_stopped_stream_is_silent_since_the_first_day_it_missed() -> None:
    stop = MONDAY + timedelta(days=38)  # a Wednesday, after 5 weeks of history
    counts = weekly(45, 40.0, stop=stop)
    last = MONDAY + timedelta(days=44)
    hit = rules.silence(counts, rules.recent_days(last.date()))
    assert hit is not None
    expected, seen, since = hit
    assert seen == 0 and expected >= rules.SILENT_MIN_EXPECTED and since == stop
    # the same unit still sending: nothing
    assert rules.silence(weekly(45, 40.0), rules.recent_days(last.date())) is None
    # a weekend (no events usual, none seen) is not a silence
    assert rules.silence(weekly(47, 40.0), rules.recent_days((MONDAY + timedelta(days=47)).date())[-2:]) is None


def test_a_stream_stopped_for_months_is_still_silent_since_its_last_event() -> None:
    stop = MONDAY + timedelta(days=31)  # a Thursday; then two months of nothing: no usual volume left
    daily = {"P01": weekly(95, 40.0, stop=stop)} | {f"Q{i}": weekly(95, 40.0) for i in range(3)}
    last = (MONDAY + timedelta(days=94)).date()
    assert rules.silence(daily["P01"], rules.recent_days(last)) is None  # the ordinary rule sees nothing usual
    found = rules.silent_units(daily, last, "dossier")
    assert [(f.unit, f.since, f.seen) for f in found.findings] == [("P01", stop, 0.0)]
    assert 150 <= (found.findings[0].expected or 0) <= 200  # a week of its last active weeks (200 a week)
    gone = {"P01": weekly(95, 40.0, stop=MONDAY + timedelta(days=10))}  # but counts reach back 91 days at most
    assert rules.stopped({d: v for d, v in gone["P01"].items() if d >= MONDAY + timedelta(days=20)},
                         rules.recent_days(last)) is None


def test_silence_needs_enough_usual_volume_to_tell_from_chance() -> None:
    stop = MONDAY + timedelta(days=42)
    small = weekly(45, 3.0, stop=stop)  # 3 a weekday: three silent days usually hold 9 events
    assert rules.silence(small, rules.recent_days((MONDAY + timedelta(days=44)).date())) is None
    drop = weekly(45, 40.0)
    for d in (MONDAY + timedelta(days=42), MONDAY + timedelta(days=43), MONDAY + timedelta(days=44)):
        drop[d] = 10.0  # a quarter of its usual: above SILENT_RATIO (0.2), not silent
    assert rules.silence(drop, rules.recent_days((MONDAY + timedelta(days=44)).date())) is None
    for d in (MONDAY + timedelta(days=42), MONDAY + timedelta(days=43), MONDAY + timedelta(days=44)):
        drop[d] = 7.0  # far below: silent
    assert rules.silence(drop, rules.recent_days((MONDAY + timedelta(days=44)).date())) is not None


def test_a_quiet_nation_is_a_holiday_not_a_silent_unit() -> None:
    last = (MONDAY + timedelta(days=44)).date()
    stop = MONDAY + timedelta(days=42)
    daily = {f"P{i:02d}": weekly(45, 40.0, stop=stop) for i in range(10)}
    quiet = rules.silent_units(daily, last, "dossier")
    assert quiet.findings == [] and quiet.keys == set()  # nothing flagged, nothing resolved
    daily |= {f"Q{i:02d}": weekly(45, 40.0) for i in range(11)}  # most units still sending: the ten are silent
    found = rules.silent_units(daily, last, "dossier")
    assert sorted(f.unit for f in found.findings) == sorted(f"P{i:02d}" for i in range(10))
    assert len(found.keys) == 21 and all(f.subject == "stream:dossier" for f in found.findings)


def test_a_silent_event_source_by_hour_and_weekday() -> None:
    now = datetime(2026, 3, 31, 15, 20)
    hours = {}
    for d in range(29):
        for h in range(8, 17):
            at = datetime(2026, 3, 3) + timedelta(days=d, hours=h)
            if at < datetime(2026, 3, 31, 11):  # stopped at 11:00 today
                hours[at] = 30.0
    found = rules.silent_sources({"portal-hn": hours, "portal-dn": {}}, {"portal-hn": "P01"}, now)
    assert [(f.unit, f.subject, f.since) for f in found.findings] == [
        ("P01", "source:portal-hn", datetime(2026, 3, 31, 11))]
    assert found.findings[0].detail["window"] == "hour" and found.findings[0].seen == 0


def test_series_break_is_the_form_check_and_a_rate_fall_has_a_stated_limit(catalogue: Catalogue) -> None:
    assert workflow.far_from_history is rules.far_from_history  # one rule for the form and the warning
    rate = catalogue.indicators["dossier_full_online_rate"]
    p = Period.parse("2026-05")
    history = [50.0, 51.0, 49.0, 50.5, 50.0]
    calm = rules.series_break(rate, "P01", p, 49.5, history, 50.0, (500.0, 500.0))
    assert calm.findings == [] and calm.keys == {"break|P01|dossier_full_online_rate|2026-05",
                                                  "fall|P01|dossier_full_online_rate|2026-05"}
    kinds = {f.kind: f for f in rules.series_break(rate, "P01", p, 20.0, history, 50.0, (500.0, 500.0)).findings}
    assert set(kinds) == {"break", "fall"}
    assert kinds["break"].expected == 50.0 and kinds["break"].seen == 20.0
    assert kinds["fall"].expected == 50.0 and kinds["fall"].detail["points"] == 30.0
    just = rules.series_break(rate, "P01", p, 40.0, [40.0] * 5, 50.0, (500.0, 500.0))  # exactly 10 points
    assert [f.kind for f in just.findings] == []
    over = rules.series_break(rate, "P01", p, 39.9, [39.9] * 5, 50.0, (500.0, 500.0))
    assert [f.kind for f in over.findings] == ["fall"]
    few = rules.series_break(rate, "P01", p, 39.9, [39.9] * 5, 50.0, (500.0, 12.0))  # 12 dossiers: chance
    assert few.findings == []
    assert rules.series_break(rate, "P01", p, 20.0, history, 50.0, (500.0, 12.0)).findings == []
    reported = rules.series_break(rate, "P01", p, 20.0, history, 50.0)  # a value reported without its parts
    assert {f.kind for f in reported.findings} == {"break", "fall"}


def test_late_reports_against_a_deadline_as_data(catalogue: Catalogue) -> None:
    ds = catalogue.datasets["province_monthly"]
    assert ds.deadline_days == 10 and catalogue.datasets["commune_quarterly"].deadline_days is None
    p = Period.parse("2026-10")
    places = [("P01", p), ("P79-2025", p)]
    on_day = rules.late_reports(ds.id, 10, places, {}, date(2026, 11, 10))
    assert on_day.findings == [] and on_day.keys == set()  # due today: not late yet
    late = rules.late_reports(ds.id, 10, places, {("P79-2025", "2026-10"): "submitted"}, date(2026, 11, 13))
    assert [(f.unit, f.detail["deadline"], f.detail["days_late"]) for f in late.findings] == [
        ("P01", "2026-11-10", 3)]
    assert len(late.keys) == 2  # P79 looked at, and on time: its warning (if any) is resolved


# --- the store ------------------------------------------------------------------------------------------------
def finding(unit: str = "P01", seen: float = 0.0) -> Finding:
    return Finding("silent", unit, "stream:dossier", None, 120.0, seen, datetime(2026, 3, 2), {"window": "day"})


def test_a_condition_found_again_is_one_warning_and_its_moves_are_kept(store: Store) -> None:
    book = store.warnings
    f = finding()
    assert book.sync([f], {f.key}) == {"raised": 1, "updated": 0, "cleared": 0}
    first = book.find()
    assert [(w.kind, w.unit, w.state, w.active) for w in first] == [("silent", "P01", "new", True)]
    assert book.sync([finding(seen=3.0)], {f.key}) == {"raised": 0, "updated": 1, "cleared": 0}
    again = book.find()
    assert len(again) == 1 and again[0].id == first[0].id and again[0].seen == 3.0
    assert again[0].last_seen >= first[0].last_seen and again[0].since == datetime(2026, 3, 2)

    wid = again[0].id
    seen = book.set_state(wid, "seen", "alice")
    assert seen is not None and (seen.state, seen.state_by) == ("seen", "alice") and seen.state_at is not None
    audit = [a for a in store.history() if a.entity == "warning"]
    assert [(a.actor, a.entity_id, a.before, a.after) for a in audit] == [
        ("alice", str(wid), {"state": "new"}, {"state": "seen"})]

    # looked at and not found: cleared, resolved by the system
    assert book.sync([], {f.key})["cleared"] == 1
    w = book.get(wid)
    assert w is not None and (w.state, w.state_by, w.active) == ("resolved", "system", False)
    # back again: raised again, new
    assert book.sync([f], {f.key})["raised"] == 1
    w = book.get(wid)
    assert w is not None and (w.state, w.active, w.state_by) == ("new", True, None)
    # a person resolves it while it holds: it stays resolved while it holds
    book.set_state(wid, "resolved", "bob")
    book.sync([f], {f.key})
    w = book.get(wid)
    assert w is not None and (w.state, w.state_by) == ("resolved", "bob")
    assert [a for _, _, a in book.log(wid)] == ["raised", "seen", "cleared", "reopened", "resolved"]
    assert book.set_state(999_999, "seen", "alice") is None


def test_raised_since_lists_from_an_increasing_point(store: Store) -> None:
    book = store.warnings
    start = book.last_log_id()
    book.sync([finding("P01")], {finding("P01").key})
    mid = book.last_log_id()
    book.sync([finding("P79-2025"), finding("P01")], {finding("P79-2025").key, finding("P01").key})
    all_ = book.raised_since(start)
    assert [w.unit for _, w in all_] == ["P01", "P79-2025"] and all_[0][0] < all_[1][0]
    assert [w.unit for _, w in book.raised_since(mid)] == ["P79-2025"]  # P01 found again: not raised again
    assert book.raised_since(book.last_log_id()) == []
    assert [w.unit for w in book.find(units={"P79-2025"})] == ["P79-2025"]


# --- a province switched off, through the event writer's hook ----------------------------------------------------
OFF = {"P01": datetime(2024, 3, 6)}  # a Wednesday, after Tết and four weeks of history


def test_the_simulator_switches_a_unit_off_and_nothing_else() -> None:
    assert parse_off(["P01@2024-03-06"]) == OFF
    with pytest.raises(ValueError, match="UNIT@YYYY-MM-DD"):
        parse_off(["P01"])
    plain = next(iter_batches(2024, 0.001, kind="dossier", batch_rows=5000))
    cut = switched_off("dossier", plain, {"P79": datetime(2024, 1, 1, 12)})
    rows, kept = plain.to_pylist(), cut.to_pylist()
    gone = [r for r in rows if r["unit"] == "P79" and r["at"] >= datetime(2024, 1, 1, 12)]
    assert gone and len(kept) == len(rows) - len(gone)
    assert [r for r in rows if r not in gone] == kept


def test_generate_switches_a_unit_off_in_both_kinds_and_both_processes(tmp_path: Path) -> None:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from chiso.simulate import generate

    since = datetime(2024, 6, 1)
    summary = generate(2024, 0.0001, tmp_path, workers=2, off={"P01": since})  # NDXP in a second process
    for kind, column in (("dossier", "unit"), ("ndxp", "consumer_unit")):
        t = pq.read_table(tmp_path / kind, columns=[column, "at"])
        mine = t.filter(pc.equal(t.column(column), "P01"))
        assert mine.num_rows > 0, kind  # P01's events before the switch-off are there
        assert pc.max(mine.column("at")).as_py() < since, kind
    assert summary.files


@pytest.fixture(scope="module")
def silent_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[core.Workspace]:
    """A workspace fed 2024's first 80 days of simulated dossier events (scale 0.001) with P01 switched off from
    6 March, through the workspace's event writer: its hook runs the checks after each batch."""
    root = tmp_path_factory.mktemp("silent")
    ws = core.init_workspace(root / "ws", f"sqlite:///{root / 'store.sqlite'}")
    ing = ws.ingestor()
    for b in iter_batches(2024, 0.001, kind="dossier", batch_rows=10_000, off=OFF):
        if b.column("at")[0].as_py() > datetime(2024, 3, 20):
            break
        ing.submit_arrow("dossier", pa.Table.from_batches([b]), "sim")
    ing.events.close()
    yield ws
    ws.close()


def test_a_province_switched_off_fires_a_silent_warning_for_it_alone(silent_world: core.Workspace) -> None:
    book = silent_world.store.warnings
    silent = book.find(kinds=["silent"])
    active = [w for w in silent if w.active]
    assert [(w.unit, w.subject, w.state) for w in active] == [("P01", "stream:dossier", "new")]
    # any other unit flagged on the way had a lull of its own before the switch-off (at this scale P74's slow
    # return after Tết: no record on three working days), and was cleared by the system when its events came back
    for other in (w for w in silent if w.unit != "P01"):
        assert other.since < OFF["P01"] and (other.state, other.state_by) == ("resolved", "system")
        assert [a for _, _, a in book.log(other.id)] == ["raised", "cleared"]
    w = active[0]
    assert OFF["P01"] <= w.since <= OFF["P01"] + timedelta(days=2)
    assert w.seen == 0 and w.expected is not None and w.expected >= rules.SILENT_MIN_EXPECTED


def cli_run(ws: core.Workspace, *args: str, lang: str = "en") -> str:
    res = runner.invoke(cli, ["--workspace", str(ws.root), "--lang", lang, "--as", "tester", *args],
                        env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    return res.output


def test_chiso_warnings_lists_filters_and_moves(silent_world: core.Workspace) -> None:
    rows = json.loads(cli_run(silent_world, "warnings", "--kind", "silent", "--state", "new", "--json"))
    assert [r["unit"] for r in rows] == ["P01"]
    assert "nearly stopped since 6 March 2024" in rows[0]["text"]
    vi = cli_run(silent_world, "warnings", "--unit", "P01", "--kind", "silent", lang="vi")
    assert "Nguồn im lặng" in vi and "06/03/2024" in vi
    assert json.loads(cli_run(silent_world, "warnings", "--unit", "P79", "--kind", "silent", "--json")) == []
    wid = rows[0]["id"]
    assert f"Warning {wid}: seen (tester)" in cli_run(silent_world, "warnings", "seen", str(wid))
    moved = json.loads(cli_run(silent_world, "warnings", "--state", "seen", "--json"))
    assert [(r["id"], r["state_by"]) for r in moved] == [(wid, "tester")]
    bad = runner.invoke(cli, ["--workspace", str(silent_world.root), "--lang", "en", "warnings", "seen", "999999"])
    assert bad.exit_code == 2 and "no warning number '999999'" in bad.output
    kind = runner.invoke(cli, ["--workspace", str(silent_world.root), "--lang", "en", "warnings", "--kind", "loud"])
    assert kind.exit_code == 2 and "loud" in kind.output


# --- late reporting, resolved by submitting ------------------------------------------------------------------
def test_late_forms_warn_and_submitting_resolves(workspace: core.Workspace) -> None:
    watch = workspace.watch()
    today = date(2026, 11, 20)  # October's forms were due on 10 November; September's and August's before
    provinces = len(workspace.catalogue.members("provinces", Period.parse("2026-10")))  # 34 in the 2025 structure
    assert watch.record(watch.late(today, datasets=["province_monthly"]))["raised"] == 3 * provinces
    late = workspace.store.warnings.find(kinds=["late"], units={"P01", "P79-2025"})
    assert sorted((w.unit, w.period) for w in late if w.period == "2026-10") == [("P01", "2026-10"),
                                                                                ("P79-2025", "2026-10")]
    assert {w.period for w in late} == {"2026-08", "2026-09", "2026-10"}
    book = workspace.store.users
    book.set_form(FormState("province_monthly", "P01", "2026-10", "open", None, "", None, 0), "submitted", "dn", None)
    counts = watch.record(watch.late(today, datasets=["province_monthly"], units=["P01", "P79-2025"]))
    assert counts == {"raised": 0, "updated": 5, "cleared": 1}
    by_unit = {w.unit: w for w in workspace.store.warnings.find(kinds=["late"], units={"P01", "P79-2025"})
               if w.period == "2026-10"}
    assert (by_unit["P01"].state, by_unit["P01"].state_by) == ("resolved", "system")
    assert by_unit["P79-2025"].state == "new"


def test_chiso_warnings_check_runs_every_rule(silent_world: core.Workspace) -> None:
    found = json.loads(cli_run(silent_world, "warnings", "check", "--year", "2024", "--as-of", "2024-03-20",
                               "--json"))
    assert found["silent:dossier"] == 1 and found["silent:ndxp"] == 0 and found["off_track"] == 0  # no targets
    # no form was ever submitted: every report due within the 92 days before is late
    provinces = len(silent_world.catalogue.members("provinces", Period.parse("2024-02")))
    ministries = len(silent_world.catalogue.members("ministries", Period.parse("2024-02")))
    # December, January, February of both monthly reports; the provinces' security report of 2023Q4
    assert found["late"] == provinces * (3 + 1) + ministries * 3
    late = silent_world.store.warnings.find(kinds=["late"], units={"P01"})
    assert sorted(w.period or "" for w in late) == ["2023-12", "2023Q4", "2024-01", "2024-02"]
    again = json.loads(cli_run(silent_world, "warnings", "check", "--year", "2024", "--as-of", "2024-03-20",
                               "--json"))
    assert again["recorded"]["raised"] == 0  # the same conditions: the same warnings
    bad = runner.invoke(cli, ["--workspace", str(silent_world.root), "warnings", "check", "--as-of", "20/03/2024"])
    assert bad.exit_code == 2


def test_a_warning_in_words_vietnamese_first(catalogue: Catalogue) -> None:
    from chiso.catalogue.warnings import WarningRecord
    from chiso.report.warnings_text import describe

    at = datetime(2026, 7, 1)
    off = WarningRecord(1, "k", "off_track", "P01", "dossier_full_online_rate", "2026", 80.0, 41.234,
                        datetime(2026, 6, 30), {"probability": 0.031}, "new", True, at, at, None, None)
    assert describe(catalogue, off, "vi") == (
        "Hà Nội: Tỷ lệ hồ sơ trực tuyến toàn trình năm 2026 dự báo cuối năm 41,23%, không đạt chỉ tiêu 80% "
        "(khả năng đạt 3%; dự báo đến 30/06/2026)")
    assert "projected at 41.23% by year end, missing the target 80%" in describe(catalogue, off, "en")
    late = WarningRecord(2, "k", "late", "P01", "province_monthly", "2026-06", None, None, datetime(2026, 7, 11),
                         {"deadline": "2026-07-10", "state": "open", "days_late": 3}, "new", True, at, at, None, None)
    assert describe(catalogue, late, "vi").endswith("kỳ 2026-06 chưa nộp, hạn nộp 10/07/2026 (trễ 3 ngày)")
