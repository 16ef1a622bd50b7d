"""Connection events -> one row per connection (a *session*), named by host, role and service."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..services import service_names, service_port, service_table
from .frames import require_frame

STRING = pd.StringDtype("pyarrow")

#: a Built and a Teardown belong together when the Built's time is within this of the
#: teardown's time minus its logged duration (both stamps are whole seconds from one clock)
MATCH_TOLERANCE = pd.Timedelta(seconds=5)

_NEEDED = ("time", "device", "event", "protocol", "conn_id", "src_ip", "src_port", "dst_ip",
           "dst_port", "duration", "bytes", "reason", "close")
_ENDPOINT = ("src_if", "src_ip", "src_port", "dst_if", "dst_ip", "dst_port", "protocol", "vendor")

SESSION_COLUMNS = (
    "device", "conn_id", "protocol", "start", "end", "duration", "bytes", "close", "reason",
    "open", "has_built", "src_if", "src_ip", "src_port", "src_host", "src_role", "dst_if",
    "dst_ip", "dst_port", "dst_host", "dst_role", "service_port", "service", "vendor", "source",
    "line", "idle_before_teardown", "resumed",
)
#: a refused packet counts as the application resuming a torn-down connection within this
RESUME_WINDOW = pd.Timedelta(hours=24)


def is_case(value: Any) -> bool:
    """Whether ``value`` is a ``kit.Case`` (duck-typed: the analysis does not import the case)."""
    return hasattr(value, "connections") and hasattr(value, "settings")


def _unpack(connections: Any, inventory: pd.DataFrame | None,
            services: Mapping[int, str] | None):
    """Accept a Case (its connections, inventory and ``[services]``) or a bare event frame."""
    if is_case(connections):
        case = connections
        inventory = case.inventory if inventory is None else inventory
        services = case.settings.services if services is None else services
        connections = case.connections
    require_frame(connections, "events", _NEEDED, caller="kit.sessions")
    return connections, inventory, services


def _normalise_ip(text: Any) -> Any:
    try:
        return ipaddress.ip_address(str(text).strip()).compressed
    except ValueError:
        return str(text).strip()


def _name_endpoints(ips: pd.Series, inventory: pd.DataFrame | None) -> tuple[pd.Series, pd.Series]:
    """Host name and role of each IP, through the inventory (a host may own several IPs)."""
    if inventory is None or inventory.empty:
        none = pd.Series(pd.NA, index=ips.index, dtype=STRING)
        return none, none.copy()
    inv = inventory.dropna(subset=["ip"])
    keys = inv["ip"].map(_normalise_ip)
    inv = inv.assign(_key=keys.to_numpy()).drop_duplicates("_key")
    host_of = dict(zip(inv["_key"], inv["host"].astype(str), strict=True))
    role_col = inv["role"] if "role" in inv.columns else pd.Series(pd.NA, index=inv.index)
    role_of = {k: (None if pd.isna(r) else str(r))
               for k, r in zip(inv["_key"], role_col, strict=True)}
    codes, uniques = pd.factorize(ips)
    keys_u = [_normalise_ip(u) for u in uniques]
    hosts_u = np.array([host_of.get(k) for k in keys_u] + [None], dtype=object)
    roles_u = np.array([role_of.get(k) for k in keys_u] + [None], dtype=object)
    hosts = pd.Series(hosts_u[codes], index=ips.index, dtype=STRING)
    roles = pd.Series(roles_u[codes], index=ips.index, dtype=STRING)
    return hosts, roles


def _pair_teardowns(built: pd.DataFrame, tear: pd.DataFrame) -> np.ndarray:
    """Positional index into ``built`` of each teardown's Built, or -1.

    Each teardown takes the latest Built of its (device, conn_id) at or before it (ids repeat on
    real devices over long periods), provided that Built's time agrees with the teardown's time
    minus its duration; one Built serves one teardown (the earliest).
    """
    left = pd.DataFrame({
        "t": tear["time"].array, "device": tear["device"].fillna("").array,
        "conn_id": tear["conn_id"].fillna("").array, "tpos": np.arange(len(tear)),
    }).sort_values("t", kind="stable")
    right = pd.DataFrame({
        "b": built["time"].array, "device": built["device"].fillna("").array,
        "conn_id": built["conn_id"].fillna("").array, "bpos": np.arange(len(built)),
    }).sort_values("b", kind="stable")
    joined = pd.merge_asof(left, right, left_on="t", right_on="b", by=["device", "conn_id"],
                           direction="backward")
    joined = joined.sort_values("tpos", ignore_index=True)
    duration = tear["duration"].reset_index(drop=True)
    off = (joined["b"] - (joined["t"] - duration)).abs()
    ok = joined["bpos"].notna() & (duration.isna() | (off <= MATCH_TOLERANCE))
    bpos = joined["bpos"].where(ok, -1).fillna(-1).to_numpy(dtype=np.int64)
    claimed = pd.Series(bpos).where(bpos >= 0)
    first = ~claimed.duplicated(keep="first") | claimed.isna()
    return np.where(first.to_numpy(), bpos, -1)


def sessions(connections: Any, *, inventory: pd.DataFrame | None = None,
             services: Mapping[int, str] | None = None,
             timeout: pd.Timedelta | None = None) -> pd.DataFrame:
    """One row per connection: Built and Teardown joined, endpoints named.

    Parameters
    ----------
    connections : DataFrame or Case
        The connection-event frame (``kit.read_firewall_log``), or a ``kit.Case``: then its
        ``case.sessions`` (built once per case, with its inventory and ``[services]``) is
        returned, the same object every time; copy it before changing it.
    inventory : DataFrame, optional
        ``host, ip, role`` rows (several IPs per host allowed) naming the endpoints.
    services : mapping of port -> name, optional
        Added to the built-in service table (``kit.services``).
    timeout : Timedelta, optional
        The firewall's idle timeout (a Case's stated ``idle_timeout`` by default): how long an
        idle-timeout teardown's connection had been silent (``idle_before_teardown``).

    Returns
    -------
    DataFrame
        Columns ``SESSION_COLUMNS``, sorted by start. A teardown without its Built starts at
        ``time - duration`` (``has_built`` False); a Built without a teardown stays open until the
        end of the data (``open`` True, no close). ``service_port`` is the responder's port when
        it is a known service, else the other known or lower port. ``idle_before_teardown``:
        the silence before an idle-timeout teardown (the device's ``idle_wait`` where it logs
        one, else ``timeout``), so the last traffic was at ``end - idle_before_teardown``.
        ``resumed``: the first ``deny-no-connection`` on the same addresses and ports within
        24 h after the teardown, the moment the application tried the dead connection again.
    """
    if is_case(connections) and inventory is None and services is None and timeout is None \
            and hasattr(connections, "sessions"):
        return connections.sessions  # built once per case, cached there
    if timeout is None and is_case(connections) and hasattr(connections, "timeout"):
        timeout = connections.timeout.value  # the case's one timeout in force
    events, inventory, services = _unpack(connections, inventory, services)
    return build_sessions(events, inventory, services, timeout)


def build_sessions(events: pd.DataFrame, inventory: pd.DataFrame | None,
                   services: Mapping[int, str] | None,
                   timeout: pd.Timedelta | None = None) -> pd.DataFrame:
    """The work of ``sessions`` on a checked event frame (``Case.sessions`` calls it once)."""
    table = service_table(services)
    is_built = (events["event"] == "built").fillna(False).to_numpy(dtype=bool)
    is_tear = (events["event"] == "teardown").fillna(False).to_numpy(dtype=bool)
    built = events.loc[is_built].reset_index(drop=True)
    tear = events.loc[is_tear].reset_index(drop=True)
    data_end = events["time"].max()

    bpos = _pair_teardowns(built, tear)
    matched = bpos >= 0
    partner = built.reindex(np.where(matched, bpos, -1))
    partner.index = tear.index
    out = tear.copy()
    for col in _ENDPOINT:
        if col in out.columns:
            out[col] = out[col].where(~matched, partner[col].astype(out[col].dtype))
    out["start"] = (out["time"] - out["duration"]).where(~matched, partner["time"])
    out["end"] = out["time"]
    out["duration"] = out["duration"].fillna(out["end"] - out["start"])
    out["open"] = False
    out["has_built"] = matched

    unpaired = np.ones(len(built), dtype=bool)
    unpaired[bpos[matched]] = False
    still_open = built.loc[unpaired].copy()
    still_open["start"] = still_open["time"]
    still_open["end"] = pd.Series(data_end, index=still_open.index, dtype=events["time"].dtype)
    still_open["duration"] = still_open["end"] - still_open["start"]
    still_open["bytes"] = pd.NA
    still_open["close"] = pd.NA
    still_open["reason"] = pd.NA
    still_open["open"] = True
    still_open["has_built"] = True

    frame = pd.concat([out, still_open], ignore_index=True) if len(still_open) else out
    frame["src_host"], frame["src_role"] = _name_endpoints(frame["src_ip"], inventory)
    frame["dst_host"], frame["dst_role"] = _name_endpoints(frame["dst_ip"], inventory)
    frame["service_port"] = service_port(frame["src_port"], frame["dst_port"], table)
    frame["service"] = service_names(frame["service_port"], table)
    for col in ("src_if", "dst_if", "vendor", "source", "line"):
        if col not in frame.columns:
            frame[col] = pd.NA
    for col in ("bytes", "close", "reason", "src_if", "dst_if", "vendor", "source", "line"):
        if col in events.columns:
            frame[col] = frame[col].astype(events[col].dtype)
    frame["idle_before_teardown"] = _idle_before(frame, timeout)
    frame["resumed"] = resumed_after(frame, events)
    frame = frame.sort_values(["start", "device", "conn_id"], kind="stable", ignore_index=True)
    return frame.loc[:, list(SESSION_COLUMNS)]


def _idle_before(frame: pd.DataFrame, timeout: pd.Timedelta | None) -> pd.Series:
    """Silence before an idle-timeout teardown: the logged ``idle_wait``, else ``timeout``."""
    idle = (frame["close"] == "idle-timeout").fillna(False).to_numpy(dtype=bool)
    value = pd.Series(pd.NaT, index=frame.index, dtype="timedelta64[ns]")
    if timeout is not None:
        value[idle] = pd.Timedelta(timeout)
    if "idle_wait" in frame.columns:
        value = frame["idle_wait"].astype("timedelta64[ns]").where(
            frame["idle_wait"].notna(), value)
    return value.where(idle, pd.NaT)


def endpoint_key(a_ip: pd.Series, a_port: pd.Series, b_ip: pd.Series,
                 b_port: pd.Series) -> pd.Series:
    """The connection's two endpoints as one key, whichever side is written first."""
    one = a_ip.astype(str) + "/" + a_port.astype(str)
    two = b_ip.astype(str) + "/" + b_port.astype(str)
    return one.where(one <= two, two) + "|" + two.where(one <= two, one)


