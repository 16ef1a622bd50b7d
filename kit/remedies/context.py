"""What every remedy needs, resolved once from the case: timeouts, ports, keepalives, lifetimes.

Each default is resolved here and recorded, with the sentence that justifies it, so the table's
``attrs["assumptions"]`` lists every number the comparison rests on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from ..analysis import host_at_risk, infer_idle_timeout, sessions
from ..analysis.affected import endpoint_names
from ..analysis.concurrency import observed_window
from ..analysis.format import hms
from ..errors import KitError
from ..services import NETBACKUP_PORTS

#: Cisco ASA's default ``timeout conn`` (domain.md §A4), used only when nothing else is known
ASA_DEFAULT_TIMEOUT = pd.Timedelta(hours=1)
#: Linux defaults (7200 s + 9 x 75 s), the new-timeout base when no host export is known
OS_DEFAULT_DETECT = pd.Timedelta(seconds=7200 + 9 * 75)


def _td(value: Any, name: str) -> pd.Timedelta:
    try:
        out = pd.Timedelta(value)
    except (TypeError, ValueError) as exc:
        raise KitError(f"{name}={value!r} is not a duration (e.g. timedelta(minutes=15) or "
                       "'0:15:00')") from exc
    if pd.isna(out) or out <= pd.Timedelta(0):
        raise KitError(f"{name} must be a positive duration, got {value!r}")
    return out


def _ports(values: Iterable[int], name: str) -> tuple[int, ...]:
    try:
        ports = tuple(sorted({int(p) for p in values}))
    except (TypeError, ValueError) as exc:
        raise KitError(f"{name} must be a list of port numbers, got {values!r}") from exc
    if any(not 0 < p < 65536 for p in ports):
        raise KitError(f"{name} holds a port outside 1..65535: {ports}")
    return ports


def _next_minute_above(value: pd.Timedelta) -> pd.Timedelta:
    return pd.Timedelta(minutes=int(value.total_seconds() // 60) + 1)


@dataclass
class Context:
    """The case's sessions and the resolved inputs of every remedy (see ``resolve``)."""

    sessions: pd.DataFrame
    window: tuple[pd.Timestamp, pd.Timestamp]
    firewall_timeout: pd.Timedelta
    keepalive: pd.Timedelta
    new_firewall_timeout: pd.Timedelta
    heartbeat: pd.Timedelta
    scope_ports: tuple[int, ...]
    changed_hosts: tuple[str, ...]
    capacity: int | None
    #: per session: the victim mask, each side's name, current keepalive (NaT unknown) and
    #: whether that side's socket uses SO_KEEPALIVE; the rescued extension of each victim
    victim: np.ndarray = field(repr=False)
    src: pd.Series = field(repr=False)
    dst: pd.Series = field(repr=False)
    src_keepalive: pd.Series = field(repr=False)
    dst_keepalive: pd.Series = field(repr=False)
    src_so_keepalive: np.ndarray = field(repr=False)
    dst_so_keepalive: np.ndarray = field(repr=False)
    rescue: pd.Series = field(repr=False)
    assumptions: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def hours(self) -> float:
        return (self.window[1] - self.window[0]) / pd.Timedelta(hours=1)

    @property
    def tcp(self) -> np.ndarray:
        return (self.sessions["protocol"] == "tcp").fillna(False).to_numpy(dtype=bool)

    def on_ports(self, ports: Iterable[int]) -> np.ndarray:
        return self.sessions["service_port"].isin(list(ports)).fillna(False).to_numpy(dtype=bool)


def _firewall_timeout(case: Any, given: Any, found: pd.DataFrame, note) -> pd.Timedelta:
    if given is not None:
        value = _td(given, "firewall_timeout")
        note(value, f"Firewall idle timeout {hms(value)}, as given.")
        return value
    configured = getattr(case.settings, "idle_timeout", None)
    if configured is not None:
        value = pd.Timedelta(configured)
        note(value, f"Firewall idle timeout {hms(value)}, from case.toml.")
        return value
    estimate = infer_idle_timeout(found)
    if estimate.value is not None:
        note(estimate.value, f"Firewall idle timeout inferred from the data: "
                                 f"{estimate.explanation}")
        return estimate.value
    note(ASA_DEFAULT_TIMEOUT, "No idle-timeout teardowns and no configured timeout: the "
                                  f"Cisco ASA default {hms(ASA_DEFAULT_TIMEOUT)} is assumed.")
    return ASA_DEFAULT_TIMEOUT


