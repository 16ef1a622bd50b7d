"""Who lost connections: idle-timeout teardowns per host pair and service, with keepalive risk."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..errors import FrameError
from ..units import host_key, host_keys, parse_duration
from .frames import require_frame
from .sessions import STRING, idle_teardowns, is_case

_COLUMNS = ("src_host", "src_ip", "src_role", "dst_host", "dst_ip", "dst_role", "service_port",
            "service", "end", "duration", "bytes", "close")


def host_at_risk(hosts: pd.DataFrame, firewall_timeout: pd.Timedelta) -> pd.Series:
    """Whether each host's keepalive comes too late for ``firewall_timeout`` (index: host).

    Delegates to ``kit.keepalive_risk`` so the rule lives in one place; NA where unknown.
    """
    from .. import keepalive_risk

    risk = keepalive_risk(hosts, pd.Timedelta(firewall_timeout))
    return pd.Series(risk["at_risk"].astype("boolean").to_numpy(),
                     index=risk["host"].astype(str).to_numpy(), name="at_risk", dtype="boolean")


def endpoint_names(frame: pd.DataFrame, side: str) -> pd.Series:
    """The host name of one side of each session, or its IP when the inventory lacks it."""
    return frame[f"{side}_host"].fillna(frame[f"{side}_ip"]).astype(STRING)


def service_pair_keys(sessions: pd.DataFrame) -> pd.Series:
    """One key per unordered pair of endpoint names and service port (``a|b|port``): the
    connections of one host pair and service, whichever side initiated them."""
    from .explain import pair_keys

    pairs = pair_keys(endpoint_names(sessions, "src"), endpoint_names(sessions, "dst"))
    return pairs + "|" + sessions["service_port"].astype("Int64").astype(str)


def affected(sessions: Any, *, hosts: pd.DataFrame | None = None,
             firewall_timeout: Any = None) -> pd.DataFrame:
    """Idle-timeout teardowns per host pair and service.

    Parameters
    ----------
    sessions : DataFrame or Case
        ``kit.sessions`` output; or a ``kit.Case``, whose ``case.sessions``, ``case.hosts`` and
        ``case.timeout`` (the one timeout in force) are then used.
    hosts : DataFrame, optional
        The keepalive frame (``kit.read_keepalive``); with it, each side says whether its
        keepalive comes too late for ``firewall_timeout`` (``kit.keepalive_risk``).
    firewall_timeout : duration, optional
        The timeout to judge the hosts against (``kit.units`` grammar; ``case.timeout.value``
        for a case). Needed with ``hosts``: the analysis never picks a timeout of its own.

    Returns
    -------
    DataFrame
        One row per (src, dst, service_port): ``src``, ``src_role``, ``dst``, ``dst_role``,
        ``service_port``, ``service``, ``idle_teardowns``, ``first``, ``last``, ``typical_duration``
        and ``typical_bytes`` (medians), ``src_at_risk``, ``dst_at_risk`` and ``at_risk``
        (either side; NA when its keepalive is unknown); most teardowns first.
    """
    if is_case(sessions):
        case = sessions
        sessions = case.sessions
        hosts = case.hosts if hosts is None else hosts
        if firewall_timeout is None:
            firewall_timeout = case.timeout.value
    elif hosts is not None and len(hosts) and firewall_timeout is None:
        raise FrameError("kit.affected(sessions, hosts=...) needs firewall_timeout= to judge the "
                         "hosts' keepalive against; pass case.timeout.value (or the case itself: "
                         "kit.affected(case))")
    require_frame(sessions, "sessions", _COLUMNS, caller="kit.affected")
    idle = idle_teardowns(sessions)
    frame = pd.DataFrame({
        "src": endpoint_names(idle, "src"), "src_role": idle["src_role"],
        "dst": endpoint_names(idle, "dst"), "dst_role": idle["dst_role"],
        "service_port": idle["service_port"], "service": idle["service"],
        "end": idle["end"], "duration": idle["duration"],
        "bytes": idle["bytes"].astype("Float64"),
    })
    keys = ["src", "dst", "service_port"]
    table = frame.groupby(keys, dropna=False, sort=False, observed=True).agg(
        src_role=("src_role", "first"), dst_role=("dst_role", "first"),
        service=("service", "first"), idle_teardowns=("end", "size"), first=("end", "min"),
        last=("end", "max"), typical_duration=("duration", "median"),
        typical_bytes=("bytes", "median"),
    ).reset_index()
    table["idle_teardowns"] = table["idle_teardowns"].astype("int64")

    risk = pd.Series(dtype="boolean")
    if hosts is not None and len(hosts) and firewall_timeout is not None:
        risk = host_at_risk(hosts, parse_duration(firewall_timeout, name="firewall_timeout"))
        risk.index = [host_key(h) for h in risk.index]  # one host identity rule
    table["src_at_risk"] = host_keys(table["src"]).map(risk).astype("boolean")
    table["dst_at_risk"] = host_keys(table["dst"]).map(risk).astype("boolean")
    table["at_risk"] = table["src_at_risk"] | table["dst_at_risk"]
    table = table.sort_values(["idle_teardowns", "first"], ascending=[False, True], kind="stable")
    columns = ["src", "src_role", "dst", "dst_role", "service_port", "service", "idle_teardowns",
               "first", "last", "typical_duration", "typical_bytes", "src_at_risk",
               "dst_at_risk", "at_risk"]
    return table.loc[:, columns].reset_index(drop=True)
