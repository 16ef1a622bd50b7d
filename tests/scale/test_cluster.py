"""On a real cluster (scheduler and workers as processes on loopback): same frame as pandas,
a killed worker survived, an unreachable scheduler reported, the dashboard announced."""

from __future__ import annotations

import os
import signal
import socket
import time

import distributed
import pandas as pd
import pytest

from kit import read_firewall_log
from kit.scale.cluster import ClusterError, connect, local_cluster

from .logs import write
from .test_engine import OPTIONS, assert_same


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("mixed")
    return [str(write(folder / "a.log", 6_000, seed=5, crlf_every=7)),
            str(write(folder / "b.log.gz", 3_000, seed=6, compress=True, start_day=360))]


def test_real_cluster_equals_pandas_and_prints_the_dashboard(real_cluster, mixed, capsys):
    expected = read_firewall_log(mixed, **OPTIONS)
    lazy = read_firewall_log(mixed, engine="dask", scheduler=real_cluster.address,
                             blocksize=48 * 1024 + 1, **OPTIONS)
    assert lazy.npartitions >= 10
    client = distributed.get_client()
    assert client.scheduler.address == real_cluster.address
    got = lazy.compute()
    assert_same(expected, got, lazy)
    printed = capsys.readouterr().err
    assert f"Dask dashboard: {client.dashboard_link}" in printed
    assert client.dashboard_link.startswith("http://127.0.0.1:")
    client.close()


def test_a_killed_worker_is_survived(doomed_cluster, mixed):
    expected = read_firewall_log(mixed, **OPTIONS)
    with distributed.Client(doomed_cluster.address, set_as_default=False) as client:
        lazy = read_firewall_log(mixed, engine="dask", scheduler=client, blocksize=8 * 1024,
                                 **OPTIONS)
        victim = doomed_cluster.workers[0]
        with client.as_current():
            future = client.compute(lazy)
            _wait_for_tasks_on_both_workers(client)
            os.kill(victim.pid, signal.SIGKILL)
            got = future.result(timeout=240)
        assert victim.wait(timeout=10) == -signal.SIGKILL
        assert len(client.scheduler_info()["workers"]) == 1
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def _wait_for_tasks_on_both_workers(client: distributed.Client) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        processing = client.processing()
        if len(processing) == 2 and all(processing.values()):
            return
        time.sleep(0.05)
    raise AssertionError("the workers never both had work")


def test_unreachable_scheduler_is_one_clear_error_in_bounded_time():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    started = time.monotonic()
    with pytest.raises(ClusterError, match=f"cannot reach the Dask scheduler at {address} "
                                           "within 2 s"):
        connect(address, timeout=2)
    assert time.monotonic() - started < 15


def test_unreachable_scheduler_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KIT_DASK_SCHEDULER", "tcp://192.0.2.1:8786")  # TEST-NET: never routed
    log = write(tmp_path / "a.log", 200)
    started = time.monotonic()
    with pytest.raises(ClusterError, match=r"tcp://192\.0\.2\.1:8786.*KIT_DASK_SCHEDULER"):
        read_firewall_log(log, engine="dask", **OPTIONS)
    assert time.monotonic() - started < 30


def test_the_local_cluster_workers_hand_freed_arrow_memory_back_at_once():
    """kit's own local workers run with mimalloc's purge delay at 0 (it keeps freed pages)."""
    with local_cluster(1) as cluster, distributed.Client(cluster) as client:
        seen = client.run(lambda: (__import__("os").environ.get("MIMALLOC_PURGE_DELAY"),
                                   __import__("pyarrow").default_memory_pool().backend_name))
    assert list(seen.values()) == [("0", "mimalloc")]
