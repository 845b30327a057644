"""For the tests of a deployment beyond one process (issue 14): ``chiso serve`` processes started on a workspace
and waited for (a bound, never a timing)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from receivers import free_port


def answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/health", timeout=2).status_code in (200, 503)
    except httpx.TransportError:
        return False


@contextmanager
def serving(root: Path, nodes: Sequence[Sequence[str]], env: dict[str, str] | None = None,
            bound: float = 60) -> Iterator[list[str]]:
    """One ``chiso serve`` process per entry of ``nodes`` (its extra arguments) on the workspace at ``root``;
    their URLs once each answers. Logs beside the workspace."""
    procs, urls = [], []
    try:
        for extra in nodes:
            port = free_port()
            log = (root.parent / f"node-{port}.log").open("wb")
            procs.append(subprocess.Popen([sys.executable, "-m", "chiso", "--workspace", str(root), "serve",
                                           "--port", str(port), *extra], stdout=log, stderr=subprocess.STDOUT,
                                          env=env))
            urls.append(f"http://127.0.0.1:{port}")
        for url, proc in zip(urls, procs, strict=True):
            deadline = time.monotonic() + bound
            while not answers(url):
                log_text = (root.parent / f"node-{url.rsplit(':', 1)[1]}.log").read_text(errors="replace")
                assert proc.poll() is None, log_text
                assert time.monotonic() < deadline, f"{url} did not start:\n{log_text}"
                time.sleep(0.2)
        NODES.update(zip(urls, procs, strict=True))
        yield urls
    finally:
        for url in urls:
            NODES.pop(url, None)
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)


NODES: dict[str, subprocess.Popen[bytes]] = {}  # the running nodes of ``serving``, by URL


def kill_node(url: str) -> None:
    """SIGKILL the node serving ``url``: no shutdown, requests in flight cut."""
    proc = NODES[url]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
