"""Operations of a deployment (issue 14), in process: the app's one NATS connection (opened in its lifespan, shared
by ``/metrics``, ``/ready`` and the admin page, closed at shutdown), the writer's lag on the admin page in Vietnamese
and English, the one configuration file read and refused with the file, section and key, and the log's
formats never writing a secret. Against a real NATS JetStream."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import uuid
from pathlib import Path

import nats
import pytest
from fastapi.testclient import TestClient

from chiso import app as core
from chiso.errors import WorkspaceError
from chiso.ingest.nats import STREAM, ensure_stream
from chiso.logs import FIELDS, JsonFormatter, TextFormatter, configure, redact
from chiso.web import create_app
from web_support import MakeClient, by_testid

NATS = "nats://127.0.0.1:4222"
ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.usefixtures("cheap_hashes")


def dossier(i: int) -> dict[str, object]:
    return {"event_id": f"o-{i}", "at": "2024-03-05T10:00:00", "source_system": "dvc", "dossier_id": f"hs-{i}",
            "procedure_code": "1.001234", "unit": "P01", "status": "received", "channel": "online"}


def waiting_batches(n: int) -> tuple[str, str]:
    """A subject prefix and an idle writer's durable consumer with ``n`` batches waiting for it."""
    tag = uuid.uuid4().hex[:10]
    prefix, durable = f"chiso.ops{tag}", f"writer-{tag}"

    async def publish() -> None:
        nc = await nats.connect(NATS)
        js = nc.jetstream()
        await ensure_stream(js, prefix)
        await js.pull_subscribe(f"{prefix}.>", durable=durable, stream=STREAM)
        for i in range(n):
            await js.publish(f"{prefix}.dossier", json.dumps(dossier(i)).encode(), stream=STREAM)
        await nc.close()

    asyncio.run(publish())
    return prefix, durable


def test_one_nats_connection_per_app_for_metrics_ready_and_the_admin_page(sqlite_workspace: core.Workspace) -> None:
    ws = sqlite_workspace
    _, durable = waiting_batches(2)
    app = create_app(ws, nats=NATS, durable=durable)
    watch = app.state.log_watch
    admin = ws.store.users.create("admin", "Quản trị", "mật-khẩu-đủ-dài", "admin", "VN")
    token, _ = ws.store.users.start_session(admin.id)
    with TestClient(app) as c:
        assert watch.connected and watch.connects == 1  # opened in the lifespan, before any request
        first = watch._nc
        for _ in range(3):
            assert "chiso_event_log_pending 2.0" in c.get("/metrics").text
        assert c.get("/ready").json()["log"]["pending"] == 2
        c.cookies.set("chiso_session", token)
        page = c.get("/admin/sources")
        assert page.status_code == 200
        assert watch.connects == 1 and watch._nc is first  # the same connection for every question
    assert not watch.connected  # closed at shutdown


def test_the_admin_page_shows_the_writers_lag_from_the_log(sqlite_workspace: core.Workspace,
                                                           make_client: MakeClient) -> None:
    ws = sqlite_workspace
    _, durable = waiting_batches(3)
    c = make_client(ws, user="admin", role="admin", nats=NATS, durable=durable)
    vi = by_testid(c.get("/admin/sources").text, "writer-lag")
    assert "Độ trễ của bộ ghi: 3 lô sự kiện chờ trong nhật ký NATS" in vi, vi
    assert "0 lô đang ghi" in vi
    en = by_testid(c.get("/admin/sources?lang=en").text, "writer-lag")
    assert "The writer's lag: 3 batches of events waiting in the NATS log" in en, en
    # no writer ever read the log, and a NATS that does not answer: said, and the page still shows
    none = make_client(ws, user="admin", nats=NATS, durable=f"nobody-{uuid.uuid4().hex[:8]}")
    assert "chưa có bộ ghi nào đọc nhật ký NATS" in by_testid(none.get("/admin/sources").text, "writer-lag")
    down = make_client(ws, user="admin", nats="nats://127.0.0.1:9")
    r = down.get("/admin/sources")
    assert r.status_code == 200 and "không hỏi được nhật ký NATS" in by_testid(r.text, "writer-lag")


def test_without_nats_the_page_says_the_events_are_written_in_process(sqlite_workspace: core.Workspace,
                                                                      make_client: MakeClient) -> None:
    ws = sqlite_workspace
    c = make_client(ws, user="admin", role="admin")
    before = c.get("/admin/sources").text
    assert "Sự kiện được ghi ngay trong tiến trình này" in by_testid(before, "writer-lag")
    assert by_testid(before, "last-applied") == "—"
    ing = ws.ingestor()
    ing.submit_ndjson("dossier", json.dumps(dossier(1)) + "\n", "t")
    ing.events.close()
    at = by_testid(c.get("/admin/sources").text, "last-applied")
    assert at.endswith("UTC") and at[2] == "/", at
    en = by_testid(c.get("/admin/sources?lang=en").text, "writer-lag")
    assert "Events are written in this process" in en


def write_settings(ws: core.Workspace, text: str) -> None:
    path = ws.root / core.SETTINGS
    path.write_text(text + "\n" + path.read_text(encoding="utf-8"), encoding="utf-8")  # before: top-level keys too


