"""Failures <- teardowns: which failed job tries and application errors an idle teardown explains.

The correlation rule (evidence-sources.md §11):

* endpoints: the failure's host and peer (through the inventory, or the error's peer_ip) are the
  two ends of the torn-down connection; a stated port must be one of its ports;
* a job try (a window): an idle teardown of a connection between its hosts, built during the try
  and torn down before the try ended, explains it, however long the application then stayed busy;
* an error with only a time T': the latest idle teardown at T with T <= T' <= T + the app's
  detection lag (``kit.apps.catalogue.DETECT_LAG``, editable) explains it;
* a ``deny-no-connection`` on the connection between teardown and failure (``resumed``) is the
  application using the dead connection again: it raises the confidence.

The backup servers' clock is not the firewall's: the offset is estimated from the job tries
themselves (a try starts the second its first connection is built, so the median of try start
minus the earliest Built between its hosts within ``max_skew`` measures the skew) and removed
from the job times before matching.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..apps.catalogue import IDLE_CLASSES, detect_lag, status_name
from ..apps.schema import FAILURE_DTYPES, failed_tries
from ..errors import KitError
from .format import hms
from .sessions import STRING, sessions

#: try windows are widened by this on both sides (whole-second stamps of two programs)
SLACK = pd.Timedelta(seconds=60)
#: the largest clock offset between backup servers and firewall the estimate looks for
MAX_SKEW = pd.Timedelta(minutes=30)

EXPLAIN_COLUMNS = (
    "time", "host", "peer", "app", "error_code", "class", "job_id", "try_number", "try_started",
    "try_ended", "explained",
    "teardown_conn_id", "teardown_device", "teardown_time", "lag", "resumed", "teardowns",
    "evidence", "confidence", "why_not", "source", "line",
)


@dataclass(frozen=True)
class ClockOffset:
    """Backup-server clock minus firewall clock, as measured from the job tries."""

    value: pd.Timedelta
    samples: int

    def __str__(self) -> str:
        if not self.samples:
            return "backup servers' clock offset: not measured (no job try met a connection)"
        sign = "-" if self.value < pd.Timedelta(0) else "+"
        return (f"backup servers' clock offset to the firewall: {sign}{hms(abs(self.value))} "
                f"(median of {self.samples} job tries)")


def _timeout(case: Any) -> pd.Timedelta | None:
    """The case's timeout in force (``case.timeout``), else its stated one, else none."""
    if hasattr(case, "timeout"):
        return case.timeout.value
    return getattr(getattr(case, "settings", None), "idle_timeout", None)


def explain_failures(case: Any = None, *, connections: pd.DataFrame | None = None,
                     jobs: pd.DataFrame | None = None, app_errors: pd.DataFrame | None = None,
                     inventory: pd.DataFrame | None = None,
                     lags: dict[str, pd.Timedelta] | None = None,
                     max_skew: pd.Timedelta = MAX_SKEW) -> pd.DataFrame:
    """Every failed job try and application error, matched to the idle teardown that explains
    it, or to none with the reason.

    Parameters
    ----------
    case : Case, optional
        Supplies the connections (its sessions), ``jobs``, ``app_errors`` and inventory; the
        keywords override any of them.
    connections, jobs, app_errors, inventory : DataFrame, optional
        The connection-event frame, ``kit.read_bpdbjobs``, ``kit.read_app_errors`` and
        ``host, ip`` rows.
    lags : dict of app -> Timedelta, optional
        Detection lags added to ``kit.apps.catalogue.DETECT_LAG`` (errors with only a time).
    max_skew : Timedelta
        The largest backup-server clock offset looked for (default 30 min).

    Returns
    -------
    DataFrame
        ``EXPLAIN_COLUMNS``, one row per failure sorted by time (UTC, job times corrected by the
        clock offset; ``try_started``/``try_ended`` the job try's window): explained (bool),
        the teardown's conn_id, device and time, ``lag``
        (failure - teardown), ``resumed`` (the refused packet), ``teardowns`` (how many of the
        pair's idle teardowns fit), ``evidence`` (the chain as text), ``confidence``
        (high / medium / low), ``why_not``. ``attrs["clock_offset"]`` is the
        :class:`ClockOffset` applied; ``attrs["teardowns_without_failure"]`` the idle
        teardowns no failure points at.
    """
    own_sessions = connections is None and inventory is None and hasattr(case, "sessions")
    connections = _pick(case, "connections", connections)
    if connections is None:
        raise KitError("explain_failures needs a Case or connections= (the connection-event "
                       "frame of kit.read_firewall_log)")
    inventory = _pick(case, "inventory", inventory)
    jobs = _pick(case, "jobs", jobs)
    app_errors = _pick(case, "app_errors", app_errors)
    if own_sessions:
        conns = case.sessions  # the case's own sessions, built once
    else:
        conns = sessions(connections, inventory=inventory, timeout=_timeout(case))
    addresses = host_addresses(inventory)
    offset = _clock_offset(jobs, conns, addresses, max_skew)
    failures = _failures(jobs, app_errors, offset.value)
    idle = conns[(conns["close"] == "idle-timeout").fillna(False).to_numpy(bool)]
    idle_keys = pair_keys(idle["src_ip"], idle["dst_ip"])
    rows, used = [], set()
    for failure in failures.to_dict("records"):
        row, conn_ids = _explain_one(failure, idle, idle_keys, addresses, lags)
        rows.append(row)
        used |= conn_ids
    result = pd.DataFrame(rows, columns=list(EXPLAIN_COLUMNS))
    result = _typed(result).sort_values(["time", "job_id"], kind="stable", ignore_index=True)
    result.attrs["clock_offset"] = offset
    keyed = idle["device"].astype(str) + "/" + idle["conn_id"].astype(str)
    result.attrs["teardowns_without_failure"] = idle.loc[~keyed.isin(used).to_numpy()]
    return result


