"""The facts over *all* of a case's events and sessions that the notebooks, the Findings and the
remedies quote: event counts, teardown reasons, close counts, the duration histogram, medians
and the connection table over time.

Each fact has one rule here. The rules that count give tallies that add up, so the pandas path
applies them to the whole frame and the Dask path (``kit.scale.analysis``) to each partition and
sums the tallies; both then finish them with the same function. A case computed on Dask holds
only some sessions row by row (``ReducedCase``): its ``case.sessions`` frame is registered here
with its facts (:func:`whole_facts`), so a chart or ``kit.concurrency`` given that very frame
shows all sessions, not only the rows kept.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.concurrency import Concurrency, Sweep, concurrency, observed_window, sweep

#: duration histogram bins (seconds): 20 per decade from 1 s to ~116 days
DURATION_EDGES = np.logspace(0, 7, 141)
#: the keys a teardown's reason is counted by
REASON_KEYS = ["protocol", "close", "reason"]


# ---- events ------------------------------------------------------------------------------------

#: what the event tally is grouped by
EVENT_KEYS = ["device", "vendor", "event"]


def event_tally(events: pd.DataFrame) -> pd.DataFrame:
    """Events per (device, vendor, event) with their first and last time (sums and extremes
    add up)."""
    keys = pd.DataFrame({k: events[k].astype("string") for k in EVENT_KEYS})
    keys["time"] = events["time"]
    return (keys.groupby(EVENT_KEYS, dropna=False)["time"]
            .agg(["size", "min", "max"]).reset_index())


def reason_tally(events: pd.DataFrame) -> pd.DataFrame:
    """Teardowns per protocol, close class and verbatim reason."""
    tear = events.loc[(events["event"] == "teardown").fillna(False).to_numpy(dtype=bool)]
    keys = pd.DataFrame({k: tear[k].astype("string") for k in REASON_KEYS})
    return keys.groupby(REASON_KEYS, dropna=False).size().rename("teardowns").reset_index()


def add_tallies(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The tallies of several partitions (one after the other in ``frame``) as one: counts
    summed, first/last times kept extreme."""
    how = {c: ("min" if c == "min" else "max" if c == "max" else "sum")
           for c in frame.columns if c not in keys}
    return frame.groupby(keys, dropna=False).agg(how).reset_index()


@dataclass(frozen=True)
class EventFacts:
    """Counts over every connection event of the case (the Findings' "Loaded ..." sentence and
    the teardown-reasons table)."""

    events: int
    kinds: dict[str, int]
    devices: tuple[str, ...]
    #: the frame's ``vendor`` values (which vendors' words the sentences use)
    vendors: tuple[str, ...]
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    #: teardowns per protocol, close, reason (string columns, ``teardowns``)
    reasons: pd.DataFrame

    @classmethod
    def of(cls, events: pd.DataFrame) -> EventFacts:
        """The facts of a whole event frame (the pandas path)."""
        return cls.from_tallies(event_tally(events), reason_tally(events))

    @classmethod
    def from_tallies(cls, tally: pd.DataFrame, reasons: pd.DataFrame) -> EventFacts:
        kinds = tally.groupby("event", dropna=True)["size"].sum()
        first, last = tally["min"].min(), tally["max"].max()
        return cls(events=int(tally["size"].sum()),
                   kinds={str(k): int(v) for k, v in kinds.items()},
                   devices=tuple(sorted(tally["device"].dropna().astype(str).unique())),
                   vendors=tuple(sorted(tally["vendor"].dropna().astype(str).unique())),
                   first=None if pd.isna(first) else first, last=None if pd.isna(last) else last,
                   reasons=reasons)


# ---- sessions ----------------------------------------------------------------------------------

def close_class(sessions: pd.DataFrame) -> pd.Series:
    """The close class the duration chart colours by: open, no reason (UDP), or ``close``."""
    return sessions["close"].astype("string").fillna("no reason").where(~sessions["open"], "open")


def duration_tally(sessions: pd.DataFrame) -> pd.DataFrame:
    """Sessions per duration bin (``DURATION_EDGES``; under 1 s counts as 1 s) and close class."""
    seconds = np.clip(sessions["duration"].fillna(pd.Timedelta(0)).dt.total_seconds()
                      .to_numpy(dtype=float), 1, None)
    bins = np.clip(np.searchsorted(DURATION_EDGES, seconds, side="right") - 1, 0,
                   len(DURATION_EDGES) - 2)
    frame = pd.DataFrame({"bin": bins.astype(np.int64),
                          "close": close_class(sessions).astype(object).to_numpy(),
                          "sessions": np.ones(len(sessions), np.int64)})
    return frame.groupby(["bin", "close"]).sum().reset_index()


