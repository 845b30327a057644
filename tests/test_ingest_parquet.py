"""Issue 14, bulk ingestion: a Parquet file is read by DuckDB straight into the validating query, in row ranges cut
at row group edges; the cheaper forms of the rules say exactly what the plain ones say; a batch whose ids increase
skips the distinct count, and the stored-duplicate check narrowed to the batch's ids finds every duplicate."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chiso import app as core
from chiso.errors import ImportFileError
from chiso.ingest.events import EventIngestor, _longer, _place_key, _row_ranges, _shorter_trimmed


def dossier(i: int, **kw: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {"event_id": f"ev-{i:05d}", "at": "2024-03-05T10:00:00", "source_system": "dvc-test",
                          "dossier_id": f"hs-{i}", "procedure_code": "1.001234", "unit": "P01",
                          "status": "received", "channel": "online", "fee": 0, "subunit": None}
    ev.update(kw)
    return ev



class Meta:
    def __init__(self, sizes: list[int]) -> None:
        self.sizes = sizes
        self.num_row_groups = len(sizes)

    def row_group(self, i: int) -> Any:
        return type("RG", (), {"num_rows": self.sizes[i]})()


@pytest.mark.parametrize(("sizes", "most", "expected"), [
    ([5, 5, 5], 7, [(0, 5), (5, 10), (10, 15)]),
    ([3, 3, 3], 7, [(0, 6), (6, 9)]),
    ([20], 7, [(0, 7), (7, 14), (14, 20)]),
    ([2, 20, 2], 7, [(0, 2), (2, 9), (9, 16), (16, 22), (22, 24)]),
    ([], 7, []),
])
def test_row_ranges_cover_the_file_once(sizes: list[int], most: int, expected: list[tuple[int, int]]) -> None:
    got = list(_row_ranges(Meta(sizes), most))
    assert got == expected
    assert all(b - a <= most for a, b in got)


def test_the_cheap_rule_forms_say_what_the_plain_ones_say() -> None:
    chars = [" ", "\t", "\n", "a", "Đ", "\u3000", "\u00a0", "!", "\x00", "\x7f", "\u0080", "\u2003", "é", "~", "\x1f"]
    rng = random.Random(7)
    vals = ["", None] + ["".join(rng.choice(chars) for _ in range(rng.randint(0, 4))) for _ in range(5000)]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in vals])
    for limit in (1, 2):
        differ = con.execute(
            f"SELECT count(*) FROM t WHERE (length(trim(x)) < {limit}) IS DISTINCT FROM "
            f"({_shorter_trimmed('x', limit)}) "
            f"OR (length(x) > {limit + 1}) IS DISTINCT FROM ({_longer('x', limit + 1)})"
        ).fetchall()[0][0]
        assert differ == 0
    blank = con.execute(f"SELECT count(*) FROM t WHERE {_shorter_trimmed('x', 1)}").fetchall()[0][0]
    assert blank > 100  # the sample holds blanks of every kind, so the comparison above tested something


def _write(path: Path, rows: list[dict[str, Any]], row_group_size: int, **extra: list[Any]) -> None:
    t = pa.Table.from_pylist(rows)
    for name, values in extra.items():
        t = t.append_column(name, pa.array(values))
    pq.write_table(t, path, row_group_size=row_group_size)


def _rows(n: int, bad: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    return [dossier(i, **bad.get(i, {})) for i in range(n)]


BAD = {3: {"status": "lost"}, 11: {"fee": -5}, 12: {"unit": "P999"}, 29: {"at": "2099-01-01T00:00:00"}}


def test_a_parquet_file_in_ranges_rejects_its_own_rows(ing: EventIngestor, tmp_path: Path) -> None:
    d = tmp_path / "dossier"
    d.mkdir()
    rows = _rows(30, BAD)
    _write(d / "a.parquet", rows, row_group_size=4)  # 8 row groups, chunks of up to 10 rows: 4 batches
    r = ing.ingest_file(d / "a.parquet", chunk_rows=10)
    (d / "a.ndjson").write_text("\n".join(json.dumps({k: v for k, v in e.items() if v is not None}) for e in rows))
    ws2 = core.init_workspace(tmp_path / "ws2", f"sqlite:///{tmp_path / 'ws2.sqlite'}")
    ing2 = ws2.ingestor()
    try:
        r2 = ing2.ingest_file(d / "a.ndjson")
    finally:
        ing2.events.close()
    # the file's rows (1-based), as the line-by-line path numbers them, and the same reasons' fields
    assert [p for p, _ in r.rejects] == [i + 1 for i in sorted(BAD)] == [p for p, _ in r2.rejects]
    assert [reason.split(":")[0] for _, reason in r.rejects] == [reason.split(":")[0] for _, reason in r2.rejects]
    assert (r.accepted, r.rejected) == (26, 4)
    stored = {x[0] for x in ing.events.con.execute("SELECT event_id FROM dossier_event").fetchall()}
    assert stored == {f"ev-{i:05d}" for i in range(30) if i not in BAD}
    # each reject keeps the row as it was sent
    kept = {x.position: x.raw for x in ing.book.rejects()}
    assert json.loads(kept[11 + 1])["fee"] == -5
    assert json.loads(kept[12 + 1])["unit"] == "P999"


def test_a_resumed_parquet_file_starts_inside_a_range(ing: EventIngestor, tmp_path: Path) -> None:
    d = tmp_path / "dossier"
    d.mkdir()
    _write(d / "a.parquet", _rows(30, {}), row_group_size=4)
    place = _place_key(d / "a.parquet")
    ing.book.checkpoint(place, str(d / "a.parquet"), 13)  # a run that stopped after 13 rows
    r = ing.ingest_file(d / "a.parquet", chunk_rows=10, resume=True)
    assert (r.resumed_from, r.accepted) == (13, 17)
    stored = sorted(x[0] for x in ing.events.con.execute("SELECT event_id FROM dossier_event").fetchall())
    assert stored == [f"ev-{i:05d}" for i in range(13, 30)]


def test_a_file_with_its_own_file_row_number_column_is_read(ing: EventIngestor, tmp_path: Path) -> None:
    d = tmp_path / "dossier"
    d.mkdir()
    _write(d / "a.parquet", _rows(12, {5: {"status": "lost"}}), row_group_size=5, file_row_number=list(range(12)))
    r = ing.ingest_file(d / "a.parquet", chunk_rows=4)
    assert (r.accepted, r.rejected) == (11, 1)
    assert [p for p, _ in r.rejects] == [6]


def test_a_damaged_parquet_file_names_itself(ing: EventIngestor, tmp_path: Path) -> None:
    d = tmp_path / "dossier"
    d.mkdir()
    _write(d / "a.parquet", _rows(50, {}), row_group_size=10)
    data = bytearray((d / "a.parquet").read_bytes())
    data[200:2000] = bytes(1800)  # the first row groups' pages zeroed, the footer intact
    (d / "a.parquet").write_bytes(bytes(data))
    with pytest.raises(ImportFileError) as e:
        ing.ingest_file(d / "a.parquet", chunk_rows=10)
    assert "a.parquet" in str(e.value) and "rows 1–10: not readable as Parquet" in str(e.value)
    (d / "b.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(ImportFileError, match=r"b\.parquet"):
        ing.ingest_file(d / "b.parquet")
    # the batch begun for the damaged rows holds nothing and is not left waiting for a recovery
    assert ing.book.batches_in_state("received") == [] and ing.events.count("dossier") == 0


@pytest.mark.parametrize("order", ["increasing", "shuffled"])
def test_repeated_ids_are_stored_once_in_any_order(ing: EventIngestor, order: str) -> None:
    ids = list(range(40))
    if order == "shuffled":
        random.Random(3).shuffle(ids)
    first = [(i, dossier(n)) for i, n in enumerate(ids[:25])]
    r = ing.submit_records("dossier", first, "test")
    assert (r.accepted, r.duplicates) == (25, 0)
    # a batch that repeats itself and the first batch, on the same day, with ids spread over the whole range
    again = [(i, dossier(n)) for i, n in enumerate(ids[20:] + ids[30:32])]
    r = ing.submit_records("dossier", again, "test")
    assert (r.accepted, r.duplicates) == (15, 7)
    n = ing.events.con.execute("SELECT count(*), count(DISTINCT event_id) FROM dossier_event").fetchall()[0]
    assert n == (40, 40)


@pytest.mark.parametrize("order", ["increasing", "shuffled"])
def test_a_parquet_chunk_with_rejects_and_repeats_counts_each_row_once(ing: EventIngestor, tmp_path: Path,
                                                                        order: str) -> None:
    """The checked rows go from the file into the store in one statement: the rows that did not go in are
    rejects (found then, with their reasons) or duplicates (of the chunk itself, or stored before), never both."""
    d = tmp_path / "dossier"
    d.mkdir()
    ids = list(range(30))
    if order == "shuffled":
        random.Random(5).shuffle(ids)
    _write(d / "a.parquet", [dossier(n) for n in ids[:10]], row_group_size=10)
    assert ing.ingest_file(d / "a.parquet").accepted == 10
    # 30 new ids, 5 ids of the first file, 3 repeats inside the chunk, 2 bad rows
    rows = [dossier(n) for n in ids[10:]] + [dossier(n) for n in ids[:5]] + [dossier(n) for n in ids[20:23]]
    rows += [dossier(100, status="lost"), dossier(101, fee=-1)]
    if order == "shuffled":
        random.Random(6).shuffle(rows)
    _write(d / "b.parquet", rows, row_group_size=100)
    r = ing.ingest_file(d / "b.parquet")
    assert (r.received, r.accepted, r.duplicates, r.rejected) == (30, 20, 8, 2)
    assert sorted(json.loads(x.raw)["event_id"] for x in ing.book.rejects()) == ["ev-00100", "ev-00101"]
    positions = sorted(p for p, _ in r.rejects)
    assert positions == sorted(i + 1 for i, e in enumerate(rows) if e["event_id"] in ("ev-00100", "ev-00101"))
    n = ing.events.con.execute("SELECT count(*), count(DISTINCT event_id) FROM dossier_event").fetchall()[0]
    assert n == (30, 30)
    batch = ing.book.batch(r.batch)
    assert batch is not None and (batch["accepted"], batch["duplicates"], batch["rejected"]) == (20, 8, 2)


def _varied(n: int, start: int, seed: int) -> list[dict[str, Any]]:
    """Dossier events over several units, days, statuses and channels (sums that differ by batch)."""
    rng = random.Random(seed)
    return [dossier(i, unit=rng.choice(["P01", "P79", "P48", "BYT"]), dossier_id=f"hs-{rng.randint(0, n // 2)}",
                    at=f"2024-03-{rng.randint(1, 9):02d}T{rng.randint(7, 17):02d}:00:00",
                    status=rng.choice(["received", "processing", "result_issued"]),
                    channel=rng.choice(["online", "in_person"])) for i in range(start, start + n)]


def _files(folder: Path) -> list[Path]:
    """Three files; the second repeats ten of the first's events (duplicates across batches)."""
    folder.mkdir()
    first, second, third = _varied(40, 0, 1), _varied(30, 100, 2), _varied(25, 200, 3)
    second += first[:10]
    for name, rows in (("a", first), ("b", second), ("c", third)):
        _write(folder / f"{name}.parquet", rows, row_group_size=7)
    return sorted(folder.glob("*.parquet"))


