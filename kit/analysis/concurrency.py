"""How many connections the firewall holds at each moment: a sweep over start and end events."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .frames import require_frame


@dataclass(frozen=True)
class Concurrency:
    """Open connections over time.

    ``open`` samples the count on a regular grid (for charts); ``peak`` (at ``peak_time``) is the
    exact maximum over every start and end; ``mean`` is the time-weighted average over the window.
    A connection is open from its start (included) to its end (excluded).
    """

    open: pd.Series
    peak: int
    peak_time: pd.Timestamp | None
    mean: float
    window: tuple[pd.Timestamp, pd.Timestamp] | None

    def __str__(self) -> str:
        return self.describe()

    def describe(self, tz: str | None = None) -> str:
        """One line for a reader, the peak's time in the case's display zone ``tz`` (UTC when
        None), as the Findings write times."""
        from ..report.display import in_zone, zone_label  # the report imports the analysis

        at = ("n/a" if self.peak_time is None else
              f"{in_zone(self.peak_time, tz):%Y-%m-%d %H:%M:%S} {zone_label(tz, self.peak_time)}")
        return f"peak {self.peak:,} open connections at {at}, mean {self.mean:.1f}"


_NAT = np.iinfo(np.int64).min


def _ns(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype="datetime64[ns]").astype(np.int64)


@dataclass(frozen=True)
class Sweep:
    """The open intervals of a window, as sorted clipped starts and ends (int64 ns): what the
    peak and the mean need. ``moved`` gives the sweep after some intervals' ends moved, without
    sorting everything again (a remedy replay moves few ends of many sessions)."""

    lo: int
    hi: int
    starts: np.ndarray
    ends: np.ndarray

    def peak(self) -> tuple[int, pd.Timestamp | None]:
        """The most intervals open at once, and the first moment it is reached."""
        s, e = self.starts, self.ends
        if not len(s):
            return 0, None
        # the count just after the last start at each start time, ends at that time already
        # gone (an end is excluded): the peak is reached at a start
        running = np.searchsorted(s, s, side="right") - np.searchsorted(e, s, side="right")
        at = int(np.argmax(running))
        return int(running[at]), pd.Timestamp(s[at], tz="UTC")

    def mean(self) -> float:
        """Time-weighted mean of the open intervals over the window."""
        if self.hi <= self.lo:
            return 0.0
        # sum(ends) - sum(starts), pairwise within the window (no int64 overflow)
        total = (self.ends - self.starts).astype(np.float64).sum()
        return float(total) / float(self.hi - self.lo)

    def clip(self, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                  np.ndarray]:
        """Raw int64 ns starts and ends (NaT allowed) -> clipped ones and which count."""
        valid = (starts != _NAT) & (ends != _NAT)
        s, e = np.clip(starts, self.lo, self.hi), np.clip(ends, self.lo, self.hi)
        return s, e, valid & (e > s)

    def moved(self, starts: np.ndarray, old_ends: np.ndarray, new_ends: np.ndarray) -> Sweep:
        """The sweep after the intervals (``starts``, ``old_ends``) end at ``new_ends`` instead
        (raw int64 ns, one entry per moved interval)."""
        s, old, was = self.clip(starts, old_ends)
        _, new, now = self.clip(starts, new_ends)
        return Sweep(self.lo, self.hi,
                     _update_sorted(self.starts, s[was], s[now]),
                     _update_sorted(self.ends, old[was], new[now]))


def sweep(starts: np.ndarray, ends: np.ndarray, lo: int, hi: int) -> Sweep:
    """The sweep of raw int64 ns intervals (NaT allowed) clipped to ``[lo, hi]``."""
    empty = Sweep(lo, hi, np.zeros(0, np.int64), np.zeros(0, np.int64))
    s, e, keep = empty.clip(starts, ends)
    return Sweep(lo, hi, np.sort(s[keep]), np.sort(e[keep]))


def _update_sorted(values: np.ndarray, remove: np.ndarray, add: np.ndarray) -> np.ndarray:
    """A sorted array with the values ``remove`` (each present) taken out and ``add`` put in."""
    if len(remove):
        remove = np.sort(remove)
        nth_equal = np.arange(len(remove)) - np.searchsorted(remove, remove, side="left")
        values = np.delete(values, np.searchsorted(values, remove, side="left") + nth_equal)
    if len(add):
        add = np.sort(add)
        values = np.insert(values, np.searchsorted(values, add), add)
    return values


def observed_window(sessions: pd.DataFrame) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The span the log itself covers: from its first logged event to its last.

    A session's start counts only when its Built was logged (``has_built``); a teardown without
    one started before the log. Frames without ``has_built`` (a remedy's replay of start/end)
    span from the earliest start. The one window of every mean and peak (notebooks, remedies).
    """
    both = sessions[["start", "end"]].dropna()
    if both.empty:
        return None, None
    starts = both["start"]
    if "has_built" in sessions.columns:
        logged = sessions.loc[both.index, "has_built"].fillna(False).to_numpy(dtype=bool)
        closed = (~sessions.loc[both.index, "open"].fillna(False)).to_numpy(dtype=bool) \
            if "open" in sessions.columns else np.ones(len(both), dtype=bool)
        seen = pd.concat([starts[logged], both["end"][closed]])
        starts = seen if len(seen) else starts
    return starts.min(), both["end"].max()