def histogram_of(tally: pd.DataFrame) -> pd.DataFrame:
    """A duration tally as the chart's bins: ``left``, ``right`` (seconds), ``close``,
    ``sessions``, by bin then close class."""
    tally = tally.sort_values(["bin", "close"], ignore_index=True)
    bins = tally["bin"].to_numpy(dtype=np.int64)
    return pd.DataFrame({"left": DURATION_EDGES[bins], "right": DURATION_EDGES[bins + 1],
                         "close": tally["close"].astype(str), "sessions": tally["sessions"]})


def close_tally(sessions: pd.DataFrame) -> pd.DataFrame:
    """TCP sessions torn down (``close`` known) per close class."""
    keep = ((sessions["protocol"] == "tcp") & sessions["close"].notna()).fillna(False)
    closes = sessions.loc[keep.to_numpy(dtype=bool), "close"].astype("string")
    return closes.value_counts().rename("sessions").rename_axis("close").reset_index()


def tcp_closes(tally: pd.DataFrame) -> pd.Series:
    """TCP teardowns per close class, most first (ties in name order)."""
    counts = tally.set_index("close")["sessions"].astype(np.int64).sort_index()
    return counts.sort_values(ascending=False, kind="stable")


def completed(sessions: pd.DataFrame) -> np.ndarray:
    """Sessions that ended on their own: closed, not by the idle timeout (the rescued lifetime's
    and the "closed otherwise" comparison's population)."""
    close = sessions["close"]
    return (close.notna() & (close != "idle-timeout") & ~sessions["open"]).fillna(
        False).to_numpy(dtype=bool)


def value_tally(sessions: pd.DataFrame, column: str, where: np.ndarray) -> pd.DataFrame:
    """How often each (service port, ``column`` value) occurs among the rows ``where``."""
    rows = sessions.loc[where, ["service_port", column]].dropna()
    return rows.value_counts().rename("sessions").reset_index()


def medians(tally: pd.DataFrame, column: str) -> pd.Series:
    """Per service port, the median of ``column`` from its value tally (or several partitions'
    tallies one after the other), as ``median_of`` gives it."""
    out = {port: median_of(rows[column], rows["sessions"].to_numpy())
           for port, rows in tally.groupby("service_port", sort=True)}
    series = pd.Series(out) if out else pd.Series(dtype=tally[column].dtype)
    return series.rename_axis("service_port")