def test_files_ingested_with_writes_behind_keep_the_same_aggregates(ing: EventIngestor, tmp_path: Path) -> None:
    import threading

    files = _files(tmp_path / "dossier")
    seen: list[tuple[int, int]] = []
    ing.after_apply.append(lambda _k, batch, _u: seen.append((batch, threading.get_ident())))
    with ing.overlapped():
        receipts = [ing.ingest_file(f, chunk_rows=14) for f in files]
    assert sum(r.duplicates for r in receipts) == 10 and sum(r.rejected for r in receipts) == 0
    batches = ing.book.batches_in_state("applied")
    assert len(batches) >= 7 and not ing.book.batches_in_state("stored")
    # each batch's listeners once, in order, on the caller's thread (they read what was written)
    assert seen == [(b, threading.get_ident()) for b in sorted(batches)]
    ws2 = core.init_workspace(tmp_path / "ws2", f"sqlite:///{tmp_path / 'ws2.sqlite'}")
    ing2 = ws2.ingestor()
    try:
        for f in files:
            ing2.ingest_file(f, chunk_rows=14)
        assert ing.book.all_daily() == ing2.book.all_daily() != {}
    finally:
        ing2.events.close()
    daily, _ = ing.recompute()
    assert ing.book.differences(daily)[0] == 0


