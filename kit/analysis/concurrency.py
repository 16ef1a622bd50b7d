"""How many connections the firewall holds at each moment: a sweep over start and end events."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


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
        return (f"peak {self.peak} open connections at {self.peak_time}, "
                f"mean {self.mean:.1f}")


def _ns(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype="datetime64[ns]").astype(np.int64)


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
    """
    both = sessions[["start", "end"]].dropna()
    begins, ends = both["start"], both["end"]
    first, last = observed_window(sessions)
    start = first if start is None else start
    end = last if end is None else end
    if start is None or end is None or end <= start:
        empty = pd.Series([], dtype="int64", name="connections",
                          index=pd.DatetimeIndex([], tz="UTC", name="time"))
        return Concurrency(empty, 0, None, 0.0, None)
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    lo, hi = start.as_unit("ns").value, end.as_unit("ns").value
    s = np.clip(_ns(begins), lo, hi)
    e = np.clip(_ns(ends), lo, hi)
    keep = e > s
    s, e = np.sort(s[keep]), np.sort(e[keep])

    times = np.concatenate([s, e])
    steps = np.concatenate([np.ones(len(s), np.int64), -np.ones(len(e), np.int64)])
    order = np.lexsort((steps, times))          # at equal times ends (-1) come first
    running = np.cumsum(steps[order])
    if len(running):
        at = int(np.argmax(running))
        peak, peak_time = int(running[at]), pd.Timestamp(times[order][at], tz="UTC")
    else:
        peak, peak_time = 0, None
    mean = float((e - s).sum()) / float(hi - lo)

    grid = pd.date_range(start.floor(freq), end.ceil(freq), freq=freq, name="time")
    g = grid.as_unit("ns").asi8
    counts = np.searchsorted(s, g, side="right") - np.searchsorted(e, g, side="right")
    return Concurrency(pd.Series(counts, index=grid, name="connections"), peak, peak_time,
                       mean, (start, end))
