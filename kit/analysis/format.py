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