def test_a_write_behind_that_fails_is_raised_and_its_batch_recovered(ws: core.Workspace, tmp_path: Path) -> None:
    files = _files(tmp_path / "dossier")
    ing = ws.ingestor()
    real, calls = ing.book.apply, []

    def failing(*a: Any, **kw: Any) -> None:
        calls.append(a[0])
        if len(calls) == 1:
            raise RuntimeError("disk full")
        real(*a, **kw)

    ing.book.apply = failing  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="disk full"), ing.overlapped():
        for f in files:
            ing.ingest_file(f)
    # raised before the next batch was begun: the first file's batch is stored, its aggregates not written
    assert calls == ing.book.batches_in_state("stored") and ing.book.all_daily() == {}
    assert len(calls) == 1 and ing.events.count("dossier") == 40
    ing.events.close()
    del ing.book.apply  # the store's own again (the workspace's one store)
    again = ws.ingestor()  # recovery applies the stored batch
    try:
        assert again.book.batches_in_state("applied") == calls
        daily, _ = again.recompute()
        assert again.book.differences(daily)[0] == 0 and again.book.all_daily() != {}
    finally:
        again.events.close()


def test_the_next_chunks_batch_record_is_made_before_the_writes_it_would_wait_for(ing: EventIngestor,
                                                                                 tmp_path: Path) -> None:
    """Within one block, each chunk's batch record (of the same file, or of ``next_file``'s first chunk) exists
    before the chunk before it has its aggregates written: SQLite's one writer never holds the next chunk back."""
    files = _files(tmp_path / "dossier")
    real, ahead = ing.book.apply, []

    def apply(batch: int | None, *a: Any, **kw: Any) -> None:
        ahead.append((batch, ing.book.batch(batch + 1) is not None if batch is not None else False))
        real(batch, *a, **kw)

    ing.book.apply = apply  # type: ignore[method-assign]
    with ing.overlapped():
        receipts = [ing.ingest_file(f, chunk_rows=14, next_file=after)
                    for f, after in zip(files, [*files[1:], None], strict=True)]
    del ing.book.apply
    applied = ing.book.batches_in_state("applied")
    assert [b for b, _ in ahead] == applied and len(applied) == 3 + 3 + 2  # 40, 40 and 25 rows in chunks of 14
    assert [made for _, made in ahead] == [True] * (len(applied) - 1) + [False]  # all but the last
    assert ing.book.batches_in_state("received") == ing.book.batches_in_state("abandoned") == []
    # each record is its own chunk's: kind, source, rows, and the counts written behind
    rows = [ing.book.batch(b) for b in applied]
    assert [(r["kind"], r["source"]) for r in rows if r] == [("dossier", f"file:{f.name}") for f, n in
                                                            zip(files, (3, 3, 2), strict=True) for _ in range(n)]
    assert sum(r["events"] for r in rows if r) == 105 and sum(r["accepted"] for r in rows if r) == 95
    assert sum(r.duplicates for r in receipts) == sum(r["duplicates"] for r in rows if r) == 10
    daily, _ = ing.recompute()
    assert ing.book.differences(daily)[0] == 0