def concurrency(sessions: pd.DataFrame, *, freq: str = "1min",
                start: pd.Timestamp | None = None,
                end: pd.Timestamp | None = None) -> Concurrency:
    """Connections open at each moment, with the peak and the time-weighted mean.

    Parameters
    ----------
    sessions : DataFrame
        Anything with ``start`` and ``end`` columns (``kit.sessions``, or a remedy's replay).
    freq : str
        Grid of the sampled ``open`` series (a pandas frequency such as ``"1min"``).
    start, end : Timestamp, optional
        The window; default ``observed_window``: the log's own span, so a connection that began
        before the log does not stretch it (and lower the mean). Intervals are clipped to it.

    Returns
    -------
    Concurrency
        Of every session of the case when ``sessions`` is the ``case.sessions`` of a case
        computed on Dask (which holds only the longer sessions: ``kit.case.facts``).
    """
    require_frame(sessions, "sessions", ("start", "end"), caller="kit.concurrency")
    if start is None and end is None and freq == "1min":
        from ..case.facts import whole_facts  # the facts registered with a reduced frame

        whole = whole_facts(sessions)
        if whole is not None:
            return whole.concurrency
    both = sessions[["start", "end"]].dropna()
    begins, ends = both["start"], both["end"]
    first, last = observed_window(sessions)
    start = first if start is None else start
    end = last if end is None else end
    if start is None or end is None or end <= start:
        return _nothing_open()
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    intervals = sweep(_ns(begins), _ns(ends), start.as_unit("ns").value, end.as_unit("ns").value)
    return sweep_concurrency(intervals, start, end, freq=freq)


def sweep_concurrency(intervals: Sweep, start: pd.Timestamp | None, end: pd.Timestamp | None, *,
                      freq: str = "1min") -> Concurrency:
    """``kit.concurrency`` of the intervals of a sweep over its window (``start`` and ``end``,
    the sweep's ``lo`` and ``hi``; nothing open when there is none)."""
    if start is None or end is None or end <= start:
        return _nothing_open()
    s, e = intervals.starts, intervals.ends
    peak, peak_time = intervals.peak()
    grid = pd.date_range(start.floor(freq), end.ceil(freq), freq=freq, name="time")
    g = grid.as_unit("ns").asi8
    counts = np.searchsorted(s, g, side="right") - np.searchsorted(e, g, side="right")
    return Concurrency(pd.Series(counts, index=grid, name="connections"), peak, peak_time,
                       intervals.mean(), (start, end))


def _nothing_open() -> Concurrency:
    empty = pd.Series([], dtype="int64", name="connections",
                      index=pd.DatetimeIndex([], tz="UTC", name="time"))
    return Concurrency(empty, 0, None, 0.0, None)
