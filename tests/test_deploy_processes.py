"""A deployment's processes driven by one chiso.toml, and their structured logs (issue 14): real ``chiso serve``
and ``chiso ingest --from nats`` processes, a real NATS JetStream. A node started with only ``--workspace`` takes
its port, its role (no event store, relaying to NATS), its log format and its login limits from the file; the
writer started with only ``--from nats`` finds the log there, and logs one JSON line per applied batch. Every
request is one JSON line (method, path, status, duration_ms, node, user) and no secret is ever written."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from chiso import app as core
from chiso.store import schema
from deploy_support import answers, serving
from receivers import free_port

NATS = "nats://127.0.0.1:4222"
PW = "mật-khẩu-đủ-dài"
SECRET_QUERY = "tok-9f8e7d6c5b4a"

pytestmark = pytest.mark.usefixtures("cheap_hashes")


def json_lines(path: Path) -> list[dict[str, Any]]:
    """The log's lines that are JSON objects (each must be one: a json log has no other lines)."""
    out = []
    for line in path.read_text(errors="replace").splitlines():
        if line.strip():
            out.append(json.loads(line))
    return out


def until(check: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path, what: str, bound: float = 90) -> None:
    deadline = time.monotonic() + bound  # a bound, not a timing
    while not check():
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"waiting for {what}: {'exited' if proc.poll() is not None else 'timed out'}\n"
                        f"{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)


def chiso(root: Path, *args: str, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "chiso", "--workspace", str(root), *args],
                            stdout=subprocess.DEVNULL, stderr=log.open("wb"), env=env or dict(os.environ))


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)


