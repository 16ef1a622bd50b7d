"""A case's firewall logs read and reduced on Dask (``case.toml [compute] engine = "dask"``).

The logs (or a ``kit parse`` dataset) are read with ``engine="dask"`` on the cluster of
``[compute] scheduler`` (else ``KIT_DASK_SCHEDULER``, else a local cluster:
``kit.scale.cluster.connect``) and reduced there (``kit.scale.analysis.reduce_case``). The Case
then holds, as pandas: the idle-timeout teardowns and the refused packets as its
``connections``, the sessions kept by the rule as its ``sessions``, and the facts over all
events and sessions; the timeout in force is decided by the same rule as on the pandas path.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..analysis.timeout import infer_idle_timeout, timeout_in_force
from .settings import CaseSettings


def read_reduced(firewall: Any, settings: CaseSettings,
                 inventory: pd.DataFrame) -> tuple[pd.DataFrame, Any]:
    """Read and reduce the firewall logs on Dask.

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
                              timeout=in_force)
    # index: the events' row numbers in the whole log, as on the pandas path
    shown = pd.concat([reduced.idle_teardowns, reduced.denies]).sort_index(kind="stable")
    shown.attrs["load_report"] = lazy.load_report
    return shown, reduced
