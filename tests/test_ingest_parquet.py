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


@pytest.fixture
def ing(sqlite_workspace: core.Workspace) -> Any:
    i = sqlite_workspace.ingestor()
    yield i
    i.events.close()


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
