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
        return (f"peak {self.peak} open connections at {self.peak_time}, "
                f"mean {self.mean:.1f}")


def _ns(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype="datetime64[ns]").astype(np.int64)


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
        The window; default from the earliest start to the latest end. Intervals are clipped to it.

    Returns
    -------
    Concurrency
    """
    require_frame(sessions, "sessions", ("start", "end"), caller="kit.concurrency")
    both = sessions[["start", "end"]].dropna()
    begins, ends = both["start"], both["end"]
    if start is None and len(both):
        start = begins.min()
    if end is None and len(both):
        end = ends.max()
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