def _so_keepalive(case: Any, names: pd.Series, ports: pd.Series,
                  fallback: tuple[int, ...]) -> np.ndarray:
    """Whether each (host, service port) socket uses SO_KEEPALIVE.

    Socket evidence decides where the case has it for that host and port (any socket of that
    service with a keepalive timer); elsewhere the service port is looked up in ``fallback``.
    """
    answer = ports.isin(list(fallback)).fillna(False).to_numpy(dtype=bool)
    sockets = getattr(case, "sockets", None)
    if sockets is None or len(sockets) == 0:
        return answer
    has_timer = (sockets["timer"] == "keepalive").fillna(False)
    sides = [pd.DataFrame({"host": sockets["host"].astype(str),
                           "port": sockets[column].astype("Int64"), "timer": has_timer})
             for column in ("local_port", "peer_port")]
    evidence = (pd.concat(sides).dropna().groupby(["host", "port"])["timer"].any()
                .rename("evidence").reset_index())
    keys = pd.DataFrame({"host": names.astype(object).fillna("").astype(str).to_numpy(),
                         "port": ports.astype("Int64").to_numpy()})
    joined = keys.merge(evidence, on=["host", "port"], how="left")
    known = joined["evidence"].notna().to_numpy()
    found = joined["evidence"].fillna(False).to_numpy(dtype=bool)
    return np.where(known, found, answer)


def _rescue(s: pd.DataFrame, victim: np.ndarray, window_end: pd.Timestamp,
            given: pd.Timedelta | None, note) -> pd.Series:
    """How long each prevented teardown's connection lives on past its would-be teardown."""
    if given is not None:
        note(given, f"A rescued connection lives on {hms(given)} past its would-be teardown, "
                    "as given.")
        return pd.Series(given, index=s.index[victim])
    if not victim.any():
        note(None, "No idle-timeout teardowns: no connection needs rescuing.")
        return pd.Series(dtype="timedelta64[ns]")
    a, b = endpoint_names(s, "src").fillna(""), endpoint_names(s, "dst").fillna("")
    pair = a.where(a <= b, b) + "|" + b.where(a <= b, a) + "|" + \
        s["service_port"].astype("Int64").astype(str)
    starts = pd.DataFrame({"key": pair, "t": s["start"]}).sort_values("t", kind="stable")
    victims = pd.DataFrame({"key": pair[victim], "t": s["end"][victim],
                            "pos": np.arange(int(victim.sum()))}).sort_values("t", kind="stable")
    nxt = pd.merge_asof(victims, starts.rename(columns={"t": "next"}), left_on="t",
                        right_on="next", by="key", direction="forward", allow_exact_matches=False)
    nxt = nxt.sort_values("pos")
    until_next = (nxt["next"] - nxt["t"]).to_numpy()
    completed = s["close"].notna() & (s["close"] != "idle-timeout") & ~s["open"]
    medians = s.loc[completed.to_numpy(dtype=bool)].groupby("service_port")["duration"].median()
    by_service = s["service_port"][victim].map(medians).to_numpy()
    ext = pd.Series(np.where(pd.isna(until_next), by_service, until_next),
                    index=s.index[victim], dtype="timedelta64[ns]")
    n_next = int((~pd.isna(until_next)).sum())
    n_median = int(((pd.isna(until_next)) & ~pd.isna(by_service)).sum())
    n_none = int(ext.isna().sum())
    ext = ext.fillna(pd.Timedelta(0))
    note(None, f"A rescued connection lives on until the next connection of the same host pair "
               f"and service starts ({n_next} of the victims), else for the median duration of "
               f"that service's completed sessions ({n_median}); {n_none} with neither live on "
               "0 s. "
               f"Lifetimes end at the end of the data ({window_end}).")
    return ext


