"""The heavy part of a case on Dask: sessions, idle teardowns, durations and concurrency computed
on the cluster from a lazy connection-event frame; only what the notebooks show row by row and
small aggregates come back as pandas.

Sessions pair a Teardown with its Built inside one (device, connection id), so the events are
shuffled on that key and :func:`kit.sessions` runs unchanged on each partition (rows sorted back
into their global order first: pairing breaks ties by order). What stays global is patched: a
Built without a Teardown is open until the end of *all* the data.

Which sessions come back (``keep_from``): every idle-timeout teardown and every session lasting
at least ``keep_from`` (default 5 minutes, the shortest idle timeout a Cisco ASA accepts; a
session still open is measured to the end of the data). A shorter session can neither be cut
by any timeout considered nor be rescued by a keepalive, so it only matters through the
aggregates (counts, histogram, concurrency), which are computed over all sessions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.concurrency import Concurrency
from ..analysis.sessions import SESSION_COLUMNS, idle_teardowns, resumed_after, sessions
from ..firewall.schema import FEW_VALUE_COLUMNS
from .partitions import ROW

#: shortest idle timeout considered by default: the minimum ``timeout conn`` of a Cisco ASA
KEEP_FROM = pd.Timedelta(minutes=5)
#: duration histogram bins (seconds): 20 per decade from 1 s to ~116 days
DURATION_EDGES = np.logspace(0, 7, 141)
_NS = 10**9


@dataclass
class ReducedCase:
    """What comes back from the cluster (see the module docstring)."""

    #: every idle-timeout teardown, as :func:`kit.idle_teardowns` gives them
    idle_teardowns: pd.DataFrame
    #: sessions (``SESSION_COLUMNS``, in :func:`kit.sessions` order) kept by the rule
    sessions: pd.DataFrame
    #: connections open over time, over all sessions (as :func:`kit.concurrency` gives it)
    concurrency: Concurrency
    #: sessions per duration bin and close class: ``left``, ``right`` (seconds), ``close``,
    #: ``sessions``
    duration_histogram: pd.DataFrame
    #: all sessions per close class (``open``, ``no reason`` and the ``close`` values)
    closes: pd.Series
    #: sessions starting and ending at each instant (index ``time``; columns ``starts``,
    #: ``ends``), over all sessions: what a remedy's concurrency replay adds the kept
    #: sessions' changes to
    instants: pd.DataFrame
    keep_from: pd.Timedelta


def reduce_case(events: Any, *, inventory: pd.DataFrame | None = None,
                services: Mapping[int, str] | None = None, timeout: pd.Timedelta | None = None,
                keep_from: pd.Timedelta = KEEP_FROM, freq: str = "1min") -> ReducedCase:
    """Compute a case's sessions and aggregates on the cluster; return the reduced pieces.

    Parameters
    ----------
    events : dask.dataframe.DataFrame
        The connection-event frame from ``read_firewall_log(..., engine="dask")`` (or a
        ``kit parse`` dataset read with ``engine="dask"``); its index is the global row number.
    inventory, services, timeout
        As for :func:`kit.sessions` (``timeout``: the case's timeout in force, for
        ``idle_before_teardown``).
    keep_from : Timedelta
        Sessions at least this long come back row by row (see the module docstring).
    freq : str
        Grid of the sampled concurrency series.

    Returns
    -------
    ReducedCase
        Computed in one pass over the cluster (one ``dask.compute``).
    """
    import dask
    import dask.dataframe as dd

    data_end = events["time"].max()
    paired = events[events["event"].isin(["built", "teardown"])]
    paired = paired.assign(**{ROW: paired.index}).shuffle(on=["device", "conn_id"])
    meta = _sessions_of(paired._meta, pd.NaT, inventory, services, timeout)
    table = paired.map_partitions(_sessions_of, data_end, inventory, services, timeout,
                                  meta=meta)
    kept = table[(table["duration"] >= keep_from) | (table["close"] == "idle-timeout")]
    both = table[["start", "end"]].dropna()
    window = (both["start"].min(), both["end"].max())
    spans = both[both["end"] > both["start"]]
    steps = dd.concat([
        spans[["start"]].rename(columns={"start": "time"}).assign(starts=1, ends=0),
        spans[["end"]].rename(columns={"end": "time"}).assign(starts=0, ends=1),
    ]).groupby("time").sum()
    lived = (spans["end"] - spans["start"]).dt.total_seconds().sum()
    histogram = table.map_partitions(_binned, meta=_binned(meta)).groupby(
        ["bin", "close"]).sum()
    idle = events[(events["close"] == "idle-timeout") & (events["event"] == "teardown")]
    # the refused packets after teardowns are few: ``resumed`` is filled in on the client
    denies = events[events["event"] == "deny-no-connection"]
    occur = {name: events[name].dropna().unique() for name in FEW_VALUE_COLUMNS}
    idle, kept, denies, steps, lived, histogram, window, occur = dask.compute(
        idle, kept, denies, steps, lived, histogram, window, occur)
    idle, kept = (_occurring(frame, occur) for frame in (idle, kept))
    kept = kept.sort_values(["start", "device", "conn_id", "open", ROW], kind="stable",
                            ignore_index=True)
    kept["resumed"] = resumed_after(kept, denies)
    histogram = _histogram_frame(histogram)
    return ReducedCase(
        idle_teardowns=idle_teardowns(idle),
        sessions=kept.loc[:, list(SESSION_COLUMNS)].reset_index(drop=True),
        concurrency=_concurrency(steps, window, float(lived), freq),
        duration_histogram=histogram,
        closes=histogram.groupby("close")["sessions"].sum().astype("int64"),
        instants=steps.sort_index(), keep_from=keep_from)


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


def _occurring(frame: pd.DataFrame, occur: dict[str, Any]) -> pd.DataFrame:
    """The few-valued columns with the categories that occur in the whole event frame (as the
    pandas path's frames have them; the Dask frame's are the load's vocabulary)."""
    for name, values in occur.items():
        if name in frame.columns and isinstance(frame[name].dtype, pd.CategoricalDtype):
            words = pd.Index(sorted({str(v) for v in values if not pd.isna(v)}), dtype="str")
            frame[name] = frame[name].cat.set_categories(words)
    return frame


def _close_class(table: pd.DataFrame) -> pd.Series:
    """The close class the duration chart colours by (``kit.plots``): open, no reason, close."""
    return table["close"].astype("string").fillna("no reason").where(~table["open"], "open")


def _binned(table: pd.DataFrame) -> pd.DataFrame:
    seconds = np.clip(table["duration"].fillna(pd.Timedelta(0)).dt.total_seconds().to_numpy(),
                      1, None)
    bins = np.searchsorted(DURATION_EDGES, seconds, side="right") - 1
    return pd.DataFrame({"bin": np.clip(bins, 0, len(DURATION_EDGES) - 2),
                         "close": _close_class(table).astype(object).to_numpy(),
                         "sessions": np.ones(len(table), np.int64)})


def _histogram_frame(counts: pd.DataFrame) -> pd.DataFrame:
    counts = counts.reset_index().sort_values(["bin", "close"], ignore_index=True)
    bins = counts["bin"].to_numpy()
    return pd.DataFrame({"left": DURATION_EDGES[bins], "right": DURATION_EDGES[bins + 1],
                         "close": counts["close"], "sessions": counts["sessions"]})


def _concurrency(steps: pd.DataFrame, window: tuple[Any, Any], lived_seconds: float,
                 freq: str) -> Concurrency:
    """:func:`kit.concurrency` over all sessions from the starts and ends per instant: the
    count after each instant (ends before starts at equal times) is the running sum."""
    start, end = (pd.Timestamp(t) for t in window)
    if steps.empty or pd.isna(start) or pd.isna(end) or end <= start:
        empty = pd.Series([], dtype="int64", name="connections",
                          index=pd.DatetimeIndex([], tz="UTC", name="time"))
        return Concurrency(empty, 0, None, 0.0, None)
    steps = steps.sort_index()
    times = steps.index.as_unit("ns").asi8
    running = np.cumsum(steps["starts"].to_numpy() - steps["ends"].to_numpy())
    at = int(np.argmax(running))
    grid = pd.date_range(start.floor(freq), end.ceil(freq), freq=freq, name="time")
    position = np.searchsorted(times, grid.as_unit("ns").asi8, side="right") - 1
    counts = np.where(position >= 0, running[np.maximum(position, 0)], 0)
    span = (end - start).total_seconds()
    return Concurrency(pd.Series(counts.astype(np.int64), index=grid, name="connections"),
                       int(running[at]), pd.Timestamp(times[at], tz="UTC"),
                       lived_seconds / span if span > 0 else 0.0, (start, end))