def test_the_example_deployment_file_reads(tmp_path: Path) -> None:
    import tomllib

    d = core.Deployment.read(tomllib.loads((ROOT / "deploy" / "chiso.toml").read_text(encoding="utf-8")))
    assert (d.host, d.port, d.events, d.nats, d.log_format, d.login_limits) == (
        "0.0.0.0", 8000, False, "nats://10.0.0.3:4222", "json", "store")
    assert core.Deployment() == core.Deployment.read({})  # no sections: the embedded defaults


@pytest.mark.parametrize(("text", "named", "expected"), [
    ("[serve]\nport = \"eighty\"", "serve.port = 'eighty'", "1 to 65535"),
    ("[serve]\nevents = \"no\"", "serve.events = 'no'", "true or false"),
    ("[events]\nnats = \"http://x:4222\"", "events.nats = 'http://x:4222'", "a NATS URL"),
    ("[log]\nformat = \"xml\"", "log.format = 'xml'", '"text" or "json"'),
    ("[web]\nlogin_limits = \"redis\"", "web.login_limits = 'redis'", '"memory"'),
    ("[events]\nnat = \"nats://x:4222\"", "events.nat: no such key", "nats, subject_prefix"),
    ("serve = 1", "serve = 1", "a table"),
])
def test_a_bad_setting_names_the_file_section_key_and_what_is_expected(
        sqlite_workspace: core.Workspace, text: str, named: str, expected: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHISO_LANG", "en")
    write_settings(sqlite_workspace, text)
    with pytest.raises(WorkspaceError) as exc:
        sqlite_workspace.deployment  # noqa: B018
    msg = str(exc.value)
    assert str(sqlite_workspace.root / core.SETTINGS) in msg and named in msg and expected in msg, msg


def test_the_environment_overrides_the_log_settings(sqlite_workspace: core.Workspace,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    write_settings(sqlite_workspace, '[log]\nformat = "text"\nlevel = "warning"')
    monkeypatch.setenv("CHISO_LOG_FORMAT", "json")
    d = sqlite_workspace.deployment
    assert (d.log_format, d.log_level) == ("json", "warning")
    monkeypatch.setenv("CHISO_LOG_LEVEL", "loud")
    with pytest.raises(WorkspaceError, match="CHISO_LOG_LEVEL"):
        sqlite_workspace.deployment  # noqa: B018


def test_log_lines_never_carry_secrets() -> None:
    assert redact("password=hunter2&next=/") == "password=***&next=/"
    assert redact("Authorization: Bearer abc.def") == "Authorization: ***"
    assert redact("sent Bearer abc.def to it") == "sent Bearer *** to it"
    assert "s3cr3t" not in redact('{"csrf": "s3cr3t"}') and "s3cr3t" not in redact("chiso_session=s3cr3t")
    record = logging.LogRecord("chiso.x", logging.INFO, __file__, 1, "login with token=%s", ("abc123",), None)
    record.__dict__[FIELDS] = {"path": "/x", "status": 200, "note": "api_key=zzz"}
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "login with token=***" and line["note"] == "api_key=***" and line["status"] == 200
    assert {"ts", "level", "logger", "msg"} <= set(line) and line["ts"].endswith("Z")
    assert "abc123" not in TextFormatter().format(record)


def test_configure_replaces_only_its_own_handler() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        configure("json", "warning")
        configure("text", "info")
        ours = [h for h in root.handlers if h not in before]
        assert len(ours) == 1 and isinstance(ours[0].formatter, TextFormatter)
        stream = io.StringIO()
        ours[0].setStream(stream)  # type: ignore[attr-defined]
        logging.getLogger("chiso.test").info("hello")
        assert "INFO chiso.test: hello" in stream.getvalue()
        with pytest.raises(ValueError, match="log format"):
            configure("xml")
    finally:
        for h in root.handlers[:]:
            if h not in before:
                root.removeHandler(h)
        root.setLevel(level)
        logging.getLogger("uvicorn.access").disabled = False


def test_unknown_name_lockouts_in_the_store_are_shared_by_every_book(sqlite_workspace: core.Workspace) -> None:
    from chiso.store.users import UserBook

    engine = sqlite_workspace.store.engine
    apart = (UserBook(engine), UserBook(engine))  # two processes' books, each counting in memory
    assert [apart[i % 2].verify("ghost", "x")[1] for i in range(6)] == ["unknown"] * 6
    shared = (UserBook(engine), UserBook(engine))
    for book in shared:
        book.shared_lockouts = True
    assert [shared[i % 2].verify("phantom", "x")[1] for i in range(6)] == ["unknown"] * 4 + ["locked"] * 2
    assert sqlite_workspace.store.users.by_username("phantom") is None


def test_the_store_setting_reaches_the_workspaces_book(sqlite_workspace: core.Workspace) -> None:
    ws = sqlite_workspace
    assert ws.store.users.shared_lockouts is False
    ws.use_login_limits("store")
    assert ws.store.users.shared_lockouts is True and ws.shared_login_limits
    with pytest.raises(WorkspaceError, match="login_limits"):
        ws.use_login_limits("redis")
