"""The heavy part of a case on Dask: sessions, idle teardowns and every fact over all events and
sessions computed on the cluster from a lazy connection-event frame; only what the notebooks show
row by row and small tallies come back as pandas (``ReducedCase``, which ``kit.load_case`` binds
into the Case when ``case.toml [compute] engine = "dask"``).

Sessions pair a Teardown with its Built inside one (device, connection id), so the events are
shuffled on that key and :func:`kit.sessions` runs unchanged on each partition (rows sorted back
into their global order first: pairing breaks ties by order). What stays global is patched: a
Built without a Teardown is open until the end of *all* the data.

Two passes: the first over the events (idle teardowns, refused packets, event and reason
tallies) gives the timeout in force; the second builds the sessions with it.

Which sessions come back row by row (``keep_from``): every idle-timeout teardown and every
session lasting at least ``keep_from`` (a session still open is measured to the end of the data).
``kit.load_case`` uses ``min(KEEP_FROM, SMALLEST_TIMEOUT, the case's timeout)``: 5 minutes is the
shortest idle timeout a Cisco ASA accepts and 1 minute the shortest keepalive or heartbeat the
what-if sliders offer. Two more kinds of short session come back: those of a victim's host pair
and service (a rescued connection lives on until the next of them starts) and those a job try's
clock-offset estimate reads (``kit.case.compute.NearJobTries``, the ``keep`` argument). Any
other short session can be neither cut by a timeout considered nor rescued, and sends no probe
under a keepalive or heartbeat at least that long, so it only enters the facts over all sessions
(``kit.case.facts``: counts, histogram, medians, the connection table) and, for the remedies'
"sessions in scope", the ``groups``: short sessions counted per protocol, service port, host
names, vendor and device, and per address only where the address names a host with keepalive or
socket evidence (``known``), the one thing a remedy reads of an endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.affected import service_pair_keys
from ..analysis.concurrency import Sweep, sweep_concurrency
from ..analysis.sessions import SESSION_COLUMNS, idle_teardowns, resumed_after, sessions
from ..case.facts import (
    EVENT_KEYS,
    REASON_KEYS,
    EventFacts,
    SessionFacts,
    add_tallies,
    bytes_median,
    close_tally,
    completed,
    duration_tally,
    event_tally,
    histogram_of,
    idle_ports,
    medians,
    normal_bytes_tally,
    reason_tally,
    tcp_closes,
    value_tally,
    window_piece,
)
from ..firewall.schema import FEW_VALUE_COLUMNS
from .partitions import ROW

#: shortest idle timeout considered: the minimum ``timeout conn`` of a Cisco ASA
KEEP_FROM = pd.Timedelta(minutes=5)
#: shortest keepalive or heartbeat the what-if sliders offer (whole minutes from 1)
SMALLEST_TIMEOUT = pd.Timedelta(minutes=1)
#: the columns the short sessions are grouped by (what a remedy's scope reads)
GROUP_KEYS = ["protocol", "service_port", "src_host", "src_ip", "dst_host", "dst_ip", "vendor",
              "device"]


@dataclass
class ReducedCase:
    """What comes back from the cluster (see the module docstring)."""

    #: every idle-timeout teardown event, as :func:`kit.idle_teardowns` gives them
    idle_teardowns: pd.DataFrame
    #: every refused packet after a teardown (``deny-no-connection`` events)
    denies: pd.DataFrame
    #: sessions (``SESSION_COLUMNS``, in :func:`kit.sessions` order) kept by the rule
    sessions: pd.DataFrame
    #: the sessions not kept, counted (``sessions``) per ``GROUP_KEYS``
    groups: pd.DataFrame
    #: facts over every event and every session
    events: EventFacts
    facts: SessionFacts
    keep_from: pd.Timedelta


def keep_from_for(timeout: pd.Timedelta | None) -> pd.Timedelta:
    """The rule: sessions at least this long come back row by row (the module docstring)."""
    return min(KEEP_FROM, SMALLEST_TIMEOUT, *([timeout] if timeout is not None else []))


def reduce_case(events: Any, *, inventory: pd.DataFrame | None = None,
                services: Mapping[int, str] | None = None,
                timeout: pd.Timedelta | Callable[[pd.DataFrame], pd.Timedelta | None] | None
                = None, keep_from: pd.Timedelta | None = None,
                keep: Callable[[pd.DataFrame], np.ndarray] | None = None,
                known: Collection[str] = ()) -> ReducedCase:
    """Compute a case's sessions and facts on the cluster; return the reduced pieces.

    Parameters
    ----------
    events : dask.dataframe.DataFrame
        The connection-event frame from ``read_firewall_log(..., engine="dask")`` (or a
        ``kit parse`` dataset read with ``engine="dask"``); its index is the global row number.
    inventory, services
        As for :func:`kit.sessions`.
    timeout : Timedelta or callable, optional
        The case's timeout in force (``idle_before_teardown``), or a function of the idle
        teardown events that gives it (``kit.load_case`` infers it there).
    keep_from : Timedelta, optional
        Sessions at least this long come back row by row; default ``keep_from_for(timeout)``.
    keep : callable, optional
        Which other sessions of a partition come back row by row (a boolean per row;
        ``kit.case.compute.NearJobTries``: those the failures' clock-offset estimate reads).
    known : collection of str
        The host names (or addresses) of the case's keepalive exports and socket captures: a
        short session's address stays in its group only when it is one of them.

    Returns
    -------
    ReducedCase
        Computed in two passes over the cluster (two ``dask.compute``).
    """
    import dask

    idle = events[(events["close"] == "idle-timeout") & (events["event"] == "teardown")]
    denies = events[events["event"] == "deny-no-connection"]
    occur = {name: events[name].dropna().unique() for name in FEW_VALUE_COLUMNS}
    tallies = (events.map_partitions(event_tally, meta=event_tally(events._meta)),
               events.map_partitions(reason_tally, meta=reason_tally(events._meta)))
    idle, denies, occur, (tally, reasons) = dask.compute(idle, denies, occur, tallies)
    idle = idle_teardowns(_occurring(idle, occur))
    denies = _occurring(denies, occur)
    event_facts = EventFacts.from_tallies(add_tallies(tally, EVENT_KEYS),
                                          add_tallies(reasons, REASON_KEYS))
    if callable(timeout):
        timeout = timeout(idle)
    keep_from = keep_from_for(timeout) if keep_from is None else keep_from
    victims = sessions(idle, inventory=inventory, services=services, timeout=timeout)
    rule = KeepRule(keep_from, keep, FollowVictims.of(victims))
    kept, groups, facts = _reduce_sessions(events, event_facts.last, inventory, services,
                                           timeout, rule, frozenset(known),
                                           idle_ports(victims))
    kept = _occurring(kept, occur)
    kept = kept.sort_values(["start", "device", "conn_id", "open", ROW], kind="stable",
                            ignore_index=True)
    kept["resumed"] = resumed_after(kept, denies)
    return ReducedCase(idle_teardowns=idle, denies=denies,
                       sessions=kept.loc[:, list(SESSION_COLUMNS)].reset_index(drop=True),
                       groups=groups, events=event_facts, facts=facts, keep_from=keep_from)


def _reduce_sessions(events: Any, data_end: Any, inventory: pd.DataFrame | None,
                     services: Mapping[int, str] | None, timeout: pd.Timedelta | None,
                     rule: KeepRule, known: frozenset[str], idle_ports: list[int],
                     ) -> tuple[pd.DataFrame, pd.DataFrame, SessionFacts]:
    """The second pass: sessions on the cluster; the kept rows, the groups and the facts."""
    import dask
    import dask.dataframe as dd

    paired = events[events["event"].isin(["built", "teardown"])]
    paired = paired.assign(**{ROW: paired.index}).shuffle(on=["device", "conn_id"])
    meta = _sessions_of(paired._meta, pd.NaT, inventory, services, timeout)
    # the inventory and the rule can be large (a big inventory, hundreds of thousands of
    # victims): one task each that every partition reads, not a copy inside every task
    shared = dask.delayed(inventory, pure=True), dask.delayed(rule, pure=True)
    table = paired.map_partitions(_sessions_of, data_end, shared[0], services, timeout,
                                  meta=meta)
    flag = table.map_partitions(_kept, shared[1], meta=("kept", bool))
    kept = table[flag]
    short = table[~flag]
    groups = short.map_partitions(_grouped, known, meta=_grouped(meta, known))
    spans = table[["start", "end"]].dropna()
    spans = spans[spans["end"] > spans["start"]]
    steps = dd.concat([
        spans[["start"]].rename(columns={"start": "time"}).assign(starts=1, ends=0),
        spans[["end"]].rename(columns={"end": "time"}).assign(starts=0, ends=1),
    ]).groupby("time").sum()
    pieces = {
        "window": table.map_partitions(window_piece, meta=window_piece(meta)),
        "durations": table.map_partitions(duration_tally, meta=duration_tally(meta)),
        "closes": table.map_partitions(close_tally, meta=close_tally(meta)),
        "medians": table.map_partitions(_completed_tally, meta=_completed_tally(meta)),
        "bytes": table.map_partitions(normal_bytes_tally, idle_ports,
                                      meta=normal_bytes_tally(meta, idle_ports)),
    }
    kept, groups, steps, pieces = dask.compute(kept, groups, steps, pieces)
    groups = add_tallies(groups, GROUP_KEYS) if len(groups) else groups
    first, last = _window(pieces["window"])
    intervals = _sweep(steps, first, last)
    rest = pieces["window"]["rest"].min()
    facts = SessionFacts(
        window=(first, last), seen_rest=None if pd.isna(rest) else rest,
        concurrency=sweep_concurrency(intervals, first, last),
        sweep=intervals,
        duration_histogram=histogram_of(add_tallies(pieces["durations"], ["bin", "close"])),
        closes=tcp_closes(add_tallies(pieces["closes"], ["close"])),
        service_medians=medians(pieces["medians"], "duration"),
        normal_bytes=bytes_median(pieces["bytes"]))
    return kept, groups, facts


def _sessions_of(part: pd.DataFrame, data_end: Any, inventory: pd.DataFrame | None,
                 services: Mapping[int, str] | None, timeout: pd.Timedelta | None,
                 ) -> pd.DataFrame:
    """:func:`kit.sessions` of one shuffled partition, in global row order, plus ``_row``."""
    part = part.sort_values(ROW, kind="stable")
    events = part.drop(columns=ROW).reset_index(drop=True)
    table = sessions(events, inventory=inventory, services=services, timeout=timeout)
    rows = part[["source", "line", ROW]]
    table = table.merge(rows, on=["source", "line"], how="left")
    if len(table) and not pd.isna(data_end):
        still = table["open"].to_numpy(bool)
        table.loc[still, "end"] = data_end
        table.loc[still, "duration"] = table.loc[still, "end"] - table.loc[still, "start"]
    return table


@dataclass(frozen=True)
class FollowVictims:
    """The sessions a rescued connection's lifetime reads: those of an idle-timeout teardown's
    host pair and service (``kit.compare_remedies`` lets a rescued connection live on until the
    next of them starts)."""

    #: the victims' ``service_pair_keys``, hashed (sorted; 8 bytes each in the task graph, not
    #: a string: a large case has hundreds of thousands of victims; a collision keeps a session
    #: more, never one less), and their service ports
    keys: np.ndarray
    ports: frozenset[int]

    @classmethod
    def of(cls, victims: pd.DataFrame) -> FollowVictims:
        """From the sessions of the idle-timeout teardowns."""
        return cls(np.unique(_hashed(service_pair_keys(victims))),
                   frozenset(int(p) for p in victims["service_port"].dropna()))

    def __call__(self, table: pd.DataFrame) -> np.ndarray:
        rows = np.flatnonzero((table["service_port"].isin(self.ports)
                               & table["start"].notna()).fillna(False).to_numpy(bool))
        follows = np.zeros(len(table), bool)
        follows[rows] = np.isin(_hashed(service_pair_keys(table.iloc[rows])), self.keys)
        return follows


def _hashed(keys: pd.Series) -> np.ndarray:
    """64-bit hashes of text keys, the same in every process (pandas' fixed hash key)."""
    return pd.util.hash_array(keys.to_numpy(dtype=object))


@dataclass(frozen=True)
class KeepRule:
    """Which sessions of a partition come back row by row (the module docstring): idle-timeout
    teardowns, sessions of ``keep_from`` or more, those following a victim, and those ``keep``
    asks for."""

    keep_from: pd.Timedelta
    keep: Callable[[pd.DataFrame], np.ndarray] | None
    follow: FollowVictims

    def __call__(self, table: pd.DataFrame) -> pd.Series:
        flag = ((table["duration"] >= self.keep_from) | (table["close"] == "idle-timeout")
                ).fillna(False).to_numpy(bool) | self.follow(table)
        if self.keep is not None:
            flag = flag | self.keep(table)
        return pd.Series(flag, index=table.index, name="kept")


def _kept(table: pd.DataFrame, rule: KeepRule) -> pd.Series:
    return rule(table)


def _grouped(table: pd.DataFrame, known: frozenset[str]) -> pd.DataFrame:
    """The short sessions counted per ``GROUP_KEYS``; an address only where no host name
    stands for it and it is ``known`` (elsewhere a remedy reads nothing of it)."""
    keys = pd.DataFrame({k: table[k].astype("string") for k in GROUP_KEYS})
    keys["service_port"] = table["service_port"].astype("Int64")
    for side in ("src", "dst"):
        ip = keys[f"{side}_ip"]
        keys[f"{side}_ip"] = ip.where(keys[f"{side}_host"].isna() & ip.isin(known))
    return keys.groupby(GROUP_KEYS, dropna=False).size().rename("sessions").reset_index()


def _completed_tally(table: pd.DataFrame) -> pd.DataFrame:
    return value_tally(table, "duration", completed(table))


def _window(pieces: pd.DataFrame) -> tuple[Any, Any]:
    """``observed_window`` over all sessions from the partitions' pieces."""
    seen = pieces["seen"].min()
    first = seen if not pd.isna(seen) else pieces["start"].min()
    last = pieces["end"].max()
    return (None, None) if pd.isna(first) or pd.isna(last) else (first, last)


def _sweep(steps: pd.DataFrame, first: Any, last: Any) -> Sweep:
    """The sweep of every session over the window from the count of starts and ends at each
    moment (``steps``): the very arrays ``kit.concurrency``'s sweep sorts, without sorting. A
    session that started before the window starts at ``first``; one ending at or before it drops
    out, as the sweep drops it (the i-th start precedes the i-th end: each pair is a span)."""
    if steps.empty or first is None:
        return Sweep(0, 0, np.zeros(0, np.int64), np.zeros(0, np.int64))
    steps = steps.sort_index()
    times = steps.index.as_unit("ns").asi8
    lo, hi = (pd.Timestamp(t).as_unit("ns").value for t in (first, last))
    early = times <= lo
    starts, ends = steps["starts"].to_numpy(), steps["ends"].to_numpy()
    n_lo = int(starts[early].sum() - ends[early].sum())
    return Sweep(lo, hi, np.concatenate([np.full(n_lo, lo, np.int64),
                                         np.repeat(times[~early], starts[~early])]),
                 np.repeat(times[~early], ends[~early]))


def _occurring(frame: pd.DataFrame, occur: dict[str, Any]) -> pd.DataFrame:
    """The few-valued columns with the categories that occur in the whole event frame (as the
    pandas path's frames have them; the Dask frame's are the load's vocabulary)."""
    for name, values in occur.items():
        if name in frame.columns and isinstance(frame[name].dtype, pd.CategoricalDtype):
            words = pd.Index(sorted({str(v) for v in values if not pd.isna(v)}), dtype="str")
            frame[name] = frame[name].cat.set_categories(words)
    return frame