def _pick(case: Any, name: str, value: Any) -> Any:
    return getattr(case, name, None) if value is None else value


def host_addresses(inventory: pd.DataFrame | None) -> dict[str, set[str]]:
    """Host name (lower case, and its short name) -> its IPs."""
    table: dict[str, set[str]] = {}
    if inventory is None or inventory.empty:
        return table
    for host, ip in zip(inventory["host"].astype(str), inventory["ip"].astype(str), strict=True):
        for key in {host.lower(), host.lower().split(".")[0]}:
            table.setdefault(key, set()).add(_normal_ip(ip))
    return table


def _normal_ip(text: str) -> str:
    try:
        return ipaddress.ip_address(text.strip()).compressed
    except ValueError:
        return text.strip()


def addresses_of(name: Any, addresses: dict[str, set[str]]) -> set[str]:
    """The IPs of a job's host as written (an address, or a name looked up in ``addresses``)."""
    if name is None or pd.isna(name):
        return set()
    text = str(name).strip().lower()
    try:
        return {ipaddress.ip_address(text).compressed}
    except ValueError:
        return addresses.get(text) or addresses.get(text.split(".")[0], set())


def _name_of(ip: str, addresses: dict[str, set[str]]) -> str:
    """The inventory host that owns ``ip`` (its full name), else the IP itself."""
    owners = sorted(name for name, ips in addresses.items() if _normal_ip(ip) in ips)
    return max(owners, key=len) if owners else str(ip)


def pair_keys(a: pd.Series, b: pd.Series) -> pd.Series:
    """One key per unordered address pair (``low|high``): a job's client and server match a
    connection whichever side initiated it."""
    a, b = a.astype(str), b.astype(str)
    return a.where(a <= b, b) + "|" + b.where(a <= b, a)


def _clock_offset(jobs: pd.DataFrame | None, conns: pd.DataFrame,
                  addresses: dict[str, set[str]], max_skew: pd.Timedelta) -> ClockOffset:
    """Median (try start - earliest connection start between its hosts within ``max_skew``)."""
    if jobs is None or jobs.empty or conns.empty:
        return ClockOffset(pd.Timedelta(0), 0)
    tries = jobs.dropna(subset=["try_started"])
    wanted = {
        row: {f"{min(a, b)}|{max(a, b)}" for a in addresses_of(client, addresses)
              for b in addresses_of(server, addresses)}
        for row, client, server in zip(tries.index, tries["client"], tries["server"],
                                       strict=True)}
    keys = pair_keys(conns["src_ip"], conns["dst_ip"])
    relevant = keys.isin(set().union(*wanted.values())).to_numpy(bool)
    starts_by_pair = {key: np.sort(group.to_numpy("M8[ns]")) for key, group in
                      conns.loc[relevant, "start"].groupby(keys[relevant].to_numpy())}
    skew = np.timedelta64(int(max_skew.value), "ns")
    samples = []
    for row, pairs in wanted.items():
        started = tries.at[row, "try_started"].tz_convert("UTC").tz_localize(None).to_datetime64()
        first = [starts[np.searchsorted(starts, started - skew)] for pair in pairs
                 if (starts := starts_by_pair.get(pair)) is not None
                 and np.searchsorted(starts, started - skew) < len(starts)]
        first = [t for t in first if t <= started + skew]
        if first:
            samples.append((started - min(first)) / np.timedelta64(1, "s"))
    if not samples:
        return ClockOffset(pd.Timedelta(0), 0)
    return ClockOffset(pd.Timedelta(seconds=round(float(np.median(samples)))), len(samples))


