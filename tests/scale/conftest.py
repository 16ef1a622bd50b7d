"""Dask clusters for the scale tests: a ``LocalCluster`` and a real one started as processes.

The real cluster is what a user runs: ``dask scheduler`` and two ``dask worker`` processes on
loopback, each torn down by its PID however the tests end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from kit.scale.cluster import disconnect  # noqa: E402 - after the skip when dask is missing

_DASK = [sys.executable, "-m", "dask"]
_START_TIMEOUT = 60.0


@dataclass
class RealCluster:
    """A scheduler and workers running as separate processes."""

    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen] = field(default_factory=list)

    def stop(self) -> None:
        disconnect()
        for process in [*self.workers, self.scheduler]:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def local_client() -> Iterator[distributed.Client]:
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0")
    client = distributed.Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        disconnect()  # clients kit made to this cluster's address (kit parse --scheduler)
        client.close()
        cluster.close()


@pytest.fixture(scope="session")
def real_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealCluster]:
    """Shared by the tests that leave it as they found it."""
    yield from _real_cluster(tmp_path_factory.mktemp("dask-cluster"))


@pytest.fixture
def doomed_cluster(tmp_path: Path) -> Iterator[RealCluster]:
    """A cluster of its own, for a test that kills one of its workers."""
    yield from _real_cluster(tmp_path)


def _real_cluster(folder: Path) -> Iterator[RealCluster]:
    scheduler_file = folder / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    log = open(folder / "cluster.log", "wb")  # noqa: SIM115 - open for the cluster's lifetime
    scheduler = subprocess.Popen(
        [*_DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", ":0",
         "--scheduler-file", str(scheduler_file)], stdout=log, stderr=subprocess.STDOUT, env=env)
    cluster = RealCluster("", scheduler)
    try:
        cluster.address = _address(scheduler_file, scheduler)
        for _ in range(2):
            cluster.workers.append(subprocess.Popen(
                [*_DASK, "worker", cluster.address, "--nthreads", "1", "--no-nanny",
                 "--no-dashboard", "--local-directory", str(folder)],
                stdout=log, stderr=subprocess.STDOUT, env=env))
        with distributed.Client(cluster.address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=_START_TIMEOUT)
        yield cluster
    finally:
        cluster.stop()
        log.close()


def _address(scheduler_file: Path, scheduler: subprocess.Popen) -> str:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if scheduler.poll() is not None:
            raise RuntimeError(f"dask scheduler exited with {scheduler.returncode}")
        if scheduler_file.is_file():
            try:
                return json.loads(scheduler_file.read_text())["address"]
            except (ValueError, KeyError):
                pass
        time.sleep(0.2)
    raise RuntimeError("dask scheduler did not start")