def test_a_record_made_ahead_for_a_chunk_that_never_comes_is_abandoned(ing: EventIngestor, tmp_path: Path) -> None:
    files = _files(tmp_path / "dossier")
    with ing.overlapped():
        ing.ingest_file(files[0], chunk_rows=50, next_file=files[1])  # the caller says b.parquet comes next: not so
        ing.ingest_file(files[2], chunk_rows=50)
    applied, abandoned = ing.book.batches_in_state("applied"), ing.book.batches_in_state("abandoned")
    assert len(applied) == 2 and len(abandoned) == 1 and ing.book.batches_in_state("received") == []
    info = ing.book.batch(abandoned[0])
    assert info is not None and info["source"] == "file:b.parquet" and not info["accepted"]
    assert ing.events.count("dossier") == 65


def test_recovery_counts_a_batch_the_event_store_committed_before_its_record_said_so(ws: core.Workspace,
                                                                                   tmp_path: Path) -> None:
    """The record's counts are written behind the event store's commit: a crash between the two leaves the batch
    *received*; recovery takes its counts from the event store's own record, and applies it."""
    files = _files(tmp_path / "dossier")
    ing = ws.ingestor()
    ing.ingest_file(files[0])
    ing.book.mark_stored = lambda *a: None  # type: ignore[method-assign]  # the process dies before it
    ing.book.apply = lambda *a, **kw: None  # type: ignore[method-assign]
    ing.ingest_file(files[1])
    ing.events.close()
    del ing.book.mark_stored, ing.book.apply
    [batch] = ws.store.events.batches_in_state("received")
    again = ws.ingestor()
    try:
        assert again.book.batches_in_state("applied") == [batch - 1, batch]
        info = again.book.batch(batch)
        assert info is not None and (info["events"], info["accepted"], info["duplicates"]) == (40, 30, 10)
        daily, _ = again.recompute()
        assert again.book.differences(daily)[0] == 0 and again.book.all_daily() != {}
    finally:
        again.events.close()