def _failures(jobs: pd.DataFrame | None, app_errors: pd.DataFrame | None,
              offset: pd.Timedelta) -> pd.DataFrame:
    """Failed job tries (times corrected by ``offset``) and application errors, one shape."""
    parts = []
    if jobs is not None and not jobs.empty:
        failed = failed_tries(jobs).copy()
        for column in ("time", "try_started", "try_ended"):
            failed[column] = failed[column] - offset
        parts.append(failed)
    if app_errors is not None and not app_errors.empty:
        parts.append(app_errors.assign(try_started=pd.NaT, try_ended=pd.NaT, try_number=pd.NA,
                                       status=pd.NA, client=pd.NA, server=pd.NA))
    columns = [*FAILURE_DTYPES, "try_started", "try_ended", "try_number", "status"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat([p.reindex(columns=columns) for p in parts], ignore_index=True)


def _explain_one(failure: dict[str, Any], idle: pd.DataFrame, idle_keys: pd.Series,
                 addresses: dict[str, set[str]], lags: dict[str, pd.Timedelta] | None,
                 ) -> tuple[dict[str, Any], set[str]]:
    row = {k: failure.get(k) for k in EXPLAIN_COLUMNS if k in failure}
    row.update(explained=False, teardowns=0)
    code, cls = failure["error_code"], failure["class"]
    host, peer = failure["host"], failure["peer"]
    if (peer is None or pd.isna(peer)) and not pd.isna(failure.get("peer_ip")):
        peer = _name_of(failure["peer_ip"], addresses)  # the inventory's name, else the IP
        row["peer"] = peer
    host_ips = addresses_of(host, addresses)
    peer_ips = addresses_of(failure.get("peer_ip"), addresses) or addresses_of(peer, addresses)
    if isinstance(cls, str) and cls not in IDLE_CLASSES:
        name = status_name(code) if failure["app"] == "netbackup" and str(code).isdigit() \
            else cls
        what = ("a connection setup failure (ports, ACLs)" if cls == "setup"
                else "not a dropped connection")
        row["why_not"] = f"status {code} ({name}) is {what}"
        return row, set()
    missing = [str(n) for n, ips in ((host, host_ips), (peer, peer_ips))
               if not ips and n is not None and not pd.isna(n)]
    if missing or not host_ips:
        row["why_not"] = (f"{' and '.join(missing) or 'the failing host'} has no address in "
                          "the inventory; add it to inventory.csv")
        return row, set()
    on_pair = _on_endpoints(idle, idle_keys, host_ips, peer_ips, failure)
    ports = [str(int(p)) for p in (failure.get("peer_port"), failure.get("local_port"))
             if p is not None and not pd.isna(p)]
    between = (f"{host} and {peer if peer_ips else 'any peer'}"
               + (f" on port {' and '.join(ports)}" if ports else ""))
    if on_pair.empty:
        row["why_not"] = f"no idle teardown between {between} in the firewall logs"
        return row, set()
    windowed = not pd.isna(failure["try_started"])
    when = failure["time"]
    if windowed:
        fits = on_pair[(on_pair["start"] >= failure["try_started"] - SLACK).to_numpy(bool)
                       & (on_pair["end"] <= when + SLACK).to_numpy(bool)]
    else:
        lag = detect_lag(failure["app"], lags)
        fits = on_pair[((on_pair["end"] <= when + SLACK)
                        & (on_pair["end"] >= when - lag)).to_numpy(bool)]
    if fits.empty:
        row["why_not"] = _too_far(on_pair, failure, between, windowed, lags)
        return row, set()
    chosen = fits.sort_values(["end", "conn_id"]).iloc[-1]
    resumed = chosen["resumed"]
    refused = not pd.isna(resumed) and chosen["end"] <= resumed <= when + SLACK
    row.update(
        explained=True, teardown_conn_id=chosen["conn_id"], teardown_device=chosen["device"],
        teardown_time=chosen["end"], lag=when - chosen["end"],
        resumed=resumed if refused else pd.NaT, teardowns=len(fits),
        confidence=_confidence(cls, refused),
        evidence=_evidence(failure, chosen, refused, fits))
    keys = set(fits["device"].astype(str) + "/" + fits["conn_id"].astype(str))
    return row, keys


def _on_endpoints(idle: pd.DataFrame, keys: pd.Series, host_ips: set[str], peer_ips: set[str],
                  failure: dict[str, Any]) -> pd.DataFrame:
    if peer_ips:
        pairs = {f"{min(a, b)}|{max(a, b)}" for a in host_ips for b in peer_ips}
        hit = keys.isin(pairs)
    else:
        hit = idle["src_ip"].isin(host_ips) | idle["dst_ip"].isin(host_ips)
    for port in (failure.get("peer_port"), failure.get("local_port")):
        if port is not None and not pd.isna(port):
            hit &= (idle["src_port"] == port) | (idle["dst_port"] == port)
    return idle.loc[hit.fillna(False).to_numpy(bool)]


def _too_far(on_pair: pd.DataFrame, failure: dict[str, Any], between: str, windowed: bool,
             lags: dict[str, pd.Timedelta] | None) -> str:
    start = failure["try_started"] if windowed else failure["time"]
    before = on_pair[on_pair["end"] <= failure["time"]]
    if windowed and not before.empty:
        last = before.sort_values(["end", "conn_id"]).iloc[-1]
        return (f"the last idle teardown between {between} ({last['end']:%Y-%m-%d %H:%M:%S} "
                f"UTC) was of a connection built {hms(start - last['start'])} before the try "
                "started")
    if not windowed and not before.empty:
        gap = failure["time"] - before["end"].max()
        return (f"the last idle teardown between {between} was {hms(gap)} before the error, "
                f"beyond the {hms(detect_lag(failure['app'], lags))} detection lag of "
                f"{failure['app'] or 'the application'}")
    first = on_pair["end"].min()
    return (f"the first idle teardown between {between} came {hms(first - failure['time'])} "
            "after the failure")


def _confidence(cls: Any, refused: bool) -> str:
    strong = cls == "idle-drop-strong"
    if strong and refused:
        return "high"
    if strong or refused:
        return "medium"
    return "low"


def _evidence(failure: dict[str, Any], conn: pd.Series, refused: bool,
              fits: pd.DataFrame) -> str:
    def at(t: pd.Timestamp) -> str:
        return f"{t:%Y-%m-%d %H:%M:%S}"

    last_traffic = conn["end"] - conn["idle_before_teardown"] \
        if not pd.isna(conn["idle_before_teardown"]) else None
    parts = [f"conn {conn['conn_id']} on {conn['device']} "
             f"{conn['src_host'] or conn['src_ip']}:{conn['src_port']} -> "
             f"{conn['dst_host'] or conn['dst_ip']}:{conn['dst_port']} built {at(conn['start'])}"]
    if last_traffic is not None:
        parts.append(f"last traffic {at(last_traffic)}")
    parts.append(f"torn down idle {at(conn['end'])} ({conn['reason']})")
    if refused:
        parts.append(f"next packet refused {at(conn['resumed'])} (deny-no-connection)")
    what = (f"job {failure['job_id']} try {failure['try_number']}"
            if not pd.isna(failure.get("job_id")) else f"{failure['app'] or 'error'}")
    parts.append(f"{what} failed {at(failure['time'])} with {failure['error_code']}")
    if len(fits) > 1:
        parts.append(f"{len(fits) - 1} more idle teardown(s) of the pair fit")
    return "; ".join(parts)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    utc = pd.DatetimeTZDtype("ns", "UTC")
    dtypes = {"time": utc, "try_started": utc, "try_ended": utc, "host": STRING, "peer": STRING,
              "app": STRING, "error_code": STRING,
              "class": FAILURE_DTYPES["class"], "job_id": pd.Int64Dtype(),
              "try_number": pd.Int64Dtype(), "explained": bool, "teardown_conn_id": STRING,
              "teardown_device": STRING, "teardown_time": utc, "lag": "timedelta64[ns]",
              "resumed": utc, "teardowns": pd.Int64Dtype(), "evidence": STRING,
              "confidence": pd.CategoricalDtype(("high", "medium", "low")), "why_not": STRING,
              "source": STRING, "line": pd.UInt64Dtype()}
    for column in ("time", "try_started", "try_ended", "teardown_time", "resumed"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["lag"] = pd.to_timedelta(frame["lag"])
    return frame.astype(dtypes)