def test_a_served_node_logs_each_request_as_json_without_secrets(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    ws = core.init_workspace(root, f"sqlite:///{tmp_path / 'store.sqlite'}")
    ws.store.users.create("danang", "Đà Nẵng", PW, "reporter", "P48")
    ws.close()
    env = {**os.environ, "CHISO_LOG_FORMAT": "json"}
    with serving(root, [[]], env=env) as (node,):
        port = node.rsplit(":", 1)[1]
        with httpx.Client(base_url=node) as c:
            assert c.get(f"/api/v1/health?token={SECRET_QUERY}").status_code == 200
            page = c.get("/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf
            wrong = c.post("/login", data={"username": "danang", "password": "sai-mật-khẩu-rất-dài",
                                           "csrf": csrf[1], "next": "/forms"})
            assert wrong.status_code == 401
            page = c.get("/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf
            done = c.post("/login", data={"username": "danang", "password": PW, "csrf": csrf[1], "next": "/forms"},
                          follow_redirects=False)
            assert done.status_code == 303
            session = done.cookies["chiso_session"]
            assert c.get("/forms").status_code == 200
            assert c.get("/units/nowhere").status_code == 404
    log = tmp_path / f"node-{port}.log"
    text = log.read_text(errors="replace")
    lines = json_lines(log)  # every line of the log is one JSON object
    assert all({"ts", "level", "logger", "msg"} <= set(x) for x in lines)
    requests = [x for x in lines if x["logger"] == "chiso.web.requests"]
    by_path = {(x["method"], x["path"], x["status"]): x for x in requests}
    health = by_path[("GET", "/api/v1/health", 200)]
    assert health["node"] == f"127.0.0.1:{port}" and isinstance(health["duration_ms"], float)
    assert "user" not in health
    assert ("POST", "/login", 401) in by_path and ("POST", "/login", 303) in by_path
    assert by_path[("GET", "/forms", 200)]["user"] == "danang"  # the logged-in user's login
    assert ("GET", "/units/nowhere", 404) in by_path
    assert any(x["msg"].startswith("Uvicorn running") or "Application startup" in x["msg"] for x in lines)
    # no secret: not the passwords, the session cookie, the login form's CSRF token, nor a query's token
    for secret in (PW, "sai-mật-khẩu-rất-dài", session, csrf[1], SECRET_QUERY):
        assert secret not in text


def test_nodes_and_the_writer_take_their_settings_from_the_one_file(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    ws = core.init_workspace(root, f"sqlite:///{tmp_path / 'store.sqlite'}")
    token = ws.store.events.add_source("portal-p01", "Cổng DVC Hà Nội", ["P01"], ["dossier"])
    tag = uuid.uuid4().hex[:10]
    prefix, durable, port, metrics_port = f"chiso.deploy{tag}", f"writer-{tag}", free_port(), free_port()
    with (root / core.SETTINGS).open("a", encoding="utf-8") as f:
        f.write(f'\n[serve]\nhost = "127.0.0.1"\nport = {port}\nevents = false\n'
                f'\n[events]\nnats = "{NATS}"\nsubject_prefix = "{prefix}"\ndurable = "{durable}"\nack_wait = 30\n'
                f'metrics_port = {metrics_port}\n'
                f'\n[web]\nlogin_limits = "store"\n\n[log]\nformat = "json"\nlevel = "info"\n')
    node_log, writer_log = tmp_path / "node.log", tmp_path / "writer.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHISO_LOG_")}
    node = chiso(root, "serve", log=node_log, env=env)  # nothing but the workspace
    url = f"http://127.0.0.1:{port}"
    writer: subprocess.Popen[bytes] | None = None
    try:
        until(lambda: answers(url), node, node_log, "the node on the file's port")
        body = "\n".join(json.dumps({"event_id": f"d-{i}", "at": "2024-03-05T10:00:00", "source_system": "dvc",
                                     "dossier_id": f"hs-{i}", "procedure_code": "1.001234", "unit": "P01",
                                     "status": "received", "channel": "online"}) for i in range(4)) + "\n"
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
        for _ in range(2):  # the node holds no event store: it relays to the file's NATS, under the file's prefix
            r = httpx.post(f"{url}/api/v1/events/dossier", content=body, headers=headers)
            assert r.status_code == 202 and r.json()["status"] == "logged", r.text
        # its login limits are the store's (the file's [web] login_limits)
        httpx.post(f"{url}/api/v1/session", json={"username": "ghost", "password": "không-phải-mật-khẩu"})
        with ws.store.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(schema.login_attempt)).scalar() == 2

        writer = chiso(root, "ingest", "--from", "nats", log=writer_log, env=env)  # the log's URL from the file
        until(lambda: len(ws.store.events.batches_in_state("applied")) == 2, writer, writer_log,
              "the writer to apply both batches")
        # the node's lag is that of the file's durable consumer: the writer's
        until(lambda: "chiso_event_log_pending 0.0" in httpx.get(f"{url}/metrics").text, node, node_log,
              "the lag back to 0 on /metrics")
        ready = httpx.get(f"{url}/ready").json()
        assert ready["log"]["pending"] == 0 and ready["log"]["delivered"] >= 2
        # the writer's own /metrics, on the file's metrics_port: its batch times, the events and its lag
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
        assert 'chiso_event_batch_seconds_count{kind="dossier"} 2.0' in scraped, scraped
        assert 'chiso_events_accepted_total{kind="dossier"} 4.0' in scraped
        assert "chiso_event_log_pending 0.0" in scraped
    finally:
        if writer is not None:
            stop(writer)
        stop(node)
        ws.close()
    batches = [x for x in json_lines(writer_log) if x["logger"] == "chiso.writer"]
    assert len(batches) == 2, writer_log.read_text()
    first, second = sorted(batches, key=lambda x: x["batch"])
    assert (first["kind"], first["accepted"], first["duplicates"], first["rejected"]) == ("dossier", 4, 0, 0)
    assert (second["accepted"], second["duplicates"]) == (0, 4)  # sent twice, counted once
    assert all(isinstance(x["seconds"], float) and isinstance(x["lag"], int) for x in batches)
    node_lines = json_lines(node_log)
    assert any(x["logger"] == "chiso.web.requests" and x["path"] == "/api/v1/events/dossier" and x["status"] == 202
               and x["node"] == f"127.0.0.1:{port}" for x in node_lines)
    assert token not in node_log.read_text() and "không-phải-mật-khẩu" not in node_log.read_text()


def test_a_bad_setting_stops_serve_naming_the_file_section_and_key(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    core.init_workspace(root, f"sqlite:///{tmp_path / 'store.sqlite'}").close()
    with (root / core.SETTINGS).open("a", encoding="utf-8") as f:
        f.write('\n[serve]\nport = 99999\n')
    done = subprocess.run([sys.executable, "-m", "chiso", "--workspace", str(root), "--lang", "en", "serve"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert f"{root / core.SETTINGS}: serve.port = 99999 is not valid; expected a whole port number" in \
        " ".join(done.stderr.split()), done.stderr
