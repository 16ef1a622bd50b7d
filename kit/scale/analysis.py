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
what-if sliders offer; it adds the sessions a job try's clock-offset estimate reads
(``kit.case.compute.NearJobTries``, the ``keep`` argument). A shorter session can be neither cut
by a timeout considered nor rescued,
and sends no probe under a keepalive or heartbeat at least that long, so it only enters the
facts over all sessions (``kit.case.facts``: counts, histogram, medians, the connection table)
and, for the remedies' "sessions in scope", the ``groups`` of short sessions per endpoint pair,
service port, vendor and device.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.concurrency import concurrency, sweep
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
    reason_tally,
    spans_of,
    tcp_closes,
    tcp_normal,
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
                keep: Callable[[pd.DataFrame], np.ndarray] | None = None) -> ReducedCase:
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
    kept, groups, facts = _reduce_sessions(events, event_facts.last, inventory, services,
                                           timeout, keep_from, keep, idle_ports(victims))
    kept = _occurring(kept, occur)
    kept = kept.sort_values(["start", "device", "conn_id", "open", ROW], kind="stable",
                            ignore_index=True)
    kept["resumed"] = resumed_after(kept, denies)
    return ReducedCase(idle_teardowns=idle, denies=denies,
                       sessions=kept.loc[:, list(SESSION_COLUMNS)].reset_index(drop=True),
                       groups=groups, events=event_facts, facts=facts, keep_from=keep_from)


def _reduce_sessions(events: Any, data_end: Any, inventory: pd.DataFrame | None,
                     services: Mapping[int, str] | None, timeout: pd.Timedelta | None,
                     keep_from: pd.Timedelta, keep: Callable[[pd.DataFrame], np.ndarray] | None,
                     idle_ports: list[int]) -> tuple[pd.DataFrame, pd.DataFrame, SessionFacts]:
    """The second pass: sessions on the cluster; the kept rows, the groups and the facts."""
    import dask
    import dask.dataframe as dd

    paired = events[events["event"].isin(["built", "teardown"])]
    paired = paired.assign(**{ROW: paired.index}).shuffle(on=["device", "conn_id"])
    meta = _sessions_of(paired._meta, pd.NaT, inventory, services, timeout)
    table = paired.map_partitions(_sessions_of, data_end, inventory, services, timeout,
                                  meta=meta)
    flag = table.map_partitions(_kept, keep_from, keep, meta=("kept", bool))
    kept = table[flag]
    short = table[~flag]
    groups = short.map_partitions(_grouped, meta=_grouped(meta))
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
        "bytes": table.map_partitions(_normal_bytes, idle_ports,
                                      meta=_normal_bytes(meta, idle_ports)),
    }
    kept, groups, steps, pieces = dask.compute(kept, groups, steps, pieces)
    groups = add_tallies(groups, GROUP_KEYS) if len(groups) else groups
    first, last = _window(pieces["window"])
    pairs = _sorted_spans(steps, first)
    rest = pieces["window"]["rest"].min()
    facts = SessionFacts(
        window=(first, last), seen_rest=None if pd.isna(rest) else rest,
        concurrency=concurrency(pairs, start=first, end=last),
        sweep=_sweep(pairs, first, last),
        duration_histogram=histogram_of(add_tallies(pieces["durations"], ["bin", "close"])),
        closes=tcp_closes(add_tallies(pieces["closes"], ["close"])),
        service_medians=medians(add_tallies(pieces["medians"], ["service_port", "duration"]),
                                "duration"),
        normal_bytes=bytes_median(add_tallies(pieces["bytes"], ["service_port", "bytes"])))
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


def _kept(table: pd.DataFrame, keep_from: pd.Timedelta,
          keep: Callable[[pd.DataFrame], np.ndarray] | None) -> pd.Series:
    """The rule (module docstring): idle-timeout teardowns, sessions of ``keep_from`` or more,
    and those ``keep`` asks for."""
    flag = ((table["duration"] >= keep_from) | (table["close"] == "idle-timeout")).fillna(
        False).to_numpy(bool)
    if keep is not None:
        flag = flag | keep(table)
    return pd.Series(flag, index=table.index, name="kept")


def _grouped(table: pd.DataFrame) -> pd.DataFrame:
    keys = pd.DataFrame({k: table[k].astype("string") for k in GROUP_KEYS})
    keys["service_port"] = table["service_port"].astype("Int64")
    return keys.groupby(GROUP_KEYS, dropna=False).size().rename("sessions").reset_index()


def _completed_tally(table: pd.DataFrame) -> pd.DataFrame:
    return value_tally(table, "duration", completed(table))


def _normal_bytes(table: pd.DataFrame, ports: list[int]) -> pd.DataFrame:
    on_ports = table["service_port"].isin(ports).fillna(False).to_numpy(bool)
    return value_tally(table, "bytes", tcp_normal(table) & on_ports)


def _window(pieces: pd.DataFrame) -> tuple[Any, Any]:
    """``observed_window`` over all sessions from the partitions' pieces."""
    seen = pieces["seen"].min()
    first = seen if not pd.isna(seen) else pieces["start"].min()
    last = pieces["end"].max()
    return (None, None) if pd.isna(first) or pd.isna(last) else (first, last)


def _sorted_spans(steps: pd.DataFrame, first: Any) -> pd.DataFrame:
    """The sessions' spans as the sorted starts beside the sorted ends, clipped below at the
    window's start: the very arrays ``kit.concurrency``'s sweep sorts (a session ending at or
    before ``first`` drops out, as the sweep drops it). The i-th start precedes the i-th end,
    so each row is a valid span."""
    if steps.empty or first is None:
        return spans_of(np.zeros(0, np.int64), np.zeros(0, np.int64))
    steps = steps.sort_index()
    times = steps.index.as_unit("ns").asi8
    lo = pd.Timestamp(first).as_unit("ns").value
    early = times <= lo
    n_lo = int(steps["starts"].to_numpy()[early].sum() - steps["ends"].to_numpy()[early].sum())
    starts = np.concatenate([np.full(n_lo, lo, np.int64),
                             np.repeat(times[~early], steps["starts"].to_numpy()[~early])])
    return spans_of(starts, np.repeat(times[~early], steps["ends"].to_numpy()[~early]))


def _sweep(pairs: pd.DataFrame, first: Any, last: Any) -> Any:
    lo, hi = ((pd.Timestamp(first).as_unit("ns").value, pd.Timestamp(last).as_unit("ns").value)
              if first is not None else (0, 0))
    return sweep(pairs["start"].to_numpy("datetime64[ns]").astype(np.int64),
                 pairs["end"].to_numpy("datetime64[ns]").astype(np.int64), lo, hi)


def _occurring(frame: pd.DataFrame, occur: dict[str, Any]) -> pd.DataFrame:
    """The few-valued columns with the categories that occur in the whole event frame (as the
    pandas path's frames have them; the Dask frame's are the load's vocabulary)."""
    for name, values in occur.items():
        if name in frame.columns and isinstance(frame[name].dtype, pd.CategoricalDtype):
            words = pd.Index(sorted({str(v) for v in values if not pd.isna(v)}), dtype="str")
            frame[name] = frame[name].cat.set_categories(words)
    return frame