def median_of(values: pd.Series, counts: np.ndarray) -> Any:
    """The median of ``values``, each occurring ``counts`` times: pandas' own median of the one
    or two middle values (the same number as the median of all the values)."""
    order = np.asarray(values.argsort(kind="stable"))
    cumulative = counts[order].cumsum()
    n = int(cumulative[-1])
    middle = np.searchsorted(cumulative, [(n - 1) // 2, n // 2], side="right")
    return values.iloc[order[middle]].median()


def idle_ports(sessions: pd.DataFrame) -> list[Any]:
    """The service ports of the TCP idle-timeout teardowns (the Findings compare their bytes
    with the other sessions of those ports)."""
    idle = ((sessions["close"] == "idle-timeout") & (sessions["protocol"] == "tcp")).fillna(False)
    return sessions.loc[idle.to_numpy(dtype=bool), "service_port"].dropna().unique().tolist()


def tcp_normal(sessions: pd.DataFrame) -> np.ndarray:
    """TCP sessions that closed otherwise than by the idle timeout (open ones included: the
    Findings' comparison of bytes)."""
    close = sessions["close"]
    return ((sessions["protocol"] == "tcp") & close.notna() & (close != "idle-timeout")).fillna(
        False).to_numpy(dtype=bool)


@dataclass(frozen=True)
class SessionFacts:
    """Facts over every session of the case."""

    #: the span the log covers (``kit.analysis.concurrency.observed_window``), and the earliest
    #: moment seen of the sessions not torn down for idleness (``window_piece``): a remedy
    #: replay moves only those teardowns' ends
    window: tuple[pd.Timestamp | None, pd.Timestamp | None]
    seen_rest: pd.Timestamp | None
    #: the connection table over time (``kit.concurrency``), and its sweep for remedy replays
    concurrency: Concurrency
    sweep: Sweep
    #: the duration chart's bins (``histogram_of``)
    duration_histogram: pd.DataFrame
    #: TCP teardowns per close class (``tcp_closes``)
    closes: pd.Series
    #: per service port: the median duration of its completed sessions (``completed``)
    service_medians: pd.Series
    #: bytes of the TCP sessions that closed otherwise, on the idle teardowns' ports: how many,
    #: and their median (None when none)
    normal_bytes: tuple[int, float | None]

    @classmethod
    def of(cls, sessions: pd.DataFrame) -> SessionFacts:
        """The facts of a whole sessions frame (the pandas path)."""
        rest = window_piece(sessions)["rest"].iloc[0]
        return cls(
            window=observed_window(sessions), seen_rest=None if pd.isna(rest) else rest,
            concurrency=concurrency(sessions), sweep=sessions_sweep(sessions),
            duration_histogram=histogram_of(duration_tally(sessions)),
            closes=tcp_closes(close_tally(sessions)),
            service_medians=medians(value_tally(sessions, "duration", completed(sessions)),
                                    "duration"),
            normal_bytes=bytes_median(normal_bytes_tally(sessions, idle_ports(sessions))))


def normal_bytes_tally(sessions: pd.DataFrame, ports: list[Any]) -> pd.DataFrame:
    """How often each byte count occurs among the TCP sessions on ``ports`` that closed
    otherwise than by the idle timeout (one count over all those ports: what the Findings
    compare the idle teardowns' bytes with). Plain numpy columns: a case on Dask brings one
    back from every partition, and byte counts seldom repeat."""
    on_ports = sessions["service_port"].isin(ports).fillna(False).to_numpy(bool)
    counts = sessions.loc[tcp_normal(sessions) & on_ports, "bytes"].dropna().to_numpy(
        "uint64")
    values, sessions_each = np.unique(counts, return_counts=True)
    return pd.DataFrame({"bytes": values, "sessions": sessions_each.astype(np.int32)})


def bytes_median(tally: pd.DataFrame) -> tuple[int, float | None]:
    """How many sessions a bytes tally holds (``normal_bytes_tally``, or several partitions'
    one after the other) and their median bytes."""
    n = int(tally["sessions"].sum())
    if not n:
        return 0, None
    return n, float(median_of(tally["bytes"], tally["sessions"].to_numpy()))


def window_piece(sessions: pd.DataFrame) -> pd.DataFrame:
    """What ``observed_window`` needs of some sessions, as one row: the earliest moment seen in
    the log (a logged start, the end of a closed session), the same without the idle-timeout
    teardowns (``rest``), the earliest start and the latest end."""
    both = sessions.loc[sessions["start"].notna() & sessions["end"].notna()]
    logged = both["has_built"].fillna(False).to_numpy(bool)
    closed = ~both["open"].fillna(False).to_numpy(bool)
    rest = ~(both["close"] == "idle-timeout").fillna(False).to_numpy(bool)

    def earliest(pick: np.ndarray) -> Any:
        return min(both["start"][logged & pick].min(), both["end"][closed & pick].min()) \
            if ((logged | closed) & pick).any() else pd.NaT

    return pd.DataFrame({"seen": [earliest(np.ones(len(both), bool))], "rest": [earliest(rest)],
                         "start": [both["start"].min()], "end": [both["end"].max()]},
                        dtype=sessions["start"].dtype)


def spans_of(starts: np.ndarray, ends: np.ndarray) -> pd.DataFrame:
    """Sorted int64 ns starts beside sorted ends as a frame ``kit.concurrency`` reads: the i-th
    start of a set of intervals precedes its i-th end, so each row is a valid span and the
    sweep over the rows is the sweep over the intervals."""
    return pd.DataFrame({"start": pd.to_datetime(np.sort(starts), utc=True),
                         "end": pd.to_datetime(np.sort(ends), utc=True)})


def sessions_sweep(sessions: pd.DataFrame) -> Sweep:
    """The sweep of every session over the observed window (what remedy replays move)."""
    first, last = observed_window(sessions)
    lo, hi = (pd.Timestamp(t).as_unit("ns").value for t in (first, last)) if first is not None \
        else (0, 0)

    def ns(column: str) -> np.ndarray:
        return sessions[column].to_numpy(dtype="datetime64[ns]").astype(np.int64)

    return sweep(ns("start"), ns("end"), lo, hi)


# ---- a reduced sessions frame and the facts of all sessions -----------------------------------

@dataclass(frozen=True)
class Whole:
    """What a frame holding only some sessions answers for all of them."""

    concurrency: Concurrency
    #: the duration chart's bins (``histogram_of``), where known
    duration_histogram: pd.DataFrame | None = None


_whole: dict[int, Whole] = {}


def register_whole(frame: pd.DataFrame, whole: Whole) -> None:
    """Say that ``frame`` (this very object) holds only some of the sessions ``whole`` covers."""
    key = id(frame)
    _whole[key] = whole
    weakref.finalize(frame, _whole.pop, key, None)


def whole_facts(frame: Any) -> Whole | None:
    """What all sessions give when ``frame`` is a case's reduced sessions frame or a remedy's
    replay of it, else None (a copy or a subset of it is a frame of its own rows)."""
    return _whole.get(id(frame))
