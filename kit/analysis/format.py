"""Plain-text formatting of times for explanations, table cells and chart labels."""

from __future__ import annotations

import pandas as pd


def hms(value: pd.Timedelta | None) -> str:
    """``H:MM:SS`` like the firewall prints durations (hours may exceed 24); "n/a" for None."""
    if value is None or pd.isna(value):
        return "n/a"
    total = int(pd.Timedelta(value).total_seconds())
    sign, total = ("-", -total) if total < 0 else ("", total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{seconds:02d}"


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for display: durations as ``H:MM:SS`` (signed, hours past 24) instead of pandas'
    ``-1 days +23:00:00``; everything else unchanged."""
    out = frame.copy()
    for name in out.columns:
        if pd.api.types.is_timedelta64_dtype(out[name].dtype):
            out[name] = out[name].map(hms).astype(pd.StringDtype("pyarrow"))
    return out


def small_share(part: int, whole: int) -> str:
    """A share that stays readable when tiny (a peak against a firewall's capacity)."""
    ratio = part / whole
    return "under 0.01%" if 0 < ratio < 0.0001 else f"{ratio:.2%}"
