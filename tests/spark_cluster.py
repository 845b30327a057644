"""A real Spark standalone cluster on this machine, for the tests: a master and two workers, each in its own JVM,
started from the Spark that PySpark ships (``pyspark/bin/spark-class``), as docs/deploy.md tells an operator to."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from receivers import free_port


@dataclass(frozen=True)
class Cluster:
    master: str  # spark://127.0.0.1:PORT
    ui: str  # the master's web UI (its /json/ says which workers are alive)
    env: dict[str, str]  # what a driver process needs (SPARK_HOME, the Python the executors run)

    def status(self) -> dict[str, object]:
        with urllib.request.urlopen(f"{self.ui}/json/", timeout=5) as r:
            return dict(json.load(r))


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


@contextmanager
def standalone_cluster(folder: Path, workers: int = 2, timeout: float = 180.0) -> Iterator[Cluster]:
    home = spark_home()
    port, ui_port = free_port(), free_port()
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOG_DIR": str(folder / "logs"),
           "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false", "PYSPARK_PYTHON": sys.executable,
           "SPARK_LOCAL_IP": "127.0.0.1"}
    cls = str(home / "bin" / "spark-class")
    procs: list[subprocess.Popen[bytes]] = []

    def start(name: str, *args: str) -> None:
        log = (folder / f"{name}.log").open("wb")
        procs.append(subprocess.Popen([cls, *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True))

    folder.mkdir(parents=True, exist_ok=True)
    master = f"spark://127.0.0.1:{port}"
    cluster = Cluster(master, f"http://127.0.0.1:{ui_port}", env)
    try:
        start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
              "--webui-port", str(ui_port))
        for i in range(1, workers + 1):
            start(f"worker{i}", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1",
                  "--memory", "1g", "--webui-port", "0", "--work-dir", str(folder / f"work{i}"), master)
        deadline = time.monotonic() + timeout
        while True:  # a bound, not a timing: the cluster is ready when the master counts its workers alive
            try:
                if cluster.status().get("aliveworkers") == workers:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                logs = "\n".join((folder / f).read_text(errors="replace")[-2000:]
                                 for f in os.listdir(folder) if f.endswith(".log"))
                raise RuntimeError(f"the Spark cluster did not start:\n{logs}")
            time.sleep(0.5)
        yield cluster
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
