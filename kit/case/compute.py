"""A case's firewall logs read and reduced on Dask (``case.toml [compute] engine = "dask"``).

The logs (or a ``kit parse`` dataset) are read with ``engine="dask"`` on the cluster of
``[compute] scheduler`` (else ``KIT_DASK_SCHEDULER``, else a local cluster:
``kit.scale.cluster.connect``) and reduced there (``kit.scale.analysis.reduce_case``). The Case
then holds, as pandas: the idle-timeout teardowns and the refused packets as its
``connections``, the sessions kept by the rule as its ``sessions``, and the facts over all
events and sessions; the timeout in force is decided by the same rule as on the pandas path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.explain import MAX_SKEW, addresses_of, host_addresses, pair_keys
from ..analysis.timeout import infer_idle_timeout, timeout_in_force
from .settings import CaseSettings


def read_reduced(firewall: Any, settings: CaseSettings, inventory: pd.DataFrame,
                 jobs: pd.DataFrame, evidence_hosts: pd.Series) -> tuple[pd.DataFrame, Any]:
    """Read and reduce the firewall logs on Dask (``jobs``: the case's job tries, whose
    neighbouring sessions the clock-offset estimate reads, ``NearJobTries``;
    ``evidence_hosts``: the hosts of the keepalive exports and socket captures, the only
    endpoints a remedy tells apart).

    Returns
    -------
    (DataFrame, ReducedCase)
        The events the notebooks show row by row (idle-timeout teardowns and refused packets,
        in the logs' order, with the load report in ``attrs["load_report"]``) and the reduced
        case.
    """
    import kit

    from ..scale.analysis import reduce_case
    from ..scale.cluster import connect

    client = connect(settings.scheduler)
    lazy = kit.read_firewall_log(firewall, tz=settings.tz, relay_tz=settings.relay_tz,
                                 year=settings.year, on_bad_lines="skip", engine="dask",
                                 scheduler=client)

    def in_force(idle: pd.DataFrame) -> pd.Timedelta | None:
        return timeout_in_force(settings.idle_timeout, infer_idle_timeout(idle)).value

    with client.as_current():
        reduced = reduce_case(lazy, inventory=inventory, services=settings.services,
                              timeout=in_force, keep=NearJobTries.of(jobs, inventory),
                              known=evidence_hosts.dropna().astype(str).unique())
    # index: the events' row numbers in the whole log, as on the pandas path
    shown = pd.concat([reduced.idle_teardowns, reduced.denies]).sort_index(kind="stable")
    shown.attrs["load_report"] = lazy.load_report
    return shown, reduced


@dataclass(frozen=True)
class NearJobTries:
    """Which sessions ``kit.explain_failures`` reads beyond the idle teardowns: those between a
    job try's client and server starting within ``MAX_SKEW`` of the try's start (its clock-offset
    estimate takes the earliest of them). Called on each partition of the sessions."""

    #: client|server IP pair -> the starts of its tries (int64 ns, sorted)
    tries: dict[str, np.ndarray]
    skew: int

    @classmethod
    def of(cls, jobs: pd.DataFrame, inventory: pd.DataFrame) -> NearJobTries:
        addresses = host_addresses(inventory)
        found: dict[str, list[int]] = {}
        tries = jobs.dropna(subset=["try_started"])
        for client, server, started in zip(tries["client"], tries["server"],
                                           tries["try_started"], strict=True):
            for a in addresses_of(client, addresses):
                for b in addresses_of(server, addresses):
                    found.setdefault(f"{min(a, b)}|{max(a, b)}", []).append(
                        pd.Timestamp(started).tz_convert("UTC").value)
        return cls({key: np.sort(np.array(times, np.int64)) for key, times in found.items()},
                   int(MAX_SKEW.value))

    def __call__(self, table: pd.DataFrame) -> np.ndarray:
        near = np.zeros(len(table), bool)
        if not self.tries or not len(table):
            return near
        keys = pair_keys(table["src_ip"], table["dst_ip"])
        starts = table["start"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        rows = np.flatnonzero((keys.isin(self.tries.keys()) & table["start"].notna())
                              .to_numpy(dtype=bool))
        for key, at in pd.Series(rows).groupby(keys.to_numpy(dtype=object)[rows]):
            tries, mine = self.tries[key], at.to_numpy()
            first = np.minimum(np.searchsorted(tries, starts[mine] - self.skew), len(tries) - 1)
            near[mine] = (tries[first] >= starts[mine] - self.skew) & (
                tries[first] <= starts[mine] + self.skew)
        return near