def resolve(case: Any, *, firewall_timeout: Any, keepalive: Any, new_firewall_timeout: Any,
            heartbeat: Any, scope_ports: Any, so_keepalive_ports: Any,
            rescued_lifetime: Any) -> Context:
    """Resolve every default from the case and record it (see ``compare_remedies``)."""
    for attr in ("connections", "hosts", "settings"):
        if not hasattr(case, attr):
            raise KitError(f"compare_remedies needs a kit.Case (from kit.load_case); got "
                           f"{type(case).__name__} without .{attr}")
    notes: dict[str, dict[str, Any]] = {}

    def noter(name: str):
        return lambda value, why: notes.__setitem__(name, {"value": value, "why": why})

    s = sessions(case)
    first, last = observed_window(s)  # the one window of every peak and mean
    window = (first, last) if first is not None else (pd.Timestamp(0, tz="UTC"),) * 2
    noter("window")(window, f"Rates are per hour of data: {window[0]} to {window[1]}.")
    victim = (s["close"] == "idle-timeout").fillna(False).to_numpy(dtype=bool)
    fw = _firewall_timeout(case, firewall_timeout, s, noter("firewall_timeout"))

    ka = _td(keepalive if keepalive is not None else timedelta(minutes=15), "keepalive")
    noter("keepalive")(ka, f"The keepalive remedy sets the OS keepalive time to {hms(ka)} on "
                           "the at-risk hosts.")

    hosts = case.hosts
    known = hosts.drop_duplicates("host").set_index(hosts["host"].drop_duplicates().astype(str))
    if new_firewall_timeout is not None:
        new_fw = _td(new_firewall_timeout, "new_firewall_timeout")
        noter("new_firewall_timeout")(new_fw, f"New firewall idle timeout {hms(new_fw)}, as given.")
    else:
        detect = (known["time_to_detect"].fillna(
            known["keepalive_time"] + known["keepalive_probes"].astype("float")
            * known["keepalive_interval"]) if len(known) else pd.Series(dtype="timedelta64[ns]"))
        base = detect.max() if len(detect.dropna()) else OS_DEFAULT_DETECT
        new_fw = _next_minute_above(base)
        noter("new_firewall_timeout")(new_fw, f"New firewall idle timeout {hms(new_fw)}: the next "
                                              f"whole minute above the largest host keepalive plus "
                                              f"its probes ({hms(base)}).")

    hb = _td(heartbeat, "heartbeat") if heartbeat is not None else fw / 2
    noter("heartbeat")(hb, f"Application heartbeat every {hms(hb)}"
                           + (", as given." if heartbeat is not None else
                              ", half the firewall timeout."))

    if scope_ports is not None:
        scope = _ports(scope_ports, "scope_ports")
        noter("scope_ports")(list(scope), "Scoped remedies cover these ports, as given.")
    else:
        scope = _ports(s.loc[victim, "service_port"].dropna().tolist(), "scope_ports")
        noter("scope_ports")(list(scope), "Scoped remedies cover the service ports of the "
                                          "idle-timeout teardowns.")

    if so_keepalive_ports is not None:
        so_ports = _ports(so_keepalive_ports, "so_keepalive_ports")
        why = "as given"
    else:
        so_ports = tuple(sorted(NETBACKUP_PORTS))
        why = "the NetBackup ports"
    noter("so_keepalive_ports")(list(so_ports), f"Where the case has no socket capture for a "
                                                f"host and port, sockets of these ports are "
                                                f"assumed to use SO_KEEPALIVE ({why}).")

    risk = host_at_risk(hosts, fw) if len(hosts) else pd.Series(dtype="boolean")
    changed = tuple(sorted(risk.index[risk.fillna(False).to_numpy(dtype=bool)]))
    noter("changed_hosts")(list(changed), f"The keepalive remedy changes the {len(changed)} "
                                          "hosts whose keepalive export puts them at risk; hosts "
                                          "without an export are neither counted on nor changed.")
    capacity = getattr(case.settings, "capacity", None)
    noter("capacity")(capacity, "Firewall connection capacity from case.toml." if capacity
                      else "The firewall's connection capacity is not known.")
    noter("frame_bytes")(70, "A keepalive, heartbeat or DCD probe and its ACK are minimal "
                             "TCP segments: 70 B Ethernet frames each (IPv4, TCP timestamps).")

    given_rescue = _td(rescued_lifetime, "rescued_lifetime") if rescued_lifetime is not None \
        else None
    rescue = _rescue(s, victim, window[1], given_rescue, noter("rescued_lifetime"))

    src, dst = endpoint_names(s, "src"), endpoint_names(s, "dst")
    keep_time = known["keepalive_time"] if len(known) else pd.Series(dtype="timedelta64[ns]")
    return Context(
        sessions=s, window=window, firewall_timeout=fw, keepalive=ka, new_firewall_timeout=new_fw,
        heartbeat=hb, scope_ports=scope, changed_hosts=changed, capacity=capacity, victim=victim,
        src=src, dst=dst,
        src_keepalive=src.map(keep_time).astype("timedelta64[ns]"),
        dst_keepalive=dst.map(keep_time).astype("timedelta64[ns]"),
        src_so_keepalive=_so_keepalive(case, src, s["service_port"], so_ports),
        dst_so_keepalive=_so_keepalive(case, dst, s["service_port"], so_ports),
        rescue=rescue, assumptions=notes,
    )