def resumed_after(frame: pd.DataFrame, events: pd.DataFrame) -> pd.Series:
    """First ``deny-no-connection`` of ``events`` on each closed session's endpoints within
    ``RESUME_WINDOW`` after its end (the ``resumed`` column of ``sessions``)."""
    result = pd.Series(pd.NaT, index=frame.index, dtype=events["time"].dtype)
    denies = events.loc[(events["event"] == "deny-no-connection").fillna(False).to_numpy(bool)]
    closed = frame.index[~frame["open"].to_numpy(dtype=bool)]
    if denies.empty or closed.empty:
        return result
    tear = frame.loc[closed]
    left = pd.DataFrame({"t": tear["end"].to_numpy(), "pos": closed, "key": endpoint_key(
        tear["src_ip"], tear["src_port"], tear["dst_ip"], tear["dst_port"]).to_numpy()})
    right = pd.DataFrame({"r": denies["time"].to_numpy(), "key": endpoint_key(
        denies["src_ip"], denies["src_port"], denies["dst_ip"], denies["dst_port"]).to_numpy()})
    joined = pd.merge_asof(left.sort_values("t"), right.sort_values("r"), left_on="t",
                           right_on="r", by="key", direction="forward",
                           tolerance=RESUME_WINDOW)
    result.loc[joined["pos"].to_numpy()] = joined["r"].to_numpy()
    return result


def idle_teardowns(frame: Any) -> pd.DataFrame:
    """The idle-timeout teardowns of a connection-event frame, a sessions frame or a Case."""
    if is_case(frame):
        frame = frame.connections
    require_frame(frame, "sessions", ("close",), caller="kit.idle_teardowns")
    keep = (frame["close"] == "idle-timeout").fillna(False)
    if "event" in frame.columns:
        keep &= (frame["event"] == "teardown").fillna(False)
    return frame.loc[keep.to_numpy(dtype=bool)].copy()
