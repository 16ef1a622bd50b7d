"""What every remedy needs, resolved once from the case: timeouts, ports, keepalives, lifetimes.

Each default is resolved here and recorded, with the sentence that justifies it, so the table's
``attrs["assumptions"]`` lists every number the comparison rests on (for display); the typed,
resolved value is ``attrs["resolved"]``, a ``kit.Assumptions``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..analysis import Concurrency, concurrency, host_at_risk
from ..analysis.affected import endpoint_names, service_pair_keys
from ..analysis.concurrency import Sweep
from ..analysis.format import hms
from ..case.facts import SessionFacts, Whole, register_whole, spans_of
from ..errors import KitError
from ..services import NETBACKUP_PORTS
from .assumptions import Assumptions, as_assumptions, ports
from .commands import FAMILIES, families

#: Linux defaults (7200 s + 9 x 75 s), the new-timeout base when no host export is known
OS_DEFAULT_DETECT = pd.Timedelta(seconds=7200 + 9 * 75)


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
    frame_bytes: int
    #: the largest host keepalive plus its probes (the default new timeout's base)
    detect_base: pd.Timedelta
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
    #: today's connection table (the comparison's reference), and its sweep with each session's
    #: raw start and end (int64 ns) so a replay moves only the ends that change
    today: Concurrency | None = field(default=None, repr=False)
    today_sweep: Sweep | None = field(default=None, repr=False)
    start_ns: np.ndarray | None = field(default=None, repr=False)
    end_ns: np.ndarray | None = field(default=None, repr=False)
    #: how many sessions each row stands for: 1, or a group's count of short sessions (a case
    #: computed on Dask, ``remedy_rows``)
    weight: np.ndarray | None = field(default=None, repr=False)

    @property
    def hours(self) -> float:
        return (self.window[1] - self.window[0]) / pd.Timedelta(hours=1)

    @property
    def tcp(self) -> np.ndarray:
        return (self.sessions["protocol"] == "tcp").fillna(False).to_numpy(dtype=bool)

    def on_ports(self, ports: Iterable[int]) -> np.ndarray:
        return self.sessions["service_port"].isin(list(ports)).fillna(False).to_numpy(dtype=bool)


def _firewall_timeout(case: Any, given: pd.Timedelta | None, note) -> pd.Timedelta:
    if given is not None:
        note(given, f"Firewall idle timeout {hms(given)}, as given.")
        return given
    timeout = case.timeout
    if timeout.value is not None:
        note(timeout.value, f"Firewall idle timeout {hms(timeout.value)}, the case's timeout in "
                            f"force ({timeout.source}): {timeout.explanation}")
        return timeout.value
    vendors = case.sessions["vendor"] if "vendor" in case.sessions.columns else ()
    default = min((FAMILIES[f] for f in families(vendors)), key=lambda f: f.default_timeout)
    note(default.default_timeout, "No idle-timeout teardowns and no configured timeout: the "
                                  f"{default.product} default {hms(default.default_timeout)} "
                                  "is assumed.")
    return default.default_timeout


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
    # only the sessions of the captured hosts can have evidence: look those few up
    rows = np.flatnonzero(names.isin(evidence["host"].unique()).fillna(False)
                          .to_numpy(dtype=bool))
    if not len(rows):
        return answer
    keys = pd.DataFrame({"host": names.iloc[rows].astype(str).to_numpy(),
                         "port": ports.iloc[rows].astype("Int64").to_numpy()})
    joined = keys.merge(evidence, on=["host", "port"], how="left")
    known = joined["evidence"].notna().to_numpy()
    found = joined["evidence"].fillna(False).to_numpy(dtype=bool)
    answer = answer.copy()
    answer[rows] = np.where(known, found, answer[rows])
    return answer


def _rescue(s: pd.DataFrame, victim: np.ndarray, src: pd.Series, dst: pd.Series,
            window_end: pd.Timestamp, given: pd.Timedelta | None, note,
            medians: pd.Series) -> pd.Series:
    """How long each prevented teardown's connection lives on past its would-be teardown
    (``medians``: per service port, the median duration of its completed sessions)."""
    if given is not None:
        note(given, f"A rescued connection lives on {hms(given)} past its would-be teardown, "
                    "as given.")
        return pd.Series(given, index=s.index[victim])
    if not victim.any():
        note(None, "No idle-timeout teardowns: no connection needs rescuing.")
        return pd.Series(dtype="timedelta64[ns]")
    a, b = src.fillna(""), dst.fillna("")
    # only sessions between the victims' hosts on the victims' ports can follow a victim
    hosts = pd.concat([a[victim], b[victim]]).unique()
    candidate = (s["service_port"].isin(s["service_port"][victim].dropna().unique())
                 & a.isin(hosts) & b.isin(hosts) & s["start"].notna()).fillna(False).to_numpy(
        dtype=bool) | victim
    pair = service_pair_keys(s.loc[candidate])
    starts = pd.DataFrame({"key": pair, "t": s["start"][candidate]}).sort_values(
        "t", kind="stable")
    is_victim = victim[candidate]
    victims = pd.DataFrame({"key": pair[is_victim], "t": s["end"][victim],
                            "pos": np.arange(int(victim.sum()))}).sort_values("t", kind="stable")
    nxt = pd.merge_asof(victims, starts.rename(columns={"t": "next"}), left_on="t",
                        right_on="next", by="key", direction="forward", allow_exact_matches=False)
    nxt = nxt.sort_values("pos")
    until_next = (nxt["next"] - nxt["t"]).to_numpy()
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


def _base(case: Any, a: Assumptions) -> Context:
    """Everything the sliders (keepalive, new firewall timeout, heartbeat) do not change."""
    for attr in ("connections", "hosts", "settings", "sessions", "timeout"):
        if not hasattr(case, attr):
            raise KitError(f"compare_remedies needs a kit.Case (from kit.load_case); got "
                           f"{type(case).__name__} without .{attr}")
    notes: dict[str, dict[str, Any]] = {}

    def noter(name: str):
        return lambda value, why: notes.__setitem__(name, {"value": value, "why": why})

    s, weight = remedy_rows(case)
    facts = _session_facts(case)  # over every session, whichever engine computed the case
    first, last = facts.window  # the one window of every peak and mean
    window = (first, last) if first is not None else (pd.Timestamp(0, tz="UTC"),) * 2
    noter("window")(window, f"Rates are per hour of data: {window[0]} to {window[1]}.")
    victim = (s["close"] == "idle-timeout").fillna(False).to_numpy(dtype=bool)
    fw = _firewall_timeout(case, a.firewall_timeout, noter("firewall_timeout"))

    hosts = case.hosts
    known = hosts.drop_duplicates("host").set_index(hosts["host"].drop_duplicates().astype(str))
    detect = (known["time_to_detect"].fillna(
        known["keepalive_time"] + known["keepalive_probes"].astype("float")
        * known["keepalive_interval"]) if len(known) else pd.Series(dtype="timedelta64[ns]"))
    detect_base = detect.max() if len(detect.dropna()) else OS_DEFAULT_DETECT

    if a.scope_ports is not None:
        scope = a.scope_ports
        noter("scope_ports")(list(scope), "Scoped remedies cover these ports, as given.")
    else:
        scope = ports(s.loc[victim, "service_port"].dropna().tolist(), "scope_ports")
        noter("scope_ports")(list(scope), "Scoped remedies cover the service ports of the "
                                          "idle-timeout teardowns.")
    so_ports = a.so_keepalive_ports if a.so_keepalive_ports is not None else \
        tuple(sorted(NETBACKUP_PORTS))
    why = "as given" if a.so_keepalive_ports is not None else "the NetBackup ports"
    noter("so_keepalive_ports")(list(so_ports), f"Where the case has no socket capture for a "
                                                f"host and port, sockets of these ports are "
                                                f"assumed to use SO_KEEPALIVE ({why}).")

    if fw == case.timeout.value:  # the case's own risk, derived once
        changed = case.at_risk_hosts
    else:
        risk = host_at_risk(hosts, fw) if len(hosts) else pd.Series(dtype="boolean")
        changed = tuple(sorted(risk.index[risk.fillna(False).to_numpy(dtype=bool)]))
    noter("changed_hosts")(list(changed), (
        f"The keepalive remedy changes the {len(changed)} hosts whose keepalive export puts "
        "them at risk; hosts without an export are neither counted on nor changed."
        if len(hosts) else "The case has no keepalive exports (hosts/ is empty): the keepalive "
        "remedy changes no host, and no host's current keepalive can be counted on."))
    capacity = getattr(case.settings, "capacity", None)
    noter("capacity")(capacity, "Firewall connection capacity from case.toml." if capacity
                      else "The firewall's connection capacity is not known.")
    noter("frame_bytes")(a.frame_bytes, f"A keepalive, heartbeat or DCD probe and its ACK are "
                                        f"minimal TCP segments: {a.frame_bytes} B frames each.")
    src, dst = endpoint_names(s, "src"), endpoint_names(s, "dst")
    rescue = _rescue(s, victim, src, dst, window[1], a.rescued_lifetime,
                     noter("rescued_lifetime"), facts.service_medians)
    start_ns = s["start"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    end_ns = s["end"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    keep_time = (known["keepalive_time"] if len(known) else pd.Series(dtype="timedelta64[ns]"))
    return Context(
        sessions=s, window=window, firewall_timeout=fw, keepalive=a.keepalive,
        new_firewall_timeout=_next_minute_above(detect_base), heartbeat=fw / 2,
        scope_ports=scope, changed_hosts=changed, capacity=capacity, frame_bytes=a.frame_bytes,
        detect_base=detect_base, victim=victim, src=src, dst=dst,
        src_keepalive=_keepalive_of(src, keep_time), dst_keepalive=_keepalive_of(dst, keep_time),
        src_so_keepalive=_so_keepalive(case, src, s["service_port"], so_ports),
        dst_so_keepalive=_so_keepalive(case, dst, s["service_port"], so_ports),
        rescue=rescue, assumptions=notes,
        today=facts.concurrency, today_sweep=facts.sweep, start_ns=start_ns, end_ns=end_ns,
        weight=weight,
    )


def _session_facts(case: Any) -> SessionFacts:
    facts = getattr(case, "session_facts", None)
    return facts if facts is not None else SessionFacts.of(case.sessions)


def remedy_rows(case: Any) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows the remedies are measured on, and how many sessions each stands for.

    On the pandas path: every session, one each. On a case computed on Dask: the sessions kept
    row by row, then one row per group of the short sessions (``ReducedCase.groups``: no start
    or end, never a victim, sends no probe, an address only where it names a host with evidence;
    it counts in a remedy's scope by its weight).
    """
    s = case.sessions
    reduced = getattr(case, "reduced", None)
    if reduced is None or not len(reduced.groups):
        return s, np.ones(len(s), np.int64)
    groups = reduced.groups
    rows = pd.DataFrame(index=pd.RangeIndex(len(groups)), columns=s.columns)
    rows["open"], rows["has_built"] = False, False
    for column in s.columns:
        if column in groups.columns:
            rows[column] = groups[column].to_numpy()
        rows[column] = rows[column].astype(s[column].dtype)
    weight = np.concatenate([np.ones(len(s), np.int64),
                             groups["sessions"].to_numpy(dtype=np.int64)])
    return pd.concat([s, rows], ignore_index=True), weight


