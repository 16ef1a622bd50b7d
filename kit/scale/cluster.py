"""Which Dask cluster the kit runs on: a scheduler address (argument, ``case.toml``, or the
``KIT_DASK_SCHEDULER`` variable) or, by default, a ``LocalCluster`` sized to this machine.

A scheduler that cannot be reached is one :class:`ClusterError` naming the address after
``CONNECT_TIMEOUT`` seconds, never a hang. The dashboard link is printed once per cluster.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from ..errors import KitError

SCHEDULER_VARIABLE = "KIT_DASK_SCHEDULER"
#: seconds to wait for a scheduler before giving up
CONNECT_TIMEOUT = 10.0
#: a task whose worker died is rerun this many times (on top of Dask's own rescheduling)
RETRIES = 2
#: the environment of a local cluster's worker processes: Arrow's allocator (mimalloc) hands
#: freed pages back at once instead of keeping them (bench_scale, 5M lines, 2 workers: the
#: largest worker 505 -> 446 MB; Arrow through malloc kept less, 389 MB, but made the analysis
#: at 20M lines much slower: one worker still running after 33 min, where mimalloc took 17)
WORKER_ENVIRONMENT = {"MIMALLOC_PURGE_DELAY": "0"}

_local: dict[str, Any] = {}
#: clients of scheduler addresses, reused across calls
_clients: dict[str, Any] = {}
_announced: set[str] = set()


class ClusterError(KitError, RuntimeError):
    """The Dask scheduler cannot be reached (or the cluster cannot start)."""


def connect(scheduler: Any = None, *, timeout: float = CONNECT_TIMEOUT) -> Any:
    """A ``distributed.Client``: ``scheduler`` itself when it is one, else one connected to the
    address given (or in ``KIT_DASK_SCHEDULER``), else to a local cluster started once.

    Parameters
    ----------
    scheduler : str or distributed.Client, optional
        ``"tcp://HOST:8786"``; None reads ``KIT_DASK_SCHEDULER`` and, when unset, starts a
        ``LocalCluster(n_workers=min(4, cpus), threads_per_worker=1)`` (the parse holds the GIL).
    timeout : float
        Seconds to wait for the scheduler.

    Raises
    ------
    ClusterError
        The scheduler did not answer within ``timeout`` seconds.
    """
    from distributed import Client

    if isinstance(scheduler, Client):
        return scheduler
    address = scheduler or os.environ.get(SCHEDULER_VARIABLE) or None
    if address is None:
        client = _local_client()
    elif address in _clients and _clients[address].status == "running":
        client = _clients[address]
    else:
        try:
            client = _clients[address] = Client(address, timeout=f"{timeout}s",
                                                set_as_default=True)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(
                f"cannot reach the Dask scheduler at {address} within {timeout:g} s ({exc}); "
                f"check that `dask scheduler` runs there and the port is open, or unset "
                f"{SCHEDULER_VARIABLE} / [compute] scheduler to use a local cluster") from None
    _announce(client)
    return client


def disconnect() -> None:
    """Close the clients :func:`connect` made (and the local cluster it started)."""
    for client in [*_clients.values(), *_local.values()]:
        cluster = getattr(client, "cluster", None)
        client.close()
        if cluster is not None and client is _local.get("client"):
            cluster.close()
    _clients.clear()
    _local.clear()


def local_cluster(workers: int | None = None) -> Any:
    """A ``LocalCluster`` of ``workers`` single-threaded worker processes (default: one per
    core, at most 4), each with :data:`WORKER_ENVIRONMENT`."""
    from distributed import LocalCluster

    # the in-process scheduler logs every shuffle's start and end as a warning
    logging.getLogger("distributed.shuffle._scheduler_plugin").setLevel(logging.ERROR)
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                        dashboard_address=":0", env=WORKER_ENVIRONMENT)


def _local_client() -> Any:
    from distributed import Client

    client = _local.get("client")
    if client is None or client.status not in ("running", "connecting"):
        client = _local["client"] = Client(local_cluster(), set_as_default=True)
    return client


def _announce(client: Any) -> None:
    link = client.dashboard_link
    if link and link not in _announced:
        _announced.add(link)
        print(f"Dask dashboard: {link}", file=sys.stderr)


def progress_bar(progress: bool | None, total: int, what: str) -> Any:
    """A tqdm bar over ``total`` partitions: None shows it after a couple of seconds, True at
    once, False never."""
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="partition", desc=what, disable=progress is False,
                delay=0 if progress else 2.0, leave=False)