def register_replay(case: Any, ctx: Context, replay: pd.DataFrame, shift: pd.Series) -> None:
    """On a case computed on Dask, make ``kit.concurrency(replay)`` give the connection table of
    *all* sessions under the remedy (as on the pandas path): today's sweep with the moved ends
    replaced, over the replay's own observed window (only idle-timeout teardowns move, and
    every one of them is a row here)."""
    reduced = getattr(case, "reduced", None)
    if reduced is None or reduced.facts.window[0] is None:
        return
    facts = reduced.facts
    delta = shift.to_numpy(dtype="timedelta64[ns]").astype(np.int64)
    moved = np.flatnonzero(delta != 0)
    new_end = ctx.end_ns[moved] + delta[moved]
    idle = replay.loc[ctx.victim]
    seen = [facts.seen_rest, idle.loc[idle["has_built"].to_numpy(bool), "start"].min(),
            idle["end"].min()]
    seen = [t for t in seen if t is not None and not pd.isna(t)]
    first = min(seen) if seen else facts.window[0]
    last = max(facts.window[1], pd.Timestamp(int(new_end.max()), tz="UTC")) if len(moved) \
        else facts.window[1]
    today = facts.sweep
    after = Sweep(today.lo, pd.Timestamp(last).as_unit("ns").value, today.starts,
                  today.ends).moved(ctx.start_ns[moved], ctx.end_ns[moved], new_end)
    register_whole(replay, Whole(concurrency(spans_of(after.starts, after.ends), start=first,
                                             end=last)))


def _keepalive_of(names: pd.Series, keep_time: pd.Series) -> pd.Series:
    """Each side's current keepalive time (NaT where the case has no export for it)."""
    out = pd.Series(pd.NaT, index=names.index, dtype="timedelta64[ns]")
    if not len(keep_time):
        return out
    rows = names.isin(keep_time.index).fillna(False).to_numpy(dtype=bool)
    out[rows] = names[rows].map(keep_time).astype("timedelta64[ns]")
    return out


def base_key(a: Assumptions) -> tuple[Any, ...]:
    """The assumptions the slider-independent part of the comparison depends on."""
    return (a.firewall_timeout, a.scope_ports, a.so_keepalive_ports, a.rescued_lifetime,
            a.frame_bytes)


def resolve(case: Any, assumptions: Assumptions) -> Context:
    """Resolve every default from the case and record it (see ``compare_remedies``).

    The slider-independent part is computed once per case and set of other assumptions and kept
    in ``case.memo``; a what-if move only fills in the keepalive, new timeout and heartbeat.
    """
    a = assumptions
    memo = getattr(case, "memo", None)
    key = ("remedy-base", base_key(a))
    base = memo.get(key) if memo is not None else None
    if base is None:
        base = _base(case, a)
        if memo is not None:
            memo[key] = base
    notes = dict(base.assumptions)

    def noter(name: str):
        return lambda value, why: notes.__setitem__(name, {"value": value, "why": why})

    noter("keepalive")(a.keepalive, f"The keepalive remedy sets the OS keepalive time to "
                                    f"{hms(a.keepalive)} on the at-risk hosts.")
    if a.new_firewall_timeout is not None:
        new_fw = a.new_firewall_timeout
        noter("new_firewall_timeout")(new_fw, f"New firewall idle timeout {hms(new_fw)}, as "
                                              "given.")
    else:
        new_fw = base.new_firewall_timeout
        noter("new_firewall_timeout")(new_fw, f"New firewall idle timeout {hms(new_fw)}: the next "
                                              f"whole minute above the largest host keepalive plus "
                                              f"its probes ({hms(base.detect_base)}).")
    hb = a.heartbeat if a.heartbeat is not None else base.firewall_timeout / 2
    noter("heartbeat")(hb, f"Application heartbeat every {hms(hb)}"
                           + (", as given." if a.heartbeat is not None else
                              ", half the firewall timeout."))
    order = ("window", "firewall_timeout", "keepalive", "new_firewall_timeout", "heartbeat")
    notes = {**{k: notes[k] for k in order}, **{k: v for k, v in notes.items() if k not in order}}
    return dataclasses.replace(base, keepalive=a.keepalive, new_firewall_timeout=new_fw,
                               heartbeat=hb, assumptions=notes)


def resolve_assumptions(case: Any, assumptions: Assumptions | None = None) -> Assumptions:
    """``assumptions`` with every None field filled in from the case, as the comparison uses
    them (the what-if sliders start from these)."""
    a = as_assumptions(assumptions)
    ctx = resolve(case, a)
    return a.replace(firewall_timeout=ctx.firewall_timeout,
                     new_firewall_timeout=ctx.new_firewall_timeout, heartbeat=ctx.heartbeat,
                     scope_ports=ctx.scope_ports)
